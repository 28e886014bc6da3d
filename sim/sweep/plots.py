"""Charts of a sweep: the tornado chart of input sensitivities, and each goal's spread.

Every chart made from synthetic or proxy data says so in its title.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.output.style import FAIL_COLOUR, GOAL_LABELS, PASS_COLOUR, save, synthetic_tag
from sim.output.sweep_section import GoalEnsemble, SweepSummary, format_goal_value
from sim.vocab import GOALS


def _wrapped(title: str, width: int = 38) -> str:
    """A goal's long bilingual label over lines, so that neighbouring panels do not overlap."""
    return "\n".join(textwrap.wrap(title, width))

def tornado_png(summary: SweepSummary, path: Path) -> Path:
    """One panel per goal: Spearman ρ of each input with the goal's value, strongest on top.

    Bars right of zero: a higher input raises the goal's value (for nullvekst: more car
    traffic growth). Inputs that do not move a goal at all show no bar.
    """
    fig, axes = plt.subplots(1, len(GOALS), figsize=(4.2 * len(GOALS), 0.5 * max(
        3, len(summary.inputs)) + 1.6), sharey=False)
    for ax, goal in zip(np.atleast_1d(axes), GOALS, strict=True):
        ens: GoalEnsemble = summary.goals[goal]
        items = [s for s in ens.sensitivity][::-1]  # strongest at the top
        rho = np.array([s.spearman if s.spearman is not None else 0.0 for s in items])
        colours = [FAIL_COLOUR if r > 0 else PASS_COLOUR for r in rho]
        if goal != "nullvekst":  # for shares, higher is better
            colours = [PASS_COLOUR if r > 0 else FAIL_COLOUR for r in rho]
        ax.barh([s.input for s in items], rho, color=colours)
        ax.axvline(0, color="#444", lw=0.8)
        ax.set_xlim(-1, 1)
        ax.set_xlabel("Spearman ρ with the goal's value")
        ax.set_title(f"{_wrapped(GOAL_LABELS[goal])}\nP(holds) = {ens.probability:.0%}",
                     fontsize=10)
        ax.tick_params(axis="y", labelsize=8)
    fig.suptitle(f"Sweep {summary.name}: what drives each goal ({summary.members} members)"
                 + synthetic_tag(summary.data_status), fontsize=11)
    fig.tight_layout()
    return save(fig, path)


def _target(table: pd.DataFrame, goal: str) -> float | None:
    """A goal's target: 0 change for nullvekst, else value minus margin (the same in
    every member unless an input moved it; the median is drawn)."""
    if goal == "nullvekst":
        return 0.0
    diff = (pd.to_numeric(table[f"{goal}.value"], errors="coerce")
            - pd.to_numeric(table[f"{goal}.margin"], errors="coerce")).dropna()
    return float(diff.median()) if len(diff) else None


def goal_values_png(summary: SweepSummary, table: pd.DataFrame, path: Path) -> Path:
    """One histogram per goal of its value across the members, with the target line."""
    fig, axes = plt.subplots(1, len(GOALS), figsize=(4.2 * len(GOALS), 3.4))
    for ax, goal in zip(np.atleast_1d(axes), GOALS, strict=True):
        values = pd.to_numeric(table[f"{goal}.value"], errors="coerce").to_numpy(float)
        passed = table[f"{goal}.pass"].to_numpy(bool)
        finite = np.isfinite(values)
        bins = np.histogram_bin_edges(values[finite], bins=min(20, max(5, finite.sum() // 3))) \
            if finite.any() and np.ptp(values[finite]) > 0 else 10
        ax.hist([values[finite & passed], values[finite & ~passed]], bins=bins, stacked=True,
                color=[PASS_COLOUR, FAIL_COLOUR], label=["holds", "fails"])
        target = _target(table, goal)
        if target is not None:
            ax.axvline(target, color="#222", ls="--", lw=1, label="target")
        ens = summary.goals[goal]
        q = ens.value_quantiles
        median = format_goal_value(goal, q.get("p50"))
        ax.set_title(f"{_wrapped(GOAL_LABELS[goal])}\nmedian {median}, "
                     f"P(holds) = {ens.probability:.0%}", fontsize=10)
        ax.set_ylabel("members")
        ax.legend(fontsize=8)
    fig.suptitle(f"Sweep {summary.name}: goal values across members"
                 + synthetic_tag(summary.data_status), fontsize=11)
    fig.tight_layout()
    return save(fig, path)
