"""Safe by construction: no lost files, no stale answers, every bad input one clear line.

Each test names the defect it reproduces (the numbers of the safety issue).
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.scenario.schema import scenario_from_text

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.toml"

#: Street edits appended to scenarios/demo.toml (it has none of its own).
STREET_EDITS = """
[[streets.add_link]]
name = "gangbru"
start = [503800, 6601250]
end = [503800, 6602350]
modes = ["walk", "bike"]
opening_year = 2030

[[streets.close_link]]
at = [506000, 6604000]
modes = ["car"]
from_year = 2030
"""


def _one_line(capsys: pytest.CaptureFixture[str], code: int) -> str:
    """Exit code 2 and exactly one line on stderr, no traceback."""
    assert code == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    return lines[0]


def _scenario(tmp_path: Path, text: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _bad(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> str:
    """``validate`` and ``run`` both refuse the text with one line; nothing is written."""
    path = _scenario(tmp_path, text)
    line = _one_line(capsys, main(["validate", str(path)]))
    out = tmp_path / "out"
    assert _one_line(capsys, main(["run", str(path), "--out", str(out), "--quiet"])) == line
    assert not out.exists()
    return line


# --- 1–5: the program never replaces what it did not make -------------------------------


@pytest.mark.parametrize("name", [".", "..", "a/b", "x" * 300, ".hidden"])
def test_1_scenario_names_are_file_names(tmp_path, capsys, demo_scenario_text, name) -> None:
    text = demo_scenario_text.replace('name = "demo"', f'name = "{name}"', 1)
    assert "scenario.name" in _bad(tmp_path, capsys, text)


def test_2_out_may_not_be_a_file_or_a_protected_directory(tmp_path, capsys,
                                                         monkeypatch) -> None:
    target = tmp_path / "notes.txt"
    target.write_text("keep me")
    line = _one_line(capsys, main(["run", str(DEMO), "--out", str(target), "--quiet",
                                   "--force"]))
    assert "not a directory" in line and target.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]  # nothing left beside
    monkeypatch.chdir(tmp_path)
    for out in ("", ".", str(tmp_path.parent), str(REPO), "results"):
        (tmp_path / "results").mkdir(exist_ok=True)
        line = _one_line(capsys, main(["run", str(DEMO), "--out", out, "--quiet", "--force"]))
        assert "refusing" in line or "expected a directory name" in line, line


def test_3_rerun_may_not_replace_the_results_root(demo_results, tmp_path, capsys,
                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shutil.copytree(demo_results["demo"], tmp_path / "results" / "demo")
    before = sorted(p.name for p in (tmp_path / "results" / "demo").iterdir())
    for out in ("results", "results/demo", "."):
        line = _one_line(capsys, main(["rerun", "results/demo", "--out", out, "--force"]))
        assert any(w in line for w in ("refusing", "must not be the result", "input",
                                       "directory name")), line
    assert sorted(p.name for p in (tmp_path / "results" / "demo").iterdir()) == before


def test_4_tampered_names_never_reach_a_path(demo_results, tmp_path, capsys,
                                            monkeypatch) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "precious.txt").write_text("mine")
    evil = tmp_path / "work" / "evil"
    shutil.copytree(demo_results["demo_spredt"], evil)
    summary = json.loads((evil / "summary.json").read_text())
    summary["scenario"]["name"] = "x/../../../victim"
    (evil / "summary.json").write_text(json.dumps(summary))
    monkeypatch.chdir(tmp_path / "work")
    line = _one_line(capsys, main(["compare", str(demo_results["demo"]), str(evil)]))
    assert "scenario.name" in line and "cannot be a file name" in line
    assert (victim / "precious.txt").read_text() == "mine"


@pytest.mark.parametrize("region", ["/tmp", "../../x", "network_data/baerum", "Baerum"])
def test_5_region_is_a_name_inside_the_pack_path(tmp_path, capsys, demo_scenario_text,
                                                 region) -> None:
    text = demo_scenario_text.replace('region = "demo"', f'region = "{region}"', 1)
    assert "scenario.region" in _bad(tmp_path, capsys, text)
    line = _one_line(capsys, main(["data", "import", region]))
    assert "not a region name" in line


def test_11_unknown_region_names_file_and_field(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace('region = "demo"', 'region = "oslo"', 1)
    line = _bad(tmp_path, capsys, text)
    assert "s.toml: scenario.region: unknown region 'oslo'" in line and "demo" in line


# --- 6–7: caches keyed by content, checked on read ---------------------------------------


def test_6_matrix_key_covers_streets_stops_and_edits(demo_region, demo_scenario_text) -> None:
    from dataclasses import replace

    from sim.model.skim_cache import matrix_cache_key
    from sim.model.zones import zones_from_cells
    from sim.scenario.edits import network_state

    text = demo_scenario_text + STREET_EDITS
    scenario = scenario_from_text(text, Path("x.toml"))
    zones = zones_from_cells(demo_region, scenario.model.zone_size_m)
    state = network_state(demo_region, scenario, 2040)
    key = matrix_cache_key(demo_region, state, zones, scenario.model)
    s = demo_region.streets
    longer = replace(demo_region, streets=replace(s, length_m=s.length_m * 1.1))
    assert matrix_cache_key(longer, state, zones, scenario.model) != key
    faster = replace(demo_region, streets=replace(s, car_speed_kmh=s.car_speed_kmh + 10))
    assert matrix_cache_key(faster, state, zones, scenario.model) != key
    moved = scenario_from_text(text.replace("start = [503800, 6601250]",
                                            "start = [503900, 6601250]"), Path("x.toml"))
    assert network_state(demo_region, moved, 2040) != state


def _matrix_files(cache: Path) -> list[Path]:
    return sorted((cache / "demo" / "matrices").glob("*.npz"))


def _damage(files: list[Path], how: str) -> None:
    target = files[0]
    data = target.read_bytes()
    if how == "truncate":
        target.write_bytes(data[: len(data) // 2])
    elif how == "flip":
        target.write_bytes(data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:])
    elif how == "empty":
        target.write_bytes(b"")
    else:  # a valid matrix file of another network state in its place
        shutil.copyfile(files[1], target)


def test_7_corrupt_cached_matrices_are_rebuilt(tmp_path, capsys, monkeypatch) -> None:
    """Each kind of damage in turn (the file is rebuilt after each): a warning, the same
    numbers as the clean run."""
    monkeypatch.setenv("BAERUM_SIM_CACHE", str(tmp_path / "cache"))
    assert main(["run", str(DEMO), "--out", str(tmp_path / "clean"), "--quiet"]) == 0
    clean = json.loads((tmp_path / "clean" / "summary.json").read_text())
    clean.pop("created")
    for how in ("truncate", "flip", "empty", "swap"):
        files = _matrix_files(tmp_path / "cache")
        assert len(files) >= 2
        _damage(files, how)
        capsys.readouterr()
        assert main(["run", str(DEMO), "--out", str(tmp_path / how), "--verbose"]) == 0
        assert "computing them again" in capsys.readouterr().err, how
        again = json.loads((tmp_path / how / "summary.json").read_text())
        again.pop("created")
        assert clean == again, how


def test_7_cache_write_failure_leaves_no_partial_file(tmp_path, monkeypatch) -> None:
    import subprocess

    from sim._fs import checked, save_checked

    target = tmp_path / "m" / "key.npz"

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"half a matrix")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        save_checked(target, half_then_fail)
    assert list((tmp_path / "m").iterdir()) == []
    # a killed writer's temporary (its process gone) is removed by the next write
    dead = subprocess.Popen(["true"])
    dead.wait()
    (tmp_path / "m" / f".key.tmp-{dead.pid}-abcd.npz").write_bytes(b"partial")
    save_checked(target, lambda tmp: np.savez(tmp, a=np.arange(3)))
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == ["key.npz", "key.npz.sha256"]
    assert checked(target) is None


# --- 8–9: what validate accepts, run runs; nothing silently wrong --------------------------

#: (text replaced in scenarios/demo.toml, replacement, a word of the one-line error)
BAD_VALUES = [
    ("dwellings = 3500", "dwellings = inf", "finite"),
    ("dwellings = 3500", "dwellings = nan", "finite"),
    ("dwellings = 3500", "dwellings = 1e300", "less than or equal"),
    ("dwellings = 3500", "dwellings = true", "valid number"),
    ("from_year = 2024", 'from_year = "2024"', "valid integer"),
    ("[goals]", "[model]\ntrips_per_person = inf\n\n[goals]", "finite"),
    ("[goals]", "[model]\nzone_size_m = 1e9\n\n[goals]", "less than or equal"),
    ("[goals]", "[model]\nbeta_cost_per_nok = -inf\n\n[goals]", "finite"),
    ("[goals]", "[model]\nwalk_weight = nan\n\n[goals]", "finite"),
    ("start = [503800, 6601250]", "start = [inf, 6601250]", "finite"),
    ("run_times_min = [5, 5]", "run_times_min = [5, inf]", "finite"),
    ("x = 509400", "x = nan", "finite"),
    ("x = 509400", "x = 10.55", "lies outside region"),
    ("x = 509400\ny = 6603700", "x = 10.55\ny = 59.9", "EPSG:25833 metres expected"),
    ("x = 509400", "x = 909400", "lies outside region"),
    ("at = [506000, 6604000]", "at = [nan, 6604000]", "finite"),
    ('name = "Buss 2"', 'name = "Linje M"', "already exists"),
]


@pytest.mark.parametrize(("old", "new", "words"), BAD_VALUES)
def test_8_9_bad_values_are_one_line(tmp_path, capsys, demo_scenario_text, old, new,
                                     words) -> None:
    text = demo_scenario_text + STREET_EDITS
    assert old in text
    assert words in _bad(tmp_path, capsys, text.replace(old, new, 1))


def test_9_reference_year_after_the_base_year(tmp_path, capsys, demo_scenario_text) -> None:
    text = demo_scenario_text.replace("nullvekst_reference_year = 2023",
                                      "nullvekst_reference_year = 2050")
    assert "nullvekst_reference_year 2050 must not come after" in _bad(tmp_path, capsys, text)


def test_9_names_unique_per_kind(tmp_path, capsys, demo_scenario_text) -> None:
    start = demo_scenario_text.index("[[transit.add_line]]")
    end = demo_scenario_text.index("[[", start + 5)
    twice = demo_scenario_text[:end] + demo_scenario_text[start:]
    assert "used twice" in _bad(tmp_path, capsys, twice)


def test_8_deep_nesting_and_empty_out(tmp_path, capsys, demo_scenario_text) -> None:
    deep = demo_scenario_text + "\nnested = " + "[" * 5000 + "]" * 5000 + "\n"
    assert "nested too deeply" in _bad(tmp_path, capsys, deep)
    line = _one_line(capsys, main(["run", str(DEMO), "--out", "", "--quiet"]))
    assert "directory name" in line or "refusing" in line


def test_8_partial_table_runs(tmp_path, demo_scenario_text) -> None:
    text = demo_scenario_text.replace("[goals]", "[model]\ncar_terminal_min = { other = 2.0 }"
                                      "\nparking_nok = { station = 5.0 }\n\n[goals]")
    path = _scenario(tmp_path, text)
    assert main(["validate", str(path)]) == 0
    model = scenario_from_text(text, path).model
    assert model.car_terminal_min["growth_area"] == 6.0 and model.parking_nok["station"] == 5.0


# --- 11: output checked before the simulation; files as a user expects -----------------


def test_11_read_only_output_fails_before_simulating(tmp_path, capsys, monkeypatch) -> None:
    import sim.app

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("simulated although the output cannot be written")

    monkeypatch.setattr(sim.app, "simulate", never)
    (tmp_path / "a-file").write_text("")
    places = [tmp_path / "a-file" / "r", Path("/proc/baerum-sim-test/r")]
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if not os.access(parent, os.W_OK):  # root may write anywhere; others are refused here
        places.append(parent / "r")
    try:
        for out in places:
            line = _one_line(capsys, main(["run", str(DEMO), "--out", str(out)]))
            assert "cannot write" in line, line
    finally:
        parent.chmod(stat.S_IRWXU)


def test_11_rerun_opens_only_the_scenario_file(demo_results, tmp_path, monkeypatch) -> None:
    import sim.app

    tampered = tmp_path / "t"
    shutil.copytree(demo_results["demo"], tampered)
    summary = json.loads((tampered / "summary.json").read_text())
    summary["manifest"]["inputs"]["/etc/passwd"] = "0" * 64
    (tampered / "summary.json").write_text(json.dumps(summary))
    opened: list[Path] = []
    real = sim.app.sha256_file

    def spy(path: Path) -> str:
        opened.append(Path(path))
        return real(path)

    monkeypatch.setattr(sim.app, "sha256_file", spy)
    monkeypatch.chdir(REPO)
    report = sim.app.rerun(tampered)
    assert Path("/etc/passwd") not in opened
    assert [d.key for d in report.differences] == ["manifest.inputs./etc/passwd"]


def test_11_results_are_readable_and_stale_temporaries_go(demo_results, tmp_path) -> None:
    import subprocess

    mode = stat.S_IMODE(demo_results["demo"].stat().st_mode)
    assert mode == 0o777 & ~_umask()
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f".r.tmp-{dead.pid}-x1"
    stale.mkdir()
    (stale / "summary.json").write_text("{}")
    assert main(["run", str(DEMO), "--out", str(tmp_path / "r"), "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.slow
def test_same_inputs_same_bytes(demo_results, tmp_path) -> None:
    """Every file of a result but summary.json's ``created`` is the same on a second run."""
    again = tmp_path / "again"
    assert main(["run", str(DEMO), "--out", str(again), "--quiet"]) == 0
    first = demo_results["demo"]
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in again.iterdir())
    for name in names:
        a, b = (first / name).read_bytes(), (again / name).read_bytes()
        if name == "summary.json":
            a, b = (json.loads(x) for x in (a, b))
            a.pop("created"), b.pop("created")
        assert a == b, name
