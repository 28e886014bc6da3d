"""Scenario entries: the typed tables of a scenario file (growth, transit, streets,
facilities, policy) and the strict number types they share.

:mod:`sim.scenario.schema` assembles them into :class:`~sim.scenario.schema.Scenario`.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal, Self

import shapely
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sim._fs import REGION_NAME, check_safe_name
from sim.vocab import EVERYDAY_FUNCTIONS, Mode, StreetMode

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


#: Every scenario table: unknown keys are errors, values are frozen once read.
STRICT = ConfigDict(extra="forbid", frozen=True)


class _Strict(BaseModel):
    model_config = STRICT


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
