"""Cold and warm start of a demo run: what the first run after an install pays.

Runs, each in a fresh process with its own empty matrix cache (so only the compiled
kernels differ):

1. ``baerum-sim run scenarios/demo.toml`` with an empty Numba cache (cold: every kernel
   it uses is compiled on first call);
2. ``baerum-sim warmup`` with another empty Numba cache (compiles every kernel);
3. the same run again on the cache ``warmup`` filled (warm).

Usage: ``python benchmarks/cold_start.py [--json OUT.json]``. Prints wall and CPU
seconds of each step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _step(args: list[str], numba_cache: Path, matrix_cache: Path) -> dict[str, float]:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(numba_cache), BAERUM_SIM_CACHE=str(matrix_cache),
               PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sim", *args, "--quiet"], env=env, cwd=REPO,
                   check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(time.perf_counter() - t0, 2), "cpu_s": round(cpu, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    demo = str(REPO / "scenarios" / "demo.toml")
    with tempfile.TemporaryDirectory(prefix="cold-start-") as tmp:
        t = Path(tmp)
        result = {
            "cold run (empty Numba cache)": _step(["run", demo, "--out", str(t / "r1")],
                                                  t / "numba_cold", t / "m1"),
            "baerum-sim warmup (empty Numba cache)": _step(["warmup"], t / "numba_warm",
                                                           t / "m2"),
            "warm run (after warmup)": _step(["run", demo, "--out", str(t / "r2")],
                                             t / "numba_warm", t / "m3"),
        }
    print("| step | wall (s) | CPU (s) |\n|---|---:|---:|")
    for name, r in result.items():
        print(f"| {name} | {r['wall_s']:.1f} | {r['cpu_s']:.1f} |")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
