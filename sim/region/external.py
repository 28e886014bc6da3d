"""Destinations outside the region: zones from population grids, and how stops reach them.

A region's residents travel to places outside it (Bærum: 20 % of trips to or from
Oslo, 20 % elsewhere). :func:`external_from_pack` turns the pack's ``[external]`` areas
into zones of real residents (the SSB grid of Oslo, Asker, the rest of Akershus):

* every stop named in ``station_zones`` gets the zone of the grid cells within its
  catchment, so a line's far end (Majorstuen, Skøyen, Asker ...) reaches real places;
* the other cells are grouped into population-weighted k-means zones;
* a zone's door is the population-weighted centre of its cells.

Stops reach zones on foot (:data:`~sim.region.model.EXTERNAL_LINK_COLUMNS` ``walk``):
on real streets where the pack's far-end street file covers both ends, else over the
lattice (straight distance × detour, labelled synthetic); and by an onward ride on the
area's own network from its ``onward_from`` hubs (estimated speed and headway).
Every stop of every line must be linked to the region's streets or to a zone door:
:func:`check_stops_linked` makes an unlinkable stop an import error.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry.base import BaseGeometry

from sim.domain import CRS, Line, Stop, Streets
from sim.errors import InputError
from sim.graph import Graph, many_to_many, nearest_points
from sim.readers.layers import cells_from_population, read_layer
from sim.readers.osm_box import streets_in_box
from sim.region.model import EXTERNAL_LINK_COLUMNS, EXTERNAL_ZONE_COLUMNS, Layer
from sim.region.pack import ExternalArea, ExternalSpec, RegionPack
from sim.region.proxies import weighted_kmeans

log = logging.getLogger(__name__)


def _municipality_boundary(
    municipalities: pd.DataFrame, column: str, area: ExternalArea, path: Path
) -> BaseGeometry:
    """Union of the municipalities matching the area's patterns (minus its exclusions)."""
    if column not in municipalities:
        raise InputError(f"{path}: no column {column!r} (expected municipality numbers)")
    numbers = municipalities[column].astype(str)

    def matches(patterns: list[str]) -> np.ndarray:
        return np.array([any(fnmatch.fnmatch(n, p) for p in patterns) for n in numbers])

    chosen = matches(area.kommuner) & ~matches(area.exclude_kommuner)
    if not chosen.any():
        raise InputError(f"{path}: no municipality matches {area.kommuner} for external "
                         f"area {area.name!r}")
    return shapely.union_all(municipalities.geometry.to_numpy()[chosen])


def _door(cells: pd.DataFrame) -> tuple[float, float, float]:
    """Population-weighted centre of cells and their population."""
    w = cells.population.to_numpy(float)
    return (float(np.average(cells.x, weights=w)), float(np.average(cells.y, weights=w)),
            float(w.sum()))


def zones_of_area(
    area: ExternalArea, cells: pd.DataFrame, stops: dict[str, Stop], seed: int
) -> pd.DataFrame:
    """Zones of one external area: station catchments first, k-means zones for the rest.

    Returns rows with :data:`EXTERNAL_ZONE_COLUMNS`; station zones are named
    ``"<area>: <stop>"``, the others ``"<area> NN"`` by falling population.
    """
    xy = cells[["x", "y"]].to_numpy(float)
    rows: list[dict] = []
    rest = np.ones(len(cells), bool)
    if area.station_zones:
        sx = np.array([stops[s].x for s in area.station_zones])
        sy = np.array([stops[s].y for s in area.station_zones])
        nearest, dist = nearest_points(sx, sy, xy[:, 0], xy[:, 1])
        for k, stop in enumerate(area.station_zones):
            members = (nearest == k) & (dist <= area.catchment_m)
            if members.any():
                rows.append({"name": f"{area.name}: {stop}", **_zone(area, cells[members])})
                rest &= ~members
    if rest.any():
        centres, label = weighted_kmeans(xy[rest], cells.population.to_numpy(float)[rest],
                                         area.other_zones, seed)
        others = [_zone(area, cells[rest][label == k]) for k in range(len(centres))
                  if (label == k).any()]
        others.sort(key=lambda z: (-z["population"], z["x"], z["y"]))
        single = len(others) == 1
        rows += [{"name": area.name if single else f"{area.name} {i + 1:02d}", **z}
                 for i, z in enumerate(others)]
    return pd.DataFrame(rows, columns=list(EXTERNAL_ZONE_COLUMNS))


def _zone(area: ExternalArea, cells: pd.DataFrame) -> dict:
    x, y, population = _door(cells)
    return {"area": area.name, "group": area.group, "x": x, "y": y, "population": population,
            "kind": area.kind, "car_kmh": area.car_kmh, "status": area.status}


def _street_distances(
    streets: Streets, spec: ExternalSpec, ax: np.ndarray, ay: np.ndarray, bx: np.ndarray,
    by: np.ndarray,
) -> np.ndarray:
    """Walking metres on real streets from points a to points b, snaps included; ``inf``
    where either end lies farther than ``streets_snap_m`` from the streets."""
    walk = streets.walk
    graph = Graph.from_edges(streets.u[walk], streets.v[walk], streets.length_m[walk],
                             streets.n_nodes)
    on_walk = np.zeros(streets.n_nodes, bool)
    on_walk[streets.u[walk]] = on_walk[streets.v[walk]] = True
    na, da = nearest_points(streets.node_x, streets.node_y, ax, ay, on_walk)
    nb, db = nearest_points(streets.node_x, streets.node_y, bx, by, on_walk)
    out = np.full((ax.size, bx.size), np.inf)
    ok_a, ok_b = da <= spec.streets_snap_m, db <= spec.streets_snap_m
    if ok_a.any() and ok_b.any():
        d = many_to_many(graph, na[ok_a], nb[ok_b]) + da[ok_a, None] + db[None, ok_b]
        out[np.ix_(ok_a, ok_b)] = d
    return out


def walk_links(
    zones: pd.DataFrame, stops: dict[str, Stop], radius_m: float, detour: float,
    streets: Streets | None = None, spec: ExternalSpec | None = None,
) -> pd.DataFrame:
    """Walking links between zone doors and the stops within ``radius_m`` of them.

    On real ``streets`` where both ends snap to them (``status`` real), else straight
    distance × ``detour`` (the lattice, ``status`` synthetic).
    """
    names = list(stops)
    sx = np.array([stops[s].x for s in names])
    sy = np.array([stops[s].y for s in names])
    zx, zy = zones.x.to_numpy(float), zones.y.to_numpy(float)
    straight = np.hypot(zx[:, None] - sx[None, :], zy[:, None] - sy[None, :])
    real = np.full(straight.shape, np.inf)
    if streets is not None and spec is not None and streets.n_nodes:
        real = _street_distances(streets, spec, zx, zy, sx, sy)
    i, j = np.nonzero(straight <= radius_m)
    on_street = np.isfinite(real[i, j])
    return pd.DataFrame({
        "zone": zones.name.to_numpy()[i], "stop": np.array(names, dtype=object)[j],
        "kind": "walk",
        "metres": np.where(on_street, real[i, j], np.maximum(straight[i, j] * detour, 1.0)),
        "speed_kmh": np.nan, "headway_min": np.nan,
        "status": np.where(on_street, "real", "synthetic"),
    }, columns=list(EXTERNAL_LINK_COLUMNS))


def onward_links(
    zones: pd.DataFrame, areas: list[ExternalArea], stops: dict[str, Stop]
) -> pd.DataFrame:
    """Onward rides from each area's hub stops to every zone of the area (estimated)."""
    rows = []
    for area in areas:
        mine = zones[zones.area == area.name]
        for stop in area.onward_from:
            s = stops[stop]
            d = np.hypot(mine.x.to_numpy(float) - s.x, mine.y.to_numpy(float) - s.y)
            rows += [{"zone": z, "stop": stop, "kind": "onward",
                      "metres": max(float(m) * area.onward_detour, 1.0),
                      "speed_kmh": area.onward_kmh, "headway_min": area.onward_headway_min,
                      "status": "estimated"} for z, m in zip(mine.name, d, strict=True)]
    return pd.DataFrame(rows, columns=list(EXTERNAL_LINK_COLUMNS))


_TO_LONLAT = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def _link_box(zones: pd.DataFrame, stops: dict[str, Stop],
              radius_m: float) -> tuple[float, float, float, float]:
    """Lon/lat box around every zone door and stop that may be linked on foot."""
    sx = np.array([s.x for s in stops.values()])
    sy = np.array([s.y for s in stops.values()])
    zx, zy = zones.x.to_numpy(float), zones.y.to_numpy(float)
    near = np.hypot(zx[:, None] - sx[None, :], zy[:, None] - sy[None, :]) <= radius_m
    x = np.r_[zx[near.any(axis=1)], sx[near.any(axis=0)]]
    y = np.r_[zy[near.any(axis=1)], sy[near.any(axis=0)]]
    if not x.size:
        return (0.0, 0.0, 0.0, 0.0)
    lon, lat = _TO_LONLAT.transform([x.min() - radius_m, x.max() + radius_m],
                                    [y.min() - radius_m, y.max() + radius_m])
    return float(lon[0]), float(lat[0]), float(lon[1]), float(lat[1])


def external_from_pack(
    pack: RegionPack, files: dict[str, list[Path]], stops: dict[str, Stop]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Layer]]:
    """External zones, their links to the stops, and their layers' provenance.

    Without ``[external]`` the pack's point zones are used and their links are left to
    the network (stops within the walking radius of a zone).
    """
    points = pack.external_zone_frame()
    spec = pack.external
    if spec is None:
        return points, pd.DataFrame(columns=list(EXTERNAL_LINK_COLUMNS)), {}
    municipalities = read_layer(files[f"external.{spec.municipalities}"][0], "municipalities")
    frames = [points] if len(points) else []
    for area in spec.areas:
        path = files[f"external.{area.population}"][0]
        boundary = _municipality_boundary(municipalities, spec.municipality_column, area, path)
        cells, _ = cells_from_population([path], boundary)
        frames.append(zones_of_area(area, cells, stops, spec.seed))
    zones = pd.concat(frames, ignore_index=True)
    streets = None
    if spec.streets:
        log.info("external zones: reading streets at the far end")
        box = _link_box(zones, stops, spec.walk_radius_m)
        streets = streets_in_box(files[f"external.{spec.streets}"][0], box)
    walks = walk_links(zones, stops, spec.walk_radius_m, spec.walk_detour, streets, spec)
    links = pd.concat([walks, onward_links(zones, spec.areas, stops)], ignore_index=True)
    return zones, links, _layers(spec, zones, walks)


def _layers(spec: ExternalSpec, zones: pd.DataFrame, walks: pd.DataFrame) -> dict[str, Layer]:
    by_area = zones.groupby("area", sort=False).population.agg(["size", "sum"])
    areas = "; ".join(f"{a}: {int(r['size'])} zones, {r['sum']:,.0f} residents"
                      for a, r in by_area.iterrows())
    n_real = int((walks.status == "real").sum())
    return {
        "external_zones": Layer(status="derived", source=spec.source,
                                note=f"{areas}; doors at population-weighted centres"),
        "external_links": Layer(
            status="synthetic" if n_real < len(walks) else "real", source=spec.source,
            note=f"{len(walks)} walking links between stops and zone doors, {n_real} on real "
            "streets, the rest on the lattice (straight distance × "
            f"{spec.walk_detour:g}); onward rides from hub stops at estimated speeds"),
    }


def unlinked_stops(lines: tuple[Line, ...], stops: dict[str, Stop], streets: Streets,
                   links: pd.DataFrame, snap_max_m: float) -> dict[str, float]:
    """Stops of ``lines`` that nothing reaches, with the distance to the nearest walkable
    street (or lattice) node: farther than ``snap_max_m`` and no walking link to an
    external zone door."""
    names = sorted({s for line in lines for s in line.stops})
    if not names:
        return {}
    walk = streets.walk
    on_walk = np.zeros(streets.n_nodes, bool)
    on_walk[streets.u[walk]] = on_walk[streets.v[walk]] = True
    _, dist = nearest_points(streets.node_x, streets.node_y,
                             np.array([stops[s].x for s in names]),
                             np.array([stops[s].y for s in names]), on_walk)
    walked = set(links.stop[links.kind == "walk"])
    return {name: float(d) for name, d in zip(names, dist, strict=True)
            if d > snap_max_m and name not in walked}


def trim_to_linked(lines: tuple[Line, ...], unlinked: set[str]) -> tuple[Line, ...]:
    """Each line cut to its longest run of consecutive linked stops (a feed's line that
    runs far beyond the region, e.g. to an airport); lines with fewer than two left go.

    >>> from sim.domain import Line
    >>> line = Line("X", "bus", ("a", "b", "c", "d"), (1.0, 2.0, 3.0), 10, 20)
    >>> trim_to_linked((line,), {"c"})[0].stops
    ('a', 'b')
    """
    out = []
    for line in lines:
        best, start = (0, 0), 0
        for k, name in enumerate((*line.stops, None)):
            if name is None or name in unlinked:
                if k - start > best[1] - best[0]:
                    best = (start, k)
                start = k + 1
        i, j = best
        if j - i >= 2:
            out.append(dataclasses.replace(line, stops=line.stops[i:j],
                                           run_times_min=line.run_times_min[i:j - 1]))
    return tuple(out)


def check_stops_linked(
    lines: tuple[Line, ...], stops: dict[str, Stop], streets: Streets, links: pd.DataFrame,
    snap_max_m: float, radius_m: float,
) -> None:
    """Raise :class:`InputError` for the first stop of a line that nothing can reach.

    A stop is linked when a walkable street (or lattice) node lies within ``snap_max_m``
    or a walking link joins it to an external zone door (within ``radius_m``).
    """
    for name, d in unlinked_stops(lines, stops, streets, links, snap_max_m).items():
        served = ", ".join(line.name for line in lines if name in line.stops)
        raise InputError(
            f"stop {name!r} (line {served}) cannot be linked: the nearest street node is "
            f"{d:,.0f} m away (limit {snap_max_m:,.0f} m) and no external zone door lies "
            f"within {radius_m:,.0f} m (expected streets or an [external] area covering it)")
