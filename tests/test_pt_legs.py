"""Public transport in three legs (sim.model.pt_legs) against the search over the whole
graph: the same generalised times, the same parts, the same line loads; and the
min-plus join against a brute-force minimum."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.baerum import DATA

from sim.graph import many_to_many_sums, min_plus_via
from sim.model.assignment import _arc_values, _hubs, line_loads
from sim.model.network import PT_PARTS, arcs_of, nearest_nodes, network_from_region
from sim.model.skims import _pt_matrices
from sim.model.transit import pt_destination
from sim.model.zones import zones_from_cells
from sim.region.synthetic import synthetic_region
from sim.scenario.schema import scenario_from_file, scenario_from_text

REPO = Path(__file__).resolve().parents[1]


def _whole_graph(network, zones, period):
    """Generalised seconds and parts from each zone's node over the whole period graph."""
    node, _ = nearest_nodes(network, zones.x, zones.y, "walk")
    dest = pt_destination(np.r_[node, network.external.node.to_numpy()], network.n_nodes)
    graph = network.pt_by_period[period]
    return many_to_many_sums(graph, node, dest, arcs_of(graph)[list(PT_PARTS)])


def _legs_agree(network, zones, params) -> None:
    for period in ("peak", "offpeak"):
        legs = _pt_matrices(network, zones.x, zones.y, params, period)
        gen, parts = _whole_graph(network, zones, period)
        _, snap = nearest_nodes(network, zones.x, zones.y, "walk")
        served = np.isfinite(legs["gen_s"])
        off = ~np.eye(*gen.shape, dtype=bool)
        assert (served == (np.isfinite(gen) & off)).all()
        assert served.sum() > 0.9 * off.sum()
        snap_s = (snap[:, None] + np.r_[snap, np.zeros(len(network.external))]) \
            / params.walk_speed_mps
        np.testing.assert_allclose(legs["gen_s"][served],
                                   (gen + snap_s * params.walk_weight)[served], rtol=1e-12)
        for name in PT_PARTS:
            want = parts[name] + (snap_s if name == "walk_s" else 0)
            np.testing.assert_allclose(legs[name][served], want[served], rtol=1e-9, atol=1e-9)


def test_demo_legs_equal_the_whole_graph(demo_region) -> None:
    plan = scenario_from_file(REPO / "scenarios" / "demo.toml")
    network = network_from_region(demo_region, plan, plan.scenario.target_years[-1])
    _legs_agree(network, zones_from_cells(demo_region, 1000.0), plan.model)


def test_synthetic_legs_equal_the_whole_graph() -> None:
    region = synthetic_region(600)
    plan = scenario_from_text(f'[scenario]\nname = "s"\nregion = "{region.name}"\n'
                              "base_year = 2023\ntarget_years = [2030]\n", Path("s.toml"))
    network = network_from_region(region, plan, 2030)
    _legs_agree(network, zones_from_cells(region, 1000.0), plan.model)


@pytest.mark.skipif(DATA is None, reason="shared real data directory absent")
def test_baerum_legs_and_loads_equal_the_whole_graph(baerum_region) -> None:
    plan = scenario_from_file(REPO / "scenarios" / "arealstrategi_2040.toml")
    network = network_from_region(baerum_region, plan, 2040)
    zones = zones_from_cells(baerum_region, plan.model.zone_size_m)
    _legs_agree(network, zones, plan.model)
    # line loads: all-or-nothing over the whole graph, as the assignment did before
    trips = np.random.default_rng(3).random((zones.n, zones.n + len(network.external)))
    loads, transfers = line_loads(network, zones, trips, 0.3)
    node, _ = nearest_nodes(network, zones.x, zones.y, "walk")
    dest = pt_destination(np.r_[node, network.external.node.to_numpy()], network.n_nodes)
    want = np.zeros(len(network.lines))
    for period, share in (("peak", 0.3), ("offpeak", 0.7)):
        values = _arc_values(network, period, _hubs(network))
        _, sums = many_to_many_sums(network.pt_by_period[period], node, dest, values)
        want += np.einsum("od,odk->k", share * trips, np.nan_to_num(sums))[:len(want)]
    got = np.array([loads[line.name]["boardings"] for line in network.lines])
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert got.sum() > 0 and sum(transfers.values()) > 0


def test_min_plus_via_equals_brute_force() -> None:
    rng = np.random.default_rng(5)
    a, c, e = rng.random((7, 5)), rng.random((5, 6)), rng.random((6, 9))
    a[a < 0.2] = np.inf
    c[c < 0.3] = np.inf
    total = a[:, :, None, None] + c[None, :, :, None] + e[None, None, :, :]
    dist, i, j = min_plus_via(a, c, e)
    np.testing.assert_allclose(dist, total.min(axis=(1, 2)))
    rows, cols = np.indices(dist.shape)
    np.testing.assert_allclose(total[rows, i, j, cols], dist)


def test_min_plus_via_without_path_and_bad_input() -> None:
    dist, i, j = min_plus_via(np.full((2, 2), np.inf), np.ones((2, 3)), np.ones((3, 1)))
    assert np.isinf(dist).all() and (i == -1).all() and (j == -1).all()
    with pytest.raises(ValueError, match="chain"):
        min_plus_via(np.ones((2, 2)), np.ones((3, 3)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="non-negative"):
        min_plus_via(-np.ones((2, 2)), np.ones((2, 3)), np.ones((3, 1)))
