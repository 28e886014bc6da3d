"""Dijkstra kernels behind :mod:`sim.graph.paths` (private; call the public wrappers).

All kernels work on a compressed-sparse-row graph given as three arrays ``indptr``
(int64, ``n + 1``), ``indices`` (int32 or int64, head node of each arc) and
``weights`` (float64, non-negative and finite). Inputs are validated by
:mod:`sim.graph`; the kernels trust them. The heap is in :mod:`sim.graph._heap`.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.graph._heap import _pop, _pop3, _push, _push3


@njit(cache=True)
def _sssp_into(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    src: int,
    cutoff: float,
    dist: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
) -> None:
    """Full single-source search writing into ``dist`` (pre-filled with inf).

    ``hk``/``hv`` need room for ``len(indices) + 1`` entries: a node's arcs are
    scanned once, when it is settled, and each scan pushes at most one entry
    per arc.
    """
    dist[src] = 0.0
    hk[0] = 0.0
    hv[0] = src
    size = 1
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = _pop(hk, hv, size)
        if d > dist[v]:
            continue  # stale entry
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            nd = d + weights[e]
            if nd < dist[u] and nd <= cutoff:
                dist[u] = nd
                _push(hk, hv, size, nd, u)
                size += 1


@njit(cache=True, parallel=True)
def one_to_all(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    origins: np.ndarray,
    cutoff: float,
    out: np.ndarray,
    n_threads: int,
) -> None:
    """Fill ``out[i, :]`` (pre-filled with inf) with distances from ``origins[i]``.

    Origins are dealt round-robin to ``n_threads`` blocks, each with its own heap.
    """
    m = indices.shape[0]
    n_o = origins.shape[0]
    n_blocks = max(1, min(n_threads, n_o))
    for b in prange(n_blocks):
        hk = np.empty(m + 1, dtype=np.float64)
        hv = np.empty(m + 1, dtype=indices.dtype)
        for i in range(b, n_o, n_blocks):
            _sssp_into(indptr, indices, weights, origins[i], cutoff, out[i], hk, hv)


@njit(cache=True)
def multi_source(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    sources: np.ndarray,
    offsets: np.ndarray,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One search from all sources; return (dist, index of nearest source or -1)."""
    n = indptr.shape[0] - 1
    cap = indices.shape[0] + sources.shape[0] + 1
    dist = np.full(n, np.inf)
    lab = np.full(n, -1, dtype=np.int64)
    hk = np.empty(cap, dtype=np.float64)
    hv = np.empty(cap, dtype=indices.dtype)
    size = 0
    for i in range(sources.shape[0]):
        s = sources[i]
        d0 = offsets[i]
        if d0 < dist[s] and d0 <= cutoff:
            dist[s] = d0
            lab[s] = i
            _push(hk, hv, size, d0, s)
            size += 1
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = _pop(hk, hv, size)
        if d > dist[v]:
            continue
        lv = lab[v]
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            nd = d + weights[e]
            if nd < dist[u] and nd <= cutoff:
                dist[u] = nd
                lab[u] = lv
                _push(hk, hv, size, nd, u)
                size += 1
    return dist, lab


@njit(cache=True)
def k_nearest(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    sources: np.ndarray,
    offsets: np.ndarray,
    k: int,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Label-setting search: each node is settled by at most ``k`` distinct sources."""
    n = indptr.shape[0] - 1
    kd = np.full((n, k), np.inf)
    ki = np.full((n, k), -1, dtype=np.int64)
    cnt = np.zeros(n, dtype=np.int64)
    cap = max(16, sources.shape[0] + indices.shape[0] + 1)
    hk = np.empty(cap, dtype=np.float64)
    hv = np.empty(cap, dtype=np.int64)
    hs = np.empty(cap, dtype=np.int64)
    size = 0
    for i in range(sources.shape[0]):
        if offsets[i] <= cutoff:
            _push3(hk, hv, hs, size, offsets[i], sources[i], i)
            size += 1
    while size > 0:
        d = hk[0]
        v = hv[0]
        s = hs[0]
        size = _pop3(hk, hv, hs, size)
        c = cnt[v]
        if c >= k:
            continue
        seen = False
        for j in range(c):
            if ki[v, j] == s:
                seen = True
                break
        if seen:
            continue
        kd[v, c] = d
        ki[v, c] = s
        cnt[v] = c + 1
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            nd = d + weights[e]
            cu = cnt[u]
            if cu >= k or nd > cutoff:
                continue
            dup = False
            for j in range(cu):
                if ki[u, j] == s:
                    dup = True
                    break
            if dup:
                continue
            if size == cap:
                cap *= 2
                hk2 = np.empty(cap, dtype=np.float64)
                hv2 = np.empty(cap, dtype=np.int64)
                hs2 = np.empty(cap, dtype=np.int64)
                hk2[:size] = hk[:size]
                hv2[:size] = hv[:size]
                hs2[:size] = hs[:size]
                hk = hk2
                hv = hv2
                hs = hs2
            _push3(hk, hv, hs, size, nd, u, s)
            size += 1
    return kd, ki


@njit(cache=True)
def _sssp_targets(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    src: int,
    cutoff: float,
    dest_head: np.ndarray,
    dest_next: np.ndarray,
    n_targets: int,
    row: np.ndarray,
    dist: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
    touched: np.ndarray,
) -> None:
    """Search from ``src`` until all target nodes are settled; write into ``row``.

    ``dist`` must be all-inf on entry; it is restored on exit by resetting only
    the nodes this search touched.
    """
    dist[src] = 0.0
    touched[0] = src
    n_touched = 1
    hk[0] = 0.0
    hv[0] = src
    size = 1
    remaining = n_targets
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = _pop(hk, hv, size)
        if d > dist[v]:
            continue
        j = dest_head[v]
        if j >= 0:
            while j >= 0:
                row[j] = d
                j = dest_next[j]
            remaining -= 1
            if remaining == 0:
                break
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            nd = d + weights[e]
            du = dist[u]
            if nd < du and nd <= cutoff:
                if du == np.inf:
                    touched[n_touched] = u
                    n_touched += 1
                dist[u] = nd
                _push(hk, hv, size, nd, u)
                size += 1
    for t in range(n_touched):
        dist[touched[t]] = np.inf


@njit(cache=True, parallel=True)
def many_to_many(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    origins: np.ndarray,
    dest_head: np.ndarray,
    dest_next: np.ndarray,
    n_targets: int,
    cutoff: float,
    out: np.ndarray,
    n_threads: int,
) -> None:
    """Fill ``out[i, j]`` (pre-filled with inf) with the distance origin i -> destination j.

    ``dest_head[node]`` is the first destination position at that node (or -1)
    and ``dest_next`` chains further positions at the same node; ``n_targets``
    is the number of distinct destination nodes.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    n_o = origins.shape[0]
    n_blocks = max(1, min(n_threads, n_o))
    for b in prange(n_blocks):
        dist = np.full(n, np.inf)
        hk = np.empty(m + 1, dtype=np.float64)
        hv = np.empty(m + 1, dtype=indices.dtype)
        touched = np.empty(n, dtype=np.int64)
        for i in range(b, n_o, n_blocks):
            _sssp_targets(
                indptr,
                indices,
                weights,
                origins[i],
                cutoff,
                dest_head,
                dest_next,
                n_targets,
                out[i],
                dist,
                hk,
                hv,
                touched,
            )


@njit(cache=True)
def _sums_from(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    values: np.ndarray,
    src: int,
    is_target: np.ndarray,
    n_targets: int,
    cutoff: float,
    dist: np.ndarray,
    acc: np.ndarray,
    touched: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
) -> int:
    """Search from ``src`` until every target is settled, summing ``values`` along the
    shortest-path tree into ``acc``; returns how many entries of ``touched`` to reset."""
    n_touched = 0
    dist[src] = 0.0
    acc[src, :] = 0.0
    touched[n_touched] = src
    n_touched += 1
    hk[0] = 0.0
    hv[0] = src
    size = 1
    settled = 0
    while size > 0 and settled < n_targets:
        d = hk[0]
        v = hv[0]
        size = _pop(hk, hv, size)
        if d > dist[v]:
            continue
        if is_target[v]:
            settled += 1
        for e in range(indptr[v], indptr[v + 1]):
            u = indices[e]
            nd = d + weights[e]
            if nd < dist[u] and nd <= cutoff:
                if dist[u] == np.inf:
                    touched[n_touched] = u
                    n_touched += 1
                dist[u] = nd
                acc[u, :] = acc[v, :] + values[e, :]
                _push(hk, hv, size, nd, u)
                size += 1
    return n_touched


@njit(cache=True, parallel=True)
def many_to_many_sums(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray,
    values: np.ndarray,
    origins: np.ndarray,
    destinations: np.ndarray,
    is_target: np.ndarray,
    n_targets: int,
    flows: np.ndarray,
    cutoff: float,
    out_dist: np.ndarray,
    out_sums: np.ndarray,
    out_flow: np.ndarray,
    n_threads: int,
) -> None:
    """Distances and per-pair sums of arc ``values`` along the shortest paths.

    With ``flows`` of shape ``(n_origins, n_destinations)`` the sums are weighted by the
    flows and added up per origin into ``out_flow`` (``out_sums`` is then unused and may
    be empty); otherwise ``out_sums[i, j, :]`` gets the sums of pair ``(i, j)``.
    """
    n = indptr.shape[0] - 1
    m = indices.shape[0]
    k = values.shape[1]
    n_o = origins.shape[0]
    n_d = destinations.shape[0]
    weighted = flows.shape[0] > 0
    n_blocks = max(1, min(n_threads, n_o))
    for b in prange(n_blocks):
        dist = np.full(n, np.inf)
        acc = np.zeros((n, k))
        touched = np.empty(n, dtype=np.int64)
        hk = np.empty(m + 1, dtype=np.float64)
        hv = np.empty(m + 1, dtype=indices.dtype)
        for i in range(b, n_o, n_blocks):
            n_touched = _sums_from(indptr, indices, weights, values, origins[i], is_target,
                                   n_targets, cutoff, dist, acc, touched, hk, hv)
            for j in range(n_d):
                t = destinations[j]
                out_dist[i, j] = dist[t]
                if dist[t] < np.inf:
                    if weighted:
                        f = flows[i, j]
                        if f != 0.0:
                            for c in range(k):
                                out_flow[i, c] += f * acc[t, c]
                    else:
                        for c in range(k):
                            out_sums[i, j, c] = acc[t, c]
            for q in range(n_touched):
                dist[touched[q]] = np.inf
