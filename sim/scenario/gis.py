"""Scenario geometry drawn in GIS: new lines, their stops and new facilities.

A scenario's ``[gis]`` table names a GeoPackage (drawn in QGIS, e.g. from the empty
template ``baerum-sim scenario template`` writes) and its layers. Each feature becomes
the scenario entry a planner would otherwise type in TOML: a line (LineString) becomes
a ``[[transit.add_line]]`` calling at the stops (points) within ``stop_snap_m`` of it,
in their order along the line; a facility (point) becomes a ``[[facilities]]`` entry.
Errors name the file, the layer and the feature id.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import geopandas as gpd
from pydantic import ValidationError

from sim.errors import InputError
from sim.scenario.entries import AddLine, NewFacility, NewStop
from sim.scenario.schema import Scenario

#: Layers of the scenario template: geometry type and typed fields (pyogrio dtypes).
TEMPLATE_LAYERS: dict[str, tuple[str, dict[str, str]]] = {
    "growth": ("Polygon", {"name": "str", "dwellings": "float64", "jobs": "float64",
                           "from_year": "int32", "to_year": "int32"}),
    "lines": ("LineString", {"name": "str", "mode": "str", "headway_peak_min": "float64",
                             "headway_offpeak_min": "float64", "opening_year": "int32",
                             "run_times_min": "str", "speed_kmh": "float64"}),
    "stops": ("Point", {"name": "str"}),
    "facilities": ("Point", {"category": "str", "name": "str", "capacity": "float64",
                             "opening_year": "int32"}),
}


def _value(v: Any) -> Any:
    """A feature's attribute as plain Python; NULL and NaN become None."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _attrs(row: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: _value(getattr(row, n, None)) for n in names}


def _where(path: Path, layer: str, fid: Any) -> str:
    return f"{path}: layer {layer!r} feature {fid}"


def _invalid(where: str, exc: ValidationError) -> InputError:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "missing":
        msg = "required field is missing (empty)"
    return InputError(f"{where}: {field + ': ' if field else ''}{msg}")


def _run_times(where: str, attrs: dict[str, Any], along: list[float]) -> list[float]:
    """Run times per stop-to-stop segment: given (``"5;4.5"``), or from ``speed_kmh``."""
    text = attrs.get("run_times_min")
    if text:
        try:
            return [float(t) for t in str(text).replace(",", ";").split(";") if t.strip()]
        except ValueError:
            raise InputError(f"{where}: run_times_min: expected numbers separated by ';', "
                             f"got {text!r}") from None
    speed = attrs.get("speed_kmh")
    if not speed or speed <= 0:
        raise InputError(f"{where}: give run_times_min (minutes per segment, e.g. '5;4') "
                         "or speed_kmh > 0")
    return [round((b - a) / 1000 / speed * 60, 3) for a, b in itertools.pairwise(along)]


def _line_stops(line: Any, stops: gpd.GeoDataFrame, region_stops: set[str], snap_m: float
                ) -> tuple[list[str | NewStop], list[float]]:
    """Stops within ``snap_m`` of ``line`` in order along it, and their positions (m)."""
    near = stops[stops.geometry.distance(line) <= snap_m]
    found = sorted(((line.project(p), str(n), p) for n, p in zip(near["name"], near.geometry,
                                                               strict=True)),
                   key=lambda t: (t[0], t[1]))
    out: list[str | NewStop] = [n if n in region_stops else NewStop(name=n, x=p.x, y=p.y)
                                for _, n, p in found]
    return out, [d for d, _, _ in found]


def lines_from_layers(lines: gpd.GeoDataFrame, stops: gpd.GeoDataFrame, path: Path,
                      region_stops: set[str], snap_m: float,
                      names: tuple[str, str] = ("lines", "stops")) -> list[AddLine]:
    """``[[transit.add_line]]`` entries of the line features (EPSG:25833 frames)."""
    for fid, name in zip(stops.index, stops["name"] if "name" in stops else [None] * len(stops),
                         strict=True):
        if not _value(name):
            raise InputError(f"{_where(path, names[1], fid)}: name: a stop needs a name")
    out = []
    fields = ("name", "mode", "headway_peak_min", "headway_offpeak_min", "opening_year",
              "run_times_min", "speed_kmh")
    for row in lines.itertuples():
        where = _where(path, names[0], row.Index)
        geom = row.geometry
        if geom is None or geom.geom_type != "LineString" or geom.length <= 0:
            raise InputError(f"{where}: geometry: expected a LineString (one part)")
        attrs = _attrs(row, fields)
        calls, along = _line_stops(geom, stops, region_stops, snap_m)
        if len(calls) < 2:
            raise InputError(f"{where}: {len(calls)} stop(s) of layer {names[1]!r} within "
                             f"{snap_m:g} m of the line; a line needs at least 2")
        entry = {k: attrs[k] for k in ("name", "mode", "headway_peak_min",
                                       "headway_offpeak_min", "opening_year")
                 if attrs[k] is not None}
        try:
            out.append(AddLine.model_validate({
                **entry, "stops": calls, "run_times_min": _run_times(where, attrs, along),
                "path": [(round(x, 3), round(y, 3)) for x, y in geom.coords]}))
        except ValidationError as exc:
            raise _invalid(where, exc) from None
    return out


def facilities_from_layer(frame: gpd.GeoDataFrame, path: Path, layer: str = "facilities"
                          ) -> list[NewFacility]:
    """``[[facilities]]`` entries of the point features (EPSG:25833 frame)."""
    out = []
    for row in frame.itertuples():
        where = _where(path, layer, row.Index)
        geom = row.geometry
        if geom is None or geom.geom_type != "Point":
            raise InputError(f"{where}: geometry: expected a Point")
        attrs = {k: v for k, v in _attrs(row, ("category", "name", "capacity",
                                               "opening_year")).items() if v is not None}
        try:
            out.append(NewFacility.model_validate({**attrs, "x": geom.x, "y": geom.y}))
        except ValidationError as exc:
            raise _invalid(where, exc) from None
    return out


def scenario_with_layers(scenario: Scenario, frames: dict[str, gpd.GeoDataFrame], path: Path,
                         region_stops: set[str]) -> Scenario:
    """The scenario with the features of ``frames`` (layer role → frame) added."""
    gis = scenario.gis
    if gis is None:
        return scenario
    added_lines: list[AddLine] = []
    if "lines" in frames:
        stops = frames.get("stops", gpd.GeoDataFrame({"name": []}, geometry=[]))
        added_lines = lines_from_layers(frames["lines"], stops, path, region_stops,
                                        gis.stop_snap_m, (gis.lines or "", gis.stops or ""))
    added_facilities = (facilities_from_layer(frames["facilities"], path, gis.facilities or "")
                        if "facilities" in frames else [])
    transit = scenario.transit.model_copy(
        update={"add_line": [*scenario.transit.add_line, *added_lines]})
    return scenario.model_copy(update={
        "transit": transit, "facilities": [*scenario.facilities, *added_facilities]})
