"""The verdict sheet at the top of the report: one printed A4 page.

Per scenario and goal: pass or fail, value against target, the margin, and one line
on what drives the result; below, the data caveats in one line. Goals are taken from
:data:`sim.vocab.GOALS`, so a goal added there gets a column here; a goal without an
entry in :data:`DRIVERS` shows its value against its target only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sim.output.document import Section, Table
from sim.output.summary import Summary
from sim.vocab import GOALS, WEAK_STATUSES, label


def _num(value: Any, fmt: str) -> str:
    return fmt.format(value) if isinstance(value, int | float) else "–"


def _placement(goal: Any) -> str:
    line = (f"{_num(goal.dwellings_share, '{:.0%}')} av {goal.new_dwellings:,.0f} nye boliger "
            f"og {_num(goal.jobs_share, '{:.0%}')} av {goal.new_jobs:,.0f} nye jobber i "
            "prioriterte områder (of new homes and jobs in priority areas)")
    if goal.rule_breaks:
        line += f"; {len(goal.rule_breaks)} regelbrudd (rule breaks)"
    return line


def _nullvekst(goal: Any) -> str:
    share = goal.growth_share_walk_bike_pt
    return (f"bil-km {_num(goal.value, '{:+.1%}')} mot {goal.reference_year} (car-km vs "
            f"{goal.reference_year}); gange/sykkel/kollektiv tar "
            f"{_num(share, '{:.0%}')} av trafikkveksten (walk/bike/PT share of trip growth)")


def _kortreist(goal: Any) -> str:
    shares = {k: v for k, v in goal.share_per_function.items() if v is not None}
    if not shares:
        return "ingen funksjoner (no functions)"
    weakest = min(shares, key=lambda k: shares[k])
    return (f"svakeste ledd (weakest link): {label(weakest)} "
            f"{shares[weakest]:.0%} innen gangavstand; "
            f"basisår (base year) {_num(goal.base_year_value, '{:.1%}')}")


#: One line on what drives each goal's result (goals without an entry get none).
DRIVERS: dict[str, Callable[[Any], str]] = {
    "placement": _placement, "nullvekst": _nullvekst, "kortreist": _kortreist,
}


def _cell(key: str, goal: Any) -> tuple[str, str]:
    signed = key == "nullvekst"
    fmt = "{:+.1%}" if signed else "{:.1%}"
    verdict, cls = (("✔ OPPFYLT (pass)", "pass") if goal.passed
                    else ("✘ IKKE OPPFYLT (fail)", "fail"))
    margin = _num(None if goal.margin is None else 100 * goal.margin, "{:+.1f} pp")
    text = (f"{verdict} — {_num(goal.value, fmt)} (mål/target {_num(goal.target, fmt)}, "
            f"margin {margin})")
    driver = DRIVERS.get(key)
    if driver is not None:
        text += f". {driver(goal)}"
    return text, cls


def caveat_line(summaries: list[tuple[str, Summary]]) -> str:
    """The data caveats of all results in one line."""
    synthetic = [name for name, s in summaries if s.fully_synthetic]
    if synthetic:
        return ("SYNTETISKE DATA (synthetic data): " + ", ".join(synthetic)
                + " rest on a made-up region; the numbers say nothing about Bærum.")
    weak: dict[str, str] = {}
    for _, s in summaries:
        for name, info in s.manifest.data.layers.items():
            if info.status in WEAK_STATUSES:
                weak[name] = info.status
    if not weak:
        return "Datagrunnlag (data): every layer is real or derived from real data."
    by_status: dict[str, list[str]] = {}
    for name, status in sorted(weak.items()):
        by_status.setdefault(status, []).append(name)
    return ("Forbehold (caveat): " + "; ".join(
        f"{label(s)}: {', '.join(names)}" for s, names in sorted(by_status.items()))
        + " — see the data section.")


def verdict_section(summaries: list[tuple[str, Summary]]) -> Section:
    """The verdict sheet: a table scenario × goal and the caveat line."""
    rows, classes = [], []
    for name, s in summaries:
        row, cls = [f"{name} ({s.scenario.final_year})"], [""]
        for key in GOALS:
            goal = getattr(s.goals, key, None)
            text, c = _cell(key, goal) if goal is not None else ("–", "")
            row.append(text)
            cls.append(c)
        rows.append(row)
        classes.append(cls)
    n_pass = sum(c.count("pass") for c in classes)
    n_all = sum(len(c) - 1 for c in classes)
    table = Table(["Scenario", *[label(k, capital=True) for k in GOALS]], rows,
                  f"{n_pass} av {n_all} mål oppfylt (goals met); margin = how far the "
                  "value is on the right side of the target (pp = percentage points).",
                  classes)
    return Section("Konklusjon (verdict)", [table, caveat_line(summaries)],
                   css_class="verdict")
