"""Network stage: region + scenario + year → walk, bike, car and public transport graphs.

All graphs share the numbering of street nodes ``0 .. n_street-1``, followed by one
node per external zone (e.g. Oslo). The public transport graph is frequency based:
boarding waits half the headway (capped), then in-vehicle time along the line
pattern. It has two copies of the walk layer, *before* and *after* the first
boarding, so that a public transport trip always rides at least once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.domain import Line, Streets, stop_headways
from sim.graph import Graph, largest_component, nearest_points
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.edits import lines_for_year, stops_for_scenario, streets_for_year
from sim.scenario.schema import Scenario

#: Per-arc attributes of the public transport graph (``Network.pt.arcs``): the
#: unweighted parts of the generalised time, and the index of the arc's line (-1: none).
PT_PARTS: tuple[str, ...] = ("walk_s", "wait_s", "ivt_s", "boardings", "ivt_m")
PT_ARC = np.dtype([*((name, "f8") for name in PT_PARTS), ("line", "i8")])


@dataclass(frozen=True)
class Network:
    """The graphs of one network state (the lines and street edits in force in ``year``).

    ``walk`` and ``bike`` are in metres (undirected), ``car_time`` in seconds and
    ``car_length`` in metres (directed: one-way streets), ``pt`` in generalised seconds (directed,
    nodes ``n + i`` are the *after first boarding* copy of node ``i``; its ``arcs``
    carry :data:`PT_ARC`). ``in_main`` marks, per layer, nodes in that layer's largest
    connected component (car: strongly connected): snapping only uses those.
    ``synthetic_node`` marks nodes that no real street touches (gap-filling lattice,
    external zones).
    """

    year: int
    node_x: np.ndarray
    node_y: np.ndarray
    n_street: int
    walk: Graph
    bike: Graph
    car_time: Graph
    car_length: Graph
    pt: Graph
    in_main: dict[str, np.ndarray]
    synthetic_node: np.ndarray
    lines: tuple[Line, ...]
    stops: pd.DataFrame
    external: pd.DataFrame

    @property
    def n_nodes(self) -> int:
        """Street nodes plus external zone nodes (every layer has them all)."""
        return self.walk.n_nodes

    @property
    def pt_arcs(self) -> np.ndarray:
        """Attributes of every arc of the public transport graph (:data:`PT_ARC`)."""
        if self.pt.arcs is None:
            raise ValueError("public transport graph built without arc attributes")
        return self.pt.arcs


def nearest_nodes(
    network: Network, x: np.ndarray, y: np.ndarray, layer: str = "walk"
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of ``layer``'s main component to each point, and the distance."""
    return nearest_points(network.node_x, network.node_y, x, y, mask=network.in_main[layer])


@dataclass(frozen=True)
class _Layer:
    """One street layer with its external-zone connectors."""

    graph: Graph
    main: np.ndarray
    near: np.ndarray
    connector_m: np.ndarray


def _street_layer(
    tail: np.ndarray, head: np.ndarray, weight: np.ndarray, length: np.ndarray,
    node_x: np.ndarray, node_y: np.ndarray, ext_nodes: np.ndarray, params: ModelParams,
    car: bool,
) -> _Layer:
    """A street layer: its main component, external zones linked to it, the graph.

    The car layer is directed (one-way streets) and its main component is the largest
    strongly connected one, so every snapped node can reach every other; walking and
    cycling use each edge both ways.
    """
    n = node_x.size
    streets_only = Graph.from_edges(tail, head, length, n, directed=car)
    touched = np.zeros(n, bool)
    touched[tail] = True
    touched[head] = True
    main = largest_component(streets_only, touched, strong=car)
    near, dist = nearest_points(node_x, node_y, node_x[ext_nodes], node_y[ext_nodes], main)
    connector = np.maximum(dist * params.external_detour, 1.0)
    main[ext_nodes] = True
    ext_weight = connector / (params.external_car_kmh / 3.6) if car else connector
    if car:  # connectors both ways
        tail, head = np.r_[tail, near, ext_nodes], np.r_[head, ext_nodes, near]
        weight = np.r_[weight, ext_weight, ext_weight]
    else:
        tail, head, weight = np.r_[tail, near], np.r_[head, ext_nodes], np.r_[weight, ext_weight]
    graph = Graph.from_edges(tail, head, weight, n, directed=car, x=node_x, y=node_y)
    return _Layer(graph, main, near, connector)


def network_from_region(region: Region, scenario: Scenario, year: int) -> Network:
    """Build the graphs of ``year``: streets, external zones and lines running then."""
    params = scenario.model
    s = streets_for_year(region, scenario, year)
    ext = region.external_zones.reset_index(drop=True)
    n_street = s.n_nodes
    n = n_street + len(ext)
    node_x = np.r_[s.node_x, ext.x.to_numpy(float)] if len(ext) else s.node_x.copy()
    node_y = np.r_[s.node_y, ext.y.to_numpy(float)] if len(ext) else s.node_y.copy()
    ext_nodes = np.arange(n_street, n)
    layers = {
        name: _street_layer(s.u[mask], s.v[mask], s.length_m[mask], s.length_m[mask], node_x,
                            node_y, ext_nodes, params, car=False)
        for name, mask in (("walk", s.walk), ("bike", s.bike))
    }
    tail, head, edge = s.car_arcs()
    car_s = s.length_m[edge] / (s.car_speed_kmh[edge] / 3.6)
    car = layers["car"] = _street_layer(tail, head, car_s, s.length_m[edge], node_x, node_y,
                                        ext_nodes, params, car=True)
    car_length = Graph.from_edges(
        np.r_[tail, car.near, ext_nodes], np.r_[head, ext_nodes, car.near],
        np.r_[s.length_m[edge], car.connector_m, car.connector_m], n, directed=True,
        x=node_x, y=node_y,
    )
    synthetic_node = np.ones(n, bool)
    real = ~s.synthetic
    synthetic_node[s.u[real]] = False
    synthetic_node[s.v[real]] = False
    lines = lines_for_year(region, scenario, year)
    stops = _stop_table(region, scenario, lines, node_x, node_y, layers["walk"].main, ext,
                        n_street, params)
    walk = layers["walk"]
    pt = _pt_graph(s, params, lines, stops, n, walk.near, ext_nodes, walk.connector_m)
    return Network(
        year=year, node_x=node_x, node_y=node_y, n_street=n_street, walk=walk.graph,
        bike=layers["bike"].graph, car_time=car.graph, car_length=car_length, pt=pt,
        in_main={k: v.main for k, v in layers.items()}, synthetic_node=synthetic_node,
        lines=lines, stops=stops, external=ext.assign(node=ext_nodes),
    )


def _stop_table(
    region: Region, scenario: Scenario, lines: tuple[Line, ...], node_x: np.ndarray,
    node_y: np.ndarray, walk_main: np.ndarray, ext: pd.DataFrame, n_street: int,
    params: ModelParams,
) -> pd.DataFrame:
    """Stops served in the year: position, snapped node, best headways, modes.

    A stop is high-frequency when at least one line serving it is (plan definition).
    """
    all_stops = stops_for_scenario(region, scenario)
    served = stop_headways(lines).rename(columns={"stop": "name"})
    names = served.name.tolist()
    table = served.assign(
        x=[all_stops[k].x for k in names], y=[all_stops[k].y for k in names],
        status=[all_stops[k].status for k in names],
    )[["name", "x", "y", "status", "headway_peak_min", "headway_offpeak_min", "lines",
       "modes", "high_frequency"]]
    if not names:
        return table.assign(node=np.zeros(0, int), snap_m=np.zeros(0), external=np.zeros(0, int))
    street_main = walk_main.copy()
    street_main[n_street:] = False
    node, dist = nearest_points(node_x, node_y, table.x.to_numpy(), table.y.to_numpy(),
                                street_main)
    far = dist > params.stop_snap_max_m
    table["node"] = np.where(far, -1, node)
    table["snap_m"] = np.where(far, np.nan, dist)
    external = np.full(len(table), -1)
    for i, (zx, zy) in enumerate(zip(ext.x.to_numpy(float), ext.y.to_numpy(float),
                                     strict=True)):
        d = np.hypot(table.x.to_numpy() - zx, table.y.to_numpy() - zy)
        external[(d <= params.external_stop_radius_m) & (external < 0)] = n_street + i
    table["external"] = external
    return table


class _Arcs:
    """Arc lists of the public transport graph, with their :data:`PT_ARC` attributes."""

    def __init__(self) -> None:
        self.tail: list[np.ndarray] = []
        self.head: list[np.ndarray] = []
        self.data: list[np.ndarray] = []

    def add(self, tail: np.ndarray, head: np.ndarray, line: int = -1,
            **parts: np.ndarray | float) -> None:
        tail = np.atleast_1d(tail)
        rows = np.zeros(tail.size, PT_ARC)
        for name, value in parts.items():
            rows[name] = value
        rows["line"] = line
        self.tail.append(tail)
        self.head.append(np.broadcast_to(head, tail.shape))
        self.data.append(rows)


@dataclass(frozen=True)
class _StopLink:
    """Where a stop is and how it is reached: snapped street node (-1: none) with its
    walking time, and the external zone node it serves directly (-1: none)."""

    x: float
    y: float
    node: int
    walk_s: float
    external: int

    def access(self) -> list[tuple[int, float]]:
        """Nodes a passenger boards from (and alights to) at this stop, with walk seconds."""
        out = [(self.node, self.walk_s)] if self.node >= 0 else []
        return out + ([(self.external, 0.0)] if self.external >= 0 else [])


def _stop_links(stops: pd.DataFrame, params: ModelParams) -> dict[str, _StopLink]:
    return {
        name: _StopLink(float(x), float(y), int(node), float(snap) / params.walk_speed_mps,
                        int(ext))
        for name, x, y, node, snap, ext in zip(
            stops.name, stops.x.to_numpy(float), stops.y.to_numpy(float),
            stops.node.to_numpy(), stops.snap_m.to_numpy(float), stops.external.to_numpy(),
            strict=True)
    }


def _line_arcs(arcs: _Arcs, line: Line, index: int, links: dict[str, _StopLink], n: int,
               next_node: int, params: ModelParams) -> int:
    """Ride, board and alight arcs of one line in both directions; returns the next node."""
    wait = min(line.headway_peak_min / 2, params.max_wait_min) * 60.0
    for direction in (1,) if line.one_way else (1, -1):
        names = line.stops[::direction]
        runs = np.asarray(line.run_times_min[::direction], float) * 60.0
        pattern = np.arange(next_node, next_node + len(names))
        next_node += len(names)
        sx = np.array([links[name].x for name in names])
        sy = np.array([links[name].y for name in names])
        metres = np.hypot(np.diff(sx), np.diff(sy)) * params.pt_detour
        arcs.add(pattern[:-1], pattern[1:], line=index, ivt_s=runs, ivt_m=metres)
        for k, name in enumerate(names):
            for node, walk_s in links[name].access():
                if k < len(names) - 1:  # board, before or after an earlier ride
                    arcs.add(np.array([node, node + n]), np.array(pattern[k]), line=index,
                             walk_s=walk_s, wait_s=wait, boardings=1.0)
                if k > 0:  # alight into the after-boarding layer
                    arcs.add(pattern[k:k + 1], np.array(node + n), line=index, walk_s=walk_s)
    return next_node


def _pt_graph(
    s: Streets, params: ModelParams, lines: tuple[Line, ...], stops: pd.DataFrame, n: int,
    ext_street: np.ndarray, ext_nodes: np.ndarray, ext_len: np.ndarray,
) -> Graph:
    """Directed, generalised-time public transport graph (seconds), arcs with :data:`PT_ARC`.

    Generalised time = walk × walk_weight + wait × wait_weight + boarding penalty
    per boarding + in-vehicle time.
    """
    mask = s.walk
    wu = np.r_[s.u[mask], ext_street]
    wv = np.r_[s.v[mask], ext_nodes]
    walk = np.r_[s.length_m[mask], ext_len] / params.walk_speed_mps
    arcs = _Arcs()
    # two walk layers (before / after first boarding), both directions
    for tail, head in ((wu, wv), (wv, wu), (wu + n, wv + n), (wv + n, wu + n)):
        arcs.add(tail, head, walk_s=walk)
    next_node = 2 * n
    links = _stop_links(stops, params)
    for index, line in enumerate(lines):
        next_node = _line_arcs(arcs, line, index, links, n, next_node, params)
    data = np.concatenate(arcs.data)
    weight = (data["walk_s"] * params.walk_weight + data["wait_s"] * params.wait_weight
              + data["boardings"] * params.boarding_penalty_min * 60.0 + data["ivt_s"])
    return Graph.from_edges(np.concatenate(arcs.tail).astype(np.int64),
                            np.concatenate(arcs.head).astype(np.int64), weight, next_node,
                            directed=True, arcs=data)
