"""The benchmark tools: the ratio check gates on interleaved CPU-time ratios of
single-threaded rows only, history records carry the machine, and the trend plot flags drops."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


ratios = _load("ratios")
trend = _load("trend")


def _bench(group: str, impl: str, wall: float) -> dict:
    return {"group": group, "stats": {"median": wall}, "extra_info": {"impl": impl,
                                                                      "mode": "short"}}


def _gate(group: str, variant: str, ratio: float) -> dict:
    """A ``test_gate`` result: per-round CPU-time ratios (anchor over ours) around ``ratio``."""
    info = {"impl": "gate", "mode": "short", "gate_anchor": "scipy",
            "gate_ratios": {variant: [ratio * 1.1, ratio, ratio * 0.5, ratio * 1.3, ratio]}}
    return {"group": f"gate:{group}", "stats": {"median": 9.0}, "extra_info": info}


def _result(tmp: Path, name: str, ours_cpu: float, ours_wall: float = 1.0) -> Path:
    data = {"benchmarks": [
        _bench("one_to_all[g]", "scipy", 2.0),
        _bench("one_to_all[g]", "ours", ours_wall / 4),  # parallel: information only
        _bench("one_to_all[g]", "ours_dijkstra_1t", ours_wall),
        _gate("one_to_all[g]", "ours_dijkstra_1t", 2.0 / ours_cpu),
    ]}
    path = tmp / name
    path.write_text(json.dumps(data))
    return path


def test_gate_uses_cpu_time_of_single_threaded_rows(tmp_path: Path, capsys) -> None:
    """The gated ratio is the median of the gate's interleaved rounds (one slow round
    does not move it), not the wall-clock ratio of the separate benchmarks."""
    mode, table, gates = ratios.load_ratios(_result(tmp_path, "a.json", ours_cpu=1.0))
    assert mode == "short"
    assert gates == {"one_to_all[g] (ours_dijkstra_1t)": "scipy"}
    row = table["one_to_all[g] (ours_dijkstra_1t)"]
    assert row["_gate_cpu"] == pytest.approx(2.0) and row["scipy"] == pytest.approx(2.0)
    baseline = tmp_path / "baseline.json"
    assert ratios.main([str(tmp_path / "a.json"), "--baseline", str(baseline),
                        "--update-baseline"]) == 0
    saved = json.loads(baseline.read_text())
    assert saved["short"] == {"one_to_all[g] (ours_dijkstra_1t)": 2.0}
    assert saved["machines"]["short"]["cores"] and "cpu" in saved["machines"]["short"]
    # a slow wall clock (loaded machine) does not fail the check; more CPU time does
    loaded = _result(tmp_path, "b.json", ours_cpu=1.05, ours_wall=5.0)
    out = tmp_path / "r.json"
    assert ratios.main([str(loaded), "--baseline", str(baseline), "--json", str(out)]) == 0
    table_json = json.loads(out.read_text())
    assert table_json["passed"] and table_json["machine"]["cores"]
    slower = _result(tmp_path, "c.json", ours_cpu=1.6)
    assert ratios.main([str(slower), "--baseline", str(baseline)]) == 1
    assert "REGRESSION" in capsys.readouterr().out


def test_a_baseline_row_missing_from_the_run_fails(tmp_path: Path, capsys) -> None:
    """A check that compares nothing must not pass: rows of the baseline that the run
    lacks (renamed, dropped or skipped benchmarks) fail it."""
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"short": {"one_to_all[g] (ours_dijkstra_1t)": 2.0,
                                              "one_to_all[h] (ours_dijkstra_1t)": 2.0}}))
    run = _result(tmp_path, "a.json", ours_cpu=1.0)
    assert ratios.main([str(run), "--baseline", str(baseline)]) == 1
    assert "MISSING: baseline row 'one_to_all[h] (ours_dijkstra_1t)'" in capsys.readouterr().out


def test_committed_short_baseline_matches_the_gated_rows() -> None:
    """Every row of the committed short baseline is a gated benchmark of this repository
    (named as ratios.py names it), so the CI check compares them all."""
    saved = json.loads((BENCH / "baseline.json").read_text())
    assert saved["short"], "no short-mode baseline: the CI check would compare nothing"
    source = (BENCH / "test_bench_paths.py").read_text()
    for row in saved["short"]:
        group, _, variant = row.partition(" (")
        name = re.sub(r"_\d.*$", "", group.split("[")[0])  # matrix_200x200 -> matrix
        assert f'"{name}' in source, row
        assert not variant or f'"{variant.rstrip(")")}"' in source, row
        # gated: a single-threaded variant of ours, or multi-origin against one-origin PHAST
        assert variant.endswith("_1t)") or name == "phast_blocks", row


def test_history_records_and_trend_flags_drops(tmp_path: Path, monkeypatch, capsys) -> None:
    history = tmp_path / "history"
    monkeypatch.setattr(ratios, "HISTORY", history)
    for label, cpu in (("before", 2.0), ("after", 1.0), ("worse", 1.9)):
        path = _result(tmp_path, f"{label}.json", ours_cpu=cpu)
        ratios.main([str(path), "--baseline", str(tmp_path / "none.json"), "--record", label,
                     "--commit", f"c-{label}"])
    records = trend.load_records(history, None)
    assert [r["label"] for r in records] == ["before", "after", "worse"]
    assert records[0]["commit"] == "c-before" and records[0]["machine"]["cpu"] is not None
    png = tmp_path / "trend.png"
    assert trend.main(["--history", str(history), "--out", str(png), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "DROP one_to_all[g] (ours_dijkstra_1t) [short] vs scipy: 2.00x -> 1.05x" in out
    assert png.stat().st_size > 5000
