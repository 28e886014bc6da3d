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

#: Distance decay of the gravity access measure, per km (facts §6: β ≈ 1–1.5 per km).
GRAVITY_BETA_PER_KM = 1.2

#: Number of nearest facilities for the choice measure.
K_NEAREST = 3

#: Facilities farther than this (walking, m) do not count in gravity, k-nearest and
#: capacity measures (exp(-1.2 × 4) < 1 %).
ACCESS_CUTOFF_M = 4000.0

#: Functions with capacities and the share of residents who need a place [E]:
#: ~16,000 pupils of 129,874 residents (facts: 43 schools, 2021) and 7,434
#: kindergarten children (2021).
CAPACITY_DEMAND_SHARE: dict[str, float] = {"school": 16_000 / 129_874,
                                           "kindergarten": 7_434 / 129_874}

#: Places per facility when a layer has no capacities [E]: 16,000 pupils / 43 schools,
#: 7,434 children / 120 ordinary kindergartens (facts, counts section).
DEFAULT_CAPACITY: dict[str, float] = {"school": 16_000 / 43, "kindergarten": 7_434 / 120}

#: Catchment of the two-step floating catchment (walking, m).
CAPACITY_CATCHMENT_M: dict[str, float] = {"school": 2000.0, "kindergarten": 1500.0}

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
