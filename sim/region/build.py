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
from shapely.geometry.base import BaseGeometry

from sim.readers.facilities import (
    empty_facilities,
    facilities_from_features,
    facilities_from_file,
    facilities_from_places,
    features_from_osm_file,
    schools_from_file,
)
from sim.readers.gtfs import lines_near
from sim.readers.layers import boundary_from_file, cells_from_population, read_layer
from sim.readers.osm import graph_from_osm, streets_from_graph
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
    boundary: BaseGeometry, cell_size: float,
) -> tuple[pd.DataFrame, dict[str, Layer]]:
    """Facilities per everyday function, preferring real layers over proxies."""
    by_source: list[tuple[str, pd.DataFrame]] = []
    if "facilities" in files:
        by_source.append((files["facilities"][0].name,
                          facilities_from_file(files["facilities"][0])))
    if "schools" in files:
        by_source.append((files["schools"][0].name, schools_from_file(files["schools"][0])))
    if "pois" in files:
        gdf = read_layer(files["pois"][0], "pois")
        by_source.append((files["pois"][0].name,
                          facilities_from_features(gdf, pack.osm_tags, "OpenStreetMap")))
    osm_files = [p for p in files["streets"] if not p.name.endswith(".graphml")]
    if osm_files and pack.osm_tags:
        feats = features_from_osm_file(osm_files, pack.osm_tags)
        by_source.append(("OSM extract", facilities_from_features(feats, pack.osm_tags)))
    parts: list[pd.DataFrame] = []
    layers: dict[str, Layer] = {}
    for category in EVERYDAY_FUNCTIONS:
        if category == "transit_stop":
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
        places = [(c.name, *c.xy, c.status) for c in pack.local_centres]
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
    # transit stops: the pack's stations and hubs (status per stop)
    opening: dict[str, int] = {}
    for line in pack.lines:
        for stop in line.stops:
            year = line.opening_year or 0
            opening[stop] = min(opening.get(stop, year), year)
    places = [(s.name, *s.xy, s.status) for s in pack.stops]
    stops = facilities_from_places(
        places, "transit_stop", "region pack stops",
        opening_year={k: v for k, v in opening.items() if v})
    parts.append(stops)
    n_est = int((stops["status"] == "estimated").sum())
    layers["facilities.transit_stop"] = Layer(
        status="estimated" if n_est else "real", source="region pack stops",
        note=f"{len(stops)} stops, {n_est} with estimated coordinates; "
        "stops of lines not yet open carry opening_year")
    parts = [p for p in parts if len(p)]
    facilities = pd.concat(parts, ignore_index=True) if parts else empty_facilities()
    return facilities, layers


def _jobs(pack: RegionPack, cells: pd.DataFrame) -> tuple[np.ndarray, Layer]:
    """Jobs per cell: the pack's labelled proxy, or zero (synthetic) without one."""
    if pack.jobs is None:
        return np.zeros(len(cells)), Layer(status="synthetic", source="none",
                                           note="no jobs data: zero")
    centres = [(*c.xy, c.jobs, c.radius_m) for c in pack.jobs.centres]
    layer = Layer(
        status="proxy", source="region pack: " + "; ".join(
            f"{c.name} ~{c.jobs:,.0f} ({c.source})" for c in pack.jobs.centres),
        note=f"no real jobs layer; total {pack.jobs.total:,.0f} ({pack.jobs.total_note}); "
        "centres' jobs spread over nearby cells, the rest by population")
    return jobs_proxy(cells, centres, pack.jobs.total), layer


def _transit(
    pack: RegionPack, files: dict[str, list[Path]], boundary: BaseGeometry
) -> tuple[dict, tuple, dict[str, Layer]]:
    """The pack's stops and lines, plus the lines of a GTFS feed that serve the region."""
    stops, lines = pack.stop_objects(), pack.line_objects()
    if "gtfs" not in files:
        return stops, lines, {}
    gtfs_stops, gtfs_lines = lines_near(files["gtfs"][0], boundary, set(stops),
                                        {line.name for line in lines})
    layer = Layer(status="real", source=files["gtfs"][0].name,
                  note=f"{len(gtfs_lines)} lines serving the region, headways from stop_times")
    return {**stops, **gtfs_stops}, (*lines, *gtfs_lines), {"lines.gtfs": layer}


def build_region(pack: RegionPack, files: dict[str, list[Path]]) -> tuple[Region, dict]:
    """Build a :class:`Region` and its info dict from a pack and resolved input files."""
    t0 = time.perf_counter()
    registers = RegisterReport()
    ssr = read_placenames(files)
    pack, registers.stops_from_ssr = pack_with_register_stops(pack, ssr)
    log.info("%s: reading boundary and population", pack.region.name)
    boundary = boundary_from_file(files["boundary"][0])
    cells, cell_size = cells_from_population(files["population"], boundary,
                                             pack.inputs.population_column.name)
    log.info("%s: reading streets", pack.region.name)
    real = streets_from_graph(graph_from_osm(files["streets"]))
    lat = pack.lattice
    streets, report = lattice_from_cells(real, cells, cell_size, lat.max_gap_m, lat.detour,
                                         lat.link_radius_m, lat.car_speed_kmh)
    layers = {k: v.layer() for k, v in pack.layers.items()}
    layers["streets.lattice"] = Layer(
        status="synthetic", source="gap filling from the population grid (sim.region.lattice)",
        note=f"{report.lattice_cells} of {report.cells} populated cells "
        f"({report.lattice_share:.1%} of population) reached via lattice; "
        f"{report.bridge_links} bridge links join isolated clusters")
    cells["jobs"], layers["jobs"] = _jobs(pack, cells)
    cells = cells[["cell_id", "x", "y", "population", "jobs"]]
    log.info("%s: facilities", pack.region.name)
    facilities, fac_layers = _facilities(pack, files, cells, boundary, cell_size)
    layers.update(fac_layers)
    facilities = register_facilities(pack, files, ssr, facilities, layers, cells, boundary,
                                     cell_size, registers)
    _stops_layer(layers, registers)
    layers.setdefault("calibration", Layer(status="real", source=pack.calibration.source))
    stops, lines, transit_layers = _transit(pack, files, boundary)
    layers.update(transit_layers)
    region = Region(
        name=pack.region.name, streets=streets, cells=cells.reset_index(drop=True),
        cell_size_m=cell_size, areas=pack.area_objects(), stops=stops,
        lines=lines, facilities=facilities, boundary=boundary, layers=layers,
        base_year=pack.region.base_year, calibration=pack.calibration.model_dump(),
        external_zones=pack.external_zone_frame(),
        inputs={k: ", ".join(p.name for p in v) for k, v in files.items()},
        seed=pack.region.seed, walk_thresholds_m=dict(pack.walk_thresholds_m),
        need_share={k: c.in_need / c.residents for k, c in pack.capacity.items()},
        places_per_facility={k: c.in_need / c.facilities for k, c in pack.capacity.items()},
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


