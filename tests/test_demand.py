"""Demand: calibration to every target, trip totals, responses to cost, elasticities, matrices."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse import csgraph

from sim.model.access import facilities_for_year
from sim.model.calibration import (
    Targets,
    calibrate_constants,
    calibration_targets,
    elasticities,
)
from sim.model.demand import MODES, Constants, demand_from_travel_times
from sim.model.network import nearest_nodes, network_from_region
from sim.model.simulation import demand_inputs
from sim.model.skims import skims_from_network
from sim.model.zones import zones_from_cells
from sim.scenario.schema import scenario_from_file

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def case(demo_region):
    """The demo region's 2023 network, matrices, demand inputs and calibration."""
    scenario = scenario_from_file(REPO / "scenarios" / "demo.toml")
    network = network_from_region(demo_region, scenario, 2023)
    zones = zones_from_cells(demo_region, scenario.model.zone_size_m)
    skims = skims_from_network(network, zones.x, zones.y, zones.kind, scenario.model)
    tt = skims.combined(scenario.model.peak_trip_share)
    facilities = facilities_for_year(demo_region, scenario, network, 2023)
    inputs = demand_inputs(demo_region, scenario, zones, demo_region.cells.population.to_numpy(
        float), demo_region.cells.jobs.to_numpy(float), facilities, 2023)
    targets = calibration_targets(demo_region)
    constants, fit = calibrate_constants(tt, inputs, scenario.model, targets)
    return SimpleNamespace(scenario=scenario, network=network, zones=zones, tt=tt, skims=skims,
                           inputs=inputs, constants=constants, fit=fit, targets=targets)


def _demand(case, params=None, tt=None, inputs=None):
    return demand_from_travel_times(tt or case.tt, inputs or case.inputs,
                                    params or case.scenario.model, case.constants, 2023)


def test_calibration_reproduces_every_target(case) -> None:
    assert case.fit["converged"]
    d = _demand(case)
    targets = {"walk": 0.20, "bike": 0.04, "pt": 0.18, "car": 0.57}  # survey-like shares
    for mode, target in targets.items():
        assert abs(d.mode_shares[mode] - target) < 0.005  # within 0.5 points
    assert d.destination_shares == pytest.approx({"inside": 0.8, "storby": 0.2}, abs=1e-3)
    assert d.share_under_5km == pytest.approx(0.5, abs=1e-3)
    # the passenger/driver split is the survey's by construction
    assert d.car_split["car_passenger"] / d.car_split["car_driver"] == pytest.approx(8 / 55)
    # deterministic: a second calibration gives the very same constants
    again, _ = calibrate_constants(case.tt, case.inputs, case.scenario.model, case.targets)
    assert again == case.constants


def test_purpose_targets_are_reproduced(case) -> None:
    """Purpose-specific constants fit school and escort shares while the totals still hold."""
    targets = replace(case.targets, purposes={"school": {"car": 0.10, "pt": 0.33},
                                              "escort": {"car": 0.80}})
    constants, fit = calibrate_constants(case.tt, case.inputs, case.scenario.model, targets)
    assert fit["converged"]
    d = demand_from_travel_times(case.tt, case.inputs, case.scenario.model, constants, 2023)
    assert d.by_purpose["school"]["car"] == pytest.approx(0.10, abs=1e-3)
    assert d.by_purpose["school"]["pt"] == pytest.approx(0.33, abs=1e-3)
    assert d.by_purpose["escort"]["car"] == pytest.approx(0.80, abs=1e-3)
    assert d.mode_shares["car"] == pytest.approx(case.targets.modes["car"], abs=1e-3)
    assert constants.purpose["escort"]["car"] > 0 > constants.purpose["school"]["car"]


def test_trip_totals_count_residents_aged_13_and_over(case) -> None:
    d = _demand(case)
    assert case.inputs.trip_maker_share == pytest.approx(0.85)  # 15 % under 13 (demo facts)
    expected = case.inputs.residents.sum() * 0.85 * case.inputs.trips_per_person
    assert sum(d.trips.values()) == pytest.approx(expected)
    assert set(d.trips) == set(MODES)
    assert sum(v["trips"] for v in d.by_purpose.values()) == pytest.approx(expected)
    assert sum(v["trips"] for v in d.by_area.values()) == pytest.approx(expected)
    assert sum(d.destination_shares.values()) == pytest.approx(1.0)
    for dist in d.length_distribution.values():
        assert sum(dist.values()) == pytest.approx(1.0)
    assert d.car_split["car_driver"] + d.car_split["car_passenger"] == pytest.approx(
        d.mode_shares["car"])


def test_dearer_car_means_fewer_car_km_and_fewer_passengers(case) -> None:
    base = _demand(case)
    dear = _demand(case, case.scenario.model.model_copy(update={"car_cost_nok_per_km": 10.0}))
    assert dear.car_vkm < base.car_vkm
    assert dear.mode_shares["car"] < base.mode_shares["car"]
    assert dear.mode_shares["pt"] > base.mode_shares["pt"]
    # passengers share the car's cost: dearer driving no longer raises passenger trips
    assert dear.trips["car_passenger"] < base.trips["car_passenger"]


def test_fare_and_parking_and_toll_move_demand(case) -> None:
    base = _demand(case)
    free = _demand(case, case.scenario.model.model_copy(update={"pt_fare_nok": 0.0}))
    assert free.trips["pt"] > base.trips["pt"]
    n_dest = case.tt.car_km.shape[1]
    parking = replace(case.inputs, parking_nok=np.full(n_dest, 100.0))
    assert _demand(case, inputs=parking).car_vkm < base.car_vkm
    toll = replace(case.inputs, toll_nok=np.full(case.tt.car_km.shape, 30.0))
    assert _demand(case, inputs=toll).car_vkm < base.car_vkm


def test_elasticities_have_the_right_sign(case) -> None:
    e = elasticities(case.tt, case.inputs, case.scenario.model, case.constants)
    assert -0.5 < e["car_km_wrt_running_cost"] < 0
    assert -1.0 < e["pt_wrt_in_vehicle_time"] < 0
    assert -1.0 < e["pt_wrt_headway"] < 0


def test_walk_matrix_equals_scipy(case) -> None:
    g = case.network.walk
    m = sp.csr_matrix((g.weights, g.indices, g.indptr), shape=(g.n_nodes,) * 2)
    node, snap = nearest_nodes(case.network, case.zones.x, case.zones.y, "walk")
    d = csgraph.dijkstra(m, indices=node[:20])[:, node] + snap[:20, None] + snap[None, :]
    d = np.maximum(d, case.scenario.model.zone_size_m / 3)
    expected = d / case.scenario.model.walk_speed_mps / 60
    np.testing.assert_allclose(case.tt.walk_min[:20, : case.zones.n], expected, rtol=1e-9)


def test_parking_by_zone_kind(case) -> None:
    p = case.scenario.model.parking_nok
    assert set(np.unique(case.tt.parking_nok[: case.zones.n])) <= set(p.values())
    centre = np.flatnonzero(case.zones.kind == "growth_area")
    assert centre.size and (case.tt.parking_nok[centre] == p["growth_area"]).all()


def test_car_period_speed_factors(case) -> None:
    """Peak and off-peak car times are the free-flow time over each period's speed factor;
    the demand uses their trip-weighted mean."""
    p = case.scenario.model
    peak, off = case.skims.peak.car_min, case.skims.offpeak.car_min
    long = off > 10  # above the intrazonal floor
    np.testing.assert_allclose(peak[long] / off[long],
                               p.car_speed_factor_offpeak / p.car_speed_factor_peak, rtol=1e-9)
    w = p.peak_trip_share
    np.testing.assert_allclose(case.tt.car_min, w * peak + (1 - w) * off, rtol=1e-12)


def test_facility_zone_sums_conserve_totals(case, demo_region) -> None:
    from sim.model.zones import facility_zone_sums

    fac = facilities_for_year(demo_region, case.scenario, case.network, 2023)
    schools = fac[fac.category == "school"]
    places = facility_zone_sums(case.zones, demo_region, fac, "school", "capacity")
    count = facility_zone_sums(case.zones, demo_region, fac, "school", None)
    assert count.sum() == len(schools) and places.sum() == pytest.approx(schools.capacity.sum())
    # each school sits in the zone of the cell it lies in
    first = schools.iloc[0]
    cell = np.argmin(np.hypot(demo_region.cells.x - first.x, demo_region.cells.y - first.y))
    assert count[case.zones.cell_zone[cell]] >= 1


def test_one_zone_by_hand() -> None:
    """One zone, no destinations elsewhere: trips, mode shares and car-km by hand."""
    from sim.model.demand import DemandInputs
    from sim.model.skims import TravelTimes
    from sim.params import ModelParams

    one = np.ones((1, 1))
    tt = TravelTimes(n_internal=1, walk_min=10 * one, bike_min=5 * one, car_min=3 * one,
                     car_km=2 * one, car_terminal_min=one, parking_nok=np.zeros(1),
                     pt_gen_min=np.inf * one, pt_ivt_min=np.nan * one,
                     pt_wait_min=np.nan * one, pt_walk_min=np.nan * one,
                     pt_boardings=np.nan * one, pt_km=np.nan * one)
    quantities = ("residents", "jobs", "school_places", "kindergarten_places", "grocery",
                  "recreation")
    inputs = DemandInputs(residents=np.array([100.0]),
                          attraction={k: np.ones(1) for k in quantities},
                          trips_per_person=3.0, area=np.array(["a"]), trip_maker_share=0.9,
                          passenger_share=0.2)
    p = ModelParams()
    c = Constants(asc={"bike": -1.0, "pt": 0.0, "car": 0.5})
    trips = 100 * 0.9 * 3.0
    expected = {m: 0.0 for m in MODES}
    car_vkm = 0.0
    for purpose in p.purposes.values():
        b, _ = p.time_coefficients(purpose)
        u = {"walk": b * p.walk_weight * 10, "bike": -1.0 + b * p.bike_weight * 5,
             "car": 0.5 + b * 4 + p.beta_cost_per_nok * p.car_cost_nok_per_km * 2 * 0.8}
        total = sum(np.exp(v) for v in u.values())
        share = {m: np.exp(v) / total for m, v in u.items()}
        n = trips * purpose.share
        expected["walk"] += n * share["walk"]
        expected["bike"] += n * share["bike"]
        expected["car_driver"] += n * share["car"] * 0.8
        expected["car_passenger"] += n * share["car"] * 0.2
        car_vkm += n * share["car"] * 0.8 * 2.0
    d = demand_from_travel_times(tt, inputs, p, c, 2030)
    assert d.trips["pt"] == 0
    for mode, value in expected.items():
        assert d.trips[mode] == pytest.approx(value, rel=1e-12)
    assert d.car_vkm == pytest.approx(car_vkm, rel=1e-12)


def test_targets_from_region(demo_region) -> None:
    t = calibration_targets(demo_region)
    assert isinstance(t, Targets)
    assert sum(t.modes.values()) == pytest.approx(1.0)
    assert t.modes["car"] == pytest.approx(0.57 + 0.01 / 4)
    assert t.groups == {"inside": 0.8, "storby": 0.2} and t.short == 0.5


def test_policy_charges_by_place(case, demo_region) -> None:
    """A toll at a cordon is paid by car trips crossing it; parking by area replaces the
    charge by kind at the area's destinations only."""
    from sim.model.policy import inside_place, policy_charges
    from sim.scenario.edits import YearPolicy

    size = case.scenario.model.zone_size_m
    policy = YearPolicy(tolls={"Storby": 20.0, "Sentrum": 10.0}, parking={"Sentrum": 80.0})
    parking, toll = policy_charges(demo_region, case.zones, policy, size)
    n = case.zones.n
    sentrum = inside_place(demo_region, case.zones, "Sentrum", size)
    assert sentrum[:n].any() and not sentrum[n:].any()
    assert (parking[sentrum] == 80).all() and np.isnan(parking[~sentrum]).all()
    outside = ~sentrum[:n]
    assert (toll[np.ix_(outside, np.flatnonzero(outside))] == 0).all()  # no cordon crossed
    assert (toll[outside, n] == 20).all()  # to Storby: its cordon only
    assert (toll[sentrum[:n], n] == 30).all()  # out of Sentrum and into Storby
    assert policy_charges(demo_region, case.zones, YearPolicy({}, {}), size) == (None, None)
