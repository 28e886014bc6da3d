"""PHAST query kernels on a contraction hierarchy (private; see :mod:`sim.graph.paths`).

The hierarchy comes from :func:`sim.graph._ch.build_ch`: nodes are numbered by
position (0 = most important); the upward graph lists arcs to more important nodes,
the downward graph lists, per head position, the arcs coming from more important
nodes. A query is an upward Dijkstra from the origin followed by one linear sweep
over all positions relaxing downward arcs (Delling et al., "PHAST: Hardware-Accelerated
Shortest Path Trees", 2011).

:func:`phast_batch` runs the sweep for a block of origins at once (the paper's
multi-tree variant): distances are kept node-major, ``dist[position, origin]``, so each
downward arc is read once per block and relaxed for every origin of the block in a
short contiguous loop the compiler vectorises. :func:`phast` is the one-origin sweep.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.graph._heap import _pop, _push


@njit(cache=True)
def _upward(
    s: int,
    up_ptr: np.ndarray,
    up_idx: np.ndarray,
    up_w: np.ndarray,
    dist: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
) -> None:
    """Dijkstra on the upward graph from position ``s`` into ``dist`` (all inf on entry).

    ``dist`` may be a strided column of a node-major block.
    """
    dist[s] = 0.0
    hk[0] = 0.0
    hv[0] = s
    size = 1
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = _pop(hk, hv, size)
        if d > dist[v]:
            continue
        for e in range(up_ptr[v], up_ptr[v + 1]):
            u = up_idx[e]
            nd = d + up_w[e]
            if nd < dist[u]:
                dist[u] = nd
                _push(hk, hv, size, nd, u)
                size += 1


@njit(cache=True)
def _phast_one(
    s: int,
    up_ptr: np.ndarray,
    up_idx: np.ndarray,
    up_w: np.ndarray,
    dn_ptr: np.ndarray,
    dn_idx: np.ndarray,
    dn_w: np.ndarray,
    dist: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
) -> None:
    """Upward search from position ``s`` then the downward sweep, in ``dist`` (all inf)."""
    _upward(s, up_ptr, up_idx, up_w, dist, hk, hv)
    for p in range(dist.shape[0]):
        d = dist[p]
        for e in range(dn_ptr[p], dn_ptr[p + 1]):
            nd = dist[dn_idx[e]] + dn_w[e]
            if nd < d:
                d = nd
        dist[p] = d


@njit(cache=True, parallel=True)
def phast(
    pos_of: np.ndarray,
    up_ptr: np.ndarray,
    up_idx: np.ndarray,
    up_w: np.ndarray,
    dn_ptr: np.ndarray,
    dn_idx: np.ndarray,
    dn_w: np.ndarray,
    origins: np.ndarray,
    targets: np.ndarray,
    cutoff: float,
    out: np.ndarray,
    n_threads: int,
) -> None:
    """``out[i, j]`` = distance ``origins[i]`` -> ``targets[j]`` (inf above ``cutoff``);
    one sweep per origin."""
    n = pos_of.shape[0]
    n_o = origins.shape[0]
    n_t = targets.shape[0]
    n_blocks = max(1, min(n_threads, n_o))
    tpos = np.empty(n_t, dtype=np.int64)
    for j in range(n_t):
        tpos[j] = pos_of[targets[j]]
    for b in prange(n_blocks):
        dist = np.full(n, np.inf)
        hk = np.empty(up_idx.shape[0] + 1, dtype=np.float64)
        hv = np.empty(up_idx.shape[0] + 1, dtype=up_idx.dtype)
        for i in range(b, n_o, n_blocks):
            _phast_one(pos_of[origins[i]], up_ptr, up_idx, up_w, dn_ptr, dn_idx, dn_w, dist, hk, hv)
            row = out[i]
            for j in range(n_t):
                d = dist[tpos[j]]
                row[j] = d if d <= cutoff else np.inf
            dist[:] = np.inf


@njit(cache=True)
def _sweep_block(
    dn_ptr: np.ndarray, dn_idx: np.ndarray, dn_w: np.ndarray, dist: np.ndarray, k: int
) -> None:
    """Downward sweep of a node-major block ``dist[position, origin]`` for ``k`` origins."""
    for p in range(dist.shape[0]):
        dp = dist[p]
        for e in range(dn_ptr[p], dn_ptr[p + 1]):
            dq = dist[dn_idx[e]]
            w = dn_w[e]
            for c in range(k):
                dp[c] = min(dp[c], dq[c] + w)


@njit(cache=True, parallel=True)
def phast_batch(
    pos_of: np.ndarray,
    up_ptr: np.ndarray,
    up_idx: np.ndarray,
    up_w: np.ndarray,
    dn_ptr: np.ndarray,
    dn_idx: np.ndarray,
    dn_w: np.ndarray,
    origins: np.ndarray,
    targets: np.ndarray,
    cutoff: float,
    out: np.ndarray,
    n_threads: int,
    batch: int,
) -> None:
    """As :func:`phast`, with one downward sweep per block of ``batch`` origins.

    Blocks are dealt round-robin to ``n_threads`` workers, each with its own
    ``[n, batch]`` distance block and heap.
    """
    n = pos_of.shape[0]
    n_o = origins.shape[0]
    n_t = targets.shape[0]
    n_chunks = (n_o + batch - 1) // batch
    n_workers = max(1, min(n_threads, n_chunks))
    tpos = np.empty(n_t, dtype=np.int64)
    for j in range(n_t):
        tpos[j] = pos_of[targets[j]]
    for b in prange(n_workers):
        dist = np.full((n, batch), np.inf)
        hk = np.empty(up_idx.shape[0] + 1, dtype=np.float64)
        hv = np.empty(up_idx.shape[0] + 1, dtype=up_idx.dtype)
        for chunk in range(b, n_chunks, n_workers):
            start = chunk * batch
            k = min(batch, n_o - start)
            for c in range(k):
                _upward(pos_of[origins[start + c]], up_ptr, up_idx, up_w, dist[:, c], hk, hv)
            _sweep_block(dn_ptr, dn_idx, dn_w, dist, k)
            for j in range(n_t):
                dp = dist[tpos[j]]
                for c in range(k):
                    d = dp[c]
                    out[start + c, j] = d if d <= cutoff else np.inf
            dist[:, :] = np.inf


@njit(cache=True)
def phast_multi(
    pos_of: np.ndarray,
    up_ptr: np.ndarray,
    up_idx: np.ndarray,
    up_w: np.ndarray,
    dn_ptr: np.ndarray,
    dn_idx: np.ndarray,
    dn_w: np.ndarray,
    sources: np.ndarray,
    offsets: np.ndarray,
    cutoff: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-source PHAST: (distance to, index of) the nearest source for every node.

    The upward search starts from all sources at once (with their offsets) and
    the sweep carries the source label along with the distance.
    """
    n = pos_of.shape[0]
    dist = np.full(n, np.inf)
    lab = np.full(n, -1, dtype=np.int64)
    cap = up_idx.shape[0] + sources.shape[0] + 1
    hk = np.empty(cap, dtype=np.float64)
    hv = np.empty(cap, dtype=np.int64)
    size = 0
    for i in range(sources.shape[0]):
        p = pos_of[sources[i]]
        d0 = offsets[i]
        if d0 < dist[p]:
            dist[p] = d0
            lab[p] = i
            _push(hk, hv, size, d0, p)
            size += 1
    while size > 0:
        d = hk[0]
        v = hv[0]
        size = _pop(hk, hv, size)
        if d > dist[v]:
            continue
        lv = lab[v]
        for e in range(up_ptr[v], up_ptr[v + 1]):
            u = up_idx[e]
            nd = d + up_w[e]
            if nd < dist[u]:
                dist[u] = nd
                lab[u] = lv
                _push(hk, hv, size, nd, u)
                size += 1
    for p in range(n):
        d = dist[p]
        lp = lab[p]
        for e in range(dn_ptr[p], dn_ptr[p + 1]):
            q = dn_idx[e]
            nd = dist[q] + dn_w[e]
            if nd < d:
                d = nd
                lp = lab[q]
        dist[p] = d
        lab[p] = lp
    out_d = np.empty(n, dtype=np.float64)
    out_l = np.empty(n, dtype=np.int64)
    for v in range(n):
        p = pos_of[v]
        d = dist[p]
        if d <= cutoff:
            out_d[v] = d
            out_l[v] = lab[p]
        else:
            out_d[v] = np.inf
            out_l[v] = -1
    return out_d, out_l
