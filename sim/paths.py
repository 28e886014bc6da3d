"""PLACEHOLDER (scipy-backed) until the Numba engine lands; same API."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse import csgraph


@dataclass(frozen=True)
class Graph:
    indptr: np.ndarray
    indices: np.ndarray
    weights: np.ndarray
    directed: bool
    x: np.ndarray | None = None
    y: np.ndarray | None = None

    @property
    def n_nodes(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_edges(cls, u, v, w, n_nodes, directed=False, x=None, y=None) -> Graph:
        u, v, w = np.asarray(u), np.asarray(v), np.asarray(w, float)
        if not directed:
            u, v, w = np.r_[u, v], np.r_[v, u], np.r_[w, w]
        m = sp.csr_matrix((w + 1e-12, (u, v)), shape=(n_nodes, n_nodes))
        return cls(m.indptr, m.indices, m.data, True, x, y)

    def _m(self):
        return sp.csr_matrix((self.weights, self.indices, self.indptr), shape=(self.n_nodes,) * 2)


def multi_source(graph, sources, cutoff=np.inf, source_offsets=None):
    sources = np.asarray(sources)
    if source_offsets is None or not np.any(source_offsets):
        d, _, src = csgraph.dijkstra(graph._m(), indices=sources, min_only=True,
                                     return_predecessors=True, limit=cutoff)
        lookup = {s: i for i, s in enumerate(sources)}
        nearest = np.array([lookup.get(s, -1) for s in src])
        return d, nearest
    full = csgraph.dijkstra(graph._m(), indices=sources, limit=cutoff)
    full = full + np.asarray(source_offsets)[:, None]
    return full.min(axis=0), np.where(np.isfinite(full.min(axis=0)), full.argmin(axis=0), -1)


def one_to_all(graph, origins, cutoff=np.inf):
    return csgraph.dijkstra(graph._m(), indices=np.asarray(origins), limit=cutoff)


def many_to_many(graph, origins, destinations, cutoff=np.inf):
    return one_to_all(graph, origins, cutoff)[:, np.asarray(destinations)]
