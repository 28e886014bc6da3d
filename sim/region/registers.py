"""Register data in a region build: Udir's kindergartens and Kartverket's place names (SSR).

Each function takes what the build already has and returns it improved, with the
layer's provenance saying how many rows are real:

- :func:`pack_with_register_stops`: SSR rail and metro stop coordinates replace the
  pack's coordinates where the names match;
- :func:`register_facilities`: Udir kindergartens (enrolled children as capacity)
  replace the kindergarten proxy; SSR schools join the listed schools (type kept:
  the pack says which types serve the school function, the rest become
  ``destination`` rows); SSR nature reserves and pitches plus the marka edge replace
  the recreation proxy;
- :func:`place_names_from_register`: SSR quarter, locality ... names for map labels.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry.base import BaseGeometry

from sim.domain import xy_to_lonlat
from sim.readers.facilities import (
    facility_frame,
    features_with_tags,
    kindergartens_from_file,
    placenames_from_file,
)
from sim.readers.layers import read_layer
from sim.region.model import Layer
from sim.region.pack import Place, PlaceNamesSpec, RegionPack
from sim.region.proxies import marka_edge_proxy, shore_proxy

log = logging.getLogger(__name__)

#: Columns of :attr:`sim.region.Region.place_names`.
PLACE_NAME_COLUMNS = ["name", "kind", "x", "y", "source"]


@dataclass
class RegisterReport:
    """What the registers changed, for ``data info``."""

    stops_from_ssr: list[str] = field(default_factory=list)
    schools_matched: list[str] = field(default_factory=list)
    place_names: int = 0

    def to_dict(self) -> dict:
        """As a plain dict (JSON-ready)."""
        return {"stops_from_ssr": len(self.stops_from_ssr),
                "stops_from_ssr_names": self.stops_from_ssr,
                "schools_matched_with_ssr": len(self.schools_matched),
                "place_names": self.place_names}


def read_placenames(files: dict[str, list[Path]]) -> gpd.GeoDataFrame | None:
    """The SSR place-name layer when the pack's inputs include it."""
    return placenames_from_file(files["placenames"][0]) if "placenames" in files else None


def _stop_key(name: str, suffixes: list[str]) -> str:
    key = name.split(";")[0].strip()
    for suffix in suffixes:
        if key.lower().endswith(suffix.lower()):
            key = key[: -len(suffix)]
    return key.strip().lower()


def pack_with_register_stops(pack: RegionPack, ssr: gpd.GeoDataFrame | None
                             ) -> tuple[RegionPack, list[str]]:
    """The pack with SSR's rail and metro stop coordinates where the stop names match.

    Matched stops become ``real`` with the SSR source in their note; returns the new pack
    and the names of the stops that took SSR coordinates.
    """
    if ssr is None or "railway" not in ssr.columns:
        return pack, []
    spec = pack.placenames
    rail = ssr[ssr["railway"].isin(["station", "halt"])]
    by_key = {_stop_key(str(n), spec.stop_suffixes): p
              for n, p in zip(rail["name"], rail.geometry, strict=True)}
    stops: list[Place] = []
    matched: list[str] = []
    for stop in pack.stops:
        point = by_key.get(stop.name.lower())
        if point is None:
            stops.append(stop)
            continue
        lon, lat = xy_to_lonlat(point.x, point.y)
        stops.append(stop.model_copy(update={
            "lat": float(lat), "lon": float(lon), "status": "real",
            "note": f"coordinates from Kartverket SSR (was {stop.status}: "
                    f"{stop.lat}, {stop.lon})"}))
        matched.append(stop.name)
    return pack.model_copy(update={"stops": stops}), matched


def _name_tokens(name: str) -> frozenset[str]:
    """Words of a school name without "skole" endings and filler words, for matching."""
    tokens = set()
    for word in re.findall(r"\w+", name.lower()):
        stem = re.sub(r"(barne|ungdoms)?skolen?$", "", word)
        if stem and stem not in ("og", "i"):
            tokens.add(stem)
    return frozenset(tokens)


def _school_type(name: str, spec: PlaceNamesSpec) -> str:
    lower = name.lower()
    return next((t for word, t in spec.school_types.items() if word.lower() in lower),
                "compulsory")


def _join_schools(listed: pd.DataFrame, ssr: gpd.GeoDataFrame, spec: PlaceNamesSpec
                  ) -> tuple[pd.DataFrame, list[str]]:
    """Listed schools (type ``spec.listed_school_type``) joined with SSR's schools.

    A listed school and an SSR school are one when one name's words contain the other's
    and they lie within ``spec.match_radius_m``; the school then takes SSR's coordinates.
    SSR schools without a match are added with the type their name gives.
    """
    schools = ssr[ssr.get("amenity", pd.Series(index=ssr.index, dtype=object)) == "school"]
    typed = {j for j, name in enumerate(schools["name"])
             if _school_type(str(name), spec) != "compulsory"}  # another type: never the same
    listed = listed.copy()
    listed["kind"] = spec.listed_school_type
    used: set[int] = set(typed)
    matched = []
    for i, row in listed.iterrows():
        mine = _name_tokens(str(row["name"]))
        for j, (name, point) in enumerate(zip(schools["name"], schools.geometry, strict=True)):
            theirs = _name_tokens(str(name))
            close = np.hypot(point.x - row["x"], point.y - row["y"]) <= spec.match_radius_m
            if j not in used and mine and theirs and (mine <= theirs or theirs <= mine) and close:
                used.add(j)
                listed.loc[i, ["x", "y"]] = [point.x, point.y]
                listed.loc[i, "source"] = f"{row['source']}; coordinates Kartverket SSR"
                matched.append(str(row["name"]))
                break
    added = [{"category": "school", "name": str(name), "x": p.x, "y": p.y, "status": "real",
              "source": "Kartverket SSR place names", "kind": _school_type(str(name), spec)}
             for j, (name, p) in enumerate(zip(schools["name"], schools.geometry, strict=True))
             if j not in used or j in typed]
    return pd.concat([listed, facility_frame(added)], ignore_index=True), matched


def _schools(facilities: pd.DataFrame, layers: dict[str, Layer], ssr: gpd.GeoDataFrame,
             spec: PlaceNamesSpec, report: RegisterReport) -> pd.DataFrame:
    """Replace the school rows by the listed schools joined with SSR's; types kept."""
    listed = facilities[facilities.category == "school"]
    joined, report.schools_matched = _join_schools(listed, ssr, spec)
    serves = joined["kind"].isin(spec.school_function_types)
    joined.loc[~serves, "category"] = "destination"
    n_listed, n_added = len(listed), len(joined) - len(listed)
    old = layers.get("facilities.school")
    kinds = joined.loc[serves, "kind"].value_counts().to_dict()
    others = joined.loc[~serves, "kind"].value_counts().to_dict()
    layers["facilities.school"] = Layer(
        status="real",
        source=f"{old.source if old else 'listed schools'} + Kartverket SSR place names",
        licence=f"{old.licence if old else ''}; CC BY 4.0 (Kartverket)".strip("; "),
        date=old.date if old else "",
        note=f"{n_listed} listed schools ({len(report.schools_matched)} with SSR coordinates) "
        f"+ {n_added} SSR schools; school function: {kinds}; destinations only: {others}")
    layers["facilities.destination"] = Layer(
        status="real", source="Kartverket SSR place names",
        note=f"schools that do not serve the primary-school function: {others}")
    return pd.concat([facilities[facilities.category != "school"], joined], ignore_index=True)


def _kindergartens(facilities: pd.DataFrame, layers: dict[str, Layer], path: Path
                   ) -> pd.DataFrame:
    """Udir's kindergartens (enrolled children as capacity) replace any other layer."""
    kg = kindergartens_from_file(path)
    kinds = kg["kind"].value_counts().to_dict()
    layers["facilities.kindergarten"] = Layer(
        status="real", source=f"{path.name}: Udir kindergarten register (NBR, barnehagefakta)",
        licence="NLOD (Udir)", date="2024",
        note=f"{len(kg)} kindergartens {kinds}; capacity = enrolled children, sum "
        f"{kg['capacity'].sum():,.0f}")
    return pd.concat([facilities[facilities.category != "kindergarten"], kg],
                     ignore_index=True)


def _neighbours(path: Path, boundary: BaseGeometry) -> BaseGeometry:
    """The other municipalities near the region (the one covering it is left out)."""
    gdf = read_layer(path, "municipalities")
    near = gdf[gdf.intersects(boundary.buffer(2000.0))]
    own = near.intersection(boundary).area > 0.5 * boundary.area
    return near[~own].geometry.union_all()


def _recreation(facilities: pd.DataFrame, layers: dict[str, Layer], ssr: gpd.GeoDataFrame,
                pack: RegionPack, files: dict[str, list[Path]], cells: pd.DataFrame,
                boundary: BaseGeometry, cell_size: float) -> pd.DataFrame:
    """SSR nature reserves and pitches (real points), the marka edge and the shore
    (proxies)."""
    spec = pack.placenames
    feats = features_with_tags(ssr, spec.recreation)
    kind = next(iter(spec.recreation))
    real = facility_frame([
        {"category": "recreation", "name": str(n), "x": p.x, "y": p.y, "status": "real",
         "source": "Kartverket SSR place names (name point of the area)", "kind": str(k)}
        for n, p, k in zip(feats["name"], feats.geometry, feats[kind], strict=True)])
    proxies = pack.proxies
    edge = marka_edge_proxy(cells, boundary, cell_size, proxies.marka_min_width_m,
                            proxies.marka_min_area_km2)
    shore = facility_frame([])
    if "neighbours" in files:
        shore = shore_proxy(boundary, _neighbours(files["neighbours"][0], boundary),
                            proxies.shore_min_distance_m, proxies.shore_spacing_m)
    kinds = real["kind"].value_counts().to_dict()
    layers["facilities.recreation"] = Layer(
        status="proxy",
        source="Kartverket SSR place names + marka edge from the population grid + shore "
        "from the municipal boundaries",
        note=f"{len(real)} real SSR features {kinds} (their name points) + {len(edge)} "
        f"proxy points on the marka edge (unpopulated land ≥ {proxies.marka_min_width_m:.0f} m "
        f"wide and ≥ {proxies.marka_min_area_km2:g} km²) + {len(shore)} proxy points on the "
        f"shore (boundary ≥ {proxies.shore_min_distance_m:.0f} m from other municipalities); "
        "parks, playgrounds and shore access rights are not known")
    return pd.concat([facilities[facilities.category != "recreation"], real, edge, shore],
                     ignore_index=True)


def register_facilities(
    pack: RegionPack, files: dict[str, list[Path]], ssr: gpd.GeoDataFrame | None,
    facilities: pd.DataFrame, layers: dict[str, Layer], cells: pd.DataFrame,
    boundary: BaseGeometry, cell_size: float, report: RegisterReport,
) -> pd.DataFrame:
    """Facilities with the register data of the pack's inputs in place of weaker layers.

    ``layers`` is updated in place with the provenance of every replaced layer.
    """
    if "kindergartens" in files:
        facilities = _kindergartens(facilities, layers, files["kindergartens"][0])
    if ssr is not None:
        facilities = _schools(facilities, layers, ssr, pack.placenames, report)
        facilities = _recreation(facilities, layers, ssr, pack, files, cells, boundary,
                                 cell_size)
    return facilities.reset_index(drop=True)


def place_names_from_register(ssr: gpd.GeoDataFrame | None, spec: PlaceNamesSpec,
                              report: RegisterReport) -> pd.DataFrame:
    """Named places for map labels (``name, kind, x, y, source``), sorted by kind and name.

    Names holding several names separated by ``;`` keep the first.
    """
    if ssr is None or "place" not in ssr.columns:
        return pd.DataFrame(columns=PLACE_NAME_COLUMNS)
    rows = ssr[ssr["place"].isin(spec.label_kinds)]
    table = pd.DataFrame({
        "name": [str(n).split(";")[0].strip() for n in rows["name"]],
        "kind": rows["place"].astype(str).to_numpy(),
        "x": rows.geometry.x.to_numpy(), "y": rows.geometry.y.to_numpy(),
        "source": "Kartverket SSR place names"})
    order = {k: i for i, k in enumerate(spec.label_kinds)}
    table = table.sort_values(["kind", "name"], key=lambda s: s.map(order) if s.name == "kind"
                              else s).reset_index(drop=True)
    report.place_names = len(table)
    return table[PLACE_NAME_COLUMNS]
