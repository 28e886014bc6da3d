"""Topological simplification of one mode's street arcs, with osmnx's rules.

A node is an *endpoint* when it has a self-loop, no incoming or no outgoing arc, or
not exactly two neighbours with two or four arcs (osmnx ``simplify_graph``). Chains of
other nodes between endpoints become one edge; arcs between two endpoints stay as
they are; components without any endpoint (isolated rings) are dropped. The arcs of
one mode are simplified on their own, so an edge never joins a way that allows the
mode with one that does not.

>>> import numpy as np
>>> tail, head = np.array([0, 1, 1, 2]), np.array([1, 0, 2, 1])  # 0 - 1 - 2, both ways
>>> [nodes.tolist() for nodes, _ in simplified_paths(3, tail, head)]
[[0, 1, 2], [2, 1, 0]]
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np


def endpoints(n_nodes: int, tail: np.ndarray, head: np.ndarray) -> np.ndarray:
    """Mask of the nodes that end simplified edges (osmnx ``_is_endpoint`` rules 1–3)."""
    out_deg = np.bincount(tail, minlength=n_nodes)
    in_deg = np.bincount(head, minlength=n_nodes)
    loops = np.zeros(n_nodes, bool)
    loops[tail[tail == head]] = True
    pairs = np.unique(np.r_[tail * n_nodes + head, head * n_nodes + tail])
    pairs = pairs[pairs // n_nodes != pairs % n_nodes]
    neighbours = np.bincount(pairs // n_nodes, minlength=n_nodes)
    degree = in_deg + out_deg
    chain = (neighbours == 2) & ((degree == 2) | (degree == 4))
    touched = degree > 0
    return touched & (loops | (out_deg == 0) | (in_deg == 0) | ~chain)


def simplified_paths(
    n_nodes: int, tail: np.ndarray, head: np.ndarray
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """``(nodes, arcs)`` of every simplified edge, in a deterministic order.

    ``arcs`` indexes into ``tail``/``head``; where parallel arcs join two consecutive
    nodes of a chain the first one is used (as osmnx does).
    """
    tail = np.asarray(tail, np.int64)
    head = np.asarray(head, np.int64)
    is_end = endpoints(n_nodes, tail, head)
    order = np.lexsort((np.arange(tail.size), head, tail))
    ptr = np.searchsorted(tail[order], np.arange(n_nodes + 1))
    succ = head[order].tolist()
    arc_of = order.tolist()
    ptr_list = ptr.tolist()
    end_list = is_end.tolist()

    def first_arc(a: int, b: int) -> int:
        for k in range(ptr_list[a], ptr_list[a + 1]):
            if succ[k] == b:
                return arc_of[k]
        raise AssertionError("no arc")  # pragma: no cover

    for start in np.flatnonzero(is_end).tolist():
        seen_succ: set[int] = set()
        for k in range(ptr_list[start], ptr_list[start + 1]):
            nxt = succ[k]
            if end_list[nxt]:
                yield np.array([start, nxt]), np.array([arc_of[k]])
                continue
            if nxt in seen_succ:
                continue
            seen_succ.add(nxt)
            path = _chain(start, nxt, succ, ptr_list, end_list)
            arcs = [first_arc(a, b) for a, b in pairwise(path)]
            yield np.array(path), np.array(arcs)


def _chain(start: int, first: int, succ: list[int], ptr: list[int], is_end: list[bool]
           ) -> list[int]:
    """The node chain from endpoint ``start`` through ``first`` (osmnx ``_build_path``)."""
    path = [start, first]
    on_path = {start, first}
    for k in range(ptr[first], ptr[first + 1]):
        node = succ[k]
        if node in on_path:
            continue
        path.append(node)
        on_path.add(node)
        while not is_end[node]:
            options = [succ[j] for j in range(ptr[node], ptr[node + 1])
                       if succ[j] not in on_path]
            options = list(dict.fromkeys(options))
            if len(options) == 1:
                node = options[0]
                path.append(node)
                on_path.add(node)
            elif not options:
                if start in succ[ptr[node]:ptr[node + 1]]:
                    path.append(start)
                return path
            else:  # pragma: no cover - an interior node has two neighbours
                raise AssertionError(f"simplification failed near node {node}")
        return path
    return path
