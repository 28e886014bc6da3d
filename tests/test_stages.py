"""Stage by stage on the demo region: network, growth, access and demand invariants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse import csgraph

from sim.graph import many_to_many
from sim.model.access import CapacityFacts, access_from_network, facilities_for_year
from sim.model.growth import growth_by_year
from sim.model.network import nearest_nodes, network_from_region
from sim.model.transit import first_wait_min, transfer_wait_min
from sim.scenario.edits import lines_for_year
from sim.scenario.schema import scenario_from_file

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def scenario():
    return scenario_from_file(REPO / "scenarios" / "demo.toml")


@pytest.fixture(scope="module")
def network(demo_region, scenario):
    return network_from_region(demo_region, scenario, 2040)


def test_demo_region_shape(demo_region) -> None:
    s = demo_region.streets
    assert 5_000 <= s.n_nodes <= 20_000
    assert (s.length_m > 0).all()
    assert (s.length_m >= np.hypot(s.node_x[s.u] - s.node_x[s.v],
                                   s.node_y[s.u] - s.node_y[s.v]) - 1e-9).all()
    modes = {line.mode for line in demo_region.lines}
    assert {"rail", "metro", "bus"} <= modes
    assert any(line.mode == "bus" and line.headway_peak_min <= 10 for line in demo_region.lines)
    assert {a.kind for a in demo_region.areas} == {"growth_area", "station", "other"}
    assert set(demo_region.facilities.category) == {"grocery", "school", "kindergarten",
                                                   "recreation"}
    assert {layer.status for layer in demo_region.layers.values()} == {"synthetic"}


def test_demo_region_is_deterministic() -> None:
    from sim.region.demo import demo_region

    a, b = demo_region.__wrapped__(), demo_region.__wrapped__()
    assert np.array_equal(a.streets.length_m, b.streets.length_m)
    assert a.cells.equals(b.cells) and a.facilities.equals(b.facilities)


def test_lines_open_by_year(demo_region, scenario) -> None:
    names_2026 = {line.name for line in lines_for_year(demo_region, scenario, 2026)}
    names_2027 = {line.name for line in lines_for_year(demo_region, scenario, 2027)}
    assert "Buss 2" not in names_2026 and "Buss 2" in names_2027


def test_pt_wait_by_headway(demo_region, scenario, network) -> None:
    """Riding one stop of Linje R (15-minute headway): walk to and from the stops, the
    first wait (half the headway up to 11 minutes, a quarter of the rest beyond: 6.5),
    the boarding penalty and the run time."""
    p = scenario.model
    stops = network.stops.set_index("name")
    a, b = stops.loc["Sentrum stasjon"], stops.loc["Elvebredden stasjon"]
    n = network.n_nodes
    t = many_to_many(network.pt, np.array([a.node]), np.array([b.node + n]))[0, 0]
    walk_s = p.walk_weight / p.walk_speed_mps
    expected = ((a.snap_m + b.snap_m) * walk_s
                + (6.5 * p.wait_weight + p.boarding_penalty_min) * 60 + 3.0 * 60)
    assert t == pytest.approx(expected)
    assert float(first_wait_min(15, p)) == 6.5 and float(first_wait_min(10, p)) == 5.0
    assert float(transfer_wait_min(15, p)) == 7.5


def test_growth_totals(demo_region, scenario) -> None:
    g = growth_by_year(demo_region, scenario, 2040)
    assert g.cells.new_dwellings.sum() == pytest.approx(sum(p.dwellings for p in scenario.growth))
    assert g.cells.new_jobs.sum() == pytest.approx(sum(p.jobs for p in scenario.growth))
    assert growth_by_year(demo_region, scenario, 2023).cells.new_dwellings.sum() == 0


def test_access_equals_bruteforce_scipy(demo_region, scenario, network) -> None:
    """Every cell's distance = min over facilities of snap + network + snap (scipy oracle)."""
    facilities = facilities_for_year(demo_region, scenario, network, 2040)
    cells = demo_region.cells
    pop = cells.population.to_numpy(float)
    access = access_from_network(network, cells, pop, np.zeros_like(pop), facilities,
                                 scenario.goals.thresholds(), 2040, scenario.model,
                                 CapacityFacts.from_region(demo_region))
    g = network.walk
    m = sp.csr_matrix((g.weights, g.indices, g.indptr), shape=(g.n_nodes,) * 2)
    cell_node, cell_snap = nearest_nodes(network, cells.x.to_numpy(), cells.y.to_numpy())
    for function in ("school", "transit_stop"):
        fac = facilities[facilities.category == function]
        fnode, fsnap = nearest_nodes(network, fac.x.to_numpy(), fac.y.to_numpy())
        d = csgraph.dijkstra(m, indices=fnode)  # facility x node
        expected = (d[:, cell_node] + fsnap[:, None]).min(axis=0) + cell_snap
        got = access.cells[f"dist_{function}"].to_numpy()
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-6)
        straight = np.min(np.hypot(cells.x.to_numpy()[:, None] - fac.x.to_numpy()[None, :],
                                   cells.y.to_numpy()[:, None] - fac.y.to_numpy()[None, :]),
                          axis=1)
        assert (got >= straight - 1e-6).all()
    within = access.cells.within_school.to_numpy()
    assert access.share_within["school"] == pytest.approx(pop[within].sum() / pop.sum())


def _edited(text: str, extra: str):
    from sim.scenario.schema import scenario_from_text

    return scenario_from_text(text.replace("[goals]", extra + "\n[goals]"), Path("x.toml"))


def test_remove_stop_merges_run_times(demo_region, demo_scenario_text) -> None:
    scenario = _edited(demo_scenario_text,
                       '[[transit.remove_stop]]\nstop = "Bakken stasjon"\nfrom_year = 2030\n')
    before = {ln.name: ln for ln in lines_for_year(demo_region, scenario, 2029)}["Linje R"]
    after = {ln.name: ln for ln in lines_for_year(demo_region, scenario, 2030)}["Linje R"]
    assert "Bakken stasjon" in before.stops and "Bakken stasjon" not in after.stops
    assert after.run_times_min[0] == before.run_times_min[0] + before.run_times_min[1]
    assert sum(after.run_times_min) == sum(before.run_times_min)


def test_remove_line_and_delay(demo_region, demo_scenario_text) -> None:
    scenario = _edited(demo_scenario_text,
                       '[[transit.remove_line]]\nline = "Buss 1"\nfrom_year = 2030\n'
                       '[[transit.change_opening]]\nline = "Linje M"\nopening_year = 2035\n')
    names = {y: {ln.name for ln in lines_for_year(demo_region, scenario, y)}
             for y in (2029, 2030, 2035)}
    assert "Buss 1" in names[2029] and "Buss 1" not in names[2030]
    assert "Linje M" not in names[2030] and "Linje M" in names[2035]


def test_street_link_added_and_closed(demo_region, demo_scenario_text) -> None:
    """A new footbridge shortens walking between its ends; a closure takes cars off a street."""
    from sim.graph import many_to_many
    from sim.scenario.edits import streets_for_year

    a, b = (503800.0, 6601250.0), (503800.0, 6602350.0)  # across the demo lake
    scenario = _edited(
        demo_scenario_text,
        f'[[streets.add_link]]\nname = "bru"\nstart = [{a[0]}, {a[1]}]\nend = [{b[0]}, {b[1]}]\n'
        'opening_year = 2030\n'
        f'[[streets.close_link]]\nat = [{a[0]}, {a[1] - 200}]\nmodes = ["car"]\n'
        'from_year = 2030\n')
    old = network_from_region(demo_region, scenario, 2029)
    new = network_from_region(demo_region, scenario, 2030)
    ends = nearest_nodes(old, np.array([a[0], b[0]]), np.array([a[1], b[1]]))[0]
    d_old = many_to_many(old.walk, ends[:1], ends[1:])[0, 0]
    d_new = many_to_many(new.walk, ends[:1], ends[1:])[0, 0]
    straight = np.hypot(old.node_x[ends[0]] - old.node_x[ends[1]],
                        old.node_y[ends[0]] - old.node_y[ends[1]])
    assert d_new == pytest.approx(straight)
    assert d_new < d_old
    s_old = streets_for_year(demo_region, scenario, 2029)
    s_new = streets_for_year(demo_region, scenario, 2030)
    assert s_new.n_edges == s_old.n_edges + 1
    assert s_new.car[: s_old.n_edges].sum() == s_old.car.sum() - 1
    assert not s_new.car[-1] and s_new.walk[-1]  # the bridge: walk and bike only
