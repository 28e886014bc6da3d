"""Plot helpers and maps: cells on the right raster positions; maps show their context."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection
from matplotlib.text import Annotation, Text
from mpl_toolkits.axes_grid1.anchored_artists import AnchoredSizeBar

from sim.output import plots
from sim.output.context import read_context
from sim.output.maps import (
    CLASS_COLOURS,
    class_index,
    distance_classes,
)
from sim.output.plots import access_map
from sim.output.style import CellGrid
from sim.output.summary import read_summary
from sim.vocab import EVERYDAY_FUNCTIONS


def test_cell_grid_keeps_gaps_and_tolerates_noise() -> None:
    # three cells of a 250 m grid with a two-cell gap and reprojection noise
    x = np.array([240625.0000246, 241375.000013, 240625.0000246])
    y = np.array([6650125.0, 6650125.0000011, 6650624.99998])
    cg = CellGrid.from_centres(x, y, 250.0)
    assert cg.xs.size == 4 and cg.ys.size == 3
    grid = cg.raster(np.array([1.0, 2.0, 3.0]))
    assert grid[0, 0] == 1 and grid[0, 3] == 2 and grid[2, 0] == 3
    assert np.isnan(grid[0, 1]) and np.isnan(grid[1, 0])
    assert cg.extent == (240500.0000246, 241500.0000246, 6650000.0, 6650750.0)
    again = cg.raster_at(x[::-1], y[::-1], np.array([3.0, 2.0, 1.0]))
    np.testing.assert_array_equal(np.nan_to_num(again), np.nan_to_num(grid))


# --- maps with context ------------------------------------------------------------------


def _by_gid(ax: plt.Axes, gid: str) -> list:
    return [a for a in ax.findobj() if a.get_gid() == gid]


def check_map_artists(fig: plt.Figure, min_places: int = 3) -> plt.Axes:
    """The map shows the boundary, place labels, stations, a scale bar, north, km ticks."""
    ax = fig.axes[0]
    assert _by_gid(ax, "boundary"), "no boundary"
    places = [t for t in _by_gid(ax, "place") if isinstance(t, Text) and t.get_text()]
    assert len(places) >= min_places, [t.get_text() for t in places]
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for t in places:
        x, y = t.get_position()
        assert x0 < x < x1 and y0 < y < y1
    stations = [a for a in _by_gid(ax, "stations") if isinstance(a, PathCollection)]
    assert stations and len(stations[0].get_offsets()) >= 3
    bars = [a for a in ax.artists if isinstance(a, AnchoredSizeBar) and a.get_gid() ==
            "scalebar"]
    assert len(bars) == 1 and bars[0].txt_label.get_text().endswith(("km", "m"))
    assert any(isinstance(a, Annotation) and a.get_text() == "N" for a in _by_gid(ax, "north"))
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all(t.isdigit() for t in ticks)  # whole kilometres
    assert "km" in ax.get_xlabel()
    return ax


@pytest.mark.slow
def test_access_maps_show_context(demo_results: dict[str, Path]) -> None:
    d = demo_results["demo"]
    summary = read_summary(d)
    cells = gpd.read_file(d / "cells.gpkg", layer="cells")
    context = read_context(d / "cells.gpkg")
    fig = access_map(summary, cells, context, "grocery")
    ax = check_map_artists(fig)
    share = summary.access["grocery"].share_within
    title = ax.get_title(loc="left")
    assert title.startswith("Gangavstand til dagligvare, 2040") and f"{share:.0%}" in title
    assert "Walking distance to grocery" in title and "SYNTHETIC" in title
    assert {h.get_label() for h in ax.get_legend().legend_handles} >= {"0–250 m", "bus"}
    assert [a for a in ax.findobj() if str(a.get_gid()).startswith("line:")]
    plt.close(fig)


def test_distance_classes_match_thresholds() -> None:
    edges = distance_classes(1000.0)
    assert edges.tolist() == [0, 500, 1000, 1500, 2000, 3000, float("inf")]
    assert class_index([0, 500, 500.1, 1000, 2999, 3001, float("inf"), float("nan")],
                       edges).tolist() == [0, 0, 1, 1, 4, 5, 5, 5]
    assert len(CLASS_COLOURS) == len(edges) - 1
    assert len(EVERYDAY_FUNCTIONS) >= 5


@pytest.mark.slow
def test_goal_dashboard_shows_every_goal_co2_and_data_basis(demo_results, monkeypatch,
                                                            tmp_path) -> None:
    texts: list[str] = []

    def keep(fig: plt.Figure, path: Path) -> Path:
        texts.extend(t.get_text() for ax in fig.axes for t in (ax.title, *ax.texts))
        texts.append(fig._suptitle.get_text() if fig._suptitle else "")
        plt.close(fig)
        return path

    monkeypatch.setattr(plots, "save", keep)
    for name in ("demo", "demo_spredt"):
        texts.clear()
        summary = read_summary(demo_results[name])
        plots.plot_goal_dashboard(summary, tmp_path / "goals.png")
        joined = "\n".join(texts)
        s = json.loads((demo_results[name] / "summary.json").read_text())
        for fragment in ("90 %-regelen", "(each)", "Nullvekst", "Kortreist hverdag",
                         "Miljøvennlige transportmidler førstevalg", "CO2 fra bilkjøring",
                         f"{s['goals']['green_share']['value']:.1%} vs 60.0%",
                         f"{s['goals']['co2']['co2_t_per_year']:,.0f} t"):
            assert fragment in joined, (name, fragment)
        assert joined.count("rests on") == 5 and "SYNTHETIC" in joined
