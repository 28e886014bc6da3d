"""Median speed-up ratios (anchor time / our time) from pytest-benchmark JSON output.

Usage::

    python benchmarks/ratios.py RESULT.json [RESULT2.json ...]
        [--baseline benchmarks/baseline.json] [--update-baseline] [--tolerance 0.30]
        [--json RATIOS.json] [--record LABEL]

Prints one row per benchmark group and variant of ours with ``anchor median / ours
median`` for each anchor (networkx medians are multiplied by their
``extra_info["scale"]``).

Only *gated* rows fail the check. They come from ``test_gate`` in
``test_bench_paths.py`` (``extra_info["gate_ratios"]``): single-threaded ours against
single-threaded scipy (e.g. ``one_to_all[oslo] (ours_dijkstra_1t)``), and multi-origin
against one-origin PHAST, timed on CPU time and *interleaved* (each round runs the
anchor and the variants back to back, so they see the same speed of a shared core); the
gated ratio is the median over rounds. Such ratios hardly move when other processes
load the machine, unlike the wall-clock ratios of the parallel kernels, which are
printed as information only. The script exits with status 1 when a gated ratio is more
than ``tolerance`` (default 30 %) below its baseline for the run's mode (``short`` or
``full``, from ``extra_info["mode"]``), or when a row of that baseline is not a gated
row of the run (a renamed or dropped benchmark updates the baseline; without the shared
data the Oslo rows are missing and the check fails). ``--update-baseline`` writes the
measured gated ratios, with the machine they came from, into the baseline file instead.

With several result files (same mode) the table shows the first; the check uses
the best ratio per row across the files (a regression must show in every run) and
``--update-baseline`` stores the worst (a conservative baseline on a noisy shared
machine).

``--json`` saves the table, the check and the machine as JSON; ``--record LABEL``
also saves it under ``benchmarks/history/`` (one record per significant change,
committed; ``benchmarks/trend.py`` plots them).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_BASELINE = HERE / "baseline.json"
HISTORY = HERE / "history"


def machine() -> dict[str, Any]:
    """The machine a measurement came from: CPU model, cores, load and library versions."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("numpy", "numba", "scipy"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = None
    load = os.getloadavg() if hasattr(os, "getloadavg") else (None, None, None)
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        **versions,
        "load_average_1m": None if load[0] is None else round(load[0], 2),
    }


def load_ratios(
    result: Path,
) -> tuple[str, dict[str, dict[str, float]], dict[str, str]]:
    """Return ``(mode, ratios, gates)`` of one pytest-benchmark JSON file.

    ``ratios`` is ``{row: {anchor: anchor_median / ours_median, "_ours_s": ours median}}``
    (wall-clock medians); a row is a benchmark group, or ``group (variant)`` for further
    variants of ours such as ``ours_dijkstra_1t``; anchors are the implementations whose
    name does not start with ``ours``. ``gates`` maps each gated row to its anchor; a
    gated row also has ``"_gate_cpu"``: the median over the gate's interleaved rounds of
    the anchor's CPU time over ours.
    """
    data = json.loads(result.read_text())
    medians: dict[str, dict[str, float]] = defaultdict(dict)
    gate_runs: dict[str, tuple[str, float]] = {}
    modes = set()
    for bench in data["benchmarks"]:
        info: dict[str, Any] = bench.get("extra_info", {})
        impl = info.get("impl")
        if impl is None:
            continue
        modes.add(info.get("mode", "full"))
        if impl == "gate":
            group = bench["group"].removeprefix("gate:")
            for variant, values in info["gate_ratios"].items():
                row = group if variant == "ours" else f"{group} ({variant})"
                gate_runs[row] = (info["gate_anchor"], statistics.median(values))
            continue
        scale = float(info.get("scale", 1.0))
        medians[bench["group"]][impl] = bench["stats"]["median"] * scale
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
    gates: dict[str, str] = {}
    for row, (anchor, value) in sorted(gate_runs.items()):
        gates[row] = anchor
        ratios.setdefault(row, {})["_gate_cpu"] = value
    return (modes.pop() if modes else "full"), ratios, gates


def print_table(mode: str, ratios: dict[str, dict[str, float]], gates: dict[str, str]) -> None:
    """The ratio table as Markdown; gated rows are marked with ``*``."""
    anchors = sorted({a for r in ratios.values() for a in r if not a.startswith("_")})
    print(f"mode: {mode}; cores: {os.cpu_count()}; ratio = anchor median / ours median "
          "(wall clock); gate = CPU-time ratio of a gated row (single-threaded ours against "
          "its single-threaded anchor, interleaved rounds, median)")
    print("| group | ours median (s) | " + " | ".join(anchors) + " | gate (CPU) |")
    print("|---|---:|" + "---:|" * (len(anchors) + 1))
    for row, r in ratios.items():
        cells = [f"{r[a]:.2f}x" if a in r else "-" for a in anchors]
        gate = f"{r['_gate_cpu']:.2f}x vs {gates[row]}" if row in gates else "-"
        ours = f"{r['_ours_s']:.4f}" if "_ours_s" in r else "-"
        print(f"| {row} | {ours} | " + " | ".join(cells) + f" | {gate} |")


def check(
    base: dict[str, float], runs: list[dict[str, float]], tolerance: float
) -> dict[str, dict[str, Any]]:
    """Each baseline row: the best measured ratio, its floor and ``ok``/``REGRESSION``."""
    out: dict[str, dict[str, Any]] = {}
    for row, ref in sorted(base.items()):
        vals = [run[row] for run in runs if row in run]
        floor = ref * (1.0 - tolerance)
        if not vals:
            out[row] = {"baseline": ref, "floor": floor, "ratio": None, "status": "missing"}
            continue
        got = max(vals)
        status = "ok" if got >= floor else "REGRESSION"
        out[row] = {"baseline": ref, "floor": round(floor, 4), "ratio": round(got, 4),
                    "status": status}
    return out


def git_commit() -> str | None:
    """The checked-out commit of the repository (None outside git)."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=HERE,
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def record_path(label: str, when: datetime) -> Path:
    """``benchmarks/history/<UTC time>_<label>.json``."""
    slug = re.sub(r"[^\w.-]+", "-", label).strip("-") or "record"
    return HISTORY / f"{when.strftime('%Y%m%dT%H%M%SZ')}_{slug}.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "result", type=Path, nargs="+", help="pytest-benchmark --benchmark-json output(s)"
    )
    parser.add_argument("--baseline", type=Path, default=DEFAULT_BASELINE)
    parser.add_argument("--update-baseline", action="store_true")
    parser.add_argument("--tolerance", type=float, default=0.30)
    parser.add_argument("--json", type=Path, default=None, help="save the table as JSON")
    parser.add_argument("--record", default=None, metavar="LABEL",
                        help="also save it as a history record under benchmarks/history/")
    parser.add_argument("--commit", default=None,
                        help="commit the measured code came from (default: git HEAD)")
    args = parser.parse_args(argv)

    runs = [load_ratios(path) for path in args.result]
    mode, ratios, gates = runs[0]
    if any(m != mode for m, _, _ in runs):
        raise SystemExit("result files come from different benchmark modes")
    for _, _, g in runs[1:]:
        gates.update(g)
    gated = [{row: rr[row]["_gate_cpu"] for row in gates if "_gate_cpu" in rr.get(row, {})}
             for _, rr, _ in runs]
    print_table(mode, ratios, gates)

    baseline: dict[str, Any] = (
        json.loads(args.baseline.read_text()) if args.baseline.exists() else {}
    )
    if args.update_baseline:
        baseline[mode] = {row: round(min(run.get(row, v) for run in gated), 3)
                          for row, v in gated[0].items()}
        baseline.setdefault("machines", {})[mode] = {
            **machine(), "measured": datetime.now(UTC).strftime("%Y-%m-%d"),
            "runs": len(runs), "rule": "worst gated ratio of the runs given"}
        args.baseline.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        print(f"baseline for mode {mode!r} written to {args.baseline}")
        return 0

    base = baseline.get(mode, {})
    result = check(base, gated, args.tolerance)
    for row, c in result.items():
        if c["ratio"] is None:
            print(f"MISSING: baseline row {row!r} is not a gated row of this run")
            continue
        print(f"{row}: vs {gates.get(row, '?')} {c['ratio']:.2f}x (baseline "
              f"{c['baseline']:.2f}x, floor {c['floor']:.2f}x) {c['status']}")
    if not base:
        print(f"no baseline for mode {mode!r} in {args.baseline}; nothing to compare")
    # a gated row the baseline expects but the run lacks (renamed, dropped, skipped) fails
    # too: otherwise a check could pass without comparing anything
    failed = [row for row, c in result.items() if c["status"] in ("REGRESSION", "missing")]
    when = datetime.now(UTC)
    table = {
        "date": when.isoformat(timespec="microseconds"), "commit": args.commit or git_commit(),
        "label": args.record, "mode": mode, "tolerance": args.tolerance,
        "machine": machine(), "sources": [str(p) for p in args.result],
        "ratios": {row: {k: round(v, 6) for k, v in r.items()} for row, r in ratios.items()},
        "gates": gates, "check": result, "passed": not failed,
    }
    targets = ([args.json] if args.json else []) + (
        [record_path(args.record, when)] if args.record else [])
    for path in targets:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(table, indent=2, sort_keys=True) + "\n")
        print(f"ratio table saved to {path}")
    if failed:
        print(f"gated ratio regressed >{args.tolerance:.0%} or missing in: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
