"""The sweep summary contract (``sweep.json``) and its report section.

A sweep (:mod:`sim.sweep`) writes :class:`SweepSummary`; this module reads it back and
turns it into a report :class:`~sim.output.report.Section` (verdict probabilities, value
quantiles, the inputs driving each goal, the tornado chart), rendered with the report's
own HTML and Markdown writers. Self-contained: it reads only ``sweep.json`` and the
PNGs beside it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from sim.errors import InputError
from sim.output.document import Figure, Html, Section, Table, render_html, render_markdown
from sim.vocab import GOALS, label

#: Version of the ``sweep.json`` layout.
SWEEP_SCHEMA_VERSION = 1
SWEEP_FILE = "sweep.json"
#: Figures of a sweep directory and their captions, in report order.
SWEEP_FIGURES = {
    "tornado.png": "Følsomhet (sensitivity): rank correlation of each input with each goal's "
                   "value (tornado chart)",
    "goal_values.png": "Spread of each goal's value across the members, with its target",
}


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Sensitivity(_Part):
    """How one input moves a goal's value: Spearman ρ and rank-regression variance share."""

    input: str
    spearman: float | None
    variance_share: float | None


class GoalEnsemble(_Part):
    """One goal across the members: probability it holds, spread and drivers."""

    probability: float
    members: int
    value_mean: float | None
    value_quantiles: dict[str, float]
    sensitivity: list[Sensitivity]
    rank_r2: float | None
    drivers: list[str]


class SweepInput(_Part):
    """An input of the sweep: target, distribution and the drawn range."""

    name: str
    target: str
    distribution: str
    parameters: dict[str, Any]
    drawn: dict[str, float]


class SweepSummary(_Part):
    """``sweep.json``: what the ensemble says."""

    schema_version: int = SWEEP_SCHEMA_VERSION
    name: str
    description: str
    region: str
    data_status: str
    method: str
    seed: int
    members: int
    scenarios: list[str]
    spec_sha256: str
    inputs: list[SweepInput]
    goals: dict[str, GoalEnsemble]
    ran_on: str
    created: str


def is_sweep_dir(path: Path) -> bool:
    """Whether ``path`` is a sweep's output directory."""
    return (Path(path) / SWEEP_FILE).is_file()


def read_sweep_summary(path: Path) -> SweepSummary:
    """Read ``<path>/sweep.json``; :class:`InputError` when missing or of another version."""
    file = Path(path) / SWEEP_FILE
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{file}: not found (not a sweep directory)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{file}: cannot read ({exc})") from None
    if data.get("schema_version") != SWEEP_SCHEMA_VERSION:
        raise InputError(f"{file}: schema_version {data.get('schema_version')!r}, expected "
                         f"{SWEEP_SCHEMA_VERSION}")
    try:
        return SweepSummary.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{file}: {exc.errors()[0]['msg']}") from None


def format_goal_value(goal: str, value: float | None) -> str:
    """A goal's value as a planner reads it: shares in %, nullvekst as a signed change."""
    if value is None:
        return "–"
    return f"{value:+.1%}" if goal == "nullvekst" else f"{value:.1%}"


def drivers_sentence(summary: SweepSummary, goal: str = "nullvekst") -> str:
    """Which inputs drive a goal's value most, in words."""
    ens = summary.goals[goal]
    strong = [s for s in ens.sensitivity if s.spearman is not None][:3]
    if not strong:
        return f"The value of {label(goal)} does not vary across the members."
    parts = [f"{s.input} (ρ = {s.spearman:+.2f}, variance share {s.variance_share or 0:.0%})"
             for s in strong]
    return (f"{label(goal, capital=True)} is driven most by " + "; then ".join(parts)
            + (f" (rank regression R² = {ens.rank_r2:.2f})." if ens.rank_r2 is not None
               else "."))


def _goal_table(summary: SweepSummary) -> Table:
    rows = []
    for goal in GOALS:
        ens = summary.goals[goal]
        q = ens.value_quantiles
        rows.append([label(goal, capital=True), f"{ens.probability:.0%}",
                     *(format_goal_value(goal, q.get(k)) for k in ("p05", "p50", "p95")),
                     ", ".join(ens.drivers) or "–"])
    return Table(["goal", "P(goal holds)", "value 5 %", "median", "value 95 %",
                  "inputs driving the value"], rows,
                 caption=f"{summary.members} members; probability = share of members "
                         "in which the goal holds")


def _sensitivity_table(summary: SweepSummary) -> Table:
    rows = []
    for item in summary.inputs:
        cells = [item.name, f"{item.distribution} {item.drawn.get('min', 0):g}–"
                 f"{item.drawn.get('max', 0):g}"]
        for goal in GOALS:
            found = [s for s in summary.goals[goal].sensitivity if s.input == item.name]
            rho = found[0].spearman if found else None
            cells.append("–" if rho is None else f"{rho:+.2f}")
        rows.append(cells)
    return Table(["input", "drawn", *(f"ρ {label(g, short=True)}" for g in GOALS)], rows,
                 caption="Spearman rank correlation of each input with each goal's value")


def sweep_section(sweep_dir: Path, files: str = "report_files") -> Section:
    """The report section of a sweep: probabilities, quantiles, drivers and charts."""
    summary = read_sweep_summary(sweep_dir)
    blocks: list[str | Table | Figure | Html] = [
        f"{summary.members} members ({summary.method}, seed {summary.seed}) over "
        f"{len(summary.inputs)} inputs; scenario file(s) {', '.join(summary.scenarios)}; "
        f"region {summary.region} (data: {summary.data_status}).",
        _goal_table(summary), drivers_sentence(summary), _sensitivity_table(summary)]
    for name, caption in SWEEP_FIGURES.items():
        if (Path(sweep_dir) / name).is_file():
            blocks.append(Figure(Path(sweep_dir) / name, f"{files}/sweep_{summary.name}/{name}",
                                 caption))
    return Section(f"Ensemble (sweep) {summary.name}", blocks)


def write_sweep_report(sweep_dir: Path, out: Path, date: str) -> Path:
    """``report.html`` and ``report.md`` of one sweep into directory ``out``."""
    summary = read_sweep_summary(sweep_dir)
    section = sweep_section(sweep_dir)
    banner = [] if summary.data_status == "real" else [
        f"Region {summary.region}: data status {summary.data_status}; the numbers rest on "
        "synthetic, proxy or estimated inputs" + (" and are NOT Bærum data"
                                                   if summary.data_status == "synthetic"
                                                   else "")]
    for block in section.blocks:
        if isinstance(block, Figure):
            (out / block.name).parent.mkdir(parents=True, exist_ok=True)
            (out / block.name).write_bytes(block.path.read_bytes())
    title = f"baerum-sim ensemble (sweep): {summary.name}"
    (out / "report.md").write_text(render_markdown(title, date, banner, [section]),
                                   encoding="utf-8")
    html_path = out / "report.html"
    html_path.write_text(render_html(title, date, banner, [section]), encoding="utf-8")
    return html_path
