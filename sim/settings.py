"""Paths and environment: the only module that reads environment variables.

=====================  ==========================================================
variable               meaning
=====================  ==========================================================
``BAERUM_SIM_DATA``    directory of real offline inputs (also ``SIM_SHARED_DATA``;
                       default ``../shared/data`` beside the working directory
                       or the checkout)
``BAERUM_SIM_CACHE``   root of the build caches (default: each pack's ``cache/``)
``BAERUM_SIM_PACKS``   extra directories of region packs (``os.pathsep``-separated)
=====================  ==========================================================

Values are read when asked for, so a test (or a long-lived process) that changes
the environment sees the change; no other module looks at ``os.environ``.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (where ``pyproject.toml`` lives) when running from a checkout.
REPO_ROOT = Path(__file__).resolve().parents[1]

#: Region packs of the checkout and their git-ignored build caches.
NETWORK_DATA_DIR = REPO_ROOT / "network_data"

#: Default results directory (relative to the working directory).
RESULTS_DIR = Path("results")


def shared_data_dir() -> Path | None:
    """The directory with the real offline inputs, or None when there is none.

    Looks at ``BAERUM_SIM_DATA``, then ``SIM_SHARED_DATA``, then ``../shared/data``
    beside the repository root.
    """
    for var in ("BAERUM_SIM_DATA", "SIM_SHARED_DATA"):
        value = os.environ.get(var)
        if value and Path(value).is_dir():
            return Path(value)
    for root in (Path.cwd(), REPO_ROOT):
        candidate = root.parent / "shared" / "data"
        if candidate.is_dir():
            return candidate
    return None


def pack_search_path() -> list[Path]:
    """Directories searched for region packs: ``$BAERUM_SIM_PACKS``, then ``network_data/``
    of the working directory, then that of the source checkout (the package installed
    with ``pip install .`` finds the packs of the checkout it is run from)."""
    extra = os.environ.get("BAERUM_SIM_PACKS", "")
    dirs = [*(Path(p) for p in extra.split(os.pathsep) if p), Path.cwd() / "network_data",
            NETWORK_DATA_DIR]
    return list(dict.fromkeys(d.resolve() for d in dirs))


def cache_dir(region: str, pack_directory: Path | None = None) -> Path:
    """Cache directory of a region: ``$BAERUM_SIM_CACHE/<region>``, else the pack's
    ``cache/`` (``network_data/<region>/cache`` for a region without a pack, e.g. demo)."""
    root = os.environ.get("BAERUM_SIM_CACHE")
    if root:
        return Path(root) / region
    return (pack_directory or NETWORK_DATA_DIR / region) / "cache"
