"""Build a :class:`Region` from a region pack and its input files.

Real layers are preferred over proxies; every layer gets its provenance (status,
source, note) so that each output can say what its numbers rest on.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from sim.domain import Line, Stop, Streets
from sim.errors import InputError
from sim.params import ModelParams
from sim.readers.facilities import (
    STOP_MERGE_M,
    empty_facilities,
    facilities_from_features,
    facilities_from_file,
    facilities_from_places,
    features_from_osm_file,
    merge_stops,
    schools_from_file,
)
from sim.readers.gtfs import GtfsService, lines_near
from sim.readers.layers import (
    boundary_from_file,
    cells_from_population,
    read_layer,
    region_crs,
)
from sim.readers.osm import streets_from_osm
from sim.region.external import (
    check_stops_linked,
    external_from_pack,
    trim_to_linked,
    unlinked_stops,
)
from sim.region.lattice import lattice_from_cells
from sim.region.model import Layer, Region
from sim.region.pack import RegionPack
from sim.region.proxies import jobs_proxy, kindergarten_proxy, recreation_proxy
from sim.region.registers import (
    RegisterReport,
    pack_with_register_stops,
    place_names_from_register,
    read_placenames,
    register_facilities,
)
from sim.vocab import EVERYDAY_FUNCTIONS

log = logging.getLogger(__name__)


def _facilities(
    pack: RegionPack, files: dict[str, list[Path]], cells: pd.DataFrame,
    boundary: BaseGeometry, cell_size: float, crs: str, osm: list[tuple[str, pd.DataFrame]],
) -> tuple[pd.DataFrame, dict[str, Layer]]:
    """Facilities per everyday function (not transit stops), real layers before proxies."""
    by_source: list[tuple[str, pd.DataFrame]] = []
    if "facilities" in files:
        by_source.append((files["facilities"][0].name,
                          facilities_from_file(files["facilities"][0], crs=crs)))
    if "schools" in files:
        by_source.append((files["schools"][0].name,
                          schools_from_file(files["schools"][0], crs)))
    by_source += osm
    parts: list[pd.DataFrame] = []
    layers: dict[str, Layer] = {}
    for category in EVERYDAY_FUNCTIONS:
        if category == "transit_stop":  # all sources together: _transit_stops
            continue
        for src, df in by_source:
            rows = df[df["category"] == category]
            if len(rows):
                parts.append(rows)
                spec = pack.layers.get(f"facilities.{category}")
                layers[f"facilities.{category}"] = spec.layer() if spec else Layer(
                    status="real", source=src, note=f"{len(rows)} features")
                break
    # proxies where no real layer exists
    if "facilities.grocery" not in layers and pack.local_centres:
        places = [(c.name, *c.xy_in(crs), c.status) for c in pack.local_centres]
        parts.append(facilities_from_places(places, "grocery", "local centres of the region pack",
                                            status="proxy"))
        layers["facilities.grocery"] = Layer(
            status="proxy", source="local centres of the region pack",
            note=f"{len(places)} local centres stand in for grocery stores (no shop data)")
    if "facilities.kindergarten" not in layers and pack.proxies.kindergarten_count:
        parts.append(kindergarten_proxy(cells, pack.proxies.kindergarten_count,
                                        seed=pack.region.seed))
        layers["facilities.kindergarten"] = Layer(
            status="proxy", source="population grid (population-weighted k-means)",
            note=pack.proxies.kindergarten_note)
    if "facilities.recreation" not in layers:
        parts.append(recreation_proxy(cells, boundary, cell_size))
        layers["facilities.recreation"] = Layer(
            status="proxy", source="population grid (unpopulated cells next to populated ones)",
            note=pack.proxies.recreation_note)
    parts = [p for p in parts if len(p)]
    facilities = pd.concat(parts, ignore_index=True) if parts else empty_facilities()
    return facilities, layers


def _osm_facilities(pack: RegionPack, files: dict[str, list[Path]], crs: str
                    ) -> list[tuple[str, pd.DataFrame]]:
    """Facilities of the pack's OSM tags from a POI file and from the OSM street files."""
    out = []
    if "pois" in files:
        gdf = read_layer(files["pois"][0], "pois", None)
        out.append((files["pois"][0].name,
                    facilities_from_features(gdf, pack.osm_tags, "OpenStreetMap", crs)))
    osm_files = [p for p in files["streets"] if not p.name.endswith(".graphml")]
    if osm_files and pack.osm_tags:
        feats = features_from_osm_file(osm_files, pack.osm_tags)
        out.append(("OSM extract", facilities_from_features(feats, pack.osm_tags,
                                                            "OpenStreetMap", crs)))
    return out


def _line_departures(lines: tuple[Line, ...], window_min: float = 120.0) -> dict[str, float]:
    """Departures per stop in a rush-hour window from frequency-based lines."""
    out: dict[str, float] = {}
    for line in lines:
        per_direction = window_min / line.headway_peak_min
        for k, stop in enumerate(line.stops):
            both = not line.one_way and 0 < k < len(line.stops) - 1
            out[stop] = out.get(stop, 0.0) + per_direction * (2 if both else 1)
    return out


def _transit_stops(
    pack: RegionPack, lines: tuple[Line, ...], gtfs: GtfsService | None,
    osm: list[tuple[str, pd.DataFrame]], crs: str,
) -> tuple[pd.DataFrame, Layer]:
    """Transit stops of the pack, the GTFS feed and OSM, merged within 50 m.

    Of stops closer than :data:`STOP_MERGE_M` the best served is kept: departures in the
    rush hour from the GTFS feed, or from the pack's lines; OSM platforms and stations
    (no timetable) count least.
    """
    opening: dict[str, int] = {}
    for line in pack.lines:
        for name in line.stops:
            year = line.opening_year or 0
            opening[name] = min(opening.get(name, year), year)
    pack_stops = facilities_from_places(
        [(s.name, *s.xy_in(crs), s.status) for s in pack.stops], "transit_stop",
        "region pack stops", opening_year={k: v for k, v in opening.items() if v})
    served = [np.array([_line_departures(lines).get(n, 0.0) for n in pack_stops.name])]
    parts = [pack_stops]
    if gtfs is not None and len(gtfs.service):
        svc = gtfs.service[gtfs.service.departures_day > 0]
        parts.append(facilities_from_places(
            list(zip(svc.index.astype(str), svc.x.astype(float), svc.y.astype(float),
                     ["real"] * len(svc), strict=True)), "transit_stop", gtfs.source))
        served.append(svc.departures_peak.to_numpy(float))
    for _, df in osm:
        rows = df[df["category"] == "transit_stop"]
        parts.append(rows)
        served.append(np.full(len(rows), np.nan))
    candidates = pd.concat([p for p in parts if len(p)] or [empty_facilities()],
                           ignore_index=True)
    merged = merge_stops(candidates, np.concatenate(served))
    counts = merged["source"].value_counts()
    n_est = int((merged["status"] == "estimated").sum())
    note = (f"{len(merged)} stops (" + ", ".join(f"{n} from {src}" for src, n in counts.items())
            + f"; {len(candidates)} before merging stops within {STOP_MERGE_M:.0f} m, the "
            "best served kept); " + (f"{n_est} with estimated coordinates; " if n_est else "")
            + "stops of lines not yet open carry opening_year")
    layer = Layer(status="estimated" if n_est else "real",
                  source=", ".join(counts.index) or "none", note=note)
    return merged, layer


def _jobs(pack: RegionPack, cells: pd.DataFrame, crs: str) -> tuple[np.ndarray, Layer]:
    """Jobs per cell: the pack's labelled proxy, or zero (synthetic) without one."""
    if pack.jobs is None:
        return np.zeros(len(cells)), Layer(status="synthetic", source="none",
                                           note="no jobs data: zero")
    centres = [(*c.xy_in(crs), c.jobs, c.radius_m) for c in pack.jobs.centres]
    layer = Layer(
        status="proxy", source="region pack: " + "; ".join(
            f"{c.name} ~{c.jobs:,.0f} ({c.source})" for c in pack.jobs.centres),
        note=f"no real jobs layer; total {pack.jobs.total:,.0f} ({pack.jobs.total_note}); "
        "centres' jobs spread over nearby cells, the rest by population")
    return jobs_proxy(cells, centres, pack.jobs.total), layer


def _transit(
    pack: RegionPack, files: dict[str, list[Path]], boundary: BaseGeometry, crs: str,
) -> tuple[dict[str, Stop], tuple[Line, ...], GtfsService | None, dict[str, Layer]]:
    """The pack's stops and lines, plus the lines of a GTFS feed that serve the region."""
    stops, lines = pack.stop_objects(crs), pack.line_objects(crs)
    if "gtfs" not in files:
        return stops, lines, None, {}
    gtfs = lines_near(files["gtfs"][0], boundary, set(stops), {line.name for line in lines},
                      crs=crs)
    layer = Layer(status="real", source=files["gtfs"][0].name,
                  note=f"{len(gtfs.lines)} lines serving the region on {gtfs.day} (a "
                  "representative weekday); headways from all trips per route and direction")
    return ({**stops, **gtfs.stops}, (*lines, *gtfs.lines), gtfs, {"lines.gtfs": layer})


def _external(
    pack: RegionPack, files: dict[str, list[Path]], stops: dict[str, Stop],
    lines: tuple[Line, ...], streets: Streets, feed_lines: set[str],
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Layer], tuple[Line, ...]]:
    """External zones and their links (:mod:`sim.region.external`), and the lines.

    Every stop of the pack's lines must be linked to the streets or to a zone door (else
    :class:`InputError`); lines of a feed (``feed_lines``) are cut to their stretch of
    linked stops, with a warning.
    """
    log.info("%s: external zones", pack.region.name)
    zones, links, layers = external_from_pack(pack, files, stops)
    defaults = ModelParams()
    radius = pack.external.walk_radius_m if pack.external else defaults.external_stop_radius_m
    feed = tuple(line for line in lines if line.name in feed_lines)
    unlinked = unlinked_stops(feed, stops, streets, links, defaults.stop_snap_max_m)
    if unlinked:
        trimmed = trim_to_linked(feed, set(unlinked))
        log.warning("warning: %d stops of the GTFS lines lie beyond the streets and the "
                    "external zones; the %d lines calling there are cut to the stretch that "
                    "can be reached (%d dropped)", len(unlinked),
                    sum(bool(set(f.stops) & set(unlinked)) for f in feed),
                    len(feed) - len(trimmed))
        lines = (*[line for line in lines if line.name not in feed_lines], *trimmed)
    check_stops_linked(lines, stops, streets, links, defaults.stop_snap_max_m, radius)
    return zones, links, layers, lines


def _calibration(pack: RegionPack) -> tuple[dict[str, Any], Layer]:
    """The travel-survey targets, and whether they describe this region."""
    cal = pack.calibration
    if cal is None:
        return {}, Layer(status="synthetic", source="none",
                         note="no travel survey: mode choice not calibrated to this region")
    if not cal.regional:
        return cal.model_dump(), Layer(
            status="estimated", source=cal.source,
            note="not a survey of this region: mode choice not calibrated to this region")
    return cal.model_dump(), Layer(status="real", source=cal.source)


def _check_population(pack: RegionPack, path: Path, total: float) -> None:
    """The grid's residents inside the boundary against the pack's expected total."""
    expected, tolerance = pack.region.population_expected, pack.region.population_tolerance
    if expected is not None and abs(total - expected) > tolerance * expected:
        raise InputError(
            f"{path}: {total:,.0f} residents inside the boundary, but region "
            f"{pack.region.name!r} expects {expected:,.0f} ± {tolerance:.0%} "
            "(region.population_expected); wrong grid or boundary? (data import "
            "--allow-population-mismatch imports it anyway)")


#: Neighbouring municipalities are kept within this distance of the boundary (map context).
NEIGHBOUR_MARGIN_M = 15_000.0


def neighbours_from_file(path: Path, boundary: BaseGeometry, crs: str,
                         margin_m: float = NEIGHBOUR_MARGIN_M) -> dict[str, BaseGeometry]:
    """Municipalities around ``boundary`` (name → polygon clipped to a margin around it).

    The region's own polygon (more than half of it inside ``boundary``) is left out.
    Used only to draw land and water on maps; no model figure depends on it.
    """
    gdf = read_layer(path, "neighbours", crs)
    names = next((c for c in ("kommunenavn", "navn", "name", "NAME") if c in gdf.columns), None)
    if names is None:
        return {}
    window = shapely.box(*boundary.buffer(margin_m).bounds)
    near = gdf[gdf.intersects(window)]
    out: dict[str, BaseGeometry] = {}
    for name, geom in sorted(zip(near[names].astype(str), near.geometry, strict=True)):
        if geom.intersection(boundary).area > 0.5 * geom.area:
            continue
        clipped = shapely.make_valid(geom.intersection(window))
        if not clipped.is_empty and clipped.area > 0:
            out[name] = clipped
    return out


def build_region(pack: RegionPack, files: dict[str, list[Path]],
                 check_population: bool = True) -> tuple[Region, dict]:
    """Build a :class:`Region` and its info dict from a pack and resolved input files."""
    t0 = time.perf_counter()
    registers = RegisterReport()
    ssr = read_placenames(files)
    pack, registers.stops_from_ssr = pack_with_register_stops(pack, ssr)
    log.info("%s: reading boundary and population", pack.region.name)
    crs = region_crs(files["boundary"][0], pack.region.crs)
    boundary = boundary_from_file(files["boundary"][0], crs)
    cells, cell_size = cells_from_population(files["population"], boundary,
                                             pack.inputs.population_column.name, crs)
    if check_population:
        _check_population(pack, files["population"][0], float(cells["population"].sum()))
    log.info("%s: reading streets", pack.region.name)
    real = streets_from_osm(files["streets"], crs, pack.streets.car_service_roads)
    lat = pack.lattice
    streets, report = lattice_from_cells(real, cells, cell_size, lat.max_gap_m, lat.detour,
                                         lat.link_radius_m, lat.car_speed_kmh)
    layers = {k: v.layer() for k, v in pack.layers.items()}
    layers["streets.lattice"] = Layer(
        status="synthetic", source="gap filling from the population grid (sim.region.lattice)",
        note=f"{report.lattice_cells} of {report.cells} populated cells "
        f"({report.lattice_share:.1%} of population) reached via lattice; "
        f"{report.bridge_links} bridge links join isolated clusters")
    cells["jobs"], layers["jobs"] = _jobs(pack, cells, crs)
    cells = cells[["cell_id", "x", "y", "population", "jobs"]]
    log.info("%s: facilities and transit", pack.region.name)
    osm = _osm_facilities(pack, files, crs)
    facilities, fac_layers = _facilities(pack, files, cells, boundary, cell_size, crs, osm)
    layers.update(fac_layers)
    facilities = register_facilities(pack, files, ssr, facilities, layers, cells, boundary,
                                     cell_size, registers)
    _stops_layer(layers, registers)
    stops, lines, gtfs, transit_layers = _transit(pack, files, boundary, crs)
    layers.update(transit_layers)
    neighbours = (neighbours_from_file(files["neighbours"][0], boundary, crs)
                  if "neighbours" in files else {})
    if neighbours:
        layers["neighbours"] = Layer(status="real", source=files["neighbours"][0].name,
                                     note="map context only (land and water on maps)")
    transit_stops, layers["facilities.transit_stop"] = _transit_stops(
        pack, lines, gtfs, osm, crs)
    facilities = pd.concat([facilities, transit_stops], ignore_index=True)
    calibration, calibration_layer = _calibration(pack)
    layers.setdefault("calibration", calibration_layer)
    feed_lines = set() if gtfs is None else {line.name for line in gtfs.lines}
    external, external_links, external_layers, lines = _external(
        pack, files, stops, lines, streets, feed_lines)
    layers.update(external_layers)
    region = Region(
        name=pack.region.name, streets=streets, cells=cells.reset_index(drop=True),
        cell_size_m=cell_size, areas=pack.area_objects(crs), stops=stops,
        lines=lines, facilities=facilities, boundary=boundary, layers=layers,
        base_year=pack.region.base_year, calibration=calibration,
        external_zones=external, external_links=external_links,
        inputs={k: ", ".join(p.name for p in v) for k, v in files.items()},
        seed=pack.region.seed, walk_thresholds_m=dict(pack.walk_thresholds_m),
        need_share={k: c.in_need / c.residents for k, c in pack.capacity.items()},
        places_per_facility={k: c.in_need / c.facilities for k, c in pack.capacity.items()},
        neighbours=neighbours,
        crs=crs,
        age_shares={k: a.share for k, a in pack.age_shares.items()},
        age_note="; ".join(f"{k}: ages {a.ages}, {a.share:.1%} ({a.source})"
                           for k, a in pack.age_shares.items()),
        climate=pack.climate.model_dump() if pack.climate else {},
        place_names=place_names_from_register(ssr, pack.placenames, registers),
    )
    info = _info(region, pack, report.to_dict(), real_nodes=real.n_nodes,
                 real_edges=real.n_edges, seconds=time.perf_counter() - t0)
    info["registers"] = registers.to_dict()
    return region, info


def _stops_layer(layers: dict[str, Layer], registers: RegisterReport) -> None:
    """Say in the pack's stops layer how many stop coordinates come from SSR."""
    old = layers.get("stops")
    if old is None or not registers.stops_from_ssr:
        return
    layers["stops"] = Layer(
        status=old.status, source=f"{old.source}; Kartverket SSR place names",
        licence=old.licence, date=old.date,
        note=f"{old.note}; {len(registers.stops_from_ssr)} rail/metro stops take SSR "
        f"coordinates: {', '.join(registers.stops_from_ssr)}".lstrip("; "))


def _info(region: Region, pack: RegionPack, lattice: dict, real_nodes: int, real_edges: int,
          seconds: float) -> dict[str, Any]:
    """What ``data info`` shows: layers with provenance and the main figures."""
    s = region.streets
    walk_nodes = np.unique(np.concatenate([s.u[s.walk], s.v[s.walk]]))
    fac = region.facilities
    return {
        "region": region.name,
        "title": pack.region.title,
        "base_year": region.base_year,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "import_seconds": round(seconds, 2),
        "inputs": region.inputs,
        "layers": {k: {"status": v.status, "source": v.source, "licence": v.licence,
                       "date": v.date, "note": v.note} for k, v in region.layers.items()},
        "figures": {
            "population_total": float(region.cells["population"].sum()),
            "populated_cells": len(region.cells),
            "cell_size_m": region.cell_size_m,
            "boundary_area_km2": round(region.boundary.area / 1e6, 3),
            "walk_nodes": len(walk_nodes),
            "walk_edges": int(s.walk.sum()),
            "bike_edges": int(s.bike.sum()),
            "car_edges": int(s.car.sum()),
            "real_street_nodes": real_nodes,
            "real_street_edges": real_edges,
            "synthetic_edges": int(s.synthetic.sum()),
            "lattice": lattice,
            "lattice_population_share": round(lattice["lattice_share"], 4),
            "jobs_total": round(float(region.cells["jobs"].sum())),
            "facilities": {c: int((fac["category"] == c).sum()) for c in EVERYDAY_FUNCTIONS},
            "facility_status": {c: fac.loc[fac["category"] == c, "status"].value_counts()
                                .to_dict() for c in EVERYDAY_FUNCTIONS},
            "facilities_real": _real_facilities(fac),
            "schools": int((fac["category"] == "school").sum()),
            "missing_functions": [c for c in EVERYDAY_FUNCTIONS
                                  if not (fac["category"] == c).any()],
            "jobs_status": region.layers["jobs"].status,
            "crs": region.crs,
        },
        "areas": {kind: [a.name for a in region.areas if a.kind == kind]
                  for kind in ("growth_area", "station", "other")},
        "stops": len(region.stops),
        "lines": [ln.name + (f" (from {ln.opening_year})" if ln.opening_year else "")
                  for ln in region.lines],
        "not_real": sorted(k for k, v in region.layers.items() if v.status != "real"),
        "place_names": len(region.place_names),
    }


def _real_facilities(fac: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per category (everyday functions and destinations): real rows of all, their kinds
    and the capacity they give."""
    out: dict[str, dict[str, Any]] = {}
    for category in (*EVERYDAY_FUNCTIONS, "destination"):
        rows = fac[fac["category"] == category]
        real = rows[rows["status"] == "real"]
        kinds = real["kind"].dropna().value_counts().to_dict() if "kind" in real else {}
        out[category] = {"real": len(real), "total": len(rows), "kinds": kinds,
                         "capacity_real": float(real["capacity"].fillna(0).sum())}
    return out


