"""Tests of ``baerum-sim compare``: plots, tables, difference maps, trajectories, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from fixtures.demo import edited_copy

from sim.cli import main
from sim.output.compare import compare_results
from sim.output.compare_plots import changed_columns
from sim.output.compare_tables import (
    COMPARE_PLOTS,
    DIFF_COLUMNS,
    DIST_CAP_M,
    cell_differences,
    load_inputs,
    nullvekst_trajectory,
)
from sim.output.summary import read_summary

#: End-to-end: whole scenario runs through the CLI (still run by plain `pytest`).
pytestmark = pytest.mark.slow

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def compared(demo_results: dict[str, Path],
             tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One comparison of demo (reference) and demo_spredt, shared by the tests below."""
    out = tmp_path_factory.mktemp("compare") / "cmp"
    assert main(["compare", str(demo_results["demo"]), str(demo_results["demo_spredt"]),
                 "--out", str(out)]) == 0
    return out


def _one_line_error(capsys: pytest.CaptureFixture) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def test_every_plot_is_a_png(compared: Path) -> None:
    for name in COMPARE_PLOTS:
        assert (compared / name).read_bytes().startswith(PNG_SIGNATURE), name
    assert {"goals_compare.png", "mode_shares_compare.png", "access_cdf_compare.png",
            "basket_groups_compare.png", "nullvekst_compare.png"} <= set(COMPARE_PLOTS)
    assert sorted(p.name for p in compared.iterdir()) == sorted(
        [*COMPARE_PLOTS, "compare.csv", "compare.json", "difference_01_demo_spredt.png",
         "differences.txt", ".baerum-sim"])


def test_difference_maps_only_for_changed_measures(demo_results: dict[str, Path],
                                                   tmp_path: Path) -> None:
    same = edited_copy(demo_results["demo"], tmp_path / "same",
                       lambda s: s["scenario"].update(name="demo_copy"))
    out = compare_results([demo_results["demo"], demo_results["demo_spredt"], same],
                          tmp_path / "cmp")
    maps = sorted(p.name for p in out.glob("difference_*.png"))
    assert maps == ["difference_01_demo_spredt.png"]  # the copy has no difference
    assert "demo_copy: ingen forskjell" in (out / "differences.txt").read_text()
    inputs = load_inputs([demo_results["demo"], demo_results["demo_spredt"]])
    tables = {c: cell_differences(inputs[0].cells, inputs[1].cells, c,
                                  cap=DIST_CAP_M if c.startswith("dist_") else None)
              for c in DIFF_COLUMNS}
    changed = changed_columns(tables)
    assert changed == [c for c in DIFF_COLUMNS if (tables[c]["difference"] != 0).any()]
    assert "residents" in changed and len(changed) < len(DIFF_COLUMNS)


def test_compare_csv_rows_and_verdicts(compared: Path, demo_results: dict[str, Path]) -> None:
    table = pd.read_csv(compared / "compare.csv")
    assert list(table.scenario) == ["demo", "demo_spredt"]
    assert list(table.reference) == [True, False]
    assert list(table.placement_pass) == [True, False]
    assert table.synthetic.all()
    for row in table.itertuples():
        s = json.loads((demo_results[row.scenario] / "summary.json").read_text())
        for key in ("placement", "nullvekst", "kortreist"):
            assert getattr(row, f"{key}_pass") == s["goals"][key]["pass"]
            assert getattr(row, f"{key}_margin") == pytest.approx(
                s["goals"][key]["margin"], rel=1e-5)
        groups = s["basket"]["groups"]
        for group in ("existing", "new", "everyone"):
            assert getattr(row, f"basket_{group}") == pytest.approx(
                groups[group]["basket_share"], rel=1e-5)
        assert row.car_vkm_change_final == pytest.approx(s["goals"]["nullvekst"]["value"],
                                                         rel=1e-5)
    rows = json.loads((compared / "compare.json").read_text())
    assert [r["scenario"] for r in rows] == ["demo", "demo_spredt"]
    assert rows[0]["difference_vs_reference"] is None
    assert set(rows[1]["difference_vs_reference"]) >= {"n_within", "dist_transit_stop"}


@pytest.mark.parametrize("column", ["n_within", "dist_transit_stop", "residents"])
def test_cell_differences_match_the_gpkg_files(demo_results: dict[str, Path],
                                               column: str) -> None:
    a = gpd.read_file(demo_results["demo"] / "cells.gpkg", layer="cells")
    b = gpd.read_file(demo_results["demo_spredt"] / "cells.gpkg", layer="cells")
    # Make the distance differ in one cell, so the test does not pass on all-zero data.
    b = b.copy()
    lived = b.index[b.residents > 0]
    pick_cell = b.loc[lived[len(lived) // 2], "cell_id"]
    b.loc[b.cell_id == pick_cell, column] = b.loc[b.cell_id == pick_cell, column] + 3
    table = cell_differences(a, b.iloc[::-1], column)  # row order must not matter
    assert ((table.residents_reference > 0) | (table.residents_other > 0)).all()
    assert len(table) == int(((a.residents > 0) | (b.set_index("cell_id").loc[
        a.cell_id, "residents"].to_numpy() > 0)).sum())
    for cell in (pick_cell, table.cell_id.iloc[0]):
        row = table.set_index("cell_id").loc[cell]
        expected = (float(b.loc[b.cell_id == cell, column].iloc[0])
                    - float(a.loc[a.cell_id == cell, column].iloc[0]))
        assert row["difference"] == pytest.approx(expected)
    assert table.set_index("cell_id").loc[pick_cell, "difference"] != 0


def test_cell_differences_cap_and_empty_cells() -> None:
    a = pd.DataFrame({"cell_id": ["c1", "c2", "c3"], "residents": [10.0, 0.0, 0.0],
                      "dist_grocery": [100.0, 7000.0, 50.0]})
    b = pd.DataFrame({"cell_id": ["c3", "c2", "c1"], "residents": [0.0, 5.0, 10.0],
                      "dist_grocery": [80.0, 9000.0, 300.0]})
    table = cell_differences(a, b, "dist_grocery", cap=DIST_CAP_M).set_index("cell_id")
    assert list(table.index) == ["c1", "c2"]  # c3 has no residents in either
    assert table.loc["c1", "difference"] == 200.0
    assert table.loc["c2", "difference"] == 0.0  # both beyond the cap


def test_trajectory_index(demo_results: dict[str, Path]) -> None:
    for path in demo_results.values():
        traj = nullvekst_trajectory(read_summary(path))
        goal = read_summary(path).goals.nullvekst
        first = next(p for p in traj if p["year"] == goal.reference_year)
        assert first["index"] == 100.0
        assert traj[-1]["year"] == goal.stages[-1].year
        assert traj[-1]["index"] == 100 * (1 + goal.value)
        assert [p["year"] for p in traj] == sorted(p["year"] for p in traj)


def test_region_mismatch_is_one_line_error(demo_results: dict[str, Path], tmp_path: Path,
                                           capsys: pytest.CaptureFixture) -> None:
    other = tmp_path / "other"
    shutil.copytree(demo_results["demo_spredt"], other)
    summary = json.loads((other / "summary.json").read_text())
    summary["scenario"]["region"] = "baerum"
    (other / "summary.json").write_text(json.dumps(summary))
    out = tmp_path / "cmp"
    assert main(["compare", str(demo_results["demo"]), str(other), "--out", str(out)]) == 2
    assert "different regions" in _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other"]


def test_too_few_and_missing_inputs(demo_results: dict[str, Path], tmp_path: Path,
                                    capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "cmp"
    assert main(["compare", str(demo_results["demo"]), "--out", str(out)]) == 2
    assert "at least two" in _one_line_error(capsys)
    missing = tmp_path / "nope"
    assert main(["compare", str(demo_results["demo"]), str(missing), "--out", str(out)]) == 2
    assert str(missing) in _one_line_error(capsys)
    no_cells = tmp_path / "no_cells"
    shutil.copytree(demo_results["demo_spredt"], no_cells)
    (no_cells / "cells.gpkg").unlink()
    assert main(["compare", str(demo_results["demo"]), str(no_cells), "--out", str(out)]) == 2
    assert str(no_cells / "cells.gpkg") in _one_line_error(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no_cells"]


def test_output_is_complete_or_absent(demo_results: dict[str, Path], tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "cmp"
    out.mkdir()
    (out / "stale.txt").write_text("earlier comparison")
    import sim.output.compare_plots as compare

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("plot failed")

    monkeypatch.setattr(compare, "plot_difference_maps", boom)
    with pytest.raises(RuntimeError):
        compare_results([demo_results["demo"], demo_results["demo_spredt"]], out=out,
                        force=True)
    # The failed run leaves the earlier output untouched and no temporary directory.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]
    assert [p.name for p in out.iterdir()] == ["stale.txt"]
    monkeypatch.undo()
    compare_results([demo_results["demo"], demo_results["demo_spredt"]], out=out, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cmp"]
    assert not (out / "stale.txt").exists() and (out / "compare.csv").is_file()


def test_out_may_not_replace_an_input(demo_results: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture) -> None:
    a = tmp_path / "a"
    shutil.copytree(demo_results["demo"], a)
    assert main(["compare", str(a), str(demo_results["demo_spredt"]), "--out", str(a)]) == 2
    assert "would replace" in _one_line_error(capsys)
    assert (a / "summary.json").is_file()
