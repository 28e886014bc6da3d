"""Plot helpers: cells land on the right raster positions."""

from __future__ import annotations

import numpy as np

from sim.output.style import CellGrid


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
