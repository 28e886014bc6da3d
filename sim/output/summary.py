"""The result contract: a typed, versioned :class:`Summary`, written as ``summary.json``.

:func:`summary_from_simulation` is the one place where model results become output;
compare, report and rerun read the summary back with :func:`read_summary`, which
checks ``schema_version``. Floats are rounded to 10 significant digits and
non-finite values written as ``null``, so the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from sim import __version__
from sim._fs import check_safe_name, json_clean, sha256_text, write_json
from sim.errors import InputError
from sim.model.goals import Goals
from sim.model.simulation import Simulation
from sim.scenario.edits import policy_for_year
from sim.vocab import BASKET_FUNCTIONS, EVERYDAY_FUNCTIONS

#: Version of the summary layout; a summary of another version is refused on read.
#: 3: placement ``value`` follows ``goals.placement_rule`` (``each``: the smaller of the
#: dwellings and jobs shares), kortreist ``value`` is the new residents' basket share,
#: the basket counts a high-frequency stop and children's needs; green share and CO2.
SCHEMA_VERSION = 3

#: Keys of ``summary.json`` that change from run to run.
VOLATILE_KEYS = ("created",)

Share = float | None


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioPart(_Part):
    name: str

    @field_validator("name")
    @classmethod
    def _usable_as_directory_name(cls, value: str) -> str:
        return check_safe_name(value, "scenario name")

    region: str
    description: str
    base_year: int
    target_years: list[int]
    final_year: int


class CapacityPart(_Part):
    places: float
    in_need: float
    places_per_person_in_need: float | None
    share_of_need_covered: float | None
    share_with_place: float | None
    capacity_source: str
    catchment_m: float


class FunctionAccess(_Part):
    """Walking access to one everyday function in the final year."""

    threshold_m: float
    n_facilities: int
    mean_distance_m: float | None
    k: int
    mean_count_within: float | None
    mean_gravity: float | None
    gravity_beta_per_km: float
    share_within: Share
    data_status: str
    capacity: CapacityPart | None = None


class GroupAccess(_Part):
    """Basket of one population group (existing, new, everyone).

    ``basket_share``: share with every function they need within reach (school and
    kindergarten for children of those ages); ``all_within_share``: share with all five
    basket functions within reach.
    """

    residents: float
    basket_share: Share
    all_within_share: Share
    share_within: dict[str, Share]
    n_of_m: dict[str, Share]


class Basket(_Part):
    functions: list[str]
    groups: dict[str, GroupAccess]
    base_year: GroupAccess
    cells_gaining: int
    cells_losing: int


class TransitAccess(_Part):
    """Stops within reach: any stop, a high-frequency stop, and "kollektiv" of the basket
    (a high-frequency stop, or a high-frequency rail/metro station within its threshold)."""

    share_within_any_stop: Share
    share_within_hf_stop: Share
    share_within_kollektiv: Share
    n_stops: int
    n_hf_stops: int
    cells_far_from_network: int
    residents_far_from_network: float


class DemandPart(_Part):
    """Residents' travel in the final year."""

    year: int
    trips: dict[str, float]
    car_vkm: float
    pt_pkm: float
    pt_pkm_note: str
    pt_boardings: float
    pt_lines: dict[str, dict[str, float]]
    by_purpose: dict[str, dict[str, float | None]]
    by_area: dict[str, dict[str, float | None]]
    trip_length_distribution: dict[str, dict[str, float]]
    zone_size_m: float
    pt_transfers: dict[str, float] = {}
    pt_wait_by_period: dict[str, float | None] = {}
    pt_minutes_per_trip: dict[str, float | None] = {}
    trip_rate: dict[str, Any] = {}
    destination_shares: dict[str, float] = {}
    share_under_5km: float | None = None
    mean_car_trip_km: float | None = None


class ValidationRow(_Part):
    """One row of the validation table: the base year's model figure against what was
    observed (a value or a range), whether it was calibrated and is within tolerance."""

    indicator: str
    model: float | None
    observed: float | None
    observed_range: list[float] | None
    unit: str
    status: str
    calibrated: bool
    tolerance: float | None
    within: bool | None
    source: str


class ElasticityCheck(_Part):
    value: float | None
    range: list[float]
    inside: bool | None
    source: str = ""


class YearPart(_Part):
    """One modelled year."""

    residents: float
    jobs: float
    new_residents: float
    new_dwellings: float
    mode_shares: dict[str, float]
    trips: dict[str, float]
    car_split: dict[str, float]
    car_share_by_area: dict[str, float | None]
    car_vkm: float
    pt_pkm: float
    basket_share: Share
    access_share_within: dict[str, Share]
    lines: list[str]
    destination_shares: dict[str, float] = {}
    population_factor: float = 1.0
    policy: dict[str, Any] = {}


class LayerInfo(_Part):
    status: str
    source: str
    licence: str
    note: str | None = None


class DataPart(_Part):
    synthetic: bool
    layers: dict[str, LayerInfo]
    not_real: list[str]
    synthetic_layers: list[str]


class Manifest(_Part):
    """What reproduces the result: software, inputs with their hashes, the scenario text."""

    package: str
    version: str
    python: str
    inputs: dict[str, str]
    scenario_text: str
    seed: dict[str, int | None]
    data: DataPart


class Summary(_Part):
    """Everything a result says, as written to ``summary.json``."""

    schema_version: int
    scenario: ScenarioPart
    mode_shares: dict[str, float]
    synthetic: bool
    data_status: str
    data_note: str
    car_split: dict[str, float]
    goals: Goals
    calibration: dict[str, Any]
    demand: DemandPart
    elasticities: dict[str, ElasticityCheck]
    validation: list[ValidationRow] = []
    basket_share: Share
    access: dict[str, FunctionAccess]
    basket: Basket
    transit_access: TransitAccess
    years: dict[str, YearPart]
    manifest: Manifest
    created: str

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON form: aliases (``pass``), absent optional parts left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True)

    @property
    def fully_synthetic(self) -> bool:
        """True when every figure rests on a made-up region."""
        return self.data_status == "synthetic"


def data_status(sim: Simulation) -> dict[str, Any]:
    """Which layers are real, derived, proxy, estimated or synthetic."""
    layers = {
        name: {"status": layer.status, "source": layer.source, "licence": layer.licence,
               **({"note": layer.note} if layer.note else {})}
        for name, layer in sorted(sim.region.layers.items())
    }
    return {
        "synthetic": sim.region.synthetic,
        "layers": layers,
        "not_real": sorted(n for n, layer in sim.region.layers.items() if layer.status != "real"),
        "synthetic_layers": sorted(
            n for n, layer in sim.region.layers.items() if layer.status == "synthetic"
        ),
    }


def data_note(sim: Simulation) -> str:
    """One sentence on what the numbers rest on, for every summary and report."""
    region = sim.region
    if region.fully_synthetic:
        return (f"SYNTHETIC: every figure rests on the made-up region {region.name!r}, "
                "not on Bærum data")
    by_status = region.layers_by_status()
    parts = [f"{status}: {', '.join(names)}" for status, names in by_status.items()
             if status != "real"]
    lattice = sim.final.access.cells.network_status.to_numpy() == "synthetic"
    total = float(sim.final.residents.sum())
    share = float(sim.final.residents[lattice].sum()) / total if total > 0 else 0.0
    note = (f"Not every layer is real data ({'; '.join(parts)}). {share:.1%} of residents "
            "are reached only through the synthetic gap-filling lattice.")
    if not sim.calibration.get("regional", True):
        note += f" {sim.calibration['note']}"
    return note + _absent_note(sim)


def _absent_note(sim: Simulation) -> str:
    """What the region lacks, said: modes nobody can use (no public transport without
    lines) and purposes whose trips have nowhere to go (work without jobs data)."""
    note = ""
    unavailable = sim.calibration.get("unavailable_modes", [])
    if unavailable:
        names = ", ".join("public transport" if m == "pt" else m for m in unavailable)
        note += (f" No {names} in this region: not available in the mode choice; the survey "
                 "shares of the other modes are scaled to sum to one.")
    demand = sim.final.demand
    empty = [p for p, v in demand.by_purpose.items() if v.get("trips", 0.0) <= 0]
    if empty:
        note += (f" No {', '.join(empty)} trips in {demand.year}: nothing in this region "
                 "attracts them (e.g. no jobs data), so they are left out.")
    return note


def function_status(sim: Simulation, function: str) -> str:
    """Status of the layer an everyday function rests on (stops: their facility layer,
    else the lines); ``missing`` when the region has none."""
    layer = sim.region.layers.get(f"facilities.{function}")
    if layer is None and function == "transit_stop":
        layer = sim.region.layers.get("lines")
    return layer.status if layer else "missing"


def _years(sim: Simulation) -> dict[str, dict[str, Any]]:
    return {
        str(year): {
            "residents": float(state.residents.sum()),
            "jobs": float(state.jobs.sum()),
            "new_residents": float(state.growth.cells.new_residents.sum()),
            "new_dwellings": float(state.growth.cells.new_dwellings.sum()),
            "mode_shares": state.demand.mode_shares,
            "trips": state.demand.trips,
            "car_split": state.demand.car_split,
            "car_share_by_area": {a: v["car"] for a, v in state.demand.by_area.items()},
            "car_vkm": state.demand.car_vkm,
            "pt_pkm": state.demand.pt_pkm,
            "basket_share": state.access.basket_share,
            "access_share_within": state.access.share_within,
            "lines": [line.name for line in state.network.lines],
            "destination_shares": state.demand.destination_shares,
            "population_factor": state.population_factor,
            "policy": year_policy(sim, year),
        }
        for year, state in sorted(sim.years.items())
    }


def year_policy(sim: Simulation, year: int) -> dict[str, Any]:
    """The prices in force in a year: car cost per km, PT fare, tolls and parking."""
    state = sim.years[year]
    policy = policy_for_year(sim.scenario, year)
    return {"car_cost_nok_per_km": state.params.car_cost_nok_per_km,
            "pt_fare_nok": state.params.pt_fare_nok, "tolls_nok": policy.tolls,
            "parking_nok": policy.parking}


def _per_pt_trip(sim: Simulation, minutes: np.ndarray) -> float | None:
    """Mean of a public transport matrix over the final year's PT trips."""
    trips = np.nan_to_num(sim.final.demand.pt_od)
    return float((trips * np.nan_to_num(minutes)).sum() / trips.sum()) if trips.sum() else None


def _pt_wait_by_period(sim: Simulation) -> dict[str, float | None]:
    """Mean wait per public transport trip of the final year, by period (minutes)."""
    return {period: _per_pt_trip(sim, sim.final.skims.period(period).pt_wait_min)
            for period in ("peak", "offpeak")}


def _trip_rate(sim: Simulation) -> dict[str, Any]:
    """Who makes the trips: the survey's rate for ages 13+ and the share under 13."""
    inputs = sim.final.demand_inputs
    cal = sim.region.calibration
    return {"trips_per_person_13_plus": inputs.trips_per_person,
            "under_13_share": 1.0 - inputs.trip_maker_share,
            "trips_per_resident": inputs.trips_per_person * inputs.trip_maker_share,
            "source": cal.get("under_13_source", "")}


def _pt_minutes(sim: Simulation) -> dict[str, float | None]:
    """Walking, waiting and in-vehicle minutes of the mean PT trip (periods weighted)."""
    tt = sim.final.skims.combined(sim.final.params.peak_trip_share)
    return {"walk": _per_pt_trip(sim, tt.pt_walk_min), "wait": _per_pt_trip(sim, tt.pt_wait_min),
            "in_vehicle": _per_pt_trip(sim, tt.pt_ivt_min)}


def _demand(sim: Simulation) -> dict[str, Any]:
    demand = sim.final.demand
    return {
        "year": demand.year,
        "trips": demand.trips,
        "car_vkm": demand.car_vkm,
        "pt_pkm": demand.pt_pkm,
        "pt_pkm_note": f"in-vehicle distance = straight stop-to-stop distance × "
                       f"{sim.scenario.model.pt_detour:g} [E]",
        "pt_boardings": demand.pt_boardings,
        "pt_lines": sim.line_loads,
        "by_purpose": demand.by_purpose,
        "by_area": demand.by_area,
        "trip_length_distribution": demand.length_distribution,
        "zone_size_m": sim.scenario.model.zone_size_m,
        "pt_transfers": sim.transfers,
        "pt_wait_by_period": _pt_wait_by_period(sim),
        "pt_minutes_per_trip": _pt_minutes(sim),
        "trip_rate": _trip_rate(sim),
        "destination_shares": demand.destination_shares,
        "share_under_5km": demand.share_under_5km,
        "mean_car_trip_km": demand.mean_car_trip_km,
    }


def _manifest(sim: Simulation, scenario_path: Path, scenario_text: str,
              extra_inputs: dict[str, str] | None = None) -> dict[str, Any]:
    inputs = {str(scenario_path): sha256_text(scenario_text), **sim.region.inputs,
              **sim.scenario.input_files, **(extra_inputs or {})}
    return {
        "package": "baerum-sim",
        "version": __version__,
        "python": platform.python_version(),
        "inputs": dict(sorted(inputs.items())),
        "scenario_text": scenario_text,
        "seed": {"scenario": sim.scenario.scenario.seed, "region": sim.region.seed},
        "data": data_status(sim),
    }


def summary_from_simulation(
    sim: Simulation, scenario_path: Path, scenario_text: str, cells_gaining: int,
    cells_losing: int, extra_inputs: dict[str, str] | None = None,
) -> Summary:
    """The typed summary of a simulation (the basket changes come from the cell table)."""
    info = sim.scenario.scenario
    final = sim.final
    access = {f: {**final.access.measures[f], "data_status": function_status(sim, f)}
              for f in EVERYDAY_FUNCTIONS}
    summary = {
        "schema_version": SCHEMA_VERSION,
        "scenario": {"name": info.name, "region": info.region, "description": info.description,
                     "base_year": info.base_year, "target_years": info.target_years,
                     "final_year": final.year},
        "synthetic": sim.region.synthetic,
        "data_status": sim.region.data_status,
        "data_note": data_note(sim),
        "goals": sim.goals.model_dump(by_alias=True),
        "mode_shares": final.demand.mode_shares,
        "car_split": final.demand.car_split,
        "demand": _demand(sim),
        "calibration": sim.calibration,
        "elasticities": sim.elasticities,
        "validation": sim.validation,
        "access": access,
        "basket_share": final.access.basket_share,
        "basket": {"functions": list(BASKET_FUNCTIONS), "groups": final.access.groups,
                   "base_year": sim.base.access.groups["everyone"],
                   "cells_gaining": cells_gaining, "cells_losing": cells_losing},
        "transit_access": final.access.transit,
        "years": _years(sim),
        "manifest": _manifest(sim, scenario_path, scenario_text, extra_inputs),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return Summary.model_validate(json_clean(summary))


def write_summary(summary: Summary, path: Path) -> Path:
    """Write ``summary.json`` (deterministic JSON, atomically)."""
    return write_json(summary.to_json_dict(), path)


def read_summary(result_dir: Path) -> Summary:
    """Load and check ``summary.json`` of a results directory (:class:`InputError` if it is
    missing, not JSON, of another schema version or not a baerum-sim summary)."""
    path = Path(result_dir) / "summary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no summary.json; is {result_dir} a results directory?") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: not a baerum-sim summary (not an object)")
    version = data.get("schema_version", 1)
    if version != SCHEMA_VERSION:
        raise InputError(f"{path}: schema_version {version!r}, this baerum-sim reads "
                         f"{SCHEMA_VERSION}; rerun the scenario to update it")
    try:
        return Summary.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        raise InputError(f"{path}: {where}: {err['msg']} (not a baerum-sim summary)") from None
