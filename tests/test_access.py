"""Kortreist hverdag in depth: choice, opportunities, gravity, 2SFCA, basket, PT quality."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse import csgraph

from sim.domain import is_high_frequency
from sim.model.access import CapacityFacts, access_from_network, facilities_for_year, two_step_fca
from sim.model.growth import growth_by_year
from sim.model.network import nearest_nodes, network_from_region
from sim.scenario.schema import scenario_from_file, scenario_from_text

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def setup(demo_region):
    scenario = scenario_from_file(REPO / "scenarios" / "demo.toml")
    network = network_from_region(demo_region, scenario, 2040)
    facilities = facilities_for_year(demo_region, scenario, network, 2040)
    pop = demo_region.cells.population.to_numpy(float)
    new = np.zeros_like(pop)
    new[:50] = 100.0  # some new residents in otherwise empty corner cells
    access = access_from_network(network, demo_region.cells, pop, new, facilities,
                                 scenario.goals.thresholds(), 2040, scenario.model,
                                 CapacityFacts.from_region(demo_region))
    return scenario, network, facilities, pop, new, access


def _oracle(network, cells, fac):
    """facilities × cells walking distances by scipy, snapping distances included."""
    g = network.walk
    m = sp.csr_matrix((g.weights, g.indices, g.indptr), shape=(g.n_nodes,) * 2)
    cnode, csnap = nearest_nodes(network, cells.x.to_numpy(), cells.y.to_numpy())
    fnode, fsnap = nearest_nodes(network, fac.x.to_numpy(), fac.y.to_numpy())
    return csgraph.dijkstra(m, indices=fnode)[:, cnode] + fsnap[:, None] + csnap[None, :]


@pytest.mark.parametrize("function", ["grocery", "kindergarten", "recreation"])
def test_measures_equal_bruteforce(demo_region, setup, function) -> None:
    scenario, network, facilities, _pop, _new, access = setup
    fac = facilities[facilities.category == function]
    d = _oracle(network, demo_region.cells, fac)
    t = scenario.goals.thresholds()[function]
    c = access.cells
    np.testing.assert_allclose(c[f"dist_{function}"], d.min(axis=0), atol=1e-6, rtol=0)
    np.testing.assert_allclose(c[f"time_{function}"], d.min(axis=0) / 1.3 / 60, rtol=1e-12)
    kth = np.sort(d, axis=0)[scenario.model.k_nearest - 1]
    kth[kth > scenario.model.access_cutoff_m] = np.inf  # beyond the search cutoff
    np.testing.assert_allclose(c[f"kdist_{function}"], kth, atol=1e-6, rtol=0)
    np.testing.assert_array_equal(c[f"count_{function}"], (d <= t).sum(axis=0))
    beta = scenario.model.gravity_beta_per_km
    within = np.where(d <= scenario.model.access_cutoff_m, d, np.inf)
    # gravity ignores facilities beyond the search cutoff (each weighs < 1 %)
    np.testing.assert_allclose(c[f"gravity_{function}"],
                               np.exp(-beta * within / 1000).sum(axis=0), rtol=1e-9, atol=1e-12)


def test_two_step_fca_by_hand() -> None:
    # two facilities, three cells; distances in metres
    dist = np.array([[0.0, 1000.0, 5000.0],
                     [5000.0, 1000.0, 0.0]])
    capacity = np.array([100.0, 50.0])
    demand = np.array([100.0, 100.0, 100.0])
    beta = 1.0
    a = two_step_fca(dist, capacity, demand, catchment_m=2000.0, beta=beta)
    w = np.exp(-1.0)
    r1 = 100 / (100 + 100 * w)
    r2 = 50 / (100 * w + 100)
    np.testing.assert_allclose(a, [r1, r1 * w + r2 * w, r2])
    # supply is conserved: demand-weighted access = total places
    assert (a * demand).sum() == pytest.approx(capacity.sum())


def test_basket_groups(demo_region, setup) -> None:
    """The personal basket by hand: everyone needs grocery, recreation and kollektiv; a
    child of school (kindergarten) age also a school (kindergarten)."""
    _scenario, _network, _facilities, pop, new, access = setup
    everyone = pop + new
    c = access.cells
    ages = demo_region.age_shares
    common = (c.within_grocery & c.within_recreation & c.within_transit_hf).to_numpy(float)
    expected = common * (1 - ages["school"] * (1 - c.within_school.to_numpy(float))
                         - ages["kindergarten"] * (1 - c.within_kindergarten.to_numpy(float)))
    np.testing.assert_allclose(c.basket, expected)
    groups = access.groups
    for group, w in (("existing", pop), ("new", new), ("everyone", everyone)):
        assert groups[group]["basket_share"] == pytest.approx((expected * w).sum() / w.sum())
        all_within = c.all_within.to_numpy()
        assert groups[group]["all_within_share"] == pytest.approx(w[all_within].sum() / w.sum())
        assert groups[group]["n_of_m"]["5_of_5"] == pytest.approx(
            groups[group]["all_within_share"])
        assert sum(groups[group]["n_of_m"].values()) == pytest.approx(1.0)
        # children-weighted shares equal resident-weighted ones: the grid has no ages
        assert groups[group]["share_within"]["school"] == pytest.approx(
            w[c.within_school.to_numpy()].sum() / w.sum())
    assert access.basket_share == pytest.approx(groups["everyone"]["basket_share"])
    # the personal basket never falls below "everything within reach" (all five)
    assert (c.basket >= c.all_within - 1e-12).all()
    assert groups["new"]["share_within"]["transit_hf"] != groups["existing"]["share_within"][
        "transit_hf"]


def test_high_frequency_rule() -> None:
    assert is_high_frequency("bus", 10, 15) and not is_high_frequency("bus", 10, 16)
    assert not is_high_frequency("bus", 11, 15)
    assert is_high_frequency("metro", 15, 30) and not is_high_frequency("metro", 15.5, 15)
    assert is_high_frequency("tram", 10, 10)
    assert is_high_frequency("rail", 30, 60) and not is_high_frequency("rail", 31, 30)
    assert not is_high_frequency("ferry", 5, 5)  # the plan defines no ferry frequency
    with pytest.raises(ValueError, match="unknown public transport mode"):
        is_high_frequency("gondola", 5, 5)


def test_transit_quality(demo_region, setup) -> None:
    _scenario, network, facilities, _pop, _new, access = setup
    stops = facilities[facilities.category == "transit_stop"]
    hf = stops[stops.high_frequency]
    # rail (15 min), metro (10) and Buss 1 (10/15) stops are high-frequency; buses 21-25 not
    assert "Sentrum stasjon" in set(hf.name) and "Nordås senter" in set(hf.name)
    assert not hf.name.str.startswith("Buss 21").any()
    c = access.cells
    assert (c.dist_transit_hf >= c.dist_transit_stop - 1e-9).all()
    assert access.transit["share_within_hf_stop"] <= access.transit["share_within_any_stop"]
    d = _oracle(network, demo_region.cells, hf).min(axis=0)
    np.testing.assert_allclose(c.dist_transit_hf, d, atol=1e-6)
    # kollektiv: a HF stop within 500 m or a HF rail/metro station within 1 km
    stations = hf[hf.station]
    assert set(stations.name) >= {"Sentrum stasjon", "Nordås T"}
    assert "Nordås senter" not in set(stations.name)  # a bus stop
    ds = _oracle(network, demo_region.cells, stations).min(axis=0)
    np.testing.assert_allclose(c.dist_transit_station, ds, atol=1e-6)
    np.testing.assert_array_equal(c.within_transit_hf, (d <= 500) | (ds <= 1000))
    assert (access.transit["share_within_kollektiv"]
            >= access.transit["share_within_hf_stop"])


def test_no_cell_is_dropped(demo_region, setup) -> None:
    *_, access = setup
    assert len(access.cells) == len(demo_region.cells)
    assert (access.cells.snap_m >= 0).all()


def test_region_thresholds_then_scenario_override(demo_scenario_text) -> None:
    scenario = scenario_from_text(
        demo_scenario_text.replace("[goals]", "[goals]\nwalk_thresholds_m = { grocery = 800 }"),
        Path("x.toml"),
    )
    t = scenario.goals.thresholds({"grocery": 600.0, "school": 1200.0})
    assert t["grocery"] == 800 and t["school"] == 1200 and t["recreation"] == 500


SQUEEZE = """
[scenario]
name = "squeeze"
region = "demo"
base_year = 2023
target_years = [2030]

[[growth]]
area = "Sentrum"
dwellings = 2000
from_year = 2024
to_year = 2028
"""
NEW_SCHOOL = """
[[facilities]]
category = "school"
name = "Sentrum nye skole"
x = 506000
y = 6604100
capacity = 500
opening_year = 2028
"""


def school_capacity(region, text: str, year: int) -> dict:
    """School capacity measures of ``year`` from the stages directly (no full run)."""
    scenario = scenario_from_text(text, Path("squeeze.toml"))
    network = network_from_region(region, scenario, year)
    growth = growth_by_year(region, scenario, year)
    access = access_from_network(
        network, region.cells, region.cells.population.to_numpy(float),
        growth.cells.new_residents.to_numpy(), facilities_for_year(region, scenario, network,
                                                                    year),
        scenario.goals.thresholds(region.walk_thresholds_m), year, scenario.model,
        CapacityFacts.from_region(region))
    return access.measures["school"]["capacity"]


def test_capacity_squeeze(demo_region) -> None:
    """2,000 new homes without a new school: less school capacity than with one."""
    without = school_capacity(demo_region, SQUEEZE, 2030)
    with_school = school_capacity(demo_region, SQUEEZE + NEW_SCHOOL, 2030)
    assert with_school["places"] == without["places"] + 500
    assert with_school["in_need"] == pytest.approx(without["in_need"])
    assert with_school["places_per_person_in_need"] > without["places_per_person_in_need"]
    assert with_school["share_of_need_covered"] > without["share_of_need_covered"]
    # 2SFCA conserves supply: what is reachable is handed out, never more than exists
    assert without["places_per_person_in_need"] * without["in_need"] <= without["places"] + 1e-6
