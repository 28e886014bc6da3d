"""End to end: demo scenarios through the CLI, results, determinism, comparison."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest

from sim.cli import main
from sim.output.summary import VOLATILE_KEYS
from sim.scenario.schema import scenario_from_file

#: End-to-end: whole scenario runs through the CLI (still run by plain `pytest`).
pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]


def _summary(path: Path) -> dict:
    return json.loads((path / "summary.json").read_text(encoding="utf-8"))


def test_summary_has_required_keys(demo_results) -> None:
    s = _summary(demo_results["demo"])
    assert s["scenario"]["name"] == "demo"
    for goal in ("placement", "nullvekst", "kortreist"):
        assert {"value", "target", "pass"} <= set(s["goals"][goal])
    assert set(s["mode_shares"]) == {"walk", "bike", "pt", "car"}
    assert sum(s["mode_shares"].values()) == pytest.approx(1.0, abs=1e-9)
    for function in ("grocery", "school", "kindergarten", "recreation", "transit_stop"):
        assert 0 <= s["access"][function]["share_within"] <= 1
    manifest = s["manifest"]
    assert manifest["version"]
    assert manifest["scenario_text"].startswith("# Demo")
    assert all(len(h) == 64 for h in manifest["inputs"].values())
    assert manifest["seed"]["region"] is not None
    # the demo is synthetic and every output says so
    assert s["synthetic"] is True
    assert "SYNTHETIC" in s["data_note"]
    assert "streets" in manifest["data"]["synthetic_layers"]
    assert all(a["data_status"] == "synthetic" for a in s["access"].values())


def test_result_files(demo_results) -> None:
    out = demo_results["demo"]
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert len(pngs) >= 3
    assert {"goals.png", "mode_shares.png", "access_grocery.png"} <= set(pngs)
    cells = gpd.read_file(out / "cells.gpkg", layer="cells")
    assert cells.crs.to_epsg() == 25833
    assert (cells.data_status == "synthetic").all()
    s = _summary(out)
    final = s["years"][str(s["scenario"]["final_year"])]
    assert cells.residents.sum() == pytest.approx(final["residents"])
    assert not list(out.parent.glob(".*tmp"))  # no temporary directory left over


def test_concentrated_beats_dispersed(demo_results) -> None:
    """Same totals; concentrated growth has the higher placement share and less car growth."""
    conc = _summary(demo_results["demo"])
    disp = _summary(demo_results["demo_spredt"])
    pc, pd_ = conc["goals"]["placement"], disp["goals"]["placement"]
    assert pc["new_dwellings"] == pd_["new_dwellings"] and pc["new_jobs"] == pd_["new_jobs"]
    assert conc["goals"]["placement"]["value"] > 0.9 > disp["goals"]["placement"]["value"]
    assert conc["goals"]["placement"]["pass"] and not disp["goals"]["placement"]["pass"]
    assert conc["goals"]["nullvekst"]["value"] < disp["goals"]["nullvekst"]["value"]
    assert conc["mode_shares"]["car"] < disp["mode_shares"]["car"]
    assert conc["basket_share"] > disp["basket_share"]


def test_placement_share_by_hand(demo_results) -> None:
    """Demo areas do not overlap: by location equals by label; `each` takes the smaller."""
    scenario = scenario_from_file(REPO / "scenarios" / "demo.toml")
    priority = {"Sentrum", "Østby", "Bakken stasjon", "Nordås T"}

    def share(key: str) -> float:
        amounts = [(g.area, getattr(g, key)) for g in scenario.growth]
        return sum(a for n, a in amounts if n in priority) / sum(a for _, a in amounts)

    goal = _summary(demo_results["demo"])["goals"]["placement"]
    assert goal["rule"] == "each"
    assert goal["dwellings_share"] == pytest.approx(share("dwellings"))
    assert goal["jobs_share"] == pytest.approx(share("jobs"))
    assert goal["value"] == pytest.approx(min(share("dwellings"), share("jobs")))
    total = [(g.area, g.dwellings + g.jobs) for g in scenario.growth]
    assert goal["combined_share"] == pytest.approx(
        sum(a for n, a in total if n in priority) / sum(a for _, a in total))


def test_kortreist_dispersed_fails_concentrated_passes(demo_results) -> None:
    """New residents' basket against the existing residents' base-year share (demo)."""
    conc = _summary(demo_results["demo"])["goals"]["kortreist"]
    disp = _summary(demo_results["demo_spredt"])["goals"]["kortreist"]
    assert conc["target"] == disp["target"] == conc["base_year_value"] > 0
    assert conc["pass"] and conc["value"] > conc["target"]
    assert not disp["pass"] and disp["value"] < disp["target"]
    for goal in (conc, disp):  # where growth goes, new residents differ from existing ones
        for function in ("grocery", "transit_hf", "school"):
            f = goal["functions"][function]
            assert f["new"] != pytest.approx(f["existing"], abs=0.01), function
    assert conc["functions"]["transit_hf"]["new"] > disp["functions"]["transit_hf"]["new"]
    assert "transit_stop" in conc["functions"]  # any stop, beside kollektiv


def test_green_share_and_co2_reported(demo_results) -> None:
    for name in ("demo", "demo_spredt"):
        s = _summary(demo_results[name])
        green, co2 = s["goals"]["green_share"], s["goals"]["co2"]
        shares = s["mode_shares"]
        assert green["value"] == pytest.approx(shares["walk"] + shares["bike"] + shares["pt"])
        assert green["target"] == 0.6 and green["bike_target"] == 0.07
        assert [st["year"] for st in green["stages"]] == [2030, 2040]
        assert co2["co2_t_per_year"] > 0 and co2["stages"][-1]["year"] == 2040
        for key in ("placement", "nullvekst", "kortreist", "green_share"):
            assert s["goals"][key]["data_basis"]["synthetic_share"] == 1.0  # the demo
    conc, disp = (_summary(demo_results[n])["goals"] for n in ("demo", "demo_spredt"))
    assert conc["green_share"]["value"] > disp["green_share"]["value"]
    assert conc["co2"]["co2_t_per_year"] < disp["co2"]["co2_t_per_year"]


def test_nullvekst_is_car_vkm_change(demo_results) -> None:
    s = _summary(demo_results["demo"])
    goal = s["goals"]["nullvekst"]
    assert goal["year"] == 2040 and goal["reference_year"] == 2023
    vkm = {int(y): v["car_vkm"] for y, v in s["years"].items()}
    assert goal["value"] == pytest.approx(vkm[2040] / vkm[2023] - 1)
    assert goal["pass"] == (goal["value"] <= 0)


def test_same_scenario_twice_is_identical(demo_results, tmp_path) -> None:
    again = tmp_path / "again"
    assert main(["run", str(REPO / "scenarios" / "demo.toml"), "--out", str(again),
                 "--quiet"]) == 0
    a, b = _summary(demo_results["demo"]), _summary(again)
    for key in VOLATILE_KEYS:
        a.pop(key), b.pop(key)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    lines_a = (demo_results["demo"] / "summary.json").read_text().splitlines()
    lines_b = (again / "summary.json").read_text().splitlines()
    differ = [x for x, y in zip(lines_a, lines_b, strict=True) if x != y]
    assert all('"created"' in x for x in differ)


def test_run_replaces_an_earlier_result_only(demo_results, tmp_path, capsys) -> None:
    """A directory of someone's files is kept unless --force; an earlier result is replaced."""
    out = tmp_path / "r"
    out.mkdir()
    (out / "stale.txt").write_text("someone's file")
    run = ["run", str(REPO / "scenarios" / "demo.toml"), "--out", str(out), "--quiet"]
    assert main(run) == 2
    err = capsys.readouterr().err
    assert "not made by baerum-sim" in err and "--force" in err and err.count("\n") == 1
    assert (out / "stale.txt").read_text() == "someone's file"
    assert main([*run, "--force"]) == 0
    assert not (out / "stale.txt").exists() and (out / "summary.json").exists()
    (out / "extra.txt").write_text("added to a result")
    assert main(run) == 0  # an earlier result (with its marker) is replaced without --force
    assert not (out / "extra.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["r"]


def test_compare_writes_plots(demo_results, tmp_path, capsys) -> None:
    out = tmp_path / "cmp"
    code = main(["compare", str(demo_results["demo"]), str(demo_results["demo_spredt"]),
                 "--out", str(out)])
    assert code == 0
    assert {"goals_compare.png", "mode_shares_compare.png", "compare.json"} <= {
        p.name for p in out.iterdir()}
    rows = json.loads((out / "compare.json").read_text())
    assert [r["scenario"] for r in rows] == ["demo", "demo_spredt"]


def test_compare_needs_results(tmp_path, capsys) -> None:
    assert main(["compare", str(tmp_path), str(tmp_path)]) == 2
    assert "no summary.json" in capsys.readouterr().err


def test_population_totals(demo_results, demo_region) -> None:
    s = _summary(demo_results["demo"])
    base = float(demo_region.cells.population.sum())
    assert s["years"]["2023"]["residents"] == pytest.approx(base)
    scenario = scenario_from_file(REPO / "scenarios" / "demo.toml")
    added = sum(g.dwellings for g in scenario.growth) * scenario.model.persons_per_dwelling
    assert s["years"]["2040"]["residents"] == pytest.approx(base + added)
    dwellings = sum(g.dwellings for g in scenario.growth)
    assert np.isclose(s["years"]["2040"]["new_dwellings"], dwellings)


def test_matrix_cache_cold_and_warm_identical(tmp_path, monkeypatch, demo_region) -> None:
    """Travel times from the disk cache equal freshly computed ones, array for array."""
    from dataclasses import fields

    from sim.model.network import network_from_region
    from sim.model.skim_cache import matrix_cache_key, skims_cached
    from sim.model.skims import TravelTimes
    from sim.model.zones import zones_from_cells
    from sim.scenario.edits import network_state

    scenario = scenario_from_file(REPO / "scenarios" / "demo.toml")
    zones = zones_from_cells(demo_region, scenario.model.zone_size_m)
    net = network_from_region(demo_region, scenario, 2030)
    state = network_state(demo_region, scenario, 2030)
    key = matrix_cache_key(demo_region, state, zones, scenario.model)
    cold = skims_cached(net, zones, scenario.model, key, tmp_path)
    assert (tmp_path / "matrices" / f"{key}.npz").is_file()
    warm = skims_cached(net, zones, scenario.model, key, tmp_path)
    for period in ("peak", "offpeak"):
        for f in fields(TravelTimes):
            np.testing.assert_array_equal(getattr(cold.period(period), f.name),
                                          getattr(warm.period(period), f.name))
    # another network state has another key
    other = network_state(demo_region, scenario, 2024)
    assert matrix_cache_key(demo_region, other, zones, scenario.model) != key
