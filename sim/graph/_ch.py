"""Contraction hierarchy kernel behind :meth:`sim.graph.Graph.prepare` (private).

Same CSR conventions as :mod:`sim.graph._dijkstra`; the heap is in :mod:`sim.graph._heap`;
the PHAST queries on the hierarchy are in :mod:`sim.graph._phast`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.graph._heap import _pop, _push

# --------------------------------------------------------------------------------------
# Contraction hierarchy (CH) + PHAST one-to-all sweeps
#
# Preprocessing contracts nodes one at a time (lazy edge-difference ordering) and adds
# shortcut arcs where no witness path is found by a bounded local search; extra
# shortcuts never hurt correctness, so every search limit errs on adding them. A query
# is an upward Dijkstra from the origin followed by one linear sweep over all nodes in
# descending rank, relaxing downward arcs (Delling et al., "PHAST", 2011).
# --------------------------------------------------------------------------------------


@njit(cache=True)
def _witness(
    src: int,
    skip: int,
    maxd: float,
    limit: int,
    et: np.ndarray,
    ew: np.ndarray,
    out_head: np.ndarray,
    out_next: np.ndarray,
    contracted: np.ndarray,
    wd: np.ndarray,
    touched: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
    tmark: np.ndarray,
    n_targets: int,
) -> int:
    """Bounded Dijkstra from ``src`` avoiding ``skip`` and contracted nodes.

    Stops after ``limit`` settled nodes, beyond ``maxd``, or once the
    ``n_targets`` nodes with ``tmark[x] == tmark[-1]`` are settled. Leaves upper
    bounds on distances in ``wd`` (inf elsewhere) and returns the number of
    touched nodes listed in ``touched`` (the caller resets them).
    """
    stamp = tmark[-1]
    cap = hk.shape[0]
    wd[src] = 0.0
    touched[0] = src
    nt = 1
    hk[0] = 0.0
    hv[0] = src
    size = 1
    settled = 0
    while size > 0:
        d = hk[0]
        x = hv[0]
        size = _pop(hk, hv, size)
        if d > wd[x]:
            continue
        if d > maxd:
            break
        settled += 1
        if settled > limit:
            break
        if tmark[x] == stamp:
            n_targets -= 1
            if n_targets == 0:
                break
        e = out_head[x]
        while e >= 0:
            y = et[e]
            if y != skip and not contracted[y]:
                nd = d + ew[e]
                if nd < wd[y] and nd <= maxd:
                    if wd[y] == np.inf:
                        touched[nt] = y
                        nt += 1
                    wd[y] = nd
                    if size < cap:  # a full heap only makes the search weaker
                        _push(hk, hv, size, nd, y)
                        size += 1
            e = out_next[e]
    return nt


@njit(cache=True)
def _contract(
    v: int,
    apply: bool,
    ne: int,
    ef: np.ndarray,
    et: np.ndarray,
    ew: np.ndarray,
    out_head: np.ndarray,
    out_next: np.ndarray,
    in_head: np.ndarray,
    in_next: np.ndarray,
    contracted: np.ndarray,
    wd: np.ndarray,
    touched: np.ndarray,
    hk: np.ndarray,
    hv: np.ndarray,
    tmark: np.ndarray,
    limit: int,
) -> tuple[int, int]:
    """Count (and if ``apply``, add) the shortcuts needed to contract ``v``.

    Returns ``(n_shortcuts, new edge count)``. With ``apply`` the edge arrays
    must have room for ``in_degree * out_degree`` more edges.
    """
    n_sc = 0
    e_in = in_head[v]
    while e_in >= 0:
        u = ef[e_in]
        if not contracted[u] and u != v:
            wuv = ew[e_in]
            maxd = -1.0
            tmark[-1] += 1
            stamp = tmark[-1]
            n_targets = 0
            e_out = out_head[v]
            while e_out >= 0:
                x = et[e_out]
                if not contracted[x] and x != u and x != v:
                    t = wuv + ew[e_out]
                    if t > maxd:
                        maxd = t
                    if tmark[x] != stamp:
                        tmark[x] = stamp
                        n_targets += 1
                e_out = out_next[e_out]
            if maxd >= 0.0:
                nt = _witness(
                    u, v, maxd, limit, et, ew, out_head, out_next, contracted, wd, touched,
                    hk, hv, tmark, n_targets,
                )  # fmt: skip
                e_out = out_head[v]
                while e_out >= 0:
                    x = et[e_out]
                    if not contracted[x] and x != u and x != v:
                        via = wuv + ew[e_out]
                        if wd[x] > via:
                            n_sc += 1
                            if apply:
                                # update an existing arc u -> x or append a new one
                                found = False
                                e = out_head[u]
                                while e >= 0:
                                    if et[e] == x:
                                        found = True
                                        if via < ew[e]:
                                            ew[e] = via
                                        break
                                    e = out_next[e]
                                if not found:
                                    ef[ne] = u
                                    et[ne] = x
                                    ew[ne] = via
                                    out_next[ne] = out_head[u]
                                    out_head[u] = ne
                                    in_next[ne] = in_head[x]
                                    in_head[x] = ne
                                    ne += 1
                    e_out = out_next[e_out]
                for t in range(nt):
                    wd[touched[t]] = np.inf
        e_in = in_next[e_in]
    return n_sc, ne


@njit(cache=True)
def _degree(
    v: int,
    out_head: np.ndarray,
    out_next: np.ndarray,
    in_head: np.ndarray,
    in_next: np.ndarray,
    ef: np.ndarray,
    et: np.ndarray,
    contracted: np.ndarray,
) -> tuple[int, int]:
    """Unlink arcs to/from contracted nodes from ``v``'s lists; return (in, out) degree.

    The arcs stay in the edge pool (they become CH arcs); only the adjacency
    lists used by the contraction get shorter.
    """
    d_out = 0
    prev = -1
    e = out_head[v]
    while e >= 0:
        nxt = out_next[e]
        if contracted[et[e]]:
            if prev < 0:
                out_head[v] = nxt
            else:
                out_next[prev] = nxt
        else:
            d_out += 1
            prev = e
        e = nxt
    d_in = 0
    prev = -1
    e = in_head[v]
    while e >= 0:
        nxt = in_next[e]
        if contracted[ef[e]]:
            if prev < 0:
                in_head[v] = nxt
            else:
                in_next[prev] = nxt
        else:
            d_in += 1
            prev = e
        e = nxt
    return d_in, d_out


@njit(cache=True)
def build_ch(
    indptr: np.ndarray, indices: np.ndarray, weights: np.ndarray, limit: int
) -> tuple[np.ndarray, ...]:
    """Contract all nodes; return the PHAST arrays (positions = descending rank).

    Returns ``(pos_of, up_ptr, up_idx, up_w, dn_ptr, dn_idx, dn_w)``: ``pos_of[node]``
    is the node's position (0 = most important); the upward graph lists arcs
    to more important nodes by tail position; the downward graph lists, per
    head position, arcs coming from more important (lower position) nodes.
    """
    n = indptr.shape[0] - 1
    m0 = indices.shape[0]
    cap = 2 * m0 + 16
    ef = np.empty(cap, dtype=np.int64)
    et = np.empty(cap, dtype=np.int64)
    ew = np.empty(cap, dtype=np.float64)
    out_next = np.empty(cap, dtype=np.int64)
    in_next = np.empty(cap, dtype=np.int64)
    out_head = np.full(n, -1, dtype=np.int64)
    in_head = np.full(n, -1, dtype=np.int64)
    mark = np.full(n, -1, dtype=np.int64)
    ne = 0
    for a in range(n):  # collapse parallel arcs to their minimum, drop self loops
        for e in range(indptr[a], indptr[a + 1]):
            b = indices[e]
            if b == a:
                continue
            k = mark[b]
            if k >= 0 and ef[k] == a:
                if weights[e] < ew[k]:
                    ew[k] = weights[e]
                continue
            ef[ne] = a
            et[ne] = b
            ew[ne] = weights[e]
            out_next[ne] = out_head[a]
            out_head[a] = ne
            in_next[ne] = in_head[b]
            in_head[b] = ne
            mark[b] = ne
            ne += 1

    contracted = np.zeros(n, dtype=np.bool_)
    wd = np.full(n, np.inf)
    touched = np.empty(n, dtype=np.int64)
    tmark = np.zeros(n + 1, dtype=np.int64)  # target stamps; tmark[n] is the current stamp
    whk = np.empty(4 * limit + 64, dtype=np.float64)
    whv = np.empty(4 * limit + 64, dtype=np.int64)
    deleted = np.zeros(n, dtype=np.int64)
    prio = np.empty(n, dtype=np.float64)

    qcap = 4 * n + 16
    qk = np.empty(qcap, dtype=np.float64)
    qv = np.empty(qcap, dtype=np.int64)
    qsize = 0
    for v in range(n):
        n_sc, _ = _contract(
            v, False, ne, ef, et, ew, out_head, out_next, in_head, in_next, contracted,
            wd, touched, whk, whv, tmark, limit,
        )  # fmt: skip
        d_in, d_out = _degree(v, out_head, out_next, in_head, in_next, ef, et, contracted)
        prio[v] = 4.0 * n_sc - 2.0 * (d_in + d_out)
        _push(qk, qv, qsize, prio[v], v)
        qsize += 1

    rank = np.empty(n, dtype=np.int64)
    r = 0
    while qsize > 0:
        p = qk[0]
        v = qv[0]
        qsize = _pop(qk, qv, qsize)
        if contracted[v] or p != prio[v]:
            continue
        d_in, d_out = _degree(v, out_head, out_next, in_head, in_next, ef, et, contracted)
        n_sc, _ = _contract(
            v, False, ne, ef, et, ew, out_head, out_next, in_head, in_next, contracted,
            wd, touched, whk, whv, tmark, limit,
        )  # fmt: skip
        newp = 4.0 * n_sc - 2.0 * (d_in + d_out) + deleted[v]
        if qsize > 0 and newp > qk[0]:
            prio[v] = newp
            _push(qk, qv, qsize, newp, v)
            qsize += 1
            continue
        need = ne + d_in * d_out
        if need > ef.shape[0]:
            newcap = max(2 * ef.shape[0], need)
            ef2 = np.empty(newcap, dtype=np.int64)
            et2 = np.empty(newcap, dtype=np.int64)
            ew2 = np.empty(newcap, dtype=np.float64)
            on2 = np.empty(newcap, dtype=np.int64)
            in2 = np.empty(newcap, dtype=np.int64)
            ef2[:ne] = ef[:ne]
            et2[:ne] = et[:ne]
            ew2[:ne] = ew[:ne]
            on2[:ne] = out_next[:ne]
            in2[:ne] = in_next[:ne]
            ef, et, ew, out_next, in_next = ef2, et2, ew2, on2, in2
        _, ne = _contract(
            v, True, ne, ef, et, ew, out_head, out_next, in_head, in_next, contracted,
            wd, touched, whk, whv, tmark, limit,
        )  # fmt: skip
        contracted[v] = True
        rank[v] = r
        r += 1
        # neighbours: one more deleted neighbour, priority bumped
        for side in range(2):
            e = out_head[v] if side == 0 else in_head[v]
            while e >= 0:
                u = et[e] if side == 0 else ef[e]
                if not contracted[u]:
                    deleted[u] += 1
                    # cheap lazy update: the priority is recomputed when u is popped
                    _degree(u, out_head, out_next, in_head, in_next, ef, et, contracted)
                    prio[u] = prio[u] + 1.0
                    if qsize == qk.shape[0]:
                        qk2 = np.empty(2 * qsize, dtype=np.float64)
                        qv2 = np.empty(2 * qsize, dtype=np.int64)
                        qk2[:qsize] = qk[:qsize]
                        qv2[:qsize] = qv[:qsize]
                        qk, qv = qk2, qv2
                    _push(qk, qv, qsize, prio[u], u)
                    qsize += 1
                e = out_next[e] if side == 0 else in_next[e]

    pos_of = n - 1 - rank
    up_cnt = np.zeros(n + 1, dtype=np.int64)
    dn_cnt = np.zeros(n + 1, dtype=np.int64)
    for e in range(ne):
        pa = pos_of[ef[e]]
        pb = pos_of[et[e]]
        if pb < pa:
            up_cnt[pa + 1] += 1
        else:
            dn_cnt[pb + 1] += 1
    up_ptr = np.cumsum(up_cnt)
    dn_ptr = np.cumsum(dn_cnt)
    up_idx = np.empty(up_ptr[n], dtype=indices.dtype)
    up_w = np.empty(up_ptr[n], dtype=np.float64)
    dn_idx = np.empty(dn_ptr[n], dtype=up_idx.dtype)
    dn_w = np.empty(dn_ptr[n], dtype=np.float64)
    up_fill = up_ptr[:-1].copy()
    dn_fill = dn_ptr[:-1].copy()
    for e in range(ne):
        pa = pos_of[ef[e]]
        pb = pos_of[et[e]]
        if pb < pa:
            up_idx[up_fill[pa]] = pb
            up_w[up_fill[pa]] = ew[e]
            up_fill[pa] += 1
        else:
            dn_idx[dn_fill[pb]] = pa
            dn_w[dn_fill[pb]] = ew[e]
            dn_fill[pb] += 1
    return pos_of, up_ptr, up_idx, up_w, dn_ptr, dn_idx, dn_w
