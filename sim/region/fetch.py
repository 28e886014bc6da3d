"""The online route: download a region's inputs into ``<pack>/inputs/``.

Writes the file names the pack lists first: ``boundary.geojson``, ``streets.graphml``,
``pois.gpkg``, ``population.zip`` and ``gtfs.zip``. Files already present are skipped
(resume); every file is written to a ``.part`` file first and renamed when complete.
The services are called through :mod:`sim.readers.fetch`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
import osmnx as ox
from shapely.geometry import MultiPolygon, Polygon

from sim.errors import InputError
from sim.readers import fetch as online
from sim.readers.facilities import osm_tag_keys
from sim.region.pack import RegionPack

log = logging.getLogger(__name__)


def _polygon(boundary_file: Path) -> Polygon | MultiPolygon:
    gdf = gpd.read_file(boundary_file).to_crs("EPSG:4326")
    polygon = gdf.geometry.union_all()
    if not isinstance(polygon, Polygon | MultiPolygon):
        raise InputError(f"{boundary_file}: boundary is a {polygon.geom_type}, expected a "
                         "(Multi)Polygon")
    return polygon


def _have(path: Path) -> bool:
    if path.is_file():
        log.info("%s: already complete, skipped", path.name)
        return True
    return False


def fetch_inputs(pack: RegionPack, dest: Path) -> Path:
    """Fetch every input of ``pack`` into ``dest``; returns ``dest``.

    Boundary from Nominatim (``pack.fetch.boundary_query``), streets and POIs (the
    pack's ``osm_tags``) from Overpass inside it, population grid and GTFS feed from
    the pack's URLs.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    boundary = dest / "boundary.geojson"
    if not _have(boundary):
        part = dest / "boundary.geojson.part"
        online.boundary_from_query(pack.fetch.boundary_query).to_file(part, driver="GeoJSON")
        part.rename(boundary)
    polygon = _polygon(boundary)

    streets = dest / "streets.graphml"
    if not _have(streets):
        part = dest / "streets.graphml.part"
        ox.save_graphml(online.streets_from_polygon(polygon, pack.fetch.network_type), part)
        part.rename(streets)

    pois = dest / "pois.gpkg"
    if not _have(pois):
        part = dest / "pois.part.gpkg"
        online.pois_from_polygon(polygon, osm_tag_keys(pack.osm_tags)).to_file(part,
                                                                             driver="GPKG")
        part.rename(pois)

    if not _have(dest / "population.zip"):
        online.download_file(pack.fetch.population_url, dest / "population.zip")
    if pack.fetch.gtfs_url and not _have(dest / "gtfs.zip"):
        online.download_file(pack.fetch.gtfs_url, dest / "gtfs.zip")
    return dest
