"""Measure Numba compile time of :mod:`sim.graph`: fresh cache vs on-disk cache.

Runs two subprocesses with the same empty ``NUMBA_CACHE_DIR``: the first
compiles every kernel and writes the cache, the second loads it. Each reports
the wall time of the first call of every public function on a tiny graph.

Usage: ``python benchmarks/compile_time.py``
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, time
t0 = time.perf_counter()
import numpy as np
from sim.graph import Graph, k_nearest, many_to_many, multi_source, one_to_all
t_import = time.perf_counter() - t0
g = Graph.from_edges([0, 1, 2], [1, 2, 0], [1.0, 2.0, 3.0], n_nodes=4, directed=True)
times = {"import": t_import}
for name, call in [
    ("one_to_all", lambda: one_to_all(g, [0, 1])),
    ("multi_source", lambda: multi_source(g, [0, 1])),
    ("k_nearest", lambda: k_nearest(g, [0, 1], 2)),
    ("many_to_many", lambda: many_to_many(g, [0, 1], [2, 3])),
    ("prepare (CH)", lambda: g.prepare()),
    ("phast", lambda: one_to_all(g, [0, 1], method="phast")),
    ("multi_source phast", lambda: multi_source(g, [0, 1], method="phast")),
]:
    t = time.perf_counter()
    call()
    times[name] = time.perf_counter() - t
times["total"] = time.perf_counter() - t0
print(json.dumps(times))
"""


def run_child(cache_dir: str) -> dict[str, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    with tempfile.TemporaryDirectory() as cache:
        first = run_child(cache)
        second = run_child(cache)
    print("| first call of | fresh cache (s) | on-disk cache (s) |\n|---|---:|---:|")
    for key in first:
        print(f"| {key} | {first[key]:.2f} | {second[key]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
