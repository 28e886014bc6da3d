"""Compare two or more results side by side; the first result is the reference.

Writes, into one directory that appears only when complete:

- ``goals_compare.png``: goal dashboard, value and margin per scenario, FAIL marked,
  rule breaks of the placement goal listed;
- ``mode_shares_compare.png``: mode shares of the final year;
- ``access_cdf_compare.png``: resident-weighted CDFs of walking distance per function;
- ``basket_groups_compare.png``: basket share of existing, new and all residents;
- ``nullvekst_compare.png``: car vehicle-km index (reference year = 100) and the share
  of trip growth taken by walking, cycling and PT per stage;
- ``difference_maps_compare.png``: per-cell difference (scenario − reference) of
  ``n_within`` and of the walking distance to each function;
- ``compare.json`` (one object per scenario) and ``compare.csv`` (one row per scenario).

Every figure says so when any input rests on synthetic data.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import geopandas as gpd
import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from sim import settings
from sim.errors import InputError
from sim.plots import (
    GOAL_LABELS,
    MODE_COLOURS,
    CellGrid,
    stacked_mode_bars,
    synthetic_tag,
    weighted_cdf,
)
from sim.region import EVERYDAY_FUNCTIONS
from sim.results import _clean, _replace_dir, read_summary

#: Output files besides ``compare.json`` and ``compare.csv``, with report captions.
COMPARE_PLOTS = {
    "goals_compare.png": "Målene side om side (goals side by side; value, margin, FAIL marked)",
    "mode_shares_compare.png": "Reisemiddelfordeling side om side (mode shares side by side)",
    "access_cdf_compare.png": "Gangavstand til hverdagsfunksjoner (walking distance CDFs, "
                              "resident-weighted)",
    "basket_groups_compare.png": "Kortreist hverdag per gruppe (basket share by group)",
    "nullvekst_compare.png": "Nullvekst: bil-km-indeks og andel av veksten "
                             "(car vehicle-km index and share of growth by walk/bike/PT)",
    "difference_maps_compare.png": "Forskjell mot referansen per rute (per-cell difference "
                                   "vs the reference scenario)",
}

FUNCTION_LABELS = {
    "grocery": "dagligvare (grocery)",
    "school": "skole (school)",
    "kindergarten": "barnehage (kindergarten)",
    "recreation": "friområde (recreation)",
    "transit_stop": "holdeplass (transit stop)",
}
GROUP_LABELS = {
    "existing": "eksisterende (existing residents)",
    "new": "nye (new residents)",
    "everyone": "alle (everyone)",
}
#: Columns of the difference maps: residents, functions within threshold, distances.
DIFF_COLUMNS = ("residents", "n_within", *(f"dist_{f}" for f in EVERYDAY_FUNCTIONS))
#: Distances beyond this (or unreachable) are shown as this, metres.
DIST_CAP_M = 5000.0
#: Scenario colours (the reference is the first).
SCENARIO_COLOURS = ("#222222", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                    "#17becf", "#bcbd22", "#7f7f7f")
PASS_COLOUR, FAIL_COLOUR = "#2ca02c", "#d62728"

_CELL_COLUMNS = ("cell_id", *DIFF_COLUMNS)


@dataclass
class CompareInput:
    """One result to compare: its directory, display name, summary and cells."""

    path: Path
    name: str
    summary: dict[str, Any]
    cells: gpd.GeoDataFrame


def _colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


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
    for d, s in zip(result_dirs, summaries, strict=True):
        if not isinstance(s.get("scenario"), dict) or "goals" not in s:
            raise InputError(f"{Path(d) / 'summary.json'}: not a baerum-sim result summary")
    regions = [s["scenario"].get("region") for s in summaries]
    for d, region in zip(result_dirs[1:], regions[1:], strict=True):
        if region != regions[0]:
            raise InputError(f"compare: results of different regions cannot be compared: "
                             f"{result_dirs[0]} is region {regions[0]!r}, {d} is {region!r}")
    names = [str(s["scenario"]["name"]) for s in summaries]
    names = [f"{n} ({Path(d).name})" if names.count(n) > 1 else n
             for n, d in zip(names, result_dirs, strict=True)]
    if len(set(names)) < len(names):
        names = [f"{n} #{i + 1}" for i, n in enumerate(names)]
    return [CompareInput(Path(d), n, s, _read_cells(Path(d)))
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
    return float(x[min(np.searchsorted(cum, q), len(x) - 1)])


def access_summary(inp: CompareInput) -> dict[str, dict[str, Any]]:
    """Per function: share within threshold, threshold and weighted median/p90 distance."""
    w = inp.cells["residents"].to_numpy(float)
    out = {}
    for f in EVERYDAY_FUNCTIONS:
        d = np.minimum(inp.cells[f"dist_{f}"].to_numpy(float), DIST_CAP_M)
        acc = inp.summary.get("access", {}).get(f, {})
        out[f] = {"share_within": acc.get("share_within"),
                  "threshold_m": acc.get("threshold_m"),
                  "mean_distance_m": acc.get("mean_distance_m"),
                  "median_distance_m": _weighted_quantile(d, w, 0.5),
                  "p90_distance_m": _weighted_quantile(d, w, 0.9)}
    return out


def nullvekst_trajectory(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Car vehicle-km index per modelled year (reference year = exactly 100).

    Target-year stages use ``100 * (1 + change)`` from ``goals.nullvekst.stages``;
    other modelled years use their ``car_vkm`` over ``car_vkm_reference``.
    """
    goal = summary["goals"]["nullvekst"]
    ref_year = int(goal["reference_year"])
    ref = goal.get("car_vkm_reference")
    points: dict[int, dict[str, Any]] = {
        ref_year: {"year": ref_year, "index": 100.0, "stage": False,
                   "growth_share_walk_bike_pt": None}}
    for y, row in summary.get("years", {}).items():
        if int(y) != ref_year and ref and row.get("car_vkm") is not None:
            points[int(y)] = {"year": int(y), "index": 100.0 * row["car_vkm"] / ref,
                              "stage": False, "growth_share_walk_bike_pt": None}
    for stage in goal.get("stages", []):
        points[int(stage["year"])] = {
            "year": int(stage["year"]), "index": 100.0 * (1.0 + stage["change"]), "stage": True,
            "growth_share_walk_bike_pt": stage.get("growth_share_walk_bike_pt")}
    return [points[y] for y in sorted(points)]


def comparison_table(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per result: goals (value, target, verdict, margin), shares, car-km change."""
    rows = []
    for s in summaries:
        row: dict[str, Any] = {"scenario": s["scenario"]["name"],
                               "region": s["scenario"].get("region"),
                               "synthetic": s["synthetic"],
                               "data_status": s.get("data_status", ""),
                               "data_note": s.get("data_note", "")}
        for key in GOAL_LABELS:
            goal = s["goals"][key]
            row[f"{key}_value"] = goal["value"]
            row[f"{key}_target"] = goal["target"]
            row[f"{key}_pass"] = goal["pass"]
            row[f"{key}_margin"] = goal.get("margin", goal["value"] - goal["target"]
                                            if key != "nullvekst" else -goal["value"])
        row["placement_rule_breaks"] = "; ".join(s["goals"]["placement"].get("rule_breaks", []))
        row.update({f"share_{m}": s["mode_shares"][m] for m in MODE_COLOURS})
        groups = s.get("basket", {}).get("groups", {})
        row.update({f"basket_{g}": groups.get(g, {}).get("basket_share") for g in GROUP_LABELS})
        row["car_vkm_change_final"] = s["goals"]["nullvekst"]["value"]
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


# --------------------------------------------------------------------------- plots


def _save(fig: plt.Figure, path: Path) -> None:
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def _pct(v: float, signed: bool = False) -> str:
    return f"{v:+.1%}" if signed else f"{v:.1%}"


def plot_goals(inputs: list[CompareInput], path: Path, tag: str) -> Path:
    """Goal dashboard: bars per scenario, value and margin annotated, FAIL hatched in red."""
    names = [i.name for i in inputs]
    fig, axes = plt.subplots(1, 3, figsize=(max(12, 3 * len(names) + 3), 4.4))
    for ax, (key, label) in zip(axes, GOAL_LABELS.items(), strict=True):
        goals = [i.summary["goals"][key] for i in inputs]
        values = np.array([g["value"] for g in goals], float)
        targets = np.array([g["target"] for g in goals], float)
        passes = [bool(g["pass"]) for g in goals]
        x = np.arange(len(names))
        ax.bar(x, values, color=[PASS_COLOUR if p else FAIL_COLOUR for p in passes],
               hatch=[None if p else "//" for p in passes], edgecolor="black", linewidth=0.6)
        for i, t in enumerate(targets):
            ax.hlines(t, i - 0.4, i + 0.4, colors="black", linestyles="--", linewidth=1)
        lo = min(0.0, values.min(), targets.min())
        hi = max(0.0, values.max(), targets.max(), 0.01)
        span = hi - lo
        ax.set_ylim(lo - 0.12 * span, hi + 0.35 * span)
        signed = key == "nullvekst"
        for i, g in enumerate(goals):
            margin = g.get("margin", 0.0)
            verdict = "PASS" if passes[i] else "FAIL"
            if key == "placement" and not passes[i] and g.get("rule_breaks") and margin >= 0:
                verdict = "FAIL (rule break)"
            top = max(values[i], targets[i], 0.0)
            ax.text(i, top + 0.03 * span, f"{verdict}\n{_pct(values[i], signed)}\n"
                    f"margin {100 * margin:+.1f} pp", ha="center", va="bottom", fontsize=7,
                    color="black" if passes[i] else FAIL_COLOUR,
                    fontweight="normal" if passes[i] else "bold")
        ax.set_xticks(x, names)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_title(label, fontsize=9)
    breaks = [f"{i.name}: {b}" for i in inputs
              for b in i.summary["goals"]["placement"].get("rule_breaks", [])]
    axes[0].text(0.0, -0.25, "Regelbrudd (rule breaks):\n" + ("\n".join(breaks) or "none"),
                 transform=axes[0].transAxes, va="top", ha="left", fontsize=7.5,
                 color=FAIL_COLOUR if breaks else "black")
    fig.suptitle(f"Mål (goals), final year: green = holds, red hatched = FAIL, "
                 f"dashed = target{tag}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


def plot_mode_shares(inputs: list[CompareInput], path: Path, tag: str) -> Path:
    """Stacked mode-share bars of the final year per scenario."""
    names = [i.name for i in inputs]
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 4, 4))
    stacked_mode_bars(ax, names, [i.summary["mode_shares"] for i in inputs])
    ax.set_title(f"Reisemiddelfordeling (mode shares), final year{tag}", fontsize=9)
    _save(fig, path)
    return path


def plot_access_cdfs(inputs: list[CompareInput], path: Path, tag: str) -> Path:
    """Per function, the resident-weighted CDF of walking distance of every scenario."""
    fig, axes = plt.subplots(1, len(EVERYDAY_FUNCTIONS), figsize=(17, 3.9), sharey=True)
    for ax, f in zip(axes, EVERYDAY_FUNCTIONS, strict=True):
        thresholds = set()
        for k, inp in enumerate(inputs):
            d = np.minimum(inp.cells[f"dist_{f}"].to_numpy(float), DIST_CAP_M)
            x, cum = weighted_cdf(d, inp.cells["residents"].to_numpy(float))
            if not len(x) or cum[-1] <= 0:
                continue
            share = inp.summary.get("access", {}).get(f, {}).get("share_within")
            label = inp.name + (f": {share:.0%} within" if share is not None else "")
            ax.step(np.r_[0.0, x], np.r_[0.0, cum], where="post", color=_colour(k),
                    linewidth=2.0 if k == 0 else 1.3, label=label)
            t = inp.summary.get("access", {}).get(f, {}).get("threshold_m")
            if t is not None:
                thresholds.add(float(t))
        for t in sorted(thresholds):
            ax.axvline(t, color="grey", linestyle="--", linewidth=1)
            ax.text(t, 0.02, f" {t:.0f} m", fontsize=7, color="grey", va="bottom")
        ax.set_xlim(0, max(3000.0, 3 * max(thresholds, default=0.0)))
        ax.set_ylim(0, 1)
        ax.set_title(FUNCTION_LABELS.get(f, f) + " (dashed: terskel/threshold)", fontsize=8)
        ax.set_xlabel("gangavstand (walking distance, m)", fontsize=8)
        ax.legend(fontsize=6.5, loc="lower right")
    axes[0].set_ylabel("andel bosatte (share of residents)")
    fig.suptitle(f"Gangavstand til hverdagsfunksjoner (walking distance, final year; "
                 f"weights = residents){tag}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


def plot_basket_groups(inputs: list[CompareInput], path: Path, tag: str) -> Path:
    """Grouped bars: basket share of existing, new and all residents per scenario."""
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(inputs) * 3), 4))
    width = 0.8 / len(inputs)
    x = np.arange(len(GROUP_LABELS))
    for k, inp in enumerate(inputs):
        groups = inp.summary.get("basket", {}).get("groups", {})
        shares = [groups.get(g, {}).get("basket_share") for g in GROUP_LABELS]
        pos = x - 0.4 + width * (k + 0.5)
        ax.bar(pos, [np.nan if s is None else s for s in shares], width, color=_colour(k),
               label=inp.name)
        for p, s in zip(pos, shares, strict=True):
            ax.text(p, (s or 0.0), "n/a" if s is None else f"{s:.1%}", ha="center",
                    va="bottom", fontsize=7)
    ax.set_xticks(x, list(GROUP_LABELS.values()), fontsize=8)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("andel med hele kurven (share with the whole basket)")
    ax.legend(fontsize=8)
    ax.set_title(f"Kortreist hverdag: basket share by group, final year{tag}", fontsize=9)
    _save(fig, path)
    return path


def plot_nullvekst(inputs: list[CompareInput], trajectories: list[list[dict[str, Any]]],
                   path: Path, tag: str) -> Path:
    """Car vehicle-km index per scenario, and the share of trip growth by walk/bike/PT."""
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4.2))
    for k, (inp, traj) in enumerate(zip(inputs, trajectories, strict=True)):
        ax.plot([p["year"] for p in traj], [p["index"] for p in traj], "o-", color=_colour(k),
                linewidth=2.0 if k == 0 else 1.3, label=inp.name)
        last = traj[-1]
        ax.annotate(f"{last['index']:.0f}", (last["year"], last["index"]), fontsize=7,
                    xytext=(4, 0), textcoords="offset points", va="center", color=_colour(k))
    ax.axhline(100, color="black", linestyle="--", linewidth=1, label="nullvekst = 100")
    ref_years = {i.summary["goals"]["nullvekst"]["reference_year"] for i in inputs}
    ax.set_title("Bil-km (car vehicle-km of residents), index "
                 f"{'/'.join(str(y) for y in sorted(ref_years))} = 100", fontsize=9)
    ax.set_xlabel("år (year)")
    ax.set_xticks(sorted({p["year"] for t in trajectories for p in t}))
    ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    ax.legend(fontsize=7)
    years = sorted({p["year"] for t in trajectories for p in t if p["stage"]})
    width = 0.8 / len(inputs)
    for k, (inp, traj) in enumerate(zip(inputs, trajectories, strict=True)):
        by_year = {p["year"]: p["growth_share_walk_bike_pt"] for p in traj if p["stage"]}
        for j, y in enumerate(years):
            pos = j - 0.4 + width * (k + 0.5)
            share = by_year.get(y)
            if share is not None:
                bx.bar(pos, share, width, color=_colour(k), label=inp.name if j == 0 else None)
            bx.text(pos, share if share is not None else 0.0,
                    "n/a" if share is None else f"{share:.0%}", ha="center",
                    va="bottom", fontsize=7)
    bx.axhline(1.0, color="black", linestyle="--", linewidth=1,
               label="plan: all growth (100 %)")
    bx.set_xticks(range(len(years)), [str(y) for y in years])
    bx.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    bx.set_title("Andel av trafikkveksten tatt av gange/sykkel/kollektiv\n"
                 "(share of trip growth taken by walk/bike/PT, per stage)", fontsize=9)
    bx.legend(fontsize=7)
    fig.suptitle(f"Nullvekst{tag}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


def plot_difference_maps(inputs: list[CompareInput],
                         tables: dict[str, dict[str, pd.DataFrame]], path: Path,
                         tag: str) -> Path:
    """Maps of the per-cell difference (scenario − reference); blue = better, red = worse."""
    ref = inputs[0]
    centroids = ref.cells.geometry.centroid
    bounds = ref.cells.geometry.bounds
    size = float(np.median(bounds.maxx - bounds.minx))
    cg = CellGrid.from_centres(centroids.x.to_numpy(), centroids.y.to_numpy(), size)
    extent = cg.extent
    background = cg.raster(np.ones(len(centroids)))
    others = inputs[1:]
    ncols = 4
    nrows_each = -(-len(DIFF_COLUMNS) // ncols)
    fig, axes = plt.subplots(nrows_each * len(others), ncols, squeeze=False,
                             figsize=(5.2 * ncols, 4.6 * nrows_each * len(others)))
    for k, other in enumerate(others):
        for j, column in enumerate(DIFF_COLUMNS):
            ax = axes[k * nrows_each + j // ncols, j % ncols]
            table = tables[other.name][column]
            d = table["difference"].to_numpy(float)
            grid = cg.raster_at(table.x.to_numpy(), table.y.to_numpy(), d)
            finite = np.abs(d[np.isfinite(d)])
            if column == "n_within":
                lim, cmap, unit = float(len(EVERYDAY_FUNCTIONS)), "RdBu", "functions"
                title = "funksjoner innen terskel (n_within)"
            elif column == "residents":
                lim = max(1.0, float(np.percentile(finite, 98)) if finite.size else 1.0)
                cmap, unit, title = "PuOr_r", "residents", "bosatte (residents)"
            else:
                lim = max(100.0, float(np.percentile(finite, 98)) if finite.size else 100.0)
                cmap, unit = "RdBu_r", "m"
                function = column.removeprefix("dist_")
                title = f"avstand {FUNCTION_LABELS.get(function, function)}"
            ax.imshow(background, origin="lower", extent=extent, cmap="Greys", vmin=0,
                      vmax=5)
            im = ax.imshow(grid, origin="lower", extent=extent, cmap=cmap, vmin=-lim, vmax=lim,
                           interpolation="nearest")
            fig.colorbar(im, ax=ax, shrink=0.8, label=f"Δ {unit} ({other.name} − {ref.name})")
            stats = difference_stats(table, column)
            if not (stats["cells_higher"] or stats["cells_lower"]):
                ax.text(0.5, 0.02, "ingen forskjell (no difference)", transform=ax.transAxes,
                        ha="center", va="bottom", fontsize=8)
            mean = stats["mean_difference"]
            counts = (f"more {stats['cells_higher']}, fewer {stats['cells_lower']}"
                      if column == "residents" else
                      f"better {stats['cells_better']}, worse {stats['cells_worse']}")
            ax.set_title(f"{other.name} − {ref.name}: {title}\n{stats['cells']} cells, "
                         f"mean Δ {mean if mean is not None else float('nan'):+.2f} {unit}, "
                         f"{counts}", fontsize=8)
            ax.set_aspect("equal")
            ax.ticklabel_format(style="plain", useOffset=False)
            ax.tick_params(labelsize=6)
            ax.locator_params(nbins=4)
        for j in range(len(DIFF_COLUMNS), nrows_each * ncols):
            axes[k * nrows_each + j // ncols, j % ncols].axis("off")
    fig.suptitle(f"Forskjell mot referansen {ref.name} (difference vs reference; cells with "
                 f"residents in either; blue = better, red = worse; distances capped at "
                 f"{DIST_CAP_M:.0f} m; EPSG:25833){tag}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


# --------------------------------------------------------------------------- driver


def _check_out(out: Path, result_dirs: list[Path]) -> None:
    target = out.resolve()
    for d in result_dirs:
        src = Path(d).resolve()
        if target == src or target in src.parents:
            raise InputError(f"{out}: --out would replace the input result {d}")


def _write_all(inputs: list[CompareInput], tmp: Path) -> None:
    statuses = {synthetic_tag(i.summary) for i in inputs}
    tag = max(statuses, key=len)  # the strongest warning of any input
    ref = inputs[0]
    trajectories = [nullvekst_trajectory(i.summary) for i in inputs]
    tables = {o.name: {c: cell_differences(ref.cells, o.cells, c,
                                           cap=DIST_CAP_M if c.startswith("dist_") else None)
                       for c in DIFF_COLUMNS} for o in inputs[1:]}
    plot_goals(inputs, tmp / "goals_compare.png", tag)
    plot_mode_shares(inputs, tmp / "mode_shares_compare.png", tag)
    plot_access_cdfs(inputs, tmp / "access_cdf_compare.png", tag)
    plot_basket_groups(inputs, tmp / "basket_groups_compare.png", tag)
    plot_nullvekst(inputs, trajectories, tmp / "nullvekst_compare.png", tag)
    plot_difference_maps(inputs, tables, tmp / "difference_maps_compare.png", tag)

    flat = comparison_table([i.summary for i in inputs])
    for row, inp, traj in zip(flat, inputs, trajectories, strict=True):
        row["scenario"] = inp.name
        row["reference"] = inp is ref
        row["car_vkm_index_final"] = traj[-1]["index"]
        row["growth_share_walk_bike_pt_final"] = \
            inp.summary["goals"]["nullvekst"].get("growth_share_walk_bike_pt")
    frame = pd.DataFrame(flat)
    frame = frame[["scenario", "reference", *[c for c in frame if c not in
                                              ("scenario", "reference")]]]
    frame.to_csv(tmp / "compare.csv", index=False, float_format="%.6g")
    rows = []
    for row, inp, traj in zip(flat, inputs, trajectories, strict=True):
        diffs = None if inp is ref else {
            c: difference_stats(t, c)
            for c, t in tables[inp.name].items()}
        rows.append({**row, "path": str(inp.path), "data_note": inp.summary.get("data_note"),
                     "basket_groups": inp.summary.get("basket", {}).get("groups", {}),
                     "access": access_summary(inp), "nullvekst_trajectory": traj,
                     "difference_vs_reference": diffs})
    (tmp / "compare.json").write_text(
        json.dumps(_clean(rows), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8")


def compare_results(result_dirs: list[Path], out: Path | None = None) -> Path:
    """Compare results (the first is the reference) and write the plots and tables.

    The output directory is written to a temporary directory beside it and moved into
    place when complete (an earlier comparison there is replaced).
    """
    inputs = load_inputs([Path(d) for d in result_dirs])
    if out is None:
        out = settings.RESULTS_DIR / ("compare_" + "_vs_".join(
            str(i.summary["scenario"]["name"]) for i in inputs))
    out = Path(out)
    _check_out(out, [i.path for i in inputs])
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        _write_all(inputs, tmp)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out
