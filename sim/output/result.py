"""A result directory: ``summary.json``, ``cells.gpkg``, ``basket_changes.csv`` and PNGs.

Everything is written to a temporary directory beside the target and moved into
place only when complete, so a failed run never leaves half a result.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from sim._fs import atomic_dir
from sim.domain import CRS
from sim.model.places import place_names, places_of_points
from sim.model.simulation import Simulation
from sim.output.context import context_from_simulation, write_context
from sim.output.plots import (
    plot_access_cdf,
    plot_access_maps,
    plot_basket_change,
    plot_goal_dashboard,
    plot_mode_shares,
    plot_nullvekst_trajectory,
)
from sim.output.qgis import write_qgis_project
from sim.output.summary import Summary, summary_from_simulation, write_summary
from sim.vocab import SUMMARY_MODES


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
    zone_table = final.demand.zones
    for mode in SUMMARY_MODES:
        parts = [c for c in (f"share_{mode}", f"share_{mode}_driver", f"share_{mode}_passenger")
                 if c in zone_table]
        share = zone_table[parts].sum(axis=1).to_numpy(float)
        frame[f"zone_share_{mode}"] = share[sim.zones.cell_zone]
    frame["data_status"] = ("synthetic" if sim.region.fully_synthetic
                            else final.access.cells.network_status.to_numpy())
    return frame


#: The date GeoPackages record as their last change: fixed, so that the same inputs give
#: the same bytes (GDAL writes the current time otherwise).
GPKG_DATE = "2000-01-01T00:00:00.000Z"


@contextmanager
def fixed_gpkg_date() -> Iterator[None]:
    """GDAL writes :data:`GPKG_DATE` into GeoPackages inside this block."""
    old = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": GPKG_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": old})


def write_gpkg(frame: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """One layer of a GeoPackage, byte for byte the same for the same frame."""
    with fixed_gpkg_date():
        frame.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def write_result(sim: Simulation, out: Path, scenario_path: Path, scenario_text: str,
                 force: bool = False, inputs: tuple[Path, ...] = (),
                 extra_inputs: dict[str, str] | None = None) -> Summary:
    """Write every file of the result of ``sim`` into ``out``, atomically; returns the summary.

    ``out`` may replace only an earlier result (or anything with ``force``; see
    :func:`sim._fs.atomic_dir`). ``extra_inputs`` (file → sha256, e.g. the scenario's
    GeoPackage) join the manifest.
    """
    changes = basket_changes(sim)
    cells = cells_frame(sim)
    summary = summary_from_simulation(sim, scenario_path, scenario_text,
                                      cells_gaining=int(changes.gains.sum()),
                                      cells_losing=int(changes.loses.sum()),
                                      extra_inputs=extra_inputs)
    with atomic_dir(out, "result", force, inputs) as tmp:
        write_summary(summary, tmp / "summary.json")
        write_gpkg(cells, tmp / "cells.gpkg", "cells")
        changes[changes.gains | changes.loses].to_csv(tmp / "basket_changes.csv", index=False,
                                                      float_format="%.6g")
        context = context_from_simulation(sim)
        with fixed_gpkg_date():
            write_context(context, tmp / "cells.gpkg")
        write_qgis_project(summary, context, cells, tmp / "project.qgs")
        plot_access_maps(summary, cells, context, tmp)
        plot_access_cdf(summary, cells, tmp / "access_cdf.png")
        plot_basket_change(summary, cells, context, changes, tmp / "basket_change.png")
        plot_mode_shares(summary, tmp / "mode_shares.png")
        plot_nullvekst_trajectory(summary, tmp / "nullvekst_trajectory.png")
        plot_goal_dashboard(summary, tmp / "goals.png")
    return summary
