"""Street layers from OSM files (sim.readers.osm)."""

from __future__ import annotations

import numpy as np
import pytest
from fixtures.baerum import DATA, needs_data

from sim.domain import utm_crs
from sim.readers.osm import graph_from_osm, streets_from_osm
from sim.readers.street_rules import car_speed_kmh, parse_maxspeed, way_modes
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
                  (11, [2, 3], {"highway": "motorway", "oneway": "yes"}),
                  (12, [2, 5], {"railway": "rail"})], nodes)
    b = _osm_xml([(10, [1, 2], {"highway": "residential", "maxspeed": "30"}),
                  (13, [3, 4], {"highway": "footway"}),
                  (14, [4, 4], {"highway": "service"})], nodes)
    (tmp_path / "a.osm").write_text(a)
    (tmp_path / "b.osm").write_text(b)
    return tmp_path / "a.osm", tmp_path / "b.osm"


def test_merge_dedupes_and_filters(two_extracts):
    s = streets_from_osm(two_extracts)
    assert s.n_nodes == 4  # railway-only node 5 dropped; node 2 shared
    assert s.n_edges == 3  # way 10 once, self-loop way 14 dropped, rail way dropped
    assert s.oneway.sum() == 1 and s.car[s.oneway].all()  # the motorway
    assert sorted(s.node_id.tolist()) == [1, 2, 3, 4]
    assert (s.length_m > 0).all()
    assert not s.synthetic.any()
    # projected to EPSG:25833 metres
    assert 250_000 < s.node_x.min() < 270_000 and 6_640_000 < s.node_y.min() < 6_660_000
    by_len = np.argsort(s.length_m)
    assert s.car.sum() == 2 and s.walk.sum() == 2 and s.bike.sum() == 2
    assert sorted(s.car_speed_kmh[s.car]) == pytest.approx([30.0, 100.0])
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


def _modes(**tags):
    m = way_modes(tags)
    return m.walk, m.bike, m.car


def test_way_modes_norwegian_rules():
    assert _modes(highway="footway") == (True, True, False)  # cycling on footways (§18)
    assert _modes(highway="cycleway") == (True, True, False)  # walking on cycleways
    assert _modes(highway="cycleway", foot="no") == (False, True, False)
    assert _modes(highway="trunk") == (True, True, True)  # as osmnx
    assert _modes(highway="trunk", motorroad="yes") == (False, False, True)
    assert _modes(highway="motorway") == (False, False, True)
    assert _modes(highway="steps") == (True, False, False)
    assert _modes(highway="footway", foot="use_sidepath") == (False, True, False)
    assert _modes(highway="primary", sidewalk="separate") == (False, True, True)
    assert _modes(highway="service", access="private") == (False, False, False)
    assert _modes(highway="service", access="private", foot="yes") == (True, False, False)
    assert _modes(highway="residential", access="no") == (True, True, True)  # as osmnx
    assert _modes(highway="residential", motor_vehicle="no") == (True, True, False)
    assert _modes(highway="service", service="driveway") == (True, True, False)
    assert _modes(highway="service", service="parking_aisle") == (True, True, False)
    assert _modes(highway="service") == (True, True, True)
    assert not way_modes({"highway": "service"}, car_service_roads=False).car
    assert _modes(highway="construction") == (False, False, False)
    assert _modes(highway="pedestrian", area="yes") == (False, False, False)


@pytest.mark.parametrize(("tags", "direction"), [
    ({"oneway": "yes"}, 1), ({"oneway": "-1"}, -1), ({"junction": "roundabout"}, 1),
    ({"highway": "motorway"}, 1), ({"highway": "motorway", "oneway": "no"}, 0), ({}, 0),
])
def test_car_direction(tags, direction):
    assert way_modes({"highway": "residential", **tags}).car_direction == direction


def test_oneway_minus_one_reverses_the_car_edge(tmp_path):
    nodes = {1: (10.60, 59.90), 2: (10.601, 59.90), 3: (10.602, 59.90)}
    xml = _osm_xml([(1, [1, 2], {"highway": "residential"}),
                    (2, [2, 3], {"highway": "residential", "oneway": "-1"}),
                    (3, [3, 1], {"highway": "footway"})], nodes)
    (tmp_path / "x.osm").write_text(xml)
    s = streets_from_osm([tmp_path / "x.osm"])
    one = np.flatnonzero(s.oneway)
    assert len(one) == 1
    assert (s.node_id[s.u[one[0]]], s.node_id[s.v[one[0]]]) == (3, 2)
    tail, head, _ = s.car_arcs()
    assert sorted(zip(s.node_id[tail].tolist(), s.node_id[head].tolist(), strict=True)) == [
        (1, 2), (2, 1), (3, 2)]


def test_lengths_are_true_far_from_utm_33(tmp_path):
    """A street in Chile: great-circle lengths, and the local UTM zone keeps straight
    lines true, where EPSG:25833 would stretch them by far more than 10 %."""
    nodes = {1: (-70.65, -33.45), 2: (-70.64, -33.45)}
    (tmp_path / "cl.osm").write_text(_osm_xml([(1, [1, 2], {"highway": "residential"})],
                                              nodes))
    crs = utm_crs(-70.65, -33.45)
    s = streets_from_osm([tmp_path / "cl.osm"], crs=crs)
    assert crs == "EPSG:32719"
    # 0.01° of longitude at 33.45° S: 6,371,009 m × π/180 × 0.01 × cos(33.45°)
    assert s.length_m[0] == pytest.approx(927.78, abs=0.1)
    straight = np.hypot(np.diff(s.node_x), np.diff(s.node_y))[0]
    assert straight == pytest.approx(s.length_m[0], rel=0.005)  # sphere vs ellipsoid
    far = streets_from_osm([tmp_path / "cl.osm"])  # EPSG:25833
    assert far.length_m[0] == pytest.approx(s.length_m[0])
    assert np.hypot(np.diff(far.node_x), np.diff(far.node_y))[0] > 1.1 * s.length_m[0]


def test_shapes_follow_the_way(tmp_path):
    nodes = {1: (10.60, 59.90), 2: (10.601, 59.901), 3: (10.602, 59.90)}
    (tmp_path / "x.osm").write_text(_osm_xml([(1, [1, 2, 3], {"highway": "footway"})], nodes))
    s = streets_from_osm([tmp_path / "x.osm"])
    assert s.n_edges == 1 and s.n_nodes == 2  # node 2 is a bend, not a node
    shape = s.edge_shape(0)
    assert shape.shape == (3, 2)
    assert s.length_m[0] == pytest.approx(np.hypot(*np.diff(shape, axis=0).T).sum(), rel=0.01)


@needs_data
def test_oslo_east_walk_graph():
    s = streets_from_osm([DATA / "oslo_east.osm.pbf"])
    walk_nodes = np.unique(np.concatenate([s.u[s.walk], s.v[s.walk]]))
    assert len(walk_nodes) == pytest.approx(19_719, rel=0.10)
    assert s.n_nodes == pytest.approx(19_719, rel=0.10)
    car = s.car & ~s.synthetic
    assert 0.2 < (s.length_m[car & s.oneway].sum() / s.length_m[car].sum()) < 0.6
    assert (s.length_m > 0).all()
    labels = component_labels(s)
    assert np.bincount(labels[walk_nodes]).max() / len(walk_nodes) >= 0.95
    assert s.car.any() and s.bike.any()
    assert np.isfinite(s.car_speed_kmh).all() and (s.car_speed_kmh > 0).all()


def test_graphml_roundtrip(two_extracts, tmp_path):
    """An unsimplified osmnx GraphML of the same ways gives the same layers."""
    import osmnx as ox

    G = graph_from_osm(two_extracts, simplify=False)
    path = tmp_path / "streets.graphml"
    ox.save_graphml(G, path)
    a = streets_from_osm(two_extracts)
    b = streets_from_osm([path])
    assert (a.n_nodes, a.n_edges) == (b.n_nodes, b.n_edges)
    np.testing.assert_allclose(np.sort(a.length_m), np.sort(b.length_m))
    for mode in ("walk", "bike", "car", "oneway"):
        assert getattr(a, mode).sum() == getattr(b, mode).sum(), mode
