"""Online route: download a region's inputs (osmnx/Overpass, SSB grid, Entur GTFS).

Writes into ``network_data/<region>/inputs/`` the file names the pack lists first:
``boundary.geojson``, ``streets.graphml``, ``pois.gpkg``, ``population.zip`` and
``gtfs.zip``. Files already present are skipped (resume); every file is written to a
``.part`` file first and renamed when complete. Tests replace :func:`download_file` and
the osmnx functions used here.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

import osmnx as ox
from tqdm import tqdm

from sim.errors import InputError
from sim.facilities import osm_tag_keys
from sim.pack import RegionPack

#: Extra way tags kept when downloading streets (needed for the mode masks).
STREET_TAGS = ("sidewalk", "foot", "bicycle", "motor_vehicle", "motorcar", "maxspeed")


def download_file(url: str, dest: Path, quiet: bool = False, timeout: float = 60) -> Path:
    """Download ``url`` to ``dest`` with a progress bar; resumes a partial ``.part`` file."""
    part = dest.with_name(dest.name + ".part")
    done = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "baerum-sim"})
    if done:
        request.add_header("Range", f"bytes={done}-")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            if done and resp.status != 206:  # server ignored the range: start again
                done = 0
            total = resp.length + done if resp.length else None
            with part.open("ab" if done else "wb") as fh, tqdm(
                total=total, initial=done, unit="B", unit_scale=True, desc=dest.name,
                disable=True if quiet else None,
            ) as bar:
                while block := resp.read(1 << 16):
                    fh.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise InputError(f"{url}: download failed ({exc})") from None
    part.rename(dest)
    return dest


def _polygon(boundary_file: Path):
    import geopandas as gpd

    gdf = gpd.read_file(boundary_file).to_crs("EPSG:4326")
    return gdf.geometry.union_all()


def fetch_inputs(pack: RegionPack, dest: Path, quiet: bool = False) -> Path:
    """Fetch every input of ``pack`` into ``dest``; returns ``dest``.

    Boundary: ``osmnx.geocode_to_gdf(pack.fetch.boundary_query)``. Streets:
    ``osmnx.graph_from_polygon(boundary, network_type=...)`` saved as GraphML. POIs:
    ``osmnx.features_from_polygon(boundary, tags=<pack osm_tags merged>)``. Population
    and GTFS: :func:`download_file` from the pack's URLs.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    steps = tqdm(total=5, desc=f"fetch {pack.region.name}", unit="file",
                 disable=True if quiet else None)

    def done(name: str) -> bool:
        if (dest / name).is_file():
            if not quiet:
                tqdm.write(f"{name}: already complete, skipped")
            steps.update()
            return True
        return False

    boundary = dest / "boundary.geojson"
    if not done(boundary.name):
        gdf = ox.geocode_to_gdf(pack.fetch.boundary_query)
        tmp = dest / "boundary.geojson.part"
        gdf[["geometry"]].to_file(tmp, driver="GeoJSON")
        tmp.rename(boundary)
        steps.update()
    polygon = _polygon(boundary)

    if not done("streets.graphml"):
        tags = list(ox.settings.useful_tags_way)
        ox.settings.useful_tags_way = list(dict.fromkeys([*tags, *STREET_TAGS]))
        try:
            G = ox.graph_from_polygon(polygon, network_type=pack.fetch.network_type,
                                      simplify=True, retain_all=True)
        finally:
            ox.settings.useful_tags_way = tags
        tmp = dest / "streets.graphml.part"
        ox.save_graphml(G, tmp)
        tmp.rename(dest / "streets.graphml")
        steps.update()

    if not done("pois.gpkg"):
        tags = osm_tag_keys(pack.osm_tags)
        gdf = ox.features_from_polygon(polygon, tags=tags)
        keep = [c for c in (*tags, "name") if c in gdf.columns]
        tmp = dest / "pois.part.gpkg"
        gdf = gdf.reset_index(drop=True)[[*keep, "geometry"]]
        gdf.to_file(tmp, driver="GPKG")
        shutil.move(tmp, dest / "pois.gpkg")
        steps.update()

    if not done("population.zip"):
        download_file(pack.fetch.population_url, dest / "population.zip", quiet=quiet)
        steps.update()

    if pack.fetch.gtfs_url and not done("gtfs.zip"):
        download_file(pack.fetch.gtfs_url, dest / "gtfs.zip", quiet=quiet)
        steps.update()
    steps.close()
    return dest
