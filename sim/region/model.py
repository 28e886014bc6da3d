"""The region: everything the model knows about a place before a scenario is applied.

A :class:`Region` is built either by :mod:`sim.region.demo` (synthetic) or from a region
pack plus imported data (:mod:`sim.region.build`). Facts about the place (survey
targets, places per child, seeds, provenance) travel with it, so no generic code holds
a number about any one municipality. All coordinates are metres in the region's
``crs`` (EPSG:25833 for Norway).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from sim.domain import CRS, Line, Stop, Streets
from sim.vocab import AreaKind, Status

#: Columns of :attr:`Region.external_zones`: destinations outside the region. ``area``
#: is the place a zone belongs to (e.g. Oslo), ``group`` its destination group in the
#: survey's split (e.g. oslo, elsewhere), ``population`` its size in destination choice,
#: ``kind`` sets parking and terminal time, ``car_kmh`` the speed of its road connector.
EXTERNAL_ZONE_COLUMNS = ("name", "area", "group", "x", "y", "population", "kind", "car_kmh",
                         "status")

#: Columns of :attr:`Region.external_links`: how stops reach external zones. ``kind``
#: ``walk``: on foot over ``metres`` (``status`` ``real`` on real streets, ``synthetic`` on
#: the lattice); ``onward``: a ride on the zone's own network from the stop, ``metres``
#: at ``speed_kmh`` after a wait of half of ``headway_min`` (``estimated``).
EXTERNAL_LINK_COLUMNS = ("zone", "stop", "kind", "metres", "speed_kmh", "headway_min",
                         "status")


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
    ``earliest_year`` encodes rules such as *Fossum not before 2032* and
    ``built_out_year`` *Bekkestua counts as built out after ongoing projects*; ``group``
    keeps the plan's grouping of areas (``"Fornebu/Lysaker"``, ``"Bekkestua/Høvik"``).
    The area's land is ``polygon_wkt`` (EPSG:25833) when the pack gives a polygon, else
    the circle of ``radius_m`` around the centre (:attr:`shape`).
    """

    name: str
    kind: AreaKind
    x: float
    y: float
    radius_m: float
    earliest_year: int | None = None
    status: Status = "estimated"
    #: The plan's grouping, e.g. ``"Fornebu/Lysaker"`` (empty when none).
    group: str = ""
    #: No growth after this year (e.g. Bekkestua, built out after ongoing projects).
    built_out_year: int | None = None
    #: The area's polygon as WKT in EPSG:25833 (empty: the circle of ``radius_m``).
    polygon_wkt: str = ""

    @property
    def priority(self) -> bool:
        """True for the plan's priority growth areas and priority stations."""
        return self.kind != "other"

    @cached_property
    def shape(self) -> BaseGeometry:
        """The area's land: its polygon, or the circle of ``radius_m`` around the centre."""
        if self.polygon_wkt:
            return shapely.from_wkt(self.polygon_wkt)
        return shapely.Point(self.x, self.y).buffer(self.radius_m, quad_segs=32)

    @property
    def shape_status(self) -> str:
        """Status of :attr:`shape`: a circle from an estimated radius is ``estimated``."""
        if self.polygon_wkt or self.status == "synthetic":
            return self.status
        return "estimated"


@dataclass
class Region:
    """All inputs of a region, before any scenario.

    ``cells`` has columns ``cell_id, x, y, population, jobs`` (one row per grid cell,
    centre coordinates); ``facilities`` has ``category, name, x, y, capacity, status``.
    ``layers`` maps a layer name (``streets``, ``population``, ``jobs``, ``lines``,
    ``facilities.<category>`` ...) to its provenance. ``walk_thresholds_m`` holds the
    pack's walking thresholds per everyday function (scenario ``[goals]`` overrides them).
    ``external_zones`` and ``external_links`` (:data:`EXTERNAL_ZONE_COLUMNS`,
    :data:`EXTERNAL_LINK_COLUMNS`) are the destinations outside the region and how
    stops reach them.
    ``calibration`` holds the travel-survey targets (``mode_shares``,
    ``trips_per_person_day``, ``car_driver_share``, ``car_passenger_share``, ``source``
    ...); ``need_share`` the share of residents who need a place per capacity function
    and ``places_per_facility`` the places assumed where a layer gives none.
    ``neighbours`` holds the municipalities around the region (maps draw them as land,
    everything outside every land polygon as water); no model figure depends on them.
    ``crs`` is the projected CRS of every coordinate.
    ``age_shares`` is the share of residents of the age a capacity function serves
    (children of school and kindergarten age; the grid has no ages, so national shares,
    labelled in ``age_note``). ``climate`` holds the climate targets and the fleet
    electrification path (see :class:`sim.region.pack.Climate`). ``place_names`` lists
    named places for map labels: ``name, kind, x, y, source`` (e.g. SSR quarters).
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
    calibration: dict[str, Any] = field(default_factory=dict)
    external_zones: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(EXTERNAL_ZONE_COLUMNS)))
    external_links: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(EXTERNAL_LINK_COLUMNS)))
    inputs: dict[str, str] = field(default_factory=dict)
    seed: int | None = None
    walk_thresholds_m: dict[str, float] = field(default_factory=dict)
    need_share: dict[str, float] = field(default_factory=dict)
    places_per_facility: dict[str, float] = field(default_factory=dict)
    #: Neighbouring municipalities (name → polygon, in ``crs``), for map context only.
    neighbours: dict[str, BaseGeometry] = field(default_factory=dict)
    crs: str = CRS
    age_shares: dict[str, float] = field(default_factory=dict)
    age_note: str = ""
    climate: dict[str, Any] = field(default_factory=dict)
    place_names: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["name", "kind", "x", "y", "source"]))

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
