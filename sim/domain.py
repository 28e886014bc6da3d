"""Plain data types every stage shares: stops, lines and street arrays, and the CRS.

Readers build them from files, the region pack from facts, the model reads them.
All coordinates are metres in the region's CRS (:data:`CRS`, EPSG:25833, for Norway).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from pyproj import Transformer

from sim.vocab import Mode, Status

#: Default CRS: ETRS89 / UTM 33N, the national projection of Norway (SSB grid, Kartverket).
#: A region pack may name another (``[region] crs``); its default is the local UTM zone.
CRS = "EPSG:25833"


@functools.lru_cache(maxsize=16)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def lonlat_to_xy(lon: float | np.ndarray, lat: float | np.ndarray, crs: str = CRS) -> tuple:
    """WGS84 longitude/latitude to metres in ``crs`` (default :data:`CRS`).

    >>> x, y = lonlat_to_xy(10.5264, 59.8897)  # Sandvika stasjon
    >>> round(x), round(y)
    (249769, 6647585)
    """
    return _transformer("EPSG:4326", crs).transform(lon, lat)


def xy_to_lonlat(x: float | np.ndarray, y: float | np.ndarray, crs: str = CRS) -> tuple:
    """Metres in ``crs`` to WGS84 longitude/latitude."""
    return _transformer(crs, "EPSG:4326").transform(x, y)


def utm_crs(lon: float, lat: float) -> str:
    """The WGS84 UTM zone of a point, e.g. ``"EPSG:32632"`` (the default of a pack
    without ``crs``: lengths and areas are true to about 0.1 % inside the zone).

    >>> utm_crs(10.5, 59.9), utm_crs(-70.6, -33.4)
    ('EPSG:32632', 'EPSG:32719')
    """
    zone = int((lon + 180.0) // 6.0) % 60 + 1
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


@dataclass(frozen=True)
class Stop:
    """A public transport stop or station."""

    name: str
    x: float
    y: float
    status: Status = "estimated"


@dataclass(frozen=True)
class Line:
    """A frequency-based public transport line: one pattern, run in both directions
    (``one_way``: only in the order of ``stops``)."""

    name: str
    mode: Mode
    stops: tuple[str, ...]
    run_times_min: tuple[float, ...]
    headway_peak_min: float
    headway_offpeak_min: float
    opening_year: int | None = None
    status: Status = "estimated"
    one_way: bool = False

    def __post_init__(self) -> None:
        if len(self.run_times_min) != len(self.stops) - 1:
            raise ValueError(
                f"line {self.name!r}: {len(self.stops)} stops need "
                f"{len(self.stops) - 1} run times, got {len(self.run_times_min)}"
            )

    def open_in(self, year: int) -> bool:
        """Whether the line runs in ``year``."""
        return self.opening_year is None or year >= self.opening_year

    @property
    def high_frequency(self) -> bool:
        """The plan's high-frequency definition for this line's mode."""
        return is_high_frequency(self.mode, self.headway_peak_min, self.headway_offpeak_min)


def is_high_frequency(mode: str, headway_peak_min: float, headway_offpeak_min: float) -> bool:
    """High-frequency public transport as the plan defines it (facts §1 and §5).

    Bus: every 10 minutes in the rush hour and 15 outside; metro and tram: 15 minutes
    in the rush hour; train: 30 minutes in the rush hour. The plan defines no ferry
    frequency, so a ferry is never high-frequency.
    """
    if mode == "bus":
        return headway_peak_min <= 10 and headway_offpeak_min <= 15
    if mode in ("metro", "tram"):
        return headway_peak_min <= 15
    if mode == "rail":
        return headway_peak_min <= 30
    if mode == "ferry":
        return False
    raise ValueError(f"unknown public transport mode {mode!r}")


@dataclass(frozen=True)
class Streets:
    """Street network as edge arrays: one edge per simplified street, per mode.

    Masks say which modes may use an edge; walking and cycling use every edge both
    ways, cars only ``u → v`` where ``oneway`` is set. ``synthetic`` marks gap-filling
    lattice edges, which are never real streets. ``node_id`` holds the OSM node id of
    each node (0: none) and ``shape_*`` the polyline of the first ``len(shape_ptr) - 1``
    edges (``shape_x[shape_ptr[i]:shape_ptr[i + 1]]``); later edges are straight.
    """

    node_x: np.ndarray
    node_y: np.ndarray
    u: np.ndarray
    v: np.ndarray
    length_m: np.ndarray
    walk: np.ndarray
    bike: np.ndarray
    car: np.ndarray
    car_speed_kmh: np.ndarray
    synthetic: np.ndarray
    oneway: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    node_id: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    shape_ptr: np.ndarray = field(default_factory=lambda: np.zeros(1, np.int64))
    shape_x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shape_y: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        n_edges, n_nodes = len(self.u), len(self.node_x)
        if len(self.oneway) == 0 and n_edges:
            object.__setattr__(self, "oneway", np.zeros(n_edges, bool))
        if len(self.node_id) == 0 and n_nodes:
            object.__setattr__(self, "node_id", np.zeros(n_nodes, np.int64))
        per_edge = ("v", "length_m", "walk", "bike", "car", "car_speed_kmh", "synthetic",
                    "oneway")
        bad = [name for name in per_edge if len(getattr(self, name)) != n_edges]
        bad += [name for name in ("node_y", "node_id") if len(getattr(self, name)) != n_nodes]
        if len(self.shape_ptr) > n_edges + 1 or len(self.shape_x) != len(self.shape_y):
            bad.append("shape_ptr")
        if bad:
            raise ValueError(f"Streets: {', '.join(bad)} do not match {n_edges} edges / "
                             f"{n_nodes} nodes")

    @property
    def n_nodes(self) -> int:
        """Number of street nodes."""
        return len(self.node_x)

    @property
    def n_edges(self) -> int:
        """Number of street edges."""
        return len(self.u)

    def car_arcs(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Directed car arcs ``(tail, head, edge index)``: every car edge ``u → v``, and
        ``v → u`` where it is not one-way."""
        car = np.flatnonzero(self.car)
        back = car[~self.oneway[car]]
        return (np.r_[self.u[car], self.v[back]], np.r_[self.v[car], self.u[back]],
                np.r_[car, back])

    def edge_shape(self, i: int) -> np.ndarray:
        """``(k, 2)`` coordinates of edge ``i`` from ``u`` to ``v`` (straight if unknown)."""
        if i + 1 < len(self.shape_ptr):
            a, b = self.shape_ptr[i], self.shape_ptr[i + 1]
            if b - a >= 2:
                return np.column_stack([self.shape_x[a:b], self.shape_y[a:b]])
        return np.array([[self.node_x[self.u[i]], self.node_y[self.u[i]]],
                         [self.node_x[self.v[i]], self.node_y[self.v[i]]]])


def stop_headways(lines: Iterable[Line]) -> pd.DataFrame:
    """Best service per stop over the lines serving it.

    One row per stop name (sorted): ``stop``, ``headway_peak_min`` and
    ``headway_offpeak_min`` (minimum over lines), ``modes`` and ``lines``
    (``;``-joined) and ``high_frequency`` (any serving line meets
    :func:`is_high_frequency` for its mode).

    >>> bus = Line("B", "bus", ("a", "b"), (2.0,), 10, 15)
    >>> stop_headways([bus]).high_frequency.tolist()
    [True, True]
    """
    rows: dict[str, dict] = {}
    for line in lines:
        for stop in dict.fromkeys(line.stops):
            row = rows.setdefault(stop, {"headway_peak_min": math.inf,
                                         "headway_offpeak_min": math.inf, "modes": set(),
                                         "lines": [], "high_frequency": False})
            row["headway_peak_min"] = min(row["headway_peak_min"], line.headway_peak_min)
            row["headway_offpeak_min"] = min(row["headway_offpeak_min"],
                                             line.headway_offpeak_min)
            row["modes"].add(line.mode)
            row["lines"].append(line.name)
            row["high_frequency"] |= line.high_frequency
    return pd.DataFrame(
        [{"stop": k, **v, "modes": ";".join(sorted(v["modes"])), "lines": ";".join(v["lines"])}
         for k, v in sorted(rows.items())],
        columns=["stop", "headway_peak_min", "headway_offpeak_min", "modes", "lines",
                 "high_frequency"],
    )
