"""Growth layers: polygons drawn in QGIS (GeoPackage/GeoJSON) with amounts and years.

:func:`growth_features_from_file` reads one layer into ``(feature id, WKT, attributes)``
triples in EPSG:25833; the scenario turns each into a placement and checks the values.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.readers.layers import read_layer


def _plain(value: Any) -> Any:
    """A GIS attribute as a plain Python value (missing → None)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if value is pd.NaT:
        return None
    return value


def growth_features_from_file(
    path: Path | str, layer: str | None, needed: list[str], one_of: list[str],
) -> list[tuple[str, str, dict[str, Any]]]:
    """Polygon features of a growth layer: ``(feature id, WKT in EPSG:25833, attributes)``.

    ``needed`` attributes must exist as columns and ``one_of`` at least one of its
    columns (dwellings, jobs); :class:`InputError` names the file, the layer and, for a
    feature that is not a polygon, its id.
    """
    path = Path(path)
    where = f"{path} (layer {layer})" if layer else str(path)
    gdf = read_layer(path, "growth", layer=layer, fid_as_index=True)
    columns = set(map(str, gdf.columns))
    missing = [c for c in needed if c not in columns]
    if missing:
        raise InputError(f"{where}: no attribute {', '.join(map(repr, missing))} (attributes: "
                         f"{', '.join(sorted(columns - {'geometry'}))})")
    if not any(c in columns for c in one_of):
        raise InputError(f"{where}: none of the attributes {', '.join(map(repr, one_of))} "
                         "(expected dwellings and/or jobs per feature)")
    features = []
    for fid, row in gdf.iterrows():
        geom = row.geometry
        if geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputError(f"{where}: feature {fid}: geometry is a {geom.geom_type} "
                             "(expected a polygon)")
        attributes = {str(k): _plain(v) for k, v in row.items() if k != "geometry"}
        features.append((str(fid), geom.wkt, attributes))
    return features
