"""Figure style shared by result and comparison plots: backend, colours, labels, helpers.

The matplotlib backend is chosen here, once, for every figure the package draws
(``Agg``: files only, no screen). Every figure made from synthetic or proxy data says
so in its title (:func:`synthetic_tag`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from sim.vocab import GOALS, SUMMARY_MODES, label

#: Okabe–Ito colours (colour-blind safe) of the modes and of pass/fail.
MODE_COLOURS = {"walk": "#009E73", "bike": "#E69F00", "pt": "#0072B2", "car": "#D55E00"}
MODE_LABELS = {m: label(m) for m in SUMMARY_MODES}
GOAL_LABELS = {g: label(g) for g in GOALS}
PASS_COLOUR, FAIL_COLOUR = "#009E73", "#D55E00"


def synthetic_tag(data_status: str) -> str:
    """Title suffix saying what a figure's numbers rest on (``synthetic``, ``mixed``, ``real``).

    >>> synthetic_tag("real")
    ''
    """
    return {"synthetic": "  [SYNTHETIC DATA — not Bærum]",
            "mixed": "  [partly proxy/synthetic data — see data note]"}.get(data_status, "")


def basis_label(basis: object, short: bool = False) -> str:
    """A goal's data basis: the shares of its number that rest on weak data.

    ``basis`` is a :class:`sim.model.goals.DataBasis` (or None when not known);
    ``short`` gives one part per line (for annotations side by side).
    """
    if basis is None:
        return "data basis: not recorded"
    parts = [f"{name} {getattr(basis, f'{name}_share'):.0%}"
             for name in ("proxy", "estimated", "synthetic")
             if getattr(basis, f"{name}_share") > 0]
    if short:
        return "rests on\n" + ("\n".join(parts) if parts else "real data only")
    return "rests on " + (", ".join(parts) if parts else "real data only")


def save(fig: plt.Figure, path: Path) -> Path:
    """Write ``fig`` as a 256-colour PNG without timestamp or software tag.

    Same inputs give the same bytes; the palette keeps a six-scenario report with every
    map embedded to about a third of the size of true-colour PNGs.
    """
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    image = Image.open(buffer).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT,
                   dither=Image.Dither.NONE).save(path, format="PNG", optimize=True)
    return path


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

    @classmethod
    def from_cells(cls, cells: gpd.GeoDataFrame) -> CellGrid:
        """The grid of a per-cell layer (square cell polygons, e.g. ``cells.gpkg``)."""
        centres = cells.geometry.centroid
        size = float(np.sqrt(np.median(cells.geometry.area)))
        return cls.from_centres(centres.x.to_numpy(), centres.y.to_numpy(), size)

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


def weighted_cdf(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted values and the cumulative share of ``weights`` at or below each."""
    order = np.argsort(values, kind="stable")
    w = np.asarray(weights, float)[order]
    total = w.sum()
    cum = np.cumsum(w) / total if total > 0 else np.zeros_like(w)
    return np.asarray(values, float)[order], cum


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
