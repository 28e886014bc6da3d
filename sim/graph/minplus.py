"""Shortest paths through two layers of transfer points (min-plus matrix products).

When every path from an origin to a destination passes a first set of points and then
a second (walk to a stop, ride to where you alight, walk on), the distances follow from
three small matrices instead of one search per origin over the whole graph:
``d[o, t] = min over i, j of a[o, i] + c[i, j] + e[j, t]``. :func:`min_plus_via` returns
those distances and the ``(i, j)`` of each minimum, so that anything summed along the
middle part (ride time, boardings, line loads) can be looked up per pair.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange
from numpy.typing import ArrayLike


def min_plus_via(
    a: ArrayLike, c: ArrayLike, e: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distances through two layers of points, and the points each minimum passes.

    Parameters
    ----------
    a : array_like of float
        ``[n_origins, n_i]``: origin to each point of the first layer.
    c : array_like of float
        ``[n_i, n_j]``: first layer to second layer.
    e : array_like of float
        ``[n_j, n_targets]``: second layer to each target.

    Returns
    -------
    dist : numpy.ndarray
        ``[n_origins, n_targets]`` float64, ``inf`` where no path exists.
    i, j : numpy.ndarray
        ``[n_origins, n_targets]`` int32: the points of the minimum (-1 without a path);
        ties go to the lowest ``j``, then the lowest ``i``.

    Raises
    ------
    ValueError
        On mismatched shapes, negative or NaN values.

    Examples
    --------
    >>> d, i, j = min_plus_via([[1.0, 5.0]], [[1.0, 9.0], [0.0, 1.0]], [[3.0], [0.0]])
    >>> d.tolist(), i.tolist(), j.tolist()
    ([[5.0]], [[0]], [[0]])
    """
    aa, cc, ee = (np.ascontiguousarray(m, dtype=np.float64) for m in (a, c, e))
    if aa.ndim != 2 or cc.ndim != 2 or ee.ndim != 2:
        raise ValueError("a, c and e must be 2-d matrices")
    if aa.shape[1] != cc.shape[0] or cc.shape[1] != ee.shape[0]:
        raise ValueError(f"shapes do not chain: a {aa.shape}, c {cc.shape}, e {ee.shape}")
    for name, m in (("a", aa), ("c", cc), ("e", ee)):
        if m.size and (np.isnan(m).any() or m.min() < 0):
            raise ValueError(f"{name} must hold non-negative distances (inf allowed)")
    return _via(aa, cc, ee)


@njit(parallel=True, cache=True)
def _via(
    a: np.ndarray, c: np.ndarray, e: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - numba
    n_o, n_i = a.shape
    n_j, n_t = e.shape
    dist = np.full((n_o, n_t), np.inf)
    best_i = np.full((n_o, n_t), -1, np.int32)
    best_j = np.full((n_o, n_t), -1, np.int32)
    for o in prange(n_o):
        g = np.full(n_j, np.inf)  # origin to each second-layer point
        gi = np.full(n_j, -1, np.int32)
        for i in range(n_i):
            x = a[o, i]
            if x == np.inf:
                continue
            for j in range(n_j):
                v = x + c[i, j]
                if v < g[j]:
                    g[j] = v
                    gi[j] = i
        row = dist[o]
        for j in range(n_j):
            x = g[j]
            if x == np.inf:
                continue
            for t in range(n_t):
                v = x + e[j, t]
                if v < row[t]:
                    row[t] = v
                    best_i[o, t] = gi[j]
                    best_j[o, t] = j
    return dist, best_i, best_j
