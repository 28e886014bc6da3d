"""The Bærum scenario pack on the offline bundle: goals, calibration, capacity, Fornebubanen.

Runs every shipped Bærum scenario once (module fixture, about two minutes) on the
bundle built from ../shared/data; skips only when that data is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from chromium_check import check_report_in_chromium
from fixtures.baerum import DATA

from sim.cli import main

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = ("baseline_2023", "arealstrategi_2040", "spredt_2040", "fornebubanen_forsinket",
             "hoyfrekvent_buss", "fossum_tidlig", "arealstrategi_2040_tiltak")

#: End-to-end runs of the six Bærum scenarios (still run by plain `pytest`).
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    DATA is None, reason="shared real data directory (../shared/data, $BAERUM_SIM_DATA) absent"
)]


@pytest.fixture(scope="module")
def env(baerum_module_env):
    return baerum_module_env


@pytest.fixture(scope="module")
def runs(env, tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("baerum_results")
    summaries = {}
    for name in SCENARIOS:
        target = out / name
        assert main(["run", str(REPO / "scenarios" / f"{name}.toml"), "--out", str(target),
                     "--quiet"]) == 0
        summaries[name] = json.loads((target / "summary.json").read_text())
        summaries[name]["_dir"] = str(target)
    return summaries


def test_every_scenario_labels_its_data(runs) -> None:
    for s in runs.values():
        assert s["scenario"]["region"] == "baerum"
        layers = s["manifest"]["data"]["layers"]
        assert layers["population"]["status"] == "real"
        assert layers["streets.lattice"]["status"] == "synthetic"
        assert "lattice" in s["data_note"]
        assert s["access"]["grocery"]["data_status"] == "proxy"
        assert s["access"]["school"]["data_status"] == "real"
        assert layers["external_zones"]["status"] == "derived"
        assert "on real streets" in layers["external_links"]["note"]
        assert s["access"]["kindergarten"]["data_status"] == "real"  # Udir's register
        assert s["access"]["kindergarten"]["capacity"]["places"] == 6924
        assert s["access"]["kindergarten"]["capacity"]["capacity_source"] == "given"
        for key in ("placement", "nullvekst", "kortreist", "green_share", "co2"):
            basis = s["goals"][key]["data_basis"]
            assert basis["note"] and 0 <= basis["synthetic_share"] <= 1, key
        assert s["goals"]["nullvekst"]["data_basis"]["synthetic_share"] > 0.5  # lattice
        assert s["goals"]["nullvekst"]["data_basis"]["proxy_share"] > 0.5      # jobs proxy


def test_plan_rules(runs) -> None:
    plan = runs["arealstrategi_2040"]["goals"]["placement"]
    assert plan["pass"] and plan["rule"] == "each" and plan["rule_breaks"] == []
    # both shares reported; by where the growth lands (Rykkinn and Bærums Verk growth
    # partly lies in Vøyenenga's station area), so above the 0.937 / 0.900 by label
    assert 0.937 <= plan["dwellings_share"] < 1 and 0.9 <= plan["jobs_share"] < 1
    assert plan["value"] == min(plan["dwellings_share"], plan["jobs_share"])
    spredt = runs["spredt_2040"]["goals"]["placement"]
    assert not spredt["pass"] and spredt["value"] < 0.9
    assert spredt["dwellings_share"] < spredt["combined_share"] < spredt["jobs_share"] < 0.9
    fossum = runs["fossum_tidlig"]["goals"]["placement"]
    assert not fossum["pass"]
    assert fossum["rule_breaks"] == ["growth[13] Fossum: 500 dwellings, 200 jobs in Fossum "
                                     "from 2026, not allowed before 2032"]
    [brk] = fossum["rule_break_details"]
    assert (brk["rule"], brk["place"], brk["year"], brk["limit"]) == (
        "not_before", "Fossum", 2026, 2032)


def test_kortreist_tells_plan_from_dispersed(runs) -> None:
    """New residents' basket share: the plan's margin is at least 2 points above the
    dispersed scenario's (same target: existing residents in the base year)."""
    plan, spredt = (runs[n]["goals"]["kortreist"] for n in ("arealstrategi_2040",
                                                            "spredt_2040"))
    assert plan["target"] == spredt["target"] == plan["base_year_value"]
    assert plan["pass"] != spredt["pass"] or plan["margin"] - spredt["margin"] >= 0.02
    kollektiv = {n: runs[n]["goals"]["kortreist"]["functions"]["transit_hf"]
                 for n in ("arealstrategi_2040", "spredt_2040")}
    assert kollektiv["arealstrategi_2040"]["new"] > kollektiv["arealstrategi_2040"]["existing"]
    assert kollektiv["spredt_2040"]["new"] < kollektiv["spredt_2040"]["existing"]
    assert runs["baseline_2023"]["goals"]["kortreist"]["value"] is None  # no new residents


def test_green_share_and_co2_in_every_result(runs) -> None:
    for name, s in runs.items():
        green, co2 = s["goals"]["green_share"], s["goals"]["co2"]
        shares = s["mode_shares"]
        assert green["value"] == pytest.approx(shares["walk"] + shares["bike"] + shares["pt"])
        assert (green["target"], green["bike_target"], green["target_year"]) == (0.6, 0.07, 2025)
        assert co2["reference_year"] == 2019 and co2["electric_share_status"] == "estimated"
        assert co2["co2_t_per_year"] > 0 and len(co2["stages"]) == len(green["stages"])
        assert (Path(s["_dir"]) / "goals.png").is_file(), name
    plan, spredt = runs["arealstrategi_2040"]["goals"], runs["spredt_2040"]["goals"]
    assert plan["green_share"]["value"] > spredt["green_share"]["value"]
    assert plan["co2"]["co2_t_per_year"] < spredt["co2"]["co2_t_per_year"]


def test_same_totals_concentrated_beats_dispersed(runs) -> None:
    plan, spredt = runs["arealstrategi_2040"], runs["spredt_2040"]
    for key in ("new_dwellings", "new_jobs"):
        assert plan["goals"]["placement"][key] == spredt["goals"]["placement"][key]
    assert plan["goals"]["nullvekst"]["value"] < spredt["goals"]["nullvekst"]["value"]
    assert plan["mode_shares"]["car"] < spredt["mode_shares"]["car"]


def test_baseline_calibrated_to_survey(runs) -> None:
    s = runs["baseline_2023"]
    assert s["calibration"]["converged"]
    survey = {"car": 0.57, "walk": 0.20, "pt": 0.18, "bike": 0.04}
    for mode, share in survey.items():
        assert abs(s["mode_shares"][mode] - share) < 0.005, mode
    demand = s["demand"]
    assert demand["destination_shares"] == pytest.approx(
        {"inside": 0.6, "oslo": 0.2, "elsewhere": 0.2}, abs=0.005)
    assert demand["share_under_5km"] == pytest.approx(0.5, abs=0.005)
    split = s["car_split"]
    assert split["car_passenger"] / split["car_driver"] == pytest.approx(8 / 55, abs=0.05)


def test_reference_year_is_back_cast(runs) -> None:
    """2019 has 127,732/129,874 of the 2023 residents (facts §2), today's network and
    prices: the 2023 baseline, with no growth of its own, already has more car-km."""
    s = runs["baseline_2023"]
    years = s["years"]
    assert years["2019"]["residents"] == pytest.approx(
        years["2023"]["residents"] * 127_732 / 129_874)
    assert years["2019"]["population_factor"] == pytest.approx(127_732 / 129_874)
    change = years["2023"]["car_vkm"] / years["2019"]["car_vkm"] - 1
    assert s["goals"]["nullvekst"]["value"] == pytest.approx(change)
    assert 0 < change < 0.03
    assert "scaled to the region's official 2019 total" in s["goals"]["nullvekst"]["note"]


def test_validation_table(runs) -> None:
    """Every calibrated row within 1 point (passenger/driver ratio within 0.05); purposes
    differ (school trips rarely by car, escort trips mostly); the uncalibrated rows are
    there with their source and status."""
    rows = {r["indicator"]: r for r in runs["baseline_2023"]["validation"]}
    calibrated = [r for r in rows.values() if r["calibrated"]]
    assert len(calibrated) >= 12
    for row in calibrated:
        assert row["within"], row
    assert rows["car passenger / driver ratio"]["tolerance"] == 0.05
    assert rows["school: mode share car"]["model"] < 0.15 < 0.7 < rows[
        "escort: mode share car"]["model"]
    for key in ("mean car trip length", "jobs < 500 m from a stop with ≥ 60 departures a week"):
        assert not rows[key]["calibrated"] and rows[key]["source"] and rows[key]["status"]
    assert {r["status"] for r in rows.values()} <= {"real", "estimated"}


def test_toll_and_parking_from_2030_lower_car_km(runs) -> None:
    """The same plan with a toll at the Oslo border and dearer parking from 2030: the same
    2019 and 2029, less car-km and a lower nullvekst change in 2034 and 2040."""
    plan, tiltak = runs["arealstrategi_2040"], runs["arealstrategi_2040_tiltak"]
    for year in ("2019", "2023", "2029"):
        assert tiltak["years"][year]["car_vkm"] == pytest.approx(plan["years"][year]["car_vkm"])
    for year in ("2034", "2040"):
        assert tiltak["years"][year]["car_vkm"] < plan["years"][year]["car_vkm"]
    assert tiltak["years"]["2040"]["policy"]["tolls_nok"] == {"Oslo": 30.0}
    assert plan["years"]["2040"]["policy"]["tolls_nok"] == {}
    assert tiltak["goals"]["nullvekst"]["value"] < plan["goals"]["nullvekst"]["value"]


def test_fornebubanen_lowers_car_share_at_fornebu(runs) -> None:
    """In 2029 the plan has Fornebubanen, the delayed scenario does not; same homes."""
    on_time = runs["arealstrategi_2040"]["years"]["2029"]
    delayed = runs["fornebubanen_forsinket"]["years"]["2029"]
    assert "Fornebubanen" in on_time["lines"] and "Fornebubanen" not in delayed["lines"]
    assert on_time["residents"] == delayed["residents"]
    assert on_time["car_share_by_area"]["Fornebu"] < delayed["car_share_by_area"]["Fornebu"]
    # from 2034 both run the line: identical
    assert runs["arealstrategi_2040"]["years"]["2040"]["car_vkm"] == pytest.approx(
        runs["fornebubanen_forsinket"]["years"]["2040"]["car_vkm"])


def test_more_buses_more_high_frequency_access(runs) -> None:
    plan, buses = runs["arealstrategi_2040"], runs["hoyfrekvent_buss"]
    assert (buses["transit_access"]["share_within_hf_stop"]
            > plan["transit_access"]["share_within_hf_stop"])
    assert buses["mode_shares"]["pt"] > plan["mode_shares"]["pt"]


SCHOOL_SQUEEZE = """
[scenario]
name = "{name}"
region = "baerum"
base_year = 2023
target_years = [2030]

[[growth]]
area = "Fornebu"
dwellings = 2000
from_year = 2024
to_year = 2029
"""
NEW_SCHOOL = """
[[facilities]]
category = "school"
name = "Fornebu nye skole"
x = 255100
y = 6647300
capacity = 600
"""


def test_fornebu_homes_without_school_squeeze_capacity(env) -> None:
    from test_access import school_capacity

    from sim.region.load import load_region

    region = load_region("baerum")
    results = {name: school_capacity(region, SCHOOL_SQUEEZE.format(name=name) + extra, 2030)
               for name, extra in (("without", ""), ("with", NEW_SCHOOL))}
    assert results["with"]["places"] == results["without"]["places"] + 600
    assert results["with"]["places_per_person_in_need"] > results["without"][
        "places_per_person_in_need"]
    assert results["with"]["share_of_need_covered"] > results["without"]["share_of_need_covered"]


def test_compare_and_report_over_the_pack(runs, tmp_path) -> None:
    dirs = [runs[name]["_dir"] for name in SCENARIOS]
    assert main(["compare", *dirs, "--out", str(tmp_path / "cmp")]) == 0
    assert (tmp_path / "cmp" / "goals_compare.png").exists()
    assert main(["report", *dirs, "--out", str(tmp_path / "rep")]) == 0
    html = (tmp_path / "rep" / "report.html").read_text(encoding="utf-8")
    assert "fossum_tidlig" in html and "proxy" in html
    assert (tmp_path / "rep" / "report.html").stat().st_size < 15_000_000  # issue 16
    assert "Validation: base year against the travel survey" in html
    for name in SCENARIOS:  # every scenario's goal table has the green share and CO2
        section = html[html.index(f"Scenario {name}</h2>"):]
        section = section[:section.index("</table>")]
        assert "Miljøvennlige transportmidler førstevalg" in section, name
        assert "CO2 fra bilkjøring" in section and "t/year" in section, name
    check_report_in_chromium(tmp_path / "rep" / "report.html", tmp_path, min_images=60)


def test_rerun_reproduces(runs, capsys) -> None:
    assert main(["rerun", runs["fossum_tidlig"]["_dir"], "--quiet"]) == 0
    assert "match" in capsys.readouterr().out


def test_elasticities_inside_published_ranges(runs) -> None:
    """PT in-vehicle time −0.3 to −0.5 and car-km to running cost −0.1 to −0.4 (the
    pack's ranges) in every scenario."""
    for name, summary in runs.items():
        checks = summary["elasticities"]
        assert set(checks) == {"pt_wrt_in_vehicle_time", "pt_wrt_headway",
                               "car_km_wrt_running_cost"}
        assert checks["pt_wrt_in_vehicle_time"]["range"] == [-0.5, -0.3]
        assert checks["car_km_wrt_running_cost"]["range"] == [-0.4, -0.1]
        for key, check in checks.items():
            lo, hi = check["range"]
            assert check["inside"] and lo <= check["value"] <= hi, (name, key, check)


def test_pack_thresholds_reach_the_results(runs) -> None:
    access = runs["arealstrategi_2040"]["access"]
    assert access["grocery"]["threshold_m"] == 500 and access["school"]["threshold_m"] == 1000


def test_pt_line_loads(runs) -> None:
    """Boardings add up; the metro lines and Fornebubanen carry trips to Oslo's zones, and
    some trips change line at Majorstuen or Skøyen."""
    demand = runs["arealstrategi_2040"]["demand"]
    lines = demand["pt_lines"]
    assert {"L1", "Metro 3", "Fornebubanen"} <= set(lines)
    assert sum(v["boardings"] for v in lines.values()) == pytest.approx(demand["pt_boardings"])
    assert demand["pt_boardings"] >= demand["trips"]["pt"]  # at least one boarding a trip
    for line in ("Metro 2", "Metro 3", "Fornebubanen", "Bus 130"):
        assert lines[line]["boardings_oslo"] > 100, (line, lines[line])
    transfers = demand["pt_transfers"]
    assert transfers["Majorstuen"] > 0 and transfers["Skøyen"] > 0
    assert transfers["Lysaker"] > 0 and transfers["Sandvika"] > 0
    waits = demand["pt_wait_by_period"]
    assert 0 < waits["peak"] <= waits["offpeak"]  # off-peak headways are never shorter


def test_scenarios_give_the_same_bytes_twice(runs, tmp_path) -> None:
    """Same inputs, same bytes: cells.gpkg, PNGs and CSVs of a second run are identical
    (the plan and a scenario with a rule break; the demo scenarios in test_safety)."""
    for name in ("arealstrategi_2040", "fossum_tidlig"):
        first = Path(runs[name]["_dir"])
        again = tmp_path / name
        assert main(["run", str(REPO / "scenarios" / f"{name}.toml"), "--out", str(again),
                     "--quiet"]) == 0
        files = sorted(p.name for p in first.iterdir() if p.suffix in (".gpkg", ".png", ".csv"))
        assert "cells.gpkg" in files and len(files) >= 10
        for f in files:
            assert (first / f).read_bytes() == (again / f).read_bytes(), f"{name}/{f}"


def test_maps_show_the_baerum_context(runs) -> None:
    import geopandas as gpd
    import matplotlib.pyplot as plt
    from test_plots import check_map_artists

    from sim.output.context import read_context
    from sim.output.maps import WATER
    from sim.output.plots import access_map
    from sim.output.summary import read_summary

    result = Path(runs["arealstrategi_2040"]["_dir"])
    context = read_context(result / "cells.gpkg")
    assert {"Oslo", "Asker"} <= set(context.neighbours.name)
    assert len(context.lines) >= 5 and context.stops.high_frequency.sum() >= 5
    fig = access_map(read_summary(result), gpd.read_file(result / "cells.gpkg", layer="cells"),
                     context, "school")
    ax = check_map_artists(fig, min_places=5)
    assert ax.get_facecolor()[:3] == pytest.approx(plt.matplotlib.colors.to_rgb(WATER))
    places = {t.get_text() for t in ax.findobj() if t.get_gid() == "place"}
    assert {"Sandvika", "Fornebu"} <= places
    assert {t.get_text() for t in ax.findobj() if t.get_gid() == "neighbour"} >= {"Oslo"}
    plt.close(fig)
