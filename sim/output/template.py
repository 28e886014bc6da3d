"""The scenario template: an empty GeoPackage with one typed layer per drawable input.

``baerum-sim scenario template out.gpkg`` writes it; a planner opens it in QGIS, draws
growth polygons, new lines with their stops and new facilities (EPSG:25833), and names
it in the scenario's ``[gis]`` table. Field names and types come from
:data:`sim.scenario.gis.TEMPLATE_LAYERS`.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sim.domain import CRS
from sim.scenario.gis import TEMPLATE_LAYERS


def write_template(path: Path) -> Path:
    """Write the empty, typed layers ``growth``, ``lines``, ``stops``, ``facilities``.

    The file appears only when complete (written beside it, then moved into place).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        target = tmp / path.name
        for layer, (geometry, fields) in TEMPLATE_LAYERS.items():
            frame = gpd.GeoDataFrame(
                {name: pd.Series(dtype="object" if dtype == "str" else dtype)
                 for name, dtype in fields.items()},
                geometry=gpd.GeoSeries([], crs=CRS), crs=CRS)
            frame.to_file(target, layer=layer, driver="GPKG", geometry_type=geometry)
        target.replace(path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path
