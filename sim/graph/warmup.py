"""Compile (or load from Numba's on-disk cache) every kernel of the path engine once.

The kernels are compiled lazily, on their first call, and cached on disk
(``cache=True``), so only the first run after an install pays for compiling them
(~10-20 s on 2 cores). :func:`warm_kernels` (``baerum-sim warmup``) pays it up front,
e.g. in CI before the tests or in a container build, on a tiny graph with the same
array types as real ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from sim.graph.csr import Graph
from sim.graph.minplus import min_plus_via
from sim.graph.paths import k_nearest, many_to_many, many_to_many_sums, multi_source, one_to_all


def _calls(g: Graph) -> list[tuple[str, Callable[[], Any]]]:
    values = np.column_stack([g.weights, np.ones(g.n_arcs)])
    o = np.arange(4)
    return [
        ("one_to_all (Dijkstra)", lambda: one_to_all(g, o, method="dijkstra")),
        ("multi_source", lambda: multi_source(g, o, method="dijkstra")),
        ("k_nearest", lambda: k_nearest(g, o, 2)),
        ("many_to_many (Dijkstra)", lambda: many_to_many(g, o, o, method="dijkstra")),
        ("many_to_many_sums", lambda: many_to_many_sums(g, o, o, values)),
        ("many_to_many_sums (flows)",
         lambda: many_to_many_sums(g, o, o, values, flows=np.ones((4, 4)))),
        ("prepare (contraction hierarchy)", lambda: g.prepare()),
        ("one_to_all (PHAST, one origin)", lambda: one_to_all(g, o[:1], method="phast")),
        ("one_to_all (PHAST, origin blocks)", lambda: one_to_all(g, o, method="phast")),
        ("multi_source (PHAST)", lambda: multi_source(g, o, method="phast")),
        ("min_plus_via", lambda: min_plus_via(np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5)))),
    ]


def warm_kernels() -> dict[str, float]:
    """Call every kernel once on a small grid; seconds per call (compile or cache load)."""
    n = 6
    node = np.arange(n * n).reshape(n, n)
    u = np.r_[node[:-1].ravel(), node[:, :-1].ravel()]
    v = np.r_[node[1:].ravel(), node[:, 1:].ravel()]
    g = Graph.from_edges(u, v, np.linspace(1.0, 2.0, u.size), n * n)
    times = {}
    for name, call in _calls(g):
        t = time.perf_counter()
        call()
        times[name] = time.perf_counter() - t
    return times
