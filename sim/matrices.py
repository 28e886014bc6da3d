"""Travel-time matrices stage: network + zones → door-to-door times by mode.

For every origin zone and every destination (internal zones, then external zones
such as Oslo): walking and cycling times, car in-vehicle time (rush-hour and off-peak
speed factors weighted by the share of trips in each period) and distance, car
terminal time and parking cost by destination zone type, and public transport
generalised time with its components.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from sim.network import PT_PARTS, Network, nearest_nodes
from sim.paths import many_to_many, many_to_many_sums
from sim.region import Region
from sim.scenario import ModelParams


@dataclass(frozen=True)
class Zones:
    """Square zones of grid cells: the origins and destinations of the demand model.

    ``cell_zone`` maps each cell to its zone; ``x, y`` are the zones' representative
    points (base-year residents-and-jobs-weighted centroids, so that they do not move
    between years); ``kind`` (growth_area / station / other) sets parking, and
    ``area`` names the area a zone lies in (``"resten"`` when none) for reporting.
    """

    cell_zone: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray
    area: np.ndarray

    @property
    def n(self) -> int:
        """Number of zones."""
        return self.x.size


def zones_from_cells(region: Region, size_m: float) -> Zones:
    """Group the region's cells into square zones of ``size_m`` metres."""
    cells = region.cells
    x = cells.x.to_numpy()
    y = cells.y.to_numpy()
    # the tolerance keeps cells whose centres carry reprojection noise in their own zone
    key = (np.floor((x - x.min()) / size_m + 1e-6).astype(np.int64) * 1_000_003
           + np.floor((y - y.min()) / size_m + 1e-6).astype(np.int64))
    _, zone = np.unique(key, return_inverse=True)
    nz = int(zone.max()) + 1
    w = cells.population.to_numpy(float) + cells.jobs.to_numpy(float) + 1.0
    wz = np.bincount(zone, weights=w, minlength=nz)
    zx = np.bincount(zone, weights=w * x, minlength=nz) / wz
    zy = np.bincount(zone, weights=w * y, minlength=nz) / wz
    kind = np.full(nz, "other", dtype=object)
    area = np.full(nz, "resten", dtype=object)
    # stations first, so that a growth area overrides a station it contains
    for a in sorted(region.areas, key=lambda a: {"other": 0, "station": 1,
                                                 "growth_area": 2}[a.kind]):
        inside = np.hypot(zx - a.x, zy - a.y) <= max(a.radius_m, size_m / 2)
        area[inside] = a.name
        if a.priority:
            kind[inside] = a.kind
    return Zones(cell_zone=zone, x=zx, y=zy, kind=kind.astype(str), area=area.astype(str))


def zone_sums(zones: Zones, values: np.ndarray) -> np.ndarray:
    """Sum a per-cell quantity over each zone."""
    return np.bincount(zones.cell_zone, weights=np.asarray(values, float), minlength=zones.n)


def facility_zone_sums(
    zones: Zones, region: Region, facilities: pd.DataFrame, category: str, column: str | None
) -> np.ndarray:
    """Per zone: the number of ``category`` facilities, or the sum of ``column``.

    A facility counts in the zone of its nearest grid cell.
    """
    fac = facilities[facilities.category == category]
    if not len(fac):
        return np.zeros(zones.n)
    cells = region.cells
    tree = STRtree(shapely.points(cells.x.to_numpy(), cells.y.to_numpy()))
    nearest_cell = tree.query_nearest(shapely.points(fac.x.to_numpy(), fac.y.to_numpy()),
                                      all_matches=False)
    order = np.argsort(nearest_cell[0], kind="stable")
    zone = zones.cell_zone[nearest_cell[1][order]]
    values = np.ones(len(fac)) if column is None else np.nan_to_num(fac[column].to_numpy(float))
    return np.bincount(zone, weights=values, minlength=zones.n)


@dataclass(frozen=True)
class TravelTimes:
    """Zone-to-destination matrices of one network state (minutes, km, NOK).

    Rows are origin zones; columns are the same zones followed by the external zones.
    ``pt_gen_min`` is what the public transport search minimises (walking and waiting
    weighted, boarding penalty included); the ``pt_*`` components add up the
    unweighted parts of that same path: in-vehicle and waiting time, walking (access,
    transfers, egress), boardings (transfers + 1) and in-vehicle km. ``inf`` (NaN for
    components) marks pairs a mode cannot serve.
    """

    n_internal: int
    walk_min: np.ndarray
    bike_min: np.ndarray
    car_min: np.ndarray
    car_km: np.ndarray
    car_terminal_min: np.ndarray
    parking_nok: np.ndarray
    pt_gen_min: np.ndarray
    pt_ivt_min: np.ndarray
    pt_wait_min: np.ndarray
    pt_walk_min: np.ndarray
    pt_boardings: np.ndarray
    pt_km: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        """(origin zones, destinations)."""
        return self.walk_min.shape


def travel_times_from_network(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    zone_kind: np.ndarray,
    params: ModelParams,
) -> TravelTimes:
    """Matrices between zones at ``(x, y)`` and to the network's external zones.

    Parameters
    ----------
    network
        Graphs of the year.
    x, y
        Representative points of the zones (EPSG:25833).
    zone_kind
        ``"growth_area"``, ``"station"`` or ``"other"`` per zone: sets the car terminal
        time (parking search and walk from the car) and the parking cost.
    params
        Model parameters (speeds, weights, terminal times, parking).
    """
    ext_nodes = network.external.node.to_numpy()
    n_ext = ext_nodes.size
    floor_m = params.zone_size_m / 3.0  # intrazonal trips: a third of the zone size

    def street_matrix(layer: str, graph) -> np.ndarray:
        node, snap = nearest_nodes(network, x, y, layer)
        mat = many_to_many(graph, node, np.r_[node, ext_nodes])
        return mat, snap

    walk_m, snap = street_matrix("walk", network.walk)
    walk_m = walk_m + snap[:, None] + np.r_[snap, np.zeros(n_ext)][None, :]
    bike_m, bsnap = street_matrix("bike", network.bike)
    bike_m = bike_m + bsnap[:, None] + np.r_[bsnap, np.zeros(n_ext)][None, :]
    car_s, csnap = street_matrix("car", network.car_time)
    car_m, _ = street_matrix("car", network.car_length)
    car_m = np.maximum(car_m, floor_m)
    # period speed factors: the car time of a trip is the mean over the day's periods
    p = params.peak_trip_share
    congestion = p / params.car_speed_factor_peak + (1 - p) / params.car_speed_factor_offpeak
    car_s = np.maximum(car_s * congestion, floor_m / (30 / 3.6))
    # walking to and from the snapped car node is part of the terminal time
    csnap_min = csnap / params.walk_speed_mps / 60.0

    terminal = {k: params.car_terminal_min[k] for k in ("growth_area", "station", "other")}
    dest_kind = np.r_[zone_kind, np.full(n_ext, "growth_area")]
    car_terminal = np.array([terminal[k] for k in dest_kind])
    parking = np.array([params.parking_nok[k] for k in dest_kind])

    node, wsnap = nearest_nodes(network, x, y, "walk")
    n = network.n_nodes
    pt_s, parts = many_to_many_sums(network.pt, node, np.r_[node, ext_nodes] + n,
                                    network.pt_parts)
    snap_s = (wsnap[:, None] + np.r_[wsnap, np.zeros(n_ext)][None, :]) / params.walk_speed_mps
    pt_s = pt_s + snap_s * params.walk_weight
    np.fill_diagonal(pt_s[:, : x.size], np.inf)  # no public transport inside a zone
    served = np.isfinite(pt_s)
    part = {name: np.where(served, parts[..., i], np.nan) for i, name in enumerate(PT_PARTS)}
    return TravelTimes(
        n_internal=x.size,
        walk_min=np.maximum(walk_m, floor_m) / params.walk_speed_mps / 60.0,
        bike_min=np.maximum(bike_m, floor_m) / params.bike_speed_mps / 60.0,
        car_min=car_s / 60.0,
        car_km=car_m / 1000.0,
        car_terminal_min=car_terminal[None, :] + csnap_min[:, None]
        + np.r_[csnap_min, np.zeros(n_ext)][None, :],
        parking_nok=parking,
        pt_gen_min=pt_s / 60.0,
        pt_ivt_min=part["ivt_s"] / 60.0,
        pt_wait_min=part["wait_s"] / 60.0,
        pt_walk_min=(part["walk_s"] + snap_s) / 60.0,
        pt_boardings=part["boardings"],
        pt_km=part["ivt_m"] / 1000.0,
    )


#: Modules whose code determines the matrices; their text is part of the cache key.
_CODE = ("matrices.py", "network.py", "paths.py", "_paths_kernels.py", "region.py")


def matrix_cache_key(region: Region, state: tuple, zones: Zones, params: ModelParams) -> str:
    """sha256 of everything the matrices depend on: code, inputs, network state, zones."""
    digest = hashlib.sha256()
    here = Path(__file__).parent
    for name in _CODE:
        digest.update((here / name).read_bytes())
    digest.update(repr((region.name, region.seed, sorted(region.inputs.items()))).encode())
    digest.update(repr(state).encode())
    digest.update(zones.x.tobytes() + zones.y.tobytes() + "|".join(zones.kind).encode())
    params_json = params.model_dump_json(exclude={"asc_bike", "asc_pt", "asc_car_driver",
                                                  "asc_car_passenger", "destination_theta"})
    digest.update(params_json.encode())
    return digest.hexdigest()


def travel_times_cached(
    network: Network, zones: Zones, params: ModelParams, key: str, cache: Path | None
) -> TravelTimes:
    """:func:`travel_times_from_network`, stored as ``<cache>/matrices/<key>.npz``.

    A cached file is used only when its key (see :func:`matrix_cache_key`) matches, so a
    change of code, inputs, network state, zones or parameters recomputes.
    """
    path = None if cache is None else cache / "matrices" / f"{key}.npz"
    if path is not None and path.is_file():
        with np.load(path, allow_pickle=False) as data:
            return TravelTimes(**{f.name: data[f.name] if data[f.name].ndim else
                                  data[f.name].item() for f in fields(TravelTimes)})
    tt = travel_times_from_network(network, zones.x, zones.y, zones.kind, params)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.stem}.{os.getpid()}.npz")
        np.savez(tmp, **{f.name: getattr(tt, f.name) for f in fields(TravelTimes)})
        tmp.replace(path)
    return tt


def line_loads(
    network: Network, x: np.ndarray, y: np.ndarray, pt_trips: np.ndarray
) -> dict[str, dict[str, float]]:
    """Boardings and passenger-km per line from zone-to-destination PT trips.

    The trips are loaded onto the same shortest generalised-time paths the travel
    times come from (all-or-nothing assignment).
    """
    n_lines = len(network.lines)
    if n_lines == 0:
        return {}
    node, _ = nearest_nodes(network, x, y, "walk")
    dest = np.r_[node, network.external.node.to_numpy()] + network.n_nodes
    on_line = network.pt_line[:, None] == np.arange(n_lines)[None, :]
    parts = network.pt_parts
    values = np.hstack([on_line * parts[:, [3]], on_line * parts[:, [4]] / 1000.0])
    trips = np.where(np.isfinite(pt_trips), pt_trips, 0.0)
    _, per_origin = many_to_many_sums(network.pt, node, dest, values, flows=trips)
    total = per_origin.sum(axis=0)
    return {line.name: {"boardings": float(total[i]), "pkm": float(total[n_lines + i])}
            for i, line in enumerate(network.lines)}
