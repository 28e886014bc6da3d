"""Region data commands: ``data fetch | import | info`` and :func:`load_region`.

A region bundle is built from a region pack (``network_data/<name>/*.toml``) and input
files, cached under ``network_data/<name>/cache/`` (or ``$BAERUM_SIM_CACHE/<name>/``)
and keyed by the sha256 of all inputs and pack files.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim import bundle as bundle_io
from sim.errors import InputError
from sim.pack import RegionPack, load_pack, pack_dir, resolve_inputs
from sim.region import EVERYDAY_FUNCTIONS, Layer, Region
from sim.settings import shared_data_dir


def cache_dir(name: str) -> Path:
    """Cache directory of region ``name``: ``$BAERUM_SIM_CACHE/<name>`` or the pack's
    ``cache/``."""
    env = os.environ.get("BAERUM_SIM_CACHE")
    if env:
        return Path(env) / name
    return pack_dir(name) / "cache"


def default_source(name: str) -> Path | None:
    """Default input directory: the shared data directory, else ``<pack>/inputs/``."""
    shared = shared_data_dir()
    if shared is not None:
        return shared
    inputs = pack_dir(name) / "inputs"
    return inputs if inputs.is_dir() else None


def _log(quiet: bool, msg: str) -> None:
    if not quiet:
        tqdm.write(msg)


# ---------------------------------------------------------------------------
# building


def _facilities(
    pack: RegionPack, files: dict[str, list[Path]], cells: pd.DataFrame, boundary,
    cell_size: float, seed: int,
) -> tuple[pd.DataFrame, dict[str, Layer]]:
    """Facilities per everyday function, preferring real layers over proxies."""
    from sim.facilities import (
        empty_facilities,
        facilities_from_features,
        facilities_from_file,
        facilities_from_places,
        features_from_osm_file,
        kindergarten_proxy,
        recreation_proxy,
        schools_from_file,
    )
    from sim.population import read_layer

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
        parts.append(facilities_from_places(places, "grocery", "local centres (stations.md)",
                                            status="proxy"))
        layers["facilities.grocery"] = Layer(
            status="proxy", source="local centres of the region pack (stations.md)",
            note=f"{len(places)} local centres stand in for grocery stores (no shop data)")
    if "facilities.kindergarten" not in layers and pack.proxies.kindergarten_count:
        parts.append(kindergarten_proxy(cells, pack.proxies.kindergarten_count, seed=seed))
        layers["facilities.kindergarten"] = Layer(
            status="proxy", source="SSB grid (population-weighted k-means)",
            note=pack.proxies.kindergarten_note)
    if "facilities.recreation" not in layers:
        parts.append(recreation_proxy(cells, boundary, cell_size))
        layers["facilities.recreation"] = Layer(
            status="proxy", source="SSB grid (unpopulated cells next to populated ones)",
            note=pack.proxies.recreation_note)
    # transit stops: the pack's stations and hubs (status per stop)
    opening: dict[str, int] = {}
    for line in pack.lines:
        for stop in line.stops:
            year = line.opening_year or 0
            opening[stop] = min(opening.get(stop, year), year)
    places = [(s.name, *s.xy, s.status) for s in pack.stops]
    stops = facilities_from_places(
        places, "transit_stop", "region pack (stations.md)",
        opening_year={k: v for k, v in opening.items() if v})
    parts.append(stops)
    n_est = int((stops["status"] == "estimated").sum())
    layers["facilities.transit_stop"] = Layer(
        status="estimated" if n_est else "real", source="region pack stops (stations.md)",
        note=f"{len(stops)} stops, {n_est} with estimated coordinates; "
        "stops of lines not yet open carry opening_year")
    parts = [p for p in parts if len(p)]
    facilities = pd.concat(parts, ignore_index=True) if parts else empty_facilities()
    return facilities, layers


def build_region(
    pack: RegionPack, files: dict[str, list[Path]], quiet: bool = True
) -> tuple[Region, dict]:
    """Build a :class:`Region` and its info dict from a pack and resolved input files."""
    from sim.lattice import lattice_from_cells
    from sim.osm import graph_from_osm, streets_from_graph
    from sim.population import boundary_from_file, cells_from_population, jobs_proxy

    t0 = time.perf_counter()
    steps = tqdm(total=6, desc=f"import {pack.region.name}", unit="step",
                 disable=True if quiet else None)
    boundary = boundary_from_file(files["boundary"][0])
    steps.update()
    cells, cell_size = cells_from_population(files["population"], boundary,
                                             pack.inputs.population_column.name)
    steps.update()
    G = graph_from_osm(files["streets"])
    real = streets_from_graph(G)
    steps.update()
    lat = pack.lattice
    streets, report = lattice_from_cells(real, cells, cell_size, lat.max_gap_m, lat.detour,
                                         lat.link_radius_m, lat.car_speed_kmh)
    steps.update()
    layers = {k: v.layer() for k, v in pack.layers.items()}
    layers["streets.lattice"] = Layer(
        status="synthetic", source="gap filling from the SSB grid (sim.lattice)",
        note=f"{report.lattice_cells} of {report.cells} populated cells "
        f"({report.lattice_share:.1%} of population) reached via lattice; "
        f"{report.bridge_links} bridge links join isolated clusters")
    if pack.jobs is not None:
        centres = [(*c.xy, c.jobs, c.radius_m) for c in pack.jobs.centres]
        cells["jobs"] = jobs_proxy(cells, centres, pack.jobs.total)
        layers["jobs"] = Layer(
            status="proxy", source="region pack: " + "; ".join(
                f"{c.name} ~{c.jobs:,.0f} ({c.source})" for c in pack.jobs.centres),
            note=f"no real jobs layer; total {pack.jobs.total:,.0f} ({pack.jobs.total_note}); "
            "centres' jobs spread over nearby cells, the rest by population")
    else:
        cells["jobs"] = 0.0
        layers["jobs"] = Layer(status="synthetic", source="none", note="no jobs data: zero")
    cells = cells[["cell_id", "x", "y", "population", "jobs"]]
    seed = 0
    facilities, fac_layers = _facilities(pack, files, cells, boundary, cell_size, seed)
    layers.update(fac_layers)
    steps.update()
    layers["areas"] = Layer(status="estimated", source="kommuneplanens samfunnsdel 2021–2040; "
                            "centres stations.md", note="radii are estimates")
    layers["stops"] = Layer(status="estimated", source="stations.md",
                            note="mix of verified [V] and estimated [E] coordinates per stop")
    layers["lines"] = Layer(status="estimated", source="baerum.md §5, stations.md",
                            note="frequency-based; derived run times are estimates, bus "
                            "headways are estimates (10 peak / 15 off-peak)")
    layers["external_zones"] = Layer(status="estimated", source="travel survey 2018: 20 % "
                                     "of trips to/from Oslo", note="Oslo located at Oslo S")
    layers["calibration"] = Layer(status="real", source=str(pack.calibration.get("source", "")))
    stops, lines = pack.stop_objects(), pack.line_objects()
    if "gtfs" in files:
        from sim.gtfs import lines_near

        gtfs_stops, gtfs_lines = lines_near(files["gtfs"][0], boundary, set(stops),
                                            {line.name for line in lines})
        stops = {**stops, **gtfs_stops}
        lines = (*lines, *gtfs_lines)
        layers["lines.gtfs"] = Layer(
            status="real", source=files["gtfs"][0].name,
            note=f"{len(gtfs_lines)} lines serving the region, headways from stop_times")
    inputs = {k: ", ".join(p.name for p in v) for k, v in files.items()}
    region = Region(
        name=pack.region.name, streets=streets, cells=cells.reset_index(drop=True),
        cell_size_m=cell_size, areas=pack.area_objects(), stops=stops,
        lines=lines, facilities=facilities, boundary=boundary, layers=layers,
        base_year=pack.region.base_year, calibration=dict(pack.calibration),
        external_zones=pack.external_zone_frame(), inputs=inputs, seed=seed,
        walk_thresholds_m=dict(pack.walk_thresholds_m),
    )
    steps.update()
    steps.close()
    info = _info(region, pack, report.to_dict(), real_nodes=real.n_nodes,
                 real_edges=real.n_edges, seconds=time.perf_counter() - t0)
    return region, info


def _info(region: Region, pack: RegionPack, lattice: dict, real_nodes: int, real_edges: int,
          seconds: float) -> dict:
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
            "schools": int((fac["category"] == "school").sum()),
        },
        "areas": {kind: [a.name for a in region.areas if a.kind == kind]
                  for kind in ("growth_area", "station", "other")},
        "stops": len(region.stops),
        "lines": [ln.name + (f" (from {ln.opening_year})" if ln.opening_year else "")
                  for ln in region.lines],
        "not_real": sorted(k for k, v in region.layers.items() if v.status != "real"),
    }


# ---------------------------------------------------------------------------
# commands


def _resolve(name: str, source: Path | None) -> tuple[RegionPack, Path, dict[str, list[Path]]]:
    pack = load_pack(name)
    src = source if source is not None else default_source(name)
    if src is None:
        raise InputError(f"no input directory for region {name!r} (expected $BAERUM_SIM_DATA, "
                         f"../shared/data or {pack.directory / 'inputs'}; "
                         f"run `baerum-sim data fetch {name}`)")
    src = Path(src)
    if not src.is_dir():
        raise InputError(f"{src}: input directory not found")
    return pack, src, resolve_inputs(pack, src)


def import_region(name: str, source: Path | None = None, quiet: bool = False,
                  force: bool = False) -> Path:
    """Build the bundle of region ``name`` from ``source`` (default: shared data dir).

    Skips the build when a bundle with the same cache key exists (unless ``force``).
    Returns the bundle directory. An error leaves an earlier bundle intact.
    """
    pack, src, files = _resolve(name, source)
    key = bundle_io.cache_key(files, pack.files)
    target = cache_dir(name)
    manifest = bundle_io.read_manifest(target / bundle_io.BUNDLE_NAME)
    if not force and manifest and manifest.get("key") == key:
        _log(quiet, f"{name}: bundle up to date ({target / bundle_io.BUNDLE_NAME})")
        return target / bundle_io.BUNDLE_NAME
    region, info = build_region(pack, files, quiet=quiet)
    info["source_dir"] = str(src)
    info["key"] = key
    out = bundle_io.write_bundle(region, info, {"key": key, "format": bundle_io.BUNDLE_FORMAT,
                                                "region": name, "source": str(src)}, target)
    _log(quiet, f"{name}: bundle written to {out} in {info['import_seconds']:.1f} s")
    return out


def _ensure_bundle(name: str, quiet: bool) -> Path:
    pack = load_pack(name)
    bundle = cache_dir(name) / bundle_io.BUNDLE_NAME
    src = default_source(name)
    if src is None:
        if bundle_io.read_manifest(bundle) is not None:
            return bundle
        raise InputError(f"region {name!r} has no bundle and no inputs (set BAERUM_SIM_DATA "
                         f"or run `baerum-sim data fetch {name}`)")
    return import_region(pack.region.name, src, quiet=quiet)


def load_region(name: str, quiet: bool = False) -> Region:
    """The region ``name`` from its cached bundle, built (or rebuilt) when needed."""
    return bundle_io.load_bundle(_ensure_bundle(name, quiet))


def region_info(name: str) -> dict:
    """What the bundle of region ``name`` holds (builds it when missing)."""
    return bundle_io.read_info(_ensure_bundle(name, quiet=True))


def fetch_region(name: str, quiet: bool = False, dest: Path | None = None) -> Path:
    """Download the inputs of region ``name`` (needs internet); see :mod:`sim.fetch`."""
    from sim.fetch import fetch_inputs

    pack = load_pack(name)
    return fetch_inputs(pack, dest or pack.directory / "inputs", quiet=quiet)


def format_info(info: dict) -> str:
    """Human-readable ``data info`` text."""
    f = info["figures"]
    lat = f["lattice"]
    lines = [
        f"region {info['region']} — {info.get('title', '')} (base year {info['base_year']})",
        f"built {info.get('built_at', '?')} from {info.get('source_dir', '?')} "
        f"in {info.get('import_seconds', 0):.1f} s",
        "",
        "layers:",
    ]
    for name, layer in info["layers"].items():
        extra = ", ".join(x for x in (layer["date"], layer["licence"]) if x)
        lines.append(f"  {name:26s} [{layer['status']}] {layer['source']}"
                     + (f" ({extra})" if extra else ""))
        if layer["note"]:
            lines.append(f"  {'':26s}   {layer['note']}")
    lines += [
        "",
        "figures:",
        f"  population inside boundary  {f['population_total']:,.0f} in "
        f"{f['populated_cells']:,} cells of {f['cell_size_m']:.0f} m",
        f"  boundary area               {f['boundary_area_km2']:.1f} km²",
        f"  walk graph                  {f['walk_nodes']:,} nodes, {f['walk_edges']:,} edges "
        f"(real streets: {f['real_street_nodes']:,} nodes, {f['real_street_edges']:,} edges; "
        f"synthetic edges {f['synthetic_edges']:,})",
        f"  served by lattice           {lat['lattice_cells']:,} cells, "
        f"{f['lattice_population_share']:.1%} of population (synthetic); "
        f"all cells connected: {lat['all_cells_connected']}; bridge links "
        f"{lat['bridge_links']} (longest {lat['bridge_max_m']:.0f} m)",
        f"  jobs (proxy)                {f['jobs_total']:,}",
        "  facilities                  " + ", ".join(
            f"{c} {n} ({'/'.join(f'{k} {v}' for k, v in f['facility_status'][c].items())})"
            for c, n in f["facilities"].items()),
        f"  schools                     {f['schools']}",
        "",
        "areas: growth " + ", ".join(info["areas"]["growth_area"]),
        "       stations " + ", ".join(info["areas"]["station"]),
        "       other " + ", ".join(info["areas"]["other"]),
        f"transit: {info['stops']} stops; lines " + ", ".join(info["lines"]),
        "not real (derived/proxy/estimated/synthetic): " + ", ".join(info["not_real"]),
    ]
    return "\n".join(lines)
