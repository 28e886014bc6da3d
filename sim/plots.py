"""Plots of one result: access maps, mode shares and the goal dashboard (PNG).

Every figure made from synthetic data says so in its title.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.region import EVERYDAY_FUNCTIONS

if TYPE_CHECKING:
    from sim.pipeline import Simulation


MODE_COLOURS = {"walk": "#4daf4a", "bike": "#ff7f00", "pt": "#377eb8", "car": "#e41a1c"}
MODE_LABELS = {"walk": "gange (walk)", "bike": "sykkel (bike)",
               "pt": "kollektiv (PT)", "car": "bil (car)"}
GOAL_LABELS = {
    "placement": "90 %-regelen (placement)",
    "nullvekst": "nullvekst (car vkm change)",
    "kortreist": "kortreist hverdag (basket share)",
}


def synthetic_tag(status: str | dict[str, Any]) -> str:
    """Title suffix saying what a figure's numbers rest on.

    ``status`` is a data status (``synthetic``, ``mixed``, ``real``) or a summary.
    """
    if isinstance(status, dict):
        status = status.get("data_status", "synthetic" if status.get("synthetic") else "real")
    return {"synthetic": "  [SYNTHETIC DATA — not Bærum]",
            "mixed": "  [partly proxy/synthetic data — see data note]"}.get(status, "")


@dataclass(frozen=True)
class CellGrid:
    """Raster positions of grid cells: column ``ix`` and row ``iy`` of each cell.

    Built from the cell size, so gaps (unpopulated cells) stay gaps and coordinates
    with reprojection noise land in the right place.
    """

    ix: np.ndarray
    iy: np.ndarray
    xs: np.ndarray
    ys: np.ndarray
    size: float

    @classmethod
    def from_centres(cls, x: np.ndarray, y: np.ndarray, size: float) -> CellGrid:
        """The grid of cells centred at ``(x, y)`` with side ``size`` metres."""
        x0, y0 = float(np.min(x)), float(np.min(y))
        ix = np.rint((np.asarray(x) - x0) / size).astype(int)
        iy = np.rint((np.asarray(y) - y0) / size).astype(int)
        xs = x0 + size * np.arange(ix.max() + 1)
        ys = y0 + size * np.arange(iy.max() + 1)
        return cls(ix=ix, iy=iy, xs=xs, ys=ys, size=size)

    @property
    def extent(self) -> tuple[float, float, float, float]:
        """``imshow`` extent (left, right, bottom, top)."""
        h = self.size / 2
        return (self.xs[0] - h, self.xs[-1] + h, self.ys[0] - h, self.ys[-1] + h)

    def raster_at(self, x: np.ndarray, y: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Like :meth:`raster`, for values at other cell centres of the same grid."""
        ix = np.rint((np.asarray(x) - self.xs[0]) / self.size).astype(int)
        iy = np.rint((np.asarray(y) - self.ys[0]) / self.size).astype(int)
        grid = np.full((self.ys.size, self.xs.size), np.nan)
        inside = (ix >= 0) & (ix < self.xs.size) & (iy >= 0) & (iy < self.ys.size)
        grid[iy[inside], ix[inside]] = np.asarray(values, float)[inside]
        return grid

    def raster(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """A 2-D array (rows = y) with ``values`` at the cells (where ``mask``), NaN elsewhere."""
        grid = np.full((self.ys.size, self.xs.size), np.nan)
        keep = np.ones(self.ix.size, bool) if mask is None else np.asarray(mask, bool)
        grid[self.iy[keep], self.ix[keep]] = np.asarray(values, float)[keep]
        return grid


def _save(fig: plt.Figure, path: Path) -> None:
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)


def plot_access_maps(sim: Simulation, out_dir: Path) -> list[Path]:
    """One map per everyday function: walking distance per cell and the threshold contour."""
    cells = sim.region.cells
    access = sim.final.access
    residents = sim.final.residents
    cg = CellGrid.from_centres(cells.x.to_numpy(), cells.y.to_numpy(), sim.region.cell_size_m)
    paths = []
    for function in EVERYDAY_FUNCTIONS:
        d = access.cells[f"dist_{function}"].to_numpy()
        grid = cg.raster(np.minimum(d, 5000.0), residents > 0)
        threshold = access.thresholds[function]
        fig, ax = plt.subplots(figsize=(8, 6))
        im = ax.imshow(grid, origin="lower", extent=cg.extent, cmap="viridis_r", vmin=0,
                       vmax=max(2 * threshold, 1.0))
        if np.isfinite(grid).any():
            ax.contour(cg.xs, cg.ys, np.nan_to_num(grid, nan=1e9), levels=[threshold],
                       colors="red", linewidths=1.2)
        fig.colorbar(im, ax=ax, label="walking distance (m)")
        share = access.share_within[function]
        ax.set_title(
            f"{function}: {share:.0%} of residents within {threshold:.0f} m "
            f"({sim.final.year}){synthetic_tag(sim.region.data_status)}",
            fontsize=9,
        )
        ax.set_xlabel("x (EPSG:25833, m)")
        ax.set_ylabel("y (m)")
        ax.set_aspect("equal")
        path = out_dir / f"access_{function}.png"
        _save(fig, path)
        paths.append(path)
    return paths


def stacked_mode_bars(ax: plt.Axes, labels: list[str], shares: list[dict[str, float]]) -> None:
    """Stacked bars of the four mode shares, one bar per label, shares ≥ 4 % written in."""
    bottom = np.zeros(len(labels))
    for mode, colour in MODE_COLOURS.items():
        share = np.array([s[mode] for s in shares])
        ax.bar(labels, share, bottom=bottom, color=colour, label=MODE_LABELS[mode])
        for i, s in enumerate(share):
            if s > 0.04:
                ax.text(i, bottom[i] + s / 2, f"{s:.0%}", ha="center", va="center", fontsize=8)
        bottom += share
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)


def plot_mode_shares(summary: dict[str, Any], path: Path) -> Path:
    """Stacked mode-share bars per modelled year."""
    years = list(summary["years"])
    fig, ax = plt.subplots(figsize=(7, 4))
    stacked_mode_bars(ax, years, [summary["years"][y]["mode_shares"] for y in years])
    ax.set_ylabel("share of residents' trips")
    ax.set_title(f"Mode shares — {summary['scenario']['name']}"
                 f"{synthetic_tag(summary)}", fontsize=9)
    _save(fig, path)
    return path


def plot_goal_dashboard(summary: dict[str, Any], path: Path) -> Path:
    """The three goals: value against target, green when the goal holds."""
    goals = summary["goals"]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.4))
    for ax, (key, label) in zip(axes, GOAL_LABELS.items(), strict=True):
        goal = goals[key]
        colour = "#2ca02c" if goal["pass"] else "#d62728"
        ax.bar([0], [goal["value"]], color=colour, width=0.5)
        ax.axhline(goal["target"], color="black", linestyle="--", linewidth=1)
        ax.set_xticks([])
        fmt = "{:+.1%}" if key == "nullvekst" else "{:.1%}"
        verdict = "PASS" if goal["pass"] else "FAIL"
        ax.set_title(f"{label}\n{verdict}: {fmt.format(goal['value'])} vs "
                     f"{fmt.format(goal['target'])}", fontsize=8)
        lo = min(0.0, goal["value"], goal["target"])
        hi = max(goal["value"], goal["target"], 0.01)
        ax.set_ylim(lo - 0.1 * (hi - lo), hi + 0.15 * (hi - lo))
    fig.suptitle(f"Goals {summary['scenario']['final_year']} — {summary['scenario']['name']}"
                 f"{synthetic_tag(summary)}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


def weighted_cdf(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and the cumulative share of ``weights`` at or below each."""
    order = np.argsort(values, kind="stable")
    w = np.asarray(weights, float)[order]
    total = w.sum()
    cum = np.cumsum(w) / total if total > 0 else np.zeros_like(w)
    return np.asarray(values, float)[order], cum


def plot_access_cdf(sim: Simulation, path: Path) -> Path:
    """Distance CDFs per function for existing and new residents (final year)."""
    access = sim.final.access
    groups = {"existing": sim.region.cells.population.to_numpy(float),
              "new": sim.final.growth.cells.new_residents.to_numpy()}
    fig, axes = plt.subplots(1, len(EVERYDAY_FUNCTIONS), figsize=(16, 3.4), sharey=True)
    for ax, function in zip(axes, EVERYDAY_FUNCTIONS, strict=True):
        d = access.cells[f"dist_{function}"].to_numpy()
        for (group, w), style in zip(groups.items(), ("-", "--"), strict=True):
            if w.sum() <= 0:
                continue
            x, cum = weighted_cdf(d, w)
            ax.step(np.minimum(x, 5000), cum, style, where="post", label=group)
        ax.axvline(access.thresholds[function], color="grey", linewidth=0.8)
        ax.set_title(function, fontsize=9)
        ax.set_xlim(0, 3000)
        ax.set_xlabel("walking distance (m)")
    axes[0].set_ylabel("share of residents")
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Walking distance to everyday functions, {sim.final.year}"
                 f"{synthetic_tag(sim.region.data_status)}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path


def plot_basket_change(sim: Simulation, changes: Any, path: Path) -> Path:
    """Map of the change in the number of everyday functions within reach, base → final."""
    cells = sim.region.cells
    cg = CellGrid.from_centres(cells.x.to_numpy(), cells.y.to_numpy(), sim.region.cell_size_m)
    lived = changes.residents_final.to_numpy() > 0
    diff = (changes.n_within_final - changes.n_within_base).to_numpy(float)
    grid = cg.raster(diff, lived)
    fig, ax = plt.subplots(figsize=(8, 6))
    lim = max(1.0, float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 1.0)
    im = ax.imshow(grid, origin="lower", extent=cg.extent, cmap="RdBu", vmin=-lim, vmax=lim)
    fig.colorbar(im, ax=ax, label="change in functions within threshold")
    for flag, marker, colour in (("gains", "^", "navy"), ("loses", "v", "darkred")):
        sel = changes[changes[flag]]
        ax.scatter(sel.x, sel.y, marker=marker, s=14, color=colour,
                   label=f"{flag} the whole basket ({len(sel)})")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_aspect("equal")
    ax.set_title(f"Kortreist hverdag: change {sim.base.year} → {sim.final.year}"
                 f"{synthetic_tag(sim.region.data_status)}", fontsize=9)
    _save(fig, path)
    return path


def plot_nullvekst_trajectory(summary: dict[str, Any], path: Path) -> Path:
    """Trajectories over the modelled years: car vehicle-km index, mode shares, trips."""
    years = sorted(int(y) for y in summary["years"])
    rows = [summary["years"][str(y)] for y in years]
    goal = summary["goals"]["nullvekst"]
    ref = goal["car_vkm_reference"]
    fig, axes = plt.subplots(1, 3, figsize=(14, 3.8))
    ax = axes[0]
    index = [100 * r["car_vkm"] / ref for r in rows]
    ax.plot(years, index, "o-", color=MODE_COLOURS["car"])
    ax.axhline(100, color="black", linestyle="--", linewidth=1)
    ax.set_title(f"Car vehicle-km of residents ({goal['reference_year']} = 100)", fontsize=9)
    ax = axes[1]
    for mode, colour in MODE_COLOURS.items():
        ax.plot(years, [r["mode_shares"][mode] for r in rows], "o-", color=colour,
                label=MODE_LABELS[mode])
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title("Mode shares", fontsize=9)
    ax = axes[2]
    for mode, colour in MODE_COLOURS.items():
        trips = [r["trips"].get(mode, r["trips"].get("car_driver", 0)
                                + r["trips"].get("car_passenger", 0)) for r in rows]
        ax.plot(years, trips, "o-", color=colour, label=MODE_LABELS[mode])
    ax.set_title("Trips per day by mode", fontsize=9)
    for ax in axes:
        ax.set_xticks(years)
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    fig.suptitle(f"Nullvekst — {summary['scenario']['name']}"
                 f"{synthetic_tag(summary)}", fontsize=10)
    fig.tight_layout()
    _save(fig, path)
    return path
