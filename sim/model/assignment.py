"""Assignment: public transport trips loaded onto the lines (all-or-nothing, per period).

The trips follow the same shortest generalised-time paths the travel times come from,
on each period's timetable (the day's PT trips split by the share of trips per period),
so boardings and passenger-km per line are consistent with the demand. A ride on a
common-line arc (several lines between two stops) is shared among its lines by their
frequencies. Boardings at a change of line are counted per stop (transfers).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from sim.graph import min_plus_via
from sim.model.network import Network, arcs_of, nearest_nodes
from sim.model.pt_legs import TransitCore, TransitLegs, transit_core, transit_legs
from sim.model.zones import Zones
from sim.vocab import Period

#: Pseudo-line of the onward rides that stand in for external areas' own networks.
ONWARD = "onward rides (external networks, estimated)"


def _hubs(network: Network) -> list[str]:
    """Stops served by more than one line: where changes of line are counted by name."""
    return [name for name, lines in zip(network.stops.name, network.stops.lines, strict=True)
            if len(set(str(lines).split(";"))) > 1]


def _arc_values(network: Network, period: Period, hubs: list[str]) -> np.ndarray:
    """Per arc: boardings and km per line, changes of line per hub stop (and at all other
    stops), onward boardings and onward km."""
    arcs = arcs_of(network.pt_by_period[period])
    n_lines = len(network.lines)
    values = np.zeros((arcs.size, 2 * n_lines + len(hubs) + 3))
    on_line = np.flatnonzero(arcs["line"] >= 0)
    values[on_line, arcs["line"][on_line]] = arcs["boardings"][on_line]
    values[on_line, n_lines + arcs["line"][on_line]] = arcs["ivt_m"][on_line] / 1000.0
    for g, group in enumerate(network.common):
        rows = np.flatnonzero(arcs["common"] == g)
        share = group.shares(network.lines, period)
        for line, s, metres in zip(group.lines, share, group.metres, strict=True):
            values[rows, line] = s * arcs["boardings"][rows]
            values[rows, n_lines + line] = s * metres / 1000.0
    column = np.full(len(network.stops), len(hubs))  # other stops share the last column
    names = network.stops.name.tolist()
    for h, hub in enumerate(hubs):
        column[names.index(hub)] = h
    change = np.flatnonzero((arcs["transfer"] > 0) & (arcs["onward"] == 0))
    values[change, 2 * n_lines + column[arcs["stop"][change]]] = 1.0
    values[:, -2] = arcs["onward"]
    values[:, -1] = arcs["onward"] * arcs["ivt_m"] / 1000.0
    return values


def _flows(core: TransitCore, legs: TransitLegs, trips: np.ndarray,
           values: np.ndarray) -> np.ndarray:
    """Per destination, ``values`` (per arc of the whole graph) summed along the paths
    of ``trips`` ``[zones, destinations]`` from every zone: ``[destinations, k]``."""
    ride_s, ride = core.sums(core.full_values(values))
    dist, first, last = min_plus_via(legs.access, ride_s, legs.egress)
    served = np.isfinite(dist) & (trips != 0)
    o, d = np.nonzero(served)
    pair = first[o, d].astype(np.int64) * core.n_portals + last[o, d]
    by_pair = sparse.csr_matrix((trips[o, d], (d, pair)),
                                shape=(dist.shape[1], ride_s.size))
    return np.asarray(by_pair @ np.nan_to_num(ride.reshape(ride_s.size, -1)))


def line_loads(
    network: Network, zones: Zones, pt_trips: np.ndarray, peak_share: float,
) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    """Boardings and passenger-km per line, and changes of line per stop served by several
    lines (and at all other stops together), from the day's zone-to-destination PT trips.

    Each line also gets ``boardings_oslo``-style counts per destination group of the
    external zones (``boardings_<group>``: boardings on trips to that group). Onward
    rides appear as the pseudo-line :data:`ONWARD`.
    """
    n_lines = len(network.lines)
    if n_lines == 0:
        return {}, {}
    node, _ = nearest_nodes(network, zones.x, zones.y, "walk")
    legs = transit_legs(network, node)
    trips = np.where(np.isfinite(pt_trips), pt_trips, 0.0)
    ext = network.external
    groups = np.r_[np.full(zones.n, ""),
                   ext["group"].to_numpy(str) if len(ext) else np.zeros(0, str)]
    names = sorted({g for g in groups if g})
    hubs = _hubs(network)
    total = np.zeros(2 * n_lines + len(hubs) + 3)
    by_group = {g: np.zeros(n_lines) for g in names}
    weights: dict[Period, float] = {"peak": peak_share, "offpeak": 1.0 - peak_share}
    for period, weight in weights.items():
        flows = _flows(transit_core(network, period, legs), legs, weight * trips,
                       _arc_values(network, period, hubs))
        total += flows.sum(axis=0)
        for g in names:
            by_group[g] += flows[groups == g, :n_lines].sum(axis=0)
    loads = {line.name: {"boardings": float(total[i]), "pkm": float(total[n_lines + i]),
                         **{f"boardings_{g}": float(by_group[g][i]) for g in names}}
             for i, line in enumerate(network.lines)}
    loads[ONWARD] = {"boardings": float(total[-2]), "pkm": float(total[-1])}
    changes = total[2 * n_lines: 2 * n_lines + len(hubs) + 1]
    transfers = {s: float(v) for s, v in zip([*hubs, "other stops"], changes, strict=True)}
    return loads, transfers
