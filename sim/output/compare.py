"""Compare two or more results side by side; the first result is the reference.

Writes, into one directory that appears only when complete:

- ``goals_compare.png``: goal dashboard, value and margin per scenario, FAIL marked,
  rule breaks of the placement goal listed;
- ``mode_shares_compare.png``: mode shares of the final year;
- ``access_cdf_compare.png``: resident-weighted CDFs of walking distance per function;
- ``basket_groups_compare.png``: basket share of existing, new and all residents;
- ``nullvekst_compare.png``: car vehicle-km index (reference year = 100) and the share
  of trip growth taken by walking, cycling and PT per stage;
- ``difference_<nn>_<scenario>.png``: per scenario, maps of the per-cell difference
  (scenario − reference) of the measures that changed (residents, ``n_within``, walking
  distance per function), with the counts of better and worse cells;
  ``differences.txt`` names the scenarios without any per-cell difference;
- ``compare.json`` (one object per scenario) and ``compare.csv`` (one row per scenario).

Every figure says so when any input rests on synthetic data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim._fs import atomic_dir, json_clean
from sim.output import compare_plots as plots
from sim.output.compare_tables import (
    DIFF_COLUMNS,
    DIST_CAP_M,
    CompareInput,
    access_summary,
    cell_differences,
    comparison_table,
    difference_stats,
    load_inputs,
    nullvekst_trajectory,
)
from sim.output.style import synthetic_tag


def _tables(inputs: list[CompareInput], trajectories: list[list[dict[str, Any]]],
            diffs: dict[str, dict[str, pd.DataFrame]], out: Path) -> None:
    """``compare.csv`` (one row per result) and ``compare.json`` (one object per result)."""
    ref = inputs[0]
    flat = comparison_table([i.summary for i in inputs])
    for row, inp, traj in zip(flat, inputs, trajectories, strict=True):
        row["scenario"] = inp.name
        row["reference"] = inp is ref
        row["car_vkm_index_final"] = traj[-1]["index"]
        nullvekst = inp.summary.goals.nullvekst
        row["growth_share_walk_bike_pt_final"] = nullvekst.growth_share_walk_bike_pt
    frame = pd.DataFrame(flat)
    frame = frame[["scenario", "reference", *[c for c in frame if c not in
                                              ("scenario", "reference")]]]
    frame.to_csv(out / "compare.csv", index=False, float_format="%.6g")
    rows = []
    for row, inp, traj in zip(flat, inputs, trajectories, strict=True):
        stats = None if inp is ref else {c: difference_stats(t, c)
                                         for c, t in diffs[inp.name].items()}
        groups = {g: v.model_dump() for g, v in inp.summary.basket.groups.items()}
        rows.append({**row, "path": str(inp.path), "data_note": inp.summary.data_note,
                     "basket_groups": groups, "access": access_summary(inp),
                     "nullvekst_trajectory": traj, "difference_vs_reference": stats})
    (out / "compare.json").write_text(
        json.dumps(json_clean(rows), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def compare_results(result_dirs: list[Path], out: Path, force: bool = False) -> Path:
    """Compare results (the first is the reference) and write the plots and tables to ``out``.

    The directory is written beside ``out`` and moved into place when complete.
    """
    inputs = load_inputs([Path(d) for d in result_dirs])
    out = Path(out)
    # the strongest data warning of any input
    tag = max((synthetic_tag(i.summary.data_status) for i in inputs), key=len)
    ref = inputs[0]
    trajectories = [nullvekst_trajectory(i.summary) for i in inputs]
    diffs = {o.name: {c: cell_differences(ref.cells, o.cells, c,
                                          cap=DIST_CAP_M if c.startswith("dist_") else None)
                      for c in DIFF_COLUMNS} for o in inputs[1:]}
    with atomic_dir(out, "comparison", force, inputs=tuple(i.path for i in inputs)) as tmp:
        plots.plot_goals(inputs, tmp / "goals_compare.png", tag)
        plots.plot_mode_shares(inputs, tmp / "mode_shares_compare.png", tag)
        plots.plot_access_cdfs(inputs, tmp / "access_cdf_compare.png", tag)
        plots.plot_basket_groups(inputs, tmp / "basket_groups_compare.png", tag)
        plots.plot_nullvekst(inputs, trajectories, tmp / "nullvekst_compare.png", tag)
        plots.plot_difference_maps(inputs, diffs, tmp, tag)
        _tables(inputs, trajectories, diffs, tmp)
    return out
