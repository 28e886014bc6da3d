"""Sweeps: the sweep file, member drawing and editing, the ensemble statistics, and real
runs on Dask (a LocalCluster, and a `dask scheduler` with two `dask worker` processes)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.cli import main
from sim.errors import InputError
from sim.sweep.analysis import goal_ensemble, sensitivity
from sim.sweep.members import apply_input
from sim.sweep.spec import SweepSpec, draw_points, sweep_from_file

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.toml"

#: Inputs that leave the travel-time matrices alone except through the opening year (two
#: network states), so members share cached matrices and the runs stay short.
DEMO_SWEEP = f"""
[sweep]
name = "demo_test"
scenarios = ["{DEMO.as_posix()}"]
method = "{{method}}"
members = {{members}}
seed = 7

[[inputs]]
target = "growth.scale"
distribution = "normal"
mean = 1.0
sd = 0.2
low = 0.4

[[inputs]]
target = "growth.Nordmark.scale"
distribution = "uniform"
low = 0.0
high = 4.0

[[inputs]]
target = "transit.opening_year.Buss 2"
values = [2027, 2045]

[[inputs]]
name = "theta"
target = "model.destination_theta"
distribution = "triangular"
low = 0.3
mode = 0.5
high = 0.8
"""


def write_spec(tmp_path: Path, members: int = 8, method: str = "latin_hypercube") -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(DEMO_SWEEP.format(method=method, members=members), encoding="utf-8")
    return path


# --- the sweep file and the draws -----------------------------------------------------------


def test_draws_are_seeded_and_stratified(tmp_path: Path) -> None:
    spec = sweep_from_file(write_spec(tmp_path, members=10))
    points = draw_points(spec)
    assert points == draw_points(spec)  # same seed, same members
    assert len(points) == 10 and set(points[0]) == {"growth.scale", "growth.Nordmark.scale",
                                                    "transit.opening_year.Buss 2", "theta"}
    # Latin hypercube: one draw in each tenth of the uniform input's range
    nordmark = np.array([p["growth.Nordmark.scale"] for p in points])
    np.testing.assert_array_equal(np.sort((nordmark / 4.0 * 10).astype(int)), np.arange(10))
    assert {p["transit.opening_year.Buss 2"] for p in points} == {2027.0, 2045.0}
    theta = np.array([p["theta"] for p in points])
    assert theta.min() >= 0.3 and theta.max() <= 0.8
    scale = np.array([p["growth.scale"] for p in points])
    assert scale.min() >= 0.4
    other = spec.model_copy(update={"sweep": spec.sweep.model_copy(update={"seed": 8})})
    assert draw_points(other) != points


def test_grid_is_the_product_of_levels(tmp_path: Path) -> None:
    spec = sweep_from_file(write_spec(tmp_path, method="grid"))
    points = draw_points(spec)
    assert len(points) == 3 * 3 * 2 * 3
    assert sorted({p["growth.Nordmark.scale"] for p in points}) == [0.0, 2.0, 4.0]
    # normal on a grid: midpoints of three equal-probability bins of the cut normal
    mids = sorted({round(p["growth.scale"], 6) for p in points})
    assert mids[1] == pytest.approx(1.0, abs=0.02)


def test_monte_carlo_maps_uniform_numbers_through_the_distribution() -> None:
    spec = SweepSpec.model_validate({
        "sweep": {"name": "mc", "scenarios": ["x.toml"], "method": "monte_carlo",
                  "members": 4000, "seed": 3},
        "inputs": [{"target": "model.beta_cost_per_nok", "distribution": "normal",
                    "mean": -0.04, "sd": 0.01}]})
    values = np.array([p["model.beta_cost_per_nok"] for p in draw_points(spec)])
    assert stats.kstest(values, stats.norm(-0.04, 0.01).cdf).pvalue > 0.01


@pytest.mark.parametrize(("edit", "message"), [
    ('target = "model.nope"\ndistribution = "uniform"\nlow = 1\nhigh = 2',
     "inputs[0].target: unknown model parameter 'nope'"),
    ('target = "streets.x"\nvalues = [1]', "unknown target 'streets.x'"),
    ('target = "model.walk_speed_mps"\ndistribution = "uniform"\nlow = 1',
     "inputs[0]: uniform needs high"),
    ('target = "model.walk_speed_mps"\ndistribution = "uniform"\nlow = 2\nhigh = 1',
     "low 2.0 must be below high 1.0"),
    ('target = "transit.headway.Linje R"\nvalues = [5]',
     "line 'Linje R' is neither added nor given a new headway"),
    ('target = "growth.Skogli.scale"\nvalues = [2]', "no growth in 'Skogli'"),
    ('target = "transit.opening_year.Linje Q"\nvalues = [2030]',
     "transit.change_opening[0].line: unknown line 'Linje Q'"),
    ('target = "model.walk_speed_mps"\nvalues = [-1]', "model.walk_speed_mps"),
])
def test_bad_sweep_files_give_one_line(tmp_path: Path, capsys, edit: str, message: str) -> None:
    spec = tmp_path / "bad.toml"
    spec.write_text(f'[sweep]\nname = "bad"\nscenarios = ["{DEMO.as_posix()}"]\nmethod = "grid"'
                    f"\n\n[[inputs]]\n{edit}\n", encoding="utf-8")
    assert main(["sweep", str(spec), "--serial", "--out", str(tmp_path / "o"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {spec}") and message in err and err.count("\n") == 1
    assert not (tmp_path / "o" / "members.parquet").exists()


def test_inputs_edit_the_scenario() -> None:
    from sim.scenario.schema import scenario_from_file

    data = scenario_from_file(DEMO).model_dump(mode="json", by_alias=True)
    apply_input(data, "model.k_nearest", 4.4)
    apply_input(data, "model.parking_nok.growth_area", 55)
    apply_input(data, "growth.dwellings_total", 17000.0)
    apply_input(data, "transit.opening_year.Buss 2", 2031.4)
    apply_input(data, "transit.opening_year.Linje M", 2030)
    apply_input(data, "transit.headway.Buss 2", 7.5)
    assert data["model"]["k_nearest"] == 4 and isinstance(data["model"]["k_nearest"], int)
    assert data["model"]["parking_nok"]["growth_area"] == 55.0
    assert sum(p["dwellings"] for p in data["growth"]) == pytest.approx(17000.0)
    assert data["transit"]["add_line"][0]["opening_year"] == 2031
    assert data["transit"]["add_line"][0]["headway_peak_min"] == 7.5
    assert data["transit"]["change_opening"] == [{"line": "Linje M", "opening_year": 2030}]


# --- the statistics -------------------------------------------------------------------------


def test_sensitivity_finds_the_driving_input() -> None:
    rng = np.random.default_rng(0)
    n = 200
    inputs = pd.DataFrame({"input.a": rng.random(n), "input.b": rng.random(n),
                           "input.c": np.ones(n)})
    value = pd.Series(np.exp(3 * inputs["input.a"]) - 0.3 * inputs["input.b"]
                      + 0.01 * rng.random(n))
    sens, r2 = sensitivity(inputs, value)
    assert [s.input for s in sens][:2] == ["a", "b"]
    assert sens[0].spearman == pytest.approx(stats.spearmanr(inputs["input.a"], value)[0])
    assert sens[0].spearman > 0.9 and sens[1].spearman < 0
    assert sens[2].spearman is None  # a constant input explains nothing
    assert sens[0].variance_share > 0.8 and 0.95 < r2 <= 1.0
    flat, r2_flat = sensitivity(inputs, pd.Series(np.full(n, 0.5)))
    assert r2_flat is None and all(s.spearman is None for s in flat)


def test_goal_ensemble_probability_and_quantiles() -> None:
    table = pd.DataFrame({"input.x": np.arange(20.0),
                          "nullvekst.value": np.linspace(-0.1, 0.1, 20),
                          "nullvekst.pass": np.linspace(-0.1, 0.1, 20) <= 0})
    ens = goal_ensemble(table, "nullvekst")
    assert ens.probability == 0.5 and ens.members == 20
    assert ens.value_quantiles["p50"] == pytest.approx(0.0, abs=1e-12)
    assert ens.value_quantiles["p05"] == pytest.approx(np.quantile(table["nullvekst.value"], .05))
    assert ens.drivers == ["x"] and ens.sensitivity[0].spearman == pytest.approx(1.0)


# --- real runs ------------------------------------------------------------------------------


def _rows(out: Path) -> pd.DataFrame:
    return pd.read_parquet(out / "members.parquet")


@pytest.fixture(scope="module")
def serial_sweep(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The 8-member demo sweep run in-process (the reference rows)."""
    tmp = tmp_path_factory.mktemp("sweep")
    spec = write_spec(tmp)
    out = tmp / "serial"
    assert main(["sweep", str(spec), "--serial", "--out", str(out), "--quiet"]) == 0
    return spec, out


@pytest.mark.slow
def test_serial_sweep_outputs_and_resume(serial_sweep, tmp_path: Path) -> None:
    spec, out = serial_sweep
    rows = _rows(out)
    assert list(rows.member) == list(range(8)) and rows.key.is_unique
    assert {"input.growth.scale", "input.theta", "nullvekst.value", "nullvekst.pass",
            "kortreist.value", "placement.pass", "share.pt", "data_status"} <= set(rows.columns)
    assert set(rows.data_status) == {"synthetic"}
    # more growth in the not-prioritised Nordmark: a lower placement share
    rho = stats.spearmanr(rows["input.growth.Nordmark.scale"], rows["placement.value"])[0]
    assert rho < -0.9
    summary = json.loads((out / "sweep.json").read_text())
    assert summary["members"] == 8 and summary["data_status"] == "synthetic"
    p = summary["goals"]["placement"]
    assert p["probability"] == rows["placement.pass"].mean()
    assert p["drivers"][0] == "growth.Nordmark.scale"
    for name in ("tornado.png", "goal_values.png", "report.html", "report.md"):
        assert (out / name).stat().st_size > 1000
    assert "SYNTHETIC" in (out / "report.md").read_text() or "synthetic" in (
        out / "report.md").read_text()
    # resume: two records gone, only those two members run again, same table
    again = tmp_path / "again"
    again.mkdir()
    (again / "members").mkdir()
    for record in sorted((out / "members").glob("*.json"))[2:]:
        (again / "members" / record.name).write_bytes(record.read_bytes())
    from sim import app

    run = app.sweep(spec, out=again, serial=True)
    assert (run.ran, run.reused) == (2, 6)
    pd.testing.assert_frame_equal(_rows(again), rows)


@pytest.mark.slow
def test_local_cluster_by_default(serial_sweep, tmp_path: Path) -> None:
    from sim import app

    spec, out = serial_sweep
    run = app.sweep(spec, out=tmp_path / "local", workers=2)
    assert run.where.startswith("LocalCluster") and "2 workers" in run.where
    pd.testing.assert_frame_equal(_rows(tmp_path / "local"), _rows(out))


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get(
        "PYTHONPATH", "")]), NUMBA_NUM_THREADS="1")
    return subprocess.Popen([sys.executable, "-m", *args], env=env, cwd=REPO,
                            stdout=log.open("w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _wait_for(predicate, seconds: float, what: str) -> None:
    end = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.mark.slow
def test_dask_scheduler_and_two_workers_survive_a_killed_worker(serial_sweep,
                                                                tmp_path: Path) -> None:
    """A real `dask scheduler` and two `dask worker` processes on 127.0.0.1: the sweep
    gives the serial run's rows, even though one worker is killed mid-sweep."""
    spec, out = serial_sweep
    sched_file = tmp_path / "scheduler.json"
    procs = [_start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                     "--no-dashboard", "--scheduler-file", str(sched_file)],
                    tmp_path / "scheduler.log")]
    try:
        _wait_for(sched_file.exists, 60, "the scheduler file")
        address = json.loads(sched_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for k in range(2):
            procs.append(_start(["distributed.cli.dask_worker", address, "--nthreads", "1",
                                 "--no-dashboard", "--host", "127.0.0.1", "--name", f"w{k}"],
                                tmp_path / f"worker{k}.log"))
        target = tmp_path / "dask"
        sweep = subprocess.Popen(
            [sys.executable, "-m", "sim", "sweep", str(spec), "--scheduler", address,
             "--out", str(target), "--quiet"], cwd=REPO, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO),
                                                             os.environ.get("PYTHONPATH", "")])))
        records = target / "members"
        _wait_for(lambda: records.is_dir() and any(records.glob("*.json")), 300,
                  "the first finished member")
        os.killpg(procs[1].pid, signal.SIGKILL)  # worker w0 dies mid-sweep
        output, _ = sweep.communicate(timeout=600)
        assert sweep.returncode == 0, output
        assert "2 workers" in output or "workers" in output
        pd.testing.assert_frame_equal(_rows(target), _rows(out))
        assert procs[1].wait(timeout=10) != 0 and procs[2].poll() is None
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_scheduler_unreachable_is_one_line(tmp_path: Path, capsys) -> None:
    spec = write_spec(tmp_path, members=2)
    rc = main(["sweep", str(spec), "--scheduler", "tcp://127.0.0.1:9", "--out",
               str(tmp_path / "o"), "--quiet"])
    assert rc == 2
    assert "cannot connect" in capsys.readouterr().err


def test_sweep_options_conflict(tmp_path: Path) -> None:
    from sim import app

    with pytest.raises(InputError, match="--scheduler"):
        app.sweep(write_spec(tmp_path), scheduler="tcp://127.0.0.1:9", serial=True)
