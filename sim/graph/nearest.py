"""Nearest-point search: the one way every stage snaps points to nodes, cells or stops.

>>> idx, dist = nearest_points(np.array([0.0, 10.0]), np.array([0.0, 0.0]),
...                            np.array([9.0, 1.0]), np.array([0.0, 0.0]))
>>> idx.tolist(), dist.tolist()
([1, 0], [1.0, 1.0])
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


def nearest_points(
    px: np.ndarray, py: np.ndarray, qx: np.ndarray, qy: np.ndarray,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """For each query point ``(qx, qy)``: index of the nearest point ``(px, py)`` and the
    straight distance to it (same unit as the coordinates).

    ``mask`` restricts the candidates; indices always refer to the full ``px``/``py``.
    With no candidate, indices are
    ``-1`` and distances ``inf``.
    """
    px, py = np.asarray(px, float), np.asarray(py, float)
    qx, qy = np.atleast_1d(np.asarray(qx, float)), np.atleast_1d(np.asarray(qy, float))
    candidates = np.arange(px.size) if mask is None else np.flatnonzero(mask)
    if candidates.size == 0 or qx.size == 0:
        return np.full(qx.size, -1, np.int64), np.full(qx.size, np.inf)
    tree = cKDTree(np.column_stack([px[candidates], py[candidates]]))
    _, j = tree.query(np.column_stack([qx, qy]))
    index = candidates[j].astype(np.int64)
    return index, np.hypot(px[index] - qx, py[index] - qy)
