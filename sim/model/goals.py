"""Goal checks: the 90 % rule, nullvekst, kortreist hverdag and the green share of trips.

Each goal is a typed record: ``value``, ``target``, ``pass`` and ``margin`` (positive
when the goal holds with room to spare) plus its details and its ``data_basis``
(which share of the number rests on proxy, estimated or synthetic data). Transport
CO2 (:class:`Co2Record`, :mod:`sim.model.climate`) is reported beside nullvekst. The
same types are part of the result summary (:mod:`sim.output.summary`), so what the
model decides is what every output reads.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sim.model.access import Access
from sim.model.demand import Demand
from sim.vocab import BASKET_FUNCTIONS, GREEN_MODES, PlacementRule


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class DataBasis(_Record):
    """Which share of a goal's number rests on weak data (0–1 each) and why."""

    proxy_share: float
    estimated_share: float
    synthetic_share: float
    note: str


class Goal(_Record):
    """A goal's verdict: value against target; ``margin`` > 0 when it holds with room."""

    value: float | None
    target: float
    passed: bool = Field(alias="pass")
    margin: float | None
    data_basis: DataBasis | None = None


class RuleBreak(_Record):
    """A break of the plan's order of development, by where and when growth lands."""

    rule: Literal["not_before", "built_out", "order"]
    placement: int
    label: str
    place: str
    year: int
    limit: int
    dwellings: float
    jobs: float
    message: str


class PlacementGoal(Goal):
    """The 90 % rule: shares of new dwellings and jobs in priority areas and stations.

    ``rule`` ``each``: both shares must reach the target (``value`` is the smaller);
    ``combined``: dwellings plus jobs (``value`` is ``combined_share``). Membership is by
    where the growth lands (:mod:`sim.model.places`).
    """

    rule: PlacementRule
    rule_note: str
    dwellings_share: float
    jobs_share: float
    combined_share: float
    new_dwellings: float
    new_jobs: float
    rule_breaks: list[str]
    rule_break_details: list[RuleBreak]
    by_place: dict[str, dict[str, float]]


class NullvekstStage(_Record):
    """Car vehicle-km of one target year against the reference year."""

    year: int
    car_vkm: float
    change: float
    passed: bool = Field(alias="pass")
    margin: float
    trip_growth: float
    growth_share_walk_bike_pt: float | None


class NullvekstGoal(Goal):
    """Nullvekst: residents' car vehicle-km must not grow from the reference year."""

    reference_year: int
    year: int
    car_vkm_reference: float
    car_vkm: float
    growth_share_walk_bike_pt: float | None
    stages: list[NullvekstStage]
    note: str


class KortreistFunction(_Record):
    """One basket function: share within reach of existing and new residents."""

    existing_base: float | None
    existing: float | None
    new: float | None
    target: float | None
    passed: bool | None = Field(alias="pass")
    margin: float | None


class KortreistGoal(Goal):
    """Kortreist hverdag: new residents' share with their everyday basket within reach.

    ``value`` is the new residents' basket share in the final year; the target defaults
    to the existing residents' share in the base year. Per-function targets (optional)
    must hold too. ``functions`` reports every basket function (``transit_hf`` is the
    plan's "kollektiv": a high-frequency stop) and any stop beside it.
    """

    target_rule: str
    base_year_value: float | None
    existing_value: float | None
    new_residents: float
    functions: dict[str, KortreistFunction]
    share_per_function: dict[str, float | None]
    basket_note: str


class GreenStage(_Record):
    """Green share of trips in one target year."""

    year: int
    green_share: float
    bike_share: float
    judged: bool
    passed: bool = Field(alias="pass")


class GreenShareGoal(Goal):
    """Miljøvennlige transportmidler førstevalg: walking, cycling and PT share of trips."""

    bike_share: float
    bike_target: float | None
    target_year: int
    year: int
    reference_value: float
    stages: list[GreenStage]
    source: str


class Co2Stage(_Record):
    """Transport CO2 of residents' car driving in one year."""

    year: int
    car_vkm: float
    electric_share: float
    co2_t_per_year: float
    change: float


class Co2Record(_Record):
    """Residents' car CO2 (tonnes a year) against the nullvekst reference year."""

    reference_year: int
    year: int
    co2_t_per_year_reference: float
    co2_t_per_year: float
    change: float
    electric_share: float
    electric_share_status: str
    fossil_co2_kg_per_km: float
    stages: list[Co2Stage]
    note: str
    data_basis: DataBasis | None = None


class Goals(_Record):
    """The plan's goals for the final target year, and transport CO2 beside them."""

    placement: PlacementGoal
    nullvekst: NullvekstGoal
    kortreist: KortreistGoal
    green_share: GreenShareGoal
    co2: Co2Record


# --- the 90 % rule ---------------------------------------------------------------------


def _share(part: float, whole: float) -> float:
    return part / whole if whole else 1.0


def rule_breaks(landings: pd.DataFrame) -> list[RuleBreak]:
    """Breaks of the plan's rules by where and when growth lands.

    - ``not_before``: growth in a place before its ``earliest_year`` (Fossum, 2032);
    - ``built_out``: growth in a place after its ``built_out_year`` (Bekkestua);
    - ``order``: growth in a priority station's place starting before growth in the
      priority growth areas starts (the plan: growth areas first, then stations).
    """
    out: list[RuleBreak] = []
    rows = landings[(landings.dwellings + landings.jobs) > 0]

    def add(rule: Literal["not_before", "built_out", "order"], r: pd.Series, year: int,
            limit: int, text: str) -> None:
        what = f"growth[{r['index']}] {r['label']}: {r['dwellings']:,.0f} dwellings, " \
               f"{r['jobs']:,.0f} jobs in {r['place']} {text}"
        out.append(RuleBreak(rule=rule, placement=int(r["index"]), label=str(r["label"]),
                             place=str(r["place"]), year=year, limit=limit,
                             dwellings=float(r["dwellings"]), jobs=float(r["jobs"]),
                             message=what))

    for _, r in rows.iterrows():
        earliest, built_out = r["earliest_year"], r["built_out_year"]
        if pd.notna(earliest) and r["from_year"] < earliest:
            add("not_before", r, int(r["from_year"]), int(earliest),
                f"from {r['from_year']}, not allowed before {earliest:.0f}")
        if pd.notna(built_out) and r["to_year"] > built_out:
            add("built_out", r, int(built_out) + 1, int(built_out),
                f"until {r['to_year']}, but {r['place']} counts as built out after "
                f"{built_out:.0f}")
    areas = rows[rows.kind == "growth_area"]
    if len(areas):
        first = int(areas.from_year.min())
        for _, r in rows[(rows.kind == "station") & (rows.from_year < first)].iterrows():
            add("order", r, int(r["from_year"]), first,
                f"from {r['from_year']}: station growth before the priority growth areas "
                f"start ({first}); the plan develops growth areas first")
    return out


def placement_goal(placements: pd.DataFrame, landings: pd.DataFrame, target: float,
                   rule: PlacementRule = "each") -> PlacementGoal:
    """The 90 % rule on growth built by the final year, by where it lands.

    Any rule break (:func:`rule_breaks`) fails the goal whatever the shares.
    """
    dw, jobs = float(placements.dwellings.sum()), float(placements.jobs.sum())
    dw_share = _share(float(placements.priority_dwellings.sum()), dw)
    jobs_share = _share(float(placements.priority_jobs.sum()), jobs)
    combined = _share(float(placements.priority_dwellings.sum()
                            + placements.priority_jobs.sum()), dw + jobs)
    value = min(dw_share, jobs_share) if rule == "each" else combined
    breaks = rule_breaks(landings)
    note = (f"each: dwellings share and jobs share must both be ≥ {target:.0%}" if rule == "each"
            else f"combined: (dwellings + jobs) share must be ≥ {target:.0%}")
    by_place = {str(place): {"dwellings": float(g.dwellings.sum()), "jobs": float(g.jobs.sum())}
                for place, g in landings.groupby("place")}
    return PlacementGoal(
        value=value, target=target, passed=bool(value >= target - 1e-12 and not breaks),
        margin=value - target, rule=rule, rule_note=note, dwellings_share=dw_share,
        jobs_share=jobs_share, combined_share=combined, new_dwellings=dw, new_jobs=jobs,
        rule_breaks=[b.message for b in breaks], rule_break_details=breaks,
        by_place=by_place,
    )


# --- nullvekst ---------------------------------------------------------------------------


def _change(value: float, reference: float) -> float:
    """Relative change; from zero it is 0 when still zero and +inf when it grew."""
    if reference > 0:
        return value / reference - 1.0
    return 0.0 if value <= 0 else math.inf


def _nullvekst_stage(reference: Demand, stage: Demand) -> NullvekstStage:
    change = _change(stage.car_vkm, reference.car_vkm)
    growth = sum(stage.trips.values()) - sum(reference.trips.values())
    green = sum(stage.trips[m] - reference.trips[m] for m in GREEN_MODES)
    return NullvekstStage(year=stage.year, car_vkm=stage.car_vkm, change=change,
                          passed=bool(change <= 0.0), margin=-change, trip_growth=growth,
                          growth_share_walk_bike_pt=green / growth if growth > 0 else None)


def nullvekst_goal(reference: Demand, stages: list[Demand], base_year: int) -> NullvekstGoal:
    """Residents' car vehicle-km in each stage vs the reference year; must not grow.

    The goal is judged on the final stage; every stage is reported (the trajectory).
    ``growth_share_walk_bike_pt`` is the share of the growth in trips taken by
    walking, cycling and public transport (the plan: all of it).

    A reference year before the base year is modelled with the base year's residents
    and jobs scaled to the reference year's official total (where the region gives
    one), the lines running then and that year's policy; the note says so.
    """
    reference_note = (
        f"reference year {reference.year}: base-year ({base_year}) residents and jobs scaled "
        f"to the region's official {reference.year} total, with the {reference.year} network "
        "and policy"
        if reference.year < base_year else ""
    )
    trajectory = [_nullvekst_stage(reference, stage) for stage in stages]
    final = trajectory[-1]
    return NullvekstGoal(
        value=final.change, target=0.0, passed=final.passed, margin=final.margin,
        reference_year=reference.year, year=final.year, car_vkm_reference=reference.car_vkm,
        car_vkm=final.car_vkm, growth_share_walk_bike_pt=final.growth_share_walk_bike_pt,
        stages=trajectory, note=reference_note,
    )


# --- kortreist hverdag -------------------------------------------------------------------


def _group_share(access: Access, group: str, function: str | None = None) -> float | None:
    """A group's basket share (or one function's share); None when the group is empty."""
    g = access.groups.get(group, {})
    if not g or not g.get("residents"):
        return None
    value = g["basket_share"] if function is None else g["share_within"].get(function)
    return None if value is None or np.isnan(value) else float(value)


def _function_record(base: Access, final: Access, function: str,
                     target: float | Literal["base"] | None) -> KortreistFunction:
    existing_base = _group_share(base, "existing", function)
    new = _group_share(final, "new", function)
    goal = existing_base if target == "base" else target
    checked = goal is not None and new is not None
    return KortreistFunction(
        existing_base=existing_base, existing=_group_share(final, "existing", function),
        new=new, target=goal, passed=bool(new >= goal - 1e-12) if checked else None,  # type: ignore[operator]
        margin=new - goal if checked else None)  # type: ignore[operator]


def kortreist_goal(
    base: Access, final: Access, target: float | None,
    function_targets: dict[str, float | Literal["base"]] | None = None,
    basket_note: str = "",
) -> KortreistGoal:
    """New residents' share with their everyday basket within walking distance.

    Without an explicit ``target`` the new residents must do at least as well as the
    existing residents did in the base year: growth should go where *kortreist
    hverdag* holds. ``function_targets`` (a share, or ``"base"`` for the existing
    residents' base-year share) must hold too. Without new residents the goal holds
    vacuously (``value`` None).
    """
    function_targets = function_targets or {}
    base_value = _group_share(base, "existing")
    goal = base_value if target is None else target
    new = _group_share(final, "new")
    functions = {f: _function_record(base, final, f, function_targets.get(f))
                 for f in (*BASKET_FUNCTIONS, "transit_stop")}
    goal = 0.0 if goal is None else goal
    rule = ("existing residents' base-year basket share" if target is None
            else "scenario goals.kortreist_share")
    if not goal > 0:  # nothing to hold: e.g. a function the region has no data for
        rule += (" is 0: no resident has every everyday function within reach (see the "
                 "data_status of each function), so the goal cannot hold")
    functions_ok = all(r.passed is not False for r in functions.values())
    new_residents = float(final.groups.get("new", {}).get("residents", 0.0))
    return KortreistGoal(
        value=new, target=goal,
        target_rule=rule,
        passed=bool(goal > 0 and (new is None or new >= goal - 1e-12) and functions_ok),
        margin=None if new is None else new - goal, base_year_value=base_value,
        existing_value=_group_share(final, "existing"), new_residents=new_residents,
        functions=functions, share_per_function=dict(final.share_within),
        basket_note=basket_note,
    )
