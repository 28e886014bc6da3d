"""Zones of the demand model: square groups of grid cells, and per-zone sums.

A zone's representative point is the base-year residents-and-jobs-weighted centroid of
its cells, so zones do not move between years; its kind (growth area / station /
other) sets parking, and its area name is used for reporting.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.graph import nearest_points
from sim.region.model import Region


@dataclass(frozen=True)
class Zones:
    """Square zones of grid cells: the origins and destinations of the demand model.

    ``cell_zone`` maps each cell to its zone; ``x, y`` are the zones' representative
    points (base-year residents-and-jobs-weighted centroids, so that they do not move
    between years); ``kind`` (growth_area / station / other) sets parking, and
    ``area`` names the area a zone lies in (``"resten"`` when none) for reporting.
    """

    cell_zone: np.ndarray
    x: np.ndarray
    y: np.ndarray
    kind: np.ndarray
    area: np.ndarray

    @property
    def n(self) -> int:
        """Number of zones."""
        return self.x.size


def zones_from_cells(region: Region, size_m: float) -> Zones:
    """Group the region's cells into square zones of ``size_m`` metres."""
    cells = region.cells
    x = cells.x.to_numpy()
    y = cells.y.to_numpy()
    # the tolerance keeps cells whose centres carry reprojection noise in their own zone
    key = (np.floor((x - x.min()) / size_m + 1e-6).astype(np.int64) * 1_000_003
           + np.floor((y - y.min()) / size_m + 1e-6).astype(np.int64))
    _, zone = np.unique(key, return_inverse=True)
    nz = int(zone.max()) + 1
    w = cells.population.to_numpy(float) + cells.jobs.to_numpy(float) + 1.0
    wz = np.bincount(zone, weights=w, minlength=nz)
    zx = np.bincount(zone, weights=w * x, minlength=nz) / wz
    zy = np.bincount(zone, weights=w * y, minlength=nz) / wz
    kind = np.full(nz, "other", dtype=object)
    area = np.full(nz, "resten", dtype=object)
    # stations first, so that a growth area overrides a station it contains
    for a in sorted(region.areas, key=lambda a: {"other": 0, "station": 1,
                                                 "growth_area": 2}[a.kind]):
        inside = np.hypot(zx - a.x, zy - a.y) <= max(a.radius_m, size_m / 2)
        area[inside] = a.name
        if a.priority:
            kind[inside] = a.kind
    return Zones(cell_zone=zone, x=zx, y=zy, kind=kind.astype(str), area=area.astype(str))


def zone_sums(zones: Zones, values: np.ndarray) -> np.ndarray:
    """Sum a per-cell quantity over each zone."""
    return np.bincount(zones.cell_zone, weights=np.asarray(values, float), minlength=zones.n)


def facility_zone_sums(
    zones: Zones, region: Region, facilities: pd.DataFrame, category: str, column: str | None
) -> np.ndarray:
    """Per zone: the number of ``category`` facilities, or the sum of ``column``.

    A facility counts in the zone of its nearest grid cell.
    """
    fac = facilities[facilities.category == category]
    if not len(fac):
        return np.zeros(zones.n)
    cells = region.cells
    nearest_cell, _ = nearest_points(cells.x.to_numpy(), cells.y.to_numpy(),
                                     fac.x.to_numpy(), fac.y.to_numpy())
    zone = zones.cell_zone[nearest_cell]
    values = np.ones(len(fac)) if column is None else np.nan_to_num(fac[column].to_numpy(float))
    return np.bincount(zone, weights=values, minlength=zones.n)
