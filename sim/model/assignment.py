"""Assignment: public transport trips loaded onto the lines (all-or-nothing).

The trips follow the same shortest generalised-time paths the travel times come from,
so boardings and passenger-km per line are consistent with the demand.
"""

from __future__ import annotations

import numpy as np

from sim.graph import many_to_many_sums
from sim.model.network import Network, nearest_nodes


def line_loads(
    network: Network, x: np.ndarray, y: np.ndarray, pt_trips: np.ndarray
) -> dict[str, dict[str, float]]:
    """Boardings and passenger-km per line from zone-to-destination PT trips.

    The trips are loaded onto the same shortest generalised-time paths the travel
    times come from (all-or-nothing assignment).
    """
    n_lines = len(network.lines)
    if n_lines == 0:
        return {}
    node, _ = nearest_nodes(network, x, y, "walk")
    dest = np.r_[node, network.external.node.to_numpy()] + network.n_nodes
    arcs = network.pt_arcs
    on_line = arcs["line"][:, None] == np.arange(n_lines)[None, :]
    values = np.hstack([on_line * arcs["boardings"][:, None],
                        on_line * arcs["ivt_m"][:, None] / 1000.0])
    trips = np.where(np.isfinite(pt_trips), pt_trips, 0.0)
    _, per_origin = many_to_many_sums(network.pt, node, dest, values, flows=trips)
    total = per_origin.sum(axis=0)
    return {line.name: {"boardings": float(total[i]), "pkm": float(total[n_lines + i])}
            for i, line in enumerate(network.lines)}
