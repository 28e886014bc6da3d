"""Analyst report of one or more results: a self-contained HTML file and a Markdown twin.

The HTML file embeds every plot as a base64 ``data:`` URI and carries its CSS inline;
it loads nothing from the network and runs no scripts. ``report.md`` beside it links
copies of the same PNGs by relative path, in ``report_files/<scenario>/`` and
``report_files/compare/`` (the output of :func:`sim.compare.compare_results`). Both say
prominently when a result rests on synthetic, proxy or estimated data.
"""

from __future__ import annotations

import base64
import html
import json
import shutil
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim import __version__, settings
from sim.errors import InputError
from sim.results import read_summary

#: The plan's goals: Norwegian term and English explanation.
GOAL_TERMS = {
    "placement": ("90 %-regelen", "placement of growth"),
    "nullvekst": ("Nullvekst", "car vehicle-km change"),
    "kortreist": ("Kortreist hverdag", "everyday basket within walking distance"),
}

#: Travel modes: Norwegian and English.
MODE_TERMS = {
    "walk": ("Gange", "walk"),
    "bike": ("Sykkel", "bike"),
    "pt": ("Kollektiv", "PT"),
    "car": ("Bil", "car"),
}

#: Everyday functions of the kortreist basket: Norwegian and English.
FUNCTION_TERMS = {
    "grocery": ("Dagligvare", "grocery"),
    "school": ("Skole", "school"),
    "kindergarten": ("Barnehage", "kindergarten"),
    "recreation": ("Friområde", "recreation"),
    "transit_stop": ("Holdeplass", "transit stop"),
}

#: Data status of a layer: Norwegian and English.
STATUS_TERMS = {
    "real": ("ekte", "real"),
    "derived": ("avledet", "derived"),
    "proxy": ("stedfortreder", "proxy"),
    "estimated": ("anslått", "estimated"),
    "synthetic": ("syntetisk", "synthetic"),
}

#: Statuses that call for the warning banner besides ``synthetic``.
WEAK_STATUSES = ("proxy", "estimated", "synthetic")

#: Captions of the plots a result holds, in report order.
PLOT_CAPTIONS = {
    "goals.png": "Målene (goals): value against target",
    "mode_shares.png": "Reisemiddelfordeling (mode shares) by year",
    "access_cdf.png": "Gangavstand (walking distance) to everyday functions",
    "basket_change.png": "Kortreist hverdag: change in functions within reach",
}

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;margin:2em auto;
max-width:1100px;padding:0 1em;color:#222;line-height:1.4}
h1{margin-bottom:.2em}h2{border-bottom:2px solid #ddd;padding-bottom:.2em;margin-top:2em}
.meta{color:#666}
table{border-collapse:collapse;margin:.6em 0 1.2em}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
.pass{color:#1a7f1a;font-weight:bold}.fail{color:#b00020;font-weight:bold}
.banner{border:3px solid #b00020;background:#fde8ea;color:#600;padding:.8em 1em;
margin:1em 0;font-size:1.1em}
.status-synthetic,.status-proxy,.status-estimated{color:#b00020;font-weight:bold}
.status-derived{color:#8a5a00}.status-real{color:#1a7f1a}
figure{margin:1em 0}figure img{max-width:100%;border:1px solid #eee}
figcaption{color:#555;font-size:.9em}
"""


# --- document model -------------------------------------------------------------------


@dataclass
class Table:
    """A table of already formatted cells; ``classes`` styles cells (same shape, optional)."""

    header: list[str]
    rows: list[list[str]]
    caption: str = ""
    classes: list[list[str]] = field(default_factory=list)


@dataclass
class Figure:
    """A PNG file and its caption; ``name`` is its relative path in the Markdown report."""

    path: Path
    name: str
    caption: str


@dataclass
class Section:
    """A heading followed by blocks: paragraphs (str), tables and figures."""

    title: str
    blocks: list[str | Table | Figure] = field(default_factory=list)
    level: int = 2


@dataclass
class Result:
    """A results directory, its summary and a short unique key used for file names."""

    path: Path
    summary: dict[str, Any]
    key: str

    @property
    def name(self) -> str:
        """The scenario name."""
        return str(self.summary["scenario"]["name"])


# --- loading --------------------------------------------------------------------------

_REQUIRED = ("scenario", "goals", "mode_shares", "access", "manifest")


def load_results(result_dirs: list[Path]) -> list[Result]:
    """Read and check each results directory (:class:`InputError` on the first bad one)."""
    if not result_dirs:
        raise InputError("report: give at least one results directory")
    results: list[Result] = []
    keys: set[str] = set()
    for d in result_dirs:
        d = Path(d)
        if not d.is_dir():
            raise InputError(f"{d}: results directory not found")
        summary = read_summary(d)
        if not isinstance(summary, dict):
            raise InputError(f"{d / 'summary.json'}: not a baerum-sim summary (not an object)")
        missing = [k for k in _REQUIRED if not isinstance(summary.get(k), dict)]
        goals = summary.get("goals") if isinstance(summary.get("goals"), dict) else {}
        missing += [f"goals.{g}" for g in GOAL_TERMS if not isinstance(goals.get(g), dict)]
        if missing or "name" not in summary["scenario"]:
            what = ", ".join(missing) or "scenario.name"
            raise InputError(f"{d / 'summary.json'}: not a baerum-sim summary (missing {what})")
        key = _safe_name(str(summary["scenario"]["name"]))
        base, n = key, 2
        while key in keys:
            key, n = f"{base}_{n}", n + 1
        keys.add(key)
        results.append(Result(d, summary, key))
    return results


def _safe_name(name: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).lstrip(".")
    return safe or "result"


# --- formatting -----------------------------------------------------------------------


def term(terms: dict[str, tuple[str, str]], key: str) -> str:
    """``"Norsk (English)"`` for a known key, else the key itself."""
    if key not in terms:
        return key
    no, en = terms[key]
    return f"{no} ({en})"


def _pct(value: Any, signed: bool = False) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _pp(value: Any) -> str:
    """Percentage points, signed."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{100 * value:+.1f} pp"


def _verdict(passed: Any) -> tuple[str, str]:
    if passed is True:
        return "OPPFYLT (pass)", "pass"
    if passed is False:
        return "IKKE OPPFYLT (fail)", "fail"
    return "–", ""


def _status(status: str) -> str:
    return term(STATUS_TERMS, status)


def weak_layers(summary: dict[str, Any]) -> dict[str, str]:
    """Layers whose status is proxy, estimated or synthetic: name → status."""
    layers = summary.get("manifest", {}).get("data", {}).get("layers", {})
    return {name: str(info.get("status")) for name, info in sorted(layers.items())
            if info.get("status") in WEAK_STATUSES}


# --- content --------------------------------------------------------------------------


def goal_table(summary: dict[str, Any]) -> Table:
    """Goals of one result: value, target, verdict, margin."""
    rows, classes = [], []
    for key in GOAL_TERMS:
        goal = summary["goals"][key]
        signed = key == "nullvekst"
        verdict, cls = _verdict(goal.get("pass"))
        target = _pct(goal.get("target"), signed)
        if goal.get("target_rule"):
            target += f" ({goal['target_rule']})"
        rows.append([term(GOAL_TERMS, key), _pct(goal.get("value"), signed), target, verdict,
                     _pp(goal.get("margin"))])
        classes.append(["", "num", "num", cls, "num"])
    return Table(["Mål (goal)", "Verdi (value)", "Målverdi (target)", "Resultat (verdict)",
                  "Margin"], rows, "Margin: how far the value is on the right side of "
                 "the target, in percentage points (negative = goal missed).", classes)


def mode_table(summary: dict[str, Any]) -> Table:
    """Mode shares per modelled year (final year last)."""
    years = list(summary.get("years", {}))
    final = str(summary["scenario"].get("final_year", ""))
    if not years:
        years = [final]
    header = ["Reisemiddel (mode)", *years]
    rows = []
    for mode in MODE_TERMS:
        row = [term(MODE_TERMS, mode)]
        for y in years:
            shares = summary.get("years", {}).get(y, {}).get("mode_shares") or (
                summary["mode_shares"] if y == final else {})
            row.append(_pct(shares.get(mode)))
        rows.append(row)
    classes = [["", *["num"] * len(years)] for _ in rows]
    return Table(header, rows, "Share of residents' trips per modelled year.", classes)


def access_table(summary: dict[str, Any]) -> Table:
    """Walking access per everyday function in the final year."""
    rows, classes = [], []
    for function, info in summary["access"].items():
        threshold = info.get("threshold_m")
        status = str(info.get("data_status", "unknown"))
        mean_d = info.get("mean_distance_m")
        rows.append([
            term(FUNCTION_TERMS, function),
            _pct(info.get("share_within")),
            f"{threshold:.0f} m" if isinstance(threshold, int | float) else "–",
            f"{mean_d:.0f} m" if isinstance(mean_d, int | float) else "–",
            _status(status),
        ])
        classes.append(["", "num", "num", "num", f"status-{status}"])
    return Table(["Funksjon (function)", "Andel innenfor (share within)",
                  "Terskel (threshold)", "Snittavstand (mean distance)",
                  "Datastatus (data status)"], rows,
                 "Share of residents within walking distance of each everyday function, "
                 "final year.", classes)


def provenance_tables(results: list[Result]) -> list[str | Table]:
    """Per layer: status, source, licence; results with identical layers share a table."""
    groups: dict[str, list[Result]] = {}
    for r in results:
        layers = r.summary["manifest"].get("data", {}).get("layers", {})
        groups.setdefault(json.dumps(layers, sort_keys=True), []).append(r)
    blocks: list[str | Table] = []
    for dumped, members in groups.items():
        layers = json.loads(dumped)
        names = ", ".join(m.name for m in members)
        if not layers:
            blocks.append(f"{names}: the result records no data layers.")
            continue
        rows, classes = [], []
        for name, info in sorted(layers.items()):
            status = str(info.get("status", "unknown"))
            rows.append([name, _status(status), str(info.get("source", "")),
                         str(info.get("licence", "")), str(info.get("note", ""))])
            classes.append(["", f"status-{status}", "", "", ""])
        blocks.append(Table(["Lag (layer)", "Status", "Kilde (source)", "Lisens (licence)",
                             "Merknad (note)"], rows, f"Data layers of: {names}", classes))
    return blocks


def warning_lines(results: list[Result]) -> list[str]:
    """Lines of the warning banner; empty when every layer is real or derived."""
    lines = []
    synthetic = [r.name for r in results if r.summary.get(
        "data_status", "synthetic" if r.summary.get("synthetic") else "real") == "synthetic"]
    if synthetic:
        lines.append("SYNTETISKE DATA (SYNTHETIC DATA): " + ", ".join(synthetic)
                     + " rest on a made-up region, not on Bærum data. "
                     "The figures show how the model works; they say nothing about Bærum.")
    for r in results:
        if r.name in synthetic:
            continue
        weak = weak_layers(r.summary)
        if weak:
            lines.append(f"{r.name}: rests partly on proxy, estimated or synthetic layers: "
                         + ", ".join(f"{n} ({s})" for n, s in weak.items()))
    return lines


def result_figures(result: Result, files: str) -> list[Figure]:
    """The result's PNGs, the known plots first; copies go to ``<files>/<key>/``."""
    pngs = sorted(result.path.glob("*.png"))
    order = list(PLOT_CAPTIONS)
    pngs.sort(key=lambda p: (order.index(p.name) if p.name in order else len(order), p.name))
    figures = []
    for p in pngs:
        caption = PLOT_CAPTIONS.get(p.name)
        if caption is None and p.stem.startswith("access_"):
            function = p.stem.removeprefix("access_")
            caption = f"Gangavstand til {term(FUNCTION_TERMS, function)} (walking distance map)"
        figures.append(Figure(p, f"{files}/{result.key}/{p.name}", caption or p.stem))
    return figures


def scenario_section(result: Result, files: str) -> Section:
    """Everything about one result."""
    s = result.summary
    info = s["scenario"]
    manifest = s["manifest"]
    meta = (f"Region {info.get('region', '?')}, base year {info.get('base_year', '?')}, "
            f"target years {', '.join(str(y) for y in info.get('target_years', []))}; "
            f"results from {result.path} (created {s.get('created', '?')}, "
            f"baerum-sim {manifest.get('version', '?')}).")
    blocks: list[str | Table | Figure] = []
    if info.get("description"):
        blocks.append(str(info["description"]))
    blocks.append(meta)
    if s.get("data_note"):
        blocks.append(f"Data: {s['data_note']}")
    blocks += [goal_table(s), mode_table(s), access_table(s), *result_figures(result, files)]
    return Section(f"Scenario {result.name}", blocks)


def comparison_section(results: list[Result], files_dir: Path) -> Section:
    """Side-by-side goals and mode shares, and the plots of :func:`sim.compare.compare_results`.

    The comparison is written to ``<files_dir>/compare/``.
    """
    from sim.compare import COMPARE_PLOTS, compare_results

    compare_dir = files_dir / "compare"
    compare_results([r.path for r in results], out=compare_dir)
    files = files_dir.name
    header = ["Mål (goal)", *[r.name for r in results]]
    rows, classes = [], []
    for key in GOAL_TERMS:
        row, cls = [term(GOAL_TERMS, key)], [""]
        for r in results:
            goal = r.summary["goals"][key]
            signed = key == "nullvekst"
            verdict, c = _verdict(goal.get("pass"))
            row.append(f"{_pct(goal.get('value'), signed)} (target "
                       f"{_pct(goal.get('target'), signed)}) {verdict}")
            cls.append(c)
        rows.append(row)
        classes.append(cls)
    goals = Table(header, rows, "Goals side by side, final year.", classes)
    modes = Table(["Reisemiddel (mode)", *[r.name for r in results]],
                  [[term(MODE_TERMS, m), *[_pct(r.summary["mode_shares"].get(m))
                                           for r in results]] for m in MODE_TERMS],
                  "Mode shares side by side, final year.",
                  [["", *["num"] * len(results)] for _ in MODE_TERMS])
    figures = [Figure(compare_dir / "goals_compare.png", f"{files}/compare/goals_compare.png",
                      "Målene side om side (goals side by side; green = holds, dashed = target)"),
               Figure(compare_dir / "mode_shares_compare.png",
                      f"{files}/compare/mode_shares_compare.png",
                      "Reisemiddelfordeling side om side (mode shares side by side)")]
    figures += [Figure(compare_dir / name, f"{files}/compare/{name}", caption)
                for name, caption in COMPARE_PLOTS.items()
                if name not in ("goals_compare.png", "mode_shares_compare.png")
                and (compare_dir / name).is_file()]
    return Section("Sammenligning (comparison)", [goals, modes, *figures])


def provenance_section(results: list[Result]) -> Section:
    """Where each layer comes from and how much it can be trusted."""
    intro = ("Status per data layer: real (ekte) = measured data; derived (avledet) = "
             "computed from real data; proxy (stedfortreder) = a stand-in for missing data; "
             "estimated (anslått) = an assumption; synthetic (syntetisk) = made up.")
    blocks: list[str | Table | Figure] = [intro, *provenance_tables(results)]
    for r in results:
        inputs = r.summary["manifest"].get("inputs", {})
        if inputs:
            blocks.append(Table(["Input", "sha256"], [[k, v] for k, v in inputs.items()],
                                f"Input files of {r.name} (reproduce with "
                                f"'baerum-sim rerun {r.path}')."))
    return Section("Datagrunnlag (data provenance)", blocks)


def build_sections(results: list[Result], files_dir: Path) -> list[Section]:
    """All sections of the report, in order; plot files belong in ``files_dir``."""
    sections = [scenario_section(r, files_dir.name) for r in results]
    same_region = len({r.summary["scenario"].get("region") for r in results}) == 1
    if len(results) >= 2 and same_region:  # compare refuses results of different regions
        sections.append(comparison_section(results, files_dir))
    sections.append(provenance_section(results))
    return sections


# --- rendering ------------------------------------------------------------------------


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(table: Table) -> str:
    out = ["<table>"]
    if table.caption:
        out.append(f"<caption>{_e(table.caption)}</caption>")
    out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in table.header) + "</tr>")
    for i, row in enumerate(table.rows):
        cls = table.classes[i] if i < len(table.classes) else []
        cells = []
        for j, cell in enumerate(row):
            c = cls[j] if j < len(cls) else ""
            attr = f' class="{_e(c)}"' if c else ""
            cells.append(f"<td{attr}>{_e(cell)}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table>")
    return "\n".join(out)


def _html_figure(fig: Figure) -> str:
    data = base64.b64encode(fig.path.read_bytes()).decode("ascii")
    return (f'<figure><img src="data:image/png;base64,{data}" alt="{_e(fig.caption)}">'
            f"<figcaption>{_e(fig.caption)}</figcaption></figure>")


def render_html(title: str, date: str, banner: list[str], sections: list[Section]) -> str:
    """The self-contained HTML document."""
    parts = ["<!DOCTYPE html>", '<html lang="no">', "<head>", '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_e(title)}</title>", f"<style>{_CSS}</style>", "</head>", "<body>",
             f"<h1>{_e(title)}</h1>",
             f'<p class="meta">Generated {_e(date)} by baerum-sim {_e(__version__)}</p>']
    if banner:
        parts.append('<div class="banner" id="data-warning" role="alert">'
                     + "".join(f"<p><strong>{_e(line)}</strong></p>" for line in banner)
                     + "</div>")
    for section in sections:
        parts.append(f"<section><h{section.level}>{_e(section.title)}</h{section.level}>")
        for block in section.blocks:
            if isinstance(block, Table):
                parts.append(_html_table(block))
            elif isinstance(block, Figure):
                parts.append(_html_figure(block))
            else:
                parts.append(f"<p>{_e(block)}</p>")
        parts.append("</section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _md(text: Any) -> str:
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def render_markdown(title: str, date: str, banner: list[str], sections: list[Section]) -> str:
    """The Markdown version; figures are linked by their relative ``name``."""
    lines = [f"# {title}", "", f"Generated {date} by baerum-sim {__version__}", ""]
    for line in banner:
        lines += [f"> **⚠ {line}**", ">"]
    if banner:
        lines[-1] = ""
    for section in sections:
        lines += [f"{'#' * section.level} {section.title}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                if block.caption:
                    lines += [f"*{_md(block.caption)}*", ""]
                lines.append("| " + " | ".join(_md(h) for h in block.header) + " |")
                lines.append("|" + "---|" * len(block.header))
                lines += ["| " + " | ".join(_md(c) for c in row) + " |" for row in block.rows]
                lines.append("")
            elif isinstance(block, Figure):
                lines += [f"![{_md(block.caption)}]({block.name})", "", f"*{block.caption}*", ""]
            else:
                lines += [str(block), ""]
    return "\n".join(lines)


# --- entry point ----------------------------------------------------------------------


def report_paths(out: Path | None, names: list[str]) -> tuple[Path, Path]:
    """``(html, markdown)`` paths: ``out`` is an ``.html`` file or a directory."""
    if out is None:
        out = settings.RESULTS_DIR / ("report_" + "_vs_".join(names))
    out = Path(out)
    html_path = out if out.suffix.lower() in (".html", ".htm") else out / "report.html"
    return html_path, html_path.with_suffix(".md")


def write_report(result_dirs: list[Path], out: Path | None = None) -> Path:
    """Write the HTML report (and ``report.md`` with its PNGs) of the given results.

    Returns the path of the HTML file. Files are built in a temporary directory and moved
    into place when complete; the HTML file is moved last.
    """
    results = load_results([Path(d) for d in result_dirs])
    html_path, md_path = report_paths(out, [r.key for r in results])
    if html_path.parent.exists() and not html_path.parent.is_dir():
        raise InputError(f"{html_path.parent}: exists and is not a directory")
    html_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".report.", suffix=".tmp", dir=html_path.parent))
    try:
        files = html_path.stem + "_files"
        sections = build_sections(results, tmp / files)
        names = ", ".join(r.name for r in results)
        title = f"baerum-sim rapport (report): {names}"
        date = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
        banner = warning_lines(results)
        for section in sections:
            for block in section.blocks:
                if isinstance(block, Figure) and not (tmp / block.name).exists():
                    target = tmp / block.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(block.path, target)
        (tmp / "report.md").write_text(render_markdown(title, date, banner, sections),
                                       encoding="utf-8")
        (tmp / "report.html").write_text(render_html(title, date, banner, sections),
                                         encoding="utf-8")
        for item in sorted(tmp.iterdir(), key=lambda p: p.name == "report.html"):
            target = {"report.md": md_path, "report.html": html_path}.get(
                item.name, html_path.parent / item.name)
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            item.replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return html_path
