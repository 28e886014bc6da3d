"""``data export``: a region's walk, bike and car graphs and facilities, for inspection.

On the synthetic demo region (no data needed) and on the Oslo-east region made with
``region new`` (fixture ``oslo_east_env``; skipped without the shared data). The
GeoPackage layers must be the region's own arrays; GraphML must load in osmnx, with
the region's directed car arcs and lengths in metres: shortest car distances through
osmnx/networkx agree with scipy's Dijkstra on the region's arrays, and every real
edge's length agrees with its geometry in the region's CRS.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmnx as ox
import pyogrio
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from sim.cli import main
from sim.domain import Streets
from sim.region.load import load_region
from sim.region.model import Region

LAYERS = {"nodes", "edges", "walk_edges", "bike_edges", "car_edges", "facilities", "boundary"}
MODES = ("walk", "bike", "car")
FLAGS = ("walk", "bike", "car", "oneway", "synthetic")

#: The gap-filling lattice's longest detour over the straight line (sim.region.lattice);
#: the demo's streets are 1.0–1.12 times the straight line (sim.region.demo).
MAX_DETOUR = 1.3
#: Edge lengths are great-circle metres (as osmnx's); in UTM 33N at 60° N a projected
#: length is within 0.5 % of that (earth radius and scale factor).
GREAT_CIRCLE_TOLERANCE = 0.005


def _export(region: str, out: Path, fmt: str = "gpkg") -> Path:
    assert main(["data", "export", region, "--out", str(out), "--format", fmt,
                 "--quiet"]) == 0
    return out


def check_gpkg(path: Path, region: Region) -> None:
    """Every layer is the region's: its arrays, per mode, lengths in metres."""
    s = region.streets
    assert {str(name) for name, _ in pyogrio.list_layers(path)} >= LAYERS
    edges = gpd.read_file(path, layer="edges")
    assert len(edges) == s.n_edges and edges.crs.equals(region.crs)
    assert np.array_equal(edges.length_m.to_numpy(), s.length_m)
    assert np.array_equal(edges.u.to_numpy(), s.u) and np.array_equal(edges.v.to_numpy(), s.v)
    expected = {"walk": s.walk, "bike": s.bike, "car": s.car, "oneway": s.oneway & s.car,
                "synthetic": s.synthetic}
    for flag in FLAGS:
        assert edges[flag].dtype == bool and np.array_equal(edges[flag].to_numpy(),
                                                            expected[flag]), flag
    for mode in MODES:
        layer = gpd.read_file(path, layer=f"{mode}_edges")
        mask = getattr(s, mode)
        assert len(layer) == mask.sum() and layer[mode].all()
        assert layer.length_m.sum() == pytest.approx(s.length_m[mask].sum(), rel=1e-12)
        assert np.array_equal(np.sort(layer.edge.to_numpy()), np.flatnonzero(mask))
    _check_metres(edges)
    nodes = gpd.read_file(path, layer="nodes")
    assert len(nodes) == s.n_nodes
    assert np.allclose(nodes.geometry.x, s.node_x) and np.allclose(nodes.geometry.y, s.node_y)
    assert np.array_equal(nodes.osmid.to_numpy(), s.node_id)
    facilities = gpd.read_file(path, layer="facilities")
    assert len(facilities) == len(region.facilities) > 0
    assert facilities.category.value_counts().to_dict() == \
        region.facilities.category.value_counts().to_dict()
    assert np.allclose(facilities.geometry.x, region.facilities.x)
    boundary = gpd.read_file(path, layer="boundary")
    assert boundary.area.sum() == pytest.approx(region.boundary.area, rel=1e-9)


def _check_metres(edges: gpd.GeoDataFrame) -> None:
    """Lengths are metres: a real street as long as its drawn line (within the
    great-circle difference), a lattice edge at most its detour longer."""
    drawn = edges.geometry.length.to_numpy()
    length = edges.length_m.to_numpy()
    real = ~edges.synthetic.to_numpy() & (length >= 1.0)  # 0.5 m: the shortest edge kept
    assert (np.abs(drawn[real] / length[real] - 1) < GREAT_CIRCLE_TOLERANCE).all()
    lattice = edges.synthetic.to_numpy()
    assert (length[lattice] >= drawn[lattice] - 1e-6).all()
    assert (length[lattice] <= np.maximum(MAX_DETOUR * drawn[lattice], 0.5) + 1e-6).all()


def _flag(text: str) -> bool:
    """A GraphML boolean as osmnx writes it."""
    if text not in ("True", "False"):
        raise ValueError(f"not a boolean: {text!r}")
    return text == "True"


def _arcs(G: nx.MultiDiGraph, mode: str) -> set[tuple[int, int, int]]:
    return {(u, v, d["edge"]) for u, v, d in G.edges(data=True) if d[mode]}


def check_graphml(path: Path, region: Region, pairs: int = 30) -> None:
    """osmnx reads it; its arcs are the region's per mode; lengths sum as the region's;
    car distances agree with scipy's Dijkstra on the region's directed car arcs."""
    s = region.streets
    G = ox.load_graphml(path, edge_dtypes={**dict.fromkeys((*MODES, "synthetic"), _flag),
                                           "edge": int})
    assert G.graph["crs"] == region.crs and G.number_of_nodes() == s.n_nodes
    loops = s.u == s.v
    assert G.number_of_edges() == 2 * s.n_edges - loops.sum()
    every = {(int(u), int(v), i) for i, (u, v) in enumerate(zip(s.u, s.v, strict=True))}
    both = every | {(v, u, i) for u, v, i in every}
    for mode in ("walk", "bike"):
        mask = getattr(s, mode)
        assert _arcs(G, mode) == {a for a in both if mask[a[2]]}, mode
    tail, head, edge = s.car_arcs()
    assert _arcs(G, "car") == set(zip(tail.tolist(), head.tolist(), edge.tolist(), strict=True))
    forward = [d["length"] for _, _, d in G.edges(data=True) if not d["reversed"]]
    assert sum(forward) == pytest.approx(s.length_m.sum(), rel=1e-9)
    _check_car_distances(G, s, pairs)


def _check_car_distances(G: nx.MultiDiGraph, s: Streets, pairs: int) -> None:
    tail, head, edge = s.car_arcs()
    keep: dict[tuple[int, int], float] = {}  # the shortest of parallel arcs
    for t, h, length in zip(tail.tolist(), head.tolist(), s.length_m[edge].tolist(),
                            strict=True):
        keep[t, h] = min(length, keep.get((t, h), np.inf))
    csr = sp.csr_matrix((list(keep.values()), tuple(np.array(list(keep)).T)),
                        shape=(s.n_nodes,) * 2)
    car = nx.MultiDiGraph(((u, v, d) for u, v, d in G.edges(data=True) if d["car"]))
    rng = np.random.default_rng(7)
    sources = rng.choice(np.unique(tail), size=pairs, replace=True)
    reference = dijkstra(csr, directed=True, indices=sources)
    checked = 0
    for k, source in enumerate(sources.tolist()):
        reachable = np.flatnonzero(np.isfinite(reference[k]))
        target = int(rng.choice(reachable))
        got = nx.shortest_path_length(car, source, target, weight="length")
        assert got == pytest.approx(reference[k, target], rel=1e-9, abs=1e-6)
        checked += target != source
    assert checked >= pairs // 2


def test_demo_gpkg(tmp_path, demo_region) -> None:
    check_gpkg(_export("demo", tmp_path / "demo.gpkg"), demo_region)


def test_demo_graphml(tmp_path, demo_region) -> None:
    path = _export("demo", tmp_path / "demo.graphml", "graphml")
    check_graphml(path, demo_region)
    plain = nx.read_graphml(path)  # networkx alone reads it too; lengths in metres
    total = sum(float(d["length"]) for _, _, d in plain.edges(data=True)
                if d["reversed"] == "False")
    assert total == pytest.approx(demo_region.streets.length_m.sum(), rel=1e-9)


def test_export_refuses_a_missing_directory(tmp_path, capsys) -> None:
    assert main(["data", "export", "demo", "--out", str(tmp_path / "no" / "x.gpkg")]) == 2
    err = capsys.readouterr().err
    assert "not found" in err and err.count("\n") == 1
    assert not (tmp_path / "no").exists()


@pytest.mark.slow
def test_oslo_east_gpkg(oslo_east_env, tmp_path) -> None:
    region = load_region("oslo_east")
    s = region.streets
    assert (s.oneway & s.car).any() and (~s.synthetic).sum() > 0.9 * s.n_edges
    check_gpkg(_export("oslo_east", tmp_path / "oslo_east.gpkg"), region)
    facilities = gpd.read_file(tmp_path / "oslo_east.gpkg", layer="facilities")
    assert (facilities.category == "transit_stop").sum() > 100  # OSM platforms and stops


@pytest.mark.slow
def test_oslo_east_graphml(oslo_east_env, tmp_path) -> None:
    region = load_region("oslo_east")
    check_graphml(_export("oslo_east", tmp_path / "oslo_east.graphml", "graphml"), region)
