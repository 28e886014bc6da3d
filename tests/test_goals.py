"""The goals on hand-made inputs: zero growth, zero reference, exact boundaries, rules."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from sim.model.climate import climate_settings, co2_record, electric_share, green_share_goal
from sim.model.goals import kortreist_goal, nullvekst_goal, placement_goal, rule_breaks
from sim.model.growth import LANDING_COLUMNS, PLACEMENT_COLUMNS


def _placements(rows: list[tuple[str, float, float, float, float]]) -> pd.DataFrame:
    """(label, dwellings, jobs, priority dwellings, priority jobs), built by the final year."""
    table = pd.DataFrame(rows, columns=["label", "dwellings", "jobs", "priority_dwellings",
                                        "priority_jobs"])
    return table.reindex(columns=PLACEMENT_COLUMNS)


def _landings(rows: list[tuple]) -> pd.DataFrame:
    """(index, label, place, kind, dwellings, jobs, from, to, earliest, built_out)."""
    return pd.DataFrame(rows, columns=LANDING_COLUMNS)


NO_LANDINGS = _landings([])


def test_placement_shares_by_hand_and_at_the_boundary() -> None:
    goal = placement_goal(_placements([("A", 900, 0, 900, 0), ("B", 50, 50, 0, 0)]),
                          NO_LANDINGS, 0.9, "combined")
    assert goal.value == pytest.approx(900 / 1000)  # exactly at the target: holds
    assert goal.passed and goal.margin == pytest.approx(0.0)
    assert goal.dwellings_share == pytest.approx(900 / 950) and goal.jobs_share == 0.0
    assert not placement_goal(_placements([("A", 900, 0, 900, 0), ("B", 50, 50, 0, 0)]),
                              NO_LANDINGS, 0.9, "each").passed  # jobs share 0
    below = placement_goal(_placements([("A", 899, 0, 899, 0), ("B", 101, 0, 0, 0)]),
                           NO_LANDINGS, 0.9, "combined")
    assert not below.passed and below.margin == pytest.approx(-0.001)


def test_each_fails_jobs_share_089_with_dwellings_095() -> None:
    """Both shares are reported; `each` (the default) fails, `combined` passes."""
    table = _placements([("A", 950, 890, 950 * 1.0, 890 * 1.0), ("B", 50, 110, 0, 0)])
    table["priority_dwellings"] = [950.0, 0.0]
    table["priority_jobs"] = [890.0, 0.0]
    each = placement_goal(table, NO_LANDINGS, 0.9)
    assert each.rule == "each" and "both" in each.rule_note
    assert each.dwellings_share == pytest.approx(0.95)
    assert each.jobs_share == pytest.approx(0.89)
    assert not each.passed and each.value == pytest.approx(0.89)
    assert each.margin == pytest.approx(-0.01)
    combined = placement_goal(table, NO_LANDINGS, 0.9, "combined")
    assert combined.passed and combined.value == pytest.approx((950 + 890) / 2000)


def test_placement_without_growth_holds_vacuously() -> None:
    goal = placement_goal(_placements([]), NO_LANDINGS, 0.9)
    assert goal.value == 1.0 and goal.passed and goal.new_dwellings == 0


def test_rule_breaks_by_place_and_year() -> None:
    landings = _landings([
        (0, "A", "Fossum", "other", 100.0, 0.0, 2026, 2040, 2032, None),
        (1, "B", "Fossum", "other", 100.0, 0.0, 2032, 2040, 2032, None),   # in time
        (2, "C", "Bekkestua", "growth_area", 50.0, 10.0, 2026, 2035, None, 2030),
        (3, "D", "Haslum", "station", 10.0, 0.0, 2025, 2030, None, None),
        (4, "E", "Sandvika", "growth_area", 10.0, 0.0, 2026, 2030, None, None),
        (5, "F", "Fossum", "other", 0.0, 0.0, 2024, 2030, 2032, None),     # nothing lands
    ])
    breaks = {b.rule: b for b in rule_breaks(landings)}
    assert set(breaks) == {"not_before", "built_out", "order"}
    fossum = breaks["not_before"]
    assert (fossum.placement, fossum.place, fossum.year, fossum.limit) == (0, "Fossum", 2026, 2032)
    assert fossum.message == ("growth[0] A: 100 dwellings, 0 jobs in Fossum from 2026, "
                              "not allowed before 2032")
    assert breaks["built_out"].place == "Bekkestua" and breaks["built_out"].year == 2031
    order = breaks["order"]
    assert (order.placement, order.place, order.year, order.limit) == (3, "Haslum", 2025, 2026)
    goal = placement_goal(_placements([("A", 100, 0, 100, 0)]), landings, 0.9)
    assert goal.value == 1.0 and not goal.passed and len(goal.rule_breaks) == 3


def test_station_growth_after_growth_areas_is_in_order() -> None:
    landings = _landings([(0, "A", "Sandvika", "growth_area", 10.0, 0.0, 2024, 2030, None, None),
                          (1, "B", "Kolsås", "station", 10.0, 0.0, 2027, 2040, None, None)])
    assert rule_breaks(landings) == []


def _demand(year: int, car_vkm: float, trips: dict[str, float]) -> SimpleNamespace:
    total = sum(trips.values())
    shares = {"walk": trips.get("walk", 0) / total, "bike": trips.get("bike", 0) / total,
              "pt": trips.get("pt", 0) / total,
              "car": (trips.get("car_driver", 0) + trips.get("car_passenger", 0)) / total}
    return SimpleNamespace(year=year, car_vkm=car_vkm, trips=trips, mode_shares=shares)


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


CLIMATE = {"green_share_target": 0.6, "bike_share_target": 0.07, "target_year": 2025,
           "electric_share": {2019: 0.1, 2030: 0.5}, "fossil_co2_kg_per_km": 0.15,
           "source": "test"}


def test_green_share_goal_and_trajectory() -> None:
    ref = _demand(2019, 1000.0, {"walk": 20, "bike": 4, "pt": 18, "car_driver": 58})
    early = _demand(2024, 1000.0, {"walk": 30, "bike": 8, "pt": 25, "car_driver": 37})
    late = _demand(2030, 1000.0, {"walk": 30, "bike": 6, "pt": 30, "car_driver": 34})
    goal = green_share_goal(ref, [early, late], CLIMATE)
    assert goal.reference_value == pytest.approx(0.42)
    assert goal.value == pytest.approx(0.66) and goal.bike_share == pytest.approx(0.06)
    assert not goal.passed  # 66 % green, but cycling 6 % < 7 %
    assert [s.judged for s in goal.stages] == [False, True]
    assert goal.stages[0].passed and goal.margin == pytest.approx(0.06)


def test_co2_from_fossil_car_km() -> None:
    assert electric_share({2019: 0.1, 2030: 0.5}, 2024) == pytest.approx(0.1 + 0.4 * 5 / 11)
    assert electric_share({2019: 0.1, 2030: 0.5}, 2010) == 0.1
    ref = _demand(2019, 1000.0, {"walk": 1, "car_driver": 1})
    later = _demand(2030, 1200.0, {"walk": 1, "car_driver": 1})
    co2 = co2_record(ref, [later], CLIMATE)
    assert co2.co2_t_per_year_reference == pytest.approx(1000 * 365 * 0.9 * 0.15 / 1000)
    assert co2.co2_t_per_year == pytest.approx(1200 * 365 * 0.5 * 0.15 / 1000)
    assert co2.change == pytest.approx(1200 * 0.5 / (1000 * 0.9) - 1)


def _access(existing: float | None, new: float | None, function: float = 0.5
            ) -> SimpleNamespace:
    groups = {}
    for name, basket in (("existing", existing), ("new", new)):
        if basket is not None:
            groups[name] = {"residents": 100.0, "basket_share": basket,
                            "share_within": {"grocery": function, "transit_hf": function}}
    return SimpleNamespace(groups=groups, share_within={"grocery": function})


def test_kortreist_new_residents_against_existing_base_year() -> None:
    base = _access(0.25, None)
    better = kortreist_goal(base, _access(0.26, 0.30), None)
    assert better.passed and better.target == 0.25 and better.value == 0.30
    assert better.margin == pytest.approx(0.05) and better.existing_value == 0.26
    worse = kortreist_goal(base, _access(0.26, 0.20), None)
    assert not worse.passed and worse.margin == pytest.approx(-0.05)
    given = kortreist_goal(base, _access(0.25, 0.2), 0.1)
    assert given.passed and given.target == 0.1
    assert "scenario" in given.target_rule


def test_kortreist_per_function_targets_and_no_growth() -> None:
    base = _access(0.25, None, function=0.5)
    final = _access(0.25, 0.30, function=0.4)
    goal = kortreist_goal(base, final, None, {"grocery": "base"})
    grocery = goal.functions["grocery"]
    assert grocery.target == 0.5 and grocery.new == 0.4 and grocery.passed is False
    assert not goal.passed  # the basket holds, the grocery target does not
    assert goal.functions["transit_hf"].passed is None  # no target given
    assert kortreist_goal(base, final, None, {"grocery": 0.3}).passed
    none = kortreist_goal(base, _access(0.25, None), None)
    assert none.value is None and none.passed and none.margin is None


def test_scenario_overrides_climate_targets_and_single_years() -> None:
    merged = climate_settings(CLIMATE, {"green_share_target": 0.5, "bike_share_target": None,
                                        "target_year": None, "electric_share": {2030: 0.7}})
    assert merged["green_share_target"] == 0.5 and merged["bike_share_target"] == 0.07
    assert merged["target_year"] == 2025
    assert merged["electric_share"] == {2019: 0.1, 2030: 0.7}
    assert CLIMATE["electric_share"] == {2019: 0.1, 2030: 0.5}  # the region's stays
