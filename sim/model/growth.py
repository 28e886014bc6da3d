"""Growth stage: the scenario's placements → new dwellings, residents and jobs per cell.

A placement's growth is spread over the grid cells of its location and built linearly
from ``from_year`` to ``to_year``: evenly, or, for a placement named by area, with
Gaussian weights around the area's centre (``ModelParams.area_growth_sigma``: the plan
densifies at stations and centres). The location is an area's territory
(:mod:`sim.model.places`), a circle around coordinates or a polygon; the cells are
the populated ones there (densification) or all of them (new development), see
:data:`sim.scenario.schema.SpreadOver`. Cells with no residents yet are added to the
region by :func:`region_for_scenario` and joined to the walk network by the
gap-filling lattice (labelled ``synthetic``). Where the growth lands decides its
priority membership and the plan's rules by place, whatever its label.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from sim.graph import nearest_points
from sim.model.places import Places, place_names, places_of_points
from sim.region.lattice import lattice_from_cells
from sim.region.model import Layer, Region
from sim.scenario.entries import Placement
from sim.scenario.schema import Scenario

#: Columns of :attr:`Growth.placements` and :attr:`Growth.landings`.
PLACEMENT_COLUMNS = ["index", "label", "location", "area", "places", "dwellings", "jobs",
                     "priority_dwellings", "priority_jobs", "from_year", "to_year", "cells",
                     "new_development_cells"]
LANDING_COLUMNS = ["index", "label", "place", "kind", "dwellings", "jobs", "from_year",
                   "to_year", "earliest_year", "built_out_year"]


@dataclass(frozen=True)
class Growth:
    """Growth built by ``year``: per cell, per placement and per placement and place.

    ``cells`` has ``new_dwellings, new_residents, new_jobs`` aligned with
    ``region.cells``. ``placements`` has one row per ``[[growth]]`` entry: amounts
    built by ``year`` and their part in priority areas (by location). ``landings`` has
    one row per placement and place (territory) it lands in, with the placement's whole
    amounts there and the place's rules (``earliest_year``, ``built_out_year``).
    """

    year: int
    cells: pd.DataFrame
    placements: pd.DataFrame
    landings: pd.DataFrame


def _location(region: Region, placement: Placement) -> BaseGeometry:
    """The land a placement names: polygon, circle around its point, or its area."""
    if placement.polygon is not None:
        return shapely.from_wkt(placement.polygon)
    if placement.x is not None and placement.y is not None:
        radius = placement.radius_m or region.cell_size_m
        return shapely.Point(placement.x, placement.y).buffer(radius, quad_segs=32)
    return region.area(str(placement.area)).shape


def _candidates(region: Region, places: Places, placement: Placement, x: np.ndarray,
                y: np.ndarray) -> np.ndarray:
    """Which of the points ``(x, y)`` lie in the placement's location."""
    if placement.location == "area":
        index = [a.name for a in region.areas].index(str(placement.area))
        return places.territory == index
    if placement.location == "coordinates":
        radius = placement.radius_m or region.cell_size_m
        return np.hypot(x - float(placement.x or 0.0), y - float(placement.y or 0.0)) <= radius
    return shapely.contains_xy(_location(region, placement), x, y)


def placement_cells(region: Region, places: Places, placement: Placement) -> np.ndarray:
    """Indices of the cells a placement's growth is spread over.

    ``populated``: the populated cells of the location, or all its cells when none is
    populated; ``all``: all its cells. When the location holds no cell centre, the
    cell nearest to it.
    """
    cells = region.cells
    x, y = cells.x.to_numpy(), cells.y.to_numpy()
    inside = _candidates(region, places, placement, x, y)
    if placement.spread_over == "populated":
        populated = inside & (cells.population.to_numpy(float) > 0)
        if populated.any():
            inside = populated
    idx = np.flatnonzero(inside)
    if idx.size:
        return idx
    point = _location(region, placement).representative_point()
    return nearest_points(x, y, np.array([point.x]), np.array([point.y]))[0]


def placement_weights(region: Region, placement: Placement, idx: np.ndarray,
                      sigma_share: float | None) -> np.ndarray:
    """Share of the placement's growth per cell of ``idx`` (sums to 1).

    Area-named placements weigh cells by ``exp(-d² / 2σ²)`` with ``d`` the distance to
    the area's centre and ``σ = sigma_share × radius`` (equivalent radius for a
    polygon); coordinates, polygons and ``sigma_share`` None spread evenly.
    """
    if placement.location != "area" or sigma_share is None:
        return np.full(idx.size, 1.0 / idx.size)
    area = region.area(str(placement.area))
    radius = float(np.sqrt(area.shape.area / np.pi)) if area.polygon_wkt else area.radius_m
    d = np.hypot(region.cells.x.to_numpy()[idx] - area.x, region.cells.y.to_numpy()[idx] - area.y)
    w = np.exp(-0.5 * (d / (sigma_share * radius)) ** 2)
    return w / w.sum() if w.sum() > 0 else np.full(idx.size, 1.0 / idx.size)


def _grid_centres(region: Region, shape: BaseGeometry) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the region's grid cells inside ``shape`` and the boundary."""
    size = region.cell_size_m
    ax, ay = float(region.cells.x.iloc[0]), float(region.cells.y.iloc[0])  # grid anchor
    minx, miny, maxx, maxy = shape.bounds
    gx = ax + size * np.arange(np.floor((minx - ax) / size), np.ceil((maxx - ax) / size) + 1)
    gy = ay + size * np.arange(np.floor((miny - ay) / size), np.ceil((maxy - ay) / size) + 1)
    x, y = (a.ravel() for a in np.meshgrid(gx, gy, indexing="ij"))
    keep = shapely.contains_xy(shape, x, y) & shapely.contains_xy(region.boundary, x, y)
    if not keep.any():  # a site smaller than a cell: the cell holding its middle
        point = shape.representative_point()
        x = np.array([ax + size * round((point.x - ax) / size)])
        y = np.array([ay + size * round((point.y - ay) / size)])
        keep = shapely.contains_xy(region.boundary, x, y)
    return x[keep], y[keep]


def development_cells(region: Region, scenario: Scenario) -> pd.DataFrame:
    """Grid cells the scenario builds on that the region does not have yet (``x, y``).

    Cells inside the boundary and the location of a placement spread over ``all``
    cells, or of an area-named placement whose territory has no populated cell.
    """
    cells = region.cells
    have = {(round(x), round(y)) for x, y in zip(cells.x, cells.y, strict=True)}
    places = places_of_points(region.areas, cells.x.to_numpy(), cells.y.to_numpy())
    populated = cells.population.to_numpy(float) > 0
    areas = [a.name for a in region.areas]
    rows: dict[tuple[int, int], tuple[float, float]] = {}
    for placement in scenario.growth:
        if placement.spread_over == "populated" and (populated & _candidates(
                region, places, placement, cells.x.to_numpy(), cells.y.to_numpy())).any():
            continue
        x, y = _grid_centres(region, _location(region, placement))
        if placement.location == "area":
            own = places_of_points(region.areas, x, y).territory == areas.index(
                str(placement.area))
            x, y = x[own], y[own]
        for xx, yy in zip(x, y, strict=True):
            if (round(xx), round(yy)) not in have:
                rows[(round(xx), round(yy))] = (float(xx), float(yy))
    return pd.DataFrame(sorted(rows.values()), columns=["x", "y"])


def _new_cell_ids(cells: pd.DataFrame, x: np.ndarray, y: np.ndarray, size: float) -> list:
    """Ids of new cells in the region's id scheme: SSB grid ids when the region uses them
    (``(2,000,000 + x_ll) · 10⁷ + y_ll``), else numbers after the largest id, else text."""
    first = cells.iloc[0]

    def ssb(cx: float, cy: float) -> int:
        return int((2_000_000 + round(cx - size / 2)) * 10_000_000 + round(cy - size / 2))

    ids = cells.cell_id
    if pd.api.types.is_integer_dtype(ids) and ssb(first.x, first.y) == int(first.cell_id):
        return [ssb(a, b) for a, b in zip(x, y, strict=True)]
    if pd.api.types.is_integer_dtype(ids):
        return list(int(ids.max()) + 1 + np.arange(len(x)))
    return [f"new_{round(a)}_{round(b)}" for a, b in zip(x, y, strict=True)]


def region_for_scenario(region: Region, scenario: Scenario) -> Region:
    """The region with the cells the scenario's growth needs (column ``new_development``).

    New development cells have no residents or jobs in the base year; their centres are
    joined to the walk network by the gap-filling lattice (:mod:`sim.region.lattice`),
    whose edges are synthetic, and the layer ``streets.development`` says so. A region
    that has been through this already is returned as it is (apart from cells still
    needed).
    """
    cells = (region.cells if "new_development" in region.cells
             else region.cells.assign(new_development=False))
    new = development_cells(region, scenario)
    if new.empty:
        return dataclasses.replace(region, cells=cells)
    size = region.cell_size_m
    add = pd.DataFrame({"cell_id": _new_cell_ids(region.cells, new.x.to_numpy(),
                                                 new.y.to_numpy(), size),
                        "x": new.x, "y": new.y, "population": 0, "jobs": 0,
                        "new_development": True})
    streets, report = lattice_from_cells(region.streets, add.assign(population=1.0), size)
    layers = {**region.layers, "streets.development": Layer(
        status="synthetic", source="gap filling of new development cells (sim.region.lattice)",
        note=f"{len(add)} grid cells without residents in the base year take growth; "
        f"{report.lattice_cells} of them get lattice nodes ({report.lattice_edges} lattice "
        f"edges, {report.street_links} links to streets, {report.bridge_links} bridges)")}
    return dataclasses.replace(region, cells=pd.concat([cells, add], ignore_index=True),
                               streets=streets, layers=layers)


def _landing_rows(region: Region, i: int, placement: Placement, idx: np.ndarray,
                  weights: np.ndarray, places: Places) -> list[dict]:
    """One row per place (territory) the placement lands in, with its whole amounts."""
    names = place_names(region.areas, places.territory[idx])
    rows = []
    for name in sorted(set(names)):
        share = float(weights[names == name].sum())
        area = next((a for a in region.areas if a.name == name), None)
        rows.append({
            "index": i, "label": placement.label, "place": name,
            "kind": area.kind if area else "other",
            "dwellings": placement.dwellings * share, "jobs": placement.jobs * share,
            "from_year": placement.from_year, "to_year": placement.to_year,
            "earliest_year": area.earliest_year if area else None,
            "built_out_year": area.built_out_year if area else None})
    return rows


def growth_by_year(region: Region, scenario: Scenario, year: int) -> Growth:
    """Place the growth built up to and including ``year`` onto the region's cells."""
    n = len(region.cells)
    dwellings, jobs = np.zeros(n), np.zeros(n)
    places = places_of_points(region.areas, region.cells.x.to_numpy(),
                              region.cells.y.to_numpy())
    new_cells = region.cells.get("new_development", pd.Series(False, index=region.cells.index))
    rows, landings = [], []
    for i, placement in enumerate(scenario.growth):
        share = placement.share_built_by(year)
        idx = placement_cells(region, places, placement)
        w = placement_weights(region, placement, idx, scenario.model.area_growth_sigma)
        dwellings[idx] += placement.dwellings * share * w
        jobs[idx] += placement.jobs * share * w
        prio = float(w[places.priority[idx]].sum())
        landings += _landing_rows(region, i, placement, idx, w, places)
        rows.append({
            "index": i, "label": placement.label, "location": placement.location,
            "area": placement.area or "",
            "places": "; ".join(r["place"] for r in landings if r["index"] == i),
            "dwellings": placement.dwellings * share, "jobs": placement.jobs * share,
            "priority_dwellings": placement.dwellings * share * prio,
            "priority_jobs": placement.jobs * share * prio,
            "from_year": placement.from_year, "to_year": placement.to_year,
            "cells": idx.size, "new_development_cells": int(new_cells.to_numpy()[idx].sum())})
    cells = pd.DataFrame(
        {
            "new_dwellings": dwellings,
            "new_residents": dwellings * scenario.model.persons_per_dwelling,
            "new_jobs": jobs,
        },
        index=region.cells.index,
    )
    return Growth(year=year, cells=cells,
                  placements=pd.DataFrame(rows, columns=PLACEMENT_COLUMNS),
                  landings=pd.DataFrame(landings, columns=LANDING_COLUMNS))
