"""Network stage: region + scenario + year → walk, bike, car and public transport graphs.

All graphs share the numbering of street nodes ``0 .. n_street-1``, followed by one
node per external zone (e.g. Oslo). The public transport graph is frequency based:
boarding waits half the headway (capped), then in-vehicle time along the line
pattern. It has two copies of the walk layer, *before* and *after* the first
boarding, so that a public transport trip always rides at least once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from sim.paths import Graph
from sim.region import Line, Region, Stop, Streets
from sim.scenario import ModelParams, Scenario

#: Stops farther than this from any street node are linked only to external zones.
STOP_SNAP_MAX_M = 1000.0
#: A stop this close to an external zone serves it directly.
EXTERNAL_STOP_RADIUS_M = 1500.0
#: Connector from an external zone to the street network: detour and car speed.
EXTERNAL_DETOUR = 1.3
EXTERNAL_CAR_KMH = 60.0


@dataclass(frozen=True)
class Network:
    """The graphs of one network state (the lines running in ``year`` and later years
    with the same lines).

    ``walk`` and ``bike`` are in metres (undirected), ``car_time`` in seconds and
    ``car_length`` in metres (undirected), ``pt`` in generalised seconds (directed,
    nodes ``n + i`` are the *after first boarding* copy of node ``i``).
    ``in_main`` marks, per layer, nodes in that layer's largest connected component:
    snapping only uses those. ``synthetic_node`` marks nodes that no real street
    touches (gap-filling lattice, external zones). ``pt_parts`` holds the unweighted
    components (:data:`PT_PARTS`) of every arc of ``pt`` in CSR order and ``pt_line``
    the index in ``lines`` of the line an arc belongs to (-1 for walking).
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
    pt_parts: np.ndarray
    pt_line: np.ndarray
    stops: pd.DataFrame
    external: pd.DataFrame

    @property
    def n_nodes(self) -> int:
        """Street nodes plus external zone nodes."""
        return len(self.node_x)


def lines_for_year(region: Region, scenario: Scenario, year: int) -> tuple[Line, ...]:
    """The lines running in ``year``, with the scenario's edits applied."""
    opening = {c.line: c.opening_year for c in scenario.transit.change_opening}
    delayed = [replace(line, opening_year=opening[line.name]) if line.name in opening else line
               for line in region.lines]
    lines = [line for line in delayed if line.open_in(year)]
    for add in scenario.transit.add_line:
        line = Line(
            name=add.name,
            mode=add.mode,
            stops=tuple(s if isinstance(s, str) else s.name for s in add.stops),
            run_times_min=tuple(add.run_times_min),
            headway_peak_min=add.headway_peak_min,
            headway_offpeak_min=add.headway_offpeak_min or add.headway_peak_min,
            opening_year=add.opening_year,
            status="real",  # a planner's input, not a made-up figure
        )
        if line.open_in(year):
            lines.append(line)
    changes = sorted(scenario.transit.change_headway, key=lambda c: c.from_year)
    for change in changes:
        if change.from_year > year:
            continue
        headways = {"headway_peak_min": change.headway_peak_min,
                    "headway_offpeak_min": change.headway_offpeak_min
                    or change.headway_peak_min}
        lines = [replace(line, **headways) if line.name == change.line else line
                 for line in lines]
    removed = {r.line for r in scenario.transit.remove_line if r.from_year <= year}
    lines = [line for line in lines if line.name not in removed]
    for remove in scenario.transit.remove_stop:
        if remove.from_year <= year:
            lines = [cut for line in lines if (cut := _without_stop(line, remove.stop))]
    return tuple(lines)


def _without_stop(line: Line, stop: str) -> Line | None:
    """``line`` no longer calling at ``stop``; None when fewer than two stops remain."""
    if stop not in line.stops:
        return line
    stops, runs = list(line.stops), list(line.run_times_min)
    k = stops.index(stop)
    if k == 0:
        runs.pop(0)
    elif k == len(stops) - 1:
        runs.pop()
    else:
        runs[k - 1 : k + 1] = [runs[k - 1] + runs[k]]
    stops.pop(k)
    if len(stops) < 2:
        return None
    return replace(line, stops=tuple(stops), run_times_min=tuple(runs))


def street_edits_for_year(scenario: Scenario, year: int) -> tuple[tuple[int, ...], ...]:
    """Indices of the scenario's street additions and closures in force in ``year``."""
    added = tuple(i for i, a in enumerate(scenario.streets.add_link)
                  if a.opening_year is None or a.opening_year <= year)
    closed = tuple(i for i, c in enumerate(scenario.streets.close_link) if c.from_year <= year)
    return added, closed


def network_state(region: Region, scenario: Scenario, year: int) -> tuple:
    """What makes two years' networks identical: the lines and street edits in force."""
    return lines_for_year(region, scenario, year), street_edits_for_year(scenario, year)


def streets_for_year(region: Region, scenario: Scenario, year: int) -> Streets:
    """The region's streets with the scenario's links added and closed as of ``year``."""
    s = region.streets
    added, closed = street_edits_for_year(scenario, year)
    if not added and not closed:
        return s
    walk, bike, car = s.walk.copy(), s.bike.copy(), s.car.copy()
    if closed:
        mid = shapely.points((s.node_x[s.u] + s.node_x[s.v]) / 2,
                             (s.node_y[s.u] + s.node_y[s.v]) / 2)
        tree = STRtree(mid)
        for i in closed:
            close = scenario.streets.close_link[i]
            edge = int(tree.nearest(shapely.points(*close.at)))
            for mode, mask in (("walk", walk), ("bike", bike), ("car", car)):
                if mode in close.modes:
                    mask[edge] = False
    links = [scenario.streets.add_link[i] for i in added]
    if not links:
        return replace(s, walk=walk, bike=bike, car=car)
    every = np.ones(s.n_nodes, bool)
    ends = np.array([link.start for link in links] + [link.end for link in links], float)
    node, _ = _nearest(s.node_x, s.node_y, every, ends[:, 0], ends[:, 1])
    u, v = node[: len(links)], node[len(links):]
    straight = np.hypot(s.node_x[u] - s.node_x[v], s.node_y[u] - s.node_y[v])
    length = np.array([link.length_m or 0.0 for link in links])
    length = np.where(length > 0, length, np.maximum(straight, 1.0))
    has = {mode: np.array([mode in link.modes for link in links])
           for mode in ("walk", "bike", "car")}
    return replace(
        s,
        u=np.r_[s.u, u], v=np.r_[s.v, v], length_m=np.r_[s.length_m, length],
        walk=np.r_[walk, has["walk"]], bike=np.r_[bike, has["bike"]], car=np.r_[car, has["car"]],
        car_speed_kmh=np.r_[s.car_speed_kmh, [link.car_speed_kmh for link in links]],
        synthetic=np.r_[s.synthetic, np.zeros(len(links), bool)],
    )


def stops_for_scenario(region: Region, scenario: Scenario) -> dict[str, Stop]:
    """Region stops plus the new stops named with coordinates in the scenario."""
    stops = dict(region.stops)
    for add in scenario.transit.add_line:
        for s in add.stops:
            if not isinstance(s, str):
                stops[s.name] = Stop(s.name, s.x, s.y, status="real")
    return stops


def nearest_nodes(
    network: Network, x: np.ndarray, y: np.ndarray, layer: str = "walk"
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest node of ``layer``'s main component to each point, and the distance."""
    return _nearest(network.node_x, network.node_y, network.in_main[layer], x, y)


def _nearest(
    node_x: np.ndarray, node_y: np.ndarray, mask: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    candidates = np.flatnonzero(mask)
    tree = STRtree(shapely.points(node_x[candidates], node_y[candidates]))
    idx = tree.query_nearest(shapely.points(np.asarray(x, float), np.asarray(y, float)),
                             all_matches=False)
    order = np.argsort(idx[0], kind="stable")
    nodes = candidates[idx[1][order]]
    dist = np.hypot(node_x[nodes] - x, node_y[nodes] - y)
    return nodes, dist


def _main_component(graph: Graph, active: np.ndarray) -> np.ndarray:
    """Nodes of the largest connected component among nodes touched by the layer."""
    from sim.paths import multi_source

    remaining = active.copy()
    best = np.zeros_like(active)
    while remaining.sum() > best.sum():
        start = int(np.flatnonzero(remaining)[0])
        dist, _ = multi_source(graph, np.array([start]))
        comp = np.isfinite(dist)
        remaining &= ~comp
        if comp.sum() > best.sum():
            best = comp
    return best


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
    ext_x, ext_y = ext.x.to_numpy(float), ext.y.to_numpy(float)
    car_s = s.length_m / (s.car_speed_kmh / 3.6)
    layers: dict[str, Graph] = {}
    in_main: dict[str, np.ndarray] = {}
    connectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, mask in (("walk", s.walk), ("bike", s.bike), ("car", s.car)):
        # main component of the layer's streets, then external zones linked to it
        streets_only = Graph.from_edges(s.u[mask], s.v[mask], s.length_m[mask], n)
        touched = np.zeros(n, bool)
        touched[s.u[mask]] = True
        touched[s.v[mask]] = True
        main = _main_component(streets_only, touched)
        if len(ext):
            near, dist = _nearest(node_x, node_y, main, ext_x, ext_y)
        else:
            near, dist = np.zeros(0, np.int64), np.zeros(0)
        length = np.maximum(dist * EXTERNAL_DETOUR, 1.0)
        connectors[name] = (near, length)
        main[ext_nodes] = True
        in_main[name] = main
        weight = car_s if name == "car" else s.length_m
        ext_weight = length / (EXTERNAL_CAR_KMH / 3.6) if name == "car" else length
        layers[name] = Graph.from_edges(
            np.r_[s.u[mask], near], np.r_[s.v[mask], ext_nodes], np.r_[weight[mask], ext_weight],
            n, directed=False, x=node_x, y=node_y,
        )
    near, length = connectors["car"]
    car_length = Graph.from_edges(
        np.r_[s.u[s.car], near], np.r_[s.v[s.car], ext_nodes], np.r_[s.length_m[s.car], length],
        n, directed=False, x=node_x, y=node_y,
    )
    ext_street, ext_len = connectors["walk"]
    synthetic_node = np.ones(n, bool)
    real = ~s.synthetic
    synthetic_node[s.u[real]] = False
    synthetic_node[s.v[real]] = False
    lines = lines_for_year(region, scenario, year)
    stops = _stop_table(region, scenario, lines, node_x, node_y, in_main["walk"], ext, n_street)
    pt, pt_parts, pt_line = _pt_graph(s, params, lines, stops, n, ext_street, ext_nodes,
                                      ext_len)
    return Network(
        year=year, node_x=node_x, node_y=node_y, n_street=n_street, walk=layers["walk"],
        bike=layers["bike"], car_time=layers["car"], car_length=car_length, pt=pt,
        in_main=in_main, synthetic_node=synthetic_node, lines=lines, pt_parts=pt_parts,
        pt_line=pt_line,
        stops=stops, external=ext.assign(node=ext_nodes),
    )


def _stop_table(
    region: Region, scenario: Scenario, lines: tuple[Line, ...], node_x: np.ndarray,
    node_y: np.ndarray, walk_main: np.ndarray, ext: pd.DataFrame, n_street: int,
) -> pd.DataFrame:
    """Stops served in the year: position, snapped node, best headways, modes.

    A stop is high-frequency when at least one line serving it is (plan definition).
    """
    all_stops = stops_for_scenario(region, scenario)
    served: dict[str, dict] = {}
    for line in lines:
        for name in line.stops:
            row = served.setdefault(name, {"headway_peak_min": np.inf, "modes": set(),
                                           "headway_offpeak_min": np.inf, "lines": [],
                                           "high_frequency": False})
            row["headway_peak_min"] = min(row["headway_peak_min"], line.headway_peak_min)
            row["headway_offpeak_min"] = min(row["headway_offpeak_min"], line.headway_offpeak_min)
            row["lines"].append(line.name)
            row["modes"].add(line.mode)
            row["high_frequency"] |= line.high_frequency
    names = sorted(served)
    table = pd.DataFrame(
        {
            "name": names,
            "x": [all_stops[k].x for k in names],
            "y": [all_stops[k].y for k in names],
            "status": [all_stops[k].status for k in names],
            "headway_peak_min": [served[k]["headway_peak_min"] for k in names],
            "headway_offpeak_min": [served[k]["headway_offpeak_min"] for k in names],
            "lines": [";".join(served[k]["lines"]) for k in names],
            "modes": [";".join(sorted(served[k]["modes"])) for k in names],
            "high_frequency": [served[k]["high_frequency"] for k in names],
        }
    )
    if not names:
        return table.assign(node=np.zeros(0, int), snap_m=np.zeros(0), external=np.zeros(0, int))
    street_main = walk_main.copy()
    street_main[n_street:] = False
    node, dist = _nearest(node_x, node_y, street_main, table.x.to_numpy(), table.y.to_numpy())
    far = dist > STOP_SNAP_MAX_M
    table["node"] = np.where(far, -1, node)
    table["snap_m"] = np.where(far, np.nan, dist)
    external = np.full(len(table), -1)
    for i, zone in ext.iterrows():
        d = np.hypot(table.x - zone.x, table.y - zone.y).to_numpy()
        external[(d <= EXTERNAL_STOP_RADIUS_M) & (external < 0)] = n_street + int(i)
    table["external"] = external
    return table


#: Columns of ``Network.pt_parts``: the unweighted components of each PT arc.
PT_PARTS: tuple[str, ...] = ("walk_s", "wait_s", "ivt_s", "boardings", "ivt_m")

#: In-vehicle distance = straight distance between stops × this factor [E].
PT_DETOUR = 1.15


def _pt_graph(
    s: Streets, params: ModelParams, lines: tuple[Line, ...], stops: pd.DataFrame, n: int,
    ext_street: np.ndarray, ext_nodes: np.ndarray, ext_len: np.ndarray,
) -> tuple[Graph, np.ndarray, np.ndarray]:
    """Directed, generalised-time public transport graph (seconds).

    Returns the graph, the unweighted components of every arc in the graph's CSR
    order (columns :data:`PT_PARTS`) and the line index of every arc (-1 when none).
    Generalised time = walk × walk_weight + wait × wait_weight + boarding penalty
    per boarding + in-vehicle time.
    """
    speed = params.walk_speed_mps
    mask = s.walk
    wu = np.r_[s.u[mask], ext_street]
    wv = np.r_[s.v[mask], ext_nodes]
    walk = np.r_[s.length_m[mask], ext_len] / speed
    zeros = np.zeros_like(walk)
    # two walk layers (before / after first boarding), both directions
    u = [wu, wv, wu + n, wv + n]
    v = [wv, wu, wv + n, wu + n]
    parts = [np.column_stack([walk, zeros, zeros, zeros, zeros])] * 4
    line_of = [np.full(walk.size, -1)] * 4
    by_name = stops.set_index("name")

    def arcs(tail, head, walk_s=0.0, wait_s=0.0, ivt_s=0.0, board=0.0, ivt_m=0.0, line=-1):
        tail = np.atleast_1d(tail)
        u.append(tail)
        v.append(np.atleast_1d(head))
        row = np.broadcast_arrays(walk_s, wait_s, ivt_s, board, ivt_m, np.zeros(tail.size))
        parts.append(np.column_stack(row[:5]).reshape(tail.size, 5))
        line_of.append(np.full(tail.size, line))

    next_node = 2 * n
    for index, line in enumerate(lines):
        wait = min(line.headway_peak_min / 2, params.max_wait_min) * 60.0
        for direction in (1, -1):
            names = line.stops[::direction]
            runs = np.asarray(line.run_times_min[::direction], float) * 60.0
            pattern = np.arange(next_node, next_node + len(names))
            next_node += len(names)
            sx = by_name.loc[list(names), "x"].to_numpy(float)
            sy = by_name.loc[list(names), "y"].to_numpy(float)
            metres = np.hypot(np.diff(sx), np.diff(sy)) * PT_DETOUR
            arcs(pattern[:-1], pattern[1:], ivt_s=runs, ivt_m=metres, line=index)
            for k, name in enumerate(names):
                stop = by_name.loc[name]
                access = []
                if stop.node >= 0:
                    access.append((int(stop.node), float(stop.snap_m) / speed))
                if stop.external >= 0:
                    access.append((int(stop.external), 0.0))
                for node, walk_s in access:
                    if k < len(names) - 1:  # board, before or after an earlier ride
                        arcs(np.array([node, node + n]), np.array([pattern[k], pattern[k]]),
                             walk_s=walk_s, wait_s=wait, board=1.0, line=index)
                    if k > 0:  # alight into the after-boarding layer
                        arcs(pattern[k], node + n, walk_s=walk_s, line=index)
    tail = np.concatenate(u).astype(np.int64)
    head = np.concatenate(v).astype(np.int64)
    table = np.concatenate(parts)
    weight = (table[:, 0] * params.walk_weight + table[:, 1] * params.wait_weight
              + table[:, 3] * params.boarding_penalty_min * 60.0 + table[:, 2])
    graph = Graph.from_edges(tail, head, weight, next_node, directed=True)
    order = np.lexsort((head, tail))  # the CSR order of Graph.from_edges
    table, line_index = table[order], np.concatenate(line_of)[order]
    if not np.allclose(graph.weights, weight[order]):
        raise AssertionError("PT arc components out of step with the graph's arcs")
    return graph, table, line_index
