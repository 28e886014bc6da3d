"""Travel-time matrices (skims): network + zones → door-to-door times by mode and period.

For every origin zone and every destination (internal zones, then external zones
such as Oslo's): walking and cycling times, car in-vehicle time (the period's speed
factor) and distance, car terminal time and parking cost by destination zone type, and
public transport generalised time with its components on the period's timetable.
:class:`Skims` holds the peak and off-peak matrices; :meth:`Skims.combined` weights
them by the share of trips in each period (what the demand model uses).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields

import numpy as np

from sim.graph import AUTO_PREPARE_MIN_ORIGINS, Graph, many_to_many, min_plus_via
from sim.model.network import PT_PARTS, Network, arcs_of, nearest_nodes
from sim.model.pt_legs import transit_core, transit_legs
from sim.params import ModelParams
from sim.vocab import Period


@dataclass(frozen=True)
class TravelTimes:
    """Zone-to-destination matrices of one network state and period (minutes, km, NOK).

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


#: Origin zones per block of matrix rows: the temporaries of one block (e.g. the five
#: public transport parts of every pair) stay small whatever the number of zones.
ORIGIN_BLOCK = 256

#: ``mapper(function, blocks)``: how blocks are computed (``map``: one after the other in
#: this process; a Dask client's ``map`` + ``gather`` would run them on workers).
BlockMapper = Callable[[Callable[[slice], dict[str, np.ndarray]], Iterable[slice]],
                       Iterable[dict[str, np.ndarray]]]


def origin_blocks(n_origins: int, block: int = ORIGIN_BLOCK) -> Iterator[slice]:
    """Consecutive row ranges of at most ``block`` origins.

    >>> [(s.start, s.stop) for s in origin_blocks(5, 2)]
    [(0, 2), (2, 4), (4, 5)]
    """
    for start in range(0, n_origins, block):
        yield slice(start, min(start + block, n_origins))


def rows_by_block(n_origins: int, compute: Callable[[slice], dict[str, np.ndarray]],
                  block: int | None = None, mapper: BlockMapper = map) -> dict[str, np.ndarray]:
    """Matrices whose rows ``compute(rows)`` returns block by block (of ``block`` origins,
    default :data:`ORIGIN_BLOCK`), put together.

    Memory is the result plus the temporaries of the blocks in flight (one with ``map``).
    """
    out: dict[str, np.ndarray] = {}
    blocks = list(origin_blocks(n_origins, block or ORIGIN_BLOCK))
    for rows, part in zip(blocks, mapper(compute, blocks), strict=True):
        for name, values in part.items():
            if name not in out:
                out[name] = np.empty((n_origins, *values.shape[1:]), values.dtype)
            out[name][rows] = values
    return out


def _street_matrix(
    network: Network, graph: Graph, layer: str, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Zone-to-destination network distances on one layer, and each zone's snap distance."""
    node, snap = nearest_nodes(network, x, y, layer)
    dests = np.r_[node, network.external.node.to_numpy()]
    if x.size >= AUTO_PREPARE_MIN_ORIGINS:
        graph.prepare()  # what one call for all origins would do: PHAST from here on
    rows = rows_by_block(x.size, lambda r: {"d": many_to_many(graph, node[r], dests)})
    return rows["d"], snap


def _with_snap(matrix: np.ndarray, snap: np.ndarray, n_ext: int) -> np.ndarray:
    """Add the snap distance at both ends (external zones have none)."""
    return matrix + snap[:, None] + np.r_[snap, np.zeros(n_ext)][None, :]


def _pt_matrices(
    network: Network, x: np.ndarray, y: np.ndarray, params: ModelParams, period: Period
) -> dict[str, np.ndarray]:
    """Public transport generalised time (s) and its unweighted parts per zone pair:
    walking legs and the period's core (:mod:`sim.model.pt_legs`) joined in blocks of
    origin zones (:func:`rows_by_block`)."""
    node, wsnap = nearest_nodes(network, x, y, "walk")
    legs = transit_legs(network, node)
    core = transit_core(network, period, legs)
    ride_s, ride = core.sums(arcs_of(core.graph)[list(PT_PARTS)])
    dest_snap = np.r_[wsnap, np.zeros(len(network.external))]
    dest = np.arange(dest_snap.size)[None, :]

    def block(rows: slice) -> dict[str, np.ndarray]:
        access = legs.access[rows]
        pt_s, first, last = min_plus_via(access, ride_s, legs.egress)
        snap_s = (wsnap[rows, None] + dest_snap[None, :]) / params.walk_speed_mps
        pt_s = pt_s + snap_s * params.walk_weight
        own = np.arange(rows.start, rows.stop)
        pt_s[own - rows.start, own] = np.inf  # no public transport inside a zone
        served = np.isfinite(pt_s)
        if not served.any():  # e.g. a region without public transport
            return {**{name: np.full(pt_s.shape, np.nan) for name in PT_PARTS}, "gen_s": pt_s}
        i, j = np.where(served, first, 0), np.where(served, last, 0)
        out = {name: np.where(served, ride[name][i, j], np.nan) for name in PT_PARTS}
        walked = (np.take_along_axis(access, i, axis=1) + legs.egress[j, dest]) / legs.walk_weight
        out["walk_s"] = out["walk_s"] + walked + snap_s
        out["gen_s"] = pt_s
        return out

    return rows_by_block(x.size, block)


@dataclass(frozen=True)
class Skims:
    """Travel times of the rush hours (``peak``) and the rest of the day (``offpeak``)."""

    peak: TravelTimes
    offpeak: TravelTimes

    def combined(self, peak_share: float) -> TravelTimes:
        """Every matrix weighted by the share of trips in each period."""
        values = {}
        for f in fields(TravelTimes):
            a, b = getattr(self.peak, f.name), getattr(self.offpeak, f.name)
            values[f.name] = a if f.name == "n_internal" else peak_share * a + (1 - peak_share) * b
        return TravelTimes(**values)

    def period(self, period: Period) -> TravelTimes:
        """The travel times of one period."""
        return self.peak if period == "peak" else self.offpeak


def skims_from_network(
    network: Network,
    x: np.ndarray,
    y: np.ndarray,
    zone_kind: np.ndarray,
    params: ModelParams,
) -> Skims:
    """Peak and off-peak matrices between zones at ``(x, y)`` and the external zones.

    Parameters
    ----------
    network
        Graphs of the year.
    x, y
        Representative points of the zones (EPSG:25833).
    zone_kind
        ``"growth_area"``, ``"station"`` or ``"other"`` per zone: sets the car terminal
        time (parking search and walk from the car) and the parking cost; external
        zones use their own kind.
    params
        Model parameters (speeds, speed factors, weights, terminal times, parking).
    """
    ext = network.external
    n_ext = len(ext)
    floor_m = params.zone_size_m * params.intrazonal_share  # intrazonal trip length
    walk_m, snap = _street_matrix(network, network.walk, "walk", x, y)
    bike_m, bsnap = (walk_m, snap) if network.bike is network.walk else _street_matrix(
        network, network.bike, "bike", x, y)
    free_s, csnap = _street_matrix(network, network.car_time, "car", x, y)
    car_m, _ = _street_matrix(network, network.car_length, "car", x, y)
    car_m = np.maximum(car_m, floor_m)
    # walking to and from the snapped car node is part of the terminal time
    csnap_min = csnap / params.walk_speed_mps / 60.0
    ext_kind = ext["kind"].fillna("growth_area").to_numpy(str) if "kind" in ext else np.full(
        n_ext, "growth_area")
    dest_kind = np.r_[zone_kind, ext_kind]
    car_terminal = np.array([params.car_terminal_min[k] for k in dest_kind])
    shared = {
        "n_internal": x.size,
        "walk_min": np.maximum(_with_snap(walk_m, snap, n_ext), floor_m)
        / params.walk_speed_mps / 60.0,
        "bike_min": np.maximum(_with_snap(bike_m, bsnap, n_ext), floor_m)
        / params.bike_speed_mps / 60.0,
        "car_km": car_m / 1000.0,
        "car_terminal_min": _with_snap(car_terminal[None, :].repeat(x.size, 0), csnap_min,
                                       n_ext),
        "parking_nok": np.array([params.parking_nok[k] for k in dest_kind]),
    }
    floor_s = floor_m / (params.intrazonal_car_kmh / 3.6)
    out = {}
    factors: dict[Period, float] = {"peak": params.car_speed_factor_peak,
                                    "offpeak": params.car_speed_factor_offpeak}
    for period, factor in factors.items():
        pt = _pt_matrices(network, x, y, params, period)
        out[period] = TravelTimes(
            **shared, car_min=np.maximum(free_s / factor, floor_s) / 60.0,
            pt_gen_min=pt["gen_s"] / 60.0, pt_ivt_min=pt["ivt_s"] / 60.0,
            pt_wait_min=pt["wait_s"] / 60.0, pt_walk_min=pt["walk_s"] / 60.0,
            pt_boardings=pt["boardings"], pt_km=pt["ivt_m"] / 1000.0)
    return Skims(**out)


def travel_times_from_network(
    network: Network, x: np.ndarray, y: np.ndarray, zone_kind: np.ndarray,
    params: ModelParams,
) -> TravelTimes:
    """The travel times of :func:`skims_from_network`, weighted by the share of trips in
    each period (``params.peak_trip_share``)."""
    return skims_from_network(network, x, y, zone_kind, params).combined(
        params.peak_trip_share)
