"""``kill -9`` at any moment: earlier results and bundles stay intact, nothing wrong is left
to be reused, and the next run equals a clean one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fixtures.baerum import DATA

from sim.cli import main

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "scenarios" / "demo.toml"

#: Seconds after the start at which a run is killed (import, calibration, skims, writing).
MOMENTS = (0.5, 2.0, 4.0, 7.0)


def _numbers(result: Path) -> dict:
    summary = json.loads((result / "summary.json").read_text(encoding="utf-8"))
    summary.pop("created")
    return summary


def _killed(args: list[str], after: float, env: dict[str, str]) -> bool:
    """Start ``python -m sim ARGS``, kill -9 it after ``after`` s; True if it was killed."""
    proc = subprocess.Popen([sys.executable, "-m", "sim", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(after)
    if proc.poll() is not None:
        return False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return True


def test_kill_run_at_any_moment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BAERUM_SIM_CACHE", str(tmp_path / "cache"))
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    earlier = tmp_path / "r"
    assert main(["run", str(DEMO), "--out", str(earlier), "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in earlier.iterdir()}
    shutil.rmtree(tmp_path / "cache")  # cold caches: kills also hit cache writes
    kills = 0
    for after in MOMENTS:
        kills += _killed(["run", str(DEMO), "--out", str(earlier), "--quiet"], after, env)
        assert {p.name: p.read_bytes() for p in earlier.iterdir()} == before
    assert kills >= 2
    again = tmp_path / "again"
    assert main(["run", str(DEMO), "--out", str(again), "--quiet"]) == 0
    assert _numbers(again) == _numbers(earlier)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again", "cache", "r"]


@pytest.mark.skipif(DATA is None, reason="shared real data directory absent")
def test_kill_data_import_keeps_the_bundle(baerum_env: dict, tmp_path: Path) -> None:
    from sim.region.bundle import bundle_problem, read_manifest
    from sim.settings import NETWORK_DATA_DIR

    packs = tmp_path / "packs"
    shutil.copytree(NETWORK_DATA_DIR / "baerum", packs / "baerum",
                    ignore=shutil.ignore_patterns("cache", "inputs"))
    cache = tmp_path / "cache"
    shutil.copytree(baerum_env["cache"] / "baerum", cache / "baerum")
    with (packs / "baerum" / "pack.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n# a change of the pack: the bundle must be built again\n")
    env = {**os.environ, "BAERUM_SIM_CACHE": str(cache), "BAERUM_SIM_PACKS": str(packs),
           "BAERUM_SIM_DATA": str(DATA), "PYTHONPATH": str(REPO)}
    bundle = cache / "baerum" / "bundle"
    manifest = (bundle / "manifest.json").read_text()
    kills = sum(_killed(["data", "import", "baerum", "--quiet"], after, env)
                for after in (1.0, 3.0, 5.0))
    assert kills >= 1
    assert (bundle / "manifest.json").read_text() == manifest
    assert bundle_problem(bundle, read_manifest(bundle) or {}) is None
    done = subprocess.run([sys.executable, "-m", "sim", "data", "import", "baerum", "--quiet"],
                          env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not [p.name for p in bundle.parent.iterdir() if p.name.startswith(".")]
