"""Public transport on the Bærum bundle: Fornebubanen, rail run times, waits, matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.baerum import DATA

from sim.graph import many_to_many_sums
from sim.model.network import nearest_nodes, network_from_region
from sim.model.skims import travel_times_from_network
from sim.model.zones import zones_from_cells
from sim.scenario.schema import scenario_from_file, scenario_from_text

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    DATA is None, reason="shared real data directory (../shared/data, $BAERUM_SIM_DATA) absent"
)


@pytest.fixture(scope="module")
def baerum(baerum_region):
    plan = scenario_from_file(REPO / "scenarios" / "arealstrategi_2040.toml")
    return baerum_region, plan


def _line(region, name):
    return next(line for line in region.lines if line.name == name)


def _ride(network, a: str, b: str) -> dict[str, float]:
    """Generalised time and parts of the best PT path from stop a to stop b (minutes)."""
    stops = network.stops.set_index("name")
    n = network.n_nodes
    dist, parts = many_to_many_sums(network.pt, [int(stops.loc[a].node)],
                                    [int(stops.loc[b].node) + n],
                                    network.pt.arcs[["walk_s", "wait_s", "ivt_s", "boardings"]])
    p = parts[0, 0]
    return {"gen": dist[0, 0] / 60, "walk": p["walk_s"] / 60, "wait": p["wait_s"] / 60,
            "ivt": p["ivt_s"] / 60, "boardings": p["boardings"]}


def test_fornebubanen_run_time(baerum) -> None:
    region, plan = baerum
    line = _line(region, "Fornebubanen")
    assert line.stops[0] == "Fornebu senter" and line.stops[-1] == "Majorstuen"
    assert sum(line.run_times_min) == pytest.approx(12, abs=1)
    assert line.opening_year == 2029
    ride = _ride(network_from_region(region, plan, 2029), "Fornebu senter", "Lysaker")
    assert ride["ivt"] == pytest.approx(2 + 1 + 2)  # legs to Lysaker, ruter.no
    assert ride["boardings"] == 1
    assert ride["wait"] == pytest.approx(7.5 / 2)  # half the 7.5-minute headway


def test_fornebubanen_shortens_fornebu_to_lysaker(baerum) -> None:
    """From the cell of Fornebuporten station: the cell next to Fornebu S (the area's
    centre) is served as well by the high-frequency bus 31 to Lysaker, which shares
    Lysaker's access node since Lysaker has its official (SSR) coordinates."""
    region, plan = baerum
    zones = zones_from_cells(region, 250.0)
    params = plan.model.model_copy(update={"zone_size_m": 250.0})
    station = region.stops["Fornebuporten"]
    cell = int(np.argmin(np.hypot(zones.x - station.x, zones.y - station.y)))
    lysaker = region.stops["Lysaker"]

    def pt_minutes(year: int, scenario) -> float:
        net = network_from_region(region, scenario, year)
        tt = travel_times_from_network(net, np.r_[zones.x[cell], lysaker.x],
                                       np.r_[zones.y[cell], lysaker.y],
                                       np.array([zones.kind[cell], "growth_area"]), params)
        return float(tt.pt_gen_min[0, 1])

    before, after = pt_minutes(2028, plan), pt_minutes(2029, plan)
    assert after < before
    # before 2029 the line has no effect: same as a scenario without it at all
    text = (REPO / "scenarios" / "arealstrategi_2040.toml").read_text(encoding="utf-8")
    without = scenario_from_text(
        text.replace("[goals]", '[[transit.remove_line]]\nline = "Fornebubanen"\n'
                     "from_year = 2024\n\n[goals]"), Path("without.toml"))
    assert pt_minutes(2028, without) == before
    assert pt_minutes(2035, without) == before


@pytest.mark.parametrize("remove_regional", [False, True])
def test_rail_sandvika_lysaker(baerum, remove_regional) -> None:
    region, plan = baerum
    scenario = plan
    name = "Regional train"
    if remove_regional:
        # the buses Sandvika–Lysaker go too: with the stations' official (SSR) coordinates
        # bus 130 and the trains share access nodes, and the test is about the trains
        text = (REPO / "scenarios" / "arealstrategi_2040.toml").read_text(encoding="utf-8")
        removed = "".join(f'[[transit.remove_line]]\nline = "{line}"\nfrom_year = 2024\n\n'
                          for line in (name, "Bus 130", "Bus 160"))
        scenario = scenario_from_text(text.replace("[goals]", f"{removed}[goals]"),
                                      Path("x.toml"))
        name = "L1"
    line = _line(region, name)
    i, j = line.stops.index("Lysaker"), line.stops.index("Sandvika")
    run_time = sum(line.run_times_min[i:j])
    ride = _ride(network_from_region(region, scenario, 2030), "Sandvika", "Lysaker")
    assert ride["ivt"] == pytest.approx(run_time)
    assert ride["wait"] == pytest.approx(line.headway_peak_min / 2)
    assert ride["boardings"] == 1


def test_cell_matrices_cover_baerum(baerum) -> None:
    """PT matrices between all populated cells; components add up to the generalised time."""
    region, plan = baerum
    params = plan.model.model_copy(update={"zone_size_m": 250.0})
    zones = zones_from_cells(region, 250.0)
    assert zones.n == 1080
    net = network_from_region(region, plan, 2030)
    tt = travel_times_from_network(net, zones.x, zones.y, zones.kind, params)
    ok = np.isfinite(tt.pt_gen_min)
    assert ok[:, : zones.n].mean() > 0.99
    p = params
    rebuilt = (tt.pt_walk_min * p.walk_weight + tt.pt_wait_min * p.wait_weight
               + tt.pt_boardings * p.boarding_penalty_min + tt.pt_ivt_min)
    np.testing.assert_allclose(rebuilt[ok], tt.pt_gen_min[ok], rtol=1e-9)
    assert (tt.pt_boardings[ok] >= 1).all()
    node, _ = nearest_nodes(net, zones.x, zones.y)
    assert node.size == zones.n
