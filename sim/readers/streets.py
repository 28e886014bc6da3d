"""OSM ways → walk, bike and car layers (:class:`~sim.domain.Streets`).

Each way's permissions come from :func:`sim.readers.street_rules.way_modes`, decided
per way before anything is merged. Every mode's arcs (walk and bike both ways, car
honouring ``oneway``) are simplified on their own (:mod:`sim.readers.simplify`, the
osmnx rules), so an edge never mixes a way that allows a mode with one that forbids
it. Edges with the same node and segment sequence in several modes become one edge
with several mode flags. Lengths are great-circle sums over the segments (as osmnx
``length``), so they do not depend on the projection.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from sim.domain import CRS, Streets, lonlat_to_xy
from sim.errors import InputError
from sim.readers.simplify import simplified_paths
from sim.readers.street_rules import car_speed_kmh, way_modes

#: Mean earth radius (metres) of the great-circle lengths (osmnx ``great_circle``).
EARTH_RADIUS_M = 6_371_009.0

#: Minimum length of an edge, metres; shorter edges get this length.
MIN_EDGE_LENGTH_M = 0.5

MODES = ("walk", "bike", "car")


@dataclass(frozen=True)
class Ways:
    """OSM highway ways as arrays: nodes, ways with their tags, and way segments.

    ``seg_u``/``seg_v`` index ``node_id`` (consecutive nodes of way ``seg_way``, in the
    way's order; repeated nodes are dropped); ``seg_length`` overrides the great-circle
    segment lengths (a simplified graph's edges are not straight).
    """

    node_id: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    way_id: np.ndarray
    tags: tuple[dict[str, str], ...]
    seg_u: np.ndarray
    seg_v: np.ndarray
    seg_way: np.ndarray
    seg_length: np.ndarray | None = None

    @classmethod
    def from_dicts(cls, nodes: dict[int, tuple[float, float]],
                   ways: dict[int, tuple[list[int], dict[str, str]]]) -> Ways:
        """From ``{node id: (lon, lat)}`` and ``{way id: (node refs, tags)}``."""
        node_id = np.array(sorted(nodes), dtype=np.int64)
        coords = np.array([nodes[n] for n in node_id.tolist()], float).reshape(-1, 2)
        way_ids = sorted(ways)
        u: list[int] = []
        v: list[int] = []
        owner: list[int] = []
        for k, wid in enumerate(way_ids):
            refs = ways[wid][0]
            for a, b in pairwise(refs):
                if a != b:
                    u.append(a)
                    v.append(b)
                    owner.append(k)
        return cls(node_id=node_id, lon=coords[:, 0], lat=coords[:, 1],
                   way_id=np.array(way_ids, dtype=np.int64),
                   tags=tuple(ways[w][1] for w in way_ids),
                   seg_u=np.searchsorted(node_id, np.array(u, np.int64)),
                   seg_v=np.searchsorted(node_id, np.array(v, np.int64)),
                   seg_way=np.array(owner, np.int64))

    def segment_lengths(self) -> np.ndarray:
        """Length of every segment (metres): given, else great-circle."""
        if self.seg_length is not None:
            return self.seg_length
        lon1, lat1 = np.radians(self.lon[self.seg_u]), np.radians(self.lat[self.seg_u])
        lon2, lat2 = np.radians(self.lon[self.seg_v]), np.radians(self.lat[self.seg_v])
        h = (np.sin((lat2 - lat1) / 2) ** 2
             + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
        return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


@dataclass(frozen=True)
class StreetEdges:
    """Simplified edges of all modes: node and segment sequences (CSR) and mode flags.

    ``nodes[node_ptr[i]:node_ptr[i + 1]]`` are the nodes of edge ``i`` (indices into
    :attr:`Ways.node_id`) in its direction of travel when ``oneway``; ``segs`` likewise
    the way segments it is made of.
    """

    node_ptr: np.ndarray
    nodes: np.ndarray
    seg_ptr: np.ndarray
    segs: np.ndarray
    walk: np.ndarray
    bike: np.ndarray
    car: np.ndarray
    oneway: np.ndarray

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return len(self.walk)

    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """First and last node of every edge."""
        return self.nodes[self.node_ptr[:-1]], self.nodes[self.node_ptr[1:] - 1]


def mode_arcs(ways: Ways, car_service_roads: bool = True
              ) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Directed arcs ``(tail, head, segment)`` of every mode, from the per-way rules."""
    rules = [way_modes(t, car_service_roads) for t in ways.tags]
    allowed = {m: np.array([getattr(r, m) for r in rules], bool)[ways.seg_way] for m in MODES}
    direction = np.array([r.car_direction for r in rules], np.int64)[ways.seg_way]
    seg = np.arange(ways.seg_u.size)
    out = {}
    for mode in ("walk", "bike"):
        s = seg[allowed[mode]]
        out[mode] = (np.r_[ways.seg_u[s], ways.seg_v[s]], np.r_[ways.seg_v[s], ways.seg_u[s]],
                     np.r_[s, s])
    fwd = seg[allowed["car"] & (direction >= 0)]
    back = seg[allowed["car"] & (direction <= 0)]
    out["car"] = (np.r_[ways.seg_u[fwd], ways.seg_v[back]],
                  np.r_[ways.seg_v[fwd], ways.seg_u[back]], np.r_[fwd, back])
    return out


def _canonical(nodes: tuple[int, ...], segs: tuple[int, ...]) -> tuple[tuple, bool]:
    """Orientation-free key of a path, and whether the path runs in the key's direction."""
    forward = (nodes, segs)
    backward = (nodes[::-1], segs[::-1])
    return (forward, True) if forward <= backward else (backward, False)


def _mode_paths(n_nodes: int, arcs: tuple[np.ndarray, np.ndarray, np.ndarray]
                ) -> Iterator[tuple[tuple[int, ...], tuple[int, ...]]]:
    tail, head, seg = arcs
    for nodes, arc in simplified_paths(n_nodes, tail, head):
        yield tuple(nodes.tolist()), tuple(seg[arc].tolist())


def edges_from_ways(ways: Ways, car_service_roads: bool = True) -> StreetEdges:
    """Every mode's simplified edges, merged where node and segment sequences agree."""
    n = ways.node_id.size
    flags: dict[tuple, list[bool]] = {}  # key -> walk, bike, car, car forward, car back
    for m, (mode, arcs) in enumerate(mode_arcs(ways, car_service_roads).items()):
        for nodes, segs in _mode_paths(n, arcs):
            key, forward = _canonical(nodes, segs)
            row = flags.setdefault(key, [False] * 5)
            row[m] = True
            if mode == "car":
                row[3 if forward else 4] = True
    keys = list(flags)
    rows = np.array([flags[k] for k in keys], bool).reshape(-1, 5)
    oneway = rows[:, 2] & (rows[:, 3] != rows[:, 4])
    flip = oneway & rows[:, 4]
    node_seqs = [k[0][::-1] if f else k[0] for k, f in zip(keys, flip.tolist(), strict=True)]
    seg_seqs = [k[1][::-1] if f else k[1] for k, f in zip(keys, flip.tolist(), strict=True)]
    return StreetEdges(
        node_ptr=np.r_[0, np.cumsum([len(s) for s in node_seqs])].astype(np.int64),
        nodes=np.fromiter((x for s in node_seqs for x in s), np.int64),
        seg_ptr=np.r_[0, np.cumsum([len(s) for s in seg_seqs])].astype(np.int64),
        segs=np.fromiter((x for s in seg_seqs for x in s), np.int64),
        walk=rows[:, 0].copy(), bike=rows[:, 1].copy(), car=rows[:, 2].copy(), oneway=oneway,
    )


def _per_edge_sum(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    sums = np.r_[0.0, np.cumsum(values)]
    return sums[ptr[1:]] - sums[ptr[:-1]]


def streets_from_ways(ways: Ways, crs: str = CRS, car_service_roads: bool = True) -> Streets:
    """:class:`Streets` (coordinates in ``crs``) from OSM ways; see :func:`edges_from_ways`."""
    edges = edges_from_ways(ways, car_service_roads)
    if edges.n_edges == 0:
        raise InputError("street network has no usable ways (expected streets or paths "
                         "that someone may walk, cycle or drive on)")
    seg_len = ways.segment_lengths()
    speed = np.array([car_speed_kmh(t.get("highway"), t.get("maxspeed")) for t in ways.tags]
                     )[ways.seg_way]
    length = _per_edge_sum(seg_len[edges.segs], edges.seg_ptr)
    hours = _per_edge_sum(seg_len[edges.segs] / 1000.0 / speed[edges.segs], edges.seg_ptr)
    first, last = edges.ends()
    used, index = np.unique(np.r_[first, last], return_inverse=True)
    x, y = (np.asarray(a, float) for a in lonlat_to_xy(ways.lon, ways.lat, crs))
    n = edges.n_edges
    return Streets(
        node_x=x[used], node_y=y[used], u=index[:n].astype(np.int64),
        v=index[n:].astype(np.int64), length_m=np.maximum(length, MIN_EDGE_LENGTH_M),
        walk=edges.walk, bike=edges.bike, car=edges.car,
        car_speed_kmh=np.where(hours > 0, length / 1000.0 / np.maximum(hours, 1e-12),
                               speed[edges.segs[edges.seg_ptr[:-1]]]),
        synthetic=np.zeros(n, bool), oneway=edges.oneway, node_id=ways.node_id[used],
        shape_ptr=edges.node_ptr, shape_x=x[edges.nodes], shape_y=y[edges.nodes],
    )
