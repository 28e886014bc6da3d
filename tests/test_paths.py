"""Tests for :mod:`sim.paths` against scipy/networkx oracles."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from sim.graph import Graph, k_nearest, many_to_many, multi_source, one_to_all
from sim.graph.generators import grid_graph, random_geometric_graph

RTOL = 1e-9
HYP = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- oracle


def oracle(n: int, u, v, w, directed: bool, sources) -> np.ndarray:
    """scipy Dijkstra on the min-weight-per-(u, v) CSR matrix, explicit zeros kept.

    scipy sums duplicate entries when a matrix is built from COO triplets and may
    drop explicit zeros, so the CSR arrays are built by hand here: arcs are
    symmetrised for undirected graphs, sorted, and collapsed to the minimum.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    w = np.asarray(w, dtype=np.float64)
    if not directed:
        u, v, w = np.r_[u, v], np.r_[v, u], np.r_[w, w]
    order = np.lexsort((w, v, u))  # by (u, v), smallest weight first
    u, v, w = u[order], v[order], w[order]
    first = np.ones(u.size, dtype=bool)
    first[1:] = (u[1:] != u[:-1]) | (v[1:] != v[:-1])
    u, v, w = u[first], v[first], w[first]
    indptr = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(np.bincount(u, minlength=n), out=indptr[1:])
    m = sp.csr_matrix((w, v.astype(np.int32), indptr), shape=(n, n))
    assert m.nnz == u.size  # every arc, zero-weight ones included, is present
    d = dijkstra(m, directed=True, indices=np.asarray(sources, dtype=np.int64))
    return np.atleast_2d(d)


def assert_dist_equal(actual: np.ndarray, expected: np.ndarray) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=0.0)


def apply_cutoff(d: np.ndarray, cutoff: float) -> tuple[np.ndarray, np.ndarray]:
    """Oracle with cutoff applied plus a mask of entries not within rounding of it."""
    out = np.where(d <= cutoff, d, np.inf)
    safe = ~np.isclose(d, cutoff, rtol=1e-9, atol=1e-12)
    return out, safe


# ----------------------------------------------------------------------- strategies

weights_st = st.one_of(
    st.just(0.0),
    st.integers(0, 20).map(float),
    st.floats(0.0, 1e4, allow_nan=False, allow_infinity=False),
)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[int, list[int], list[int], list[float], bool]:
    """Random multigraphs: parallel edges, self loops, zero weights, disconnected parts."""
    n = draw(st.integers(1, 25))
    m = draw(st.integers(0, 60))
    u = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    v = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    w = draw(st.lists(weights_st, min_size=m, max_size=m))
    if m and draw(st.booleans()):  # force a parallel edge and a self loop
        u += [u[0], v[0]]
        v += [v[0], v[0]]
        w += [draw(weights_st), draw(weights_st)]
    directed = draw(st.booleans())
    return n, u, v, w, directed


@st.composite
def graph_and_sources(draw: st.DrawFn, max_sources: int = 6):
    n, u, v, w, directed = draw(graphs())
    srcs = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=max_sources))
    return n, u, v, w, directed, srcs


cutoffs = st.one_of(st.just(math.inf), st.floats(0.0, 3e4, allow_nan=False))


# ------------------------------------------------------------------ property tests


methods = st.sampled_from(["dijkstra", "phast"])


@HYP
@given(graph_and_sources(), cutoffs, methods, st.sampled_from([1, 2, 64]))
def test_one_to_all_matches_scipy(case, cutoff: float, method: str, witness_limit: int) -> None:
    n, u, v, w, directed, srcs = case
    g = Graph.from_edges(u, v, w, n, directed=directed)
    if method == "phast":  # small limits force many shortcuts / weak witness searches
        g.prepare(witness_limit=witness_limit)
    got = one_to_all(g, srcs, cutoff=cutoff, method=method)
    exp, safe = apply_cutoff(oracle(n, u, v, w, directed, srcs), cutoff)
    assert got.shape == (len(srcs), n)
    assert_dist_equal(got[safe], exp[safe])


@HYP
@given(graph_and_sources(max_sources=40), cutoffs, st.sampled_from([1, 2, 3, 4, 8, 16]),
       st.integers(1, 3), st.data())
def test_phast_blocks_match_scipy(case, cutoff: float, batch: int, threads: int,
                                  data: st.DataObject) -> None:
    """Several origins per downward sweep (any block size, partial last blocks, repeated
    origins, any thread count) give scipy's distances, to all nodes or to some targets."""
    from numba import get_num_threads, set_num_threads

    from sim.graph.paths import _phast

    n, u, v, w, directed, srcs = case
    g = Graph.from_edges(u, v, w, n, directed=directed).prepare()
    targets = np.asarray(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=10)))
    exp, safe = apply_cutoff(oracle(n, u, v, w, directed, srcs), cutoff)
    org = np.asarray(srcs, dtype=np.int64)
    prev = get_num_threads()
    set_num_threads(min(threads, prev))
    try:
        got = np.full((org.size, n), -1.0)
        _phast(g, org, np.arange(n, dtype=np.int64), cutoff, got, batch=batch)
        some = np.full((org.size, targets.size), -1.0)
        _phast(g, org, targets, cutoff, some, batch=batch)
    finally:
        set_num_threads(prev)
    assert_dist_equal(got[safe], exp[safe])
    np.testing.assert_array_equal(some, got[:, targets])


@HYP
@given(graph_and_sources(), st.data())
def test_many_to_many_matches_scipy_and_one_to_all(case, data: st.DataObject) -> None:
    n, u, v, w, directed, srcs = case
    dests = data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=8))
    cutoff = data.draw(cutoffs)
    chunk = data.draw(st.integers(1, 4))
    method = data.draw(methods)
    g = Graph.from_edges(u, v, w, n, directed=directed)
    got = many_to_many(g, srcs, dests, cutoff=cutoff, chunk_size=chunk, method=method)
    full = one_to_all(g, srcs, cutoff=cutoff, method=method)
    assert got.shape == (len(srcs), len(dests))
    np.testing.assert_array_equal(got, full[:, dests])
    exp, safe = apply_cutoff(oracle(n, u, v, w, directed, srcs)[:, dests], cutoff)
    assert_dist_equal(got[safe], exp[safe])


offsets_st = st.floats(0.0, 50.0, allow_nan=False)


@HYP
@given(graph_and_sources(max_sources=8), cutoffs, st.data())
def test_multi_source_matches_scipy(case, cutoff: float, data: st.DataObject) -> None:
    n, u, v, w, directed, srcs = case
    use_off = data.draw(st.booleans())
    off = np.array(
        data.draw(st.lists(offsets_st, min_size=len(srcs), max_size=len(srcs)))
        if use_off
        else [0.0] * len(srcs)
    )
    method = data.draw(methods)
    g = Graph.from_edges(u, v, w, n, directed=directed)
    dist, near = multi_source(
        g, srcs, cutoff=cutoff, source_offsets=off if use_off else None, method=method
    )
    per_source = oracle(n, u, v, w, directed, srcs) + off[:, None]
    exp, safe = apply_cutoff(per_source.min(axis=0), cutoff)
    assert_dist_equal(dist[safe], exp[safe])
    reached = np.isfinite(dist)
    assert np.all(near[~reached] == -1)
    assert np.all((near[reached] >= 0) & (near[reached] < len(srcs)))
    # the reported source really is at the reported distance
    nodes = np.flatnonzero(reached)
    assert_dist_equal(dist[nodes], per_source[near[nodes], nodes])


@HYP
@given(graph_and_sources(max_sources=7), st.integers(1, 4), cutoffs, st.booleans())
def test_k_nearest_matches_scipy(case, k: int, cutoff: float, use_off: bool) -> None:
    n, u, v, w, directed, srcs = case
    rng = np.random.default_rng(len(srcs) + k)
    off = rng.uniform(0, 30, len(srcs)) if use_off else np.zeros(len(srcs))
    g = Graph.from_edges(u, v, w, n, directed=directed)
    kd, ki = k_nearest(g, srcs, k, cutoff=cutoff, source_offsets=off if use_off else None)
    assert kd.shape == ki.shape == (n, k)
    per_source = oracle(n, u, v, w, directed, srcs) + off[:, None]  # [n_src, n]
    srt = np.sort(per_source, axis=0).T  # [n, n_src]
    exp = np.full((n, k), np.inf)
    kk = min(k, len(srcs))
    exp[:, :kk] = srt[:, :kk]
    exp, safe = apply_cutoff(exp, cutoff)
    assert_dist_equal(kd[safe], exp[safe])
    np.testing.assert_array_equal(np.sort(kd, axis=1), kd)
    finite = np.isfinite(kd)
    assert np.all((ki == -1) == ~finite)
    rows, cols = np.nonzero(finite)
    assert_dist_equal(kd[rows, cols], per_source[ki[rows, cols], rows])
    for r in range(n):
        found = ki[r][ki[r] >= 0]
        assert len(set(found.tolist())) == found.size  # distinct sources


@settings(max_examples=40, deadline=None)
@given(graphs())
def test_reversed_gives_distances_to_targets(case) -> None:
    n, u, v, w, directed = case
    g = Graph.from_edges(u, v, w, n, directed=directed)
    fwd = one_to_all(g, np.arange(n))
    bwd = one_to_all(g.reversed(), np.arange(n))
    assert_dist_equal(bwd, fwd.T)


# ------------------------------------------------------------- hand-made graphs


def test_known_distances_path_and_branch() -> None:
    #   0 -1- 1 -2- 2 -3- 3      4 (isolated)
    #          \---5---/
    g = Graph.from_edges([0, 1, 2, 1], [1, 2, 3, 3], [1.0, 2.0, 3.0, 5.0], n_nodes=5)
    d = one_to_all(g, [0, 3])
    np.testing.assert_array_equal(d[0], [0.0, 1.0, 3.0, 6.0, np.inf])
    np.testing.assert_array_equal(d[1], [6.0, 5.0, 3.0, 0.0, np.inf])
    assert g.n_nodes == 5
    assert not g.directed


def test_directed_one_way() -> None:
    g = Graph.from_edges([0, 1], [1, 2], [1.0, 1.0], n_nodes=3, directed=True)
    d = one_to_all(g, [2, 0])
    np.testing.assert_array_equal(d, [[np.inf, np.inf, 0.0], [0.0, 1.0, 2.0]])
    np.testing.assert_array_equal(one_to_all(g.reversed(), [2]), [[2.0, 1.0, 0.0]])
    assert g.transpose().reversed().n_arcs == g.n_arcs


def test_parallel_edges_self_loops_and_zero_weights() -> None:
    g = Graph.from_edges(
        [0, 0, 0, 1, 1, 2], [1, 1, 0, 1, 2, 3], [5.0, 2.0, 0.0, 0.0, 0.0, 4.0], n_nodes=4
    )
    np.testing.assert_array_equal(one_to_all(g, [0]), [[0.0, 2.0, 2.0, 6.0]])
    # networkx as an independent oracle for zero weights
    G = nx.MultiGraph()
    G.add_weighted_edges_from([(0, 1, 5.0), (0, 1, 2.0), (0, 0, 0.0), (1, 1, 0.0), (1, 2, 0.0)])
    G.add_weighted_edges_from([(2, 3, 4.0)])
    ref = nx.single_source_dijkstra_path_length(G, 0)
    assert [ref[i] for i in range(4)] == [0.0, 2.0, 2.0, 6.0]


def test_cutoff_inclusive_and_multi_source_labels() -> None:
    g = Graph.from_edges([0, 1, 2, 3], [1, 2, 3, 4], [1.0] * 4, n_nodes=5)
    np.testing.assert_array_equal(one_to_all(g, [0], cutoff=2.0), [[0, 1, 2, np.inf, np.inf]])
    dist, near = multi_source(g, [0, 4], cutoff=1.0)
    np.testing.assert_array_equal(dist, [0, 1, np.inf, 1, 0])
    np.testing.assert_array_equal(near, [0, 0, -1, 1, 1])
    dist, near = multi_source(g, [0, 4], source_offsets=[3.0, 0.0])
    np.testing.assert_array_equal(dist, [3, 3, 2, 1, 0])
    np.testing.assert_array_equal(near, [0, 1, 1, 1, 1])
    dist, near = multi_source(g, [2], cutoff=0.0)
    np.testing.assert_array_equal(near, [-1, -1, 0, -1, -1])
    np.testing.assert_array_equal(many_to_many(g, [0], [4, 1], cutoff=1.5), [[np.inf, 1.0]])


def test_k_nearest_small() -> None:
    g = Graph.from_edges([0, 1, 2, 3], [1, 2, 3, 4], [1.0] * 4, n_nodes=5)
    kd, ki = k_nearest(g, [0, 4, 4], k=2)
    np.testing.assert_array_equal(kd[2], [2.0, 2.0])
    assert set(ki[2].tolist()) <= {0, 1, 2}
    kd, ki = k_nearest(g, [0], k=3)
    np.testing.assert_array_equal(kd[1], [1.0, np.inf, np.inf])
    np.testing.assert_array_equal(ki[1], [0, -1, -1])


def test_empty_inputs() -> None:
    g = Graph.from_edges([], [], [], n_nodes=3)
    assert one_to_all(g, []).shape == (0, 3)
    assert many_to_many(g, [], [1]).shape == (0, 1)
    assert many_to_many(g, [1], []).shape == (1, 0)
    dist, near = multi_source(g, [])
    assert np.all(np.isinf(dist)) and np.all(near == -1)
    np.testing.assert_array_equal(one_to_all(g, [1]), [[np.inf, 0.0, np.inf]])


def test_from_networkx_multidigraph() -> None:
    G = nx.MultiDiGraph()
    G.add_node("c", x=2.0, y=0.0)
    G.add_node("a", x=0.0, y=0.0)
    G.add_node("b", x=1.0, y=0.0)
    G.add_edge("a", "b", length=10.0)
    G.add_edge("a", "b", length=4.0)
    G.add_edge("b", "c", length=1.0)
    g = Graph.from_networkx(G)
    assert g.directed and g.n_nodes == 3 and g.n_arcs == 3
    assert list(g.node_ids) == ["c", "a", "b"]
    np.testing.assert_array_equal(g.x, [2.0, 0.0, 1.0])
    a, c = g.node_index(["a", "c"])
    np.testing.assert_array_equal(one_to_all(g, [a])[0], [5.0, 0.0, 4.0])
    assert one_to_all(g, [c])[0, a] == np.inf
    gu = Graph.from_networkx(nx.Graph([(1, 2), (2, 3)]), weight=None)
    assert not gu.directed
    np.testing.assert_array_equal(one_to_all(gu, [0]), [[0.0, 1.0, 2.0]])
    assert gu.node_ids.dtype.kind == "i"
    with pytest.raises(ValueError, match="no 'length' attribute"):
        Graph.from_networkx(nx.Graph([(1, 2)]))
    with pytest.raises(ValueError, match="unknown node id"):
        gu.node_index([99])


def test_generators() -> None:
    g = grid_graph(10, 7, spacing=50.0)
    assert g.n_nodes == 70 and g.n_arcs == 2 * (9 * 7 + 10 * 6)
    d = one_to_all(g, [0])
    assert d[0, 69] == pytest.approx(50.0 * (9 + 6))
    irregular = grid_graph(20, 20, jitter=0.3, drop=0.1, diagonals=0.2, directed=True, seed=3)
    assert irregular.directed and irregular.x is not None
    rgg = random_geometric_graph(300, radius=120.0, seed=1)
    assert rgg.n_nodes == 300
    lengths = np.hypot(
        rgg.x[np.repeat(np.arange(300), np.diff(rgg.indptr))] - rgg.x[rgg.indices],
        rgg.y[np.repeat(np.arange(300), np.diff(rgg.indptr))] - rgg.y[rgg.indices],
    )
    np.testing.assert_allclose(lengths, rgg.weights)
    assert rgg.weights.max() < 120.0


def test_prepare_and_auto_method() -> None:
    g = grid_graph(30, 30, jitter=0.3, drop=0.1, diagonals=0.1, directed=True, seed=7)
    m = sp.csr_matrix((g.weights, g.indices, g.indptr), shape=(g.n_nodes, g.n_nodes))
    origins = np.arange(0, g.n_nodes, 13)
    exp = dijkstra(m, indices=origins)
    assert not g.is_prepared
    assert g.prepare() is g and g.is_prepared
    assert_dist_equal(one_to_all(g, origins), exp)  # auto -> PHAST
    assert_dist_equal(many_to_many(g, origins, origins), exp[:, origins])
    for cutoff in (150.0, 1500.0):  # small ball -> probe picks Dijkstra; large -> PHAST
        exp_c, safe = apply_cutoff(exp, cutoff)
        assert_dist_equal(one_to_all(g, origins, cutoff=cutoff)[safe], exp_c[safe])
    with pytest.raises(ValueError, match="method"):
        one_to_all(g, [0], method="bfs")
    with pytest.raises(ValueError, match="method"):
        many_to_many(g, [0], [1], method="astar")
    rgg = random_geometric_graph(600, radius=90.0, directed=True, seed=3).prepare(witness_limit=1)
    m2 = sp.csr_matrix((rgg.weights, rgg.indices, rgg.indptr), shape=(600, 600))
    assert_dist_equal(
        one_to_all(rgg, np.arange(0, 600, 7)), dijkstra(m2, indices=np.arange(0, 600, 7))
    )
    with pytest.raises(ValueError, match="witness_limit"):
        Graph.from_edges([0], [1], [1.0], 2).prepare(witness_limit=0)


def test_generated_graph_matches_scipy() -> None:
    g = grid_graph(40, 40, jitter=0.3, drop=0.15, diagonals=0.1, directed=True, seed=5)
    m = sp.csr_matrix((g.weights, g.indices, g.indptr), shape=(g.n_nodes, g.n_nodes))
    origins = np.arange(0, g.n_nodes, 37)
    exp = dijkstra(m, indices=origins)
    assert_dist_equal(one_to_all(g, origins), exp)
    dests = np.arange(5, g.n_nodes, 11)
    assert_dist_equal(many_to_many(g, origins, dests, chunk_size=7), exp[:, dests])
    exp_c, safe = apply_cutoff(exp, 800.0)
    assert_dist_equal(one_to_all(g, origins, cutoff=800.0)[safe], exp_c[safe])
    dist, _ = multi_source(g, origins)
    assert_dist_equal(dist, exp.min(axis=0))
    g.prepare()
    dist2, near2 = multi_source(g, origins)  # auto -> PHAST
    assert_dist_equal(dist2, dist)
    assert_dist_equal(exp[near2, np.arange(g.n_nodes)], dist)


# ------------------------------------------------------------------------ errors


def _g() -> Graph:
    return Graph.from_edges([0, 1], [1, 2], [1.0, 1.0], n_nodes=3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"w": [1.0, -1.0]}, "negative"),
        ({"w": [1.0, np.nan]}, "NaN"),
        ({"w": [1.0, np.inf]}, "infinite"),
        ({"v": [1, 3]}, "out of range"),
        ({"u": [-1, 1]}, "out of range"),
        ({"u": [0, 1, 2]}, "same length"),
        ({"w": [1.0]}, "same length"),
        ({"u": [0.5, 1]}, "integer"),
        ({"n_nodes": -1}, "n_nodes"),
        ({"n_nodes": 2.5}, "n_nodes"),
        ({"x": [0.0, 1.0]}, "x must have length"),
        ({"u": [[0, 1]], "v": [[1, 2]], "w": [[1.0, 1.0]]}, "one-dimensional"),
        ({"w": ["a", "b"]}, "numeric"),
    ],
)
def test_from_edges_errors(kwargs: dict, match: str) -> None:
    args = {"u": [0, 1], "v": [1, 2], "w": [1.0, 1.0], "n_nodes": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        Graph.from_edges(**args)


def test_graph_constructor_errors() -> None:
    with pytest.raises(ValueError, match="indptr"):
        Graph(indptr=np.array([0, 2, 1]), indices=np.array([0]), weights=np.array([1.0]))
    with pytest.raises(ValueError, match="same length"):
        Graph(indptr=np.array([0, 1]), indices=np.array([0, 0]), weights=np.array([1.0]))
    with pytest.raises(ValueError, match="empty"):
        Graph(indptr=np.array([], dtype=np.int64), indices=[], weights=[])


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda g: one_to_all(g, [3]), "origins .*out of range"),
        (lambda g: one_to_all(g, [0], cutoff=-1.0), "cutoff"),
        (lambda g: one_to_all(g, [0], cutoff=float("nan")), "cutoff"),
        (lambda g: one_to_all(g, [0], cutoff="far"), "cutoff"),
        (lambda g: multi_source(g, [0, 5]), "sources .*out of range"),
        (lambda g: multi_source(g, [0, 1], source_offsets=[1.0]), "one value per source"),
        (lambda g: multi_source(g, [0], source_offsets=[-1.0]), "negative"),
        (lambda g: multi_source(g, [0], source_offsets=[np.nan]), "NaN"),
        (lambda g: k_nearest(g, [0], k=0), "k must be >= 1"),
        (lambda g: k_nearest(g, [0], k=1.5), "k must be an integer"),
        (lambda g: k_nearest(g, [7], k=1), "out of range"),
        (lambda g: many_to_many(g, [0], [9]), "destinations .*out of range"),
        (lambda g: many_to_many(g, [9], [0]), "origins .*out of range"),
        (lambda g: many_to_many(g, [0], [1], chunk_size=0), "chunk_size"),
        (lambda g: one_to_all("not a graph", [0]), "sim.graph.Graph"),
    ],
)
def test_query_errors(call, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call(_g())


def test_many_to_many_sums_splits_path_parts() -> None:
    """Sums of arc values follow the shortest path: a line 0-1-2 and a costlier shortcut."""
    from sim.graph import many_to_many_sums

    g = Graph.from_edges([0, 1, 0], [1, 2, 2], [1.0, 1.0, 5.0], 3, directed=True)
    # arcs in CSR order: (0,1), (0,2), (1,2); values: [arc weight, 1 per arc]
    values = np.column_stack([g.weights, np.ones(g.n_arcs)])
    dist, sums = many_to_many_sums(g, [0, 1], [2, 0], values)
    np.testing.assert_array_equal(dist, [[2.0, 0.0], [1.0, np.inf]])
    np.testing.assert_array_equal(sums[0, 0], [2.0, 2.0])  # two arcs, via node 1
    np.testing.assert_array_equal(sums[0, 1], [0.0, 0.0])
    assert np.isnan(sums[1, 1]).all()
    _, per_origin = many_to_many_sums(g, [0, 1], [2, 0], values, flows=[[3.0, 1.0], [2.0, 0]])
    np.testing.assert_array_equal(per_origin, [[6.0, 6.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="arc_values must have shape"):
        many_to_many_sums(g, [0], [2], np.ones((2, 1)))


def test_many_to_many_sums_matches_distances_on_grid() -> None:
    """Summing the weights themselves reproduces the distances (random grid, scipy oracle)."""
    from sim.graph import many_to_many_sums

    g = grid_graph(20, 15)
    origins = np.arange(0, g.n_nodes, 17)
    dests = np.arange(0, g.n_nodes, 5)
    dist, sums = many_to_many_sums(g, origins, dests, g.weights[:, None])
    np.testing.assert_allclose(dist, many_to_many(g, origins, dests), rtol=1e-12)
    finite = np.isfinite(dist)
    np.testing.assert_allclose(sums[..., 0][finite], dist[finite], rtol=1e-9)


def test_arcs_travel_with_the_graph_in_its_arc_order() -> None:
    """Per-edge attributes end up on the right arcs, whatever order the edges came in."""
    from sim.graph import many_to_many_sums

    u, v, w = np.array([2, 0, 1, 0]), np.array([0, 1, 2, 2]), np.array([1.0, 1.0, 1.0, 5.0])
    data = np.zeros(4, dtype=[("edge", "f8"), ("boardings", "f8")])
    data["edge"] = np.arange(4)
    data["boardings"] = [0.0, 1.0, 0.0, 3.0]
    g = Graph.from_edges(u, v, w, 3, directed=True, arcs=data)
    tails = np.repeat(np.arange(3), np.diff(g.indptr))
    edge = g.arcs["edge"].astype(int)
    np.testing.assert_array_equal(u[edge], tails)
    np.testing.assert_array_equal(v[edge], g.indices)
    # 0 -> 2 goes 0 -> 1 -> 2 (length 2, one boarding), not the direct arc (5, three)
    dist, sums = many_to_many_sums(g, [0], [2], g.arcs[["boardings"]])
    assert dist[0, 0] == 2.0 and sums["boardings"][0, 0] == 1.0
    # undirected: both arcs of an edge carry its attributes; reversed keeps them aligned
    h = Graph.from_edges(u, v, w, 3, directed=False, arcs=data)
    assert h.n_arcs == 8 and sorted(h.arcs["edge"].tolist()) == [0, 0, 1, 1, 2, 2, 3, 3]
    r = g.reversed()
    r_tails = np.repeat(np.arange(3), np.diff(r.indptr))
    np.testing.assert_array_equal(v[r.arcs["edge"].astype(int)], r_tails)


def test_prefetch_hint_compiles_to_llvm_prefetch_and_changes_nothing() -> None:
    """The block sweep's prefetch hint is a real ``llvm.prefetch`` (the name of the
    overloaded intrinsic depends on llvmlite's pointer type) and leaves values alone."""
    from numba import njit

    from sim.graph._prefetch import prefetch

    @njit(cache=False)
    def gather(a: np.ndarray, idx: np.ndarray) -> float:
        s = 0.0
        for j in range(idx.shape[0]):
            if j + 2 < idx.shape[0]:
                prefetch(a, idx[j + 2])
            s += a[idx[j]]
        return s

    a = np.arange(1000, dtype=np.float64)
    idx = np.array([999, 3, 500, 0, 42], dtype=np.int64)
    assert gather(a, idx) == a[idx].sum()
    (llvm_ir,) = gather.inspect_llvm().values()
    assert "llvm.prefetch" in llvm_ir
