"""``region new``: a region pack skeleton for another municipality, from the files at hand.

The boundary is cut from a municipalities file (``--kommune``; or given with
``--boundary``) and written to ``<pack>/inputs/boundary.geojson``. The input
directories are searched for OSM extracts, population grids and GTFS feeds that cover
it; where the street extracts cover only part of the municipality the boundary is
clipped to them (and says so). National defaults come from
``network_data/_templates/norway.toml``; every value not read in a source about the
region is listed under ``[region] estimated``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import osmium
import pandas as pd
import pyogrio
import shapely
from pydantic import ValidationError
from shapely.geometry.base import BaseGeometry

from sim import settings
from sim.errors import InputError
from sim.readers.layers import POPULATION_COLUMNS, read_layer
from sim.region.find import known_regions
from sim.region.pack import RegionPack

log = logging.getLogger(__name__)

#: Defaults of a new Norwegian region (national facts with their sources).
NORWAY_TEMPLATE = settings.NETWORK_DATA_DIR / "_templates" / "norway.toml"

_OSM = (".osm.pbf", ".osm.bz2", ".osm", ".osm.xml", ".osm.gz")
_NAME = re.compile(r"^[a-z][a-z0-9_\-]*$")


@dataclass(frozen=True)
class Found:
    """What ``region new`` found for a region: boundary and the covering input files."""

    boundary: BaseGeometry  # WGS84
    title: str
    boundary_source: str
    clipped_note: str
    streets: list[Path]
    population: list[Path]
    gtfs: list[Path]


def _files(sources: list[Path], suffixes: tuple[str, ...]) -> list[Path]:
    return sorted({p for d in sources for p in d.iterdir()
                   if p.is_file() and p.name.lower().endswith(suffixes)})


def boundary_of_kommune(sources: list[Path], kommune: str) -> tuple[BaseGeometry, str, str]:
    """``(polygon in WGS84, title, source)`` of municipality ``kommune`` (``kommunenummer``)."""
    number = kommune.zfill(4)
    for path in _files(sources, (".geojson", ".gpkg", ".json")):
        try:
            info = pyogrio.read_info(path)
        except pyogrio.errors.DataSourceError:
            continue
        if "kommunenummer" not in list(info["fields"]):
            continue
        gdf = gpd.read_file(path, where=f"kommunenummer = '{number}'")
        if len(gdf):
            name = str(gdf.iloc[0].get("kommunenavn") or gdf.iloc[0].get("name") or number)
            geom = shapely.make_valid(gdf.to_crs("EPSG:4326").geometry.union_all())
            return geom, f"{name} kommune ({number})", f"{path.name}, kommunenummer {number}"
    where = ", ".join(str(d) for d in sources)
    raise InputError(f"{where}: no municipalities file with kommunenummer {number} (expected a "
                     "GeoJSON/GeoPackage with a 'kommunenummer' column, e.g. "
                     "kommuner_2024_S.geojson; or give --boundary FILE)")


def osm_extent(path: Path) -> BaseGeometry:
    """Bounding box (WGS84) of the nodes of an OSM file."""
    lon_min = lat_min = 1e9
    lon_max = lat_max = -1e9
    try:
        for node in osmium.FileProcessor(str(path), osmium.osm.NODE):
            loc = node.location  # type: ignore[union-attr]  # only nodes are read
            if loc.valid():
                lon_min, lon_max = min(lon_min, loc.lon), max(lon_max, loc.lon)
                lat_min, lat_max = min(lat_min, loc.lat), max(lat_max, loc.lat)
    except RuntimeError as exc:
        raise InputError(f"{path}: not a readable OSM file ({exc})") from None
    if lon_min > lon_max:
        return shapely.Polygon()
    return shapely.box(lon_min, lat_min, lon_max, lat_max)


def _population_files(sources: list[Path], area: BaseGeometry) -> list[Path]:
    """Vector layers with a population column and a populated cell centred in ``area``
    (WGS84). A grid whose extent merely overlaps the area (a neighbouring county's grid
    around it) is not one: import reads only cells centred inside the boundary."""
    found = []
    for path in _files(sources, (".gpkg", ".geojson", ".zip", ".shp")):
        try:
            info = pyogrio.read_info(path)
        except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
            continue
        fields = {str(f).lower() for f in info["fields"]}
        if not fields & set(POPULATION_COLUMNS) or info["crs"] is None:
            continue
        local = gpd.GeoSeries([area], crs="EPSG:4326").to_crs(info["crs"]).iloc[0]
        if local.intersects(shapely.box(*info["total_bounds"])) and _populated_inside(
                path, local):
            found.append(path)
    return found


def _populated_inside(path: Path, area: BaseGeometry) -> bool:
    """Whether a cell of population layer ``path`` with persons > 0 is centred in ``area``
    (``area`` in the layer's CRS)."""
    gdf = gpd.read_file(path, engine="pyogrio", bbox=area.bounds)
    column = next((c for c in gdf.columns if str(c).lower() in POPULATION_COLUMNS), None)
    if column is None or gdf.empty:
        return False
    centres = gdf.geometry.centroid
    populated = pd.to_numeric(gdf[column], errors="coerce").fillna(0).to_numpy() > 0
    return bool((populated & shapely.contains_xy(area, centres.x.to_numpy(),
                                                  centres.y.to_numpy())).any())


def _gtfs_files(sources: list[Path], area: BaseGeometry) -> list[Path]:
    """GTFS zips with at least one stop inside ``area`` (WGS84)."""
    found = []
    for path in _files(sources, (".zip",)):
        try:
            with zipfile.ZipFile(path) as zf:
                name = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "stops.txt"),
                            None)
                if name is None:
                    continue
                stops = pd.read_csv(io.BytesIO(zf.read(name)), encoding="utf-8-sig",
                                    skipinitialspace=True)
        except (zipfile.BadZipFile, OSError, ValueError):
            continue
        stops.columns = [str(c).strip() for c in stops.columns]
        if {"stop_lat", "stop_lon"} <= set(stops.columns) and shapely.contains_xy(
                area, stops.stop_lon.to_numpy(float), stops.stop_lat.to_numpy(float)).any():
            found.append(path)
    return found


def find_inputs(sources: list[Path], boundary: BaseGeometry, title: str, boundary_source: str
                ) -> Found:
    """The street extracts, population grids and GTFS feeds covering ``boundary``; the
    boundary is clipped to the street extracts where they cover only part of it."""
    streets = [(p, osm_extent(p)) for p in _files(sources, _OSM)]
    streets = [(p, e) for p, e in streets if e.intersects(boundary)]
    if not streets:
        raise InputError(f"{', '.join(str(d) for d in sources)}: no OSM extract (.osm.pbf, "
                         f".osm.bz2, .osm) covers {title}")
    covered = shapely.union_all([e for _, e in streets])
    note = ""
    if not covered.contains(boundary):
        clipped = shapely.make_valid(boundary.intersection(covered))
        share = _area_km2(clipped) / _area_km2(boundary)
        note = (f"clipped to the street extract(s) ({_area_km2(clipped):.1f} of "
                f"{_area_km2(boundary):.1f} km², {share:.0%})")
        log.warning("%s: boundary %s", title, note)
        boundary = clipped
    population = _population_files(sources, boundary)
    if not population:
        raise InputError(f"{', '.join(str(d) for d in sources)}: no population grid (a layer "
                         f"with one of the columns {', '.join(POPULATION_COLUMNS)}) covers "
                         f"{title}")
    return Found(boundary, title, boundary_source, note, [p for p, _ in streets], population,
                 _gtfs_files(sources, boundary))


def _area_km2(geom: BaseGeometry) -> float:
    return float(gpd.GeoSeries([geom], crs="EPSG:4326").to_crs("EPSG:25833").area.iloc[0]) / 1e6


# ---------------------------------------------------------------------------- writing


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def toml_text(data: dict[str, Any], prefix: str = "") -> str:
    """TOML of nested dicts of scalars and lists (tables after their scalar keys)."""
    scalars = [f"{k} = {_toml_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    parts = ["\n".join(scalars)] if scalars else []
    for key, value in data.items():
        if isinstance(value, dict):
            name = f"{prefix}.{key}" if prefix else key
            inner = toml_text(value, name).strip()
            parts.append(f"[{name}]\n{inner}" if not inner.startswith("[") else inner)
    return "\n\n".join(p for p in parts if p) + "\n"


def _year(paths: list[Path]) -> int | None:
    years = [int(m) for p in paths for m in re.findall(r"(?<!\d)(20\d\d)(?!\d)", p.name)]
    return max(years) if years else None


def _group(paths: list[Path]) -> str | list[str]:
    """One ``[inputs]`` alternative: a file, or a group of files read together (a bare
    list of names would be alternatives, of which import reads only the first found)."""
    names = [p.name for p in paths]
    return names if len(names) > 1 else names[0]


def pack_data(name: str, found: Found, norway: bool) -> dict[str, Any]:
    """The pack of a new region as nested dicts (see the module docstring)."""
    template = tomllib.loads(NORWAY_TEMPLATE.read_text(encoding="utf-8")) if norway else {}
    year = _year(found.population)  # the population grid's year, from its file name
    estimated = ["title", "base_year", "cell_size_m"]
    info: dict[str, Any] = {"name": name, "title": found.title,
                            "base_year": year or 2023,
                            "cell_size_m": template.get("region", {}).get("cell_size_m", 250.0)}
    if norway:
        info["crs"] = template["region"]["crs"]
        estimated += ["crs", "calibration", "climate", "walk_thresholds_m", "fetch",
                      "osm_tags"]
    info["estimated"] = estimated
    streets = [p.name for p in found.streets]
    data: dict[str, Any] = {
        "region": info,
        "inputs": {"boundary": ["boundary.geojson"],
                   "population": [_group(found.population)],
                   "streets": [_group(found.streets)],
                   "gtfs": [p.name for p in found.gtfs[:1]],
                   "optional": ["gtfs"]},
        "layers": {
            "boundary": {"status": "derived" if found.clipped_note else "real",
                         "source": found.boundary_source,
                         "note": found.clipped_note},
            "population": {"status": "real",
                           "source": ", ".join(p.name for p in found.population)},
            "streets": {"status": "real", "source": "OpenStreetMap: " + ", ".join(streets),
                        "licence": "ODbL (OpenStreetMap contributors)"},
        },
    }
    if norway:
        fetch = dict(template["fetch"])
        fetch["boundary_query"] = fetch["boundary_query"].format(
            name=found.title.split(" kommune")[0])
        data.update(fetch=fetch, calibration=template["calibration"],
                    climate=template["climate"],
                    walk_thresholds_m=template["walk_thresholds_m"],
                    osm_tags=template["osm_tags"])
    return data


def new_region(name: str, kommune: str | None = None, boundary: Path | None = None,
               sources: list[Path] | None = None, dest: Path | None = None,
               force: bool = False) -> Path:
    """Write the pack skeleton of a new region; returns its directory.

    Parameters
    ----------
    name
        Region name (lower case, digits, ``_`` or ``-``); the pack directory's name.
    kommune
        Norwegian municipality number: the boundary is cut from a municipalities file
        in ``sources`` and the national defaults apply.
    boundary
        A boundary file instead (any polygon layer).
    sources
        Directories searched for inputs (default: the shared data directory).
    dest
        Where the pack directory goes (default: the first ``$BAERUM_SIM_PACKS``
        directory, else ``network_data/``).
    """
    if not _NAME.match(name):
        raise InputError(f"region name {name!r}: use lower-case letters, digits, '_' or '-'")
    if (kommune is None) == (boundary is None):
        raise InputError("region new: give either --kommune NNNN or --boundary FILE")
    shared = settings.shared_data_dir()
    dirs = [Path(d) for d in sources] if sources else ([shared] if shared else [])
    if not dirs or not all(d.is_dir() for d in dirs):
        raise InputError(f"{', '.join(map(str, dirs)) or 'no input directory'}: input "
                         "directory not found (give --from DIR or set $BAERUM_SIM_DATA)")
    target = (dest or settings.pack_search_path()[0]) / name
    if not force and (name in known_regions() or (target / "pack.toml").exists()):
        raise InputError(f"region {name!r} exists already ({target}); choose another name")
    if kommune is not None:
        geom, title, source = boundary_of_kommune(dirs, kommune)
    else:
        geom = read_layer(Path(str(boundary)), "boundary", "EPSG:4326").geometry.union_all()
        title, source = name, Path(str(boundary)).name
    found = find_inputs(dirs, geom, title, source)
    data = pack_data(name, found, norway=kommune is not None)
    try:
        RegionPack(**data, directory=target)
    except ValidationError as exc:  # pragma: no cover - a bug of this module
        raise InputError(f"region new: the pack written would be invalid ({exc})") from None
    (target / "inputs").mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame({"name": [title]}, geometry=[found.boundary], crs="EPSG:4326").to_file(
        target / "inputs" / "boundary.geojson", driver="GeoJSON")
    header = (f"# Region pack of {title}, written by `baerum-sim region new`.\n"
              "# Values listed under [region] estimated were guessed or copied from national\n"
              "# defaults, not read in a source about the region: check them. Add areas,\n"
              "# stops, lines, jobs and external zones with their sources.\n\n")
    (target / "pack.toml").write_text(header + toml_text(data), encoding="utf-8")
    return target
