"""Online sources: Nominatim and Overpass through osmnx, and plain downloads (SSB, Entur).

Each function asks one service for one thing; :mod:`sim.region.fetch` decides what a
region needs, which URLs (osmnx settings inside :func:`sim.readers.osm.osmnx_settings`)
and where it goes. Downloads resume a partial ``.part`` file.
"""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from pathlib import Path

import geopandas as gpd
import osmnx as ox
from shapely.geometry import MultiPolygon, Polygon

from sim._log import progress
from sim.errors import InputError
from sim.readers.osm import street_tags

log = logging.getLogger(__name__)


def download_file(url: str, dest: Path, timeout: float = 60) -> Path:
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
            with part.open("ab" if done else "wb") as fh, progress(
                log, total=total, initial=done, unit="B", unit_scale=True, desc=dest.name,
            ) as bar:
                while block := resp.read(1 << 16):
                    fh.write(block)
                    bar.update(len(block))
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise InputError(f"{url}: download failed ({exc})") from None
    part.rename(dest)
    return dest


def boundary_from_query(query: str) -> gpd.GeoDataFrame:
    """The boundary polygon of a place name, from Nominatim (``osmnx.geocode_to_gdf``)."""
    try:
        return ox.geocode_to_gdf(query)[["geometry"]]
    except (ox._errors.InsufficientResponseError, TypeError) as exc:
        raise InputError(f"Nominatim: no boundary polygon for {query!r} ({exc})") from None


#: ``oneway`` values for which osmnx (with ``all_oneway``) stores a way's nodes reversed.
_REVERSED = frozenset({"-1", "reverse", "T"})


def osm_from_polygon(polygon: Polygon | MultiPolygon, network_type: str, out: Path) -> Path:
    """The highway ways inside ``polygon`` (WGS84) from Overpass, written as OSM XML.

    Every way is kept once with the tags the street rules read (osmnx ``all_oneway``,
    ``save_graph_xml``), so a downloaded region is read exactly like a local extract:
    permissions per way, then simplification per mode.
    """
    with street_tags(all_oneway=True):
        G = ox.graph_from_polygon(polygon, network_type=network_type, simplify=False,
                                  retain_all=True, truncate_by_edge=True)
        flipped = [(u, v, k, d) for u, v, k, d in G.edges(keys=True, data=True)
                   if str(d.get("oneway")) in _REVERSED]
        for u, v, k, data in flipped:  # osmnx reversed these; the tag says so again
            G.remove_edge(u, v, k)
            G.add_edge(v, u, **data)
        ox.save_graph_xml(G, out)
    return out


def pois_from_polygon(polygon: Polygon | MultiPolygon,
                      tags: dict[str, bool | str | list[str]]) -> gpd.GeoDataFrame | None:
    """Points of interest inside ``polygon`` carrying any of ``tags``, from Overpass
    (None when there are none)."""
    try:
        gdf = ox.features_from_polygon(polygon, tags=tags)
    except ox._errors.InsufficientResponseError:
        return None
    keep = [c for c in (*tags, "name", "construction", "disused") if c in gdf.columns]
    return gdf.reset_index(drop=True)[[*keep, "geometry"]]
