"""Connected components of a :class:`~sim.graph.csr.Graph`: weak (arc directions ignored)
or strong (mutually reachable nodes).

>>> from sim.graph import Graph
>>> g = Graph.from_edges([0, 2], [1, 3], [1.0, 1.0], n_nodes=5)
>>> component_labels(g).tolist()
[0, 0, 1, 1, 2]
>>> largest_component(g, active=np.array([0, 0, 1, 1, 1], bool)).tolist()
[False, False, True, True, False]
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from sim.graph.csr import Graph


def component_labels(graph: Graph, strong: bool = False) -> np.ndarray:
    """Component label of every node (weak, or ``strong``: mutually reachable nodes)."""
    n = graph.n_nodes
    matrix = csr_matrix((np.ones(graph.n_arcs), graph.indices, graph.indptr), shape=(n, n))
    matrix.sum_duplicates()  # scipy's strong components loop forever on parallel arcs
    _, labels = connected_components(matrix, directed=True,
                                     connection="strong" if strong else "weak")
    return labels


def largest_component(graph: Graph, active: np.ndarray | None = None,
                      strong: bool = False) -> np.ndarray:
    """Mask of the component holding the most ``active`` nodes (default: all nodes).

    Ties go to the component with the lowest label. Only active nodes are marked;
    with no active node the mask is all False. ``strong``: strongly connected
    components (for directed graphs with one-way arcs).
    """
    active = np.ones(graph.n_nodes, bool) if active is None else np.asarray(active, bool)
    if not active.any():
        return np.zeros(graph.n_nodes, bool)
    labels = component_labels(graph, strong)
    counts = np.bincount(labels[active], minlength=int(labels.max()) + 1)
    return (labels == int(np.argmax(counts))) & active
