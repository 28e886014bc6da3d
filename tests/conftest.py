"""Shared fixtures: the demo region and demo results (built once per session)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sim.cli import main
from sim.region.demo import demo_region as _demo_region
from sim.region.model import Region

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory):
    """Keep bundle and matrix caches of the test session out of the working tree."""
    with pytest.MonkeyPatch.context() as mp:
        if "BAERUM_SIM_CACHE" not in os.environ:
            mp.setenv("BAERUM_SIM_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield


@pytest.fixture(scope="session")
def demo_region() -> Region:
    """The synthetic demo region (cached by sim.demo)."""
    return _demo_region()


@pytest.fixture(scope="session")
def demo_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Results directories of the two shipped demo scenarios, run through the CLI."""
    out = tmp_path_factory.mktemp("results")
    dirs = {}
    for name in ("demo", "demo_spredt"):
        target = out / name
        assert main(["run", str(SCENARIOS / f"{name}.toml"), "--out", str(target), "--quiet"]) == 0
        dirs[name] = target
    return dirs


@pytest.fixture
def demo_scenario_text() -> str:
    """Text of scenarios/demo.toml, for tests that derive broken variants."""
    return (SCENARIOS / "demo.toml").read_text(encoding="utf-8")
