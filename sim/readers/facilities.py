"""Everyday-function facilities from files: OSM tags, user files, geocoded schools, and
the registers (Udir's kindergarten register, Kartverket's place names, SSR).

Every function returns a frame with :data:`FACILITY_COLUMNS` in the region's CRS
(default EPSG:25833); ``status`` says whether a row is real, estimated or a proxy,
``kind`` the type within its category (school type, ordinary or family kindergarten,
nature reserve ...). :func:`merge_stops` joins transit stops of several sources that are
the same stop.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import osmium
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from sim.domain import CRS, lonlat_to_xy
from sim.errors import InputError
from sim.readers.layers import read_layer
from sim.vocab import EVERYDAY_FUNCTIONS

FACILITY_COLUMNS = ["category", "name", "x", "y", "capacity", "status", "source",
                    "opening_year", "kind"]

#: Column names recognised as a facility name.
NAME_COLUMNS = ("name", "navn", "school name", "skolenavn", "title")

TagMap = Mapping[str, Mapping[str, Sequence[str] | bool]]


def empty_facilities() -> pd.DataFrame:
    """An empty facility frame with the right columns."""
    return pd.DataFrame({c: pd.Series(dtype="float64" if c in ("x", "y", "capacity",
                                      "opening_year") else "object")
                         for c in FACILITY_COLUMNS})


def facility_frame(rows: list[dict]) -> pd.DataFrame:
    """Rows of facilities as a frame with :data:`FACILITY_COLUMNS` and numeric dtypes."""
    if not rows:
        return empty_facilities()
    df = pd.DataFrame(rows)
    for col in FACILITY_COLUMNS:
        if col not in df:
            df[col] = np.nan
    return df[FACILITY_COLUMNS].astype({"x": float, "y": float, "capacity": float,
                                        "opening_year": float})


def osm_tag_keys(tag_map: TagMap) -> dict[str, bool | str | list[str]]:
    """All tags of a category → tags mapping, merged (osmnx ``features`` query form)."""
    every: set[str] = set()  # keys where any value counts
    values_of: dict[str, set[str]] = {}
    for tags in tag_map.values():
        for key, values in tags.items():
            if isinstance(values, bool):
                if values:
                    every.add(key)
            else:
                values_of.setdefault(key, set()).update(values)
    merged: dict[str, bool | str | list[str]] = {k: sorted(v) for k, v in values_of.items()}
    merged.update(dict.fromkeys(every, True))
    return merged


def _category_of(tags: Mapping[str, object], tag_map: TagMap) -> str | None:
    for category, wanted in tag_map.items():
        for key, values in wanted.items():
            value = tags.get(key)
            if value is None or (isinstance(value, float) and np.isnan(value)):
                continue
            if values is True or (not isinstance(values, bool) and str(value) in values):
                return category
    return None


#: Tags that mark a feature as not (yet, or no longer) in use.
NOT_IN_USE_KEYS = ("construction", "disused", "abandoned", "proposed", "razed")


def _in_use(tags: Mapping[str, object]) -> bool:
    """False for a feature tagged as under construction, disused, abandoned ..."""
    return not any(k in NOT_IN_USE_KEYS or str(v) in NOT_IN_USE_KEYS for k, v in tags.items())


def _feature_point(obj: osmium.osm.Node | osmium.osm.Way | osmium.osm.Area,
                   wkb: osmium.geom.WKBFactory) -> shapely.Point | None:
    """A point for a node, an open way (mean of its nodes) or an area (closed way or
    multipolygon relation: a point inside it)."""
    if isinstance(obj, osmium.osm.Node):
        return shapely.Point(obj.location.lon, obj.location.lat)
    if isinstance(obj, osmium.osm.Area):
        try:
            return shapely.from_wkb(wkb.create_multipolygon(obj)).representative_point()
        except RuntimeError:  # an area osmium could not assemble
            return None
    locs = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
    return shapely.Point(*np.mean(locs, axis=0)) if locs else None


def features_from_osm_file(paths: Iterable[Path | str], tag_map: TagMap) -> gpd.GeoDataFrame:
    """OSM nodes, ways and multipolygon relations carrying any mapped tag, as points.

    A node is its location, an open way the mean of its nodes, a closed way or a
    multipolygon (e.g. a park) a point inside it. Features tagged as under
    construction, disused, abandoned or proposed are left out.
    """
    wanted = sorted(osm_tag_keys(tag_map))
    keys = {*wanted, "name", *NOT_IN_USE_KEYS}
    rows: list[dict] = []
    seen: set[tuple[str, int]] = set()
    wkb = osmium.geom.WKBFactory()
    entities = osmium.osm.NODE | osmium.osm.WAY | osmium.osm.RELATION | osmium.osm.AREA
    for path in paths:
        try:
            processor = (osmium.FileProcessor(str(path), entities).with_locations()
                         .with_areas().with_filter(osmium.filter.KeyFilter(*wanted)))
            for obj in processor:
                if not isinstance(obj, osmium.osm.Node | osmium.osm.Way | osmium.osm.Area) or (
                        isinstance(obj, osmium.osm.Way) and obj.is_closed()):
                    continue  # relations and closed ways come as areas
                tags = {t.k: t.v for t in obj.tags if t.k in keys}
                if _category_of(tags, tag_map) is None or not _in_use(tags):
                    continue
                kind, ident = type(obj).__name__, obj.id
                if isinstance(obj, osmium.osm.Area):
                    kind, ident = ("Way" if obj.from_way() else "Relation"), obj.orig_id()
                point = _feature_point(obj, wkb)
                if point is None or (kind, ident) in seen:
                    continue
                seen.add((kind, ident))
                rows.append({**tags, "geometry": point})
        except RuntimeError as exc:
            raise InputError(f"{path}: not a readable OSM file ({exc})") from None
    if not rows:
        return gpd.GeoDataFrame({"geometry": []}, geometry="geometry", crs="EPSG:4326")
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def facilities_from_features(
    gdf: gpd.GeoDataFrame, tag_map: TagMap, source: str = "OpenStreetMap", crs: str = CRS,
) -> pd.DataFrame:
    """Classify OSM features (tag columns + geometry) into everyday-function facilities
    (in ``crs``); features not in use (under construction, disused ...) are left out."""
    if gdf.empty:
        return empty_facilities()
    if gdf.crs is None:
        raise InputError(f"{source}: POI layer has no CRS (expected EPSG:4326 or 25833)")
    pts = gdf.to_crs(crs)
    geoms = pts.geometry.representative_point()
    rows = []
    records = pts.drop(columns="geometry").to_dict("records")
    for rec, pt in zip(records, geoms, strict=True):
        category = _category_of(rec, tag_map)
        if category is None or not _in_use({k: v for k, v in rec.items() if pd.notna(v)}):
            continue
        name = rec.get("name")
        rows.append({"category": category, "name": "" if pd.isna(name) else str(name),
                     "x": pt.x, "y": pt.y, "status": "real", "source": source})
    return facility_frame(rows)


def _name_column(columns: Iterable[str]) -> str | None:
    lower = {str(c).lower(): c for c in columns}
    return next((lower[n] for n in NAME_COLUMNS if n in lower), None)


def facilities_from_file(path: Path | str, category: str | None = None,
                         crs: str = CRS) -> pd.DataFrame:
    """Facilities from a user file: GeoPackage/GeoJSON (points or polygons) or CSV.

    The file needs a ``category`` column (one of the everyday functions) unless
    ``category`` is given; CSV files need ``x, y`` (in ``crs``) or ``lon, lat`` columns.
    An optional ``capacity`` column is kept.
    """
    path = Path(path)
    if path.suffix.lower() == ".csv":
        if not path.is_file():
            raise InputError(f"{path}: file not found (expected a facility CSV)")
        df = pd.read_csv(path)
        cols = {c.lower(): c for c in df.columns}
        if "x" in cols and "y" in cols:
            x, y = df[cols["x"]].to_numpy(float), df[cols["y"]].to_numpy(float)
        elif "lon" in cols and "lat" in cols:
            x, y = lonlat_to_xy(df[cols["lon"]].to_numpy(float), df[cols["lat"]].to_numpy(float),
                                crs)
        else:
            raise InputError(f"{path}: no coordinate columns (expected x,y in EPSG:25833 "
                             "or lon,lat)")
        gdf = pd.DataFrame(df)
    else:
        gdf = read_layer(path, "facilities", crs)
        pts = gdf.geometry.representative_point()
        x, y = pts.x.to_numpy(), pts.y.to_numpy()
    cols = {str(c).lower(): c for c in gdf.columns}
    if category is None:
        if "category" not in cols:
            raise InputError(f"{path}: no 'category' column (expected one of "
                             f"{', '.join(EVERYDAY_FUNCTIONS)} per row)")
        cats = gdf[cols["category"]].astype(str).str.strip().str.lower()
        bad = sorted(set(cats) - set(EVERYDAY_FUNCTIONS))
        if bad:
            raise InputError(f"{path}: category: unknown value {bad[0]!r} (expected one of "
                             f"{', '.join(EVERYDAY_FUNCTIONS)})")
    else:
        cats = pd.Series([category] * len(gdf))
    name_col = _name_column(gdf.columns)
    names = gdf[name_col].astype(str).to_numpy() if name_col else [""] * len(gdf)
    capacity = (pd.to_numeric(gdf[cols["capacity"]], errors="coerce").to_numpy()
                if "capacity" in cols else np.full(len(gdf), np.nan))
    rows = [{"category": c, "name": n, "x": xx, "y": yy, "capacity": cap, "status": "real",
             "source": path.name}
            for c, n, xx, yy, cap in zip(cats, names, x, y, capacity, strict=True)]
    return facility_frame(rows)


def schools_from_file(path: Path | str, crs: str = CRS) -> pd.DataFrame:
    """Schools (category ``school``) from a point layer such as the geocoded school list."""
    df = facilities_from_file(path, category="school", crs=crs)
    df["source"] = f"{Path(path).name} (geocoded)"
    return df


def facilities_from_places(
    places: Iterable[tuple[str, float, float, str]], category: str, source: str,
    status: str | None = None, opening_year: Mapping[str, int] | None = None,
) -> pd.DataFrame:
    """Facilities from named points ``(name, x, y, status)``; ``status`` overrides all."""
    opening_year = opening_year or {}
    rows = [{"category": category, "name": name, "x": x, "y": y,
             "status": status or st, "source": source,
             "opening_year": opening_year.get(name, np.nan)}
            for name, x, y, st in places]
    return facility_frame(rows)


#: Transit stops closer than this (metres) are one stop: platforms on both sides of a
#: street, or a station found in OSM, in a GTFS feed and in the region pack.
STOP_MERGE_M = 50.0


def merge_stops(stops: pd.DataFrame, served: np.ndarray,
                radius_m: float = STOP_MERGE_M) -> pd.DataFrame:
    """One facility per group of transit stops within ``radius_m``, the best served kept.

    Stops are taken best served first (``served``: e.g. departures in the rush hour;
    ties: real before other statuses, then the given order); each one not yet taken
    keeps its place and takes every untaken stop within ``radius_m``. The kept stop
    opens when the first of its group does (a stop open today stays open).
    """
    if stops.empty:
        return stops
    served = np.nan_to_num(np.asarray(served, float), nan=-1.0)
    order = np.lexsort((np.arange(len(stops)), stops["status"].to_numpy() != "real", -served))
    xy = stops[["x", "y"]].to_numpy(float)
    near = cKDTree(xy).query_ball_point(xy, radius_m)
    group = np.full(len(stops), -1)
    for i in order:
        if group[i] < 0:
            members = [j for j in near[i] if group[j] < 0]
            group[members] = i
    kept = np.unique(group)
    out = stops.iloc[kept].copy()
    opening = stops["opening_year"].to_numpy(float)
    out["opening_year"] = [np.nan if np.isnan(opening[group == k]).any()
                           else float(opening[group == k].min()) for k in kept]
    return out.reset_index(drop=True)


def _truthy(value: object) -> bool:
    """A yes/no attribute as read from GeoJSON (bool, 'yes'/'true'/'1', or missing)."""
    if isinstance(value, bool | np.bool_):
        return bool(value)
    return str(value).strip().lower() in ("true", "yes", "1")


def kindergartens_from_file(path: Path | str) -> pd.DataFrame:
    """Kindergartens of Udir's register (NBR/barnehagefakta) as points.

    Needs ``name`` and ``capacity`` (enrolled children) per row; ``family`` marks family
    kindergartens (``kind`` ``family``, else ``ordinary``). :class:`InputError` names the
    file and the first feature without a usable capacity.
    """
    path = Path(path)
    gdf = read_layer(path, "kindergartens")
    missing = [c for c in ("name", "capacity") if c not in gdf.columns]
    if missing:
        raise InputError(f"{path}: no {' or '.join(repr(c) for c in missing)} column "
                         "(expected Udir's register with enrolled children as capacity)")
    capacity = pd.to_numeric(gdf["capacity"], errors="coerce")
    bad = capacity.isna() | (capacity < 0)
    if bad.any():
        fid = gdf.index[np.flatnonzero(bad.to_numpy())[0]]
        raise InputError(f"{path}: feature {fid}: capacity: expected enrolled children "
                         f"(a number ≥ 0), got {gdf['capacity'].loc[fid]!r}")
    pts = gdf.geometry.representative_point()
    family = gdf["family"] if "family" in gdf.columns else pd.Series(False, index=gdf.index)
    rows = [{"category": "kindergarten", "name": str(n), "x": p.x, "y": p.y, "capacity": c,
             "status": "real", "source": f"{path.name} (Udir register)",
             "kind": "family" if _truthy(f) else "ordinary"}
            for n, p, c, f in zip(gdf["name"], pts, capacity, family, strict=True)]
    return facility_frame(rows)


def placenames_from_file(path: Path | str) -> gpd.GeoDataFrame:
    """Kartverket's place-name register (SSR) converted to OSM tags, as points in EPSG:25833.

    Keeps every tag column; ``name`` is required. Used for stop coordinates, schools,
    recreation features and map labels.
    """
    path = Path(path)
    gdf = read_layer(path, "place names")
    if "name" not in gdf.columns:
        raise InputError(f"{path}: no 'name' column (expected SSR place names with OSM tags)")
    gdf = gdf[gdf["name"].notna()].copy()
    gdf["geometry"] = gdf.geometry.representative_point()
    return gdf


def features_with_tags(gdf: gpd.GeoDataFrame, tags: Mapping[str, Sequence[str]]
                       ) -> gpd.GeoDataFrame:
    """Rows of a tagged layer whose tag ``key`` has one of ``values``, for any key."""
    keep = np.zeros(len(gdf), bool)
    for key, values in tags.items():
        if key in gdf.columns:
            keep |= gdf[key].isin(list(values)).to_numpy()
    return gdf[keep]
