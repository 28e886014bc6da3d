"""Plots of a comparison: goals, mode shares, access CDFs, basket groups, nullvekst and
per-cell difference maps, one PNG each; the first result is the reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
import pandas as pd

from sim.output.compare_tables import (
    DIFF_COLUMNS,
    DIST_CAP_M,
    CompareInput,
    difference_stats,
)
from sim.output.context import context_bounds
from sim.output.maps import draw_overlay, map_axes, no_en
from sim.output.style import (
    FAIL_COLOUR,
    GOAL_LABELS,
    PASS_COLOUR,
    CellGrid,
    basis_label,
    save,
    stacked_mode_bars,
    weighted_cdf,
)
from sim.vocab import EVERYDAY_FUNCTIONS, GROUPS, label

#: Scenario colours (the reference is the first).
SCENARIO_COLOURS = ("#222222", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                    "#17becf", "#bcbd22", "#7f7f7f")


def _colour(i: int) -> str:
    return SCENARIO_COLOURS[i % len(SCENARIO_COLOURS)]


def _pct(v: float, signed: bool = False) -> str:
    if not np.isfinite(v):
        return "n/a"
    return f"{v:+.1%}" if signed else f"{v:.1%}"


def _co2_compare(ax: plt.Axes, inputs: list[CompareInput]) -> None:
    """Residents' car CO2 of the final year per scenario, with the change annotated."""
    co2 = [i.summary.goals.co2 for i in inputs]
    values = [c.co2_t_per_year for c in co2]
    x = np.arange(len(inputs))
    ax.bar(x, values, color=[_colour(k) for k in range(len(inputs))], edgecolor="black",
           linewidth=0.6)
    for i, c in enumerate(co2):
        ax.text(i, values[i], f"{values[i]:,.0f} t\n{c.change:+.0%} vs {c.reference_year}\n"
                f"{basis_label(c.data_basis, short=True)}", ha="center", va="bottom",
                fontsize=6.5)
    ax.set_ylim(0, max([*values, 1.0]) * 1.5)
    ax.set_xticks(x, [i.name for i in inputs])
    ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    ax.set_ylabel("t CO2 / year", fontsize=8)
    ax.set_title(f"{label('co2')}\n(electrification path "
                 f"{co2[0].electric_share_status})", fontsize=9)


def plot_goals(inputs: list[CompareInput], path: Path, tag: str) -> Path:
    """Goal dashboard: bars per scenario, value and margin annotated, FAIL hatched in red,
    the data basis of each number, and transport CO2 beside the goals."""
    names = [i.name for i in inputs]
    fig, grid = plt.subplots(2, 3, figsize=(max(14, 3 * len(names) + 3), 10.0))
    axes = grid.ravel()
    for ax, (key, title) in zip(axes, GOAL_LABELS.items(), strict=False):
        goals = [getattr(i.summary.goals, key) for i in inputs]
        values = np.array([np.nan if g.value is None else g.value for g in goals], float)
        targets = np.array([g.target for g in goals], float)
        passes = [g.passed for g in goals]
        x = np.arange(len(names))
        ax.bar(x, values, color=[PASS_COLOUR if p else FAIL_COLOUR for p in passes],
               hatch=[None if p else "//" for p in passes], edgecolor="black", linewidth=0.6)
        for i, t in enumerate(targets):
            ax.hlines(t, i - 0.4, i + 0.4, colors="black", linestyles="--", linewidth=1)
        lo = min(0.0, np.nanmin(values, initial=0.0), targets.min())
        hi = max(0.0, np.nanmax(values, initial=0.0), targets.max(), 0.01)
        span = hi - lo
        ax.set_ylim(lo - 0.12 * span, hi + 0.7 * span)
        signed = key == "nullvekst"
        for i, g in enumerate(goals):
            margin = g.margin or 0.0
            verdict = "PASS" if passes[i] else "FAIL"
            breaks = getattr(g, "rule_breaks", None)
            if key == "placement" and not passes[i] and breaks and margin >= 0:
                verdict = "FAIL (rule break)"
            extra = f" ({g.rule})" if key == "placement" else ""
            top = max(np.nan_to_num(values[i]), targets[i], 0.0)
            ax.text(i, top + 0.03 * span, f"{verdict}{extra}\n{_pct(values[i], signed)}\n"
                    f"margin {100 * margin:+.1f} pp\n{basis_label(g.data_basis, short=True)}",
                    ha="center", va="bottom", fontsize=6.5,
                    color="black" if passes[i] else FAIL_COLOUR,
                    fontweight="normal" if passes[i] else "bold")
        ax.set_xticks(x, names)
        ax.axhline(0, color="grey", linewidth=0.6)
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
        ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        ax.set_title(title.replace(" (", "\n("), fontsize=9)
    _co2_compare(axes[len(GOAL_LABELS)], inputs)
    breaks = [f"{i.name}: {b}" for i in inputs
              for b in i.summary.goals.placement.rule_breaks]
    notes = axes[-1]
    notes.axis("off")
    notes.text(0.0, 1.0, "Regelbrudd (rule breaks):\n" + ("\n".join(breaks) or "none"),
               transform=notes.transAxes, va="top", ha="left", fontsize=7.5, wrap=True,
               color=FAIL_COLOUR if breaks else "black")
    fig.suptitle(f"Mål (goals), final year: green = holds, red hatched = FAIL, "
                 f"dashed = target\n90 % rule value = the rule's share (each: the smaller of "
                 f"dwellings and jobs); kortreist value = new residents' basket{tag}",
                 fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_mode_shares(inputs: list[CompareInput], path: Path, tag: str) -> Path:
    """Stacked mode-share bars of the final year per scenario."""
    names = [i.name for i in inputs]
    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 4, 4))
    stacked_mode_bars(ax, names, [i.summary.mode_shares for i in inputs])
    ax.set_title(f"Reisemiddelfordeling (mode shares), final year{tag}", fontsize=9)
    return save(fig, path)


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
            share = inp.summary.access[f].share_within
            legend = inp.name + (f": {share:.0%} within" if share is not None else "")
            ax.step(np.r_[0.0, x], np.r_[0.0, cum], where="post", color=_colour(k),
                    linewidth=2.0 if k == 0 else 1.3, label=legend)
            thresholds.add(inp.summary.access[f].threshold_m)
        for t in sorted(thresholds):
            ax.axvline(t, color="grey", linestyle="--", linewidth=1)
            ax.text(t, 0.02, f" {t:.0f} m", fontsize=7, color="grey", va="bottom")
        ax.set_xlim(0, max(3000.0, 3 * max(thresholds, default=0.0)))
        ax.set_ylim(0, 1)
        ax.set_title(label(f) + " (dashed: terskel/threshold)", fontsize=8)
        ax.set_xlabel("gangavstand (walking distance, m)", fontsize=8)
        ax.legend(fontsize=6.5, loc="lower right")
    axes[0].set_ylabel("andel bosatte (share of residents)")
    fig.suptitle(f"Gangavstand til hverdagsfunksjoner (walking distance, final year; "
                 f"weights = residents){tag}", fontsize=10)
    fig.tight_layout()
    return save(fig, path)


def plot_basket_groups(inputs: list[CompareInput], path: Path, tag: str) -> Path:
    """Grouped bars: basket share of existing, new and all residents per scenario."""
    fig, ax = plt.subplots(figsize=(max(7, 1.3 * len(inputs) * 3), 4))
    width = 0.8 / len(inputs)
    x = np.arange(len(GROUPS))
    for k, inp in enumerate(inputs):
        shares = [inp.summary.basket.groups[g].basket_share for g in GROUPS]
        pos = x - 0.4 + width * (k + 0.5)
        ax.bar(pos, [np.nan if s is None else s for s in shares], width, color=_colour(k),
               label=inp.name)
        for p, s in zip(pos, shares, strict=True):
            ax.text(p, (s or 0.0), "n/a" if s is None else f"{s:.1%}", ha="center",
                    va="bottom", fontsize=7)
    ax.set_xticks(x, [label(g) for g in GROUPS], fontsize=8)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylabel("andel med hele kurven (share with the whole basket)")
    ax.legend(fontsize=8)
    ax.set_title(f"Kortreist hverdag: basket share by group, final year{tag}", fontsize=9)
    return save(fig, path)


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
    ref_years = {i.summary.goals.nullvekst.reference_year for i in inputs}
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
    return save(fig, path)


def _measure(column: str) -> tuple[str, str, str, str]:
    """Title (Norwegian, English), unit and colour map (blue = better or more) of a measure."""
    if column == "n_within":
        return ("funksjoner innen terskel", "functions within threshold", "", "RdBu")
    if column == "residents":
        return ("bosatte", "residents", "", "PuOr")
    no, en = no_en(column.removeprefix("dist_"))
    return (f"gangavstand til {no}", f"walking distance to {en}", " m", "RdBu_r")


def changed_columns(tables: dict[str, pd.DataFrame]) -> list[str]:
    """Measures with at least one cell different from the reference."""
    stats = {c: difference_stats(tables[c], c) for c in DIFF_COLUMNS}
    return [c for c in DIFF_COLUMNS if stats[c]["cells_higher"] or stats[c]["cells_lower"]]


def _difference_panel(ax: plt.Axes, ref: CompareInput, grid: CellGrid, table: pd.DataFrame,
                      column: str, extent: tuple[float, float, float, float]) -> None:
    no, en, unit, cmap = _measure(column)
    map_axes(ax, ref.context, extent)
    d = table["difference"].to_numpy(float)
    x, y = table.x.to_numpy(), table.y.to_numpy()
    ax.imshow(grid.raster_at(x, y, np.ones(len(d))), origin="lower", extent=grid.extent,
              cmap="Greys", vmin=0, vmax=6, zorder=1, interpolation="nearest")
    changed = np.where(np.isfinite(d) & (d != 0), d, np.nan)
    finite = np.abs(changed[np.isfinite(changed)])
    lim = max(1.0, float(np.percentile(finite, 98))) if finite.size else 1.0
    im = ax.imshow(grid.raster_at(x, y, changed), origin="lower", extent=grid.extent,
                   cmap=cmap, vmin=-lim, vmax=lim, zorder=2, interpolation="nearest",
                   gid="difference")
    plt.colorbar(im, ax=ax, shrink=0.7, label=f"Δ{unit}")
    draw_overlay(ax, ref.context, labels=6, light=True)
    st = difference_stats(table, column)
    if column == "residents":
        counts = (f"{st['cells_higher']} ruter flere, {st['cells_lower']} færre",
                  f"{st['cells_higher']} cells more, {st['cells_lower']} fewer")
    else:
        counts = (f"{st['cells_better']} ruter bedre, {st['cells_worse']} verre",
                  f"{st['cells_better']} cells better, {st['cells_worse']} worse")
    ax.set_title(f"{no.capitalize()}: {counts[0]}\n{en.capitalize()}: {counts[1]}",
                 fontsize=8.5, loc="left")


def plot_difference_maps(inputs: list[CompareInput],
                         tables: dict[str, dict[str, pd.DataFrame]], out: Path,
                         tag: str) -> list[Path]:
    """Per scenario, maps of the measures that changed (scenario − reference), one PNG each.

    Symmetric diverging scales, blue = better (or more residents), red = worse; the
    count of better and worse cells in each title. Scenarios without any change get no
    map but a line in ``differences.txt``.
    """
    ref = inputs[0]
    grid = CellGrid.from_cells(ref.cells)
    extent = context_bounds(ref.context, ref.cells)
    paths, unchanged = [], []
    for k, other in enumerate(inputs[1:]):
        columns = changed_columns(tables[other.name])
        if not columns:
            unchanged.append(other.name)
            continue
        ncols = min(3, len(columns))
        nrows = -(-len(columns) // ncols)
        fig, axes = plt.subplots(nrows, ncols, squeeze=False,
                                 figsize=(5.4 * ncols, 5.6 * nrows))
        for ax, column in zip(axes.flat, columns, strict=False):
            _difference_panel(ax, ref, grid, tables[other.name][column], column, extent)
        for ax in list(axes.flat)[len(columns):]:
            ax.axis("off")
        fig.suptitle(f"{other.name} − {ref.name}: forskjell per rute, blå = bedre, rød = verre\n"
                     f"per-cell difference, blue = better, red = worse{tag}", fontsize=9)
        fig.tight_layout()
        paths.append(save(fig, out / f"difference_{k + 1:02d}_{_file_name(other.name)}.png"))
    lines = [f"{name}: ingen forskjell per rute mot {ref.name} (no per-cell difference)"
             for name in unchanged]
    (out / "differences.txt").write_text("\n".join(lines) + ("\n" if lines else ""),
                                         encoding="utf-8")
    return paths


def _file_name(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
