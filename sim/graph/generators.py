"""Small synthetic street-like graphs for tests and benchmarks.

Coordinates are metres in a local frame (offset so they look like EPSG:25833
values around Bærum); weights are Euclidean edge lengths in metres.
"""

from __future__ import annotations

import numpy as np

from sim.graph.csr import Graph

__all__ = ["grid_graph", "random_geometric_graph"]

_X0 = 245_000.0  # roughly Bærum in EPSG:25833
_Y0 = 6_645_000.0


def grid_graph(
    nx: int,
    ny: int,
    spacing: float = 100.0,
    jitter: float = 0.0,
    drop: float = 0.0,
    diagonals: float = 0.0,
    directed: bool = False,
    seed: int | None = 0,
) -> Graph:
    """A (possibly irregular) ``nx`` x ``ny`` grid street network.

    Parameters
    ----------
    nx, ny : int
        Number of nodes along x and y (both >= 1).
    spacing : float, default 100
        Grid spacing in metres.
    jitter : float, default 0
        Node positions are moved by up to ``jitter * spacing`` in x and y.
    drop : float, default 0
        Fraction of grid edges removed at random (can disconnect the graph).
    diagonals : float, default 0
        Fraction of grid cells that get a diagonal edge.
    directed : bool, default False
        If True, each remaining edge is stored as two arcs except that a random
        10 % become one-way.
    seed : int or None, default 0
        Random seed.

    Returns
    -------
    Graph
        Node ``i = row * nx + col``; weights are Euclidean lengths.
    """
    if nx < 1 or ny < 1:
        raise ValueError(f"nx and ny must be >= 1, got {nx} and {ny}")
    if not 0.0 <= drop <= 1.0 or not 0.0 <= diagonals <= 1.0:
        raise ValueError("drop and diagonals must be fractions in [0, 1]")
    rng = np.random.default_rng(seed)
    n = nx * ny
    cols, rows = np.meshgrid(np.arange(nx), np.arange(ny))
    col, row = cols.ravel(), rows.ravel()
    x = _X0 + col * spacing + rng.uniform(-jitter, jitter, n) * spacing
    y = _Y0 + row * spacing + rng.uniform(-jitter, jitter, n) * spacing
    ids = np.arange(n).reshape(ny, nx)
    u = [ids[:, :-1].ravel(), ids[:-1, :].ravel()]
    v = [ids[:, 1:].ravel(), ids[1:, :].ravel()]
    cells = ids[:-1, :-1].ravel()
    diag = cells[rng.random(cells.size) < diagonals]
    u.append(diag)
    v.append(diag + nx + 1)
    uu, vv = np.concatenate(u), np.concatenate(v)
    keep = rng.random(uu.size) >= drop
    uu, vv = uu[keep], vv[keep]
    if directed:
        both = rng.random(uu.size) >= 0.1
        uu, vv = np.concatenate([uu, vv[both]]), np.concatenate([vv, uu[both]])
    w = np.hypot(x[uu] - x[vv], y[uu] - y[vv])
    return Graph.from_edges(uu, vv, w, n, directed=directed, x=x, y=y)


def random_geometric_graph(
    n: int, radius: float, *, size: float = 1000.0, directed: bool = False,
    seed: int | None = 0,
) -> Graph:
    """Random geometric graph: ``n`` uniform points in a square, edges between close pairs.

    Parameters
    ----------
    n : int
        Number of nodes (>= 0).
    radius : float
        Points closer than ``radius`` metres are connected.
    size : float, default 1000
        Side of the square in metres.
    directed : bool, default False
        If True, every edge becomes one arc in a random direction.
    seed : int or None, default 0
        Random seed.

    Returns
    -------
    Graph
        Weights are Euclidean lengths; isolated nodes and components are likely.
    """
    if n < 0 or radius < 0:
        raise ValueError(f"n and radius must be >= 0, got {n} and {radius}")
    rng = np.random.default_rng(seed)
    px = rng.uniform(0.0, size, n)
    py = rng.uniform(0.0, size, n)
    # bucket points into cells of side `radius` and compare neighbouring cells only
    cell = max(radius, size / 1024.0, 1e-9)
    cx = (px // cell).astype(np.int64)
    cy = (py // cell).astype(np.int64)
    key = cx * 4096 + cy
    order = np.argsort(key, kind="stable")
    skey = key[order]
    us, vs = [], []
    for dx in (0, 1):
        for dy in (-1, 0, 1):
            if dx == 0 and dy < 0:
                continue
            lo = np.searchsorted(skey, key + dx * 4096 + dy, side="left")
            hi = np.searchsorted(skey, key + dx * 4096 + dy, side="right")
            cnt = hi - lo
            a = np.repeat(np.arange(n), cnt)
            b = order[
                np.concatenate([np.arange(s, e) for s, e in zip(lo, hi, strict=True)])
                if n
                else np.zeros(0, dtype=np.int64)
            ]
            sel = np.hypot(px[a] - px[b], py[a] - py[b]) < radius
            if dx == 0 and dy == 0:
                sel &= a < b
            us.append(a[sel])
            vs.append(b[sel])
    u = np.concatenate(us).astype(np.int64)
    v = np.concatenate(vs).astype(np.int64)
    if directed:
        flip = rng.random(u.size) < 0.5
        u, v = np.where(flip, v, u), np.where(flip, u, v)
    w = np.hypot(px[u] - px[v], py[u] - py[v])
    return Graph.from_edges(u, v, w, n, directed=directed, x=_X0 + px, y=_Y0 + py)
