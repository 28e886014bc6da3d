"""Plain data types every stage shares: stops, lines and street arrays, and the CRS.

Readers build them from files, the region pack from facts, the model reads them.
All coordinates are metres in :data:`CRS` (EPSG:25833, UTM 33N, for Norway).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pyproj import Transformer

from sim.vocab import Mode, Status

CRS = "EPSG:25833"

_TO_CRS = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
_FROM_CRS = Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def lonlat_to_xy(lon: float | np.ndarray, lat: float | np.ndarray) -> tuple:
    """WGS84 longitude/latitude to :data:`CRS` metres.

    >>> x, y = lonlat_to_xy(10.5264, 59.8897)  # Sandvika stasjon
    >>> round(x), round(y)
    (249769, 6647585)
    """
    return _TO_CRS.transform(lon, lat)


def xy_to_lonlat(x: float | np.ndarray, y: float | np.ndarray) -> tuple:
    """:data:`CRS` metres to WGS84 longitude/latitude (the inverse of :func:`lonlat_to_xy`)."""
    return _FROM_CRS.transform(x, y)


@dataclass(frozen=True)
class Stop:
    """A public transport stop or station."""

    name: str
    x: float
    y: float
    status: Status = "estimated"


@dataclass(frozen=True)
class Line:
    """A frequency-based public transport line (one pattern, run in both directions)."""

    name: str
    mode: Mode
    stops: tuple[str, ...]
    run_times_min: tuple[float, ...]
    headway_peak_min: float
    headway_offpeak_min: float
    opening_year: int | None = None
    status: Status = "estimated"

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
    in the rush hour; train: 30 minutes in the rush hour.
    """
    if mode == "bus":
        return headway_peak_min <= 10 and headway_offpeak_min <= 15
    if mode in ("metro", "tram"):
        return headway_peak_min <= 15
    if mode == "rail":
        return headway_peak_min <= 30
    raise ValueError(f"unknown public transport mode {mode!r}")


@dataclass(frozen=True)
class Streets:
    """Street network as edge arrays; one edge per OSM way segment, usable both ways.

    Masks say which modes may use an edge; ``synthetic`` marks gap-filling lattice
    edges, which are never real streets.
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

    @property
    def n_nodes(self) -> int:
        """Number of street nodes."""
        return len(self.node_x)

    @property
    def n_edges(self) -> int:
        """Number of street edges."""
        return len(self.u)


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
