"""Gap filling: a synthetic local lattice for populated cells far from any street.

Offline inputs often cover only part of a region with real streets (for Bærum, only
the Fornebu–Lysaker corner), so most cells are then reached through this lattice.
Every lattice edge has ``synthetic=True``; the report states the population share
that depends on it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from sim.domain import Streets
from sim.graph import Graph, component_labels, nearest_points


@dataclass
class LatticeReport:
    """What gap filling did."""

    cells: int
    population: float
    lattice_cells: int
    lattice_population: float
    lattice_share: float
    lattice_edges: int
    street_links: int
    bridge_links: int
    bridge_max_m: float
    components_before: int
    all_cells_connected: bool

    def to_dict(self) -> dict:
        """As a plain dict (JSON-ready)."""
        return {k: (float(v) if isinstance(v, np.floating) else v)
                for k, v in asdict(self).items()}


def _cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)


def _walk_nodes(streets: Streets) -> np.ndarray:
    return np.unique(np.concatenate([streets.u[streets.walk], streets.v[streets.walk]]))


def _append(streets: Streets, x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray,
            length: np.ndarray, car_speed: float) -> Streets:
    n = len(u)
    return replace(
        streets,
        node_x=np.concatenate([streets.node_x, x]),
        node_y=np.concatenate([streets.node_y, y]),
        u=np.concatenate([streets.u, u]).astype(np.int64),
        v=np.concatenate([streets.v, v]).astype(np.int64),
        length_m=np.concatenate([streets.length_m, length]),
        walk=np.concatenate([streets.walk, np.ones(n, bool)]),
        bike=np.concatenate([streets.bike, np.ones(n, bool)]),
        car=np.concatenate([streets.car, np.ones(n, bool)]),
        car_speed_kmh=np.concatenate([streets.car_speed_kmh, np.full(n, car_speed)]),
        synthetic=np.concatenate([streets.synthetic, np.ones(n, bool)]),
        oneway=np.concatenate([streets.oneway, np.zeros(n, bool)]),
        node_id=np.concatenate([streets.node_id, np.zeros(len(x), np.int64)]),
    )


def empty_streets() -> Streets:
    """Streets with no nodes and no edges."""
    f, i, b = np.zeros(0), np.zeros(0, np.int64), np.zeros(0, bool)
    return Streets(f, f, i, i, f, b, b, b, f, b)


def walk_components(streets: Streets) -> np.ndarray:
    """Connected-component label of every node over the walkable edges."""
    w = streets.walk
    return component_labels(Graph.from_edges(streets.u[w], streets.v[w], streets.length_m[w],
                                             streets.n_nodes))


def cell_nodes(streets: Streets, cells: pd.DataFrame) -> np.ndarray:
    """The walk-network node nearest to each cell centre (the cell's access node)."""
    return _nearest_walk_node(streets, cells[["x", "y"]].to_numpy(float))[0]


def _nearest_walk_node(streets: Streets, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest walkable street node of each point and the distance (``-1``/inf: none)."""
    walkable = np.zeros(streets.n_nodes, bool)
    if streets.n_nodes:
        walkable[_walk_nodes(streets)] = True
    return nearest_points(streets.node_x, streets.node_y, xy[:, 0], xy[:, 1], mask=walkable)


def lattice_from_cells(
    streets: Streets,
    cells: pd.DataFrame,
    cell_size: float,
    max_gap_m: float = 150.0,
    detour: float = 1.3,
    link_radius_m: float = 400.0,
    car_speed_kmh: float = 40.0,
) -> tuple[Streets, LatticeReport]:
    """Connect every populated cell to the walk network, adding a lattice where needed.

    Parameters
    ----------
    streets
        Real streets (may be empty).
    cells
        Cells with ``x, y, population`` (centres, EPSG:25833).
    cell_size
        Grid spacing in metres (neighbour cells are at most ``cell_size * sqrt 2`` apart).
    max_gap_m
        Cells whose centre is farther than this from any walk node get a lattice node.
    detour
        Lattice edge length = straight distance × ``detour``.
    link_radius_m
        A lattice node is linked to its nearest street node when within this distance.
    car_speed_kmh
        Car speed on lattice edges (an estimate; the lattice stands in for local roads).

    Returns
    -------
    streets, report
        Streets with lattice nodes/edges appended (``synthetic=True``), and a report.
        Components that hold cell access nodes but are cut off from the largest one
        are bridged to their nearest other component (counted in ``bridge_links``).
    """
    xy = cells[["x", "y"]].to_numpy(float)
    pop = cells["population"].to_numpy(float)
    n0 = streets.n_nodes
    has_streets = bool(n0 and streets.walk.any())
    near, dist = _nearest_walk_node(streets, xy)
    gap = dist > max_gap_m
    gap_idx = np.flatnonzero(gap)
    new_id = np.full(len(xy), -1, np.int64)
    new_id[gap_idx] = n0 + np.arange(len(gap_idx))
    gxy = xy[gap_idx]
    us, vs, ls = [], [], []
    # lattice-lattice: 8-neighbourhood of populated gap cells
    if len(gap_idx) > 1:
        pairs = cKDTree(gxy).query_pairs(cell_size * np.sqrt(2) * 1.01, output_type="ndarray")
        if len(pairs):
            us.append(new_id[gap_idx[pairs[:, 0]]])
            vs.append(new_id[gap_idx[pairs[:, 1]]])
            ls.append(np.hypot(*(gxy[pairs[:, 0]] - gxy[pairs[:, 1]]).T) * detour)
    n_lattice = int(sum(len(a) for a in us))
    # lattice-street: nearest street node within link_radius_m
    n_links = 0
    if has_streets and len(gap_idx):
        close = dist[gap_idx] <= link_radius_m
        us.append(new_id[gap_idx[close]])
        vs.append(near[gap_idx[close]])
        ls.append(np.maximum(dist[gap_idx[close]] * detour, 0.5))
        n_links = int(close.sum())
    out = _append(streets, gxy[:, 0], gxy[:, 1], _cat(us, np.int64), _cat(vs, np.int64),
                  _cat(ls, float), car_speed_kmh)
    access = np.where(gap, new_id, near)
    out, bridges, bridge_max, n_comp = _bridge_components(out, access, pop, detour,
                                                         car_speed_kmh)
    labels = walk_components(out)
    connected = bool(len(access) == 0 or len(np.unique(labels[access])) == 1)
    total = float(pop.sum())
    report = LatticeReport(
        cells=len(xy), population=total, lattice_cells=len(gap_idx),
        lattice_population=float(pop[gap].sum()),
        lattice_share=float(pop[gap].sum() / total) if total else 0.0,
        lattice_edges=n_lattice, street_links=n_links, bridge_links=bridges,
        bridge_max_m=bridge_max, components_before=n_comp, all_cells_connected=connected,
    )
    return out, report


def _bridge_components(
    streets: Streets, access: np.ndarray, pop: np.ndarray, detour: float, car_speed: float
) -> tuple[Streets, int, float, int]:
    """Link every component holding an access node to its nearest other component."""
    bridges, longest = 0, 0.0
    labels = walk_components(streets)
    n_comp = len(np.unique(labels[access])) if len(access) else 0
    xy = np.column_stack([streets.node_x, streets.node_y])
    while len(access):
        labels = walk_components(streets)
        comps = np.unique(labels[access])
        if len(comps) <= 1:
            break
        weight = pd.Series(pop).groupby(labels[access]).sum()
        main = weight.index[int(np.argmax(weight.to_numpy()))]
        walk_nodes = np.union1d(_walk_nodes(streets), access)
        # bridge the smallest populated component first, to its nearest other component
        rest = weight.drop(main)
        comp = int(rest.index[int(np.argmin(rest.to_numpy()))])
        inside = walk_nodes[labels[walk_nodes] == comp]
        outside = walk_nodes[labels[walk_nodes] != comp]
        j, d = nearest_points(xy[outside, 0], xy[outside, 1], xy[inside, 0], xy[inside, 1])
        k = int(np.argmin(d))
        a, b = int(inside[k]), int(outside[j[k]])
        length = max(float(d[k]) * detour, 0.5)
        streets = _append(streets, np.zeros(0), np.zeros(0), np.array([a]), np.array([b]),
                          np.array([length]), car_speed)
        bridges += 1
        longest = max(longest, float(d[k]))
    return streets, bridges, longest, n_comp
