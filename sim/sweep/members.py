"""Members of a sweep: each is one scenario with the inputs set to its drawn values.

:func:`members_from_spec` builds and validates every member's scenario up front (a bad
target fails before anything runs) and keys each by the sha256 of its scenario, so a
finished member is recognised when the sweep is run again. :func:`run_member` is what a
worker does with one member: simulate it and return one flat row of goal values,
verdicts and key figures.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import numba
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim._fs import json_clean, sha256_text
from sim.errors import InputError
from sim.model.simulation import Simulation, simulate, skim_source
from sim.model.zones import zones_from_cells
from sim.params import ModelParams
from sim.region.load import load_region, matrix_cache_dir
from sim.region.model import Region
from sim.scenario.schema import Scenario, scenario_from_file
from sim.sweep.spec import Input, SweepSpec, draw_points
from sim.vocab import GOALS

#: Prefix of the input columns of the results table.
INPUT_PREFIX = "input."


class Member(BaseModel):
    """One member of a sweep and the scenario it runs."""

    model_config = ConfigDict(frozen=True)
    index: int = Field(description="position in the sweep: the row of the results table")
    key: str = Field(description="sha256 (16 hex digits) of the scenario; finished members "
                     "are stored under it")
    values: dict[str, float] = Field(description="drawn value of each input, by input name")
    scenario_file: str = Field(description="the scenario file the member starts from")
    scenario_json: str = Field(description="the member's validated scenario as JSON: what "
                               "a worker runs")


def _coerce(value: float, current: Any) -> float | int:
    """A drawn value in the type of the field it replaces (whole numbers for ints)."""
    if isinstance(current, int) and not isinstance(current, bool):
        return round(value)
    return float(value)


def _set_model(model: dict[str, Any], path: list[str]) -> tuple[dict[str, Any], str]:
    """The table and key that ``model.<field>[.<key>]`` names."""
    field = path[0]
    if field not in ModelParams.model_fields or field.startswith("asc_"):
        raise ValueError(f"unknown model parameter {field!r}")
    if len(path) == 1:
        if isinstance(model.get(field), dict):
            raise ValueError(f"model.{field} is a table; name one key, e.g. model.{field}.KEY")
        return model, field
    table = model.get(field)
    if len(path) != 2 or not isinstance(table, dict) or path[1] not in table:
        raise ValueError(f"model.{'.'.join(path)}: no such number")
    return table, path[1]


def _scale_growth(growth: list[dict[str, Any]], what: tuple[str, ...], factor: float,
                  area: str | None = None) -> None:
    hit = [p for p in growth if area is None or p["area"] == area]
    if not hit:
        raise ValueError(f"the scenario places no growth in {area!r}" if area else
                         "the scenario places no growth")
    for placement in hit:
        for key in what:
            placement[key] = float(placement[key]) * factor


def _set_growth(growth: list[dict[str, Any]], path: list[str], value: float) -> None:
    if path == ["scale"]:
        _scale_growth(growth, ("dwellings", "jobs"), value)
    elif path in (["dwellings_total"], ["jobs_total"]):
        key = path[0].removesuffix("_total")
        total = sum(float(p[key]) for p in growth)
        if total <= 0:
            raise ValueError(f"the scenario places no {key} to scale to a total")
        _scale_growth(growth, (key,), value / total)
    elif len(path) == 2 and path[1] == "scale":
        _scale_growth(growth, ("dwellings", "jobs"), value, area=path[0])
    else:
        raise ValueError("growth targets are growth.scale, growth.dwellings_total, "
                         "growth.jobs_total and growth.<area>.scale")


def _set_transit(transit: dict[str, Any], what: str, line: str, value: float) -> None:
    added = [a for a in transit.get("add_line", []) if a["name"] == line]
    if what == "opening_year":
        changes = [c for c in transit.setdefault("change_opening", []) if c["line"] == line]
        for entry in added or changes:
            entry["opening_year"] = round(value)
        if not (added or changes):  # an existing line of the region (checked later)
            transit["change_opening"].append({"line": line, "opening_year": round(value)})
        return
    changes = [c for c in transit.get("change_headway", []) if c["line"] == line]
    if not (added or changes):
        raise ValueError(f"line {line!r} is neither added nor given a new headway in the "
                         "scenario; add a [[transit.change_headway]] for it")
    for entry in added + changes:
        entry["headway_peak_min"] = float(value)


def apply_input(data: dict[str, Any], target: str, value: float) -> None:
    """Set ``target`` to ``value`` in a scenario's plain data (``ValueError`` when the
    target names nothing in the scenario)."""
    head, _, rest = target.partition(".")
    path = rest.split(".")
    if head == "model":
        table, key = _set_model(data["model"], path)
        table[key] = _coerce(value, table.get(key, 0.0))
    elif head == "growth":
        _set_growth(data["growth"], path, value)
    elif head == "transit" and len(path) >= 2 and path[0] in ("opening_year", "headway"):
        _set_transit(data["transit"], path[0], ".".join(path[1:]), value)
    else:
        raise ValueError(f"unknown target {target!r}")


def _member_scenario(base: Scenario, inputs: list[Input], values: dict[str, float],
                     where: str) -> Scenario:
    data = copy.deepcopy(base.model_dump(mode="json", by_alias=True))
    for k, spec_input in enumerate(inputs):
        try:
            apply_input(data, spec_input.target, values[spec_input.label])
        except ValueError as exc:
            raise InputError(f"{where}: inputs[{k}].target: {exc}") from None
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InputError(f"{where}: a member's scenario is not valid with {values}: "
                         f"{loc}: {err['msg']}") from None


def members_from_spec(spec: SweepSpec, spec_path: Path) -> tuple[list[Member], Region]:
    """Every member of the sweep, validated against the region, in member order."""
    files = [(spec_path.parent / name) for name in spec.sweep.scenarios]
    bases = [scenario_from_file(f) for f in files]
    regions = {b.scenario.region for b in bases}
    if len(regions) != 1:
        raise InputError(f"{spec_path}: sweep.scenarios: all scenarios must use one region, "
                         f"got {sorted(regions)}")
    region = load_region(regions.pop())
    members = []
    for index, values in enumerate(draw_points(spec)):
        pick = int(values.get("scenario", 0))
        scenario = _member_scenario(bases[pick], list(spec.inputs), values, str(spec_path))
        scenario.check_against(region, spec_path)
        text = scenario.model_dump_json(by_alias=True)
        members.append(Member(index=index, key=sha256_text(text)[:16], values=values,
                              scenario_file=spec.sweep.scenarios[pick], scenario_json=text))
    return members, region


@functools.lru_cache(maxsize=2)
def _region(name: str) -> Region:
    """A worker loads each region once."""
    return load_region(name)


def simulate_member(scenario_json: str, threads: int | None = None) -> Simulation:
    """Simulate one member's scenario with the region's matrix cache (shared by workers)."""
    if threads is not None:
        numba.set_num_threads(max(1, min(threads, numba.config.NUMBA_NUM_THREADS)))  # type: ignore[attr-defined]  # numba.config has no stubs
    scenario = Scenario.model_validate_json(scenario_json)
    region = _region(scenario.scenario.region)
    zones = zones_from_cells(region, scenario.model.zone_size_m)
    skims = skim_source(region, zones, scenario.model, matrix_cache_dir(region.name))
    return simulate(region, scenario, skims)


def member_row(sim: Simulation) -> dict[str, Any]:
    """Goal values, verdicts and key figures of a member (JSON-clean numbers)."""
    goals = sim.goals
    demand = sim.final.demand
    row: dict[str, Any] = {}
    for name in GOALS:
        goal = getattr(goals, name)
        row.update({f"{name}.value": goal.value, f"{name}.pass": bool(goal.passed),
                    f"{name}.margin": goal.margin})
    row.update({
        "nullvekst.car_vkm": goals.nullvekst.car_vkm,
        "nullvekst.car_vkm_reference": goals.nullvekst.car_vkm_reference,
        "nullvekst.growth_share_walk_bike_pt": goals.nullvekst.growth_share_walk_bike_pt,
        "kortreist.base_year_value": goals.kortreist.base_year_value,
        "placement.new_dwellings": goals.placement.new_dwellings,
        "placement.new_jobs": goals.placement.new_jobs,
        "trips": float(sum(demand.trips.values())),
        **{f"share.{mode}": share for mode, share in sorted(demand.mode_shares.items())},
        "pt_boardings": demand.pt_boardings,
        "pt_pkm": demand.pt_pkm,
        "data_status": sim.region.data_status,
    })
    return json_clean(row)


def run_member(scenario_json: str, threads: int | None = 1) -> dict[str, Any]:
    """What a worker does with a member: simulate it and return its row.

    One Numba thread by default: members are the unit of parallelism, one per worker
    thread, so path searches do not compete with each other for the cores.
    """
    return member_row(simulate_member(scenario_json, threads))


def member_record(member: Member, row: dict[str, Any]) -> dict[str, Any]:
    """The stored record of a finished member: its key, inputs and row."""
    return {"key": member.key, "values": json_clean(member.values), "row": row,
            "scenario_sha256": sha256_text(member.scenario_json)}


def table_row(member: Member, row: dict[str, Any]) -> dict[str, Any]:
    """One row of the results table: member, key, scenario file, inputs, then outputs."""
    inputs = {f"{INPUT_PREFIX}{k}": v for k, v in member.values.items()}
    return {"member": member.index, "key": member.key, "scenario_file": member.scenario_file,
            **inputs, **row}


def record_text(record: dict[str, Any]) -> str:
    """Deterministic JSON of a stored record."""
    return json.dumps(record, indent=1) + "\n"
