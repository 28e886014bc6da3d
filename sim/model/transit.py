"""Public transport graph of one period: lines, stops, common lines, links to external zones.

The graph is frequency based and directed. With ``n`` street and external-zone nodes
and ``S`` stops its nodes are:

* ``[0, n)`` walking before the first boarding, ``[n, 2n)`` walking after it, so that
  every public transport trip rides at least once;
* ``[2n, 2n + S)`` each stop before a boarding and ``[2n + S, 2n + 2S)`` after one:
  a change of line at a stop (Lysaker, Skøyen, Majorstuen, Sandvika ...) alights to and
  boards from the same stop node;
* then one node per stop of each line direction (the line's pattern).

A stop is reached from its street node (walking the snap distance) and from the doors
of external zones it is linked to (:data:`~sim.region.model.EXTERNAL_LINK_COLUMNS`).
Boarding waits depend on the period's headway: at the first boarding half the headway
while passengers arrive at random, less beyond (they time their arrival); at a change
of line half the headway. Lines that run between the same two stops in the same
direction are also offered together (common lines): the first vehicle of any of them,
with the combined frequency and the frequency-weighted ride time. Onward rides from
hub stops stand in for the external areas' own networks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.domain import Line, Stop, stop_headways
from sim.errors import InputError
from sim.graph import Graph, nearest_points
from sim.params import ModelParams
from sim.region.model import EXTERNAL_LINK_COLUMNS
from sim.vocab import Period

#: Per-arc attributes of a public transport graph (``Graph.arcs``): the unweighted
#: parts of the generalised time (:data:`PT_PARTS`); ``transfer`` (1 on a boarding at a
#: change of line) and ``onward`` (1 on an onward ride); the arc's ``line`` (-1: none),
#: ``common`` line group (-1: none) and boarding ``stop`` (-1: none).
PT_PARTS: tuple[str, ...] = ("walk_s", "wait_s", "ivt_s", "boardings", "ivt_m")
PT_ARC = np.dtype([*((name, "f8") for name in PT_PARTS), ("transfer", "f8"), ("onward", "f8"),
                   ("line", "i8"), ("common", "i8"), ("stop", "i8")])


def period_headway(line: Line, period: Period) -> float:
    """The line's headway in ``period`` (minutes)."""
    return line.headway_peak_min if period == "peak" else line.headway_offpeak_min


def first_wait_min(headway_min: np.ndarray | float, params: ModelParams) -> np.ndarray:
    """Expected wait at the first boarding: half the headway while passengers arrive at
    random, growing more slowly beyond ``wait_random_max_headway_min`` (capped)."""
    h = np.asarray(headway_min, float)
    h0 = params.wait_random_max_headway_min
    wait = np.where(h <= h0, h / 2.0, h0 / 2.0 + params.wait_slope_long_headway * (h - h0))
    return np.minimum(wait, params.max_wait_min)


def transfer_wait_min(headway_min: np.ndarray | float, params: ModelParams) -> np.ndarray:
    """Expected wait at a change of line: half the headway (capped)."""
    return np.minimum(np.asarray(headway_min, float) / 2.0, params.max_wait_min)


@dataclass(frozen=True)
class CommonLine:
    """Lines running from stop ``board`` to stop ``alight`` (indices into the stop table):
    a rider takes the first vehicle of any of them. ``ivt_s`` and ``metres`` are each
    line's ride between the two stops."""

    board: int
    alight: int
    lines: tuple[int, ...]
    ivt_s: tuple[float, ...]
    metres: tuple[float, ...]

    def shares(self, lines: tuple[Line, ...], period: Period) -> np.ndarray:
        """Each line's share of the riders: its share of the combined frequency."""
        freq = np.array([1.0 / period_headway(lines[i], period) for i in self.lines])
        return freq / freq.sum()

    def headway(self, lines: tuple[Line, ...], period: Period) -> float:
        """Combined headway of the lines (minutes)."""
        return 1.0 / sum(1.0 / period_headway(lines[i], period) for i in self.lines)


def stop_table(
    lines: tuple[Line, ...], all_stops: dict[str, Stop], node_x: np.ndarray,
    node_y: np.ndarray, walk_main: np.ndarray, params: ModelParams,
) -> pd.DataFrame:
    """Stops served by ``lines``: position, best headways, departures per week and the
    walk node (``-1`` beyond ``stop_snap_max_m``) with the snap distance.

    ``walk_main`` marks the street nodes a stop may snap to (external nodes excluded).
    """
    served = stop_headways(lines).rename(columns={"stop": "name"})
    names = served.name.tolist()
    table = served.assign(
        x=[all_stops[k].x for k in names], y=[all_stops[k].y for k in names],
        status=[all_stops[k].status for k in names],
        departures_week=[_departures_week(lines, k, params) for k in names],
    )[["name", "x", "y", "status", "headway_peak_min", "headway_offpeak_min", "lines",
       "modes", "high_frequency", "departures_week"]]
    if not names:
        return table.assign(node=np.zeros(0, int), snap_m=np.zeros(0))
    node, dist = nearest_points(node_x, node_y, table.x.to_numpy(), table.y.to_numpy(),
                                walk_main)
    far = dist > params.stop_snap_max_m
    return table.assign(node=np.where(far, -1, node), snap_m=np.where(far, np.nan, dist))


def _departures_week(lines: tuple[Line, ...], stop: str, params: ModelParams) -> float:
    """Departures a week from a stop: both directions except at a line's ends."""
    total = 0.0
    for line in lines:
        if stop in line.stops:
            ends = stop in (line.stops[0], line.stops[-1])
            directions = 1 if ends or line.one_way else 2
            per_day = (params.service_hours_peak_per_day * 60 / line.headway_peak_min
                       + params.service_hours_offpeak_per_day * 60 / line.headway_offpeak_min)
            total += directions * per_day * 7
    return total


def stop_links(
    stops: pd.DataFrame, region_links: pd.DataFrame, known_stops: set[str],
    external: pd.DataFrame, params: ModelParams,
) -> pd.DataFrame:
    """Links between the year's stops and the external zones (:data:`EXTERNAL_LINK_COLUMNS`).

    Stops the region knows (``known_stops``) use the region's links (walks on real
    streets or the lattice, onward rides); any other stop (e.g. added by a scenario) is
    linked on foot to zone doors within ``external_stop_radius_m`` over the lattice
    (straight distance × ``external_detour``).
    """
    links = region_links[region_links.stop.isin(stops.name) & region_links.zone.isin(
        external.name)]
    new = stops[~stops.name.isin(known_stops)]
    if len(new) and len(external):
        d = np.hypot(new.x.to_numpy()[:, None] - external.x.to_numpy(float)[None, :],
                     new.y.to_numpy()[:, None] - external.y.to_numpy(float)[None, :])
        i, j = np.nonzero(d <= params.external_stop_radius_m)
        extra = pd.DataFrame({
            "zone": external.name.to_numpy()[j], "stop": new.name.to_numpy()[i], "kind": "walk",
            "metres": np.maximum(d[i, j] * params.external_detour, 1.0), "speed_kmh": np.nan,
            "headway_min": np.nan, "status": "synthetic"}, columns=list(EXTERNAL_LINK_COLUMNS))
        links = pd.concat([links, extra], ignore_index=True) if len(links) else extra
    return links.reset_index(drop=True)


def check_linked(lines: tuple[Line, ...], stops: pd.DataFrame, links: pd.DataFrame,
                 params: ModelParams) -> None:
    """Every stop of every line reaches the streets or an external zone door; the first
    stop that does not is an :class:`InputError` naming it and its lines."""
    walked = set(links.stop[links.kind == "walk"])
    for name in stops.name[(stops.node.to_numpy() < 0) & ~stops.name.isin(walked)]:
        served = ", ".join(line.name for line in lines if name in line.stops)
        raise InputError(
            f"stop {name!r} (line {served}) cannot be linked: no street node within "
            f"{params.stop_snap_max_m:,.0f} m and no external zone door within "
            f"{params.external_stop_radius_m:,.0f} m (expected streets or an [external] "
            "area covering it)")


def common_lines(lines: tuple[Line, ...], stops: pd.DataFrame,
                 params: ModelParams) -> tuple[CommonLine, ...]:
    """Stop pairs served in the same direction by more than one line."""
    index = {name: i for i, name in enumerate(stops.name)}
    xy = stops.set_index("name")[["x", "y"]]
    rides: dict[tuple[int, int], dict[int, tuple[float, float]]] = {}
    for li, line in enumerate(lines):
        for names, runs in _directions(line):
            t = np.r_[0.0, np.cumsum(runs)] * 60.0
            p = xy.loc[list(names)].to_numpy(float)
            m = np.r_[0.0, np.cumsum(np.hypot(*np.diff(p, axis=0).T))] * params.pt_detour
            for i in range(len(names)):
                for j in range(i + 1, len(names)):
                    key = (index[names[i]], index[names[j]])
                    rides.setdefault(key, {}).setdefault(li, (t[j] - t[i], m[j] - m[i]))
    return tuple(
        CommonLine(a, b, tuple(by_line), tuple(v[0] for v in by_line.values()),
                   tuple(v[1] for v in by_line.values()))
        for (a, b), by_line in sorted(rides.items()) if len(by_line) > 1)


def _directions(line: Line) -> list[tuple[tuple[str, ...], tuple[float, ...]]]:
    """Stop sequence and run times of each direction a line runs (one for ``one_way``)."""
    forward = (line.stops, line.run_times_min)
    return [forward] if line.one_way else [forward, (line.stops[::-1], line.run_times_min[::-1])]


class _Arcs:
    """Arc lists of a public transport graph, with their :data:`PT_ARC` attributes."""

    def __init__(self) -> None:
        self.tail: list[np.ndarray] = []
        self.head: list[np.ndarray] = []
        self.data: list[np.ndarray] = []

    def add(self, tail: np.ndarray | int, head: np.ndarray | int, line: int = -1,
            common: int = -1, stop: np.ndarray | int = -1,
            **parts: np.ndarray | float) -> None:
        tail = np.atleast_1d(np.asarray(tail, np.int64))
        rows = np.zeros(tail.size, PT_ARC)
        for name, value in parts.items():
            rows[name] = value
        rows["line"], rows["common"], rows["stop"] = line, common, stop
        self.tail.append(tail)
        self.head.append(np.broadcast_to(np.asarray(head, np.int64), tail.shape))
        self.data.append(rows)

    def both_ways(self, a: np.ndarray, b: np.ndarray, walk_s: np.ndarray) -> None:
        """Walking arcs a → b and b → a."""
        self.add(a, b, walk_s=walk_s)
        self.add(b, a, walk_s=walk_s)


@dataclass(frozen=True)
class TransitInputs:
    """What the public transport graph is built from (the same for both periods).

    ``walk_u, walk_v, walk_m``: walking edges between street and external-zone nodes;
    ``n``: their number of nodes; ``ext_node``: node of each external zone by name.
    """

    walk_u: np.ndarray
    walk_v: np.ndarray
    walk_m: np.ndarray
    n: int
    lines: tuple[Line, ...]
    stops: pd.DataFrame
    links: pd.DataFrame
    ext_node: dict[str, int]
    common: tuple[CommonLine, ...]


def transit_graph(inputs: TransitInputs, params: ModelParams, period: Period) -> Graph:
    """The directed generalised-time graph (seconds) of one period, arcs with :data:`PT_ARC`.

    Generalised time = walk × walk_weight + wait × wait_weight + boarding penalty per
    boarding + in-vehicle time.
    """
    n, n_stops = inputs.n, len(inputs.stops)
    arcs = _Arcs()
    speed = params.walk_speed_mps
    walk_s = inputs.walk_m / speed
    for layer in (0, n):  # walking before and after the first boarding
        arcs.both_ways(inputs.walk_u + layer, inputs.walk_v + layer, walk_s)
    stop0 = 2 * n + np.arange(n_stops)  # stop nodes before / after a boarding
    stop1 = stop0 + n_stops
    node = inputs.stops.node.to_numpy()
    on_street = node >= 0
    snap_s = np.nan_to_num(inputs.stops.snap_m.to_numpy(float)) / speed
    arcs.both_ways(stop0[on_street], node[on_street], snap_s[on_street])
    arcs.both_ways(stop1[on_street], node[on_street] + n, snap_s[on_street])
    index = {name: i for i, name in enumerate(inputs.stops.name)}
    walks = inputs.links[inputs.links.kind == "walk"]
    s = walks.stop.map(index).to_numpy(np.int64)
    z = walks.zone.map(inputs.ext_node).to_numpy(np.int64)
    link_s = walks.metres.to_numpy(float) / speed
    arcs.both_ways(stop0[s], z, link_s)
    arcs.both_ways(stop1[s], z + n, link_s)
    next_node = 2 * n + 2 * n_stops
    for li, line in enumerate(inputs.lines):
        next_node = _line_arcs(arcs, line, li, index, stop0, stop1, next_node, inputs.stops,
                               params, period)
    _common_arcs(arcs, inputs, stop0, stop1, params, period)
    _onward_arcs(arcs, inputs, index, stop1, params)
    data = np.concatenate(arcs.data)
    weight = (data["walk_s"] * params.walk_weight + data["wait_s"] * params.wait_weight
              + data["boardings"] * params.boarding_penalty_min * 60.0 + data["ivt_s"])
    return Graph.from_edges(np.concatenate(arcs.tail), np.concatenate(arcs.head), weight,
                            next_node, directed=True, arcs=data)


def _line_arcs(arcs: _Arcs, line: Line, li: int, index: dict[str, int], stop0: np.ndarray,
               stop1: np.ndarray, next_node: int, stops: pd.DataFrame, params: ModelParams,
               period: Period) -> int:
    """Ride, board and alight arcs of one line in both directions; returns the next node."""
    headway = period_headway(line, period)
    first = float(first_wait_min(headway, params)) * 60.0
    change = float(transfer_wait_min(headway, params)) * 60.0
    xy = stops[["x", "y"]].to_numpy(float)
    for names, runs in _directions(line):
        pattern = np.arange(next_node, next_node + len(names))
        next_node += len(names)
        at = np.array([index[name] for name in names])
        metres = np.hypot(*np.diff(xy[at], axis=0).T) * params.pt_detour
        arcs.add(pattern[:-1], pattern[1:], line=li, ivt_s=np.asarray(runs) * 60.0,
                 ivt_m=metres)
        board, alight = at[:-1], at[1:]
        arcs.add(stop0[board], pattern[:-1], line=li, stop=board, wait_s=first, boardings=1.0)
        arcs.add(stop1[board], pattern[:-1], line=li, stop=board, wait_s=change,
                 boardings=1.0, transfer=1.0)
        arcs.add(pattern[1:], stop1[alight], line=li)
    return next_node


def _common_arcs(arcs: _Arcs, inputs: TransitInputs, stop0: np.ndarray, stop1: np.ndarray,
                 params: ModelParams, period: Period) -> None:
    """Direct arcs between stop pairs served by several lines (combined frequency)."""
    for g, group in enumerate(inputs.common):
        share = group.shares(inputs.lines, period)
        headway = group.headway(inputs.lines, period)
        ivt_s = float(share @ np.asarray(group.ivt_s))
        ivt_m = float(share @ np.asarray(group.metres))
        arcs.add(stop0[group.board], stop1[group.alight], common=g, stop=group.board,
                 wait_s=float(first_wait_min(headway, params)) * 60.0, ivt_s=ivt_s,
                 ivt_m=ivt_m, boardings=1.0)
        arcs.add(stop1[group.board], stop1[group.alight], common=g, stop=group.board,
                 wait_s=float(transfer_wait_min(headway, params)) * 60.0, ivt_s=ivt_s,
                 ivt_m=ivt_m, boardings=1.0, transfer=1.0)


def _onward_arcs(arcs: _Arcs, inputs: TransitInputs, index: dict[str, int], stop1: np.ndarray,
                 params: ModelParams) -> None:
    """Onward rides from hub stops to external zones (after a boarding only)."""
    onward = inputs.links[inputs.links.kind == "onward"]
    if not len(onward):
        return
    s = onward.stop.map(index).to_numpy(np.int64)
    z = onward.zone.map(inputs.ext_node).to_numpy(np.int64)
    metres = onward.metres.to_numpy(float)
    arcs.add(stop1[s], z + inputs.n, stop=s, boardings=1.0, transfer=1.0, onward=1.0,
             wait_s=transfer_wait_min(onward.headway_min.to_numpy(float), params) * 60.0,
             ivt_s=metres / (onward.speed_kmh.to_numpy(float) / 3.6), ivt_m=metres)


def pt_destination(node: np.ndarray, n: int) -> np.ndarray:
    """Graph nodes where a trip to the street or zone ``node`` arrives (after a boarding)."""
    return np.asarray(node, np.int64) + n

