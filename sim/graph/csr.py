"""The graph container of the path engine: a weighted graph in compressed-sparse-row form.

:class:`Graph` validates its arrays once, so the Numba kernels can trust them. Per-arc
attributes (e.g. the walking, waiting and in-vehicle parts of a public transport arc)
travel with the graph as a structured array in the graph's own arc order, so callers
read ``graph.arcs["boardings"]`` and never need to know that order.

Examples
--------
>>> g = Graph.from_edges([0, 1], [1, 2], [1.0, 2.5], n_nodes=3, directed=True,
...                      arcs=np.array([(1,), (0,)], dtype=[("boardings", "f8")]))
>>> g.arcs["boardings"].tolist()
[1.0, 0.0]
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from sim.graph._ch import build_ch

__all__ = ["Graph"]

ArrayLike = npt.ArrayLike
FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_INT32_MAX = np.iinfo(np.int32).max


@dataclass(frozen=True, eq=False)
class _CH:
    """PHAST arrays of a contraction hierarchy (see :func:`sim.graph._ch.build_ch`)."""

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


def _csr_order(tail: IntArray, head: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Arc order of a CSR graph (by tail, then head; stable) and its ``indptr``."""
    order = np.lexsort((head, tail))
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(tail, minlength=n), out=indptr[1:])
    return order, indptr


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
    arcs : numpy.ndarray or None
        Optional per-arc attributes: a structured array with one row per arc, in
        the CSR arc order (build it with :meth:`from_edges`, which sorts it along).

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
    arcs: np.ndarray | None = None

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
        if self.arcs is not None and (self.arcs.dtype.names is None
                                      or self.arcs.shape != (n_arcs,)):
            raise ValueError(f"arcs must be a structured array of {n_arcs} rows, got "
                             f"dtype {self.arcs.dtype} and shape {self.arcs.shape}")

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
        arcs: np.ndarray | None = None,
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
        arcs : numpy.ndarray, optional
            Structured array of per-edge attributes, one row per edge; it is sorted
            into the graph's arc order (and doubled for undirected graphs).

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
        if arcs is not None and (arcs.dtype.names is None or arcs.shape != (src.size,)):
            raise ValueError(f"arcs must be a structured array with one row per edge "
                             f"({src.size}), got dtype {arcs.dtype} and shape {arcs.shape}")
        if not directed:
            keep = src != dst  # a self loop needs only one arc
            src, dst = np.concatenate([src, dst[keep]]), np.concatenate([dst, src[keep]])
            wts = np.concatenate([wts, wts[keep]])
            if arcs is not None:
                arcs = np.concatenate([arcs, arcs[keep]])
        order, indptr = _csr_order(src, dst, n)
        return cls(
            indptr=indptr,
            indices=dst[order].astype(_index_dtype(n)),
            weights=wts[order],
            directed=bool(directed),
            x=None if x is None else np.asarray(x, dtype=np.float64),
            y=None if y is None else np.asarray(y, dtype=np.float64),
            node_ids=None if node_ids is None else np.asarray(node_ids),
            arcs=None if arcs is None else arcs[order],
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

        A missing weight attribute or an invalid weight raises ``ValueError``.
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
            arrays = build_ch(self.indptr, self.indices, self.weights, int(witness_limit))
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
        order, indptr = _csr_order(self.indices.astype(np.int64), tails, n)
        return Graph(
            indptr=indptr,
            indices=tails[order].astype(self.indices.dtype),
            weights=self.weights[order],
            directed=True,
            x=self.x,
            y=self.y,
            node_ids=self.node_ids,
            arcs=None if self.arcs is None else self.arcs[order],
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


