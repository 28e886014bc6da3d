"""Policy charges by place: tolls at named cordons and parking charges by area, as arrays.

A place is an area of the region (the zones whose door lies within its radius) or an
external area (its zones, e.g. all of Oslo's). A toll is paid by car trips between a
zone inside the cordon and one outside; a parking charge replaces the charge by zone
kind at destinations in the area.
"""

from __future__ import annotations

import numpy as np

from sim.model.zones import Zones
from sim.region.model import Region
from sim.scenario.edits import YearPolicy


def inside_place(region: Region, zones: Zones, place: str, size_m: float) -> np.ndarray:
    """Which destinations (internal zones, then external zones) lie in ``place``; a zone
    of side ``size_m`` is in an area when its door is within the area's radius (at least
    half a zone, as :func:`sim.model.zones.zones_from_cells` assigns areas)."""
    ext = region.external_zones
    outside = (ext["area"] == place).to_numpy(bool) if len(ext) else np.zeros(0, bool)
    internal = np.zeros(zones.n, bool)
    for area in region.areas:
        if area.name == place:
            internal = np.hypot(zones.x - area.x, zones.y - area.y) <= max(area.radius_m,
                                                                           size_m / 2)
    return np.r_[internal, outside]


def policy_charges(
    region: Region, zones: Zones, policy: YearPolicy, size_m: float
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Parking charge per destination (NaN: by zone kind) and toll per origin-destination
    pair (NOK per car trip), or None where the year has no such measure."""
    parking = None
    if policy.parking:
        parking = np.full(zones.n + len(region.external_zones), np.nan)
        for place, nok in policy.parking.items():
            parking[inside_place(region, zones, place, size_m)] = nok
    toll = None
    for cordon, nok in policy.tolls.items():
        inside = inside_place(region, zones, cordon, size_m)
        crossing = inside[: zones.n, None] != inside[None, :]
        toll = nok * crossing if toll is None else toll + nok * crossing
    return parking, toll
