"""Where growth lands: the region's areas as land, and one place per point.

Every area is a polygon: the pack's polygon, or the circle of its radius around its
centre (:attr:`sim.region.Area.shape`). Two questions are answered per point (a grid
cell centre):

- **priority**: does it lie inside any priority area (growth area or station)? This is
  the union of the priority polygons, so a point inside two overlapping priority areas
  counts once;
- **place**: which one area's *territory* is it in? Where polygons overlap, the point
  belongs to the area whose centre is relatively nearest (distance divided by the
  area's radius; for a polygon the radius of a circle of the same area). Territories
  decide which cells an area-named placement is spread over, and where the plan's
  rules by place (Fossum not before 2032, Bekkestua built out, growth areas before
  stations) apply.

>>> from sim.region.model import Area
>>> a = Area("A", "station", 0.0, 0.0, 100.0)
>>> b = Area("B", "other", 150.0, 0.0, 100.0)
>>> p = places_of_points((a, b), np.array([40.0, 90.0, 500.0]), np.zeros(3))
>>> p.territory.tolist(), p.priority.tolist()
([0, 1, -1], [True, True, False])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from sim.region.model import Area

#: Place name of points outside every area (the rest of the municipality).
REST = "resten"


@dataclass(frozen=True)
class Places:
    """Per point: the index of its territory's area (-1: none) and priority membership."""

    territory: np.ndarray
    priority: np.ndarray


def _radius(area: Area) -> float:
    """The area's radius, or for a polygon the radius of a circle of the same area."""
    if area.polygon_wkt:
        return float(np.sqrt(area.shape.area / np.pi))
    return area.radius_m


def places_of_points(areas: tuple[Area, ...], x: np.ndarray, y: np.ndarray) -> Places:
    """Territory and priority of each point ``(x, y)`` (EPSG:25833)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    score = np.full((len(areas), x.size), np.inf)
    priority = np.zeros(x.size, bool)
    for k, area in enumerate(areas):
        inside = shapely.contains_xy(area.shape, x, y)
        score[k, inside] = np.hypot(x[inside] - area.x, y[inside] - area.y) / _radius(area)
        if area.priority:
            priority |= inside
    territory = (np.argmin(score, axis=0) if len(areas) else np.zeros(x.size, np.int64))
    territory = np.where(np.isfinite(score.min(axis=0, initial=np.inf)), territory, -1)
    return Places(territory=territory.astype(np.int64), priority=priority)


def place_names(areas: tuple[Area, ...], territory: np.ndarray) -> np.ndarray:
    """Name of each territory index (:data:`REST` for -1)."""
    names = np.array([a.name for a in areas] + [REST], dtype=object)
    return names[np.where(territory < 0, len(areas), territory)]
