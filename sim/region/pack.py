"""Region packs: the committed facts of a region (``network_data/<name>/*.toml``).

A pack is one or more TOML files in ``network_data/<name>/`` merged into one
:class:`RegionPack` (pydantic). It names the inputs, the areas, stops, lines,
calibration targets, external zones and proxy parameters, each with its source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import shapely
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from sim.domain import CRS, Line, Stop, lonlat_to_xy
from sim.region.model import EXTERNAL_ZONE_COLUMNS, Area, Layer
from sim.vocab import AreaKind, Mode, Status


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegionInfo(_Model):
    name: str
    title: str = ""
    base_year: int
    cell_size_m: float = 250.0
    seed: int = Field(default=0, description="seed of every random choice of the build "
                      "(proxy locations)")
    population_expected: float | None = Field(
        default=None, gt=0, description="residents the population grid should give inside "
        "the boundary; an import that is off by more than population_tolerance is refused")
    population_tolerance: float = Field(default=0.02, gt=0, lt=1)
    population_source: str = ""
    crs: str = Field(default="", description="projected CRS of the region (metres); empty: "
                     "the local UTM zone of the boundary; Norwegian packs use EPSG:25833")
    estimated: list[str] = Field(default=[], description="values of the pack that were "
                                 "guessed (e.g. by `region new`), not read in a source")

    @field_validator("crs")
    @classmethod
    def _projected(cls, value: str) -> str:
        if value:
            try:
                crs = pyproj.CRS.from_user_input(value)
            except pyproj.exceptions.CRSError as exc:
                raise ValueError(f"unknown CRS {value!r} ({exc})") from None
            if not crs.is_projected:
                raise ValueError(f"{value!r} is not a projected CRS (metres needed)")
        return value


class PopulationColumn(_Model):
    name: str = ""


class Inputs(_Model):
    boundary: list[str | list[str]]
    population: list[str | list[str]]
    streets: list[str | list[str]]
    schools: list[str | list[str]] = []
    pois: list[str | list[str]] = []
    facilities: list[str | list[str]] = []
    gtfs: list[str | list[str]] = []
    neighbours: list[str | list[str]] = []
    kindergartens: list[str | list[str]] = []
    placenames: list[str | list[str]] = []
    optional: list[str] = []
    population_column: PopulationColumn = PopulationColumn()


class LayerSpec(_Model):
    status: Status
    source: str
    licence: str = ""
    date: str = ""
    note: str = ""

    def layer(self) -> Layer:
        """As a :class:`sim.region.Layer`."""
        return Layer(**self.model_dump())


class Fetch(_Model):
    """Where ``data fetch`` downloads a region's inputs (the online route)."""

    boundary_query: str
    network_type: str = "all"
    population_url: str
    population_note: str = ""
    gtfs_url: str = ""
    gtfs_note: str = ""
    overpass_url: str = Field(default="https://overpass-api.de/api",
                              description="Overpass API (osmnx settings.overpass_url)")
    nominatim_url: str = Field(default="https://nominatim.openstreetmap.org/",
                               description="Nominatim (osmnx settings.nominatim_url)")


class StreetsSpec(_Model):
    """How the street layers are read (the rules themselves: README *Street rules*)."""

    car_service_roads: bool = Field(
        default=True, description="cars use highway=service except driveways, parking "
        "aisles, alleys, emergency access and private ones; false: none (osmnx drive)")


class Place(_Model):
    name: str
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    status: Status = "estimated"
    note: str = ""

    @property
    def xy(self) -> tuple[float, float]:
        """EPSG:25833 coordinates."""
        return self.xy_in(CRS)

    def xy_in(self, crs: str) -> tuple[float, float]:
        """Coordinates in ``crs`` (the region's)."""
        x, y = lonlat_to_xy(self.lon, self.lat, crs)
        return float(x), float(y)


class AreaSpec(Place):
    kind: AreaKind
    radius_m: float = Field(gt=0)
    group: str = ""
    earliest_year: int | None = None
    built_out_year: int | None = None
    polygon: list[tuple[float, float]] = Field(
        default=[], description="the area's outline as [lon, lat] pairs (WGS84); empty: the "
        "circle of radius_m around the centre")

    @model_validator(mode="after")
    def _polygon_closed(self) -> AreaSpec:
        if self.polygon and len(self.polygon) < 3:
            raise ValueError(f"area {self.name!r}: polygon needs at least 3 points")
        return self

    def polygon_wkt(self) -> str:
        """The polygon in EPSG:25833 as WKT (empty when none is given)."""
        if not self.polygon:
            return ""
        lon, lat = np.array(self.polygon, float).T
        x, y = lonlat_to_xy(lon, lat)
        return shapely.Polygon(np.column_stack([x, y])).wkt


class LineSpec(_Model):
    name: str
    mode: Mode
    stops: list[str] = Field(min_length=2)
    run_times_min: list[float] | None = None
    km: list[float] | None = None
    speed_kmh: float | None = Field(default=None, gt=0)
    min_per_km: float | None = Field(default=None, gt=0)
    detour: float = Field(default=1.3, ge=1)
    headway_peak_min: float = Field(gt=0)
    headway_offpeak_min: float = Field(gt=0)
    opening_year: int | None = None
    status: Status = "estimated"
    note: str = ""

    @model_validator(mode="after")
    def _run_times_defined(self) -> LineSpec:
        n = len(self.stops)
        if self.run_times_min is not None:
            if len(self.run_times_min) != n - 1:
                raise ValueError(f"run_times_min needs {n - 1} values")
        elif self.km is not None:
            if len(self.km) != n:
                raise ValueError(f"km needs {n} values")
            if self.speed_kmh is None and self.min_per_km is None:
                raise ValueError("km needs speed_kmh or min_per_km")
        elif self.speed_kmh is None:
            raise ValueError("give run_times_min, km (+ speed) or speed_kmh")
        return self


class ExternalZone(Place):
    """A destination outside the region given as one point (e.g. a synthetic city)."""

    group: str = Field(min_length=1, description="destination group of the survey's split "
                       "(e.g. oslo, elsewhere)")
    population: float = Field(gt=0, description="residents: the zone's size in destination "
                              "choice")
    kind: AreaKind = "growth_area"
    car_kmh: float | None = Field(default=None, gt=0)


class JobCentre(Place):
    jobs: float = Field(ge=0)
    radius_m: float = Field(gt=0)
    source: str = ""


class Jobs(_Model):
    total: float = Field(ge=0)
    total_note: str = ""
    centres: list[JobCentre] = []


class Proxies(_Model):
    kindergarten_count: int = Field(default=0, ge=0)
    kindergarten_note: str = ""
    recreation_note: str = ""
    marka_min_width_m: float = Field(default=1000.0, gt=0, description="unpopulated land at "
                                     "least this wide counts as marka (forest) [E]")
    marka_min_area_km2: float = Field(default=2.0, gt=0, description="… and at least this "
                                      "large [E]")
    shore_min_distance_m: float = Field(default=500.0, gt=0, description="boundary points "
                                        "this far from other municipalities are shore [E]")
    shore_spacing_m: float = Field(default=250.0, gt=0, description="spacing of the shore "
                                   "points [E]")


class AgeShare(_Model):
    """Share of residents of the age a capacity function serves (the grid has no ages)."""

    share: float = Field(gt=0, lt=1)
    ages: str
    source: str


class Climate(_Model):
    """Climate targets of trips and the fleet path of transport CO2, each with its source.

    ``green_share_target``: share of trips by walking, cycling and PT from
    ``target_year`` on (none: the region has no such target, and the reference year's
    share must not fall); ``bike_share_target`` the cycling part. ``electric_share`` is
    the share of residents' car-km driven electrically by year (interpolated
    linearly, flat outside); ``fossil_co2_kg_per_km`` the CO2 of a fossil car-km.
    """

    source: str
    green_share_target: float | None = Field(default=None, ge=0, le=1)
    bike_share_target: float | None = Field(default=None, ge=0, le=1)
    target_year: int | None = None
    electric_share: dict[int, float] = Field(min_length=1)
    electric_share_status: Status = "estimated"
    electric_share_source: str = ""
    fossil_co2_kg_per_km: float = Field(gt=0)
    fossil_co2_source: str = ""

    @model_validator(mode="after")
    def _shares(self) -> Climate:
        bad = {y: v for y, v in self.electric_share.items() if not 0 <= v <= 1}
        if bad:
            raise ValueError(f"electric_share must lie in [0, 1], got {bad}")
        return self


class PlaceNamesSpec(_Model):
    """How the SSR place-name register is read (tags of the OSM-style conversion)."""

    stop_suffixes: list[str] = Field(default=[" stasjon", " holdeplass"], description=(
        "stripped from SSR stop names before matching the pack's stops"))
    label_kinds: list[str] = ["town", "village", "suburb", "quarter", "locality"]
    recreation: dict[str, list[str]] = {"leisure": ["nature_reserve", "pitch"]}
    school_types: dict[str, str] = Field(default={}, description=(
        "school type by a word in the SSR name (first match), e.g. "
        "'videregående' = 'upper_secondary'; unmatched SSR schools are 'compulsory'"))
    listed_school_type: str = Field(default="primary", description=(
        "type of the schools of the pack's `schools` input"))
    school_function_types: list[str] = ["primary", "compulsory"]
    match_radius_m: float = Field(default=800.0, gt=0, description=(
        "an SSR school and a listed school with the same name within this distance are "
        "one school"))


class CapacityFacts(_Model):
    """Who needs a place at a capacity function, from counts with their source.

    ``need_share = in_need / residents``; ``places_per_facility = in_need / facilities``
    (used where a facility layer gives no capacities).
    """

    in_need: float = Field(gt=0, description="pupils or enrolled children")
    residents: float = Field(gt=0)
    facilities: int = Field(gt=0)
    source: str


class PurposeTarget(_Model):
    """Mode shares of one purpose (a subset of walk, bike, pt, car), with their source."""

    shares: dict[str, float]
    status: Status
    source: str


class ObservedFigure(_Model):
    """An observed figure the model is checked against (not calibrated): a value or a
    ``[low, high]`` range, with its status and source."""

    value: float | None = None
    range: tuple[float, float] | None = None
    status: Status
    source: str


class Calibration(_Model):
    """Travel-survey targets of the mode choice (other keys are kept as they are).

    ``regional = false`` marks targets that are not from a survey of this region (e.g.
    the national travel survey written by ``region new``): every output then says
    the mode choice is not calibrated to the region.
    ``trips_per_person_day`` is the survey's rate for people aged 13 and over;
    ``under_13_share`` of the residents make no trips of their own in the model.
    ``destination_shares`` splits trips into ``inside`` the region and the groups of
    the external zones (e.g. ``oslo``, ``elsewhere``); ``share_under_5km`` is the share
    of trips shorter than 5 km; ``population_by_year`` gives official totals used to
    back-cast a reference year before the base year.
    """

    model_config = ConfigDict(extra="allow")
    source: str
    regional: bool = True
    mode_shares: dict[str, float]
    trips_per_person_day: float = Field(gt=0)
    car_driver_share: float = Field(gt=0, le=1)
    car_passenger_share: float = Field(ge=0, le=1)
    under_13_share: float = Field(default=0.0, ge=0, lt=1)
    under_13_source: str = ""
    destination_shares: dict[str, float] = {}
    destination_source: str = ""
    share_under_5km: float | None = Field(default=None, gt=0, lt=1)
    population_by_year: dict[int, float] = {}
    population_source: str = ""
    purpose_mode_shares: dict[str, PurposeTarget] = {}
    observed: dict[str, ObservedFigure] = {}


class LatticeSpec(_Model):
    max_gap_m: float = Field(default=150.0, gt=0)
    detour: float = Field(default=1.3, ge=1)
    link_radius_m: float = Field(default=400.0, gt=0)
    car_speed_kmh: float = Field(default=40.0, gt=0)


class ExternalArea(_Model):
    """A place outside the region whose destinations come from a population grid.

    Cells of ``population`` (an ``[external.inputs]`` key) whose centre lies in the
    municipalities matching ``kommuner`` (``fnmatch`` patterns of municipality numbers,
    minus ``exclude_kommuner``) become zones: one per stop in ``station_zones`` (the
    cells within ``catchment_m`` nearer to it than to the other such stops), the rest
    grouped into ``other_zones`` population-weighted k-means zones. Each zone's door is
    the population-weighted centre of its cells. ``onward_from`` stops reach every zone
    of the area by an onward ride (the area's own network, not modelled line by line).
    """

    name: str
    group: str = Field(min_length=1)
    population: str
    kommuner: list[str] = Field(min_length=1)
    exclude_kommuner: list[str] = []
    station_zones: list[str] = []
    catchment_m: float = Field(default=1000.0, gt=0)
    other_zones: int = Field(default=1, ge=1, le=200)
    onward_from: list[str] = []
    onward_kmh: float = Field(default=25.0, gt=0)
    onward_detour: float = Field(default=1.3, ge=1)
    onward_headway_min: float = Field(default=10.0, gt=0)
    car_kmh: float = Field(gt=0)
    kind: AreaKind = "other"
    status: Status = "derived"
    note: str = ""


class ExternalSpec(_Model):
    """``[external]``: destinations outside the region built from population grids.

    ``inputs`` maps a key to file alternatives (as ``[inputs]``); ``municipalities`` is
    the key of the municipal boundaries and ``streets`` of real streets at the far end
    (optional): a walk between a zone door and a stop runs on those streets when both
    lie within ``streets_snap_m`` of them, else on the lattice (straight distance ×
    ``walk_detour``). Stops within ``walk_radius_m`` of a door are linked on foot.
    """

    source: str
    inputs: dict[str, list[str]]
    municipalities: str
    municipality_column: str = "kommunenummer"
    streets: str | None = None
    walk_radius_m: float = Field(default=1500.0, gt=0)
    walk_detour: float = Field(default=1.3, ge=1)
    streets_snap_m: float = Field(default=200.0, gt=0)
    seed: int = 0
    areas: list[ExternalArea] = Field(min_length=1)

    @model_validator(mode="after")
    def _keys_known(self) -> ExternalSpec:
        keys = [self.municipalities, *(a.population for a in self.areas)]
        keys += [self.streets] if self.streets else []
        missing = sorted({k for k in keys if k not in self.inputs})
        if missing:
            raise ValueError(f"external inputs {missing} are not in [external.inputs]")
        return self


class RegionPack(_Model):
    """A region pack, merged from the pack's TOML files."""

    region: RegionInfo
    inputs: Inputs
    layers: dict[str, LayerSpec] = {}
    fetch: Fetch | None = None
    streets: StreetsSpec = StreetsSpec()
    osm_tags: dict[str, dict[str, list[str] | bool]] = {}
    areas: list[AreaSpec] = []
    local_centres: list[Place] = []
    stops: list[Place] = []
    lines: list[LineSpec] = []
    calibration: Calibration | None = None
    capacity: dict[str, CapacityFacts] = {}
    external_zones: list[ExternalZone] = []
    external: ExternalSpec | None = None
    jobs: Jobs | None = None
    proxies: Proxies = Proxies()
    lattice: LatticeSpec = LatticeSpec()
    walk_thresholds_m: dict[str, float] = {}
    age_shares: dict[str, AgeShare] = {}
    climate: Climate | None = None
    placenames: PlaceNamesSpec = PlaceNamesSpec()
    directory: Path = Path()

    @model_validator(mode="after")
    def _lines_use_known_stops(self) -> RegionPack:
        names = [s.name for s in self.stops]
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"duplicate stop names {dup}")
        for line in self.lines:
            missing = [s for s in line.stops if s not in names]
            if missing:
                raise ValueError(f"line {line.name!r} uses unknown stops {missing}")
        for area in self.external.areas if self.external else []:
            missing = [s for s in [*area.station_zones, *area.onward_from] if s not in names]
            if missing:
                raise ValueError(f"external area {area.name!r} uses unknown stops {missing}")
        return self

    @property
    def files(self) -> list[Path]:
        """The pack's TOML files (part of the bundle cache key)."""
        return sorted(self.directory.glob("*.toml"))

    def area_objects(self, crs: str = CRS) -> tuple[Area, ...]:
        """Areas as :class:`sim.region.Area`."""
        out = []
        for a in self.areas:
            x, y = a.xy_in(crs)
            out.append(Area(name=a.name, kind=a.kind, x=x, y=y, radius_m=a.radius_m,
                            earliest_year=a.earliest_year, status=a.status, group=a.group,
                            built_out_year=a.built_out_year, polygon_wkt=a.polygon_wkt()))
        return tuple(out)

    def stop_objects(self, crs: str = CRS) -> dict[str, Stop]:
        """Stops as :class:`sim.region.Stop` by name."""
        return {s.name: Stop(s.name, *s.xy_in(crs), status=s.status) for s in self.stops}

    def line_objects(self, crs: str = CRS) -> tuple[Line, ...]:
        """Lines with run times (given, or derived from km/speed or straight distance)."""
        stops = self.stop_objects(crs)
        out = []
        for spec in self.lines:
            if spec.run_times_min is not None:
                times = [float(t) for t in spec.run_times_min]
            elif spec.km is not None:
                dkm = np.abs(np.diff(spec.km))
                per_km = spec.min_per_km or 60.0 / float(spec.speed_kmh or 0.0)
                times = [round(float(d * per_km), 2) for d in dkm]
            else:
                xy = np.array([(stops[s].x, stops[s].y) for s in spec.stops])
                dist_km = np.hypot(*np.diff(xy, axis=0).T) * spec.detour / 1000.0
                times = [round(float(d * 60.0 / float(spec.speed_kmh or 0.0)), 2)
                         for d in dist_km]
            out.append(Line(name=spec.name, mode=spec.mode, stops=tuple(spec.stops),
                            run_times_min=tuple(times),
                            headway_peak_min=spec.headway_peak_min,
                            headway_offpeak_min=spec.headway_offpeak_min,
                            opening_year=spec.opening_year, status=spec.status))
        return tuple(out)

    def external_zone_frame(self, crs: str = CRS) -> pd.DataFrame:
        """The pack's point external zones with :data:`EXTERNAL_ZONE_COLUMNS`."""
        rows = [{"name": z.name, "area": z.name, "group": z.group, "x": z.xy_in(crs)[0],
                 "y": z.xy_in(crs)[1],
                 "population": z.population, "kind": z.kind,
                 "car_kmh": z.car_kmh or np.nan, "status": z.status}
                for z in self.external_zones]
        return pd.DataFrame(rows, columns=list(EXTERNAL_ZONE_COLUMNS))
