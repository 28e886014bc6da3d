"""A result directory: ``summary.json``, ``cells.gpkg``, ``basket_changes.csv`` and PNGs.

Everything is written to a temporary directory beside the target and moved into
place only when complete, so a failed run never leaves half a result.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from sim._fs import atomic_dir
from sim.domain import CRS
from sim.model.places import place_names, places_of_points
from sim.model.simulation import Simulation
from sim.output.plots import (
    plot_access_cdf,
    plot_access_maps,
    plot_basket_change,
    plot_goal_dashboard,
    plot_mode_shares,
    plot_nullvekst_trajectory,
)
from sim.output.summary import Summary, summary_from_simulation, write_summary


def basket_changes(sim: Simulation) -> pd.DataFrame:
    """Per cell: the everyday basket in the base and final year, and who gains or loses it.

    ``gains``/``loses`` are set only for cells with residents in the final year.
    """
    base, final = sim.base.access.cells, sim.final.access.cells
    table = pd.DataFrame(
        {
            "cell_id": sim.region.cells.cell_id.to_numpy(),
            "x": sim.region.cells.x.to_numpy(),
            "y": sim.region.cells.y.to_numpy(),
            "residents_base": sim.base.residents,
            "residents_final": sim.final.residents,
            "n_within_base": base.n_within.to_numpy(),
            "n_within_final": final.n_within.to_numpy(),
            "basket_base": base.all_within.to_numpy(),
            "basket_final": final.all_within.to_numpy(),
            "network_status": ("synthetic" if sim.region.fully_synthetic
                               else final.network_status.to_numpy()),
        }
    )
    table["gains"] = table.basket_final & ~table.basket_base & (table.residents_final > 0)
    table["loses"] = table.basket_base & ~table.basket_final & (table.residents_final > 0)
    return table


def cells_frame(sim: Simulation) -> gpd.GeoDataFrame:
    """Per-cell layer of the final year: population, growth, place and walking access.

    ``place`` is the area territory a cell lies in (``resten``: none), ``priority_area``
    whether it lies in a priority area, ``new_development`` whether it had no residents
    and takes growth (reached through the synthetic lattice).
    """
    cells = sim.region.cells
    places = places_of_points(sim.region.areas, cells.x.to_numpy(), cells.y.to_numpy())
    half = sim.region.cell_size_m / 2
    geom = shapely.box(cells.x - half, cells.y - half, cells.x + half, cells.y + half)
    final = sim.final
    frame = gpd.GeoDataFrame(
        {
            "cell_id": cells.cell_id.to_numpy(),
            "population_base": cells.population.to_numpy(),
            "new_residents": final.growth.cells.new_residents.to_numpy(),
            "residents": final.residents,
            "jobs": final.jobs,
            "zone": sim.zones.cell_zone,
            "place": place_names(sim.region.areas, places.territory).astype(str),
            "priority_area": places.priority,
            "new_development": cells.get("new_development", pd.Series(False, index=cells.index)
                                         ).to_numpy(bool),
        },
        geometry=geom,
        crs=CRS,
    )
    for column in final.access.cells.columns:
        frame[column] = final.access.cells[column].to_numpy()
    frame["data_status"] = ("synthetic" if sim.region.fully_synthetic
                            else final.access.cells.network_status.to_numpy())
    return frame


def write_result(sim: Simulation, out: Path, scenario_path: Path, scenario_text: str) -> Summary:
    """Write every file of the result of ``sim`` into ``out``, atomically; returns the summary."""
    changes = basket_changes(sim)
    cells = cells_frame(sim)
    summary = summary_from_simulation(sim, scenario_path, scenario_text,
                                      cells_gaining=int(changes.gains.sum()),
                                      cells_losing=int(changes.loses.sum()))
    with atomic_dir(out) as tmp:
        write_summary(summary, tmp / "summary.json")
        cells.to_file(tmp / "cells.gpkg", layer="cells", driver="GPKG")
        changes[changes.gains | changes.loses].to_csv(tmp / "basket_changes.csv", index=False,
                                                      float_format="%.6g")
        plot_access_maps(summary, cells, tmp)
        plot_access_cdf(summary, cells, tmp / "access_cdf.png")
        plot_basket_change(summary, cells, changes, tmp / "basket_change.png")
        plot_mode_shares(summary, tmp / "mode_shares.png")
        plot_nullvekst_trajectory(summary, tmp / "nullvekst_trajectory.png")
        plot_goal_dashboard(summary, tmp / "goals.png")
    return summary
