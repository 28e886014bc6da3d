"""Scenario files (TOML): the pydantic model and its loader.

A scenario says where growth goes, which public transport and facilities change,
and which goal thresholds apply. Validation errors become one-line
:class:`sim.errors.InputError` messages naming the file and field.
"""

from __future__ import annotations

import difflib
import itertools
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

import pandas as pd
import shapely
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from sim._fs import REGION_NAME, check_safe_name
from sim.errors import InputError
from sim.params import ModelParams
from sim.region.model import Region
from sim.vocab import BASKET_FUNCTIONS, EVERYDAY_FUNCTIONS, Mode, PlacementRule, StreetMode

# Numbers are strict and finite: no bool or numeric string is taken for a number, no inf
# or NaN; each kind has a documented range so that a typo cannot pass silently.
Year = Annotated[int, Field(ge=1900, le=2200, strict=True)]
Amount = Annotated[float, Field(ge=0, le=1_000_000, allow_inf_nan=False, strict=True)]
Minutes = Annotated[float, Field(gt=0, le=1440, allow_inf_nan=False, strict=True)]
Capacity = Annotated[float, Field(ge=0, le=100_000, allow_inf_nan=False, strict=True)]
Metres = Annotated[float, Field(gt=0, le=100_000, allow_inf_nan=False, strict=True)]
Speed = Annotated[float, Field(gt=0, le=200, allow_inf_nan=False, strict=True)]
Share = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False, strict=True)]
#: EPSG:25833 metres; checked against the region's extent in :meth:`Scenario.check_against`.
SpeedFactor = Annotated[float, Field(gt=0, le=1, allow_inf_nan=False, strict=True)]
Coord = Annotated[float, Field(allow_inf_nan=False, strict=True)]
Name = Annotated[str, Field(min_length=1, max_length=200, strict=True)]
Text = Annotated[str, Field(max_length=5000, strict=True)]
#: Well-known text of a polygon (EPSG:25833), e.g. a feature of a growth layer.
Wkt = Annotated[str, Field(min_length=1, max_length=10_000_000, strict=True)]

#: Deepest nesting of tables and arrays a scenario file may have.
MAX_NESTING = 8

#: How far outside the region's extent a coordinate may lie (m): a new line may run a
#: little beyond the boundary, a typo or a lon/lat pair may not.
EXTENT_MARGIN_M = 10_000.0

#: Which grid cells a placement's growth is spread over: the populated ones inside its
#: location (densification), or every cell inside it and the boundary (new development).
SpreadOver = Literal["populated", "all"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioInfo(_Strict):
    """``[scenario]``: name, region and the years to model."""

    name: Annotated[str, Field(strict=True)]
    region: Annotated[str, Field(strict=True)] = "demo"
    description: Text = ""
    base_year: Year
    target_years: Annotated[list[Year], Field(min_length=1, max_length=20)]
    seed: Annotated[int, Field(ge=0, le=2**32 - 1, strict=True)] = 0

    @field_validator("name")
    @classmethod
    def _usable_as_directory_name(cls, value: str) -> str:
        return check_safe_name(value, "name")

    @field_validator("region")
    @classmethod
    def _region_is_a_name(cls, value: str) -> str:
        if not REGION_NAME.fullmatch(value):
            raise ValueError(f"{value[:120]!r} is not a region name (expected the name of a "
                             "region pack: lower-case letters, digits, _ and -)")
        return value

    @model_validator(mode="after")
    def _years_in_order(self) -> Self:
        years = self.target_years
        if any(b <= a for a, b in itertools.pairwise(years)):
            raise ValueError(f"target_years must be strictly increasing, got {years}")
        if years[0] < self.base_year:
            raise ValueError(
                f"target_years must not come before base_year {self.base_year}, got {years}"
            )
        return self


class Placement(_Strict):
    """One ``[[growth]]`` entry: dwellings and jobs built somewhere, linearly over some years.

    Where it goes: coordinates ``x, y`` with ``radius_m`` (EPSG:25833), a ``polygon``
    (WKT in EPSG:25833; polygon layers become such entries, see :class:`GrowthLayer`),
    or, without either, the land of the region's ``area``. Given a location, ``area`` is
    only a label: the growth counts where it lands. ``spread`` says which cells inside
    the location take it (default: populated cells for an area, every cell inside the
    boundary for coordinates and polygons, so new development areas can be placed).
    """

    area: Name | None = None
    name: Text = ""
    x: Coord | None = None
    y: Coord | None = None
    radius_m: Metres | None = None
    polygon: Wkt | None = None
    spread: SpreadOver | None = None
    #: Where the entry came from when not the scenario file (``layer.gpkg#feature``).
    source: Text = ""
    dwellings: Amount = 0
    jobs: Amount = 0
    from_year: Year
    to_year: Year

    @model_validator(mode="after")
    def _years_in_order(self) -> Self:
        if self.to_year < self.from_year:
            raise ValueError(
                f"to_year {self.to_year} is before from_year {self.from_year}"
            )
        return self

    @model_validator(mode="after")
    def _one_location(self) -> Self:
        if (self.x is None) != (self.y is None):
            raise ValueError("give both x and y (EPSG:25833) or neither")
        if self.radius_m is not None and self.x is None:
            raise ValueError("radius_m needs x and y")
        if self.x is not None and self.polygon is not None:
            raise ValueError("give coordinates (x, y, radius_m) or a polygon, not both")
        if self.area is None and self.x is None and self.polygon is None:
            raise ValueError("give an area, coordinates (x, y, radius_m) or a polygon")
        if self.polygon is not None:
            try:
                geom = shapely.from_wkt(self.polygon)
            except shapely.errors.GEOSException as exc:
                raise ValueError(f"polygon: not valid WKT ({exc})") from None
            if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.area <= 0:
                raise ValueError(f"polygon: expected a polygon with area > 0, got "
                                 f"{geom.geom_type}")
        return self

    @property
    def location(self) -> Literal["area", "coordinates", "polygon"]:
        """How the entry says where its growth goes."""
        if self.polygon is not None:
            return "polygon"
        return "coordinates" if self.x is not None else "area"

    @property
    def spread_over(self) -> SpreadOver:
        """The cells that take the growth (see :data:`SpreadOver`)."""
        return self.spread or ("populated" if self.location == "area" else "all")

    @property
    def label(self) -> str:
        """A name for messages: the name, the area label, the source or the coordinates."""
        if self.name or self.area:
            return self.name or str(self.area)
        if self.source:
            return self.source
        if self.x is not None and self.y is not None:
            return f"({self.x:.0f}, {self.y:.0f})"
        return "polygon"

    def share_built_by(self, year: int) -> float:
        """Fraction of this placement built by the end of ``year`` (linear over the years)."""
        n_years = self.to_year - self.from_year + 1
        return min(max((year - self.from_year + 1) / n_years, 0.0), 1.0)


class GrowthLayer(_Strict):
    """``[[growth_layer]]``: a polygon layer (GeoPackage/GeoJSON, e.g. drawn in QGIS).

    Every feature becomes one placement; the attribute names of its dwellings, jobs and
    years (and, optionally, a name and an area label) are given here. ``path`` is
    relative to the scenario file.
    """

    path: str
    layer: str | None = None
    dwellings: str = "dwellings"
    jobs: str = "jobs"
    from_year: str = "from_year"
    to_year: str = "to_year"
    name: str = "name"
    area: str = "area"
    spread: SpreadOver = "all"

    def placement_data(self, attributes: dict[str, Any], wkt: str, source: str
                       ) -> dict[str, Any]:
        """The :class:`Placement` fields of one feature (values checked by the model)."""
        data: dict[str, Any] = {"polygon": wkt, "spread": self.spread, "source": source}
        for field, column in (("dwellings", self.dwellings), ("jobs", self.jobs),
                              ("from_year", self.from_year), ("to_year", self.to_year)):
            value = attributes.get(column)
            if value is not None:
                data[field] = value
            elif field in ("from_year", "to_year"):
                raise ValueError(f"{column}: attribute missing (expected the {field})")
        for field, column in (("name", self.name), ("area", self.area)):
            if attributes.get(column) not in (None, ""):
                data[field] = str(attributes[column])
        return data


class NewStop(_Strict):
    """A stop given by name and EPSG:25833 coordinates."""

    name: Name
    x: Coord
    y: Coord


class AddLine(_Strict):
    """``[[transit.add_line]]``: a new frequency-based line."""

    name: Name
    mode: Mode
    stops: Annotated[list[Name | NewStop], Field(min_length=2, max_length=500)]
    run_times_min: list[Minutes]
    headway_peak_min: Minutes
    headway_offpeak_min: Minutes | None = None
    opening_year: Year | None = None
    #: The line's drawn course (EPSG:25833 points), for maps only; empty: stop to stop.
    path: Annotated[list[tuple[Coord, Coord]], Field(max_length=100_000)] = []

    @model_validator(mode="after")
    def _run_times_match(self) -> Self:
        if len(self.run_times_min) != len(self.stops) - 1:
            raise ValueError(
                f"{len(self.stops)} stops need {len(self.stops) - 1} run_times_min, "
                f"got {len(self.run_times_min)}"
            )
        return self


class ChangeHeadway(_Strict):
    """``[[transit.change_headway]]``: a new headway on an existing line from a year."""

    line: Name
    headway_peak_min: Minutes
    headway_offpeak_min: Minutes | None = None
    from_year: Year


class RemoveLine(_Strict):
    """``[[transit.remove_line]]``: a line stops running from a year."""

    line: Name
    from_year: Year


class RemoveStop(_Strict):
    """``[[transit.remove_stop]]``: no line calls at a stop from a year.

    Vehicles still pass: the run times on both sides of the stop are added up.
    """

    stop: Name
    from_year: Year


class ChangeOpening(_Strict):
    """``[[transit.change_opening]]``: an existing line opens in another year (delay)."""

    line: Name
    opening_year: Year


class Transit(_Strict):
    """``[transit]``: line edits; each applies from its year on."""

    add_line: list[AddLine] = []
    change_opening: list[ChangeOpening] = []
    change_headway: list[ChangeHeadway] = []
    remove_line: list[RemoveLine] = []
    remove_stop: list[RemoveStop] = []


class AddLink(_Strict):
    """``[[streets.add_link]]``: a new street, path or bridge between two points.

    The ends snap to the nearest street nodes; the length defaults to the straight
    distance between them.
    """

    name: Annotated[str, Field(max_length=200, strict=True)] = ""
    start: tuple[Coord, Coord]
    end: tuple[Coord, Coord]
    modes: Annotated[list[StreetMode], Field(min_length=1)] = ["walk", "bike"]
    length_m: Metres | None = None
    car_speed_kmh: Speed = 30.0
    opening_year: Year | None = None


class CloseLink(_Strict):
    """``[[streets.close_link]]``: close the street segment nearest to a point for some modes."""

    name: Annotated[str, Field(max_length=200, strict=True)] = ""
    at: tuple[Coord, Coord]
    modes: Annotated[list[StreetMode], Field(min_length=1)] = ["car"]
    from_year: Year


class Streets(_Strict):
    """``[streets]``: street network edits (EPSG:25833 coordinates)."""

    add_link: list[AddLink] = []
    close_link: list[CloseLink] = []


class NewFacility(_Strict):
    """``[[facilities]]``: an everyday facility added by the scenario (EPSG:25833)."""

    category: str
    name: Name
    x: Coord
    y: Coord
    capacity: Capacity | None = None
    opening_year: Year | None = None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in EVERYDAY_FUNCTIONS:
            raise ValueError(
                f"unknown category {value!r}; expected one of {', '.join(EVERYDAY_FUNCTIONS)}"
            )
        return value


class CarCost(_Strict):
    """``[[policy.car_cost]]``: car running cost per km from a year (fuel, wear, taxes)."""

    from_year: Year
    nok_per_km: Amount


class PtFare(_Strict):
    """``[[policy.pt_fare]]``: average public transport fare per trip from a year."""

    from_year: Year
    nok: Amount


class CarSpeed(_Strict):
    """``[[policy.speed]]``: car speed factors (share of the speed limit) from a year,
    e.g. lower limits or more congestion; a factor left out keeps its value."""

    from_year: Year
    factor_peak: SpeedFactor | None = None
    factor_offpeak: SpeedFactor | None = None


class Toll(_Strict):
    """``[[policy.toll]]``: a charge on car trips crossing a named cordon from a year.

    The cordon is an area of the region (its circle) or an external area (e.g.
    ``"Oslo"``: trips between the region and Oslo). ``charged = "both"`` charges every
    crossing trip, ``"inbound"`` only trips into the cordon (half of the crossings of
    the day's trips, on average). A later entry for the same cordon replaces it (``nok =
    0`` removes it).
    """

    cordon: Name
    nok: Amount
    from_year: Year
    charged: Literal["both", "inbound"] = "both"


class ParkingCharge(_Strict):
    """``[[policy.parking]]``: the parking charge at destinations in an area (a region
    area or an external area) from a year; it replaces the charge by zone kind."""

    area: Name
    nok: Amount
    from_year: Year


class Policy(_Strict):
    """``[policy]``: measures that change over time, each from a year. A year uses the
    latest entry in force; years before the first entry use the ``[model]`` values.
    The reference year of nullvekst uses its own year's policy."""

    car_cost: list[CarCost] = []
    pt_fare: list[PtFare] = []
    speed: list[CarSpeed] = []
    toll: list[Toll] = []
    parking: list[ParkingCharge] = []


#: The 90 % rule: share of growth in priority areas and stations (kommuneplanens
#: samfunnsdel 2021–2040, facts §1).
PLACEMENT_TARGET = 0.9

#: Nullvekst reference year (byvekstavtale 2019–2029, facts §4).
NULLVEKST_REFERENCE_YEAR = 2019

#: Walking thresholds per everyday function, metres (facts §6: 500 m to grocery
#: (Rokseth et al. 2021) and to a stop (SSB band); the others are estimates [E]).
#: ``transit_station``: a high-frequency rail or metro station counts for "kollektiv"
#: within this distance (facts §6: 1 km walking radius around stations, common practice).
WALK_THRESHOLDS_M: dict[str, float] = {**dict.fromkeys(EVERYDAY_FUNCTIONS, 500.0),
                                       "school": 1000.0, "transit_station": 1000.0}


class Goals(_Strict):
    """``[goals]``: thresholds and options of the plan's goals.

    ``placement_rule``: ``each`` (dwellings share and jobs share both at least
    ``placement_share``, the default) or ``combined`` (their sum). ``kortreist_share``:
    target of new residents' basket share (default: existing residents' base-year
    share); ``kortreist_function_targets``: per basket function, a share or ``"base"``
    (existing residents' base-year share). The green-share targets and the fleet
    electrification path default to the region pack's (``electric_share`` overrides
    single years).
    """

    placement_share: Share = PLACEMENT_TARGET
    placement_rule: PlacementRule = "each"
    nullvekst_reference_year: Year = NULLVEKST_REFERENCE_YEAR
    kortreist_share: Share | None = None
    kortreist_function_targets: dict[str, Share | Literal["base"]] = {}
    green_share_target: Share | None = None
    bike_share_target: Share | None = None
    green_target_year: Year | None = None
    electric_share: dict[Year, Share] = {}
    walk_thresholds_m: dict[str, Metres] = {}

    @field_validator("kortreist_function_targets")
    @classmethod
    def _known_basket_functions(cls, value: dict[str, Any]) -> dict[str, Any]:
        known = dict.fromkeys((*BASKET_FUNCTIONS, *EVERYDAY_FUNCTIONS))
        for key in value:
            if key not in known:
                raise ValueError(f"unknown function {key!r}; expected one of {', '.join(known)}")
        return value

    @field_validator("walk_thresholds_m")
    @classmethod
    def _known_functions(cls, value: dict[str, float]) -> dict[str, float]:
        known = (*EVERYDAY_FUNCTIONS, "transit_station")
        for key in value:
            if key not in known:
                raise ValueError(f"unknown function {key!r}; expected one of {', '.join(known)}")
        return value

    def thresholds(self, region_thresholds: dict[str, float] | None = None) -> dict[str, float]:
        """Walking threshold per function: defaults ← region pack ← this scenario."""
        return {**WALK_THRESHOLDS_M, **(region_thresholds or {}),
                **self.walk_thresholds_m}


class GisLayers(_Strict):
    """``[gis]``: a GeoPackage drawn in GIS, relative to the scenario file, and its layers.

    Each layer name may be empty to leave that layer out. Lines call at the stops within
    ``stop_snap_m`` of them (a drawing tolerance) in their order along the line.
    """

    file: Annotated[str, Field(min_length=1, max_length=1000, strict=True)]
    lines: Annotated[str, Field(max_length=200, strict=True)] = "lines"
    stops: Annotated[str, Field(max_length=200, strict=True)] = "stops"
    facilities: Annotated[str, Field(max_length=200, strict=True)] = "facilities"
    stop_snap_m: Metres = 50.0


class Scenario(_Strict):
    """A whole scenario file."""

    scenario: ScenarioInfo
    growth: list[Placement] = []
    growth_layer: list[GrowthLayer] = []
    transit: Transit = Transit()
    streets: Streets = Streets()
    facilities: list[NewFacility] = []
    goals: Goals = Goals()
    policy: Policy = Policy()
    model: ModelParams = ModelParams()
    gis: GisLayers | None = None
    #: sha256 of the files the scenario read besides itself (growth layers), by path.
    _inputs: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _years_in_range(self) -> Self:
        """Every year lies in the modelled span; growth starts after the base year."""
        info = self.scenario
        reference = self.goals.nullvekst_reference_year
        if reference > info.base_year:
            raise ValueError(f"goals.nullvekst_reference_year {reference} must not come after "
                             f"base_year {info.base_year}")
        for i, placement in enumerate(self.growth):
            if placement.from_year <= info.base_year:
                raise ValueError(
                    f"growth[{i}].from_year {placement.from_year} must come after "
                    f"base_year {info.base_year}"
                )
        last = info.target_years[-1]
        for where, year in self._edit_years():
            if not reference <= year <= last:
                raise ValueError(f"{where} {year} must lie between the reference year "
                                 f"{reference} and the last target year {last}")
        return self

    def _edit_years(self) -> list[tuple[str, int]]:
        """Years at which something is built or changed (openings may lie beyond the horizon)."""
        t, s = self.transit, self.streets
        years = [(f"growth[{i}].to_year", p.to_year) for i, p in enumerate(self.growth)]
        starts: dict[str, list[int]] = {
            "change_headway": [e.from_year for e in t.change_headway],
            "remove_line": [e.from_year for e in t.remove_line],
            "remove_stop": [e.from_year for e in t.remove_stop]}
        for kind, from_years in starts.items():
            years += [(f"transit.{kind}[{i}].from_year", y) for i, y in enumerate(from_years)]
        years += [(f"streets.close_link[{i}].from_year", c.from_year)
                  for i, c in enumerate(s.close_link)]
        return years

    @model_validator(mode="after")
    def _names_unique(self) -> Self:
        """Names are unique per kind; a new stop used by two lines is one place."""
        for kind, names in (("transit.add_line", [a.name for a in self.transit.add_line]),
                            ("facilities", [f.name for f in self.facilities])):
            twice = sorted({n for n in names if names.count(n) > 1})
            if twice:
                raise ValueError(f"{kind}: the name {twice[0]!r} is used twice (names must be "
                                 "unique)")
        where: dict[str, tuple[float, float]] = {}
        for add in self.transit.add_line:
            for stop in add.stops:
                if not isinstance(stop, str) and where.setdefault(stop.name, (stop.x, stop.y)) \
                        != (stop.x, stop.y):
                    raise ValueError(f"transit.add_line: new stop {stop.name!r} is given at two "
                                     "places (a name is one stop)")
        return self

    def coordinates(self) -> list[tuple[str, float, float]]:
        """Every coordinate of the file with its field: new stops, links, facilities."""
        out = [(f"transit.add_line[{i}].stops[{j}]", s.x, s.y)
               for i, a in enumerate(self.transit.add_line) for j, s in enumerate(a.stops)
               if not isinstance(s, str)]
        for i, link in enumerate(self.streets.add_link):
            out += [(f"streets.add_link[{i}].start", *link.start),
                    (f"streets.add_link[{i}].end", *link.end)]
        out += [(f"streets.close_link[{i}].at", *c.at)
                for i, c in enumerate(self.streets.close_link)]
        out += [(f"facilities[{i}]", f.x, f.y) for i, f in enumerate(self.facilities)]
        return out

    @property
    def input_files(self) -> dict[str, str]:
        """sha256 of the growth layers read into this scenario, by path."""
        return dict(self._inputs)

    def with_layer_features(
        self, layer: GrowthLayer, where: str, features: Iterable[tuple[str, str, dict]],
        file: str, sha256: str,
    ) -> Scenario:
        """This scenario with one placement per feature ``(id, wkt, attributes)`` of
        ``layer``, read from ``file`` (``where`` names file and layer in messages); the
        file's ``sha256`` joins :attr:`input_files`. :class:`InputError` names the layer,
        the feature and the field of the first bad value."""
        added = []
        for fid, wkt, attributes in features:
            context = f"{where}: feature {fid}"
            try:
                placement = Placement.model_validate(
                    layer.placement_data(attributes, wkt, f"{Path(file).name}#{fid}"))
            except ValueError as exc:
                if isinstance(exc, ValidationError):
                    raise InputError(_format_validation_error(Path(context), exc)) from None
                raise InputError(f"{context}: {exc}") from None
            if placement.from_year <= self.scenario.base_year:
                raise InputError(f"{context}: {layer.from_year}: {placement.from_year} must "
                                 f"come after base_year {self.scenario.base_year}")
            added.append(placement)
        if not added:
            raise InputError(f"{where}: growth layer has no features")
        copy = self.model_copy(update={"growth": [*self.growth, *added]})
        copy._inputs = {**self._inputs, file: sha256}
        return copy

    def check_against(self, region: Region, path: Path) -> None:
        """Check what needs the region: names of areas, lines and stops, and coordinates.

        Raises :class:`InputError` for the first unknown name, suggesting the nearest
        valid one, or the first coordinate outside the region's extent.
        """
        _check_coordinates(path, self.coordinates(), region)
        areas = [a.name for a in region.areas]
        for i, placement in enumerate(self.growth):
            if placement.area is not None:
                _check_name(path, f"{placement.source or f'growth[{i}]'}.area", placement.area,
                            areas, "area")
        lines = [line.name for line in region.lines]
        stops = list(region.stops)
        for i, add in enumerate(self.transit.add_line):
            if add.name in lines:
                raise InputError(
                    f"{path}: transit.add_line[{i}].name: line {add.name!r} already exists"
                )
            for j, stop in enumerate(add.stops):
                if isinstance(stop, str):
                    _check_name(path, f"transit.add_line[{i}].stops[{j}]", stop, stops, "stop")
        lines += [add.name for add in self.transit.add_line]
        for i, change in enumerate(self.transit.change_headway):
            _check_name(path, f"transit.change_headway[{i}].line", change.line, lines, "line")
        for i, delay in enumerate(self.transit.change_opening):
            _check_name(path, f"transit.change_opening[{i}].line", delay.line,
                        [line.name for line in region.lines], "line")
        for i, gone in enumerate(self.transit.remove_line):
            _check_name(path, f"transit.remove_line[{i}].line", gone.line, lines, "line")
        stops += [s.name for add in self.transit.add_line for s in add.stops
                  if not isinstance(s, str)]
        for i, cut in enumerate(self.transit.remove_stop):
            _check_name(path, f"transit.remove_stop[{i}].stop", cut.stop, stops, "stop")
        places = areas + sorted(set(region.external_zones.get("area", pd.Series()).dropna()))
        for i, toll in enumerate(self.policy.toll):
            _check_name(path, f"policy.toll[{i}].cordon", toll.cordon, places, "cordon")
        for i, charge in enumerate(self.policy.parking):
            _check_name(path, f"policy.parking[{i}].area", charge.area, places, "area")


def _check_coordinates(path: Path, points: list[tuple[str, float, float]],
                       region: Region) -> None:
    """Each point inside the region's extent plus :data:`EXTENT_MARGIN_M`."""
    x0, y0, x1, y1 = region.boundary.bounds
    m = EXTENT_MARGIN_M
    for field, x, y in points:
        if x0 - m <= x <= x1 + m and y0 - m <= y <= y1 + m:
            continue
        hint = (" — this looks like longitude/latitude; EPSG:25833 metres expected"
                if abs(x) <= 180 and abs(y) <= 90 else "")
        raise InputError(f"{path}: {field}: ({x:g}, {y:g}) lies outside region "
                         f"{region.name!r} (x {x0:.0f}..{x1:.0f}, y {y0:.0f}..{y1:.0f}, "
                         f"EPSG:25833 metres){hint}")


def _check_name(path: Path, field: str, name: str, valid: list[str], what: str) -> None:
    if name in valid:
        return
    close = difflib.get_close_matches(name, valid, n=1, cutoff=0.0)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise InputError(f"{path}: {field}: unknown {what} {name!r}{hint}")


def _format_validation_error(path: Path, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ""
    for part in err["loc"]:
        if isinstance(part, int):
            loc += f"[{part}]"
        elif part not in ("str", "NewStop", "function-after[_known_category(), str]"):
            loc += f".{part}" if loc else str(part)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    elif err["type"] == "missing":
        msg = "required field is missing"
    more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
    return f"{path}: {loc + ': ' if loc else ''}{msg}{more}"


_M = TypeVar("_M", bound=BaseModel)


def input_text(path: Path, what: str = "scenario file") -> str:
    """The text of an input file; :class:`InputError` naming ``what`` when unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read {what} ({exc})") from None


def _nesting(value: object) -> int:
    """Depth of nested tables and arrays (iterative: safe on any depth)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack += [(v, depth + 1) for v in item.values()]
        elif isinstance(item, list):
            stack += [(v, depth + 1) for v in item]
    return deepest


def model_from_toml(text: str, path: Path, model: type[_M]) -> _M:
    """Parse TOML ``text`` into ``model``; one-line :class:`InputError` naming ``path``
    and the field when it is not valid."""
    if text.count("[") + text.count("{") > 20 * MAX_NESTING + len(text) // 2:
        raise InputError(f"{path}: not a TOML input file (brackets everywhere)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise InputError(f"{path}: tables or arrays nested too deeply (at most "
                         f"{MAX_NESTING} levels)") from None
    if _nesting(data) > MAX_NESTING:
        raise InputError(f"{path}: tables or arrays nested too deeply (at most {MAX_NESTING} "
                         "levels)")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(_format_validation_error(path, exc)) from None


def scenario_text(path: Path) -> str:
    """The scenario file's text; :class:`InputError` when it cannot be read."""
    return input_text(path)


def scenario_from_text(text: str, path: Path) -> Scenario:
    """Parse and validate scenario TOML ``text`` (``path`` is used in messages)."""
    return model_from_toml(text, path, Scenario)


def scenario_from_file(path: Path) -> Scenario:
    """Read and validate a scenario file."""
    return scenario_from_text(scenario_text(path), path)
