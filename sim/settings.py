"""Project-wide settings and defaults, in one place (osmnx style).

Model defaults come from ``../shared/facts/baerum.md`` section 6 unless stated.
A region pack or a scenario's ``[model]`` table may override them.
"""

from __future__ import annotations

import os
from pathlib import Path

#: Repository root (where ``pyproject.toml`` lives) when running from a checkout.
REPO_ROOT = Path(__file__).resolve().parents[1]

#: Region packs and their git-ignored build caches.
NETWORK_DATA_DIR = REPO_ROOT / "network_data"

#: Default results directory.
RESULTS_DIR = Path("results")

#: Walking speed, m/s (OpenTripPlanner default, facts §6).
WALK_SPEED_MPS = 1.3

#: Cycling speed, m/s (16 km/h; facts §6 says 15–18 km/h [E]).
BIKE_SPEED_MPS = 16 / 3.6

#: Walking thresholds per everyday function, metres (facts §6: 500 m to grocery
#: (Rokseth et al. 2021) and to a stop (SSB band); the others are estimates).
WALK_THRESHOLDS_M: dict[str, float] = {
    "grocery": 500.0,
    "school": 1000.0,
    "kindergarten": 500.0,
    "recreation": 500.0,
    "transit_stop": 500.0,
}

#: Share of growth that must land in priority areas and stations (the 90 % rule).
PLACEMENT_TARGET = 0.9

#: Nullvekst reference year (byvekstavtale 2019–2029).
NULLVEKST_REFERENCE_YEAR = 2019


def shared_data_dir() -> Path | None:
    """The directory with the real offline inputs, or None when there is none.

    Looks at ``BAERUM_SIM_DATA``, then ``SIM_SHARED_DATA``, then ``../shared/data``
    beside the repository root.
    """
    for var in ("BAERUM_SIM_DATA", "SIM_SHARED_DATA"):
        value = os.environ.get(var)
        if value and Path(value).is_dir():
            return Path(value)
    candidate = REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
