"""Vector layers: any GIS file read into the region's CRS, the boundary and the population
grid.

Population cells (SSB 250 m grid, or any polygon/point layer) are kept when their
centre lies inside the region boundary.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry.base import BaseGeometry

from sim.domain import CRS, utm_crs
from sim.errors import InputError

#: Column names recognised as population counts, in order of preference.
POPULATION_COLUMNS = ("pop_tot", "population", "befolkning", "pop", "bosatte", "persons",
                      "tot_pop", "value")

#: Column names recognised as cell identifiers.
CELL_ID_COLUMNS = ("ru250m", "ssbid", "ssb_id", "cell_id", "id")


def read_layer(path: Path | str, what: str, crs: str | None = CRS, layer: str | None = None,
               fid_as_index: bool = False) -> gpd.GeoDataFrame:
    """Read a vector file as a GeoDataFrame in ``crs`` (default EPSG:25833; None: as is).

    Raises :class:`InputError` for a missing or unreadable file, a layer without CRS
    or an empty layer. ``what`` names the layer in messages (e.g. ``"boundary"``);
    ``layer`` picks a layer of a multi-layer file (GeoPackage); ``fid_as_index`` keeps
    the file's feature ids as the index.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected the {what} layer)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gdf = gpd.read_file(path, engine="pyogrio", layer=layer,
                                fid_as_index=fid_as_index)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError,
            OSError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable vector file for {what} ({msg})") from None
    if gdf.crs is None:
        raise InputError(f"{path}: {what} layer has no CRS (expected a defined CRS, "
                         f"e.g. EPSG:25833 or EPSG:4326)")
    geoms = gdf.geometry.to_numpy()
    gdf = gdf[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    if gdf.empty:
        raise InputError(f"{path}: {what} layer has no features with geometry")
    if crs is not None and not gdf.crs.equals(crs):
        try:
            gdf = gdf.to_crs(crs)
        except Exception as exc:
            raise InputError(f"{path}: cannot transform {what} from {gdf.crs} to {crs} "
                             f"({exc})") from None
    return gdf


def boundary_from_file(path: Path | str, crs: str = CRS) -> BaseGeometry:
    """The region boundary (union of all polygons of the file) in ``crs``."""
    gdf = read_layer(path, "boundary", crs)
    polys = gdf[gdf.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polys.empty:
        raise InputError(f"{path}: boundary has no polygons (expected a (Multi)Polygon)")
    # self-intersecting rings and the like are repaired before the union, not refused
    parts = shapely.get_parts(shapely.make_valid(polys.geometry.to_numpy()))
    geom = shapely.union_all(parts[shapely.get_type_id(parts) == 3])  # polygons only
    if geom.is_empty or geom.area <= 0:
        raise InputError(f"{path}: boundary is empty (expected a polygon with area > 0)")
    return geom


def region_crs(boundary_path: Path | str, crs: str = "") -> str:
    """``crs`` when given, else the local UTM zone of the boundary's centre."""
    if crs:
        return crs
    gdf = read_layer(boundary_path, "boundary", None)
    centre = gdf.to_crs("EPSG:4326").geometry.union_all().centroid
    return utm_crs(centre.x, centre.y)


def population_column(gdf: pd.DataFrame, path: Path | str, column: str = "") -> str:
    """The population column of a layer: ``column`` if given, else auto-detected."""
    if column:
        if column not in gdf.columns:
            raise InputError(f"{path}: population column {column!r} not found "
                             f"(columns: {', '.join(map(str, gdf.columns))})")
        return column
    lower = {str(c).lower(): c for c in gdf.columns}
    for name in POPULATION_COLUMNS:
        if name in lower:
            return lower[name]
    raise InputError(f"{path}: no population column (expected one of "
                     f"{', '.join(POPULATION_COLUMNS)}; columns: "
                     f"{', '.join(str(c) for c in gdf.columns if c != 'geometry')})")


def _cell_size(geoms: gpd.GeoSeries, centres: np.ndarray) -> float:
    polys = geoms[geoms.geom_type.isin(["Polygon", "MultiPolygon"])]
    if len(polys):
        return float(np.sqrt(np.median(polys.area)))
    if len(centres) < 2:
        return 250.0
    from scipy.spatial import cKDTree

    d, _ = cKDTree(centres).query(centres, k=2)
    return float(np.median(np.asarray(d)[:, 1]))


def cells_from_population(
    paths: Sequence[Path | str], boundary: BaseGeometry, column: str = "", crs: str = CRS,
) -> tuple[pd.DataFrame, float]:
    """Grid cells with centre inside ``boundary``, and the cell size in metres.

    Parameters
    ----------
    paths
        Population layers (SSB grid GeoPackage, zip, GeoJSON ...): polygons or points.
        Several files are concatenated; duplicate cell ids are dropped.
    boundary
        Region boundary in ``crs``.
    column
        Population column; auto-detected when empty (``pop_tot`` ...).
    crs
        The region's CRS (cell centres are computed in it).

    Returns
    -------
    cells, cell_size_m
        ``cells`` has columns ``cell_id, x, y, population`` (cell centres, persons > 0).
    """
    frames = []
    sizes = []
    for path in paths:
        gdf = read_layer(path, "population", crs)
        col = population_column(gdf, path, column)
        pop = pd.to_numeric(gdf[col], errors="coerce")
        if pop.isna().all():
            raise InputError(f"{path}: population column {col!r} has no numeric values")
        if pop.isna().any() or (pop < 0).any() or not np.isfinite(pop).all():
            bad = int((pop.isna() | (pop < 0) | ~np.isfinite(pop.fillna(0))).sum())
            raise InputError(f"{path}: population column {col!r}: {bad} of {len(pop)} cells "
                             "have no valid count (expected a number >= 0 in every cell)")
        centres = gdf.geometry.centroid
        xy = np.column_stack([centres.x.to_numpy(), centres.y.to_numpy()])
        sizes.append(_cell_size(gdf.geometry, xy))
        id_col = next((c for c in gdf.columns if str(c).lower() in CELL_ID_COLUMNS), None)
        ids = gdf[id_col].astype("int64") if id_col is not None else pd.Series(
            np.arange(len(gdf)), index=gdf.index)
        frames.append(pd.DataFrame({"cell_id": ids.to_numpy(), "x": xy[:, 0], "y": xy[:, 1],
                                    "population": pop.fillna(0).to_numpy(dtype=float)}))
    cells = pd.concat(frames, ignore_index=True).drop_duplicates("cell_id")
    inside = shapely.contains_xy(boundary, cells["x"].to_numpy(), cells["y"].to_numpy())
    cells = cells[inside & (cells["population"] > 0)].reset_index(drop=True)
    if cells.empty:
        raise InputError(f"{paths[0]}: no populated cells inside the boundary "
                         "(expected the grid to overlap the region; check CRS/extent)")
    cells["cell_id"] = cells["cell_id"].astype("int64")
    return cells, round(float(np.median(sizes)), 2)
