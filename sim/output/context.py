"""Map context of a result: boundary, neighbours, lines, stops, areas, growth, places.

:func:`context_from_simulation` turns the region and the final year of a simulation
into GeoPackage layers written beside the cells in ``cells.gpkg``; maps, the
interactive report and the QGIS project read them back with :func:`read_context`,
so the output stage never opens an input file. Place labels come from the region's
place names (SSR quarters and localities) when it has them, else from its areas.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from sim.domain import CRS
from sim.model.access import facilities_for_year
from sim.model.simulation import Simulation
from sim.region.model import Region
from sim.scenario.edits import stops_for_scenario
from sim.scenario.entries import Placement

#: Rank of a place kind for labelling (lower = labelled first); unknown kinds last.
PLACE_RANK = {"growth_area": 0, "town": 0, "station": 1, "suburb": 1, "quarter": 2,
              "village": 2, "other": 3, "locality": 3}

#: Layers of ``cells.gpkg`` besides ``cells``, in drawing order (bottom first).
CONTEXT_LAYERS = ("neighbours", "boundary", "areas", "growth", "lines", "stops",
                  "facilities", "places")


@dataclass
class MapContext:
    """The context layers of a result (each may be empty), EPSG:25833."""

    neighbours: gpd.GeoDataFrame
    boundary: gpd.GeoDataFrame
    areas: gpd.GeoDataFrame
    growth: gpd.GeoDataFrame
    lines: gpd.GeoDataFrame
    stops: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame
    places: gpd.GeoDataFrame

    def frames(self) -> dict[str, gpd.GeoDataFrame]:
        """Layer name → frame, in :data:`CONTEXT_LAYERS` order."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def has_land(self) -> bool:
        """True when neighbouring land is known (so outside all land is water)."""
        return not self.neighbours.empty


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> gpd.GeoDataFrame:
    """A GeoDataFrame of ``rows`` (each with a ``geometry``), typed even when empty."""
    data = pd.DataFrame(rows, columns=[*columns, "geometry"])
    return gpd.GeoDataFrame(data.drop(columns="geometry"), geometry=list(data.geometry),
                            crs=CRS)


def _neighbours(region: Region) -> gpd.GeoDataFrame:
    return _frame([{"name": k, "geometry": g} for k, g in sorted(region.neighbours.items())],
                  ["name"])


def _boundary(region: Region) -> gpd.GeoDataFrame:
    return _frame([{"name": region.name, "geometry": region.boundary}], ["name"])


def _areas(region: Region) -> gpd.GeoDataFrame:
    rows = [{"name": a.name, "kind": a.kind, "priority": int(a.priority), "group": a.group,
             "earliest_year": a.earliest_year, "radius_m": a.radius_m,
             "geometry": Point(a.x, a.y).buffer(a.radius_m, 32)} for a in region.areas]
    return _frame(rows, ["name", "kind", "priority", "group", "earliest_year", "radius_m"])


def _placement_shape(region: Region, placement: Placement) -> BaseGeometry:
    """Where a placement goes: its polygon, the circle around its point, or its area."""
    if placement.polygon is not None:
        return shapely.from_wkt(placement.polygon)
    if placement.x is not None and placement.y is not None:
        radius = placement.radius_m or region.cell_size_m
        return Point(placement.x, placement.y).buffer(radius, 32)
    return region.area(str(placement.area)).shape


def _growth(sim: Simulation) -> gpd.GeoDataFrame:
    """One polygon per ``[[growth]]`` entry: where it goes, how much, its priority share
    (by where it lands) and whether it breaks a rule of the plan's order."""
    table = sim.final.growth.placements
    breaks = {b.placement for b in sim.goals.placement.rule_break_details}
    rows = []
    for i, (placement, row) in enumerate(zip(sim.scenario.growth, table.to_dict("records"),
                                             strict=True)):
        amount = float(row["dwellings"]) + float(row["jobs"])
        inside = float(row["priority_dwellings"]) + float(row["priority_jobs"])
        rows.append({"label": placement.label, "location": placement.location,
                     "places": str(row["places"]),
                     "priority_share": inside / amount if amount > 0 else 0.0,
                     "dwellings": float(placement.dwellings), "jobs": float(placement.jobs),
                     "from_year": int(placement.from_year), "to_year": int(placement.to_year),
                     "built_dwellings": float(row["dwellings"]), "rule_break": i in breaks,
                     "geometry": _placement_shape(sim.region, placement)})
    return _frame(rows, ["label", "location", "places", "priority_share", "dwellings", "jobs",
                         "from_year", "to_year", "built_dwellings", "rule_break"])


def _lines(sim: Simulation) -> gpd.GeoDataFrame:
    stops = stops_for_scenario(sim.region, sim.scenario)
    drawn = {a.name: a.path for a in sim.scenario.transit.add_line if a.path}
    own = {line.name for line in sim.region.lines}
    rows = []
    for line in sim.final.network.lines:
        coords = drawn.get(line.name) or [(stops[s].x, stops[s].y) for s in line.stops]
        rows.append({"name": line.name, "mode": line.mode,
                     "headway_peak_min": line.headway_peak_min,
                     "headway_offpeak_min": line.headway_offpeak_min,
                     "opening_year": line.opening_year,
                     "high_frequency": int(line.high_frequency),
                     "new": line.name not in own, "status": line.status,
                     "stops": ";".join(line.stops), "geometry": LineString(coords)})
    return _frame(rows, ["name", "mode", "headway_peak_min", "headway_offpeak_min",
                         "opening_year", "high_frequency", "new", "status", "stops"])


def _stops(sim: Simulation) -> gpd.GeoDataFrame:
    table = sim.final.network.stops
    rows = [{"name": r["name"], "modes": r["modes"], "lines": r["lines"],
             "headway_peak_min": float(r["headway_peak_min"]),
             "high_frequency": int(r["high_frequency"]), "status": r["status"],
             "geometry": Point(r["x"], r["y"])} for r in table.to_dict("records")]
    return _frame(rows, ["name", "modes", "lines", "headway_peak_min", "high_frequency",
                         "status"])


def _facilities(sim: Simulation) -> gpd.GeoDataFrame:
    final = sim.final
    table = facilities_for_year(sim.region, sim.scenario, final.network, final.year)
    table = table[table.category != "transit_stop"]
    rows = [{"category": r["category"], "name": str(r["name"]), "status": str(r["status"]),
             "capacity": float(r["capacity"]) if pd.notna(r["capacity"]) else None,
             "geometry": Point(r["x"], r["y"])} for r in table.to_dict("records")]
    return _frame(rows, ["category", "name", "status", "capacity"])


def _place_rows(region: Region) -> list[dict[str, Any]]:
    """Place names of the region (``place_names``: SSR quarters ...), else its areas."""
    names = region.place_names
    if len(names):
        return [{"name": str(r["name"]), "kind": str(r["kind"]), "x": float(r["x"]),
                 "y": float(r["y"])} for r in names.to_dict("records")]
    return [{"name": a.name, "kind": a.kind, "x": a.x, "y": a.y} for a in region.areas]


def _places(region: Region) -> gpd.GeoDataFrame:
    """Place labels ranked for maps: the plan's growth areas and stations first (by the
    names in the area's name, e.g. ``Fornebu/Lysaker``), then towns, suburbs, quarters."""
    plan: dict[str, int] = {}
    for area in region.areas:
        for part in area.name.split("/"):
            plan.setdefault(part.strip(), PLACE_RANK.get(area.kind, 3))
    rows = [{"name": p["name"], "kind": p["kind"],
             "rank": min(PLACE_RANK.get(p["kind"], 3), plan.get(p["name"], 3)),
             "geometry": Point(p["x"], p["y"])} for p in _place_rows(region)]
    rows.sort(key=lambda r: (r["rank"], r["name"]))
    return _frame(rows, ["name", "kind", "rank"])


def context_from_simulation(sim: Simulation) -> MapContext:
    """The map context of the final year of ``sim``."""
    region = sim.region
    return MapContext(neighbours=_neighbours(region), boundary=_boundary(region),
                      areas=_areas(region), growth=_growth(sim), lines=_lines(sim),
                      stops=_stops(sim), facilities=_facilities(sim), places=_places(region))


def write_context(context: MapContext, path: Path) -> None:
    """Add the context layers to the GeoPackage ``path`` (empty layers are left out)."""
    for name, frame in context.frames().items():
        if len(frame):
            frame.to_file(path, layer=name, driver="GPKG")


def read_context(path: Path) -> MapContext:
    """The context layers of ``cells.gpkg`` (layers it lacks come back empty)."""
    present: set[str] = set()
    if path.is_file():
        present = {str(name) for name, _ in pyogrio.list_layers(path)}
    frames = {}
    for name in CONTEXT_LAYERS:
        if name in present:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frames[name] = gpd.read_file(path, layer=name)
        else:
            frames[name] = gpd.GeoDataFrame(geometry=[], crs=CRS)
    return MapContext(**frames)


def context_bounds(context: MapContext, cells: gpd.GeoDataFrame,
                   pad: float = 0.04) -> tuple[float, float, float, float]:
    """Map extent (xmin, xmax, ymin, ymax): the boundary and cells, padded by ``pad``."""
    parts = [cells.total_bounds]
    if len(context.boundary):
        parts.append(context.boundary.total_bounds)
    b = np.array(parts)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    dx, dy = (x1 - x0) * pad, (y1 - y0) * pad
    return float(x0 - dx), float(x1 + dx), float(y0 - dy), float(y1 + dy)
