"""The three goals on hand-made inputs: zero growth, zero reference, exact boundaries."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from sim.model.goals import kortreist_goal, nullvekst_goal, placement_goal


def _placements(rows: list[tuple[str, bool, float, float, int, float | None]]) -> pd.DataFrame:
    table = pd.DataFrame(rows, columns=["area", "priority", "dwellings", "jobs", "from_year",
                                        "earliest_year"]).astype({"earliest_year": float})
    return table.assign(rule_break=table.from_year < table.earliest_year)


def _demand(year: int, car_vkm: float, trips: dict[str, float]) -> SimpleNamespace:
    return SimpleNamespace(year=year, car_vkm=car_vkm, trips=trips)


def _access(basket: float) -> SimpleNamespace:
    return SimpleNamespace(basket_share=basket, share_within={"grocery": basket})


def test_placement_share_by_hand_and_at_the_boundary() -> None:
    goal = placement_goal(_placements([("A", True, 900, 0, 2025, None),
                                       ("B", False, 50, 50, 2025, None)]), 0.9)
    assert goal.value == pytest.approx(900 / 1000)  # exactly at the target: holds
    assert goal.passed and goal.margin == pytest.approx(0.0)
    assert goal.dwellings_share == pytest.approx(900 / 950) and goal.jobs_share == 0.0
    below = placement_goal(_placements([("A", True, 899, 0, 2025, None),
                                        ("B", False, 101, 0, 2025, None)]), 0.9)
    assert not below.passed and below.margin == pytest.approx(-0.001)


def test_placement_without_growth_holds_vacuously() -> None:
    goal = placement_goal(_placements([]), 0.9)
    assert goal.value == 1.0 and goal.passed and goal.new_dwellings == 0


def test_rule_break_fails_whatever_the_share() -> None:
    goal = placement_goal(_placements([("Fossum", True, 100, 0, 2026, 2032)]), 0.9)
    assert goal.value == 1.0 and not goal.passed
    assert goal.rule_breaks == ["Fossum: growth from 2026, not allowed before 2032"]


def test_nullvekst_change_and_green_share_by_hand() -> None:
    ref = _demand(2019, 1000.0, {"walk": 10, "bike": 0, "pt": 10, "car_driver": 80})
    later = _demand(2040, 1100.0, {"walk": 20, "bike": 0, "pt": 15, "car_driver": 85})
    goal = nullvekst_goal(ref, [later], base_year=2023)
    assert goal.value == pytest.approx(0.1) and not goal.passed
    assert goal.stages[0].trip_growth == 20
    assert goal.growth_share_walk_bike_pt == pytest.approx(15 / 20)
    assert "base-year (2023) residents and jobs scaled" in goal.note
    flat = nullvekst_goal(ref, [_demand(2040, 1000.0, ref.trips)], base_year=2019)
    assert flat.passed and flat.value == 0.0 and flat.growth_share_walk_bike_pt is None
    assert flat.note == ""


def test_nullvekst_from_zero_reference() -> None:
    none = {"walk": 1.0, "bike": 0.0, "pt": 0.0, "car_driver": 0.0}
    zero = _demand(2019, 0.0, none)
    assert nullvekst_goal(zero, [_demand(2040, 0.0, none)], 2019).passed
    grew = nullvekst_goal(zero, [_demand(2040, 5.0, none)], 2019)
    assert not grew.passed and math.isinf(grew.value)


def test_kortreist_target_is_base_year_unless_given() -> None:
    same = kortreist_goal(_access(0.25), _access(0.25), None)
    assert same.passed and same.target == 0.25 and same.target_rule == "base-year share"
    worse = kortreist_goal(_access(0.25), _access(0.2), None)
    assert not worse.passed and worse.margin == pytest.approx(-0.05)
    given = kortreist_goal(_access(0.25), _access(0.2), 0.1)
    assert given.passed and given.target == 0.1
