"""Street segments of an OpenStreetMap extract inside a box, read fast with pyosmium.

For walking distances over a few kilometres at the far end of a line (e.g. from Oslo
stops to zone doors) the whole osmnx pipeline of :mod:`sim.readers.osm` is not needed:
this reads only the highway ways with a node inside a lon/lat box, keeps every segment
between consecutive nodes (no simplification), and decides walk/bike/car permissions
with the same rules (:func:`sim.readers.street_rules.way_modes`), one-way streets
included.
"""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import osmium

from sim.domain import Streets, lonlat_to_xy
from sim.errors import InputError
from sim.readers.street_rules import car_speed_kmh, way_modes
from sim.readers.streets import MIN_EDGE_LENGTH_M


def streets_in_box(path: Path | str, box: tuple[float, float, float, float]) -> Streets:
    """Street segments (EPSG:25833) of the highway ways of ``path`` that have a node
    inside ``box`` = ``(lon_min, lat_min, lon_max, lat_max)``; empty when none does.

    Raises :class:`InputError` for a missing or unreadable file.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: file not found (expected an OSM extract)")
    lon0, lat0, lon1, lat1 = box
    index: dict[int, int] = {}
    lon: list[float] = []
    lat: list[float] = []
    u: list[int] = []
    v: list[int] = []
    modes: list[tuple[bool, bool, bool, float, bool]] = []
    try:
        processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
        for way in processor.with_locations():
            if not isinstance(way, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in way.tags}
            walk, bike, car, direction = way_modes(tags)
            if not (walk or bike or car):
                continue
            nodes = [(n.ref, n.location.lon, n.location.lat) for n in way.nodes
                     if n.location.valid()]
            if not any(lon0 <= a <= lon1 and lat0 <= b <= lat1 for _, a, b in nodes):
                continue
            speed = car_speed_kmh(tags["highway"], tags.get("maxspeed"))
            ids = []
            for ref, node_lon, node_lat in nodes:
                if ref not in index:
                    index[ref] = len(lon)
                    lon.append(node_lon)
                    lat.append(node_lat)
                ids.append(index[ref])
            if direction < 0:
                ids.reverse()
            for a, b in pairwise(ids):
                if a != b:
                    u.append(a)
                    v.append(b)
                    modes.append((walk, bike, car, speed, direction != 0))
    except (RuntimeError, osmium.InvalidLocationError, ValueError) as exc:
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: not a readable OSM file ({msg})") from None
    px, py = lonlat_to_xy(np.asarray(lon, float), np.asarray(lat, float))
    x, y = np.asarray(px, float), np.asarray(py, float)
    ua, va = np.asarray(u, np.int64), np.asarray(v, np.int64)
    flags = np.asarray(modes, float).reshape(-1, 5)
    return Streets(
        node_x=x, node_y=y, u=ua, v=va,
        length_m=np.maximum(np.hypot(x[ua] - x[va], y[ua] - y[va]), MIN_EDGE_LENGTH_M),
        walk=flags[:, 0] > 0, bike=flags[:, 1] > 0, car=flags[:, 2] > 0,
        car_speed_kmh=flags[:, 3], synthetic=np.zeros(ua.size, bool), oneway=flags[:, 4] > 0,
    )
