"""Cost of a full run against region size, from the heavy benchmarks' JSON.

Usage: ``python benchmarks/scale_report.py .benchmarks/heavy.json [--json OUT.json]``

Prints, per synthetic region size: populated cells, street nodes, stops, wall time and
peak memory of the full run, and the growth exponents ``b`` of ``time ~ cells^b`` and
``memory ~ cells^b`` (least squares on the logarithms of all sizes measured), and the
time exponent between each two neighbouring sizes (where fixed costs weigh less).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np


def exponent(x: list[float], y: list[float]) -> float:
    """Slope of log(y) against log(x)."""
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("result", type=Path)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    data = json.loads(args.result.read_text())
    rows = sorted((b["extra_info"] | {"seconds": b["stats"]["median"]}
                   for b in data["benchmarks"] if b["extra_info"].get("case") == "full_run"),
                  key=lambda r: r["scale_cells"])
    if not rows:
        print("no full_run benchmarks in the file")
        return 1
    print("| cells | street nodes | stops | full run (s) | peak memory (GB) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['scale_cells']:,} | {r['street_nodes']:,} | {r['stops']} | "
              f"{r['seconds']:.1f} | {r['peak_rss_gb']:.2f} |")
    out = {"rows": rows}
    if len(rows) >= 2:
        cells = [r["scale_cells"] for r in rows]
        out["time_exponent"] = exponent(cells, [r["seconds"] for r in rows])
        out["memory_exponent"] = exponent(cells, [r["peak_rss_gb"] for r in rows])
        print(f"growth exponent: time ~ cells^{out['time_exponent']:.2f}, "
              f"peak memory ~ cells^{out['memory_exponent']:.2f} ({len(rows)} sizes)")
        # between neighbouring sizes: fixed costs weigh less as the region grows
        out["time_exponent_steps"] = [
            exponent(cells[i:i + 2], [r["seconds"] for r in rows[i:i + 2]])
            for i in range(len(rows) - 1)]
        print("time exponent between neighbouring sizes: " + ", ".join(
            f"{a:,}→{b:,}: {e:.2f}" for a, b, e in zip(cells[:-1], cells[1:],
                                                     out["time_exponent_steps"], strict=True)))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
