"""Pipeline benchmarks on the real Bærum bundle (run with ``--benchmark-enable``).

Not ratios against an anchor library (no other tool runs these models), so these
record times only; the issues' budgets are checked by reading the medians:

* all everyday functions for all ~1,080 populated cells after the bundle is loaded
  (budget 2 s);
* public transport matrices between all populated cells, ~1,080 × ~1,080 (budget 60 s);
* a full Bærum run with four stages to 2040 after the bundle exists (budget 30 s on 2
  cores): calibration to every survey target, peak and off-peak skims of two network
  states, five years of access and demand, the elasticity checks and the line loads.

Skipped when the shared data directory is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sim.settings import shared_data_dir

REPO = Path(__file__).resolve().parents[1]
SHORT = os.environ.get("BENCH_SHORT", "") not in ("", "0")
DATA = shared_data_dir()
pytestmark = pytest.mark.skipif(DATA is None, reason="shared data directory absent")


@pytest.fixture(scope="module")
def baerum():
    from sim.region.load import load_region
    from sim.scenario.schema import scenario_from_file

    os.environ.setdefault("BAERUM_SIM_DATA", str(DATA))
    region = load_region("baerum")  # builds the bundle once if needed
    plan = scenario_from_file(REPO / "scenarios" / "arealstrategi_2040.toml")
    return region, plan


def test_access_all_functions_baerum(benchmark, baerum) -> None:
    from sim.model.access import CapacityFacts, access_from_network, facilities_for_year
    from sim.model.network import network_from_region

    region, plan = baerum
    network = network_from_region(region, plan, 2030)
    facilities = facilities_for_year(region, plan, network, 2030)
    pop = region.cells.population.to_numpy(float)
    thresholds = plan.goals.thresholds(region.walk_thresholds_m)
    benchmark.group = "pipeline: Bærum"
    result = benchmark.pedantic(
        access_from_network,
        args=(network, region.cells, pop, np.zeros_like(pop), facilities, thresholds, 2030,
              plan.model, CapacityFacts.from_region(region)),
        rounds=3 if SHORT else 7, warmup_rounds=1)
    assert len(result.cells) == len(region.cells)


def test_pt_matrices_all_cells_baerum(benchmark, baerum) -> None:
    from sim.model.network import network_from_region
    from sim.model.skims import travel_times_from_network
    from sim.model.zones import zones_from_cells

    region, plan = baerum
    params = plan.model.model_copy(update={"zone_size_m": 250.0})
    zones = zones_from_cells(region, 250.0)
    network = network_from_region(region, plan, 2030)
    benchmark.group = "pipeline: Bærum"
    tt = benchmark.pedantic(travel_times_from_network,
                            args=(network, zones.x, zones.y, zones.kind, params),
                            rounds=1 if SHORT else 3, warmup_rounds=0 if SHORT else 1)
    assert tt.pt_gen_min.shape[0] == zones.n


def test_full_run_four_stages_baerum(benchmark, baerum) -> None:
    from sim.model.simulation import simulate

    region, plan = baerum
    assert len(plan.scenario.target_years) == 3  # + base year + reference year
    benchmark.group = "pipeline: Bærum"
    benchmark.extra_info["budget_s"] = 30.0
    sim = benchmark.pedantic(simulate, args=(region, plan), rounds=1, warmup_rounds=0)
    assert sim.goals.placement.passed
    assert sim.calibration["converged"]
