"""Heavy benchmarks (``BENCH_HEAVY=1``): sweep throughput on 1 vs 2 Dask workers, and full
runs of the synthetic regional test region at four sizes. Not part of CI (they take
~20 min on 2 cores); their figures go to benchmarks/README.md.

Run::

    BENCH_HEAVY=1 python -m pytest benchmarks/test_bench_heavy.py --benchmark-enable \\
        --benchmark-json=.benchmarks/heavy.json
    python benchmarks/ratios.py .benchmarks/heavy.json     # 2 workers vs 1 (information)
    python benchmarks/scale_report.py .benchmarks/heavy.json  # time, memory, exponent

``BENCH_SCALE_SIZES=1000,5000`` picks other region sizes.

* ``sweep_demo[48 members]``: the same 48-member demo sweep (every member with its own
  travel-time matrices, so members are independent) on the sweep's ``LocalCluster`` of 2
  and of 1 single-threaded worker processes, started and warmed up (``sim`` imported, kernels
  loaded) before timing and shut down after it; ratio = 1-worker time / 2-worker time.
* ``full_run[synthetic_N]``: ``baerum-sim run`` of a growth scenario on
  ``synthetic_N`` (:mod:`sim.region.synthetic`) in a fresh process with an empty matrix
  cache: wall time, and the process's peak resident memory in ``extra_info``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
HEAVY = os.environ.get("BENCH_HEAVY", "") not in ("", "0")
pytestmark = pytest.mark.skipif(not HEAVY, reason="heavy benchmarks: set BENCH_HEAVY=1")
SIZES = [int(s) for s in os.environ.get("BENCH_SCALE_SIZES", "1000,5000,10000,20000").split(",")]

#: Members of the timed sweep: a demo member takes ~2.6 s on one core, the sweep's own
#: work (drawing members, the table, charts and report) ~3 s whatever the size.
MEMBERS = 48

SWEEP = f"""
[sweep]
name = "bench_workers"
scenarios = ["{(REPO / 'scenarios' / 'demo.toml').as_posix()}"]
method = "latin_hypercube"
members = {MEMBERS}
seed = 11

[[inputs]]
target = "model.walk_speed_mps"
distribution = "uniform"
low = 1.1
high = 1.5

[[inputs]]
target = "growth.scale"
distribution = "uniform"
low = 0.7
high = 1.3
"""


def _warm_worker() -> str:
    """Import the model, load the demo region and the path kernels in a worker."""
    from sim.graph.warmup import warm_kernels
    from sim.region.load import load_region

    load_region("demo")
    warm_kernels()
    return "ok"


@contextmanager
def _cluster(n_workers: int, tmp: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The sweep's own ``LocalCluster`` (:func:`sim.sweep.execute.dask_client`) of
    ``n_workers`` processes, warmed up; its start and shutdown are not timed. Yields the
    scheduler address."""
    from sim.sweep.execute import dask_client

    monkeypatch.setenv("BAERUM_SIM_CACHE", str(tmp / f"cache{n_workers}"))
    monkeypatch.setenv("NUMBA_NUM_THREADS", "1")
    with dask_client(None, n_workers) as client:
        client.run(_warm_worker)
        yield client.scheduler.address


def _sweep_once(address: str, n_workers: int, tmp: Path) -> None:
    from sim import app

    spec = tmp / "sweep.toml"
    spec.write_text(SWEEP, encoding="utf-8")
    run = app.sweep(spec, out=tmp / f"out{n_workers}", scheduler=address)
    assert run.ran == MEMBERS


@pytest.mark.parametrize("impl", ["ours", "one_worker"])
def test_sweep_workers(benchmark: Any, impl: str, tmp_path: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The same sweep on 2 worker processes (ours) and on 1 (the anchor): drawing the
    members, running them, the table, charts and report."""
    n = 2 if impl == "ours" else 1
    benchmark.group = f"sweep_demo[{MEMBERS} members]"
    benchmark.extra_info.update({"impl": impl, "mode": "heavy", "workers": n,
                                 "members": MEMBERS})
    with _cluster(n, tmp_path, monkeypatch) as address:
        benchmark.pedantic(_sweep_once, args=(address, n, tmp_path), rounds=1, iterations=1)


def synthetic_scenario(n_cells: int) -> str:
    """A growth scenario for ``synthetic_<n_cells>``: 1 dwelling per 20 residents, 90 %
    in the growth areas and stations, the rest in two towns that are not prioritised."""
    from sim.region.synthetic import region_name, synthetic_region

    region = synthetic_region(n_cells)
    prio = [a.name for a in region.areas if a.priority]
    other = [a.name for a in region.areas if not a.priority and a.earliest_year is None][:2]
    total = float(region.cells.population.sum()) / 20
    lines = [f'[scenario]\nname = "scale_{n_cells}"\nregion = "{region_name(n_cells)}"\n'
             "base_year = 2023\ntarget_years = [2030, 2040]\n"]
    for names, share in ((prio, 0.9), (other, 0.1)):
        for name in names:
            lines.append(f'[[growth]]\narea = "{name}"\ndwellings = '
                         f"{round(total * share / len(names))}\njobs = "
                         f"{round(0.5 * total * share / len(names))}\nfrom_year = 2024\n"
                         "to_year = 2040\n")
    return "\n".join(lines)


CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from sim.cli import main
rc = main(["run", sys.argv[1], "--out", sys.argv[2], "--quiet"])
info = {"rc": rc, "seconds": time.perf_counter() - t0,
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}
print(json.dumps(info))
"""


def _full_run(n_cells: int, tmp: Path) -> dict[str, Any]:
    scenario = tmp / f"scale_{n_cells}.toml"
    scenario.write_text(synthetic_scenario(n_cells), encoding="utf-8")
    env = dict(os.environ, BAERUM_SIM_CACHE=str(tmp / "cache"),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", CHILD, str(scenario), str(tmp / "result")],
                         env=env, capture_output=True, text=True, check=True)
    info = json.loads(out.stdout.strip().splitlines()[-1])
    assert info["rc"] == 0, out.stderr
    return info


@pytest.mark.parametrize("n_cells", SIZES)
def test_full_run_synthetic(benchmark: Any, n_cells: int) -> None:
    """A full run (all stages, four modelled years) of the synthetic region of ``n_cells``."""
    from sim.region.synthetic import synthetic_region

    region = synthetic_region(n_cells)
    info: dict[str, Any] = {}

    def job() -> None:
        with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
            info.update(_full_run(n_cells, Path(tmp)))

    benchmark.group = f"full_run[synthetic_{n_cells}]"
    benchmark.pedantic(job, rounds=1, iterations=1)
    benchmark.extra_info.update({
        "impl": "ours", "mode": "heavy", "scale_cells": n_cells, "case": "full_run",
        "street_nodes": region.streets.n_nodes, "stops": len(region.stops),
        "peak_rss_gb": round(info["peak_rss_gb"], 3), "child_seconds": info["seconds"]})
