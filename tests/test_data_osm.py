"""Street layers from OSM files (sim.readers.osm)."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.baerum import DATA, needs_data

from sim.readers.osm import (
    car_speed_kmh,
    edge_modes,
    graph_from_osm,
    parse_maxspeed,
    streets_from_graph,
    streets_from_osm,
)
from sim.region.lattice import walk_components as component_labels


def _osm_xml(ways: list[tuple[int, list[int], dict]], nodes: dict[int, tuple[float, float]]):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6">']
    for nid, (lon, lat) in nodes.items():
        parts.append(f'<node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        parts.append(f'<way id="{wid}" version="1">')
        parts += [f'<nd ref="{r}"/>' for r in refs]
        parts += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        parts.append("</way>")
    parts.append("</osm>")
    return "\n".join(parts)


@pytest.fixture
def two_extracts(tmp_path):
    """Two overlapping tiny extracts sharing node 2 and way 10."""
    nodes = {1: (10.60, 59.90), 2: (10.601, 59.90), 3: (10.602, 59.90), 4: (10.603, 59.901),
             5: (10.601, 59.9005)}
    a = _osm_xml([(10, [1, 2], {"highway": "residential", "maxspeed": "30"}),
                  (11, [2, 3], {"highway": "motorway"}),
                  (12, [2, 5], {"railway": "rail"})], nodes)
    b = _osm_xml([(10, [1, 2], {"highway": "residential", "maxspeed": "30"}),
                  (13, [3, 4], {"highway": "footway"}),
                  (14, [4, 4], {"highway": "service"})], nodes)
    (tmp_path / "a.osm").write_text(a)
    (tmp_path / "b.osm").write_text(b)
    return tmp_path / "a.osm", tmp_path / "b.osm"


def test_merge_dedupes_and_filters(two_extracts):
    s = streets_from_osm(two_extracts, simplify=False)
    assert s.n_nodes == 4  # railway-only node 5 dropped; node 2 shared
    assert s.n_edges == 3  # way 10 once, self-loop way 14 dropped, rail way dropped
    assert (s.length_m > 0).all()
    assert not s.synthetic.any()
    # projected to EPSG:25833 metres
    assert 250_000 < s.node_x.min() < 270_000 and 6_640_000 < s.node_y.min() < 6_660_000
    by_len = np.argsort(s.length_m)
    assert s.car.sum() == 2 and s.walk.sum() == 2 and s.bike.sum() == 2
    assert sorted(s.car_speed_kmh[s.car]) == [30.0, 100.0]
    assert np.all(s.length_m[by_len] > 50)


@pytest.mark.parametrize(("value", "expected"), [
    ("50", 50.0), ("NO:urban", 50.0), ("NO:rural", 80.0), ("30 mph", 30 * 1.609344),
    (["60", "40"], 40.0), ("40;60", 40.0), ("signals", np.nan), (None, np.nan),
])
def test_parse_maxspeed(value, expected):
    got = parse_maxspeed(value)
    assert (np.isnan(got) and np.isnan(expected)) or got == pytest.approx(expected)


def test_default_speeds():
    assert car_speed_kmh("motorway", None) == 100
    assert car_speed_kmh("trunk", None) == 80
    assert car_speed_kmh(["secondary", "primary"], None) == 60
    assert car_speed_kmh("residential", "NO:urban") == 50
    assert car_speed_kmh("service", None) == 20


def test_edge_modes():
    assert edge_modes({"highway": "footway"}) == (True, True, False)
    assert edge_modes({"highway": "trunk"}) == (False, True, True)
    assert edge_modes({"highway": "trunk", "sidewalk": "both"}) == (True, True, True)
    assert edge_modes({"highway": "motorway"}) == (False, False, True)
    assert edge_modes({"highway": "steps"}) == (True, False, False)
    assert edge_modes({"highway": "cycleway", "foot": "no"}) == (False, True, False)
    assert edge_modes({"highway": "service", "access": "private"}) == (False, False, False)


@needs_data
def test_oslo_east_walk_graph():
    s = streets_from_osm([DATA / "oslo_east.osm.pbf"])
    walk_nodes = np.unique(np.concatenate([s.u[s.walk], s.v[s.walk]]))
    assert len(walk_nodes) == pytest.approx(19_719, rel=0.10)
    assert s.n_nodes == pytest.approx(19_719, rel=0.10)
    assert (s.length_m > 0).all()
    labels = component_labels(s)
    assert np.bincount(labels).max() / s.n_nodes >= 0.95
    assert s.car.any() and s.bike.any()
    assert np.isfinite(s.car_speed_kmh).all() and (s.car_speed_kmh > 0).all()


def test_graphml_roundtrip(two_extracts, tmp_path):
    import osmnx as ox

    G = graph_from_osm(two_extracts, simplify=False)
    path = tmp_path / "streets.graphml"
    ox.save_graphml(G, path)
    a = streets_from_graph(G)
    b = streets_from_osm([path])
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
    np.testing.assert_allclose(np.sort(a.length_m), np.sort(b.length_m))
