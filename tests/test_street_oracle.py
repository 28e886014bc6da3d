"""The walk and car layers agree with osmnx on the real extracts (Fornebu–Lysaker, Oslo-east).

Oracle: osmnx's own graph of the same file (``graph_from_xml`` + ``simplify_graph``) for
the ways its network filter keeps: ``walk`` and ``drive`` as osmnx defines them, and
the same filters with the documented Norwegian deviations (README *Street rules*).
Acceptance: node and edge counts within 2 %, total length within 1 %, and 200 random
node-pair shortest distances within 1 % for at least 95 % of the pairs (car: directed).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from fixtures.baerum import DATA
from fixtures.overpass import deviated_filter, osmnx_oracle
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, dijkstra

from sim.domain import Streets
from sim.readers.osm import ways_from_osm
from sim.readers.simplify import endpoints
from sim.readers.street_rules import way_modes
from sim.readers.streets import edges_from_ways, mode_arcs

pytestmark = [
    pytest.mark.skipif(DATA is None, reason="shared real data directory "
                       "(../shared/data, $BAERUM_SIM_DATA) absent"),
    pytest.mark.slow,
]

FILES = ["fornebu_lysaker_2026-03.osm.bz2", "oslo_east.osm.pbf"]


def _matrix(tail, head, weight, n) -> csr_matrix:
    """Sparse adjacency keeping the shortest of parallel arcs."""
    tail, head, weight = (np.asarray(a) for a in (tail, head, weight))
    order = np.lexsort((weight, head, tail))
    tail, head, weight = tail[order], head[order], weight[order]
    first = np.r_[True, (tail[1:] != tail[:-1]) | (head[1:] != head[:-1])]
    return csr_matrix((weight[first], (tail[first], head[first])), shape=(n, n))


def agreement(streets: Streets, G: nx.MultiDiGraph, mode: str, seed: int = 0) -> dict:
    """Counts, total length and 200 node-pair distances of one layer against osmnx."""
    car = mode == "car"
    if car:
        tail, head, edge = streets.car_arcs()
        n_edges, oracle_edges = tail.size, G.number_of_edges()
        length = streets.length_m[edge].sum()
        oracle_length = sum(d["length"] for *_, d in G.edges(data=True))
    else:  # osmnx stores both directions of a walkable edge
        edge = np.flatnonzero(getattr(streets, mode))
        tail, head = np.r_[streets.u[edge], streets.v[edge]], np.r_[streets.v[edge],
                                                                     streets.u[edge]]
        edge = np.r_[edge, edge]
        n_edges, oracle_edges = edge.size // 2, G.number_of_edges() / 2
        length = streets.length_m[edge].sum() / 2
        oracle_length = sum(d["length"] for *_, d in G.edges(data=True)) / 2
    nodes = np.unique(np.r_[tail, head])
    ours = _matrix(tail, head, streets.length_m[edge], streets.n_nodes)
    ids = list(G.nodes)
    pos = {n: i for i, n in enumerate(ids)}
    rows = [(pos[u], pos[v], d["length"]) for u, v, d in G.edges(data=True)]
    theirs = _matrix(*zip(*rows, strict=True), len(ids))
    main = max(nx.strongly_connected_components(G) if car else nx.weakly_connected_components(G),
               key=len)
    mine = {int(n): i for i, n in enumerate(streets.node_id)}
    common = sorted(n for n in main if n in mine)
    rng = np.random.default_rng(seed)
    pairs = rng.choice(len(common), size=(200, 2))
    src = [common[a] for a in pairs[:, 0]]
    dst = [common[b] for b in pairs[:, 1]]
    d_ours = dijkstra(ours, indices=[mine[s] for s in src])[np.arange(200),
                                                            [mine[t] for t in dst]]
    d_osmnx = dijkstra(theirs, indices=[pos[s] for s in src])[np.arange(200),
                                                              [pos[t] for t in dst]]
    close = np.abs(d_ours - d_osmnx) <= 0.01 * np.maximum(d_osmnx, 1.0)
    return {"nodes": (int(nodes.size), len(G)), "edges": (int(n_edges), float(oracle_edges)),
            "length_km": (float(length) / 1000, float(oracle_length) / 1000),
            "pairs_within_1pct": float(close.mean()), "pairs_finite": int(np.isfinite(
                d_osmnx).sum())}


def _check(fig: dict) -> None:
    print(fig)
    for key in ("nodes", "edges"):
        ours, theirs = fig[key]
        assert ours == pytest.approx(theirs, rel=0.02), (key, fig)
    ours, theirs = fig["length_km"]
    assert ours == pytest.approx(theirs, rel=0.01), fig
    assert fig["pairs_within_1pct"] >= 0.95, fig
    assert fig["pairs_finite"] == 200, fig  # sampled inside the oracle's main component


@pytest.fixture(scope="module", params=FILES)
def extract(request):
    path = DATA / request.param
    return path, ways_from_osm([path])


def test_walk_agrees_with_osmnx_walk(extract):
    from sim.readers.streets import streets_from_ways

    path, ways = extract
    streets = streets_from_ways(ways)
    _check(agreement(streets, osmnx_oracle(path, "walk", deviated_filter("walk")), "walk"))


def test_car_agrees_with_osmnx_drive_directed(extract):
    from sim.readers.streets import streets_from_ways

    path, ways = extract
    drive = osmnx_oracle(path, "drive")
    # exactly osmnx drive (no service roads) ...
    _check(agreement(streets_from_ways(ways, car_service_roads=False), drive, "car"))
    # ... and the default, which adds the service roads drive's own service rule allows
    streets = streets_from_ways(ways)
    with_service = osmnx_oracle(path, "drive_service", deviated_filter("drive_service"))
    _check(agreement(streets, with_service, "car"))
    assert streets.oneway[streets.car].any()


def test_no_edge_mixes_permissions(extract):
    _, ways = extract
    edges = edges_from_ways(ways)
    rules = [way_modes(t) for t in ways.tags]
    arcs = mode_arcs(ways)
    for mode in ("walk", "bike", "car"):
        allowed = np.array([getattr(r, mode) for r in rules])[ways.seg_way]
        flag = getattr(edges, mode)
        per_seg = np.repeat(flag, np.diff(edges.seg_ptr))
        mixed = per_seg & ~allowed[edges.segs]  # an edge of the layer holds a closed way
        assert not mixed.any(), f"{mode}: {mixed.sum()} segments closed to {mode} in its layer"
        # every allowed segment is in an edge of the layer, but isolated rings (components
        # without an endpoint, which osmnx drops too)
        covered = np.zeros(ways.seg_u.size, bool)
        covered[edges.segs[per_seg]] = True
        tail, head, seg = arcs[mode]
        n = ways.node_id.size
        _, label = connected_components(csr_matrix((np.ones(tail.size), (tail, head)),
                                                   shape=(n, n)), connection="weak")
        has_end = np.zeros(label.max() + 1, bool)
        has_end[label[endpoints(n, tail, head)]] = True
        lost = seg[~covered[seg]]
        assert not has_end[label[ways.seg_u[lost]]].any(), f"{mode}: segments lost"
    # one-way car edges follow the way's direction on every segment
    direction = np.array([r.car_direction for r in rules])[ways.seg_way]
    seg_edge = np.repeat(np.arange(edges.n_edges), np.diff(edges.seg_ptr))
    node_pos = np.repeat(edges.node_ptr[:-1], np.diff(edges.seg_ptr))
    offset = np.arange(edges.segs.size) - np.repeat(edges.seg_ptr[:-1], np.diff(edges.seg_ptr))
    start = edges.nodes[node_pos + offset]
    one = edges.oneway[seg_edge]
    forward = start == ways.seg_u[edges.segs]
    assert (np.where(forward, direction[edges.segs] >= 0,
                     direction[edges.segs] <= 0) | ~one).all()
