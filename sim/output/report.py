"""Analyst report of one or more results: a self-contained HTML file and a Markdown twin.

The HTML file opens with a one-page verdict sheet (:mod:`sim.output.verdict`), embeds
every plot as a base64 ``data:`` URI, carries its CSS inline and holds an interactive
map (:mod:`sim.output.interactive`) whose JavaScript is inlined too: it loads nothing
from the network unless the reader switches on the OpenStreetMap basemap. ``report.md``
beside it links
copies of the same PNGs by relative path, in ``report_files/<scenario>/`` and, when a
comparison was made (:func:`sim.output.compare.compare_results`, run by the
application), ``report_files/compare/``. Both say prominently when a result rests on
synthetic, proxy or estimated data.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from sim.errors import InputError
from sim.output.compare_tables import COMPARE_PLOTS
from sim.output.context import read_context
from sim.output.document import (
    Block,
    Figure,
    Html,
    Section,
    Table,
    render_html,
    render_markdown,
)
from sim.output.interactive import MapInput, interactive_map
from sim.output.summary import Summary, read_summary
from sim.output.verdict import verdict_section
from sim.vocab import GOALS, SUMMARY_MODES, WEAK_STATUSES, label

#: Tables of each scenario section, in order (add a builder here to add a table;
#: a builder returns None when its scenario has nothing to show).
SCENARIO_TABLES: list[Callable[[Summary], Table | None]] = []

#: Captions of the plots a result holds, in report order.
PLOT_CAPTIONS = {
    "goals.png": "Målene (goals): value against target",
    "mode_shares.png": "Reisemiddelfordeling (mode shares) by year",
    "access_cdf.png": "Gangavstand (walking distance) to everyday functions",
    "basket_change.png": "Kortreist hverdag: change in functions within reach",
}

@dataclass
class Result:
    """A results directory, its summary and a short unique key used for file names."""

    path: Path
    summary: Summary
    key: str

    @property
    def name(self) -> str:
        """The scenario name."""
        return self.summary.scenario.name


# --- loading --------------------------------------------------------------------------


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
        key = _safe_name(summary.scenario.name)
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


def term(key: str) -> str:
    """``"Norsk (English)"`` for a glossary term, capitalised for table rows."""
    return label(key, capital=True)


def _pct(value: Any, signed: bool = False) -> str:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _pp(value: Any) -> str:
    """Percentage points, signed."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return "–"
    return f"{100 * value:+.1f} pp"


def _verdict(passed: bool) -> tuple[str, str]:
    return ("OPPFYLT (pass)", "pass") if passed else ("IKKE OPPFYLT (fail)", "fail")


def weak_layers(summary: Summary) -> dict[str, str]:
    """Layers whose status is proxy, estimated or synthetic: name → status."""
    layers = summary.manifest.data.layers
    return {name: info.status for name, info in sorted(layers.items())
            if info.status in WEAK_STATUSES}


# --- content --------------------------------------------------------------------------


def _goal_value(summary: Summary, key: str) -> str:
    """A goal's value with the parts a planner needs to read it."""
    goals = summary.goals
    goal = getattr(goals, key)
    value = _pct(goal.value, signed=key == "nullvekst")
    if key == "placement":
        p = goals.placement
        return (f"{value} (boliger/dwellings {_pct(p.dwellings_share)}, arbeidsplasser/jobs "
                f"{_pct(p.jobs_share)}; rule {p.rule})")
    if key == "kortreist":
        k = goals.kortreist
        return (f"{value} of new residents (existing: {_pct(k.base_year_value)} in the base "
                f"year, {_pct(k.existing_value)} final)")
    if key == "green_share":
        g = goals.green_share
        return f"{value} (sykkel/bike {_pct(g.bike_share)}; {g.year})"
    return value


def _basis_text(basis: Any) -> str:
    if basis is None:
        return "–"
    return (f"proxy {_pct(basis.proxy_share)}, estimated {_pct(basis.estimated_share)}, "
            f"synthetic {_pct(basis.synthetic_share)}: {basis.note}")


def goal_table(summary: Summary) -> Table:
    """Goals of one result: value, target, verdict, margin and data basis; CO2 beside them."""
    rows, classes = [], []
    for key in GOALS:
        goal = getattr(summary.goals, key)
        signed = key == "nullvekst"
        verdict, cls = _verdict(goal.passed)
        target = _pct(goal.target, signed)
        if getattr(goal, "target_rule", ""):
            target += f" ({goal.target_rule})"
        if key == "green_share" and summary.goals.green_share.bike_target is not None:
            target += (f", bike {_pct(summary.goals.green_share.bike_target)} "
                       f"(from {summary.goals.green_share.target_year})")
        rows.append([term(key), _goal_value(summary, key), target, verdict, _pp(goal.margin),
                     _basis_text(goal.data_basis)])
        classes.append(["", "num", "num", cls, "num", ""])
    co2 = summary.goals.co2
    rows.append([term("co2"), f"{co2.co2_t_per_year:,.0f} t/year ({_pct(co2.change, True)} vs "
                 f"{co2.reference_year})", "– (reported beside nullvekst)", "–", "–",
                 _basis_text(co2.data_basis)])
    classes.append(["", "num", "", "", "", ""])
    return Table(["Mål (goal)", "Verdi (value)", "Målverdi (target)", "Resultat (verdict)",
                  "Margin", "Datagrunnlag (share resting on weak data)"], rows,
                 "Margin: how far the value is on the right side of the target, in percentage "
                 f"points (negative = goal missed). 90 % rule: {summary.goals.placement.rule_note}."
                 f" CO2: {co2.note}.", classes)


def kortreist_table(summary: Summary) -> Table:
    """Kortreist per basket function: existing residents (base and final year), new
    residents, and the function's target when one is set."""
    k = summary.goals.kortreist
    rows, classes = [], []
    for function, f in k.functions.items():
        target = "–" if f.target is None else _pct(f.target)
        verdict, cls = ("–", "") if f.passed is None else _verdict(f.passed)
        rows.append([term(function), _pct(f.existing_base), _pct(f.existing), _pct(f.new),
                     target, verdict])
        classes.append(["", "num", "num", "num", "num", cls])
    return Table(["Funksjon (function)", "Eksisterende, basisår (existing, base year)",
                  "Eksisterende (existing, final)", "Nye (new residents)", "Mål (target)",
                  "Resultat"], rows, f"Share within walking distance per function. "
                 f"{k.basket_note}.", classes)


def mode_table(summary: Summary) -> Table:
    """Mode shares per modelled year (final year last)."""
    years = list(summary.years)
    rows = [[term(mode), *[_pct(summary.years[y].mode_shares.get(mode)) for y in years]]
            for mode in SUMMARY_MODES]
    classes = [["", *["num"] * len(years)] for _ in rows]
    return Table(["Reisemiddel (mode)", *years], rows,
                 "Share of residents' trips per modelled year.", classes)


def validation_report_table(summary: Summary) -> Table | None:
    """Model against observed for the base year (the validation table), then the
    elasticity checks of the final year; each row says whether it is real or estimated,
    calibrated, and within its tolerance or range. None without a validation table."""
    if not summary.validation:
        return None
    def figure(value: float | None, unit: str) -> str:
        if value is None:
            return "–"
        return f"{value:.2f}" if unit == "ratio" else f"{value:.1f} km" if unit == "km" \
            else _pct(value)

    rows, classes = [], []
    for row in summary.validation:
        observed = figure(row.observed, row.unit) if row.observed_range is None else \
            " – ".join(figure(v, row.unit) for v in row.observed_range)
        within = "–" if row.within is None else "ja (yes)" if row.within else "nei (no)"
        rows.append([row.indicator, figure(row.model, row.unit), observed, label(row.status),
                     "ja (yes)" if row.calibrated else "nei (no)", within, row.source])
        classes.append(["", "num", "num", f"status-{row.status}", "",
                        "" if row.within is None else "pass" if row.within else "fail", ""])
    for name, check in summary.elasticities.items():
        value = "–" if check.value is None else f"{check.value:.2f}"
        rows.append([f"elasticity {name}", value, f"{check.range[0]:g} – {check.range[1]:g}",
                     label("estimated"), "nei (no)",
                     "–" if check.inside is None else "ja (yes)" if check.inside else "nei (no)",
                     check.source or "published range (region pack)"])
        classes.append(["", "num", "num", "status-estimated", "",
                        "" if check.inside is None else "pass" if check.inside else "fail", ""])
    return Table(["Indikator (indicator)", "Modell (model)", "Observert (observed)", "Status",
                  "Kalibrert (calibrated)", "Innenfor (within)", "Kilde (source)"], rows,
                 "Validation: base year against the travel survey and published figures "
                 "(calibrated shares within 1 percentage point, passenger/driver ratio within "
                 "0.05); elasticities of the final year against published ranges.", classes)


def access_table(summary: Summary) -> Table:
    """Walking access per everyday function in the final year."""
    rows, classes = [], []
    for function, info in summary.access.items():
        mean_d = info.mean_distance_m
        rows.append([
            term(function),
            _pct(info.share_within),
            f"{info.threshold_m:.0f} m",
            f"{mean_d:.0f} m" if mean_d is not None else "–",
            label(info.data_status),
        ])
        classes.append(["", "num", "num", "num", f"status-{info.data_status}"])
    return Table(["Funksjon (function)", "Andel innenfor (share within)",
                  "Terskel (threshold)", "Snittavstand (mean distance)",
                  "Datastatus (data status)"], rows,
                 "Share of residents within walking distance of each everyday function, "
                 "final year.", classes)


SCENARIO_TABLES += [goal_table, kortreist_table, mode_table, access_table,
                    validation_report_table]


def provenance_tables(results: list[Result]) -> list[str | Table]:
    """Per layer: status, source, licence; results with identical layers share a table."""
    groups: dict[str, list[Result]] = {}
    for r in results:
        layers = {k: v.model_dump() for k, v in r.summary.manifest.data.layers.items()}
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
            status = str(info["status"])
            rows.append([name, label(status), str(info["source"]), str(info["licence"]),
                         str(info.get("note") or "")])
            classes.append(["", f"status-{status}", "", "", ""])
        blocks.append(Table(["Lag (layer)", "Status", "Kilde (source)", "Lisens (licence)",
                             "Merknad (note)"], rows, f"Data layers of: {names}", classes))
    return blocks


def warning_lines(results: list[Result]) -> list[str]:
    """Lines of the warning banner; empty when every layer is real or derived."""
    lines = []
    synthetic = [r.name for r in results if r.summary.fully_synthetic]
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
            caption = f"Gangavstand til {label(function)} (walking distance map)"
        figures.append(Figure(p, f"{files}/{result.key}/{p.name}", caption or p.stem))
    return figures


def scenario_section(result: Result, files: str) -> Section:
    """Everything about one result."""
    s = result.summary
    info = s.scenario
    meta = (f"Region {info.region}, base year {info.base_year}, "
            f"target years {', '.join(str(y) for y in info.target_years)}; "
            f"results from {result.path} (created {s.created}, "
            f"baerum-sim {s.manifest.version}).")
    blocks: list[Block] = []
    if info.description:
        blocks.append(info.description)
    blocks.append(meta)
    if s.data_note:
        blocks.append(f"Data: {s.data_note}")
    blocks += [t for make in SCENARIO_TABLES if (t := make(s)) is not None]
    blocks += result_figures(result, files)
    return Section(f"Scenario {result.name}", blocks)


def comparison_section(results: list[Result], compare_dir: Path, files: str) -> Section:
    """Side-by-side goals and mode shares, and the plots of the comparison in ``compare_dir``
    (written by :func:`sim.output.compare.compare_results`)."""
    header = ["Mål (goal)", *[r.name for r in results]]
    rows, classes = [], []
    for key in GOALS:
        row, cls = [term(key)], [""]
        for r in results:
            goal = getattr(r.summary.goals, key)
            signed = key == "nullvekst"
            verdict, c = _verdict(goal.passed)
            rule = f", rule {goal.rule}" if key == "placement" else ""
            row.append(f"{_pct(goal.value, signed)} (target "
                       f"{_pct(goal.target, signed)}{rule}) {verdict}")
            cls.append(c)
        rows.append(row)
        classes.append(cls)
    rows.append([term("co2"), *[f"{r.summary.goals.co2.co2_t_per_year:,.0f} t/year "
                                f"({_pct(r.summary.goals.co2.change, True)})" for r in results]])
    classes.append(["", *["num"] * len(results)])
    goals = Table(header, rows, "Goals side by side, final year.", classes)
    modes = Table(["Reisemiddel (mode)", *[r.name for r in results]],
                  [[term(m), *[_pct(r.summary.mode_shares.get(m)) for r in results]]
                   for m in SUMMARY_MODES],
                  "Mode shares side by side, final year.",
                  [["", *["num"] * len(results)] for _ in SUMMARY_MODES])
    figures = [Figure(compare_dir / name, f"{files}/compare/{name}", caption)
               for name, caption in COMPARE_PLOTS.items() if (compare_dir / name).is_file()]
    blocks: list[Block] = [goals, modes, *figures]
    for path in sorted(compare_dir.glob("difference_*.png")):
        blocks.append(Figure(path, f"{files}/compare/{path.name}",
                             "Forskjell mot referansen, bare mål som endret seg (per-cell "
                             "difference vs the reference, only measures that changed)"))
    note = compare_dir / "differences.txt"
    if note.is_file():
        blocks.append(note.read_text(encoding="utf-8").strip())
    return Section("Sammenligning (comparison)", blocks)


def interactive_section(results: list[Result]) -> Section:
    """The interactive map of every result (side by side when there are two or more)."""
    inputs = []
    for r in results:
        gpkg = r.path / "cells.gpkg"
        if not gpkg.is_file():
            continue
        cells = gpd.read_file(gpkg, layer="cells")
        inputs.append(MapInput(r.key, r.name, r.summary, cells, read_context(gpkg)))
    title = "Interaktivt kart (interactive map)"
    if not inputs:
        return Section(title, ["No per-cell layer (cells.gpkg) in the results: no map."])
    intro = ("Hold the mouse over a cell for its residents, walking distances, basket and "
             "its zone's mode shares; choose the measure and, with several results, the "
             "scenario of each side; switch layers on and off. Works offline; only the "
             "optional OpenStreetMap basemap loads tiles from the internet.")
    if any(i.summary.fully_synthetic for i in inputs):
        intro += " SYNTETISKE DATA (synthetic data): not Bærum."
    return Section(title, [intro, Html(interactive_map(inputs),
                                       "*Interaktivt kart: open report.html (interactive map "
                                       "in the HTML report only).*")])


def provenance_section(results: list[Result]) -> Section:
    """Where each layer comes from and how much it can be trusted."""
    intro = ("Status per data layer: real (ekte) = measured data; derived (avledet) = "
             "computed from real data; proxy (stedfortreder) = a stand-in for missing data; "
             "estimated (anslått) = an assumption; synthetic (syntetisk) = made up.")
    blocks: list[Block] = [intro, *provenance_tables(results)]
    for r in results:
        inputs = r.summary.manifest.inputs
        if inputs:
            blocks.append(Table(["Input", "sha256"], [[k, v] for k, v in inputs.items()],
                                f"Input files of {r.name} (reproduce with "
                                f"'baerum-sim rerun {r.path}')."))
    return Section("Datagrunnlag (data provenance)", blocks)


def build_sections(results: list[Result], files: str,
                   compare_dir: Path | None = None) -> list[Section]:
    """All sections of the report, in order; plot copies go under ``files``."""
    sections = [verdict_section([(r.name, r.summary) for r in results]),
                interactive_section(results),
                *[scenario_section(r, files) for r in results]]
    if compare_dir is not None:
        sections.append(comparison_section(results, compare_dir, files))
    sections.append(provenance_section(results))
    return sections


# --- entry point ----------------------------------------------------------------------


def write_report(results: list[Result], out: Path, date: str,
                 compare_dir: Path | None = None) -> Path:
    """Write ``report.html``, ``report.md`` and the PNG copies into directory ``out``.

    ``compare_dir`` is a comparison of the results inside ``out``
    (``report_files/compare``), or None. Returns the path of the HTML file.
    """
    files = "report_files"
    sections = build_sections(results, files, compare_dir)
    names = ", ".join(r.name for r in results)
    title = f"baerum-sim rapport (report): {names}"
    banner = warning_lines(results)
    for section in sections:
        for block in section.blocks:
            if isinstance(block, Figure) and not (out / block.name).exists():
                (out / block.name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(block.path, out / block.name)
    (out / "report.md").write_text(render_markdown(title, date, banner, sections),
                                   encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(render_html(title, date, banner, sections), encoding="utf-8")
    return html_path
