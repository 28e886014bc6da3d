"""Public transport on the Bærum bundle: Fornebubanen, common lines, linked stops, the Oslo
end of the lines, waits by period, matrices."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures.baerum import DATA

from sim.errors import InputError
from sim.graph import many_to_many_sums
from sim.model.network import nearest_nodes, network_from_region
from sim.model.skims import skims_from_network, travel_times_from_network
from sim.model.transit import first_wait_min
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


def _run_time(line, a: str, b: str) -> float:
    i, j = sorted((line.stops.index(a), line.stops.index(b)))
    return sum(line.run_times_min[i:j])


@pytest.mark.parametrize("remove_regional", [False, True])
def test_rail_sandvika_lysaker_common_lines(baerum, remove_regional) -> None:
    """L1 and the regional trains both run Sandvika–Lysaker: riders take the first train
    (combined frequency, frequency-weighted ride); with L1 alone its own wait and ride."""
    region, plan = baerum
    scenario = plan
    if remove_regional:
        # the buses Sandvika–Lysaker go too: with the stations' official (SSR) coordinates
        # bus 130 and the trains share access nodes, and the test is about the trains
        text = (REPO / "scenarios" / "arealstrategi_2040.toml").read_text(encoding="utf-8")
        removed = "".join(f'[[transit.remove_line]]\nline = "{line}"\nfrom_year = 2024\n\n'
                          for line in ("Regional train", "Bus 130", "Bus 160"))
        scenario = scenario_from_text(text.replace("[goals]", f"{removed}[goals]"),
                                      Path("x.toml"))
    local, regional = _line(region, "L1"), _line(region, "Regional train")
    ride = _ride(network_from_region(region, scenario, 2030), "Sandvika", "Lysaker")
    assert ride["boardings"] == 1
    if remove_regional:
        assert ride["ivt"] == pytest.approx(_run_time(local, "Sandvika", "Lysaker"))
        assert ride["wait"] == pytest.approx(float(first_wait_min(15, plan.model)))
        return
    f_local, f_regional = 1 / local.headway_peak_min, 1 / regional.headway_peak_min
    share = np.array([f_local, f_regional]) / (f_local + f_regional)
    expected_ivt = share @ [_run_time(local, "Sandvika", "Lysaker"),
                            _run_time(regional, "Sandvika", "Lysaker")]
    assert ride["ivt"] == pytest.approx(expected_ivt)
    assert ride["wait"] == pytest.approx(1 / (f_local + f_regional) / 2)


def test_every_stop_of_every_line_is_linked(baerum) -> None:
    """Each stop reaches a street node or an external zone door; the Oslo ends of the
    lines reach Oslo's zones (real streets at Majorstuen and Oslo S, the lattice else)."""
    region, plan = baerum
    net = network_from_region(region, plan, 2030)
    stops = net.stops.set_index("name")
    walked = set(net.links.stop[net.links.kind == "walk"])
    unlinked = [s for s in stops.index if stops.loc[s].node < 0 and s not in walked]
    assert unlinked == []
    assert {line.name for line in net.lines} >= {"Metro 2", "Metro 3", "Fornebubanen"}
    oslo = net.links[net.links.zone.str.startswith("Oslo")]
    for stop in ("Majorstuen", "Skøyen", "Smestad", "Røa", "Vækerø", "Oslo S"):
        assert stop in set(oslo.stop), stop
    real = oslo[oslo.status == "real"]
    assert {"Majorstuen", "Oslo S"} <= set(real.stop)


def test_unlinkable_stop_is_an_input_error(baerum) -> None:
    region, _ = baerum
    text = (REPO / "scenarios" / "arealstrategi_2040.toml").read_text(encoding="utf-8")
    far = scenario_from_text(text.replace("[goals]", """[[transit.add_line]]
name = "Ferry"
mode = "bus"
stops = ["Snarøya", {name = "Middle of the fjord", x = 250000, y = 6630000}]
run_times_min = [20]
headway_peak_min = 60

[goals]"""), Path("far.toml"))
    with pytest.raises(InputError, match=r"Middle of the fjord.*Ferry.*cannot be linked"):
        network_from_region(region, far, 2030)


def test_kolsas_to_majorstuen_by_metro_under_40_minutes(baerum) -> None:
    """Door to door (walk, wait, ride) from the home nearest Kolsås station to the door of
    the Oslo zone around Majorstuen: line 3, one boarding, under 40 minutes."""
    region, plan = baerum
    zones = zones_from_cells(region, 250.0)
    params = plan.model.model_copy(update={"zone_size_m": 250.0})
    kolsas = region.stops["Kolsås"]
    i = int(np.argmin(np.hypot(zones.x - kolsas.x, zones.y - kolsas.y)))
    net = network_from_region(region, plan, 2023)
    skims = skims_from_network(net, zones.x[i:i + 1], zones.y[i:i + 1], zones.kind[i:i + 1],
                               params)
    j = 1 + net.external.name.tolist().index("Oslo: Majorstuen")
    for period in ("peak", "offpeak"):
        t = skims.period(period)
        door_to_door = t.pt_walk_min[0, j] + t.pt_wait_min[0, j] + t.pt_ivt_min[0, j]
        assert door_to_door < 40, (period, door_to_door)
        assert t.pt_boardings[0, j] == 1
        assert t.pt_ivt_min[0, j] == pytest.approx(
            _run_time(_line(region, "Metro 3"), "Kolsås", "Majorstuen"))


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


OFFPEAK = """
[scenario]
name = "{name}"
region = "baerum"
base_year = 2023
target_years = [2030]
{edit}
[goals]
nullvekst_reference_year = 2023
"""
BETTER_OFFPEAK = """
[[transit.change_headway]]
line = "Bus Bærums Verk"
headway_peak_min = 15
headway_offpeak_min = 15
from_year = 2024
"""


@pytest.mark.slow
def test_offpeak_headway_change_moves_offpeak_waits_and_demand(baerum) -> None:
    """Bærums Verk bus every 15 instead of 30 minutes off-peak (peak unchanged): off-peak
    waits from Bærums Verk fall, peak waits do not, and more trips from there go by PT."""
    from sim.model.simulation import simulate, skim_source

    region, plan = baerum
    source = skim_source(region, zones_from_cells(region, plan.model.zone_size_m), plan.model)
    runs = {}
    for name, edit in (("today", ""), ("better", BETTER_OFFPEAK)):
        scenario = scenario_from_text(OFFPEAK.format(name=name, edit=edit), Path(f"{name}.toml"))
        runs[name] = simulate(region, scenario, source)  # the base year's skims are shared
    today, better = runs["today"].final, runs["better"].final
    zones = runs["today"].zones
    verk = region.area("Bærums Verk")
    i = int(np.argmin(np.hypot(zones.x - verk.x, zones.y - verk.y)))
    sandvika = int(np.argmin(np.hypot(zones.x - region.stops["Sandvika"].x,
                                      zones.y - region.stops["Sandvika"].y)))
    wait = {(k, p): s.skims.period(p).pt_wait_min[i, sandvika]
            for k, s in (("today", today), ("better", better)) for p in ("peak", "offpeak")}
    assert wait[("better", "offpeak")] < wait[("today", "offpeak")]
    assert wait[("better", "peak")] == pytest.approx(wait[("today", "peak")])
    assert wait[("today", "offpeak")] - wait[("better", "offpeak")] == pytest.approx(
        float(first_wait_min(30, today.params) - first_wait_min(15, today.params)))
    pt_from = {k: float(s.demand.pt_od[i].sum()) for k, s in (("today", today),
                                                                ("better", better))}
    assert pt_from["better"] > pt_from["today"]
    assert better.demand.trips["pt"] > today.demand.trips["pt"]
