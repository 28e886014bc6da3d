"""Compare two or more results side by side: goals and mode shares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim import settings
from sim.errors import InputError
from sim.plots import GOAL_LABELS, MODE_COLOURS, MODE_LABELS, synthetic_tag
from sim.results import read_summary


def comparison_table(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per result: goal values and verdicts, mode shares, basket share."""
    rows = []
    for s in summaries:
        row: dict[str, Any] = {"scenario": s["scenario"]["name"], "synthetic": s["synthetic"]}
        for key in GOAL_LABELS:
            row[f"{key}_value"] = s["goals"][key]["value"]
            row[f"{key}_target"] = s["goals"][key]["target"]
            row[f"{key}_pass"] = s["goals"][key]["pass"]
        row.update({f"share_{m}": s["mode_shares"][m] for m in MODE_COLOURS})
        rows.append(row)
    return rows


def compare_results(result_dirs: list[Path], out: Path | None = None) -> Path:
    """Write ``goals_compare.png``, ``mode_shares_compare.png`` and ``compare.json``."""
    if len(result_dirs) < 2:
        raise InputError("compare: give at least two results directories")
    summaries = [read_summary(d) for d in result_dirs]
    names = [s["scenario"]["name"] for s in summaries]
    if out is None:
        out = settings.RESULTS_DIR / ("compare_" + "_vs_".join(names))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    tag = synthetic_tag(any(s["synthetic"] for s in summaries))

    fig, axes = plt.subplots(1, 3, figsize=(12, 3.8))
    for ax, (key, label) in zip(axes, GOAL_LABELS.items(), strict=True):
        values = [s["goals"][key]["value"] for s in summaries]
        colours = ["#2ca02c" if s["goals"][key]["pass"] else "#d62728" for s in summaries]
        ax.bar(names, values, color=colours)
        for s_i, s in enumerate(summaries):
            ax.hlines(s["goals"][key]["target"], s_i - 0.4, s_i + 0.4, colors="black",
                      linestyles="--", linewidth=1)
        ax.set_title(label, fontsize=9)
        ax.tick_params(axis="x", labelrotation=20, labelsize=8)
    fig.suptitle(f"Goals (green = holds, dashed = target){tag}", fontsize=10)
    fig.tight_layout()
    fig.savefig(out / "goals_compare.png", dpi=110, metadata={"Software": None})
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(1.6 * len(names) + 4, 4))
    bottom = np.zeros(len(names))
    for mode, colour in MODE_COLOURS.items():
        share = np.array([s["mode_shares"][mode] for s in summaries])
        ax.bar(names, share, bottom=bottom, color=colour, label=MODE_LABELS[mode])
        bottom += share
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", bbox_to_anchor=(1, 1), fontsize=8)
    ax.set_title(f"Mode shares, final year{tag}", fontsize=9)
    fig.savefig(out / "mode_shares_compare.png", dpi=110, bbox_inches="tight",
                metadata={"Software": None})
    plt.close(fig)

    (out / "compare.json").write_text(
        json.dumps(comparison_table(summaries), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    return out
