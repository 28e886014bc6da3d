"""What an ensemble says: per goal, how likely it holds, the spread of its value, and
which inputs drive it.

* probability: the share of members in which the goal holds;
* quantiles of the goal's value (5, 25, 50, 75 and 95 %);
* sensitivity per input: Spearman's rank correlation with the goal's value, and the
  variance share from a regression on ranks (the squared standardised rank regression
  coefficient; with independently drawn inputs the shares add up to the R² of that
  regression, the part of the spread the inputs explain monotonically).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.output.sweep_section import GoalEnsemble, Sensitivity
from sim.sweep.members import INPUT_PREFIX
from sim.vocab import GOALS

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def input_columns(table: pd.DataFrame) -> list[str]:
    """The input columns of a results table, in table order."""
    return [c for c in table.columns if c.startswith(INPUT_PREFIX)]


def _ranks(values: np.ndarray) -> np.ndarray:
    return np.asarray(stats.rankdata(values), dtype=float)


def _standardised(x: np.ndarray) -> np.ndarray | None:
    sd = x.std()
    return None if sd == 0 else (x - x.mean()) / sd


def sensitivity(inputs: pd.DataFrame, value: pd.Series) -> tuple[list[Sensitivity], float | None]:
    """Rank correlation and rank-regression variance share of each input, strongest first,
    and the R² of the rank regression (None when the value does not vary)."""
    ok = value.notna().to_numpy()
    y = _standardised(_ranks(value.to_numpy(float)[ok]))
    names = [c.removeprefix(INPUT_PREFIX) for c in inputs.columns]
    if y is None or ok.sum() < 3:
        return [Sensitivity(input=n, spearman=None, variance_share=None) for n in names], None
    cols = {n: _standardised(_ranks(inputs[c].to_numpy(float)[ok]))
            for n, c in zip(names, inputs.columns, strict=True)}
    varying = [n for n, x in cols.items() if x is not None]
    share: dict[str, float] = {}
    r2 = None
    if varying:
        xmat = np.column_stack([x for n in varying if (x := cols[n]) is not None])
        coef, *_ = np.linalg.lstsq(xmat, y, rcond=None)
        share = {n: float(c) ** 2 for n, c in zip(varying, coef, strict=True)}
        r2 = float(1.0 - np.mean((y - xmat @ coef) ** 2))
    out = []
    for n in names:
        x = cols[n]
        rho = None if x is None else float(np.mean(x * y))
        out.append(Sensitivity(input=n, spearman=rho, variance_share=share.get(n)))
    out.sort(key=lambda s: -abs(s.spearman or 0.0))
    return out, r2


def goal_ensemble(table: pd.DataFrame, goal: str) -> GoalEnsemble:
    """Probability, quantiles and sensitivity of one goal across the members."""
    value = pd.to_numeric(table[f"{goal}.value"], errors="coerce").astype(float)
    passed = table[f"{goal}.pass"].astype(bool)
    finite = value[np.isfinite(value)]
    quant = {f"p{round(q * 100):02d}": float(finite.quantile(q)) for q in QUANTILES} \
        if len(finite) else {}
    sens, r2 = sensitivity(table[input_columns(table)], value.where(np.isfinite(value)))
    return GoalEnsemble(
        probability=float(passed.mean()) if len(passed) else math.nan,
        members=len(table), value_mean=float(finite.mean()) if len(finite) else None,
        value_quantiles=quant, sensitivity=sens, rank_r2=r2,
        drivers=[s.input for s in sens if s.spearman is not None and abs(s.spearman) >= 0.1][:3],
    )


def ensemble_goals(table: pd.DataFrame) -> dict[str, GoalEnsemble]:
    """:func:`goal_ensemble` of every goal."""
    return {goal: goal_ensemble(table, goal) for goal in GOALS}


def input_ranges(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Drawn range of each input (min, median, max)."""
    return {c.removeprefix(INPUT_PREFIX): {"min": float(table[c].min()),
                                           "median": float(table[c].median()),
                                           "max": float(table[c].max())}
            for c in input_columns(table)}
