"""Public transport paths in three legs: walk to a stop, ride, walk on.

Every path of a period's public transport graph (:mod:`sim.model.transit`) walks in
the first walking layer to a stop, boards, rides and changes line in a small *core*
(stops, line patterns, external zones after a boarding, walks between them), and then
walks in the second layer to its destination. Both walking layers are the same graph,
so one search from each stop and external zone (a few hundred) gives every walking
leg: to the stops from each zone, between stops (changes on foot), and on to each
destination. The legs are joined with :func:`~sim.graph.min_plus_via`.

This gives the distances of a search over the whole graph from every zone (the tests
compare them), at a cost that grows with stops × street nodes instead of zones × street
nodes: the difference between minutes and half an hour at the Oslo+Akershus scale.
Walking legs are the same in both periods and are kept with the network
(:attr:`Network.memo`); only the core depends on the period's headways.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sim.graph import Graph, many_to_many, many_to_many_sums
from sim.model.network import Network, arcs_of
from sim.model.transit import PT_ARC
from sim.vocab import Period

_PT_FIELDS: tuple[str, ...] = PT_ARC.names or ()

#: Core arcs: the public transport arc attributes and the arc's row in the whole graph
#: (``full``; -1 for a walk between two portals, which the whole graph spells out).
CORE_ARC = np.dtype([*((name, PT_ARC[name]) for name in _PT_FIELDS), ("full", "i8")])


@dataclass(frozen=True)
class TransitLegs:
    """The walking legs of one network for the zones at street nodes ``zone_node``.

    Generalised seconds (walking × ``walk_weight``). *Portals* are where the second
    walking layer meets the core: each stop after a boarding, then each external zone.

    * ``access`` ``[zones, stops]``: from each zone to each stop, before boarding;
    * ``between`` ``[portals, portals]``: walks between portals (a change on foot);
    * ``egress`` ``[portals, destinations]``: from each portal to each destination
      (the zones, then the external zones).
    """

    access: np.ndarray
    between: np.ndarray
    egress: np.ndarray
    walk_weight: float
    cores: dict[Period, TransitCore] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_stops(self) -> int:
        """Stops of the network's lines."""
        return self.access.shape[1]


@dataclass(frozen=True)
class TransitCore:
    """The core of one period's graph: node ``i < n_stops`` is stop ``i`` before a
    boarding, node ``n_stops + p`` is portal ``p``; arcs carry :data:`CORE_ARC`."""

    graph: Graph
    n_stops: int
    n_portals: int

    def sums(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Generalised seconds from every stop (before boarding) to every portal, and
        ``values`` (per core arc) summed along those paths (:func:`many_to_many_sums`)."""
        portals = self.n_stops + np.arange(self.n_portals)
        return many_to_many_sums(self.graph, np.arange(self.n_stops), portals, values)

    def full_values(self, values: np.ndarray) -> np.ndarray:
        """Per-arc ``values`` of the whole graph (rows in its arc order) for the core's
        arcs; zero on the walks between portals."""
        full = arcs_of(self.graph)["full"]
        out = np.zeros((full.size, *values.shape[1:]), values.dtype)
        out[full >= 0] = values[full[full >= 0]]
        return out


def _layout(network: Network) -> tuple[int, int, int]:
    """(street and external-zone nodes, stops, external zones) of the transit graphs."""
    return network.n_nodes, len(network.stops), len(network.external)


def _walk_mask(graph: Graph) -> np.ndarray:
    """Arcs that only walk (streets, stop snaps, links to external zones)."""
    arcs = arcs_of(graph)
    return ((arcs["line"] < 0) & (arcs["common"] < 0) & (arcs["onward"] == 0)
            & (arcs["boardings"] == 0) & (arcs["wait_s"] == 0) & (arcs["ivt_s"] == 0))


def _tails(graph: Graph) -> np.ndarray:
    return np.repeat(np.arange(graph.n_nodes), np.diff(graph.indptr))


def _walk_graph(network: Network) -> tuple[Graph, float]:
    """The first walking layer with its stops (stop ``k`` is node ``n + k``), and the
    walk weight (generalised seconds per walked second)."""
    graph = network.pt_by_period["peak"]
    n, n_stops, _ = _layout(network)
    walk = _walk_mask(graph)
    tail, head = _tails(graph)[walk], graph.indices[walk].astype(np.int64)
    first = ((tail < n) | ((tail >= 2 * n) & (tail < 2 * n + n_stops)))
    if int(first.sum()) * 2 != int(walk.sum()):
        raise ValueError("the two walking layers of the transit graph differ")
    remap = np.full(graph.n_nodes, -1, np.int64)
    remap[:n] = np.arange(n)
    remap[2 * n: 2 * n + n_stops] = n + np.arange(n_stops)
    t, h = remap[tail[first]], remap[head[first]]
    if (t < 0).any() or (h < 0).any():
        raise ValueError("a walking arc of the transit graph leaves its layer")
    weight = graph.weights[walk][first]
    walked = arcs_of(graph)["walk_s"][walk][first]
    positive = walked > 0
    walk_weight = float(np.median(weight[positive] / walked[positive])) if positive.any() else 1.0
    return Graph.from_edges(t, h, weight, n + n_stops, directed=True), walk_weight


def transit_legs(network: Network, zone_node: np.ndarray) -> TransitLegs:
    """The walking legs for zones at street nodes ``zone_node`` (kept with the network).

    One search per portal: the walking layer is undirected (every walk arc both ways at
    the same weight), so a portal's distances to the zones are also the zones' to it.
    """
    zone_node = np.asarray(zone_node, np.int64)
    key = ("transit_legs", zone_node.tobytes())
    if key not in network.memo:
        walk, walk_weight = _walk_graph(network)
        n, n_stops, n_ext = _layout(network)
        n_street = n - n_ext
        portals = np.r_[n + np.arange(n_stops), n_street + np.arange(n_ext)]
        z = zone_node.size
        dist = many_to_many(walk, portals, np.r_[zone_node, portals])
        network.memo[key] = TransitLegs(
            access=np.ascontiguousarray(dist[:n_stops, :z].T),
            between=np.ascontiguousarray(dist[:, z:]),
            egress=np.ascontiguousarray(np.c_[dist[:, :z], dist[:, z + n_stops:]]),
            walk_weight=walk_weight)
    legs: TransitLegs = network.memo[key]
    return legs


def transit_core(network: Network, period: Period, legs: TransitLegs) -> TransitCore:
    """The core of ``period``'s graph: its boarding, riding, alighting, common-line and
    onward arcs, and a walking arc between every two portals (``legs.between``); kept
    with the legs (the matrices and the line loads use the same one)."""
    if period not in legs.cores:
        legs.cores[period] = _core(network, period, legs)
    return legs.cores[period]


def _core(network: Network, period: Period, legs: TransitLegs) -> TransitCore:
    graph = network.pt_by_period[period]
    n, n_stops, n_ext = _layout(network)
    n_portals = n_stops + n_ext
    remap = np.full(graph.n_nodes, -1, np.int64)
    remap[2 * n: 2 * n + 2 * n_stops] = np.arange(2 * n_stops)  # stops before, after
    remap[2 * n - n_ext: 2 * n] = 2 * n_stops + np.arange(n_ext)  # external zones after
    remap[2 * n + 2 * n_stops:] = n_portals + n_stops + np.arange(graph.n_nodes - 2 * n
                                                                   - 2 * n_stops)
    ride = np.flatnonzero(~_walk_mask(graph))
    tail, head = remap[_tails(graph)[ride]], remap[graph.indices[ride]]
    if (tail < 0).any() or (head < 0).any():
        raise ValueError("a public transport arc of the transit graph touches a street")
    p, q = np.nonzero(np.isfinite(legs.between) & ~np.eye(n_portals, dtype=bool))
    arcs = np.zeros(ride.size + p.size, CORE_ARC)
    for name in _PT_FIELDS:
        arcs[name][:ride.size] = arcs_of(graph)[name][ride]
    arcs["full"][:ride.size] = ride
    arcs["full"][ride.size:] = -1
    arcs["line"][ride.size:] = arcs["common"][ride.size:] = arcs["stop"][ride.size:] = -1
    walk_between = legs.between[p, q]
    arcs["walk_s"][ride.size:] = walk_between / legs.walk_weight
    core = Graph.from_edges(np.r_[tail, n_stops + p], np.r_[head, n_stops + q],
                            np.r_[graph.weights[ride], walk_between],
                            n_portals + n_stops + graph.n_nodes - 2 * n - 2 * n_stops,
                            directed=True, arcs=arcs)
    return TransitCore(graph=core, n_stops=n_stops, n_portals=n_portals)
