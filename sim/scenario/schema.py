"""Scenario files (TOML): the pydantic model and its loader.

A scenario says where growth goes, which public transport and facilities change,
and which goal thresholds apply. Validation errors become one-line
:class:`sim.errors.InputError` messages naming the file and field.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, Self, TypeVar

import pandas as pd
from pydantic import (
    BaseModel,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import InputError
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.entries import (
    EXTENT_MARGIN_M,
    MAX_NESTING,
    STRICT,
    GrowthLayer,
    Metres,
    NewFacility,
    Placement,
    Policy,
    ScenarioInfo,
    Share,
    Streets,
    Transit,
    Year,
)
from sim.vocab import BASKET_FUNCTIONS, EVERYDAY_FUNCTIONS, PlacementRule

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


class Goals(BaseModel):
    """``[goals]``: thresholds and options of the plan's goals.

    ``placement_rule``: ``each`` (dwellings share and jobs share both at least
    ``placement_share``, the default) or ``combined`` (their sum). ``kortreist_share``:
    target of new residents' basket share (default: existing residents' base-year
    share); ``kortreist_function_targets``: per basket function, a share or ``"base"``
    (existing residents' base-year share). The green-share targets and the fleet
    electrification path default to the region pack's (``electric_share`` overrides
    single years).
    """

    model_config = STRICT

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


class GisLayers(BaseModel):
    """``[gis]``: a GeoPackage drawn in GIS, relative to the scenario file, and its layers.

    Each layer name may be empty to leave that layer out. Lines call at the stops within
    ``stop_snap_m`` of them (a drawing tolerance) in their order along the line.
    """

    model_config = STRICT

    file: Annotated[str, Field(min_length=1, max_length=1000, strict=True)]
    lines: Annotated[str, Field(max_length=200, strict=True)] = "lines"
    stops: Annotated[str, Field(max_length=200, strict=True)] = "stops"
    facilities: Annotated[str, Field(max_length=200, strict=True)] = "facilities"
    stop_snap_m: Metres = 50.0


class Scenario(BaseModel):
    """A whole scenario file."""

    model_config = STRICT

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
