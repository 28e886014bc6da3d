"""Shortest-path engine: Dijkstra kernels (Numba) over a compressed-sparse-row graph.

The public entry points are the :class:`Graph` container and the query functions
:func:`multi_source`, :func:`k_nearest`, :func:`one_to_all` and
:func:`many_to_many`. Distances are in the unit of the edge weights (metres or
seconds); unreachable nodes get ``inf`` and, where an index is returned, ``-1``.

Searches are Dijkstra with a lazy-deletion 4-ary heap, parallel over origins.
For large batches on one graph, :meth:`Graph.prepare` builds a contraction
hierarchy once; :func:`one_to_all` and :func:`many_to_many` then use PHAST
(upward search + linear sweep), several times faster per origin.

Examples
--------
>>> import numpy as np
>>> from sim.paths import Graph, one_to_all
>>> g = Graph.from_edges([0, 1], [1, 2], [1.0, 2.5], n_nodes=4)
>>> one_to_all(g, [0])
array([[0. , 1. , 3.5, inf]])
>>> one_to_all(g.prepare(), [0], method="phast")
array([[0. , 1. , 3.5, inf]])
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from numba import get_num_threads

from sim import _paths_kernels as _k

__all__ = [
    "AUTO_PREPARE_MIN_ORIGINS",
    "Graph",
    "Method",
    "k_nearest",
    "many_to_many",
    "multi_source",
    "one_to_all",
]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_INT32_MAX = np.iinfo(np.int32).max

Method = Literal["auto", "dijkstra", "phast"]
_METHODS = ("auto", "dijkstra", "phast")
#: with ``method="auto"`` an unprepared graph is prepared (CH built) only for
#: batches at least this large; building costs roughly 500-1000 Dijkstra searches
#: and each PHAST query saves about 3/4 of one (Oslo-east: break-even ~1,500 origins)
AUTO_PREPARE_MIN_ORIGINS = 2000
#: with a cutoff, ``auto`` switches to PHAST when probe searches reach this share of nodes
_AUTO_PHAST_REACH = 0.2
_PROBE = 8


@dataclass(frozen=True, eq=False)
class _CH:
    """PHAST arrays of a contraction hierarchy (see ``_paths_kernels.build_ch``)."""

    pos_of: np.ndarray
    up_ptr: np.ndarray
    up_idx: np.ndarray
    up_w: np.ndarray
    dn_ptr: np.ndarray
    dn_idx: np.ndarray
    dn_w: np.ndarray


_CH_CACHE: weakref.WeakKeyDictionary[Graph, _CH] = weakref.WeakKeyDictionary()


def _as_1d(values: ArrayLike, name: str) -> np.ndarray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _as_int_ids(values: ArrayLike, name: str, n_nodes: int) -> IntArray:
    """Convert node ids to a contiguous int64 array and check they are in range."""
    arr = _as_1d(values, name)
    if arr.size == 0:
        return np.zeros(0, dtype=np.int64)
    if arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must contain integer node ids, got non-integer values")
    elif arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must contain integer node ids, got dtype {arr.dtype}")
    out = np.ascontiguousarray(arr, dtype=np.int64)
    bad = (out < 0) | (out >= n_nodes)
    if bad.any():
        first = int(out[np.argmax(bad)])
        raise ValueError(
            f"{name} contains {int(bad.sum())} node id(s) out of range [0, {n_nodes}), e.g. {first}"
        )
    return out


def _as_weights(values: ArrayLike, name: str) -> FloatArray:
    """Convert weights to contiguous float64; reject NaN, inf and negative values."""
    arr = _as_1d(values, name)
    try:
        out = np.ascontiguousarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}") from exc
    if out.size:
        if np.isnan(out).any():
            raise ValueError(f"{name} contains {int(np.isnan(out).sum())} NaN value(s)")
        if np.isinf(out).any():
            raise ValueError(f"{name} contains {int(np.isinf(out).sum())} infinite value(s)")
        if (out < 0).any():
            raise ValueError(
                f"{name} contains {int((out < 0).sum())} negative value(s), "
                f"e.g. {float(out[np.argmax(out < 0)])}; Dijkstra needs weights >= 0"
            )
    return out


def _check_cutoff(cutoff: float) -> float:
    try:
        c = float(cutoff)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"cutoff must be a number, got {cutoff!r}") from exc
    if math.isnan(c) or c < 0:
        raise ValueError(f"cutoff must be a non-negative number or inf, got {cutoff!r}")
    return c


def _index_dtype(n_nodes: int) -> type[np.integer[Any]]:
    return np.int32 if n_nodes <= _INT32_MAX else np.int64


@dataclass(frozen=True, eq=False)
class Graph:
    """A weighted graph in compressed-sparse-row (CSR) form.

    Arcs leaving node ``v`` are ``indices[indptr[v]:indptr[v + 1]]`` with weights
    ``weights[indptr[v]:indptr[v + 1]]``. An undirected graph stores every edge
    as two arcs, so the CSR arrays always describe the arcs that can be used.
    :meth:`prepare` adds a cached contraction hierarchy for fast batch queries.

    Parameters
    ----------
    indptr : numpy.ndarray
        int64 array of length ``n_nodes + 1``; non-decreasing, starting at 0.
    indices : numpy.ndarray
        Head node of each arc (int32 or int64), values in ``[0, n_nodes)``.
    weights : numpy.ndarray
        float64 arc weights (metres or seconds), finite and non-negative.
    directed : bool
        Whether the graph was built as directed. Informational for undirected
        graphs (both arcs are already stored); :meth:`reversed` uses it.
    x, y : numpy.ndarray or None
        Optional node coordinates (float64, EPSG:25833 metres), length ``n_nodes``.
    node_ids : numpy.ndarray or None
        Optional original node ids (e.g. OSM ids), ``node_ids[i]`` is node ``i``.

    Raises
    ------
    ValueError
        If the arrays are inconsistent or a weight is negative, NaN or infinite.
    """

    indptr: IntArray
    indices: np.ndarray
    weights: FloatArray
    directed: bool = True
    x: FloatArray | None = None
    y: FloatArray | None = None
    node_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        indptr = _as_1d(self.indptr, "indptr")
        if indptr.size == 0:
            raise ValueError("indptr must have length n_nodes + 1 >= 1, got an empty array")
        if indptr.dtype.kind not in "iu":
            raise ValueError(f"indptr must be an integer array, got dtype {indptr.dtype}")
        indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        n = indptr.size - 1
        weights = _as_weights(self.weights, "weights")
        n_arcs = weights.size
        if indptr[0] != 0 or indptr[-1] != n_arcs or (np.diff(indptr) < 0).any():
            raise ValueError(
                "indptr must be non-decreasing, start at 0 and end at len(weights) "
                f"({n_arcs}), got start {int(indptr[0])} and end {int(indptr[-1])}"
            )
        raw_idx = _as_1d(self.indices, "indices")
        if raw_idx.size != n_arcs:
            raise ValueError(
                f"indices and weights must have the same length, got {raw_idx.size} and {n_arcs}"
            )
        indices = _as_int_ids(raw_idx, "indices", n).astype(_index_dtype(n), copy=False)
        object.__setattr__(self, "indptr", indptr)
        object.__setattr__(self, "indices", np.ascontiguousarray(indices))
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "directed", bool(self.directed))
        for name in ("x", "y"):
            val = getattr(self, name)
            if val is not None:
                arr = np.ascontiguousarray(_as_1d(val, name), dtype=np.float64)
                if arr.size != n:
                    raise ValueError(f"{name} must have length n_nodes={n}, got {arr.size}")
                object.__setattr__(self, name, arr)
        if self.node_ids is not None:
            ids = _as_1d(self.node_ids, "node_ids")
            if ids.size != n:
                raise ValueError(f"node_ids must have length n_nodes={n}, got {ids.size}")
            object.__setattr__(self, "node_ids", ids)

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return int(self.indptr.size - 1)

    @property
    def n_arcs(self) -> int:
        """Number of stored arcs (an undirected edge counts twice, a self loop once)."""
        return int(self.weights.size)

    def __repr__(self) -> str:
        kind = "directed" if self.directed else "undirected"
        return f"Graph({kind}, n_nodes={self.n_nodes}, n_arcs={self.n_arcs})"

    @classmethod
    def from_edges(
        cls,
        u: ArrayLike,
        v: ArrayLike,
        w: ArrayLike,
        n_nodes: int,
        directed: bool = False,
        x: ArrayLike | None = None,
        y: ArrayLike | None = None,
        node_ids: ArrayLike | None = None,
    ) -> Graph:
        """Build a graph from edge lists.

        Parameters
        ----------
        u, v : array_like of int
            Tail and head node of each edge, in ``[0, n_nodes)``.
        w : array_like of float
            Edge weights, finite and non-negative.
        n_nodes : int
            Number of nodes (nodes without edges are allowed).
        directed : bool, default False
            If False every edge can be used in both directions.
        x, y : array_like of float, optional
            Node coordinates (EPSG:25833 metres).
        node_ids : array_like, optional
            Original node ids, one per node.

        Returns
        -------
        Graph

        Raises
        ------
        ValueError
            On mismatched lengths, out-of-range node ids or invalid weights.
        """
        if isinstance(n_nodes, bool) or not isinstance(n_nodes, int | np.integer):
            raise ValueError(f"n_nodes must be an integer, got {n_nodes!r}")
        n = int(n_nodes)
        if n < 0:
            raise ValueError(f"n_nodes must be >= 0, got {n}")
        uu = _as_1d(u, "u")
        vv = _as_1d(v, "v")
        ww = _as_1d(w, "w")
        if not (uu.size == vv.size == ww.size):
            raise ValueError(
                f"u, v and w must have the same length, got {uu.size}, {vv.size} and {ww.size}"
            )
        src = _as_int_ids(uu, "u", n)
        dst = _as_int_ids(vv, "v", n)
        wts = _as_weights(ww, "w")
        if not directed:
            keep = src != dst  # a self loop needs only one arc
            src, dst = np.concatenate([src, dst[keep]]), np.concatenate([dst, src[keep]])
            wts = np.concatenate([wts, wts[keep]])
        order = np.lexsort((dst, src))
        counts = np.bincount(src, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            indptr=indptr,
            indices=dst[order].astype(_index_dtype(n)),
            weights=wts[order],
            directed=bool(directed),
            x=None if x is None else np.asarray(x, dtype=np.float64),
            y=None if y is None else np.asarray(y, dtype=np.float64),
            node_ids=None if node_ids is None else np.asarray(node_ids),
        )

    @classmethod
    def from_networkx(cls, G: Any, weight: str | None = "length") -> Graph:
        """Build a graph from a networkx (or osmnx) graph.

        Node ``i`` is ``list(G.nodes)[i]``; the original ids are kept in
        :attr:`node_ids`. Directed graphs (e.g. osmnx ``MultiDiGraph``) stay
        directed; parallel edges are all kept. Node attributes ``x``/``y`` are
        used as coordinates when every node has them.

        Parameters
        ----------
        G : networkx.Graph, DiGraph, MultiGraph or MultiDiGraph
            The input graph.
        weight : str or None, default "length"
            Edge attribute holding the weight; ``None`` gives every edge weight 1.

        Returns
        -------
        Graph

        Raises
        ------
        ValueError
            If an edge lacks the weight attribute or a weight is invalid.
        """
        nodes = list(G.nodes)
        index = {node: i for i, node in enumerate(nodes)}
        m = G.number_of_edges()
        u = np.empty(m, dtype=np.int64)
        v = np.empty(m, dtype=np.int64)
        w = np.empty(m, dtype=np.float64)
        for j, (a, b, data) in enumerate(G.edges(data=True)):
            u[j] = index[a]
            v[j] = index[b]
            if weight is None:
                w[j] = 1.0
            else:
                if weight not in data:
                    raise ValueError(f"edge ({a!r}, {b!r}) has no {weight!r} attribute")
                w[j] = float(data[weight])
        x = y = None
        ndata = G.nodes
        if nodes and all("x" in ndata[n] and "y" in ndata[n] for n in nodes):
            x = np.array([ndata[n]["x"] for n in nodes], dtype=np.float64)
            y = np.array([ndata[n]["y"] for n in nodes], dtype=np.float64)
        try:
            ids = np.asarray(nodes)
            if ids.ndim != 1:
                raise ValueError
        except ValueError:
            ids = np.empty(len(nodes), dtype=object)
            ids[:] = nodes
        return cls.from_edges(u, v, w, len(nodes), directed=G.is_directed(), x=x, y=y, node_ids=ids)

    def prepare(self, witness_limit: int = 64) -> Graph:
        """Build (once) and cache a contraction hierarchy for fast one-to-all queries.

        A prepared graph answers :func:`one_to_all` and :func:`many_to_many` with
        PHAST (an upward search plus one linear sweep), several times faster than
        Dijkstra for large batches. Building takes about as long as several
        hundred Dijkstra searches (about 1 s for 20k nodes) and is kept as long
        as the graph object lives.

        Parameters
        ----------
        witness_limit : int, default 64
            Settled-node limit of the local witness searches during contraction
            (smaller builds faster but adds more shortcut arcs).

        Returns
        -------
        Graph
            ``self``, to allow ``g = Graph.from_networkx(G).prepare()``.
        """
        if self not in _CH_CACHE:
            if witness_limit < 1:
                raise ValueError(f"witness_limit must be >= 1, got {witness_limit}")
            arrays = _k.build_ch(self.indptr, self.indices, self.weights, int(witness_limit))
            _CH_CACHE[self] = _CH(*arrays)
        return self

    @property
    def is_prepared(self) -> bool:
        """Whether :meth:`prepare` has built the contraction hierarchy."""
        return self in _CH_CACHE

    def reversed(self) -> Graph:
        """Return the transpose (every arc reversed); undirected graphs return ``self``.

        Searching the reversed graph from a set of targets gives distances *to*
        those targets in the original graph.
        """
        if not self.directed:
            return self
        n = self.n_nodes
        tails = np.repeat(np.arange(n, dtype=np.int64), np.diff(self.indptr))
        heads = self.indices.astype(np.int64)
        order = np.lexsort((tails, heads))
        counts = np.bincount(heads, minlength=n)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return Graph(
            indptr=indptr,
            indices=tails[order].astype(self.indices.dtype),
            weights=self.weights[order],
            directed=True,
            x=self.x,
            y=self.y,
            node_ids=self.node_ids,
        )

    transpose = reversed

    def node_index(self, ids: Sequence[Hashable] | ArrayLike) -> IntArray:
        """Map original node ids (see :attr:`node_ids`) to node positions.

        Raises
        ------
        ValueError
            If the graph has no ``node_ids`` or an id is unknown.
        """
        if self.node_ids is None:
            raise ValueError("graph has no node_ids; node positions are the ids")
        lookup = {nid: i for i, nid in enumerate(self.node_ids.tolist())}
        out = np.empty(len(ids), dtype=np.int64)  # type: ignore[arg-type]
        for j, nid in enumerate(ids):  # type: ignore[arg-type]
            key = nid.item() if isinstance(nid, np.generic) else nid
            if key not in lookup:
                raise ValueError(f"unknown node id {nid!r}")
            out[j] = lookup[key]
        return out


def _check_graph(graph: Graph) -> None:
    if not isinstance(graph, Graph):
        raise ValueError(f"graph must be a sim.paths.Graph, got {type(graph).__name__}")


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
        return _k.phast_multi(
            ch.pos_of, ch.up_ptr, ch.up_idx, ch.up_w, ch.dn_ptr, ch.dn_idx, ch.dn_w,
            src, off, c,
        )  # fmt: skip
    dist, lab = _k.multi_source(graph.indptr, graph.indices, graph.weights, src, off, c)
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
    return _k.k_nearest(graph.indptr, graph.indices, graph.weights, src, off, int(k), c)


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    return method


def _phast(
    graph: Graph, origins: IntArray, targets: IntArray, cutoff: float, out: FloatArray
) -> None:
    ch = _CH_CACHE[graph.prepare()]
    _k.phast(
        ch.pos_of,
        ch.up_ptr,
        ch.up_idx,
        ch.up_w,
        ch.dn_ptr,
        ch.dn_idx,
        ch.dn_w,
        origins,
        targets,
        cutoff,
        out,
        get_num_threads(),
    )


def _dijkstra_rows(graph: Graph, origins: IntArray, cutoff: float, out: FloatArray) -> None:
    out[:] = np.inf
    if origins.size:
        _k.one_to_all(
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
    # linked list of destination positions per node: head[node] -> next[pos] -> ...
    order = np.argsort(dst, kind="stable")
    sorted_nodes = dst[order]
    first = np.ones(dst.size, dtype=bool)
    first[1:] = sorted_nodes[1:] != sorted_nodes[:-1]
    head = np.full(n, -1, dtype=np.int64)
    head[sorted_nodes[first]] = order[first]
    nxt = np.full(dst.size, -1, dtype=np.int64)
    same_next = ~first[1:]
    nxt[order[:-1][same_next]] = order[1:][same_next]
    n_targets = int(first.sum())
    for start in range(0, org.size, int(chunk_size)):
        stop = min(start + int(chunk_size), org.size)
        _k.many_to_many(
            graph.indptr,
            graph.indices,
            graph.weights,
            org[start:stop],
            head,
            nxt,
            n_targets,
            c,
            out[start:stop],
            get_num_threads(),
        )
    return out


def many_to_many_sums(
    graph: Graph,
    origins: ArrayLike,
    destinations: ArrayLike,
    arc_values: ArrayLike,
    flows: ArrayLike | None = None,
    cutoff: float = math.inf,
) -> tuple[FloatArray, FloatArray]:
    """Distances, and sums of per-arc values along the shortest paths.

    Used to split a generalised public transport time into its parts (walking,
    waiting, in-vehicle time, boardings) and to load flows onto lines.

    Parameters
    ----------
    graph : Graph
        The network.
    origins, destinations : array_like of int
        Node ids; duplicates are allowed.
    arc_values : array_like of float
        ``[n_arcs, k]`` values per arc, in the graph's CSR arc order.
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
        ``[len(origins), len(destinations), k]`` (NaN where unreachable), or
        ``[len(origins), k]`` with ``flows``. Ties between equally short paths are
        broken by search order.

    Raises
    ------
    ValueError
        On out-of-range node ids, mismatched shapes or non-finite arc values.
    """
    _check_graph(graph)
    n = graph.n_nodes
    org = _as_int_ids(origins, "origins", n)
    dst = _as_int_ids(destinations, "destinations", n)
    values = np.ascontiguousarray(np.asarray(arc_values, dtype=np.float64))
    if values.ndim != 2 or values.shape[0] != graph.n_arcs:
        raise ValueError(
            f"arc_values must have shape (n_arcs={graph.n_arcs}, k), got {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError("arc_values must be finite")
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
        _k.many_to_many_sums(graph.indptr, graph.indices, graph.weights, values, org, dst,
                             is_target, int(is_target.sum()), flow, c, out_dist, out_sums,
                             out_flow, get_num_threads())
    return out_dist, (out_sums if flows is None else out_flow)
