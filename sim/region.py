"""The region: everything the pipeline knows about a place before a scenario is applied.

A :class:`Region` is the single input of the network stage. It is built either by
:mod:`sim.demo` (synthetic) or from a region pack plus imported data (:mod:`sim.data`).
All coordinates are EPSG:25833 (UTM 33N) metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

CRS = "EPSG:25833"

#: Everyday functions of *kortreist hverdag*, in the plan's order.
EVERYDAY_FUNCTIONS: tuple[str, ...] = (
    "grocery",
    "school",
    "kindergarten",
    "recreation",
    "transit_stop",
)

#: How much a layer can be trusted; every output names the status of what it used.
Status = Literal["real", "derived", "proxy", "estimated", "synthetic"]

Mode = Literal["rail", "metro", "tram", "bus"]


@dataclass(frozen=True)
class Layer:
    """Provenance of one input layer (streets, population, a facility category, ...)."""

    status: Status
    source: str
    licence: str = ""
    date: str = ""
    note: str = ""


@dataclass(frozen=True)
class Area:
    """A named area that growth can be placed in.

    ``kind`` is ``"growth_area"`` (priority growth area), ``"station"`` (priority
    station) or ``"other"`` (not prioritised, e.g. a dispersed-growth area).
    ``earliest_year`` encodes rules such as *Fossum not before 2032*; ``group`` keeps
    the plan's grouping of areas (``"Fornebu/Lysaker"``, ``"Bekkestua/Høvik"``).
    """

    name: str
    kind: Literal["growth_area", "station", "other"]
    x: float
    y: float
    radius_m: float
    earliest_year: int | None = None
    status: Status = "estimated"
    #: The plan's grouping, e.g. ``"Fornebu/Lysaker"`` (empty when none).
    group: str = ""

    @property
    def priority(self) -> bool:
        """True for the plan's priority growth areas and priority stations."""
        return self.kind != "other"


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


@dataclass
class Region:
    """All inputs of a region, before any scenario.

    ``cells`` has columns ``cell_id, x, y, population, jobs`` (one row per grid cell,
    centre coordinates); ``facilities`` has ``category, name, x, y, capacity, status``.
    ``layers`` maps a layer name (``streets``, ``population``, ``jobs``, ``lines``,
    ``facilities.<category>`` ...) to its provenance. ``walk_thresholds_m`` holds the
    pack's walking thresholds per everyday function (scenario ``[goals]`` overrides them).
    """

    name: str
    streets: Streets
    cells: pd.DataFrame
    cell_size_m: float
    areas: tuple[Area, ...]
    stops: dict[str, Stop]
    lines: tuple[Line, ...]
    facilities: pd.DataFrame
    boundary: BaseGeometry
    layers: dict[str, Layer]
    base_year: int
    calibration: dict = field(default_factory=dict)
    external_zones: pd.DataFrame = field(default_factory=pd.DataFrame)
    inputs: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    walk_thresholds_m: dict[str, float] = field(default_factory=dict)

    @property
    def synthetic(self) -> bool:
        """True when any layer is synthetic (some numbers rest on made-up data)."""
        return any(layer.status == "synthetic" for layer in self.layers.values())

    @property
    def data_status(self) -> str:
        """``synthetic`` (a made-up region), ``mixed`` (some layers not real) or ``real``."""
        if self.fully_synthetic:
            return "synthetic"
        return "real" if all(a.status == "real" for a in self.layers.values()) else "mixed"

    @property
    def fully_synthetic(self) -> bool:
        """True for a made-up region such as the demo: every layer is synthetic."""
        return all(layer.status == "synthetic" for layer in self.layers.values())

    def layers_by_status(self) -> dict[str, list[str]]:
        """Layer names grouped by status (only statuses that occur)."""
        groups: dict[str, list[str]] = {}
        for name, layer in sorted(self.layers.items()):
            groups.setdefault(layer.status, []).append(name)
        return groups

    def area(self, name: str) -> Area:
        """Look up an area by name (exact)."""
        for area in self.areas:
            if area.name == name:
                return area
        raise KeyError(name)
