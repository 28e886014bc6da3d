"""Scenario files (TOML): the pydantic model and its loader.

A scenario says where growth goes, which public transport and facilities change,
and which goal thresholds apply. Validation errors become one-line
:class:`sim.errors.InputError` messages naming the file and field.
"""

from __future__ import annotations

import difflib
import itertools
import tomllib
from pathlib import Path
from typing import Annotated, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.errors import InputError
from sim.params import ModelParams
from sim.region.model import Region
from sim.vocab import EVERYDAY_FUNCTIONS, Mode, StreetMode

Year = Annotated[int, Field(ge=1900, le=2200)]
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioInfo(_Strict):
    """``[scenario]``: name, region and the years to model."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[\w.\- ]+$")]
    region: str = "demo"
    description: str = ""
    base_year: Year
    target_years: Annotated[list[Year], Field(min_length=1)]
    seed: int = 0

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
    """One ``[[growth]]`` entry: dwellings and jobs built in an area over some years."""

    area: str
    dwellings: NonNegative = 0
    jobs: NonNegative = 0
    from_year: Year
    to_year: Year

    @model_validator(mode="after")
    def _years_in_order(self) -> Self:
        if self.to_year < self.from_year:
            raise ValueError(
                f"to_year {self.to_year} is before from_year {self.from_year}"
            )
        return self

    def share_built_by(self, year: int) -> float:
        """Fraction of this placement built by the end of ``year`` (linear over the years)."""
        n_years = self.to_year - self.from_year + 1
        return min(max((year - self.from_year + 1) / n_years, 0.0), 1.0)


class NewStop(_Strict):
    """A stop given by name and EPSG:25833 coordinates."""

    name: str
    x: float
    y: float


class AddLine(_Strict):
    """``[[transit.add_line]]``: a new frequency-based line."""

    name: str
    mode: Mode
    stops: Annotated[list[str | NewStop], Field(min_length=2)]
    run_times_min: list[Positive]
    headway_peak_min: Positive
    headway_offpeak_min: Positive | None = None
    opening_year: Year | None = None

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

    line: str
    headway_peak_min: Positive
    headway_offpeak_min: Positive | None = None
    from_year: Year


class RemoveLine(_Strict):
    """``[[transit.remove_line]]``: a line stops running from a year."""

    line: str
    from_year: Year


class RemoveStop(_Strict):
    """``[[transit.remove_stop]]``: no line calls at a stop from a year.

    Vehicles still pass: the run times on both sides of the stop are added up.
    """

    stop: str
    from_year: Year


class ChangeOpening(_Strict):
    """``[[transit.change_opening]]``: an existing line opens in another year (delay)."""

    line: str
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

    name: str = ""
    start: tuple[float, float]
    end: tuple[float, float]
    modes: Annotated[list[StreetMode], Field(min_length=1)] = ["walk", "bike"]
    length_m: Positive | None = None
    car_speed_kmh: Positive = 30.0
    opening_year: Year | None = None


class CloseLink(_Strict):
    """``[[streets.close_link]]``: close the street segment nearest to a point for some modes."""

    name: str = ""
    at: tuple[float, float]
    modes: Annotated[list[StreetMode], Field(min_length=1)] = ["car"]
    from_year: Year


class Streets(_Strict):
    """``[streets]``: street network edits (EPSG:25833 coordinates)."""

    add_link: list[AddLink] = []
    close_link: list[CloseLink] = []


class NewFacility(_Strict):
    """``[[facilities]]``: an everyday facility added by the scenario (EPSG:25833)."""

    category: str
    name: str
    x: float
    y: float
    capacity: NonNegative | None = None
    opening_year: Year | None = None

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in EVERYDAY_FUNCTIONS:
            raise ValueError(
                f"unknown category {value!r}; expected one of {', '.join(EVERYDAY_FUNCTIONS)}"
            )
        return value


#: The 90 % rule: share of growth in priority areas and stations (kommuneplanens
#: samfunnsdel 2021–2040, facts §1).
PLACEMENT_TARGET = 0.9

#: Nullvekst reference year (byvekstavtale 2019–2029, facts §4).
NULLVEKST_REFERENCE_YEAR = 2019

#: Walking thresholds per everyday function, metres (facts §6: 500 m to grocery
#: (Rokseth et al. 2021) and to a stop (SSB band); the others are estimates [E]).
WALK_THRESHOLDS_M: dict[str, float] = {**dict.fromkeys(EVERYDAY_FUNCTIONS, 500.0),
                                       "school": 1000.0}


class Goals(_Strict):
    """``[goals]``: thresholds of the three goals."""

    placement_share: Annotated[float, Field(ge=0, le=1)] = PLACEMENT_TARGET
    nullvekst_reference_year: Year = NULLVEKST_REFERENCE_YEAR
    kortreist_share: Annotated[float, Field(ge=0, le=1)] | None = None
    walk_thresholds_m: dict[str, Positive] = {}

    @field_validator("walk_thresholds_m")
    @classmethod
    def _known_functions(cls, value: dict[str, float]) -> dict[str, float]:
        for key in value:
            if key not in EVERYDAY_FUNCTIONS:
                raise ValueError(
                    f"unknown function {key!r}; expected one of {', '.join(EVERYDAY_FUNCTIONS)}"
                )
        return value

    def thresholds(self, region_thresholds: dict[str, float] | None = None) -> dict[str, float]:
        """Walking threshold per function: defaults ← region pack ← this scenario."""
        return {**WALK_THRESHOLDS_M, **(region_thresholds or {}),
                **self.walk_thresholds_m}


class Scenario(_Strict):
    """A whole scenario file."""

    scenario: ScenarioInfo
    growth: list[Placement] = []
    transit: Transit = Transit()
    streets: Streets = Streets()
    facilities: list[NewFacility] = []
    goals: Goals = Goals()
    model: ModelParams = ModelParams()

    @model_validator(mode="after")
    def _growth_years_after_base(self) -> Self:
        for i, placement in enumerate(self.growth):
            if placement.from_year <= self.scenario.base_year:
                raise ValueError(
                    f"growth[{i}].from_year {placement.from_year} must come after "
                    f"base_year {self.scenario.base_year}"
                )
        return self

    def check_against(self, region: Region, path: Path) -> None:
        """Check names that need the region: areas, lines, stops.

        Raises :class:`InputError` for the first unknown name, suggesting the nearest
        valid one.
        """
        areas = [a.name for a in region.areas]
        for i, placement in enumerate(self.growth):
            _check_name(path, f"growth[{i}].area", placement.area, areas, "area")
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
    return f"{path}: {loc or '(top level)'}: {msg}{more}"


_M = TypeVar("_M", bound=BaseModel)


def input_text(path: Path, what: str = "scenario file") -> str:
    """The text of an input file; :class:`InputError` naming ``what`` when unreadable."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: {what} not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read {what} ({exc})") from None


def model_from_toml(text: str, path: Path, model: type[_M]) -> _M:
    """Parse TOML ``text`` into ``model``; one-line :class:`InputError` naming ``path``
    and the field when it is not valid."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None
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
