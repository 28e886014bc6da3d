"""``baerum-sim report`` and ``baerum-sim rerun`` on the two demo results."""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import pytest
from chromium_check import DevTools, RecordingProxy, check_report_in_chromium, chromium_binary
from fixtures.demo import edited_copy

from sim.cli import main
from sim.output.diff import diff_summaries

#: End-to-end: whole scenario runs through the CLI (still run by plain `pytest`).
pytestmark = pytest.mark.slow

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LABELS = (
    "90 %-regelen (placement of growth)",
    "Nullvekst (car vehicle-km change)",
    "Kortreist hverdag (everyday basket within walking distance)",
    "Miljøvennlige transportmidler førstevalg (walk, bike and PT share of trips)",
    "CO2 fra bilkjøring (residents&#x27; car CO2)",
    "Gange (walk)", "Sykkel (bike)", "Kollektiv (PT)", "Bil (car)",
)


@pytest.fixture(scope="module")
def results(demo_results: dict[str, Path]) -> dict[str, Path]:
    """The two demo scenarios, run once per session (conftest)."""
    return demo_results


@pytest.fixture(scope="module")
def report(results: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HTML report of both results."""
    out = tmp_path_factory.mktemp("report") / "rep"
    assert main(["report", str(results["demo"]), str(results["demo_spredt"]),
                 "--out", str(out)]) == 0
    return out / "report.html"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(text: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(text)
    return parser.tags


def test_report_html_is_self_contained(report: Path) -> None:
    text = report.read_text(encoding="utf-8")
    tags = _tags(text)
    scripts = [a for t, a in tags if t == "script"]
    assert scripts and all("src" not in a for a in scripts)  # every script is inline
    # (the inlined Bokeh library holds URLs it never loads here: checked in Chromium)
    markup = re.sub(r"<script.*?</script>", "", text, flags=re.S)
    assert 'src="http' not in markup
    assert not [t for t, _ in tags if t in ("link", "iframe", "object", "embed")]
    assert "@import" not in markup and "url(" not in markup
    assert not [a for t, a in tags if (a.get("href") or "").startswith("http")]
    images = [a for t, a in tags if t == "img"]
    assert len(images) >= 20  # 9 plots per result and 2 comparison plots
    for attrs in images:
        src = attrs["src"] or ""
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.removeprefix("data:image/png;base64,"), validate=True)
        assert data.startswith(PNG_SIGNATURE)
        pixels = mpimg.imread(io.BytesIO(data), format="png")
        assert pixels.ndim == 3 and pixels.shape[0] > 50 and pixels.shape[1] > 50


def test_report_content(report: Path, results: dict[str, Path]) -> None:
    text = report.read_text(encoding="utf-8")
    for label in LABELS:
        assert label in text
    assert 'id="data-warning"' in text and "SYNTHETIC DATA" in text
    provenance = text[text.index("Datagrunnlag (data provenance)"):]
    layers = json.loads((results["demo"] / "summary.json").read_text())["manifest"]["data"]
    assert layers["layers"]
    for name, info in layers["layers"].items():
        assert info["status"] == "synthetic"
        assert re.search(rf"<td>{re.escape(name)}</td><td class=\"status-synthetic\">"
                         r"syntetisk \(synthetic\)</td>", provenance), name
    assert "Sammenligning (comparison)" in text
    assert (report.parent / "report_files" / "compare" / "goals_compare.png").is_file()


def test_report_goal_table_states_rule_shares_and_data_basis(report: Path,
                                                             results: dict[str, Path]) -> None:
    """Per scenario: both 90 % shares and the pass rule, new residents' basket, the green
    share, CO2, and which share of each number rests on weak data."""
    text = report.read_text(encoding="utf-8")
    for name, path in results.items():
        s = json.loads((path / "summary.json").read_text())
        section = text[text.index(f"Scenario {name}</h2>"):]
        section = section[:section.index("</table>")]
        p = s["goals"]["placement"]
        assert f"dwellings {p['dwellings_share']:.1%}" in section
        assert f"jobs {p['jobs_share']:.1%}; rule each" in section
        assert "of new residents" in section
        green = s["goals"]["green_share"]
        assert f"{green['value']:.1%} (sykkel/bike {green['bike_share']:.1%}" in section
        assert f"{s['goals']['co2']['co2_t_per_year']:,.0f} t/year" in section
        assert section.count("synthetic 100.0%") == 5  # four goals and CO2: the demo


def test_report_markdown_links_exist(report: Path) -> None:
    md = report.with_name("report.md")
    text = md.read_text(encoding="utf-8")
    links = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert len(links) == text.count("![") >= 20
    for link in links:
        assert not link.startswith(("/", "http")), link
        assert (md.parent / link).read_bytes().startswith(PNG_SIGNATURE), link
    assert "SYNTHETIC DATA" in text and LABELS[0] in text


def test_report_escapes_text_and_warns_on_proxies(results: dict[str, Path],
                                                  tmp_path: Path) -> None:
    def evil(summary: dict) -> None:
        summary["scenario"]["description"] = '<script>alert("x")</script> & <b>'
        summary["synthetic"] = False
        summary["data_status"] = "mixed"
        layers = summary["manifest"]["data"]["layers"]
        for name in layers:
            layers[name]["status"] = "proxy" if name == "streets" else "real"

    result = edited_copy(results["demo"], tmp_path / "evil", evil)
    out = tmp_path / "r" / "report.html"
    assert main(["report", str(result), "--out", str(out.parent)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "<script>alert" not in text and "alert(" not in text.replace(
        "alert(&quot;x&quot;)", "")
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in text
    banner = text[text.index('id="data-warning"'):text.index("</div>")]
    assert "streets (proxy)" in banner and "SYNTHETIC" not in banner
    assert out.with_suffix(".md").is_file()


def test_report_bad_input_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "summary.json").write_text('{"schema_version": 3, "scenario": {}}')
    assert main(["report", str(tmp_path / "bad"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "not a baerum-sim summary" in err and err.count("\n") == 1
    (tmp_path / "bad" / "summary.json").write_text('{"scenario": {}}')  # an older layout
    assert main(["report", str(tmp_path / "bad"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "schema_version 1, this baerum-sim reads 3" in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()
    assert main(["report", str(tmp_path / "bad"), "--out", str(tmp_path / "o.html")]) == 2
    assert "--out is a directory" in capsys.readouterr().err


def test_report_in_headless_chromium(report: Path, tmp_path: Path) -> None:
    check_report_in_chromium(report, tmp_path, min_images=20)


def test_diff_summaries_ignores_volatile_keys() -> None:
    old = {"created": "a", "goals": {"x": {"value": 0.1681}}, "years": [1, 2]}
    new = {"created": "b", "goals": {"x": {"value": 0.1702}}, "years": [1, 3]}
    diffs = [str(d) for d in diff_summaries(old, new)]
    assert diffs == ["goals.x.value: 0.1681 → 0.1702", "years[1]: 2 → 3"]
    assert diff_summaries(old, {**old, "created": "c"}) == []


def test_rerun_reproduces(results: dict[str, Path], tmp_path: Path,
                          capsys: pytest.CaptureFixture) -> None:
    assert main(["rerun", str(results["demo"]), "--out", str(tmp_path / "new"),
                 "--quiet"]) == 0
    out, err = capsys.readouterr()
    assert "numbers match" in out
    assert "warning" not in err
    old = json.loads((results["demo"] / "summary.json").read_text())
    new = json.loads((tmp_path / "new" / "summary.json").read_text())
    old.pop("created")
    new.pop("created")
    assert old == new


def test_rerun_tampered_summary(results: dict[str, Path], tmp_path: Path,
                                capsys: pytest.CaptureFixture) -> None:
    tampered = tmp_path / "tampered"
    shutil.copytree(results["demo_spredt"], tampered)
    summary = json.loads((tampered / "summary.json").read_text())
    summary["goals"]["nullvekst"]["value"] += 0.01
    (tampered / "summary.json").write_text(json.dumps(summary))
    assert main(["rerun", str(tampered), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "differs in 1 key" in out
    assert re.search(r"goals\.nullvekst\.value: \S+ → \S+", out)


def test_rerun_missing_directory(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert main(["rerun", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path / 'nope'}: results directory not found\n"


# --- the report in a real browser: console, network, interactive map, verdict page ------

#: Screen position of a lived-in cell of the left map, and its values (BokehJS views).
_CELL_POSITION = """(() => {
  function* walk(v) { yield v; for (const c of (v.child_views || [])) { yield* walk(c); } }
  const views = [];
  const roots = Bokeh.index.values ? [...Bokeh.index.values()] : Object.values(Bokeh.index);
  for (const r of roots) { views.push(...walk(r)); }
  const src = Bokeh.documents[0].get_model_by_name('cells_source_left');
  const cells = Bokeh.documents[0].get_model_by_name('cells_left');
  const pv = views.find((v) => v.model.renderers && v.model.renderers.includes(cells));
  const d = src.data;
  let i = 0;
  while (!(d.residents[i] > 50)) { i++; }
  const n = d.xs[i].length - 1;
  const cx = d.xs[i].slice(0, n).reduce((a, b) => a + b) / n;
  const cy = d.ys[i].slice(0, n).reduce((a, b) => a + b) / n;
  pv.el.scrollIntoView();
  const rect = pv.canvas_view.el.getBoundingClientRect();
  return {x: rect.left + pv.frame.x_scale.compute(cx), y: rect.top + pv.frame.y_scale.compute(cy),
          canvas: {x: rect.left + window.scrollX, y: rect.top + window.scrollY,
                   width: rect.width, height: rect.height},
          id: d.cell_id[i], residents: d.residents[i], grocery: d.dist_grocery[i],
          columns: Object.keys(d), tooltips: pv.model.toolbar.tools
            .filter((t) => t.type == 'HoverTool').map((t) => t.tooltips)};
})()"""

#: Visible text of the page, shadow roots included (Bokeh draws tooltips in them).
_PAGE_TEXT = """(() => {
  function deep(n) {
    let t = n.shadowRoot ? deep(n.shadowRoot) : '';
    for (const c of n.childNodes || []) {
      if (c.nodeName === 'SCRIPT' || c.nodeName === 'STYLE') { continue; }
      t += c.nodeType === 3 ? c.textContent + ' ' : deep(c);
    }
    return t;
  }
  return deep(document.body);
})()"""


@pytest.fixture(scope="module")
def browser(report: Path, tmp_path_factory: pytest.TempPathFactory):
    """The report opened in headless Chromium behind a recording proxy."""
    binary = chromium_binary()
    proxy = RecordingProxy()
    tools = DevTools(binary, tmp_path_factory.mktemp("chromium"), proxy.port)
    try:
        tools.open(report.resolve().as_uri())
        yield tools
    finally:
        tools.close()
        proxy.close()


def test_report_loads_without_errors_or_network(browser: DevTools) -> None:
    assert browser.evaluate("document.readyState") == "complete"
    assert browser.evaluate("typeof Bokeh") == "object"  # the inlined library ran
    assert browser.errors() == []
    assert browser.network_requests() == []
    # the basemap is the one thing that would load: it is off at first
    assert browser.evaluate("Bokeh.documents[0].all_models.size") > 20


def test_interactive_map_renders(browser: DevTools, tmp_path: Path) -> None:
    pos = browser.evaluate(_CELL_POSITION)
    shot = tmp_path / "map.png"
    shot.write_bytes(browser.screenshot(pos["canvas"]))
    pixels = mpimg.imread(shot)[..., :3]
    assert pixels.shape[0] > 300 and pixels.shape[1] > 300
    assert pixels.std() > 0.05  # not blank
    colours = {tuple(int(255 * v) for v in px) for px in pixels[::4, ::4].reshape(-1, 3)}
    assert len(colours) > 20


def test_hover_shows_the_cell_values(browser: DevTools, results: dict[str, Path]) -> None:
    pos = browser.evaluate(_CELL_POSITION)
    fields = {f for tips in pos["tooltips"] for _, f in tips}
    for column in ("residents", "dist_grocery", "dist_school", "n_within", "basket",
                   "zone_share_car"):
        assert column in pos["columns"]
        assert any(f"@{column}" in f for f in fields), column
    # the data the hover reads are the result's cells
    import geopandas as gpd

    cells = gpd.read_file(results["demo"] / "cells.gpkg", layer="cells").set_index("cell_id")
    assert cells.loc[pos["id"], "residents"] == pytest.approx(pos["residents"], abs=0.5)
    assert cells.loc[pos["id"], "dist_grocery"] == pytest.approx(pos["grocery"], abs=0.5)
    before = browser.evaluate(_PAGE_TEXT)
    browser.call("Input.dispatchMouseEvent", session=True, type="mouseMoved",
                 x=pos["x"], y=pos["y"])
    browser.evaluate("new Promise((r) => setTimeout(r, 300))")
    text = browser.evaluate(_PAGE_TEXT)
    assert "Rute (cell):" not in before
    tip = text[text.index("Rute (cell):"):]
    assert pos["id"] in tip[:60]
    assert f"Bosatte (residents):  {pos['residents']:,.0f}" in tip
    assert f"{pos['grocery']:,.0f} m" in tip
    assert "Hele kurven (whole basket):" in tip and "%" in tip


def test_verdict_prints_on_one_a4_page(browser: DevTools) -> None:
    browser.call("Emulation.setEmulatedMedia", session=True, media="print")
    # A4 less 12 mm margins at 96 dpi: 186 × 273 mm
    width, height = round(186 / 25.4 * 96), round(273 / 25.4 * 96)
    browser.call("Emulation.setDeviceMetricsOverride", session=True, width=width,
                 height=height, deviceScaleFactor=1, mobile=False)
    try:
        box = browser.evaluate("(() => { const r = document.getElementById('verdict')"
                               ".getBoundingClientRect(); return [r.top + scrollY, "
                               "r.bottom + scrollY]; })()")
        text = browser.evaluate("document.getElementById('verdict').innerText")
        after = browser.evaluate("getComputedStyle(document.getElementById('verdict'))"
                                 ".breakAfter")
    finally:
        browser.call("Emulation.setEmulatedMedia", session=True, media="screen")
        browser.call("Emulation.clearDeviceMetricsOverride", session=True)
    assert 0 < box[0] < box[1] <= height, box
    assert after == "page"
    for word in ("Konklusjon", "90 %-regelen", "Nullvekst", "Kortreist", "margin",
                 "demo_spredt", "SYNTETISKE DATA"):
        assert word in text
    # two scenarios, four goals each (90 % rule, nullvekst, kortreist, green share)
    assert text.count("IKKE OPPFYLT") + text.count("✔ OPPFYLT") == 8
