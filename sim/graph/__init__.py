"""The shortest-path engine: CSR graphs, Numba Dijkstra and PHAST, and graph helpers.

>>> from sim.graph import Graph, multi_source
>>> g = Graph.from_edges([0, 1], [1, 2], [1.0, 2.0], n_nodes=4)
>>> multi_source(g, [2])[0].tolist()
[3.0, 2.0, 0.0, inf]
"""

from sim.graph.components import component_labels, largest_component
from sim.graph.csr import Graph
from sim.graph.minplus import min_plus_via
from sim.graph.nearest import nearest_points
from sim.graph.paths import (
    AUTO_PREPARE_MIN_ORIGINS,
    Method,
    k_nearest,
    many_to_many,
    many_to_many_sums,
    multi_source,
    one_to_all,
)

__all__ = [
    "AUTO_PREPARE_MIN_ORIGINS",
    "Graph",
    "Method",
    "component_labels",
    "k_nearest",
    "largest_component",
    "many_to_many",
    "many_to_many_sums",
    "min_plus_via",
    "multi_source",
    "nearest_points",
    "one_to_all",
]
