"""Regional scale: the synthetic test region, travel-time matrices in origin blocks, and
the kernel warm-up command."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from sim.cli import main
from sim.graph import Graph, component_labels
from sim.region.load import load_region
from sim.region.synthetic import region_name, synthetic_region


@pytest.fixture(scope="module")
def small():
    return synthetic_region(400)


def test_synthetic_region_has_the_asked_size_and_is_labelled(small) -> None:
    assert len(small.cells) == 400 and small.cells.cell_id.is_unique
    assert small.cells.population.min() >= 1
    assert small.cells.population.sum() == pytest.approx(70 * 400, rel=0.01)
    assert small.fully_synthetic and small.data_status == "synthetic"
    assert all("not data about any real place" in layer.note for layer in small.layers.values())
    assert {line.mode for line in small.lines} == {"rail", "metro", "tram", "bus"}
    assert all(stop.status == "synthetic" for stop in small.stops.values())
    assert all(s in small.stops for line in small.lines for s in line.stops)
    kinds = {a.kind for a in small.areas}
    assert kinds == {"growth_area", "station", "other"}
    assert set(small.facilities.category) == {"grocery", "school", "kindergarten", "recreation"}
    # deterministic, and loadable by name
    assert load_region(region_name(400)) is small
    again = synthetic_region.__wrapped__(400)
    np.testing.assert_array_equal(again.streets.node_x, small.streets.node_x)


def test_synthetic_streets_form_one_network(small) -> None:
    s = small.streets
    walk = Graph.from_edges(s.u[s.walk], s.v[s.walk], s.length_m[s.walk], s.n_nodes)
    labels = component_labels(walk)
    assert np.unique(labels).size == 1
    assert (s.length_m > 0).all() and s.synthetic.all()
    # ~20 street nodes per populated cell plus rural arterials
    assert 18 * len(small.cells) < s.n_nodes < 40 * len(small.cells)
    # every cell centre is within 300 m of a street node
    from sim.graph import nearest_points

    _, dist = nearest_points(s.node_x, s.node_y, small.cells.x.to_numpy(),
                             small.cells.y.to_numpy())
    assert dist.max() < 300


def test_full_size_counts() -> None:
    """The default size: Oslo + Akershus scale (checked on the cells and nodes only)."""
    region = synthetic_region()
    assert len(region.cells) == 20_000
    assert 350_000 < region.streets.n_nodes < 500_000
    assert 200 < len(region.stops) < 1000


def test_bad_size() -> None:
    with pytest.raises(ValueError, match="at least 50"):
        synthetic_region(10)


def test_matrices_in_origin_blocks_match_one_block(monkeypatch, demo_region) -> None:
    """Blocks of 7 origins give exactly the matrices of one block of all origins."""
    import sim.model.skims as skims
    from sim.model.network import network_from_region
    from sim.model.zones import zones_from_cells
    from sim.scenario.entries import ScenarioInfo
    from sim.scenario.schema import Scenario

    scenario = Scenario(scenario=ScenarioInfo(name="b", region="demo", base_year=2023,
                                              target_years=[2023]))
    zones = zones_from_cells(demo_region, 1000.0)
    network = network_from_region(demo_region, scenario, 2023)
    args = (network, zones.x, zones.y, zones.kind, scenario.model)
    monkeypatch.setattr(skims, "ORIGIN_BLOCK", 10**6)
    whole = skims.travel_times_from_network(*args)
    monkeypatch.setattr(skims, "ORIGIN_BLOCK", 7)
    blocked = skims.travel_times_from_network(*args)
    assert zones.n > 7 * 3
    for f in fields(whole):
        np.testing.assert_array_equal(getattr(blocked, f.name), getattr(whole, f.name))


@pytest.mark.slow
def test_synthetic_region_runs(tmp_path) -> None:
    """A full run on a small synthetic region through the CLI, labelled synthetic."""
    import json

    region = synthetic_region(400)
    prio = [a.name for a in region.areas if a.priority][:3]
    growth = "".join(f'[[growth]]\narea = "{n}"\ndwellings = 300\njobs = 100\nfrom_year = 2024\n'
                     f"to_year = 2035\n\n" for n in prio)
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'[scenario]\nname = "syn"\nregion = "{region_name(400)}"\n'
                        f"base_year = 2023\ntarget_years = [2035]\n\n{growth}", encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["goals"]["placement"]["pass"] is True
    text = json.dumps(summary)
    assert "synthetic" in text


def test_warmup_command(capsys) -> None:
    assert main(["warmup"]) == 0
    out = capsys.readouterr().out
    assert "one_to_all (PHAST, origin blocks)" in out and "kernels ready" in out
