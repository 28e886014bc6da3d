"""Street networks from OpenStreetMap files: walk, bike and car layers as :class:`Streets`.

Reads ``.osm``, ``.osm.bz2`` and ``.osm.pbf`` with pyosmium (filtered to highway ways and
written to a temporary OSM XML file that osmnx reads with ``graph_from_xml``), or GraphML
saved by osmnx. Several extracts are merged; OSM node and way ids are deduplicated.
The graph is simplified, projected to EPSG:25833 and turned into undirected edge arrays.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmium
import osmnx as ox
from pyproj import Transformer

from sim.domain import CRS, Streets
from sim.errors import InputError

#: Highway values that are never part of a usable network (osmnx "all" filter, plus
#: platforms and areas).
EXCLUDED_HIGHWAYS = frozenset(
    {
        "abandoned", "construction", "no", "planned", "platform", "proposed", "raceway",
        "razed", "bus_stop", "elevator", "services", "rest_area", "emergency_bay",
    }
)

#: Drivable highway classes.
CAR_HIGHWAYS = frozenset(
    {
        "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link",
        "secondary", "secondary_link", "tertiary", "tertiary_link", "unclassified",
        "residential", "living_street", "service", "road",
    }
)

#: Classes where pedestrians are not allowed unless a sidewalk or foot tag says so.
NO_WALK_HIGHWAYS = frozenset({"motorway", "motorway_link", "trunk", "trunk_link"})

#: Classes where bicycles are not allowed unless a bicycle tag says so.
NO_BIKE_HIGHWAYS = frozenset({"motorway", "motorway_link", "steps", "corridor"})

#: Default car speeds (km/h) by highway class when ``maxspeed`` is missing. Estimates
#: [E] from the Norwegian general limits (trafikkreglene §13: 50 km/h in built-up
#: areas, 80 km/h elsewhere) and typical signed limits: motorway 90–110 (100 used),
#: trunk 80, primary/secondary 60, tertiary 50, residential 30–40 (30 used), service 20.
DEFAULT_SPEEDS_KMH: dict[str, float] = {
    "motorway": 100.0,
    "motorway_link": 60.0,
    "trunk": 80.0,
    "trunk_link": 50.0,
    "primary": 60.0,
    "primary_link": 50.0,
    "secondary": 60.0,
    "secondary_link": 50.0,
    "tertiary": 50.0,
    "tertiary_link": 40.0,
    "unclassified": 50.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 20.0,
    "road": 40.0,
}

#: Speed used where nothing better is known (km/h) [E].
FALLBACK_SPEED_KMH = 30.0

#: Symbolic Norwegian maxspeed values (trafikkreglene §13).
SYMBOLIC_SPEEDS_KMH: dict[str, float] = {
    "no:urban": 50.0,
    "no:rural": 80.0,
    "no:motorway": 110.0,
    "no:living_street": 7.0,
    "walk": 7.0,
}

#: Minimum length of an edge, metres; shorter edges between distinct nodes are set to it.
MIN_EDGE_LENGTH_M = 0.5

#: Way tags kept on graph edges besides osmnx's defaults: the mode masks and speeds need
#: them. Used for local files and for downloads alike.
STREET_WAY_TAGS = ("sidewalk", "foot", "bicycle", "motor_vehicle", "motorcar", "area",
                   "maxspeed")

_OSM_SUFFIXES = (".osm", ".osm.bz2", ".osm.gz", ".osm.pbf", ".pbf", ".xml", ".osm.xml")


@contextmanager
def osmnx_settings(**values: Any) -> Iterator[None]:
    """Set ``osmnx.settings`` attributes for the duration of a block, then restore them.

    osmnx keeps its settings as module globals; this keeps every change local.
    """
    old = {name: getattr(ox.settings, name) for name in values}
    try:
        for name, value in values.items():
            setattr(ox.settings, name, value)
        yield
    finally:
        for name, value in old.items():
            setattr(ox.settings, name, value)


def street_tags() -> AbstractContextManager[None]:
    """osmnx keeps :data:`STREET_WAY_TAGS` on edges inside this block."""
    tags = list(dict.fromkeys([*ox.settings.useful_tags_way, *STREET_WAY_TAGS]))
    return osmnx_settings(useful_tags_way=tags)


def _suffix_ok(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith(_OSM_SUFFIXES) or name.endswith(".graphml")


def _keep_way(tags: osmium.osm.TagList) -> bool:
    highway = tags.get("highway")
    if highway is None or highway in EXCLUDED_HIGHWAYS:
        return False
    return tags.get("area", "no") != "yes"


def osm_xml_from_files(paths: Sequence[Path | str], out_path: Path) -> tuple[int, int]:
    """Write the highway ways of one or more OSM files (and their nodes) to OSM XML.

    Node and way ids are deduplicated across files. Returns ``(n_nodes, n_ways)``.
    Raises :class:`InputError` for a missing, unreadable or truncated file.
    """
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, tuple[list[int], dict[str, str]]] = {}
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise InputError(f"{path}: file not found (expected an OSM extract)")
        try:
            processor = osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            for obj in processor.with_locations():
                if (not isinstance(obj, osmium.osm.Way) or obj.id in ways
                        or not _keep_way(obj.tags)):
                    continue
                refs: list[int] = []
                for node in obj.nodes:
                    if not node.location.valid():
                        continue
                    refs.append(node.ref)
                    nodes.setdefault(node.ref, (node.location.lon, node.location.lat))
                if len(refs) >= 2:
                    ways[obj.id] = (refs, {t.k: t.v for t in obj.tags})
        except (RuntimeError, osmium.InvalidLocationError, ValueError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{path}: not a readable OSM file ({msg})") from None
    if not ways:
        raise InputError(
            f"{', '.join(str(p) for p in paths)}: no highway ways found "
            "(expected an OSM extract with streets)"
        )
    out_path = Path(out_path)
    if out_path.exists():
        out_path.unlink()
    with osmium.SimpleWriter(str(out_path)) as writer:
        for node_id in sorted(nodes):
            lon, lat = nodes[node_id]
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(lon, lat), version=1))
        for way_id in sorted(ways):
            refs, tags = ways[way_id]
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags, version=1))
    return len(nodes), len(ways)


def graph_from_osm(
    paths: Sequence[Path | str], simplify: bool = True, retain_all: bool = True
) -> nx.MultiDiGraph:
    """An osmnx graph (unprojected) from OSM extracts or one GraphML file.

    Parameters
    ----------
    paths
        ``.osm``, ``.osm.bz2``, ``.osm.pbf`` files (merged), or a single ``.graphml``.
    simplify
        Simplify the topology (osmnx ``simplify_graph``).
    retain_all
        Keep all components, not only the largest one.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("no OSM files given (expected at least one .osm/.osm.pbf/.graphml)")
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: file not found (expected an OSM extract)")
        if not _suffix_ok(path):
            raise InputError(f"{path}: unknown street file type (expected {_OSM_SUFFIXES} "
                             "or .graphml)")
    if any(p.name.lower().endswith(".graphml") for p in files):
        if len(files) != 1:
            raise InputError(f"{files[0]}: a GraphML street file cannot be merged with others")
        try:
            return ox.load_graphml(files[0])
        except Exception as exc:
            raise InputError(f"{files[0]}: not a readable osmnx GraphML file ({exc})") from None
    with street_tags(), tempfile.TemporaryDirectory(prefix="baerum-sim-osm-") as tmp:
        xml = Path(tmp) / "streets.osm"
        osm_xml_from_files(files, xml)
        G = ox.graph_from_xml(xml, simplify=False, retain_all=True)
    if not retain_all:
        G = ox.truncate.largest_component(G, strongly=False)
    if simplify:
        G = ox.simplify_graph(G)
    return G


def parse_maxspeed(value: object) -> float:
    """km/h from an OSM ``maxspeed`` value (number, ``"NO:urban"``, ``"30 mph"``, lists).

    Returns NaN when the value cannot be read; for several values the lowest is used.
    """
    if value is None:
        return np.nan
    if isinstance(value, (list, tuple)):
        speeds = [parse_maxspeed(v) for v in value]
        speeds = [s for s in speeds if np.isfinite(s)]
        return min(speeds) if speeds else np.nan
    if isinstance(value, (int, float)):
        return float(value) if value > 0 else np.nan
    text = str(value).strip().lower()
    if ";" in text:
        return parse_maxspeed(text.split(";"))
    if text in SYMBOLIC_SPEEDS_KMH:
        return SYMBOLIC_SPEEDS_KMH[text]
    match = re.match(r"^(\d+(?:\.\d+)?)\s*(mph|km/h|kmh)?$", text)
    if not match:
        return np.nan
    speed = float(match.group(1))
    if match.group(2) == "mph":
        speed *= 1.609344
    return speed if speed > 0 else np.nan


def _values(value: object) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [] if value is None else [str(value)]


def car_speed_kmh(highway: object, maxspeed: object) -> float:
    """Car speed of an edge: ``maxspeed`` when readable, else the class default."""
    speed = parse_maxspeed(maxspeed)
    if np.isfinite(speed):
        return speed
    defaults = [DEFAULT_SPEEDS_KMH[h] for h in _values(highway) if h in DEFAULT_SPEEDS_KMH]
    return min(defaults) if defaults else FALLBACK_SPEED_KMH


def edge_modes(data: dict) -> tuple[bool, bool, bool]:
    """``(walk, bike, car)`` permissions of one edge from its OSM tags."""
    highways = set(_values(data.get("highway")))
    foot = set(_values(data.get("foot")))
    bicycle = set(_values(data.get("bicycle")))
    sidewalk = set(_values(data.get("sidewalk")))
    access = set(_values(data.get("access")))
    motor = set(_values(data.get("motor_vehicle"))) | set(_values(data.get("motorcar")))
    yes = {"yes", "designated", "permissive"}
    closed = {"no", "private"}
    walk_allowed = bool(foot & yes) or bool(sidewalk & {"both", "left", "right", "yes"})
    walk = not (highways <= NO_WALK_HIGHWAYS) or walk_allowed
    if foot & {"no"} or (access & closed and not foot & yes):
        walk = False
    bike = not (highways <= NO_BIKE_HIGHWAYS) or bool(bicycle & yes)
    if bicycle & {"no", "dismount"} or (access & closed and not bicycle & yes):
        bike = False
    car = bool(highways & CAR_HIGHWAYS)
    if motor & closed or (access & closed and not motor & yes):
        car = False
    return walk, bike, car


def _undirected_edges(G: nx.MultiDiGraph) -> list[tuple[int, int, dict]]:
    """One edge per street segment: drop self-loops and the reverse twin of two-way edges.

    Twins are recognised by (unordered node pair, OSM way id(s), length to 0.1 m) —
    the same test osmnx ``to_undirected`` makes, without its slow geometry comparison.
    """
    seen: set[tuple] = set()
    rows = []
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        osmid = data.get("osmid")
        osmid = tuple(sorted(osmid)) if isinstance(osmid, list) else osmid
        key = (min(u, v), max(u, v), osmid, round(float(data.get("length", 0.0)), 1))
        if key in seen:
            continue
        seen.add(key)
        rows.append((u, v, data))
    return rows


def streets_from_graph(G: nx.MultiGraph | nx.MultiDiGraph) -> Streets:
    """Undirected :class:`Streets` arrays (EPSG:25833) from an osmnx graph.

    Node coordinates are transformed with pyproj; edge lengths are osmnx's ``length``
    (metres) but never shorter than the straight line. Self-loops are dropped; edges
    shorter than :data:`MIN_EDGE_LENGTH_M` get that length; nodes without edges are
    dropped.
    """
    if len(G) == 0:
        raise InputError("street graph is empty (expected at least one street)")
    crs = G.graph.get("crs")
    if crs is None:
        raise InputError("street graph has no CRS (expected osmnx graph with 'crs')")
    rows = _undirected_edges(G) if isinstance(G, nx.MultiDiGraph) else [
        (u, v, d) for u, v, d in G.edges(data=True) if u != v]
    if not rows:
        raise InputError("street graph has no edges (expected at least one street)")
    used = sorted({n for u, v, _ in rows for n in (u, v)})
    index = {n: i for i, n in enumerate(used)}
    transformer = Transformer.from_crs(crs, CRS, always_xy=True)
    node_x, node_y = transformer.transform(
        np.array([float(G.nodes[n]["x"]) for n in used]),
        np.array([float(G.nodes[n]["y"]) for n in used]),
    )
    node_x, node_y = np.asarray(node_x, float), np.asarray(node_y, float)
    u = np.array([index[r[0]] for r in rows], dtype=np.int64)
    v = np.array([index[r[1]] for r in rows], dtype=np.int64)
    straight = np.hypot(node_x[u] - node_x[v], node_y[u] - node_y[v])
    length = np.array([float(r[2].get("length", np.nan)) for r in rows])
    length = np.where(np.isfinite(length), length, straight)
    length = np.maximum(np.maximum(length, straight), MIN_EDGE_LENGTH_M)
    modes = np.array([edge_modes(r[2]) for r in rows], dtype=bool).reshape(-1, 3)
    speed = np.array([car_speed_kmh(r[2].get("highway"), r[2].get("maxspeed")) for r in rows])
    return Streets(
        node_x=node_x,
        node_y=node_y,
        u=u,
        v=v,
        length_m=length,
        walk=modes[:, 0].copy(),
        bike=modes[:, 1].copy(),
        car=modes[:, 2].copy(),
        car_speed_kmh=speed,
        synthetic=np.zeros(len(rows), dtype=bool),
    )


def streets_from_osm(paths: Iterable[Path | str], simplify: bool = True) -> Streets:
    """Street arrays from OSM extracts (merged) or one GraphML file; see :func:`graph_from_osm`."""
    return streets_from_graph(graph_from_osm(list(paths), simplify=simplify))
