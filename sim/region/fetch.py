"""The online route: download a region's inputs into ``<pack>/inputs/``.

Writes the file names the pack lists first: ``boundary.geojson``, ``streets.osm``,
``pois.gpkg``, ``population.zip`` and ``gtfs.zip``. Files already present are skipped
(resume); every file is written to a ``.part`` file first and renamed when complete.
Overpass and Nominatim are asked through osmnx at the pack's ``overpass_url`` and
``nominatim_url`` (set only for the duration of the fetch); the population grid and
the GTFS feed are plain downloads from the pack's URLs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import geopandas as gpd
from shapely.geometry import MultiPolygon, Polygon

from sim.errors import InputError
from sim.readers import fetch as online
from sim.readers.facilities import osm_tag_keys
from sim.readers.osm import osmnx_settings
from sim.region.pack import Fetch, RegionPack

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


def _part(path: Path) -> Path:
    """The temporary name of ``path`` while it is written (suffix kept for drivers)."""
    return path.with_name(f"{path.stem}.part{path.suffix}")


def _fetch_osm(spec: Fetch, pack: RegionPack, dest: Path) -> None:
    boundary = dest / "boundary.geojson"
    if not _have(boundary):
        log.info("boundary of %r from Nominatim (%s)", spec.boundary_query, spec.nominatim_url)
        online.boundary_from_query(spec.boundary_query).to_file(_part(boundary),
                                                                driver="GeoJSON")
        _part(boundary).rename(boundary)
    streets = dest / "streets.osm"
    if not _have(streets):
        log.info("streets from Overpass (%s)", spec.overpass_url)
        online.osm_from_polygon(_polygon(boundary), spec.network_type, _part(streets))
        _part(streets).rename(streets)
    pois = dest / "pois.gpkg"
    if not _have(pois) and pack.osm_tags:
        found = online.pois_from_polygon(_polygon(boundary), osm_tag_keys(pack.osm_tags))
        if found is None:
            log.warning("Overpass: no points of interest of the pack's osm_tags in the area")
        else:
            found.to_file(_part(pois), driver="GPKG")
            _part(pois).rename(pois)


def fetch_inputs(pack: RegionPack, dest: Path, cache: Path | None = None) -> Path:
    """Fetch every input of ``pack`` into ``dest``; returns ``dest``.

    Boundary from Nominatim (``fetch.boundary_query``), streets and POIs (the pack's
    ``osm_tags``) from Overpass inside it, population grid and GTFS feed from the
    pack's URLs. ``cache`` holds osmnx's HTTP cache (default: none).
    """
    spec = pack.fetch
    if spec is None:
        raise InputError(f"{pack.directory}: region {pack.region.name!r} has no [fetch] "
                         "section (no online sources); put its input files in "
                         f"{pack.directory / 'inputs'} instead")
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with osmnx_settings(overpass_url=spec.overpass_url, nominatim_url=spec.nominatim_url,
                        use_cache=cache is not None,
                        cache_folder=str(cache or dest / ".osmnx-cache")):
        _fetch_osm(spec, pack, dest)
    if not _have(dest / "population.zip"):
        online.download_file(spec.population_url, dest / "population.zip")
    if spec.gtfs_url and not _have(dest / "gtfs.zip"):
        online.download_file(spec.gtfs_url, dest / "gtfs.zip")
    return dest
