"""Scenario files: validation and the one-line errors planners see (exit code 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario.schema import scenario_from_file, scenario_from_text

REPO = Path(__file__).resolve().parents[1]


def _run_bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> str:
    """Run a broken scenario; check exit 2, one line, no traceback, no results dir."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", str(path), "--out", str(out), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.toml"]  # nothing half-written
    return lines[0]


def test_demo_scenarios_validate(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("demo", "demo_spredt"):
        assert main(["validate", str(REPO / "scenarios" / f"{name}.toml")]) == 0
    assert "ok" in capsys.readouterr().out


#: Broken variants of scenarios/demo.toml: (text replaced, replacement, words of the line).
BAD_EDITS = [
    ("[goals]", "[goals]\nplacment_share = 0.8",
     ("goals.placment_share", "unknown key", "bad.toml")),
    ('area = "Sentrum"', 'area = "Sentrumm"',
     ("growth[0].area", "'Sentrumm'", "did you mean 'Sentrum'")),
    ("dwellings = 3500", "dwellings = -3500",
     ("growth[0].dwellings", "greater than or equal to 0")),
    ("from_year = 2024\nto_year = 2040", "from_year = 2040\nto_year = 2024",
     ("growth[0]", "to_year 2024 is before from_year 2040")),
    ("target_years = [2030, 2040]", "target_years = [2040, 2030]",
     ("scenario", "strictly increasing")),
    ("target_years = [2030, 2040]", "target_years = [2020]",
     ("scenario", "must not come before base_year 2023")),
    ("base_year = 2023\n", "", ("scenario.base_year: required field is missing",)),
    ('category = "school"', 'category = "skole"',
     ("facilities[0].category", "unknown category 'skole'")),
    ("[goals]", '[[transit.change_headway]]\nline = "Linje Q"\nheadway_peak_min = 5\n'
     "from_year = 2030\n\n[goals]",
     ("transit.change_headway[0].line", "unknown line 'Linje Q'")),
    ("[goals]", '[[policy.toll]]\ncordon = "Storbyy"\nnok = 20\nfrom_year = 2030\n\n[goals]',
     ("policy.toll[0].cordon", "unknown cordon 'Storbyy'", "did you mean 'Storby'")),
    ("[goals]", '[[policy.parking]]\narea = "Sentrum"\nnok = -5\nfrom_year = 2030\n\n[goals]',
     ("policy.parking[0].nok", "greater than or equal to 0")),
    ("[goals]", '[[policy.speed]]\nfrom_year = 2030\nfactor_peak = 1.5\n\n[goals]',
     ("policy.speed[0].factor_peak", "less than or equal to 1")),
    ('area = "Sentrum"', "x = 506000", ("growth[0]", "give both x and y")),
    ('area = "Sentrum"', "x = 506000\ny = 6604000\npolygon = 'POLYGON ((0 0, 1 0, 1 1, 0 0))'",
     ("growth[0]", "coordinates (x, y, radius_m) or a polygon, not both")),
    ('area = "Sentrum"', 'area = "Sentrum"\nradius_m = 300',
     ("growth[0]", "radius_m needs x and y")),
    ('area = "Sentrum"', 'polygon = "POLYGON ((0 0, 1 0"', ("growth[0]", "polygon: not valid WKT")),
    ('area = "Sentrum"', 'polygon = "POINT (1 1)"',
     ("growth[0]", "polygon: expected a polygon with area > 0")),
    ('area = "Sentrum"\n', "", ("growth[0]", "give an area, coordinates")),
    ('area = "Sentrum"', 'area = "Sentrum"\nspread = "some"', ("growth[0].spread",)),
    ("[goals]", '[goals]\nplacement_rule = "both"', ("goals.placement_rule", "'each'")),
    ("[goals]", '[goals]\nkortreist_function_targets = { shop = 0.5 }',
     ("goals.kortreist_function_targets", "unknown function 'shop'")),
    ("[goals]", "[goals]\nelectric_share = { 2030 = 1.5 }", ("goals.electric_share",)),
    ("[goals]", '[[growth_layer]]\npath = "nowhere.gpkg"\n\n[goals]',
     ("nowhere.gpkg: file not found", "growth layer")),
]


@pytest.mark.parametrize(("old", "new", "words"), BAD_EDITS)
def test_bad_scenario_is_one_line(tmp_path, capsys, demo_scenario_text, old: str, new: str,
                                  words: tuple[str, ...]) -> None:
    assert old in demo_scenario_text
    line = _run_bad(tmp_path, capsys, demo_scenario_text.replace(old, new, 1))
    assert all(w in line for w in words), line


def test_missing_file(tmp_path, capsys) -> None:
    code = main(["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "nope.toml: scenario file not found" in err
    assert not (tmp_path / "out").exists()


def test_not_toml(tmp_path, capsys) -> None:
    line = _run_bad(tmp_path, capsys, "[scenario\nname=")
    assert "not valid TOML" in line


def test_validate_bad_file_exit_2(tmp_path, capsys, demo_scenario_text) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(demo_scenario_text.replace("jobs = 2500", "jobs = -1"), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    assert "growth[0].jobs" in capsys.readouterr().err


def test_placement_build_out_is_linear() -> None:
    scenario = scenario_from_file(REPO / "scenarios" / "demo.toml")
    placement = scenario.growth[0]  # 2024..2040
    assert placement.share_built_by(2023) == 0
    assert placement.share_built_by(2024) == pytest.approx(1 / 17)
    assert placement.share_built_by(2040) == 1
    assert placement.share_built_by(2050) == 1


def test_model_table_overrides_any_parameter(tmp_path, capsys, demo_scenario_text) -> None:
    """Every model constant is a ``[model]`` field; bad values give one line."""
    text = demo_scenario_text.replace("[goals]", "[model]\nk_nearest = 1\n"
                                      "gravity_beta_per_km = 0.8\n"
                                      "car_terminal_min = { other = 2.0 }\n\n[goals]")
    model = scenario_from_text(text, Path("x.toml")).model
    assert model.k_nearest == 1 and model.gravity_beta_per_km == 0.8
    assert model.car_terminal_min == {"growth_area": 6.0, "station": 3.0, "other": 2.0}
    bad = demo_scenario_text.replace("[goals]", "[model.purposes.work]\nshare = 0.5\n"
                                     "attraction = { jobs = 1.0 }\n\n[goals]")
    path = tmp_path / "bad.toml"
    path.write_text(bad, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "model: purpose shares must sum to 1" in err and err.count("\n") == 1


def test_policy_applies_from_its_year(demo_scenario_text) -> None:
    """Prices apply from their year on; a later entry overrides; tolls and parking by place."""
    from sim.scenario.edits import params_for_year, policy_for_year

    text = demo_scenario_text.replace("[goals]", """[policy]
car_cost = [{ from_year = 2030, nok_per_km = 3.0 }, { from_year = 2035, nok_per_km = 4.0 }]
pt_fare = [{ from_year = 2030, nok = 0 }]
speed = [{ from_year = 2030, factor_peak = 0.5 }]
toll = [{ cordon = "Storby", nok = 20, from_year = 2030, charged = "inbound" },
        { cordon = "Storby", nok = 0, from_year = 2038 }]
parking = [{ area = "Sentrum", nok = 80, from_year = 2032 }]

[goals]""")
    scenario = scenario_from_text(text, Path("x.toml"))
    base = scenario.model
    assert params_for_year(scenario, 2029) == base
    assert params_for_year(scenario, 2030).car_cost_nok_per_km == 3.0
    assert params_for_year(scenario, 2036).car_cost_nok_per_km == 4.0
    assert params_for_year(scenario, 2030).pt_fare_nok == 0
    speed = params_for_year(scenario, 2030)
    assert speed.car_speed_factor_peak == 0.5
    assert speed.car_speed_factor_offpeak == base.car_speed_factor_offpeak
    assert policy_for_year(scenario, 2031).tolls == {"Storby": 10.0}  # inbound: half a trip
    assert policy_for_year(scenario, 2031).parking == {}
    assert policy_for_year(scenario, 2032).parking == {"Sentrum": 80.0}
    assert policy_for_year(scenario, 2040).tolls == {}


def test_placement_locations_and_spread(demo_scenario_text) -> None:
    from sim.scenario.entries import Placement

    area = Placement(area="Sentrum", dwellings=1, from_year=2024, to_year=2030)
    point = Placement(x=1.0, y=2.0, radius_m=300, from_year=2024, to_year=2030)
    shape = Placement(polygon="POLYGON ((0 0, 100 0, 100 100, 0 0))", name="felt",
                      from_year=2024, to_year=2030)
    assert [p.location for p in (area, point, shape)] == ["area", "coordinates", "polygon"]
    assert [p.spread_over for p in (area, point, shape)] == ["populated", "all", "all"]
    assert [p.label for p in (area, point, shape)] == ["Sentrum", "(1, 2)", "felt"]
    assert Placement(area="A", spread="all", from_year=2024, to_year=2030).spread_over == "all"
