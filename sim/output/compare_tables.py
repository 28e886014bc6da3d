"""Tables of a comparison: the results read back, per-cell differences, trajectories.

Used by the comparison driver (:mod:`sim.output.compare`) and its plots.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.output.context import MapContext, read_context
from sim.output.style import GOAL_LABELS, MODE_COLOURS, weighted_cdf
from sim.output.summary import Summary, read_summary
from sim.vocab import EVERYDAY_FUNCTIONS, GROUPS

#: Output files besides ``compare.json``, ``compare.csv`` and the difference maps
#: (``difference_<scenario>.png``, one per scenario with changes), with report captions.
COMPARE_PLOTS = {
    "goals_compare.png": "Målene side om side (goals side by side; value, margin, FAIL marked)",
    "mode_shares_compare.png": "Reisemiddelfordeling side om side (mode shares side by side)",
    "access_cdf_compare.png": "Gangavstand til hverdagsfunksjoner (walking distance CDFs, "
                              "resident-weighted)",
    "basket_groups_compare.png": "Kortreist hverdag per gruppe (basket share by group)",
    "nullvekst_compare.png": "Nullvekst: bil-km-indeks og andel av veksten "
                             "(car vehicle-km index and share of growth by walk/bike/PT)",
}

#: Columns of the difference maps: residents, functions within threshold, distances.
DIFF_COLUMNS = ("residents", "n_within", *(f"dist_{f}" for f in EVERYDAY_FUNCTIONS))
#: Distances beyond this (or unreachable) are shown as this, metres.
DIST_CAP_M = 5000.0

_CELL_COLUMNS = ("cell_id", *DIFF_COLUMNS)


@dataclass
class CompareInput:
    """One result to compare: its directory, display name, summary and cells."""

    path: Path
    name: str
    summary: Summary
    cells: gpd.GeoDataFrame
    context: MapContext


def _read_cells(result_dir: Path) -> gpd.GeoDataFrame:
    """The ``cells`` layer of ``cells.gpkg`` (:class:`InputError` if absent or incomplete)."""
    path = result_dir / "cells.gpkg"
    if not path.is_file():
        raise InputError(f"{path}: missing; compare needs the per-cell layer of each result")
    try:
        cells = gpd.read_file(path, layer="cells")
    except Exception as exc:  # any reader failure is bad input
        raise InputError(f"{path}: cannot read layer 'cells' ({exc})".replace("\n", " ")) from None
    missing = [c for c in _CELL_COLUMNS if c not in cells.columns]
    if missing:
        raise InputError(f"{path}: layer 'cells' lacks column(s) {', '.join(missing)}")
    return cells


def load_inputs(result_dirs: list[Path]) -> list[CompareInput]:
    """Read and check the results; names are made unique with the directory name."""
    if len(result_dirs) < 2:
        raise InputError("compare: give at least two results directories "
                         f"(got {len(result_dirs)})")
    for d in result_dirs:
        if not Path(d).is_dir():
            raise InputError(f"{d}: no such results directory")
    summaries = [read_summary(Path(d)) for d in result_dirs]
    regions = [s.scenario.region for s in summaries]
    for d, region in zip(result_dirs[1:], regions[1:], strict=True):
        if region != regions[0]:
            raise InputError(f"compare: results of different regions cannot be compared: "
                             f"{result_dirs[0]} is region {regions[0]!r}, {d} is {region!r}")
    names = [s.scenario.name for s in summaries]
    names = [f"{n} ({Path(d).name})" if names.count(n) > 1 else n
             for n, d in zip(names, result_dirs, strict=True)]
    if len(set(names)) < len(names):
        names = [f"{n} #{i + 1}" for i, n in enumerate(names)]
    return [CompareInput(Path(d), n, s, _read_cells(Path(d)),
                         read_context(Path(d) / "cells.gpkg"))
            for d, n, s in zip(result_dirs, names, summaries, strict=True)]


# --------------------------------------------------------------------------- tables


def cell_differences(reference: pd.DataFrame, other: pd.DataFrame, column: str,
                     cap: float | None = None) -> pd.DataFrame:
    """Per-cell difference ``other − reference`` of ``column``, cells matched on ``cell_id``.

    Parameters
    ----------
    reference, other
        Cell tables (e.g. ``cells.gpkg`` layers) with ``cell_id``, ``residents``, ``column``.
    column
        Column to difference, e.g. ``n_within`` or ``dist_transit_stop``.
    cap
        Clip both values to at most ``cap`` first (for distances; ``None``: no clipping).

    Returns
    -------
    pandas.DataFrame
        ``cell_id``, ``reference``, ``other``, ``difference``, ``residents_reference``,
        ``residents_other`` and, when ``reference`` has geometry, centroid ``x``/``y``;
        only cells with residents in either result.
    """
    a = pd.DataFrame({"cell_id": reference["cell_id"].to_numpy(),
                      "reference": reference[column].to_numpy(float),
                      "residents_reference": reference["residents"].to_numpy(float)})
    if isinstance(reference, gpd.GeoDataFrame):
        centroids = reference.geometry.centroid
        a["x"], a["y"] = centroids.x.to_numpy(), centroids.y.to_numpy()
    b = pd.DataFrame({"cell_id": other["cell_id"].to_numpy(),
                      "other": other[column].to_numpy(float),
                      "residents_other": other["residents"].to_numpy(float)})
    table = a.merge(b, on="cell_id", how="inner", validate="one_to_one")
    if cap is not None:
        table["reference"] = table["reference"].clip(upper=cap)
        table["other"] = table["other"].clip(upper=cap)
    table = table[(table.residents_reference > 0) | (table.residents_other > 0)]
    table.insert(3, "difference", table["other"] - table["reference"])
    cols = ["cell_id", "reference", "other", "difference", "residents_reference",
            "residents_other", *[c for c in ("x", "y") if c in table]]
    return table[cols].reset_index(drop=True)


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float | None:
    x, cum = weighted_cdf(values, weights)
    if not len(x) or cum[-1] <= 0:
        return None
    return float(x[min(int(np.searchsorted(cum, q)), len(x) - 1)])


def access_summary(inp: CompareInput) -> dict[str, dict[str, Any]]:
    """Per function: share within threshold, threshold and weighted median/p90 distance."""
    w = inp.cells["residents"].to_numpy(float)
    out = {}
    for f in EVERYDAY_FUNCTIONS:
        d = np.minimum(inp.cells[f"dist_{f}"].to_numpy(float), DIST_CAP_M)
        acc = inp.summary.access[f]
        out[f] = {"share_within": acc.share_within,
                  "threshold_m": acc.threshold_m,
                  "mean_distance_m": acc.mean_distance_m,
                  "median_distance_m": _weighted_quantile(d, w, 0.5),
                  "p90_distance_m": _weighted_quantile(d, w, 0.9)}
    return out


def nullvekst_trajectory(summary: Summary) -> list[dict[str, Any]]:
    """Car vehicle-km index per modelled year (reference year = exactly 100).

    Target-year stages use ``100 * (1 + change)`` from ``goals.nullvekst.stages``;
    other modelled years use their ``car_vkm`` over ``car_vkm_reference``.
    """
    goal = summary.goals.nullvekst
    ref_year = goal.reference_year
    ref = goal.car_vkm_reference
    points: dict[int, dict[str, Any]] = {
        ref_year: {"year": ref_year, "index": 100.0, "stage": False,
                   "growth_share_walk_bike_pt": None}}
    for y, row in summary.years.items():
        if int(y) != ref_year and ref:
            points[int(y)] = {"year": int(y), "index": 100.0 * row.car_vkm / ref,
                              "stage": False, "growth_share_walk_bike_pt": None}
    for stage in goal.stages:
        points[stage.year] = {
            "year": stage.year, "index": 100.0 * (1.0 + stage.change), "stage": True,
            "growth_share_walk_bike_pt": stage.growth_share_walk_bike_pt}
    return [points[y] for y in sorted(points)]


def comparison_table(summaries: list[Summary]) -> list[dict[str, Any]]:
    """One flat row per result: goals (value, target, verdict, margin), shares, car-km change."""
    rows = []
    for s in summaries:
        row: dict[str, Any] = {"scenario": s.scenario.name, "region": s.scenario.region,
                               "synthetic": s.synthetic, "data_status": s.data_status,
                               "data_note": s.data_note}
        for key in GOAL_LABELS:
            goal = getattr(s.goals, key)
            row[f"{key}_value"] = goal.value
            row[f"{key}_target"] = goal.target
            row[f"{key}_pass"] = goal.passed
            row[f"{key}_margin"] = goal.margin
            basis = goal.data_basis
            for part in ("proxy", "estimated", "synthetic"):
                row[f"{key}_{part}_share"] = getattr(basis, f"{part}_share") if basis else None
        placement = s.goals.placement
        row["placement_rule"] = placement.rule
        row["placement_dwellings_share"] = placement.dwellings_share
        row["placement_jobs_share"] = placement.jobs_share
        row["placement_rule_breaks"] = "; ".join(placement.rule_breaks)
        row["kortreist_existing_base"] = s.goals.kortreist.base_year_value
        row["green_share_bike"] = s.goals.green_share.bike_share
        row["co2_t_per_year"] = s.goals.co2.co2_t_per_year
        row["co2_change"] = s.goals.co2.change
        row.update({f"share_{m}": s.mode_shares[m] for m in MODE_COLOURS})
        row.update({f"basket_{g}": s.basket.groups[g].basket_share for g in GROUPS})
        row["car_vkm_change_final"] = s.goals.nullvekst.value
        rows.append(row)
    return rows


def difference_stats(table: pd.DataFrame, column: str) -> dict[str, Any]:
    """Cells compared, mean difference and cells higher/lower than the reference.

    ``cells_better``/``cells_worse`` are given for ``n_within`` (higher is better) and
    distances (lower is better), not for ``residents``.
    """
    d = table["difference"].to_numpy(float)
    d = d[np.isfinite(d)]
    stats: dict[str, Any] = {"cells": len(table),
                             "mean_difference": float(d.mean()) if d.size else None,
                             "cells_higher": int((d > 0).sum()),
                             "cells_lower": int((d < 0).sum())}
    if column != "residents":
        better_higher = column == "n_within"
        stats["cells_better"] = stats["cells_higher" if better_higher else "cells_lower"]
        stats["cells_worse"] = stats["cells_lower" if better_higher else "cells_higher"]
    return stats
