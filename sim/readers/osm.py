"""Street networks from OpenStreetMap files: walk, bike and car layers as :class:`Streets`.

Reads ``.osm``, ``.osm.bz2`` and ``.osm.pbf`` with pyosmium (highway ways and their
nodes), or a GraphML graph saved by osmnx. Several extracts are merged; OSM node and
way ids are deduplicated. Permissions are decided per way and each mode is simplified
on its own (:mod:`sim.readers.streets`); coordinates are projected to the region's CRS.

:func:`graph_from_osm` gives the same files as an osmnx graph (for comparisons).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import osmium
import osmnx as ox

from sim.domain import CRS, Streets
from sim.errors import InputError
from sim.readers.street_rules import NOT_STREETS, RULE_TAGS
from sim.readers.streets import Ways, streets_from_ways

log = logging.getLogger(__name__)

#: Way tags osmnx keeps on graph edges besides its defaults (downloads and comparisons):
#: every tag the street rules read.
STREET_WAY_TAGS = RULE_TAGS

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


def street_tags(**more: Any) -> AbstractContextManager[None]:
    """osmnx keeps :data:`STREET_WAY_TAGS` on edges inside this block (plus ``more``
    settings)."""
    tags = list(dict.fromkeys([*ox.settings.useful_tags_way, *STREET_WAY_TAGS]))
    return osmnx_settings(useful_tags_way=tags, **more)


def _check_files(paths: Sequence[Path | str]) -> list[Path]:
    files = [Path(p) for p in paths]
    if not files:
        raise InputError("no OSM files given (expected at least one .osm/.osm.pbf/.graphml)")
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: file not found (expected an OSM extract)")
        name = path.name.lower()
        if not (name.endswith(_OSM_SUFFIXES) or name.endswith(".graphml")):
            raise InputError(f"{path}: unknown street file type (expected {_OSM_SUFFIXES} "
                             "or .graphml)")
    if any(p.name.lower().endswith(".graphml") for p in files) and len(files) != 1:
        raise InputError(f"{files[0]}: a GraphML street file cannot be merged with others")
    return files


def _keep_way(tags: osmium.osm.TagList) -> bool:
    highway = tags.get("highway")
    return highway is not None and highway not in NOT_STREETS and tags.get("area") != "yes"


def _read_osm(paths: Sequence[Path]) -> tuple[dict[int, tuple[float, float]],
                                              dict[int, tuple[list[int], dict[str, str]]]]:
    """Highway ways (refs, rule tags) and their nodes' (lon, lat), deduplicated by id."""
    nodes: dict[int, tuple[float, float]] = {}
    ways: dict[int, tuple[list[int], dict[str, str]]] = {}
    keep = set(RULE_TAGS)
    for path in paths:
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
                    ways[obj.id] = (refs, {t.k: t.v for t in obj.tags if t.k in keep})
        except (RuntimeError, osmium.InvalidLocationError, ValueError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise InputError(f"{path}: not a readable OSM file ({msg})") from None
    if not ways:
        raise InputError(
            f"{', '.join(str(p) for p in paths)}: no highway ways found "
            "(expected an OSM extract with streets)"
        )
    return nodes, ways


def ways_from_osm(paths: Sequence[Path | str]) -> Ways:
    """The highway ways of OSM extracts (merged) or of one osmnx GraphML file."""
    files = _check_files(paths)
    if files[0].name.lower().endswith(".graphml"):
        try:
            G = ox.load_graphml(files[0])
        except Exception as exc:
            raise InputError(f"{files[0]}: not a readable osmnx GraphML file ({exc})") from None
        return ways_from_graph(G, files[0])
    return Ways.from_dicts(*_read_osm(files))


def _first(value: object) -> str:
    return str(value[0] if isinstance(value, list | tuple) and value else value)


def ways_from_graph(G: nx.MultiDiGraph, where: Path | str = "graph") -> Ways:
    """Ways from an unprojected osmnx graph: one two-node way per edge (twins merged).

    A two-way street appears in osmnx as two edges (one per direction); one of them is
    kept with ``oneway=no``. Edges of a simplified graph may hold several ways: their
    first tag value is used, so permissions are only as good as that graph's edges.
    """
    crs = str(G.graph.get("crs", "")).lower()
    if "4326" not in crs:
        raise InputError(f"{where}: street graph must be unprojected (EPSG:4326), got "
                         f"crs {crs or 'none'}")
    if G.graph.get("simplified"):
        log.warning("%s: simplified graph; walk/bike/car permissions are decided per "
                    "simplified edge, not per OSM way", where)
    seen: dict[tuple, int] = {}
    rows: list[tuple[int, int, float, dict[str, str]]] = []
    for u, v, data in G.edges(data=True):
        if u == v:
            continue
        osmid = data.get("osmid")
        osmid = tuple(sorted(osmid)) if isinstance(osmid, list) else osmid
        key = (min(u, v), max(u, v), osmid, round(float(data.get("length", 0.0)), 1))
        if key in seen:
            rows[seen[key]][3]["oneway"] = "no"
            continue
        seen[key] = len(rows)
        tags = {k: _first(data[k]) for k in RULE_TAGS if k in data and k != "oneway"}
        tags["oneway"] = "yes"
        rows.append((int(u), int(v), float(data.get("length", np.nan)), tags))
    if not rows:
        raise InputError(f"{where}: street graph has no edges (expected at least one street)")
    nodes = {int(n): (float(d["x"]), float(d["y"])) for n, d in G.nodes(data=True)}
    built = Ways.from_dicts(nodes, {k: ([u, v], tags) for k, (u, v, _, tags) in enumerate(rows)})
    given = np.array([r[2] for r in rows])
    straight = built.segment_lengths()
    return replace(built, seg_length=np.where(np.isfinite(given),
                                              np.maximum(given, straight), straight))


def streets_from_osm(paths: Iterable[Path | str], crs: str = CRS,
                     car_service_roads: bool = True) -> Streets:
    """Walk, bike and car layers of OSM extracts (merged) or one GraphML file.

    Parameters
    ----------
    paths
        ``.osm``, ``.osm.bz2``, ``.osm.pbf`` files, or a single osmnx ``.graphml``.
    crs
        Projected CRS of the node coordinates (the region's).
    car_service_roads
        Cars use ``highway=service`` roads other than driveways, parking aisles,
        alleys, emergency access and private ones; False: none (osmnx ``drive``).
    """
    return streets_from_ways(ways_from_osm(list(paths)), crs, car_service_roads)


def osm_xml_from_files(paths: Sequence[Path | str], out_path: Path) -> tuple[int, int]:
    """Write the highway ways of one or more OSM files (and their nodes) to OSM XML.

    Node and way ids are deduplicated across files. Returns ``(n_nodes, n_ways)``.
    Raises :class:`InputError` for a missing, unreadable or truncated file.
    """
    nodes, ways = _read_osm(_check_files(paths))
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
    """An osmnx graph (unprojected, directed as osmnx's ``all``) of OSM extracts or one
    GraphML file; for comparisons with osmnx, the layers use :func:`streets_from_osm`."""
    files = _check_files(paths)
    if files[0].name.lower().endswith(".graphml"):
        return ox.load_graphml(files[0])
    with street_tags(), tempfile.TemporaryDirectory(prefix="baerum-sim-osm-") as tmp:
        xml = Path(tmp) / "streets.osm"
        osm_xml_from_files(files, xml)
        G = ox.graph_from_xml(xml, simplify=False, retain_all=True)
    if not retain_all:
        G = ox.truncate.largest_component(G, strongly=False)
    return ox.simplify_graph(G) if simplify else G
