"""Shortest-path queries over a :class:`~sim.graph.csr.Graph` (Dijkstra and PHAST, Numba).

The query functions :func:`multi_source`, :func:`k_nearest`, :func:`one_to_all`,
:func:`many_to_many` and :func:`many_to_many_sums` take node ids and return
distances in the unit of the arc weights (metres or seconds); unreachable nodes get
``inf`` and, where an index is returned, ``-1``.

Searches are Dijkstra with a lazy-deletion 4-ary heap, parallel over origins.
For large batches on one graph, :meth:`Graph.prepare` builds a contraction
hierarchy once; :func:`one_to_all` and :func:`many_to_many` then use PHAST
(upward search + linear sweep), several times faster per origin.

Examples
--------
>>> import numpy as np
>>> from sim.graph import Graph, one_to_all
>>> g = Graph.from_edges([0, 1], [1, 2], [1.0, 2.5], n_nodes=4)
>>> one_to_all(g, [0])
array([[0. , 1. , 3.5, inf]])
>>> one_to_all(g.prepare(), [0], method="phast")
array([[0. , 1. , 3.5, inf]])
"""

from __future__ import annotations

import math
from typing import Literal, cast

import numpy as np
import numpy.lib.recfunctions as rfn
import numpy.typing as npt
from numba import get_num_threads

import sim.graph._dijkstra as _dijkstra
import sim.graph._phast as _phast_k
from sim.graph.csr import (
    _CH_CACHE,
    FloatArray,
    Graph,
    IntArray,
    _as_int_ids,
    _as_weights,
    _check_cutoff,
)

__all__ = [
    "AUTO_PREPARE_MIN_ORIGINS",
    "Method",
    "k_nearest",
    "many_to_many",
    "many_to_many_sums",
    "multi_source",
    "one_to_all",
]

ArrayLike = npt.ArrayLike

Method = Literal["auto", "dijkstra", "phast"]
_METHODS = ("auto", "dijkstra", "phast")
#: with ``method="auto"`` an unprepared graph is prepared (CH built) only for
#: batches at least this large; building costs roughly 500-1000 Dijkstra searches
#: and each PHAST query saves about 3/4 of one (Oslo-east: break-even ~1,500 origins)
AUTO_PREPARE_MIN_ORIGINS = 2000
#: with a cutoff, ``auto`` switches to PHAST when probe searches reach this share of nodes
_AUTO_PHAST_REACH = 0.2
_PROBE = 8
#: origins per PHAST downward sweep (the multi-tree variant: each downward arc is read
#: once per block of origins); see benchmarks/README.md for the measurements behind it
PHAST_BATCH = _phast_k.BLOCK


def _check_graph(graph: Graph) -> None:
    if not isinstance(graph, Graph):
        raise ValueError(f"graph must be a sim.graph.Graph, got {type(graph).__name__}")


def _offsets(source_offsets: ArrayLike | None, n_sources: int) -> FloatArray:
    if source_offsets is None:
        return np.zeros(n_sources, dtype=np.float64)
    off = _as_weights(source_offsets, "source_offsets")
    if off.size != n_sources:
        raise ValueError(
            f"source_offsets must have one value per source ({n_sources}), got {off.size}"
        )
    return off


def multi_source(
    graph: Graph,
    sources: ArrayLike,
    cutoff: float = math.inf,
    source_offsets: ArrayLike | None = None,
    method: Method = "auto",
) -> tuple[FloatArray, IntArray]:
    """Distance from every node to its nearest source, in one Dijkstra pass.

    Parameters
    ----------
    graph : Graph
        The network. For a directed graph distances run *from* the sources; use
        ``graph.reversed()`` for distances *to* the sources.
    sources : array_like of int
        Source nodes (duplicates allowed).
    cutoff : float, default inf
        Nodes farther than ``cutoff`` are left unreached.
    source_offsets : array_like of float, optional
        Non-negative starting distance per source (e.g. the snapping distance of a
        facility to the network); defaults to zeros.
    method : {"auto", "dijkstra", "phast"}, default "auto"
        ``"auto"`` uses multi-source PHAST on a prepared graph when there is no
        cutoff, one multi-source Dijkstra otherwise.

    Returns
    -------
    dist : numpy.ndarray
        float64 ``[n_nodes]``; ``inf`` where no source is within ``cutoff``.
    nearest_source : numpy.ndarray
        int64 ``[n_nodes]``; position in ``sources`` of the nearest source, ``-1``
        where unreachable. Ties are broken arbitrarily.

    Raises
    ------
    ValueError
        On out-of-range sources, mismatched or invalid offsets, an invalid
        cutoff or an unknown method.
    """
    _check_graph(graph)
    src = _as_int_ids(sources, "sources", graph.n_nodes)
    off = _offsets(source_offsets, src.size)
    c = _check_cutoff(cutoff)
    method = _check_method(method)
    if method == "auto":
        method = "phast" if graph.is_prepared and c == math.inf else "dijkstra"
    if method == "phast":
        ch = _CH_CACHE[graph.prepare()]
        return _phast_k.phast_multi(
            ch.pos_of, ch.up_ptr, ch.up_idx, ch.up_w, ch.dn_ptr, ch.dn_idx, ch.dn_w,
            src, off, c,
        )  # fmt: skip
    dist, lab = _dijkstra.multi_source(graph.indptr, graph.indices, graph.weights, src, off, c)
    return dist, lab


def k_nearest(
    graph: Graph,
    sources: ArrayLike,
    k: int,
    cutoff: float = math.inf,
    source_offsets: ArrayLike | None = None,
) -> tuple[FloatArray, IntArray]:
    """Distances to, and indices of, the ``k`` nearest distinct sources of every node.

    Sources are distinct by position in ``sources``: a node listed twice counts
    as two sources.

    Parameters
    ----------
    graph : Graph
        The network (distances run from the sources, as in :func:`multi_source`).
    sources : array_like of int
        Source nodes.
    k : int
        Number of nearest sources to report, ``k >= 1``.
    cutoff : float, default inf
        Sources farther than ``cutoff`` are not reported.
    source_offsets : array_like of float, optional
        Non-negative starting distance per source.

    Returns
    -------
    dist : numpy.ndarray
        float64 ``[n_nodes, k]`` sorted ascending per row, padded with ``inf``.
    idx : numpy.ndarray
        int64 ``[n_nodes, k]`` positions in ``sources``, padded with ``-1``.

    Raises
    ------
    ValueError
        If ``k < 1`` or on invalid sources, offsets or cutoff.
    """
    _check_graph(graph)
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    src = _as_int_ids(sources, "sources", graph.n_nodes)
    off = _offsets(source_offsets, src.size)
    c = _check_cutoff(cutoff)
    return _dijkstra.k_nearest(graph.indptr, graph.indices, graph.weights, src, off, int(k), c)


def _check_method(method: str) -> Method:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return cast(Method, method)


def _phast(
    graph: Graph,
    origins: IntArray,
    targets: IntArray,
    cutoff: float,
    out: FloatArray,
    batch: int = PHAST_BATCH,
) -> None:
    """PHAST rows ``out[i, j]`` = distance ``origins[i] -> targets[j]``, ``batch`` origins
    per downward sweep (1: the one-origin sweep)."""
    ch = _CH_CACHE[graph.prepare()]
    arrays = (ch.pos_of, ch.up_ptr, ch.up_idx, ch.up_w, ch.dn_ptr, ch.dn_idx, ch.dn_w)
    if origins.size < 4:  # a block of 16 costs ~3.5 one-origin sweeps
        batch = 1
    batch = min(batch, -(-origins.size // get_num_threads()))  # every thread gets work
    _phast_k.phast(*arrays, origins, targets, cutoff, out, get_num_threads(), max(batch, 1))


def _dijkstra_rows(graph: Graph, origins: IntArray, cutoff: float, out: FloatArray) -> None:
    out[:] = np.inf
    if origins.size:
        _dijkstra.one_to_all(
            graph.indptr, graph.indices, graph.weights, origins, cutoff, out, get_num_threads()
        )


def one_to_all(
    graph: Graph, origins: ArrayLike, cutoff: float = math.inf, method: Method = "auto"
) -> FloatArray:
    """Distances from each origin to every node (one search per origin, in parallel).

    Parameters
    ----------
    graph : Graph
        The network.
    origins : array_like of int
        Origin nodes.
    cutoff : float, default inf
        Distances above ``cutoff`` are reported as ``inf``.
    method : {"auto", "dijkstra", "phast"}, default "auto"
        ``"dijkstra"``: one Dijkstra search per origin (stops at the cutoff).
        ``"phast"``: contraction hierarchy + linear sweep (builds the hierarchy
        with :meth:`Graph.prepare` if needed). ``"auto"``: PHAST on a prepared
        graph (or for batches of at least ``AUTO_PREPARE_MIN_ORIGINS`` origins)
        unless a cutoff is given and the batch is small (<= 16 origins) or probe
        searches from the first 8 origins reach under 20 % of the nodes;
        Dijkstra otherwise.

    Returns
    -------
    numpy.ndarray
        float64 ``[len(origins), n_nodes]``; ``inf`` where unreachable.

    Raises
    ------
    ValueError
        On out-of-range origins, an invalid cutoff or an unknown method.
    """
    _check_graph(graph)
    org = _as_int_ids(origins, "origins", graph.n_nodes)
    c = _check_cutoff(cutoff)
    auto = _check_method(method) == "auto"
    n = graph.n_nodes
    if auto:
        use_phast = graph.is_prepared or org.size >= AUTO_PREPARE_MIN_ORIGINS
        if c < math.inf and org.size <= 2 * _PROBE:
            use_phast = False  # small batch with a cutoff: bounded searches are cheap
        method = "phast" if use_phast else "dijkstra"
    out = np.empty((org.size, n))
    if method == "dijkstra" or org.size == 0:
        _dijkstra_rows(graph, org, c, out)
        return out
    start = 0
    if auto and c < math.inf:
        # probe: if the cutoff ball is small, bounded Dijkstra beats a full sweep
        start = _PROBE
        _dijkstra_rows(graph, org[:start], c, out[:start])
        if np.isfinite(out[:start]).mean() < _AUTO_PHAST_REACH:
            _dijkstra_rows(graph, org[start:], c, out[start:])
            return out
    _phast(graph, org[start:], np.arange(n, dtype=np.int64), c, out[start:])
    return out


def many_to_many(
    graph: Graph,
    origins: ArrayLike,
    destinations: ArrayLike,
    cutoff: float = math.inf,
    chunk_size: int = 4096,
    method: Method = "auto",
) -> FloatArray:
    """Origin-destination distance matrix.

    With Dijkstra each search stops as soon as every destination is settled (or
    the cutoff is reached). Origins are processed in chunks of ``chunk_size``
    with per-thread work arrays, so memory is ``O(threads * n_nodes)`` on top of
    the result.

    Parameters
    ----------
    graph : Graph
        The network.
    origins, destinations : array_like of int
        Node ids; duplicates are allowed.
    cutoff : float, default inf
        Distances above ``cutoff`` are reported as ``inf``.
    chunk_size : int, default 4096
        Number of origins handed to the parallel kernel at a time.
    method : {"auto", "dijkstra", "phast"}, default "auto"
        As in :func:`one_to_all`; ``"auto"`` uses PHAST only without a cutoff,
        with at least 16 distinct destinations, and on a prepared graph (or for
        at least ``AUTO_PREPARE_MIN_ORIGINS`` origins).

    Returns
    -------
    numpy.ndarray
        float64 ``[len(origins), len(destinations)]``; ``inf`` where unreachable.

    Raises
    ------
    ValueError
        On out-of-range node ids, an invalid cutoff, ``chunk_size < 1`` or an
        unknown method.
    """
    _check_graph(graph)
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer):
        raise ValueError(f"chunk_size must be an integer >= 1, got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    n = graph.n_nodes
    org = _as_int_ids(origins, "origins", n)
    dst = _as_int_ids(destinations, "destinations", n)
    c = _check_cutoff(cutoff)
    method = _check_method(method)
    out = np.full((org.size, dst.size), np.inf)
    if org.size == 0 or dst.size == 0:
        return out
    if method == "auto":
        big = graph.is_prepared or org.size >= AUTO_PREPARE_MIN_ORIGINS
        many = np.unique(dst).size >= 16
        method = "phast" if (big and many and c == math.inf) else "dijkstra"
    if method == "phast":
        for start in range(0, org.size, int(chunk_size)):
            stop = min(start + int(chunk_size), org.size)
            _phast(graph, org[start:stop], dst, c, out[start:stop])
        return out
    head, nxt, n_targets = _target_lists(dst, n)
    for start in range(0, org.size, int(chunk_size)):
        stop = min(start + int(chunk_size), org.size)
        _dijkstra.many_to_many(graph.indptr, graph.indices, graph.weights, org[start:stop],
                               head, nxt, n_targets, c, out[start:stop], get_num_threads())
    return out


def _arc_matrix(arc_values: ArrayLike, n_arcs: int) -> tuple[FloatArray, np.dtype | None]:
    """Per-arc values as a contiguous float matrix ``[n_arcs, k]``, and the structured
    dtype they came in (None for a plain matrix)."""
    dtype = arc_values.dtype if isinstance(arc_values, np.ndarray) else None
    if isinstance(arc_values, np.ndarray) and dtype is not None and dtype.names is not None:
        values = np.ascontiguousarray(rfn.structured_to_unstructured(arc_values, np.float64))
    else:
        dtype = None
        values = np.ascontiguousarray(np.asarray(arc_values, dtype=np.float64))
    if values.ndim != 2 or values.shape[0] != n_arcs:
        raise ValueError(f"arc_values must have shape (n_arcs={n_arcs}, k), got {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("arc_values must be finite")
    return values, dtype


def _target_lists(dst: IntArray, n: int) -> tuple[IntArray, IntArray, int]:
    """Linked lists of destination positions per node (``head[node] -> nxt[pos] -> ...``)
    and the number of distinct destination nodes."""
    order = np.argsort(dst, kind="stable")
    sorted_nodes = dst[order]
    first = np.ones(dst.size, dtype=bool)
    first[1:] = sorted_nodes[1:] != sorted_nodes[:-1]
    head = np.full(n, -1, dtype=np.int64)
    head[sorted_nodes[first]] = order[first]
    nxt = np.full(dst.size, -1, dtype=np.int64)
    same_next = ~first[1:]
    nxt[order[:-1][same_next]] = order[1:][same_next]
    return head, nxt, int(first.sum())


def many_to_many_sums(
    graph: Graph,
    origins: ArrayLike,
    destinations: ArrayLike,
    arc_values: ArrayLike,
    flows: ArrayLike | None = None,
    cutoff: float = math.inf,
) -> tuple[FloatArray, np.ndarray]:
    """Distances, and sums of per-arc values along the shortest paths.

    Used to split a generalised public transport time into its parts (walking,
    waiting, in-vehicle time, boardings) and to load flows onto lines.

    Parameters
    ----------
    graph, origins, destinations
        As in :func:`many_to_many`.
    arc_values : numpy.ndarray
        Values per arc in the graph's arc order: a structured array of ``n_arcs``
        rows (e.g. :attr:`Graph.arcs` or a selection of its fields), or a float
        array ``[n_arcs, k]`` built from such fields.
    flows : array_like of float, optional
        ``[len(origins), len(destinations)]``. When given, the second result is the
        flow-weighted sum over destinations per origin, ``[len(origins), k]``.
    cutoff : float, default inf
        Distances above ``cutoff`` are reported as ``inf``.

    Returns
    -------
    dist : numpy.ndarray
        ``[len(origins), len(destinations)]``; ``inf`` where unreachable.
    sums : numpy.ndarray
        ``[len(origins), len(destinations)]`` (NaN where unreachable), or
        ``[len(origins)]`` with ``flows``, with the fields of a structured
        ``arc_values``; for a float ``arc_values`` a last axis of ``k`` values. Ties
        between equally short paths are broken by search order.

    Raises
    ------
    ValueError
        On out-of-range node ids, mismatched shapes or non-finite arc values.
    """
    _check_graph(graph)
    n = graph.n_nodes
    org = _as_int_ids(origins, "origins", n)
    dst = _as_int_ids(destinations, "destinations", n)
    values, fields = _arc_matrix(arc_values, graph.n_arcs)
    c = _check_cutoff(cutoff)
    k = values.shape[1]
    is_target = np.zeros(n, dtype=np.bool_)
    is_target[dst] = True
    out_dist = np.full((org.size, dst.size), np.inf)
    if flows is None:
        flow = np.zeros((0, 0))
        out_sums = np.full((org.size, dst.size, k), np.nan)
        out_flow = np.zeros((0, k))
    else:
        flow = np.ascontiguousarray(np.asarray(flows, dtype=np.float64))
        if flow.shape != (org.size, dst.size):
            raise ValueError(f"flows must have shape {(org.size, dst.size)}, got {flow.shape}")
        out_sums = np.zeros((0, 0, k))
        out_flow = np.zeros((org.size, k))
    if org.size and dst.size:
        _dijkstra.many_to_many_sums(graph.indptr, graph.indices, graph.weights, values, org,
                                    dst, is_target, int(is_target.sum()), flow, c, out_dist,
                                    out_sums, out_flow, get_num_threads())
    sums = out_sums if flows is None else out_flow
    if fields is not None and fields.names is not None:
        sums = rfn.unstructured_to_structured(sums, np.dtype([(f, "f8") for f in fields.names]))
    return out_dist, sums
