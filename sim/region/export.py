"""``data export``: a region's street layers and facilities as files a planner can open.

GeoPackage (default): layers ``nodes``, ``edges`` (every edge, with ``length_m``,
``walk``, ``bike``, ``car``, ``oneway``, ``synthetic``), ``walk_edges``, ``bike_edges``,
``car_edges`` (the same, per mode), ``facilities`` and ``boundary``, in the region's
CRS: open it in QGIS to see which streets were imported and where the gap-filling
lattice stands in.

GraphML: one directed graph as osmnx writes it (``crs`` of the region, node ``x``/``y``,
``osmid``; edge ``length`` in metres and a WKT ``geometry``). Every edge is stored in
both directions; each arc says whether one may walk, cycle or drive along it (``car``
is false on the reverse arc of a one-way street), so ``walk``/``bike``/``car`` arcs are
exactly the three graphs. ``osmnx.load_graphml`` and ``networkx.read_graphml`` read it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import shapely

from sim.domain import Streets
from sim.errors import InputError
from sim.region.model import Region

FORMATS = ("gpkg", "graphml")


@contextmanager
def _atomic_file(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` (same suffix) that replaces it when complete."""
    tmp = path.with_name(f".{path.stem}.tmp-{os.getpid()}{path.suffix}")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _edge_lines(s: Streets) -> list[shapely.LineString]:
    return [shapely.LineString(s.edge_shape(i)) for i in range(s.n_edges)]


def edges_frame(s: Streets, crs: str) -> gpd.GeoDataFrame:
    """One row per street edge: ends, length, modes, one-way, synthetic, car speed."""
    return gpd.GeoDataFrame({
        "edge": np.arange(s.n_edges), "u": s.u, "v": s.v,
        "u_osmid": s.node_id[s.u], "v_osmid": s.node_id[s.v], "length_m": s.length_m,
        "walk": s.walk, "bike": s.bike, "car": s.car, "oneway": s.oneway & s.car,
        "synthetic": s.synthetic, "car_speed_kmh": s.car_speed_kmh,
    }, geometry=_edge_lines(s), crs=crs)


def nodes_frame(s: Streets, crs: str) -> gpd.GeoDataFrame:
    """One row per street node: its OSM id (0: none) and whether only the lattice uses it."""
    real = np.zeros(s.n_nodes, bool)
    real[s.u[~s.synthetic]] = True
    real[s.v[~s.synthetic]] = True
    return gpd.GeoDataFrame({"node": np.arange(s.n_nodes), "osmid": s.node_id,
                             "synthetic": ~real},
                            geometry=gpd.points_from_xy(s.node_x, s.node_y), crs=crs)


def _write_gpkg(region: Region, out: Path) -> None:
    edges = edges_frame(region.streets, region.crs)
    layers = {
        "nodes": nodes_frame(region.streets, region.crs),
        "edges": edges,
        **{f"{mode}_edges": edges[edges[mode]] for mode in ("walk", "bike", "car")},
        "facilities": gpd.GeoDataFrame(
            region.facilities, geometry=gpd.points_from_xy(region.facilities.x,
                                                           region.facilities.y),
            crs=region.crs),
        "boundary": gpd.GeoDataFrame({"region": [region.name]}, geometry=[region.boundary],
                                     crs=region.crs),
    }
    for name, frame in layers.items():
        frame.to_file(out, layer=name, driver="GPKG", engine="pyogrio")


def graph_from_streets(s: Streets, crs: str) -> nx.MultiDiGraph:
    """The street layers as one osmnx-style MultiDiGraph (see the module docstring)."""
    G: nx.MultiDiGraph = nx.MultiDiGraph(crs=crs, name="baerum-sim streets")
    ids = [int(i) if i else -(k + 1) for k, i in enumerate(s.node_id.tolist())]
    for k, (x, y) in enumerate(zip(s.node_x.tolist(), s.node_y.tolist(), strict=True)):
        G.add_node(k, x=x, y=y, osmid=ids[k])
    lines = _edge_lines(s)
    for i in range(s.n_edges):
        u, v = int(s.u[i]), int(s.v[i])
        common = {"length": float(s.length_m[i]), "walk": bool(s.walk[i]),
                  "bike": bool(s.bike[i]), "oneway": bool(s.oneway[i] and s.car[i]),
                  "synthetic": bool(s.synthetic[i]), "speed_kph": float(s.car_speed_kmh[i]),
                  "edge": i}
        G.add_edge(u, v, **common, car=bool(s.car[i]), reversed=False, geometry=lines[i])
        if u != v:
            G.add_edge(v, u, **common, car=bool(s.car[i] and not s.oneway[i]), reversed=True,
                       geometry=lines[i].reverse())
    return G


def export_region(region: Region, out: Path, fmt: str = "gpkg") -> Path:
    """Write ``region``'s streets (and, for GeoPackage, facilities) to ``out``."""
    if fmt not in FORMATS:
        raise InputError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out = Path(out)
    if not out.parent.is_dir():
        raise InputError(f"{out}: directory {out.parent} not found")
    with _atomic_file(out) as tmp:
        if fmt == "gpkg":
            _write_gpkg(region, tmp)
        else:
            import osmnx as ox

            ox.save_graphml(graph_from_streets(region.streets, region.crs), tmp)
    return out


def read_edges(path: Path, layer: str = "edges") -> pd.DataFrame:
    """A layer of an exported GeoPackage (for checks and tests)."""
    return gpd.read_file(path, layer=layer, engine="pyogrio")
