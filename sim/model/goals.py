"""Goal checks: the 90 % rule, nullvekst and kortreist hverdag.

Each goal is a typed record: ``value``, ``target``, ``pass`` and ``margin`` (positive
when the goal holds with room to spare) plus its details. The same types are part of
the result summary (:mod:`sim.output.summary`), so what the model decides is what
every output reads.
"""

from __future__ import annotations

import math

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from sim.model.access import Access
from sim.model.demand import Demand
from sim.scenario.schema import Scenario
from sim.vocab import GREEN_MODES


class Goal(BaseModel):
    """A goal's verdict: value against target; ``margin`` > 0 when it holds with room."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    value: float | None
    target: float
    passed: bool = Field(alias="pass")
    margin: float | None


class PlacementGoal(Goal):
    """The 90 % rule: share of new dwellings and jobs in priority areas and stations."""

    dwellings_share: float
    jobs_share: float
    new_dwellings: float
    new_jobs: float
    rule_breaks: list[str]


class NullvekstStage(BaseModel):
    """Car vehicle-km of one target year against the reference year."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
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


class KortreistGoal(Goal):
    """Kortreist hverdag: share of residents with every everyday function within reach."""

    target_rule: str
    base_year_value: float | None
    share_per_function: dict[str, float | None]


class Goals(BaseModel):
    """The plan's three goals for the final target year."""

    model_config = ConfigDict(extra="forbid")
    placement: PlacementGoal
    nullvekst: NullvekstGoal
    kortreist: KortreistGoal


def placement_goal(placements: pd.DataFrame, target: float) -> PlacementGoal:
    """Share of new dwellings plus jobs placed in priority areas and stations.

    A placement that starts before its area's ``earliest_year`` (e.g. Fossum before
    2032) breaks the plan's order of development and fails the goal whatever the share.
    """
    amount = placements.dwellings + placements.jobs
    total = float(amount.sum())
    prio = placements.priority.astype(bool)
    share = float(amount[prio].sum() / total) if total else 1.0
    dw_total = float(placements.dwellings.sum())
    jobs_total = float(placements.jobs.sum())
    breaks = [
        f"{r.area}: growth from {r.from_year}, not allowed before {r.earliest_year:.0f}"
        for r in placements[placements.rule_break].itertuples()
    ]
    return PlacementGoal(
        value=share, target=target, passed=bool(share >= target and not breaks),
        margin=share - target,
        dwellings_share=float(placements.dwellings[prio].sum() / dw_total) if dw_total else 1.0,
        jobs_share=float(placements.jobs[prio].sum() / jobs_total) if jobs_total else 1.0,
        new_dwellings=dw_total, new_jobs=jobs_total, rule_breaks=breaks,
    )


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


def kortreist_goal(base: Access, final: Access, target: float | None) -> KortreistGoal:
    """Population share with every everyday function within its walking threshold.

    Without an explicit target, the goal is that the share does not fall below the
    base year's: growth should be placed where *kortreist hverdag* already holds.
    """
    goal = base.basket_share if target is None else target
    rule = "base-year share" if target is None else "scenario goals.kortreist_share"
    if not goal > 0:  # nothing to hold: e.g. a function the region has no data for
        rule += " is 0: no resident has every everyday function within reach (see the " \
            "data_status of each function), so the goal cannot hold"
    return KortreistGoal(
        value=final.basket_share, target=goal, target_rule=rule,
        passed=bool(goal > 0 and final.basket_share >= goal - 1e-12),
        margin=final.basket_share - goal,
        base_year_value=base.basket_share, share_per_function=dict(final.share_within),
    )


def goals_from_results(
    scenario: Scenario,
    placements: pd.DataFrame,
    demand_reference: Demand,
    demand_stages: list[Demand],
    access_base: Access,
    access_final: Access,
) -> Goals:
    """All three goals for the final target year."""
    return Goals(
        placement=placement_goal(placements, scenario.goals.placement_share),
        nullvekst=nullvekst_goal(demand_reference, demand_stages, scenario.scenario.base_year),
        kortreist=kortreist_goal(access_base, access_final, scenario.goals.kortreist_share),
    )
