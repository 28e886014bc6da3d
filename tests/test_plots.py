"""Plot helpers: cells land on the right raster positions."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sim.output import plots
from sim.output.style import CellGrid
from sim.output.summary import read_summary


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
