"""Scenario files: validation and the one-line errors planners see (exit code 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario.schema import scenario_from_file

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


def test_unknown_key(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace("[goals]", "[goals]\nplacment_share = 0.8")
    line = _run_bad(tmp_path, capsys, text)
    assert "goals.placment_share" in line and "unknown key" in line and "bad.toml" in line


def test_unknown_area_suggests_nearest(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace('area = "Sentrum"', 'area = "Sentrumm"')
    line = _run_bad(tmp_path, capsys, text)
    assert "growth[0].area" in line and "'Sentrumm'" in line and "did you mean 'Sentrum'" in line


def test_negative_amount(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace("dwellings = 3500", "dwellings = -3500")
    line = _run_bad(tmp_path, capsys, text)
    assert "growth[0].dwellings" in line and "greater than or equal to 0" in line


def test_years_out_of_order(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace("from_year = 2024\nto_year = 2040",
                                      "from_year = 2040\nto_year = 2024", 1)
    line = _run_bad(tmp_path, capsys, text)
    assert "growth[0]" in line and "to_year 2024 is before from_year 2040" in line


def test_target_years_before_base_year(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace("target_years = [2030, 2040]", "target_years = [2040, 2030]")
    line = _run_bad(tmp_path, capsys, text)
    assert "scenario" in line and "strictly increasing" in line
    text = demo_scenario_text.replace("target_years = [2030, 2040]", "target_years = [2020]")
    line = _run_bad(tmp_path, capsys, text)
    assert "scenario" in line and "must not come before base_year 2023" in line


def test_missing_file(tmp_path, capsys) -> None:
    code = main(["run", str(tmp_path / "nope.toml"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "nope.toml: scenario file not found" in err
    assert not (tmp_path / "out").exists()


def test_not_toml(tmp_path, capsys) -> None:
    line = _run_bad(tmp_path, capsys, "[scenario\nname=")
    assert "not valid TOML" in line


def test_missing_required_field(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace("base_year = 2023\n", "")
    line = _run_bad(tmp_path, capsys, text)
    assert "scenario.base_year: required field is missing" in line


def test_unknown_line_in_headway_change(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text + (
        '\n[[transit.change_headway]]\nline = "Linje Q"\nheadway_peak_min = 5\nfrom_year = 2030\n'
    )
    # the [[transit.change_headway]] table must sit before [goals]; TOML allows it anywhere
    line = _run_bad(tmp_path, capsys, text)
    assert "transit.change_headway[0].line" in line and "unknown line 'Linje Q'" in line


def test_unknown_facility_category(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace('category = "school"', 'category = "skole"')
    line = _run_bad(tmp_path, capsys, text)
    assert "facilities[0].category" in line and "unknown category 'skole'" in line


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
