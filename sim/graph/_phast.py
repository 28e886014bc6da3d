"""PHAST query kernels on a contraction hierarchy (private; see :mod:`sim.graph.paths`).

The hierarchy comes from :func:`sim.graph._ch.build_ch`: nodes are numbered by
position (0 = most important); the upward graph lists arcs to more important nodes,
the downward graph lists, per head position, the arcs coming from more important
nodes. A query is an upward Dijkstra from the origin followed by one linear sweep
over all positions relaxing downward arcs (Delling et al., "PHAST: Hardware-Accelerated
Shortest Path Trees", 2011).

:func:`phast` runs the sweep for a block of origins at once (the paper's
multi-tree variant): distances are kept node-major in one flat array,
``dist[position * k + origin]``, so each downward arc is read once per block and relaxed
for every origin of the block in a short contiguous branch-free ``min`` loop the
compiler vectorises, and the row a few arcs ahead is prefetched (:mod:`sim.graph._prefetch`);
with blocks of one origin it is the one-origin sweep. On Oslo-east, single-threaded, a
whole query (upward search, sweep, extraction into node order) costs 1.8-2.0x less per
origin in blocks of 16 than alone (``test_gate``, benchmarks/README.md).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from sim.graph._heap import _pop, _push
from sim.graph._prefetch import prefetch


@njit(cache=True)
def _upward(
    s: int,
    up_ptr: np.ndarray,
    up_idx: np.ndarray,
    up_w: np.ndarray,
    dist: np.ndarray,
    touched: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
) -> int:
    """Dijkstra on the upward graph from position ``s`` into ``dist`` (all inf on entry);
    lists the reached positions in ``touched`` and returns how many there are."""
    dist[s] = 0.0
    touched[0] = s
    nt = 1
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
            du = dist[u]
            if nd < du:
                if du == np.inf:
                    touched[nt] = u
                    nt += 1
                dist[u] = nd
                _push(hk, hv, size, nd, u)
                size += 1
    return nt


@njit(cache=True)
def _upward_into_block(
    s: int,
    up_ptr: np.ndarray,
    up_idx: np.ndarray,
    up_w: np.ndarray,
    scratch: np.ndarray,
    touched: np.ndarray,
    dist: np.ndarray,
    k: int,
    c: int,
    hk: np.ndarray,
    hv: np.ndarray,
) -> None:
    """Upward search from ``s`` in the small ``scratch`` array (all inf, cache-resident),
    then its few reached nodes copied to column ``c`` of the block and ``scratch`` reset."""
    nt = _upward(s, up_ptr, up_idx, up_w, scratch, touched, hk, hv)
    for t in range(nt):
        v = touched[t]
        dist[v * k + c] = scratch[v]
        scratch[v] = np.inf


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
    touched: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
) -> None:
    """Upward search from position ``s`` then the downward sweep, in ``dist`` (all inf)."""
    _upward(s, up_ptr, up_idx, up_w, dist, touched, hk, hv)
    for p in range(dist.shape[0]):
        d = dist[p]
        for e in range(dn_ptr[p], dn_ptr[p + 1]):
            nd = dist[dn_idx[e]] + dn_w[e]
            if nd < d:
                d = nd
        dist[p] = d


#: Width of a distance block: origins per downward sweep. A compile-time constant, so the
#: relaxation loop over a block's row is fully unrolled into vector instructions.
BLOCK = 16
#: how many arcs (sweep) or targets (extraction) ahead a block row is prefetched
#: (4 and 8 were the best of 2-16 on Oslo-east)
_AHEAD_ARCS = 4
_AHEAD_TARGETS = 8


@njit(cache=True, fastmath={"nnan"})
def _sweep_block(dn_ptr: np.ndarray, dn_idx: np.ndarray, dn_w: np.ndarray,
                 dist: np.ndarray) -> None:
    """Downward sweep of a flat node-major block ``dist[position * BLOCK + origin]``.

    ``fastmath`` only drops NaN handling from ``min`` (there are no NaNs: weights are
    finite and unreached nodes are ``inf``), so the result is exactly the one-origin
    sweep's.
    """
    m = dn_idx.shape[0]
    for p in range(dn_ptr.shape[0] - 1):
        bp = p * BLOCK
        for e in range(dn_ptr[p], dn_ptr[p + 1]):
            if e + _AHEAD_ARCS < m:  # the row a few arcs ahead: both of its cache lines
                ahead = dn_idx[e + _AHEAD_ARCS] * BLOCK
                prefetch(dist, ahead)
                prefetch(dist, ahead + BLOCK - 1)
            bq = dn_idx[e] * BLOCK
            w = dn_w[e]
            for c in range(BLOCK):
                dist[bp + c] = min(dist[bp + c], dist[bq + c] + w)


@njit(cache=True)
def _extract_block(dist: np.ndarray, k: int, tpos: np.ndarray, cutoff: float,
                   out: np.ndarray, start: int) -> None:
    """``out[start + c, j] = dist[tpos[j] * BLOCK + c]`` for the block's ``k`` origins
    (inf above ``cutoff``): one block row read per target, written to ``k`` output rows
    in order (unrolled for a full block)."""
    n_t = tpos.shape[0]
    for j in range(n_t):
        if j + _AHEAD_TARGETS < n_t:
            ahead = tpos[j + _AHEAD_TARGETS] * BLOCK
            prefetch(dist, ahead)
            prefetch(dist, ahead + BLOCK - 1)
        at = tpos[j] * BLOCK
        if k == BLOCK:
            for c in range(BLOCK):
                d = dist[at + c]
                out[start + c, j] = d if d <= cutoff else np.inf
        else:
            for c in range(k):
                d = dist[at + c]
                out[start + c, j] = d if d <= cutoff else np.inf


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
    batch: int,
) -> None:
    """``out[i, j]`` = distance ``origins[i]`` -> ``targets[j]`` (inf above ``cutoff``).

    ``batch`` origins (at most ``BLOCK``) share one downward sweep; ``batch=1`` runs the
    one-origin sweep. Origins (or blocks) are dealt round-robin to ``n_threads`` workers,
    each with its own distance array or block, heap and upward-search scratch array.
    """
    n = pos_of.shape[0]
    n_o = origins.shape[0]
    n_t = targets.shape[0]
    batch = max(1, min(batch, BLOCK))
    n_chunks = (n_o + batch - 1) // batch
    n_workers = max(1, min(n_threads, n_chunks))
    tpos = np.empty(n_t, dtype=np.int64)
    for j in range(n_t):
        tpos[j] = pos_of[targets[j]]
    for b in prange(n_workers):
        hk = np.empty(up_idx.shape[0] + 1, dtype=np.float64)
        hv = np.empty(up_idx.shape[0] + 1, dtype=up_idx.dtype)
        scratch = np.full(n, np.inf)
        touched = np.empty(n, dtype=np.int64)
        dist = np.empty(n * BLOCK if batch > 1 else 0)
        for chunk in range(b, n_chunks, n_workers):
            start = chunk * batch
            if batch == 1:
                _phast_one(pos_of[origins[start]], up_ptr, up_idx, up_w, dn_ptr, dn_idx, dn_w,
                           scratch, touched, hk, hv)
                row = out[start]
                for j in range(n_t):
                    d = scratch[tpos[j]]
                    row[j] = d if d <= cutoff else np.inf
                scratch[:] = np.inf
                continue
            k = min(batch, n_o - start)
            dist[:] = np.inf
            for c in range(k):
                _upward_into_block(pos_of[origins[start + c]], up_ptr, up_idx, up_w, scratch,
                                   touched, dist, BLOCK, c, hk, hv)
            _sweep_block(dn_ptr, dn_idx, dn_w, dist)
            _extract_block(dist, k, tpos, cutoff, out, start)


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
