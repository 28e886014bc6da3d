"""Shared fixtures of the data tests (imported explicitly; not a conftest.py).

The Bærum bundle is built once per test session into a temporary cache directory
(``BAERUM_SIM_CACHE``) from the real shared data; tests skip when that data is absent.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from sim.settings import shared_data_dir

DATA = shared_data_dir()
needs_data = pytest.mark.skipif(
    DATA is None, reason="shared real data directory (../shared/data, $BAERUM_SIM_DATA) absent"
)

_STATE: dict = {}


def build_baerum_once() -> dict:
    """Build the Bærum bundle once per process via the CLI; returns paths and timings."""
    if "cache" not in _STATE:
        from sim.cli import main

        cache = Path(tempfile.mkdtemp(prefix="baerum-sim-cache-"))
        atexit.register(shutil.rmtree, cache, True)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("BAERUM_SIM_CACHE", str(cache))
            mp.setenv("BAERUM_SIM_DATA", str(DATA))
            t0 = time.perf_counter()
            rc = main(["data", "import", "baerum", "--quiet"])
            _STATE["import_seconds"] = time.perf_counter() - t0
        assert rc == 0
        _STATE["cache"] = cache
        _STATE["bundle"] = cache / "baerum" / "bundle"
    return _STATE


@pytest.fixture
def baerum_env(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The built Bærum bundle, with the environment pointing at its cache and the data."""
    if DATA is None:
        pytest.skip("shared real data directory (../shared/data, $BAERUM_SIM_DATA) absent")
    state = build_baerum_once()
    monkeypatch.setenv("BAERUM_SIM_CACHE", str(state["cache"]))
    monkeypatch.setenv("BAERUM_SIM_DATA", str(DATA))
    return state


@pytest.fixture(scope="module")
def baerum_module_env():
    """Module-wide: the built Bærum bundle with the environment pointing at it."""
    if DATA is None:
        pytest.skip("shared real data directory (../shared/data, $BAERUM_SIM_DATA) absent")
    state = build_baerum_once()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BAERUM_SIM_CACHE", str(state["cache"]))
        mp.setenv("BAERUM_SIM_DATA", str(DATA))
        yield state


@pytest.fixture(scope="module")
def baerum_region(baerum_module_env):
    """The Bærum region loaded from the bundle built for this test session."""
    from sim.region.load import load_region

    return load_region("baerum")
