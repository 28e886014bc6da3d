"""Network stage: region + scenario + year → walk, bike, car and public transport graphs.

All graphs share the numbering of street nodes ``0 .. n_street-1``, followed by one
node per external zone (Oslo's zones, Asker, the rest of Akershus ...). Each external
zone's door joins the streets at its nearest node (straight distance × detour; by car
at the zone's connector speed). Public transport has one graph per period (peak and
off-peak headways, :mod:`sim.model.transit`); every stop of every line must reach the
streets or an external zone, else the run stops with an :class:`InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from sim.domain import Line, Streets
from sim.graph import Graph, largest_component, nearest_points
from sim.model.transit import (
    PT_ARC,
    PT_PARTS,
    CommonLine,
    TransitInputs,
    check_linked,
    common_lines,
    stop_links,
    stop_table,
    transit_graph,
)
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.edits import (
    lines_for_year,
    params_for_year,
    stops_for_scenario,
    streets_for_year,
)
from sim.scenario.schema import Scenario
from sim.vocab import PERIODS, Period

__all__ = ["PT_ARC", "PT_PARTS", "Network", "nearest_nodes", "network_from_region"]


@dataclass(frozen=True)
class Network:
    """The graphs of one network state (the lines and street edits in force in ``year``).

    ``walk`` and ``bike`` are in metres (undirected), ``car_time`` in seconds at the
    speed limits (period speed factors are applied by the skims) and ``car_length`` in
    metres (both directed: one-way streets); ``pt_by_period`` holds the public transport
    graph of each period (directed, generalised seconds, arcs with :data:`PT_ARC`; a trip
    to node ``i`` ends at ``i + n_nodes``). ``in_main`` marks, per layer, nodes in that
    layer's largest connected component (car: strongly connected): snapping only uses
    those. ``synthetic_node`` marks nodes that
    no real street touches (gap-filling lattice, external zones). ``stops`` are the
    stops served in the year, ``links`` how they reach external zones, ``common`` the
    stop pairs served by several lines. ``memo`` keeps what is derived from the graphs
    and asked for more than once (:func:`sim.model.pt_legs.transit_legs`).
    """

    year: int
    node_x: np.ndarray
    node_y: np.ndarray
    n_street: int
    walk: Graph
    bike: Graph
    car_time: Graph
    car_length: Graph
    pt_by_period: dict[Period, Graph]
    in_main: dict[str, np.ndarray]
    synthetic_node: np.ndarray
    lines: tuple[Line, ...]
    stops: pd.DataFrame
    external: pd.DataFrame
    links: pd.DataFrame
    common: tuple[CommonLine, ...]
    memo: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def n_nodes(self) -> int:
        """Street nodes plus external zone nodes (every layer has them all)."""
        return self.walk.n_nodes

    @property
    def pt(self) -> Graph:
        """The peak-period public transport graph."""
        return self.pt_by_period["peak"]

    @property
    def pt_arcs(self) -> np.ndarray:
        """Attributes of every arc of the peak public transport graph (:data:`PT_ARC`)."""
        return arcs_of(self.pt)


def arcs_of(graph: Graph) -> np.ndarray:
    """The per-arc attributes of a public transport graph."""
    if graph.arcs is None:
        raise ValueError("public transport graph built without arc attributes")
    return graph.arcs


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
    car_kmh: np.ndarray | None,
) -> _Layer:
    """A street layer: its main component, external zones linked to it, the graph.

    ``car_kmh`` (per external zone) marks the car layer: connectors in car seconds, the
    graph directed (one-way streets) and its main component the largest strongly
    connected one, so every snapped node can reach every other. Walking and cycling use
    each edge both ways, connectors in metres.
    """
    n = node_x.size
    car = car_kmh is not None
    streets_only = Graph.from_edges(tail, head, length, n, directed=car)
    touched = np.zeros(n, bool)
    touched[tail] = True
    touched[head] = True
    main = largest_component(streets_only, touched, strong=car)
    near, dist = nearest_points(node_x, node_y, node_x[ext_nodes], node_y[ext_nodes], main)
    connector = np.maximum(dist * params.external_detour, 1.0)
    main[ext_nodes] = True
    if car_kmh is None:
        tail, head, weight = np.r_[tail, near], np.r_[head, ext_nodes], np.r_[weight, connector]
    else:  # connectors both ways
        ext_s = connector / (car_kmh / 3.6)
        tail, head = np.r_[tail, near, ext_nodes], np.r_[head, ext_nodes, near]
        weight = np.r_[weight, ext_s, ext_s]
    graph = Graph.from_edges(tail, head, weight, n, directed=car, x=node_x, y=node_y)
    return _Layer(graph, main, near, connector)


def _external_car_kmh(ext: pd.DataFrame, params: ModelParams) -> np.ndarray:
    """Connector speed of each external zone: its own, else ``external_car_kmh``."""
    if "car_kmh" not in ext or not len(ext):
        return np.full(len(ext), params.external_car_kmh)
    return ext.car_kmh.astype(float).fillna(params.external_car_kmh).to_numpy()


def network_from_region(region: Region, scenario: Scenario, year: int) -> Network:
    """Build the graphs of ``year``: streets, external zones and lines running then."""
    params = params_for_year(scenario, year)
    s = streets_for_year(region, scenario, year)
    ext = region.external_zones.reset_index(drop=True)
    n_street = s.n_nodes
    n = n_street + len(ext)
    node_x = np.r_[s.node_x, ext.x.to_numpy(float)] if len(ext) else s.node_x.copy()
    node_y = np.r_[s.node_y, ext.y.to_numpy(float)] if len(ext) else s.node_y.copy()
    ext_nodes = np.arange(n_street, n)
    def street(mask: np.ndarray) -> _Layer:
        return _street_layer(s.u[mask], s.v[mask], s.length_m[mask], s.length_m[mask],
                             node_x, node_y, ext_nodes, params, None)

    layers = {"walk": street(s.walk)}
    # the same streets give the same graph (one object: its matrices are computed once)
    layers["bike"] = layers["walk"] if np.array_equal(s.walk, s.bike) else street(s.bike)
    tail, head, edge = s.car_arcs()
    car_s = s.length_m[edge] / (s.car_speed_kmh[edge] / 3.6)
    car = layers["car"] = _street_layer(tail, head, car_s, s.length_m[edge], node_x, node_y,
                                        ext_nodes, params, _external_car_kmh(ext, params))
    car_length = Graph.from_edges(
        np.r_[tail, car.near, ext_nodes], np.r_[head, ext_nodes, car.near],
        np.r_[s.length_m[edge], car.connector_m, car.connector_m], n, directed=True,
        x=node_x, y=node_y,
    )
    synthetic_node = np.ones(n, bool)
    real = ~s.synthetic
    synthetic_node[s.u[real]] = False
    synthetic_node[s.v[real]] = False
    transit = _transit_inputs(region, scenario, year, s, layers["walk"], node_x, node_y,
                              ext, params)
    return Network(
        year=year, node_x=node_x, node_y=node_y, n_street=n_street, walk=layers["walk"].graph,
        bike=layers["bike"].graph, car_time=car.graph, car_length=car_length,
        pt_by_period={period: transit_graph(transit, params, period) for period in PERIODS},
        in_main={k: v.main for k, v in layers.items()}, synthetic_node=synthetic_node,
        lines=transit.lines, stops=transit.stops, external=ext.assign(node=ext_nodes),
        links=transit.links, common=transit.common,
    )


def _transit_inputs(
    region: Region, scenario: Scenario, year: int, s: Streets, walk: _Layer,
    node_x: np.ndarray, node_y: np.ndarray, ext: pd.DataFrame, params: ModelParams,
) -> TransitInputs:
    """Lines of the year, their stops snapped and linked (every one, else InputError)."""
    lines = lines_for_year(region, scenario, year)
    all_stops = stops_for_scenario(region, scenario)
    street_main = walk.main.copy()
    street_main[s.n_nodes:] = False
    stops = stop_table(lines, all_stops, node_x, node_y, street_main, params)
    known = set(region.stops) if len(region.external_links) else set()
    links = stop_links(stops, region.external_links, known, ext, params)
    check_linked(lines, stops, links, params)
    mask = s.walk
    n_ext = len(ext)
    return TransitInputs(
        walk_u=np.r_[s.u[mask], walk.near], walk_v=np.r_[s.v[mask], s.n_nodes + np.arange(n_ext)],
        walk_m=np.r_[s.length_m[mask], walk.connector_m], n=node_x.size, lines=lines,
        stops=stops.assign(links=stops.name.map(links[links.kind == "walk"].stop
                                                 .value_counts()).fillna(0).astype(int)),
        links=links, ext_node=dict(zip(ext.name, s.n_nodes + np.arange(n_ext), strict=True)),
        common=common_lines(lines, stops, params),
    )
