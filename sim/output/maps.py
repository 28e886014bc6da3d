"""Maps a planner reads at a glance: cells over their context, matplotlib.

:func:`map_axes` draws the context under the data (water where no land polygon is,
neighbouring municipalities, the region) and :func:`draw_overlay` the context over it
(boundary, priority areas, lines by mode, stations, place labels, scale bar, north
arrow, kilometre ticks). Artists carry a ``gid`` (``boundary``, ``areas``,
``line:<mode>``, ``stations``, ``place``, ``scalebar``, ``north``) so tests and
readers can find them. Colours are colour-blind safe (ColorBrewer RdYlBu/RdBu,
Okabe–Ito for modes); distance classes are the same in the PNGs, the interactive
map and the QGIS project (:func:`distance_classes`).
"""

from __future__ import annotations

import itertools

import matplotlib.patheffects as pe
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import BoundaryNorm, ListedColormap, to_hex
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MultipleLocator
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar
from shapely.geometry import Polygon, box

from sim.output.context import MapContext
from sim.output.style import CellGrid
from sim.vocab import GLOSSARY

#: Distance classes as multiples of the walking threshold (upper bounds; last is open).
CLASS_FACTORS = (0.5, 1.0, 1.5, 2.0, 3.0)
#: ColorBrewer RdYlBu, reversed (colour-blind safe): blue within the threshold, red beyond.
CLASS_COLOURS = ("#4575b4", "#91bfdb", "#fee090", "#fc8d59", "#d73027", "#a50026")
#: Okabe–Ito colours of public transport modes (colour-blind safe).
TRANSIT_COLOURS = {"rail": "#0072B2", "metro": "#E69F00", "tram": "#009E73", "bus": "#CC79A7"}
WATER, LAND, REGION, OUTSIDE = "#cfe3f1", "#efece4", "#fbfaf7", "#f0f0f0"
#: Cells without residents are drawn in this grey when shown at all.
EMPTY_CELL = "#dddddd"

_HALO = [pe.withStroke(linewidth=2.6, foreground="white")]


def no_en(key: str) -> tuple[str, str]:
    """Norwegian and English name of a glossary term (the key itself when unknown)."""
    return GLOSSARY.get(key, (key, key))


def both(key: str) -> str:
    """``"norsk / English"`` of a glossary term (one word when both are the same)."""
    no, en = no_en(key)
    return no if no == en else f"{no} / {en}"


def distance_classes(threshold_m: float) -> np.ndarray:
    """Class edges of walking distance: 0, ½, 1, 1½, 2, 3 thresholds, then open.

    >>> distance_classes(500.0).tolist()
    [0.0, 250.0, 500.0, 750.0, 1000.0, 1500.0, inf]
    """
    return np.array([0.0, *(f * threshold_m for f in CLASS_FACTORS), np.inf])


def class_labels(edges: np.ndarray, fmt: str = "{:.0f}", unit: str = " m") -> list[str]:
    """Legend labels of the classes, e.g. ``"250–500 m"`` and ``"> 1500 m"``."""
    out = [f"{fmt.format(lo)}–{fmt.format(hi)}{unit}"
           for lo, hi in itertools.pairwise(edges[:-1])]
    return [*out, f"> {fmt.format(edges[-2])}{unit}"]


def class_index(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Class of each value: class ``i`` holds ``edges[i] < v <= edges[i+1]`` (0 holds 0).

    Unreachable (inf, NaN) cells go to the last, open class.
    """
    v = np.nan_to_num(np.asarray(values, float), nan=np.inf)
    return np.searchsorted(edges[1:-1], v, side="left")


def diverging_classes(n: int) -> tuple[list[str], list[str]]:
    """Colours and labels of the integer changes ``-n … +n`` (ColorBrewer RdBu: red worse,
    blue better, white no change)."""
    cmap = plt.get_cmap("RdBu")
    colours = [to_hex(cmap(v)) for v in np.linspace(0.08, 0.92, 2 * n + 1)]
    colours[n] = "#f7f7f7"
    return colours, [f"{k:+d}" if k else "0" for k in range(-n, n + 1)]


def nice_length(span_m: float) -> float:
    """A round scale-bar length of a tenth to a quarter of ``span_m``."""
    for length in (200, 500, 1000, 2000, 5000, 10_000, 20_000):
        if length >= span_m / 10:
            return float(length)
    return 50_000.0


def map_axes(ax: plt.Axes, context: MapContext,
             extent: tuple[float, float, float, float]) -> None:
    """Water (where no land is known: plain grey), neighbours and the region, as a base."""
    ax.set_facecolor(WATER if context.has_land else OUTSIDE)
    if context.has_land:
        context.neighbours.plot(ax=ax, color=LAND, edgecolor="#b5b0a5", linewidth=0.6,
                                zorder=0.5)
        x0, x1, y0, y1 = extent
        for name, geom in zip(context.neighbours.name, context.neighbours.geometry,
                              strict=True):
            p = geom.intersection(_box(extent)).representative_point() if geom else None
            if p is not None and not p.is_empty and x0 < p.x < x1 and y0 < p.y < y1:
                ax.text(p.x, p.y, name, fontsize=7, color="#8a8478", style="italic",
                        ha="center", va="center", zorder=0.6, gid="neighbour")
    if len(context.boundary):
        context.boundary.plot(ax=ax, color=REGION, edgecolor="none", zorder=0.7)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    _km_ticks(ax, extent)


def _box(extent: tuple[float, float, float, float]) -> Polygon:
    return box(extent[0], extent[2], extent[1], extent[3])


def _km_ticks(ax: plt.Axes, extent: tuple[float, float, float, float]) -> None:
    span = max(extent[1] - extent[0], extent[3] - extent[2])
    step = 1000.0 if span < 8000 else 2000.0 if span < 25_000 else 5000.0
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MultipleLocator(step))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v / 1000:.0f}"))
    ax.tick_params(labelsize=7, length=3)
    ax.set_xlabel("øst / east (km, UTM 33N)", fontsize=7)
    ax.set_ylabel("nord / north (km)", fontsize=7)


def draw_cells(ax: plt.Axes, grid: CellGrid, values: np.ndarray, colours: list[str],
               edges: np.ndarray, mask: np.ndarray | None = None) -> None:
    """Cells coloured by class (``edges`` as in :func:`distance_classes`)."""
    raster = grid.raster(class_index(values, edges).astype(float), mask)
    cmap = ListedColormap(colours)
    norm = BoundaryNorm(np.arange(len(colours) + 1) - 0.5, len(colours))
    ax.imshow(raster, origin="lower", extent=grid.extent, cmap=cmap, norm=norm,
              interpolation="nearest", zorder=1, gid="cells")


def draw_overlay(ax: plt.Axes, context: MapContext, labels: int = 10,
                 light: bool = False) -> list[Line2D]:
    """Boundary, priority areas, lines, stations, places, scale bar and north arrow.

    Returns legend handles of the line modes drawn. ``light`` thins everything for
    small panels.
    """
    if len(context.areas):
        prio = context.areas[context.areas.priority.astype(bool)]
        prio.boundary.plot(ax=ax, color="#333333", linewidth=0.7, linestyle=(0, (3, 2)),
                           zorder=3, gid="areas")
    if len(context.boundary):
        context.boundary.boundary.plot(ax=ax, color="#111111", linewidth=1.3, zorder=4,
                                       gid="boundary")
    handles = _draw_lines(ax, context, light)
    _draw_stations(ax, context, light)
    _draw_places(ax, context, 0 if light else labels)
    _scale_bar(ax)
    _north_arrow(ax)
    return handles


def _draw_lines(ax: plt.Axes, context: MapContext, light: bool) -> list[Line2D]:
    handles = []
    lines = context.lines
    for mode, colour in TRANSIT_COLOURS.items():
        sel = lines[lines["mode"] == mode] if len(lines) else lines
        if not len(sel):
            continue
        for hf, new, geom in zip(sel.high_frequency.astype(bool), sel["new"].astype(bool),
                                 sel.geometry, strict=True):
            xs, ys = geom.xy
            ax.plot(xs, ys, color=colour, linewidth=(2.4 if hf else 1.3) * (0.7 if light else 1),
                    linestyle=(0, (4, 1.5)) if new else "-", zorder=5,
                    solid_capstyle="round", gid=f"line:{mode}")
        handles.append(Line2D([], [], color=colour, linewidth=2.2, label=both(mode)))
    if len(lines) and lines["new"].astype(bool).any():
        handles.append(Line2D([], [], color="#555555", linewidth=2, linestyle=(0, (4, 1.5)),
                              label="ny linje / new line"))
    return handles


def _draw_stations(ax: plt.Axes, context: MapContext, light: bool) -> None:
    stops = context.stops
    if not len(stops):
        return
    hf = stops.high_frequency.astype(bool).to_numpy()
    size = np.where(hf, 26.0, 12.0) * (0.6 if light else 1.0)
    ax.scatter(stops.geometry.x, stops.geometry.y, s=size, facecolor="white",
               edgecolor="#111111", linewidth=0.9, zorder=6, gid="stations")


def _draw_places(ax: plt.Axes, context: MapContext, limit: int) -> None:
    """Up to ``limit`` place labels, most important first, none crowding another."""
    if not limit or not len(context.places):
        return
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    spacing = 0.09 * max(x1 - x0, y1 - y0)
    placed: list[tuple[float, float]] = []
    order = context.places.sort_values(["rank", "name"], kind="stable")
    for name, geom in zip(order.name, order.geometry, strict=True):
        x, y = geom.x, geom.y
        if not (x0 < x < x1 and y0 < y < y1):
            continue
        if any(np.hypot(x - px, y - py) < spacing for px, py in placed):
            continue
        ax.text(x, y + 0.012 * (y1 - y0), name, fontsize=7.5, ha="center", va="bottom",
                color="#111111", zorder=7, path_effects=_HALO, gid="place")
        placed.append((x, y))
        if len(placed) >= limit:
            break


def _scale_bar(ax: plt.Axes) -> None:
    x0, x1 = ax.get_xlim()
    length = nice_length(x1 - x0)
    text = f"{length / 1000:g} km" if length >= 1000 else f"{length:.0f} m"
    bar = AnchoredSizeBar(ax.transData, length, text, loc="lower left", pad=0.4,
                          borderpad=0.6, sep=3, frameon=True, size_vertical=0,
                          fontproperties={"size": 7})
    bar.patch.set_alpha(0.8)
    bar.set_gid("scalebar")
    bar.set_zorder(8)
    ax.add_artist(bar)


def _north_arrow(ax: plt.Axes) -> None:
    ax.annotate("N", xy=(0.965, 0.97), xytext=(0.965, 0.87), xycoords="axes fraction",
                ha="center", va="center", fontsize=9, fontweight="bold", zorder=8,
                arrowprops={"arrowstyle": "-|>", "color": "#111111", "linewidth": 1.2},
                gid="north")


def class_legend(ax: plt.Axes, colours: list[str], labels: list[str], title: str,
                 extra: list | None = None) -> None:
    """A legend of class swatches (and ``extra`` handles) right of the map."""
    handles = [Patch(facecolor=c, edgecolor="#666666", linewidth=0.4, label=lab)
               for c, lab in zip(colours, labels, strict=True)]
    handles += extra or []
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              fontsize=7, title_fontsize=7.5, frameon=False)


def finding_title(no: str, en: str, tag: str = "") -> str:
    """A map title that states the finding: Norwegian first, English below."""
    return f"{no}\n{en}{tag}"
