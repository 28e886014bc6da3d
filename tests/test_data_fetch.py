"""`data fetch` with the network layer replaced: which areas, tags and URLs it asks for."""

from __future__ import annotations

import io
import urllib.error
import urllib.request

import geopandas as gpd
import networkx as nx
import pytest
import shapely

import sim.app
import sim.readers.fetch as online
import sim.region.fetch
from sim.cli import main
from sim.region.pack import load_pack

BOX = shapely.box(10.45, 59.88, 10.65, 59.96)


@pytest.fixture
def fake_network(monkeypatch, tmp_path):
    calls: dict[str, list] = {"geocode": [], "graph": [], "features": [], "download": []}

    def geocode_to_gdf(query, **kw):
        calls["geocode"].append(query)
        return gpd.GeoDataFrame({"name": ["Bærum"]}, geometry=[BOX], crs="EPSG:4326")

    def graph_from_polygon(polygon, **kw):
        calls["graph"].append((polygon, kw))
        G = nx.MultiDiGraph(crs="epsg:4326")
        G.add_node(1, x=10.5, y=59.9)
        G.add_node(2, x=10.51, y=59.9)
        G.add_edge(1, 2, osmid=7, highway="residential", length=560.0)
        return G

    def features_from_polygon(polygon, tags):
        calls["features"].append((polygon, tags))
        return gpd.GeoDataFrame({"shop": ["supermarket"], "name": ["Kiwi"]},
                                geometry=[shapely.Point(10.52, 59.9)], crs="EPSG:4326")

    def download_file(url, dest, timeout=60):
        calls["download"].append(url)
        dest.write_bytes(b"data")
        return dest

    monkeypatch.setattr(online.ox, "geocode_to_gdf", geocode_to_gdf)
    monkeypatch.setattr(online.ox, "graph_from_polygon", graph_from_polygon)
    monkeypatch.setattr(online.ox, "features_from_polygon", features_from_polygon)
    monkeypatch.setattr(online, "download_file", download_file)
    return calls


def test_fetch_asks_for_boundary_streets_pois_and_urls(fake_network, tmp_path):
    pack = load_pack("baerum")
    out = sim.region.fetch.fetch_inputs(pack, tmp_path / "inputs")
    calls = fake_network
    assert calls["geocode"] == [pack.fetch.boundary_query]
    polygon, kw = calls["graph"][0]
    assert polygon.equals(BOX)
    assert kw["network_type"] == "all" and kw["retain_all"] is True
    polygon, tags = calls["features"][0]
    assert polygon.equals(BOX)
    assert "supermarket" in tags["shop"] and "kindergarten" in tags["amenity"]
    assert "school" in tags["amenity"] and "park" in tags["leisure"]
    assert "bus_stop" in tags["highway"]
    assert calls["download"] == [pack.fetch.population_url, pack.fetch.gtfs_url]
    assert "ssb" in pack.fetch.population_note.lower()
    assert "entur" in pack.fetch.gtfs_note.lower()
    for name in ("boundary.geojson", "streets.graphml", "pois.gpkg", "population.zip",
                 "gtfs.zip"):
        assert (out / name).is_file()
    assert not list(out.glob("*.part*"))


def test_fetch_resumes(fake_network, tmp_path):
    pack = load_pack("baerum")
    sim.region.fetch.fetch_inputs(pack, tmp_path / "inputs")
    for v in fake_network.values():
        v.clear()
    sim.region.fetch.fetch_inputs(pack, tmp_path / "inputs")
    assert fake_network == {"geocode": [], "graph": [], "features": [], "download": []}


def test_fetch_cli(fake_network, monkeypatch, tmp_path):
    real = sim.app.fetch_region

    def fetch_region(name):
        return real(name, dest=tmp_path / "inputs")

    monkeypatch.setattr(sim.app, "fetch_region", fetch_region)
    assert main(["data", "fetch", "baerum", "--quiet"]) == 0
    assert (tmp_path / "inputs" / "streets.graphml").is_file()


class _Response(io.BytesIO):
    def __init__(self, data: bytes, status: int):
        super().__init__(data)
        self.status = status
        self.length = len(data)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_resumes_partial_file(monkeypatch, tmp_path):
    requests = []

    def urlopen(request, timeout=60):
        requests.append(request)
        return _Response(b"world", 206)

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    dest = tmp_path / "f.zip"
    (tmp_path / "f.zip.part").write_bytes(b"hello ")
    online.download_file("https://example.org/f.zip", dest)
    assert dest.read_bytes() == b"hello world"
    assert requests[0].get_header("Range") == "bytes=6-"
    assert requests[0].full_url == "https://example.org/f.zip"


def test_download_failure_is_input_error(monkeypatch, tmp_path):
    from sim.errors import InputError

    def urlopen(request, timeout=60):
        raise urllib.error.URLError("no route")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
    with pytest.raises(InputError, match="download failed"):
        online.download_file("https://example.org/x", tmp_path / "x")
