"""Green share of trips and transport CO2 respond to a shift of trips to public transport."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.model.simulation import simulate
from sim.scenario.schema import scenario_from_text

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]

#: Every line of Demoby every 5 minutes from 2024: trips shift to public transport.
FREQUENT = "".join(
    f'[[transit.change_headway]]\nline = "{line}"\nheadway_peak_min = 5\n'
    f"headway_offpeak_min = 5\nfrom_year = 2024\n\n"
    for line in ("Linje R", "Linje M", "Buss 1", "Buss 21", "Buss 22", "Buss 23", "Buss 24",
                 "Buss 25"))


def test_shift_to_pt_raises_green_share_and_lowers_co2(demo_region) -> None:
    text = (REPO / "scenarios" / "demo.toml").read_text(encoding="utf-8")
    plain = simulate(demo_region, scenario_from_text(text, Path("demo.toml")))
    shifted = simulate(demo_region, scenario_from_text(
        text.replace("[goals]", FREQUENT + "[goals]"), Path("frequent.toml")))
    a, b = plain.goals, shifted.goals
    assert shifted.final.demand.trips["pt"] > plain.final.demand.trips["pt"] * 1.05
    assert b.green_share.value > a.green_share.value
    assert b.green_share.margin > a.green_share.margin
    assert b.co2.co2_t_per_year < a.co2.co2_t_per_year
    assert b.co2.change < a.co2.change
    # the same residents and the same electrification path: only car-km differ
    assert b.co2.electric_share == a.co2.electric_share
    assert b.co2.co2_t_per_year / a.co2.co2_t_per_year == pytest.approx(
        shifted.final.demand.car_vkm / plain.final.demand.car_vkm)
    # per stage, as the trajectory
    assert all(s2.green_share >= s1.green_share
               for s1, s2 in zip(a.green_share.stages, b.green_share.stages, strict=True))
