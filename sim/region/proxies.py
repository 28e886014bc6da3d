"""Labelled stand-ins for missing data: jobs, kindergartens, recreation areas, marka edge.

None of these is data. Each function says what it stands in for; the region build
labels the layer ``proxy`` and every output made from it says so.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import shapely
from scipy import ndimage
from shapely.geometry.base import BaseGeometry

from sim.readers.facilities import empty_facilities, facility_frame


def jobs_proxy(
    cells: pd.DataFrame, centres: Sequence[tuple[float, float, float, float]], total: float
) -> np.ndarray:
    """Jobs per cell: a labelled proxy, not data.

    Each centre ``(x, y, jobs, radius_m)`` spreads its jobs over the cells within
    ``radius_m`` with Gaussian weights (sigma = radius / 2), or to the nearest cell
    when none is that close; the remaining ``total - sum(centre jobs)`` is spread in
    proportion to population.
    """
    x = cells["x"].to_numpy()
    y = cells["y"].to_numpy()
    jobs = np.zeros(len(cells))
    for cx, cy, n, radius in centres:
        d = np.hypot(x - cx, y - cy)
        w = np.where(d <= radius, np.exp(-0.5 * (d / (radius / 2)) ** 2), 0.0)
        if w.sum() == 0:
            w[np.argmin(d)] = 1.0
        jobs += n * w / w.sum()
    rest = max(total - sum(c[2] for c in centres), 0.0)
    pop = cells["population"].to_numpy(dtype=float)
    if pop.sum() > 0:
        jobs += rest * pop / pop.sum()
    return jobs


def weighted_kmeans(
    xy: np.ndarray, weight: np.ndarray, count: int, seed: int = 0, iterations: int = 30
) -> tuple[np.ndarray, np.ndarray]:
    """Population-weighted k-means of points: ``count`` centres and each point's label.

    Starts from ``count`` distinct points drawn with probability proportional to their
    weight (seeded, so deterministic); a centre that loses all its points stays put. The
    labels refer to the final centres.
    """
    count = min(count, len(xy))
    rng = np.random.default_rng(seed)
    centres = xy[rng.choice(len(xy), size=count, replace=False, p=weight / weight.sum())]
    for _ in range(iterations):
        label = _nearest_centre(xy, centres)
        for k in range(count):
            members = label == k
            if members.any() and weight[members].sum() > 0:
                centres[k] = np.average(xy[members], axis=0, weights=weight[members])
    return centres, _nearest_centre(xy, centres)


def _nearest_centre(xy: np.ndarray, centres: np.ndarray) -> np.ndarray:
    return ((xy[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def kindergarten_proxy(cells: pd.DataFrame, count: int, seed: int = 0) -> pd.DataFrame:
    """Proxy kindergartens: ``count`` population-weighted k-means centres of the cells.

    Not real locations: only the count is a fact. Deterministic for a given ``seed``.
    """
    if count <= 0 or cells.empty:
        return empty_facilities()
    centres, _ = weighted_kmeans(cells[["x", "y"]].to_numpy(float),
                                 cells["population"].to_numpy(float), count, seed)
    rows = [{"category": "kindergarten", "name": f"proxy kindergarten {k + 1}", "x": cx,
             "y": cy, "status": "proxy", "source": "population-weighted k-means of the grid"}
            for k, (cx, cy) in enumerate(centres)]
    return facility_frame(rows)


def recreation_proxy(
    cells: pd.DataFrame, boundary: BaseGeometry, cell_size: float
) -> pd.DataFrame:
    """Proxy recreation areas: unpopulated grid cells inside the boundary that touch a
    populated cell (open land, parks, forest edge); not real park data."""
    if cells.empty:
        return empty_facilities()
    ix = np.round(cells["x"].to_numpy() / cell_size - 0.5).astype(np.int64)
    iy = np.round(cells["y"].to_numpy() / cell_size - 0.5).astype(np.int64)
    populated = set(zip(ix.tolist(), iy.tolist(), strict=True))
    candidates = {(a + dx, b + dy) for a, b in populated for dx in (-1, 0, 1)
                  for dy in (-1, 0, 1)} - populated
    if not candidates:
        return empty_facilities()
    cand = np.array(sorted(candidates), dtype=float)
    x = (cand[:, 0] + 0.5) * cell_size
    y = (cand[:, 1] + 0.5) * cell_size
    inside = shapely.contains_xy(boundary, x, y)
    rows = [{"category": "recreation", "name": "open land (proxy)", "x": xx, "y": yy,
             "status": "proxy", "source": "unpopulated grid cells next to populated ones"}
            for xx, yy in zip(x[inside], y[inside], strict=True)]
    return facility_frame(rows)


def _grid_masks(cells: pd.DataFrame, boundary: BaseGeometry, cell_size: float
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The region's grid: column and row origins, cells inside the boundary, populated."""
    minx, miny, maxx, maxy = boundary.bounds
    gx = np.arange(np.floor(minx / cell_size), np.ceil(maxx / cell_size) + 1)
    gy = np.arange(np.floor(miny / cell_size), np.ceil(maxy / cell_size) + 1)
    cx, cy = np.meshgrid((gx + 0.5) * cell_size, (gy + 0.5) * cell_size, indexing="ij")
    inside = shapely.contains_xy(boundary, cx, cy)
    populated = np.zeros_like(inside)
    ix = np.round(cells["x"].to_numpy() / cell_size - 0.5).astype(np.int64) - int(gx[0])
    iy = np.round(cells["y"].to_numpy() / cell_size - 0.5).astype(np.int64) - int(gy[0])
    ok = (ix >= 0) & (ix < gx.size) & (iy >= 0) & (iy < gy.size)
    populated[ix[ok], iy[ok]] = cells["population"].to_numpy(float)[ok] > 0
    return gx, gy, inside, populated


def marka_edge_proxy(
    cells: pd.DataFrame, boundary: BaseGeometry, cell_size: float, min_width_m: float,
    min_area_km2: float,
) -> pd.DataFrame:
    """Proxy points on the edge of the marka (the large unpopulated forest land).

    Marka is unpopulated land inside the boundary that is at least ``min_width_m`` wide
    (a morphological opening of the unpopulated grid cells with a disk of half that
    width) and, as one connected piece, at least ``min_area_km2`` large; its edge cells
    (next to other land inside the boundary) become recreation points. Not real forest
    data: narrow green corridors, parks and the shore are left out.
    """
    if cells.empty:
        return empty_facilities()
    gx, gy, inside, populated = _grid_masks(cells, boundary, cell_size)
    empty = inside & ~populated
    radius = max(round(min_width_m / 2 / cell_size), 1)
    yy, xx = np.mgrid[-radius:radius + 1, -radius:radius + 1]
    opened = ndimage.binary_opening(empty, structure=(xx**2 + yy**2) <= radius**2 + 0.5)
    square = np.ones((3, 3), bool)
    labels, _ = ndimage.label(opened, structure=square)
    sizes = np.bincount(labels.ravel()) * cell_size**2 / 1e6
    big = np.flatnonzero(sizes >= min_area_km2)
    marka = np.isin(labels, big[big > 0])
    edge = marka & ndimage.binary_dilation(inside & ~marka, structure=square)
    ix, iy = np.nonzero(edge)
    rows = [{"category": "recreation", "name": "marka edge (proxy)",
             "x": (gx[i] + 0.5) * cell_size, "y": (gy[j] + 0.5) * cell_size,
             "status": "proxy", "source": "edge of large unpopulated land (population grid)",
             "kind": "marka_edge"}
            for i, j in zip(ix, iy, strict=True)]
    return facility_frame(rows)


def shore_proxy(boundary: BaseGeometry, neighbours: BaseGeometry, min_distance_m: float,
                spacing_m: float) -> pd.DataFrame:
    """Proxy points on the shore: the region's boundary where no other municipality is near.

    Points every ``spacing_m`` along the boundary farther than ``min_distance_m`` from
    every neighbouring municipality lie on the coast (the plan: "fra fjorden til marka",
    the shore is recreation). Not real access data: private shore is not known.
    """
    line = boundary.boundary
    parts = list(getattr(line, "geoms", [line]))
    rows = []
    for part in parts:
        for distance in np.arange(0.0, part.length, spacing_m):
            point = part.interpolate(distance)
            if point.distance(neighbours) > min_distance_m:
                rows.append({"category": "recreation", "name": "shore (proxy)", "x": point.x,
                             "y": point.y, "status": "proxy", "kind": "shore",
                             "source": "region boundary away from other municipalities"})
    return facility_frame(rows)
