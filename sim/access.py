"""Accessibility stage: walking distance from each cell to the nearest everyday facility.

Distances run over the walk graph; the straight-line distance from the cell centre
(or facility) to its nearest walk node is added, so a cell far from any street is
not silently treated as being on one. Such cells are flagged (``far_from_network``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.network import Network, nearest_nodes
from sim.paths import multi_source
from sim.region import EVERYDAY_FUNCTIONS, Region
from sim.scenario import Scenario

#: A cell centre farther than this from the walk network is flagged.
FAR_FROM_NETWORK_M = 500.0


@dataclass(frozen=True)
class Access:
    """Per-cell walking distances and population-weighted shares within thresholds.

    ``cells`` (aligned with ``region.cells``) has ``snap_m``, ``far_from_network``,
    ``dist_<function>`` (metres), ``within_<function>``, ``n_within`` and
    ``all_within``. ``share_within`` maps each function to the population share within
    its threshold; ``basket_share`` is the share with all functions within.
    """

    year: int
    cells: pd.DataFrame
    thresholds: dict[str, float]
    share_within: dict[str, float]
    basket_share: float


def facilities_for_year(
    region: Region, scenario: Scenario, network: Network, year: int
) -> pd.DataFrame:
    """Everyday facilities open in ``year``: region layer, scenario additions, served stops."""
    frames = [region.facilities[["category", "name", "x", "y", "capacity", "status"]]]
    added = [
        {"category": f.category, "name": f.name, "x": f.x, "y": f.y,
         "capacity": np.nan if f.capacity is None else f.capacity, "status": "scenario"}
        for f in scenario.facilities
        if f.opening_year is None or f.opening_year <= year
    ]
    if added:
        frames.append(pd.DataFrame(added))
    stops = network.stops
    frames.append(
        pd.DataFrame(
            {"category": "transit_stop", "name": stops.name, "x": stops.x, "y": stops.y,
             "capacity": np.nan, "status": stops.status}
        )
    )
    return pd.concat(frames, ignore_index=True)


def access_from_network(
    network: Network,
    cells: pd.DataFrame,
    population: np.ndarray,
    facilities: pd.DataFrame,
    thresholds: dict[str, float],
    year: int,
) -> Access:
    """Nearest-facility walking distance per cell and function.

    Parameters
    ----------
    network
        Graphs of the year; only the walk graph is used.
    cells
        Cell centres (``x``, ``y``).
    population
        Residents per cell (existing plus new), for the population-weighted shares.
    facilities
        ``category, x, y`` of every facility open in the year.
    thresholds
        Walking threshold per everyday function, metres.
    year
        The modelled year (networks are shared between years with the same lines).
    """
    cell_node, cell_snap = nearest_nodes(network, cells.x.to_numpy(), cells.y.to_numpy())
    out = pd.DataFrame(index=cells.index)
    out["snap_m"] = cell_snap
    out["far_from_network"] = cell_snap > FAR_FROM_NETWORK_M
    weights = np.asarray(population, float)
    total = weights.sum()
    share: dict[str, float] = {}
    n_within = np.zeros(len(cells), int)
    for function in EVERYDAY_FUNCTIONS:
        fac = facilities[facilities.category == function]
        if len(fac):
            fac_node, fac_snap = nearest_nodes(network, fac.x.to_numpy(), fac.y.to_numpy())
            dist, _ = multi_source(network.walk, fac_node, source_offsets=fac_snap)
            d = dist[cell_node] + cell_snap
        else:
            d = np.full(len(cells), np.inf)
        within = d <= thresholds[function]
        out[f"dist_{function}"] = d
        out[f"within_{function}"] = within
        n_within += within
        share[function] = float(weights[within].sum() / total) if total else 0.0
    out["n_within"] = n_within
    out["all_within"] = n_within == len(EVERYDAY_FUNCTIONS)
    basket = float(weights[out.all_within.to_numpy()].sum() / total) if total else 0.0
    return Access(year=year, cells=out, thresholds=dict(thresholds),
                  share_within=share, basket_share=basket)
