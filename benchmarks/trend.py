"""Plot each benchmark ratio across the history records and flag drops.

Usage::

    python benchmarks/trend.py [--history benchmarks/history] [--out .benchmarks/trend.png]
        [--mode full|short] [--all] [--tolerance 0.30]

Reads every record in ``benchmarks/history/`` (written by ``ratios.py --record LABEL``,
one per significant change, with the machine it ran on), orders them by date and draws
one panel per ratio: the gated ratios (single-threaded ours against single-threaded
scipy, multi-origin PHAST against one-origin PHAST) and, with ``--all``, the parallel
ratios against scipy too. A ratio is flagged as a drop when it is more than
``tolerance`` below the same ratio in the previous record of the same mode; drops are
printed, marked red in the plot, and make the exit status 1 with ``--strict``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

HERE = Path(__file__).resolve().parent


def load_records(history: Path, mode: str | None) -> list[dict[str, Any]]:
    """History records (oldest first), of one mode when given."""
    records = [json.loads(p.read_text()) | {"_file": p.name}
               for p in sorted(history.glob("*.json"))]
    records = [r for r in records if mode is None or r.get("mode") == mode]
    return sorted(records, key=lambda r: (r.get("date", ""), r["_file"]))


def series(records: list[dict[str, Any]], everything: bool) -> dict[str, list[float | None]]:
    """Per row (``row [mode] vs anchor``): its ratio in each record (None where absent);
    for gated rows the CPU-time ratio the check uses, else the wall-clock ratio."""
    names: dict[str, tuple[str, str, str]] = {}
    for r in records:
        for row, anchor in r.get("gates", {}).items():  # gated: the CPU-time ratio
            names[f"{row} [{r['mode']}] vs {anchor}"] = (r["mode"], row, "_gate_cpu")
        if everything:
            for row, ratios in r.get("ratios", {}).items():
                if "scipy" in ratios and row not in r.get("gates", {}):
                    names[f"{row} [{r['mode']}] vs scipy (info)"] = (r["mode"], row, "scipy")
    out: dict[str, list[float | None]] = {}
    for name, (mode, row, key) in sorted(names.items()):
        out[name] = [r["ratios"].get(row, {}).get(key) if r["mode"] == mode else None
                     for r in records]
    return out


def drops(values: list[float | None], tolerance: float) -> list[int]:
    """Indices where a ratio fell more than ``tolerance`` below the previous value."""
    found, prev = [], None
    for i, v in enumerate(values):
        if v is None:
            continue
        if prev is not None and v < prev * (1.0 - tolerance):
            found.append(i)
        prev = v
    return found


def plot(records: list[dict[str, Any]], data: dict[str, list[float | None]],
         flagged: dict[str, list[int]], out: Path) -> Path:
    """One small panel per ratio; x = record (label and date), drops in red."""
    n = len(data)
    cols = 3
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 2.6 * rows), squeeze=False)
    labels = [f"{r.get('label') or r['_file'][:15]}\n{r.get('date', '')[:10]}" for r in records]
    for ax, (name, values) in zip(axes.ravel(), data.items(), strict=False):
        xs = [i for i, v in enumerate(values) if v is not None]
        ys = [values[i] for i in xs]
        ax.plot(xs, ys, "o-", color="#377eb8")
        bad = flagged.get(name, [])
        ax.plot(bad, [values[i] for i in bad], "o", color="#d62728", ms=9, label="drop")
        for x, y in zip(xs, ys, strict=True):
            ax.annotate(f"{y:.2f}", (x, y), textcoords="offset points", xytext=(0, 5),
                        ha="center", fontsize=7)
        ax.axhline(1.0, color="#999", lw=0.8, ls=":")
        ax.set_title(name, fontsize=8)
        ax.set_xticks(range(len(records)), labels, fontsize=6, rotation=20, ha="right")
        ax.set_ylim(0, max([*ys, 1.0]) * 1.25)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    machines = sorted({f"{r['machine'].get('cpu', '?')} ({r['machine'].get('cores')} cores)"
                       for r in records})
    fig.suptitle("baerum-sim path engine: speed-up ratios across history records\n"
                 + "; ".join(machines), fontsize=10)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90, metadata={"Software": None})
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=Path, default=HERE / "history")
    parser.add_argument("--out", type=Path, default=HERE.parent / ".benchmarks" / "trend.png")
    parser.add_argument("--mode", default=None, help="only records of this mode")
    parser.add_argument("--all", action="store_true", help="also the parallel ratios")
    parser.add_argument("--tolerance", type=float, default=0.30)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a ratio dropped")
    args = parser.parse_args(argv)
    records = load_records(args.history, args.mode)
    if not records:
        print(f"no history records in {args.history}")
        return 1
    data = series(records, args.all)
    flagged = {name: d for name, values in data.items() if (d := drops(values, args.tolerance))}
    for r in records:
        print(f"record {r['_file']}: {r.get('label')} mode {r['mode']} commit {r.get('commit')}"
              f" on {r['machine'].get('cpu')} (load {r['machine'].get('load_average_1m')})")
    for name, idx in flagged.items():
        for i in idx:
            prev = next(v for v in reversed(data[name][:i]) if v is not None)
            print(f"DROP {name}: {prev:.2f}x -> {data[name][i]:.2f}x in {records[i]['_file']}")
    print(f"{len(data)} ratios over {len(records)} records; {sum(map(len, flagged.values()))}"
          f" drop(s); plot written to {plot(records, data, flagged, args.out)}")
    return 1 if (flagged and args.strict) else 0


if __name__ == "__main__":
    sys.exit(main())
