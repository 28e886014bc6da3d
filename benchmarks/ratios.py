"""Median speed-up ratios (anchor time / our time) from pytest-benchmark JSON output.

Usage::

    python benchmarks/ratios.py RESULT.json [RESULT2.json ...]
        [--baseline benchmarks/baseline.json] [--update-baseline] [--tolerance 0.30]

Prints one row per benchmark group with ``anchor median / ours median`` for each
anchor (networkx medians are multiplied by their ``extra_info["scale"]``). The
ratio against scipy is compared with the committed baseline for the run's mode
(``short`` or ``full``, from ``extra_info["mode"]``); the script exits with
status 1 when any of them is more than ``tolerance`` (default 30 %) below its
baseline. ``--update-baseline`` writes the measured scipy ratios into the
baseline file for this mode instead. With several result files (same mode),
the table shows the first; the check uses the best ratio per group across the
files (a regression must show in every run), and ``--update-baseline`` stores
the worst (a conservative baseline on a noisy shared machine).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

DEFAULT_BASELINE = Path(__file__).with_name("baseline.json")


def load_ratios(result: Path) -> tuple[str, dict[str, dict[str, float]]]:
    """Return (mode, {row: {anchor: anchor_median / ours_median, "_ours_s": ours median}}).

    A row is a benchmark group, or ``group (variant)`` for additional variants
    of ours such as ``ours_dijkstra``; anchors are the implementations whose
    name does not start with ``ours``.
    """
    data = json.loads(result.read_text())
    medians: dict[str, dict[str, float]] = defaultdict(dict)
    modes = set()
    for bench in data["benchmarks"]:
        info: dict[str, Any] = bench.get("extra_info", {})
        impl = info.get("impl")
        if impl is None:
            continue
        modes.add(info.get("mode", "full"))
        medians[bench["group"]][impl] = bench["stats"]["median"] * float(info.get("scale", 1.0))
    if len(modes) > 1:
        raise SystemExit(f"result mixes benchmark modes {sorted(modes)}")
    ratios: dict[str, dict[str, float]] = {}
    for group, impls in sorted(medians.items()):
        anchors = {k: v for k, v in sorted(impls.items()) if not k.startswith("ours")}
        for variant in sorted(k for k in impls if k.startswith("ours")):
            row = group if variant == "ours" else f"{group} ({variant})"
            ours = impls[variant]
            ratios[row] = {k: v / ours for k, v in anchors.items()}
            ratios[row]["_ours_s"] = ours
    return (modes.pop() if modes else "full"), ratios


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "result", type=Path, nargs="+", help="pytest-benchmark --benchmark-json output(s)"
    )
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--tolerance", type=float, default=0.30)
    args = parser.parse_args(argv)

    runs = [load_ratios(path) for path in args.result]
    mode, ratios = runs[0]
    if any(m != mode for m, _ in runs):
        raise SystemExit("result files come from different benchmark modes")
    scipy_runs = [{g: r["scipy"] for g, r in rr.items() if "scipy" in r} for _, rr in runs]
    anchors = sorted({a for r in ratios.values() for a in r if not a.startswith("_")})
    print(f"mode: {mode}; cores: {os.cpu_count()}; ratio = anchor median / ours median")
    print("| group | ours median (s) | " + " | ".join(anchors) + " |")
    print("|---|---:|" + "---:|" * len(anchors))
    for group, r in ratios.items():
        cells = [f"{r[a]:.2f}x" if a in r else "-" for a in anchors]
        print(f"| {group} | {r['_ours_s']:.4f} | " + " | ".join(cells) + " |")

    baseline: dict[str, dict[str, float]] = (
        json.loads(args.baseline.read_text()) if args.baseline.exists() else {}
    )
    if args.update_baseline:
        baseline[mode] = {
            g: round(min(run.get(g, v) for run in scipy_runs), 3)
            for g, v in scipy_runs[0].items()
            if "(" not in g
        }
        args.baseline.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        print(f"baseline for mode {mode!r} written to {args.baseline}")
        return 0

    base = baseline.get(mode, {})
    if not base:
        print(f"no baseline for mode {mode!r} in {args.baseline}; nothing to compare")
        return 0
    failed = []
    for group, ref in sorted(base.items()):
        vals = [run[group] for run in scipy_runs if group in run]
        got = max(vals) if vals else None
        if got is None:
            print(f"warning: baseline group {group!r} missing from the result")
            continue
        floor = ref * (1.0 - args.tolerance)
        status = "ok" if got >= floor else "REGRESSION"
        print(f"{group}: vs scipy {got:.2f}x (baseline {ref:.2f}x, floor {floor:.2f}x) {status}")
        if got < floor:
            failed.append(group)
    if failed:
        print(f"ratio against scipy regressed >{args.tolerance:.0%} in: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
