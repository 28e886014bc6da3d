"""Plots of one result (PNG), drawn from its typed summary and its per-cell layer.

Access maps, walking-distance CDFs, the basket change, mode shares by year, the
nullvekst trajectory and the goal dashboard. Every figure made from synthetic or
proxy data says so in its title.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from sim.output.context import MapContext, context_bounds
from sim.output.maps import (
    CLASS_COLOURS,
    class_labels,
    class_legend,
    distance_classes,
    diverging_classes,
    draw_cells,
    draw_overlay,
    finding_title,
    map_axes,
    no_en,
)
from sim.output.style import (
    FAIL_COLOUR,
    GOAL_LABELS,
    MODE_COLOURS,
    MODE_LABELS,
    PASS_COLOUR,
    CellGrid,
    basis_label,
    save,
    stacked_mode_bars,
    synthetic_tag,
    weighted_cdf,
)
from sim.output.summary import Summary
from sim.vocab import EVERYDAY_FUNCTIONS, label

#: Distances beyond this (or unreachable) are drawn as this, metres.
DIST_CAP_M = 5000.0


def access_map(summary: Summary, cells: gpd.GeoDataFrame, context: MapContext,
               function: str) -> plt.Figure:
    """Map of the walking distance to one function per cell, in threshold classes."""
    access = summary.access[function]
    year = summary.scenario.final_year
    edges = distance_classes(access.threshold_m)
    grid = CellGrid.from_cells(cells)
    extent = context_bounds(context, cells)
    fig, ax = plt.subplots(figsize=(8.6, 6.4))
    map_axes(ax, context, extent)
    lived = cells["residents"].to_numpy(float) > 0
    draw_cells(ax, grid, cells[f"dist_{function}"].to_numpy(float), list(CLASS_COLOURS),
               edges, lived)
    handles = draw_overlay(ax, context)
    no, en = no_en(function)
    share = access.share_within or 0.0
    t = access.threshold_m
    class_legend(ax, list(CLASS_COLOURS), class_labels(edges),
                 "gangavstand / walking distance", handles)
    ax.set_title(finding_title(
        f"Gangavstand til {no}, {year} — {share:.0%} av bosatte innen {t:.0f} m",
        f"Walking distance to {en}, {year} — {share:.0%} of residents within {t:.0f} m",
        synthetic_tag(summary.data_status)), fontsize=9, loc="left")
    return fig


def plot_access_maps(summary: Summary, cells: gpd.GeoDataFrame, context: MapContext,
                     out_dir: Path) -> list[Path]:
    """One map per everyday function (:func:`access_map`), ``access_<function>.png``."""
    return [save(access_map(summary, cells, context, f), out_dir / f"access_{f}.png")
            for f in EVERYDAY_FUNCTIONS]


def plot_mode_shares(summary: Summary, path: Path) -> Path:
    """Stacked mode-share bars per modelled year."""
    years = list(summary.years)
    fig, ax = plt.subplots(figsize=(7, 4))
    stacked_mode_bars(ax, years, [summary.years[y].mode_shares for y in years])
    ax.set_ylabel("share of residents' trips")
    uncalibrated = "" if summary.calibration.get("regional", True) else (
        "\nmode choice not calibrated to this region")
    ax.set_title(f"Mode shares — {summary.scenario.name}"
                 f"{synthetic_tag(summary.data_status)}{uncalibrated}", fontsize=9)
    return save(fig, path)


def _goal_bars(summary: Summary, key: str) -> tuple[list[str], list[float], str]:
    """Bars of one goal panel: labels, values, and the value format."""
    g = summary.goals
    if key == "placement":
        return ["dwellings", "jobs"], [g.placement.dwellings_share, g.placement.jobs_share], \
            "{:.1%}"
    if key == "kortreist":
        k = g.kortreist
        return ["existing\n(base year)", "new"], [
            np.nan if k.base_year_value is None else k.base_year_value,
            np.nan if k.value is None else k.value], "{:.1%}"
    if key == "green_share":
        return ["walk+bike+PT", "bike"], [g.green_share.value or 0.0, g.green_share.bike_share], \
            "{:.1%}"
    goal = getattr(g, key)
    return ["value"], [np.nan if goal.value is None else goal.value], "{:+.1%}"


def _two_lines(text: str) -> str:
    """A ``"norsk (English)"`` label on two lines."""
    return text.replace(" (", "\n(", 1)


def _co2_panel(ax: plt.Axes, summary: Summary) -> None:
    """Residents' car CO2, reference year and final year (tonnes a year)."""
    co2 = summary.goals.co2
    values = [co2.co2_t_per_year_reference, co2.co2_t_per_year]
    ax.bar([str(co2.reference_year), str(co2.year)], values, color=MODE_COLOURS["car"],
           width=0.5)
    for i, v in enumerate(values):
        ax.text(i, v, f"{v:,.0f} t", ha="center", va="bottom", fontsize=7)
    ax.set_title(f"{_two_lines(label('co2'))}\n{co2.change:+.1%} (electric share of car-km "
                 f"{co2.electric_share:.0%}, {co2.electric_share_status})\n"
                 f"{basis_label(co2.data_basis)}", fontsize=7)
    ax.set_ylabel("t CO2 / year", fontsize=7)
    ax.set_ylim(0, max([*values, 1.0]) * 1.2)


def plot_goal_dashboard(summary: Summary, path: Path) -> Path:
    """The goals (value against target, green when the goal holds) and transport CO2.

    Every panel states the share of its number that rests on proxy, estimated or
    synthetic data; the 90 % rule's panel states the pass rule (each or combined).
    """
    fig, axes = plt.subplots(1, len(GOAL_LABELS) + 1, figsize=(17, 4.0))
    for ax, (key, name) in zip(axes, GOAL_LABELS.items(), strict=False):
        goal = getattr(summary.goals, key)
        names, values, fmt = _goal_bars(summary, key)
        ax.bar(range(len(values)), values, color=PASS_COLOUR if goal.passed else FAIL_COLOUR,
               width=0.5)
        ax.axhline(goal.target, color="black", linestyle="--", linewidth=1)
        ax.set_xticks(range(len(values)), names, fontsize=7)
        value = goal.value if goal.value is not None else float("nan")
        verdict = "PASS" if goal.passed else "FAIL"
        rule = f" ({goal.rule})" if key == "placement" else ""
        ax.set_title(f"{_two_lines(name)}{rule}\n{verdict}: {fmt.format(value)} vs "
                     f"{fmt.format(goal.target)}\n{basis_label(goal.data_basis)}", fontsize=7)
        finite = [v for v in values if np.isfinite(v)]
        lo = min(0.0, *finite, goal.target)
        hi = max(*finite, goal.target, 0.01)
        ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.15 * (hi - lo))
    _co2_panel(axes[-1], summary)
    fig.suptitle(f"Goals {summary.scenario.final_year} — {summary.scenario.name}"
                 f"{synthetic_tag(summary.data_status)}", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_access_cdf(summary: Summary, cells: gpd.GeoDataFrame, path: Path) -> Path:
    """Distance CDFs per function for existing and new residents (final year)."""
    groups = {"existing": cells["population_base"].to_numpy(float),
              "new": cells["new_residents"].to_numpy(float)}
    fig, axes = plt.subplots(1, len(EVERYDAY_FUNCTIONS), figsize=(16, 3.4), sharey=True)
    for ax, function in zip(axes, EVERYDAY_FUNCTIONS, strict=True):
        d = cells[f"dist_{function}"].to_numpy(float)
        for (group, w), style in zip(groups.items(), ("-", "--"), strict=True):
            if w.sum() <= 0:
                continue
            x, cum = weighted_cdf(d, w)
            ax.step(np.minimum(x, DIST_CAP_M), cum, style, where="post", label=group)
        ax.axvline(summary.access[function].threshold_m, color="grey", linewidth=0.8)
        ax.set_title(function, fontsize=9)
        ax.set_xlim(0, 3000)
        ax.set_xlabel("walking distance (m)")
    axes[0].set_ylabel("share of residents")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Walking distance to everyday functions, {summary.scenario.final_year}"
                 f"{synthetic_tag(summary.data_status)}", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_basket_change(summary: Summary, cells: gpd.GeoDataFrame, context: MapContext,
                       changes: pd.DataFrame, path: Path) -> Path:
    """Map of the change in the number of everyday functions within reach, base → final."""
    cg = CellGrid.from_cells(cells)
    lived = changes.residents_final.to_numpy() > 0
    diff = (changes.n_within_final - changes.n_within_base).to_numpy(float)
    extent = context_bounds(context, cells)
    fig, ax = plt.subplots(figsize=(8.6, 6.4))
    map_axes(ax, context, extent)
    n = len(EVERYDAY_FUNCTIONS)
    colours, labels = diverging_classes(n)
    draw_cells(ax, cg, diff, colours, np.arange(-n - 0.5, n + 1.0), lived)
    handles = draw_overlay(ax, context)
    for flag, marker, colour, no in (("gains", "^", "#08306b", "får hele kurven / gains"),
                                     ("loses", "v", "#67000d", "mister kurven / loses")):
        sel = changes[changes[flag]]
        ax.scatter(sel.x, sel.y, marker=marker, s=14, color=colour, zorder=6.5)
        handles.append(Line2D([], [], marker=marker, color=colour, linestyle="",
                              label=f"{no} ({len(sel)})"))
    class_legend(ax, colours, labels, "endring, funksjoner innen terskel\n"
                 "change, functions within threshold", handles)
    gains, loses = int(changes.gains.sum()), int(changes.loses.sum())
    base, final = summary.scenario.base_year, summary.scenario.final_year
    ax.set_title(finding_title(
        f"Kortreist hverdag {base} → {final}: {gains} ruter får hele kurven, {loses} mister den",
        f"Everyday basket {base} → {final}: {gains} cells gain the whole basket, "
        f"{loses} lose it", synthetic_tag(summary.data_status)), fontsize=9, loc="left")
    return save(fig, path)


def plot_nullvekst_trajectory(summary: Summary, path: Path) -> Path:
    """Trajectories over the modelled years: car vehicle-km index, mode shares, trips."""
    years = sorted(int(y) for y in summary.years)
    rows = [summary.years[str(y)] for y in years]
    goal = summary.goals.nullvekst
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    ax = axes[0]
    ax.plot(years, [100 * r.car_vkm / goal.car_vkm_reference for r in rows], "o-",
            color=MODE_COLOURS["car"])
    ax.axhline(100, color="black", linestyle="--", linewidth=1)
    ax.set_title(f"Car vehicle-km of residents ({goal.reference_year} = 100)", fontsize=9)
    ax = axes[1]
    for mode, colour in MODE_COLOURS.items():
        ax.plot(years, [r.mode_shares[mode] for r in rows], "o-", color=colour,
                label=MODE_LABELS[mode])
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title("Mode shares", fontsize=9)
    ax = axes[2]
    for mode, colour in MODE_COLOURS.items():
        trips = [r.trips.get(mode, r.trips.get("car_driver", 0)
                             + r.trips.get("car_passenger", 0)) for r in rows]
        ax.plot(years, trips, "o-", color=colour, label=MODE_LABELS[mode])
    ax.set_title("Trips per day by mode", fontsize=9)
    for ax in axes:
        ax.set_xticks(years)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    fig.suptitle(f"Nullvekst — {summary.scenario.name}"
                 f"{synthetic_tag(summary.data_status)}", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
