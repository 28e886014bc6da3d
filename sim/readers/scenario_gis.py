"""Layers of a scenario's GeoPackage (drawn in GIS), read in EPSG:25833 with feature ids.

The frames' index is the feature id (``fid``) so that errors can name the feature.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pyogrio

from sim.domain import CRS
from sim.errors import InputError


def gis_layer_names(path: Path) -> list[str]:
    """Layer names of a GeoPackage (:class:`InputError` when it is missing or unreadable)."""
    if not path.is_file():
        raise InputError(f"{path}: GeoPackage not found (named by the scenario's [gis] file)")
    try:
        return [str(name) for name, _ in pyogrio.list_layers(path)]
    except (pyogrio.errors.DataSourceError, OSError) as exc:
        raise InputError(f"{path}: not a readable GeoPackage ({exc})") from None


def read_gis_layer(path: Path, layer: str) -> gpd.GeoDataFrame:
    """One layer, reprojected to EPSG:25833, indexed by feature id."""
    names = gis_layer_names(path)
    if layer not in names:
        raise InputError(f"{path}: no layer {layer!r} (layers: {', '.join(names) or 'none'})")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        frame = gpd.read_file(path, layer=layer, fid_as_index=True)
    if len(frame) and frame.crs is None:
        raise InputError(f"{path}: layer {layer!r} has no CRS (expected e.g. EPSG:25833)")
    return frame.to_crs(CRS) if len(frame) else frame.set_crs(CRS, allow_override=True)
