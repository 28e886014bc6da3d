"""The online route, proven offline: `data fetch` + `data import` + `run` against stand-ins.

A local HTTP server on 127.0.0.1 plays Overpass (answering osmnx's own queries from the
real Fornebu–Lysaker OSM file and, for points of interest, Kartverket's place names with
their OSM tags), Nominatim (the real Bærum boundary), Geonorge (the real
SSB grid, zipped) and Entur (a real GTFS zip). The region pack's URLs point at it;
osmnx's ``overpass_url``/``nominatim_url`` are set only while fetching. No test here
can reach the internet (``no_internet``).
"""

from __future__ import annotations

import io
import json
import shutil
import urllib.request
import zipfile

import geopandas as gpd
import numpy as np
import osmnx as ox
import pytest
from fixtures.baerum import DATA, needs_data
from fixtures.overpass import nodes_from_geojson
from fixtures.standin import StandIn, serving

import sim.readers.fetch as online
from sim.cli import main
from sim.readers.osm import streets_from_osm
from sim.settings import NETWORK_DATA_DIR

pytestmark = [needs_data, pytest.mark.usefixtures("no_internet")]


def _zipped(path, name: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(path, name)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def stand_in():
    files = {"population.zip": _zipped(DATA / "ssb_pop250m_2023_akershus.gpkg",
                                       "Befolkning_0000_Norge_25833.gpkg"),
             "gtfs.zip": (DATA / "flybus_gtfs_2016.zip").read_bytes()}
    server = StandIn(osm_file=DATA / "fornebu_lysaker_2026-03.osm.bz2",
                     boundary_file=DATA / "baerum_boundary_2024.geojson",
                     place="Bærum, Akershus, Norge", files=files,
                     extra_nodes=nodes_from_geojson(DATA / "baerum_placenames_ssr.geojson"))
    with serving(server) as running:
        yield running


@pytest.fixture
def online_pack(stand_in, tmp_path, monkeypatch):
    """A copy of the Bærum pack whose [fetch] URLs are the stand-in's."""
    packs = tmp_path / "packs"
    shutil.copytree(NETWORK_DATA_DIR / "baerum", packs / "baerum",
                    ignore=shutil.ignore_patterns("cache", "inputs"))
    pack = packs / "baerum" / "pack.toml"
    text = pack.read_text(encoding="utf-8")
    for key, url in (("population_url", f"{stand_in.url}/files/population.zip"),
                     ("gtfs_url", f"{stand_in.url}/files/gtfs.zip")):
        start = text.index(f"{key} = ")
        text = text[:start] + f'{key} = "{url}"' + text[text.index("\n", start):]
    text = text.replace("[fetch]\n", f'[fetch]\noverpass_url = "{stand_in.url}/api"\n'
                        f'nominatim_url = "{stand_in.url}/nominatim/"\n', 1)
    pack.write_text(text, encoding="utf-8")
    monkeypatch.setenv("BAERUM_SIM_PACKS", str(packs))
    monkeypatch.setenv("BAERUM_SIM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("BAERUM_SIM_DATA", str(DATA))
    stand_in.requests.clear()
    return packs / "baerum"


@pytest.mark.slow
def test_fetch_import_run_against_stand_ins(online_pack, stand_in, tmp_path):
    before = (ox.settings.overpass_url, ox.settings.nominatim_url, ox.settings.all_oneway,
              list(ox.settings.useful_tags_way))
    assert main(["data", "fetch", "baerum", "--quiet"]) == 0
    inputs = online_pack / "inputs"
    for name in ("boundary.geojson", "streets.osm", "pois.gpkg", "population.zip", "gtfs.zip"):
        assert (inputs / name).is_file(), name
    assert not list(inputs.glob("*.part*"))
    # osmnx asked the stand-ins, and its settings are as they were
    assert any(r.startswith("GET /nominatim/search") for r in stand_in.requests)
    assert sum(r == "POST /api/interpreter" for r in stand_in.requests) >= 2  # streets, POIs
    assert "GET /files/population.zip" in stand_in.requests
    assert "GET /files/gtfs.zip" in stand_in.requests
    assert (ox.settings.overpass_url, ox.settings.nominatim_url, ox.settings.all_oneway,
            list(ox.settings.useful_tags_way)) == before
    assert (inputs / "population.zip").read_bytes() == stand_in.files["population.zip"]
    pois = gpd.read_file(inputs / "pois.gpkg")
    assert (pois.amenity == "school").sum() >= 40 and (pois.railway == "station").sum() >= 5

    # the downloaded ways read like the local extract: every way with its own tags
    fetched = streets_from_osm([inputs / "streets.osm"])
    local = streets_from_osm([DATA / "fornebu_lysaker_2026-03.osm.bz2"])
    assert 0.8 * local.walk.sum() < fetched.walk.sum() <= local.walk.sum()
    assert fetched.oneway.sum() > 0 and (fetched.car & ~fetched.walk).sum() > 0

    assert main(["data", "import", "baerum", "--quiet"]) == 0
    info = json.loads((tmp_path / "cache" / "baerum" / "bundle" / "info.json").read_text())
    assert str(inputs) in info["source_dir"]  # the fetched files, not the shared ones
    assert info["inputs"]["streets"] == "streets.osm"
    assert info["inputs"]["gtfs"] == "gtfs.zip" and info["inputs"]["population"] == \
        "population.zip"
    assert "lines.gtfs" in info["layers"] and info["figures"]["facilities"]["transit_stop"] > 40
    stops = info["layers"]["facilities.transit_stop"]
    assert "pois.gpkg" in stops["source"] or "OpenStreetMap" in stops["source"]
    assert "flybus_gtfs_2016.zip" in stops["source"] or "gtfs.zip" in stops["source"]
    scenario = tmp_path / "online.toml"
    scenario.write_text('[scenario]\nname = "online"\nregion = "baerum"\nbase_year = 2023\n'
                        'target_years = [2023]\n[goals]\nnullvekst_reference_year = 2023\n',
                        encoding="utf-8")
    assert main(["run", str(scenario), "--out", str(tmp_path / "result"), "--quiet"]) == 0
    summary = json.loads((tmp_path / "result" / "summary.json").read_text(encoding="utf-8"))
    assert summary["manifest"]["inputs"]["streets"] == "streets.osm"
    assert np.isclose(sum(summary["mode_shares"].values()), 1.0)


def test_fetch_resumes_without_asking_again(online_pack, stand_in):
    inputs = online_pack / "inputs"
    inputs.mkdir()
    for name in ("boundary.geojson", "streets.osm", "pois.gpkg", "population.zip", "gtfs.zip"):
        (inputs / name).write_bytes(b"done")
    assert main(["data", "fetch", "baerum", "--quiet"]) == 0
    assert stand_in.requests == []


def test_download_resumes_partial_file(stand_in, tmp_path):
    data = stand_in.files["gtfs.zip"]
    dest = tmp_path / "f.zip"
    (tmp_path / "f.zip.part").write_bytes(data[:1000])
    stand_in.requests.clear()
    online.download_file(f"{stand_in.url}/files/gtfs.zip", dest)
    assert dest.read_bytes() == data


def test_download_failure_is_input_error(stand_in, tmp_path):
    from sim.errors import InputError

    with pytest.raises(InputError, match="download failed"):
        online.download_file(f"{stand_in.url}/files/missing.zip", tmp_path / "x")
    assert not (tmp_path / "x").exists()


def test_no_test_reaches_the_internet():
    with pytest.raises(AssertionError, match="no internet in tests"):
        urllib.request.urlopen("http://192.0.2.1/", timeout=1)


def test_region_without_fetch_section(tmp_path, monkeypatch, capsys):
    packs = tmp_path / "packs"
    shutil.copytree(NETWORK_DATA_DIR / "baerum", packs / "baerum",
                    ignore=shutil.ignore_patterns("cache", "inputs"))
    pack = packs / "baerum" / "pack.toml"
    text = pack.read_text(encoding="utf-8")
    start = text.index("[fetch]")
    pack.write_text(text[:start] + text[text.index("# OSM tags of everyday", start):],
                    encoding="utf-8")
    monkeypatch.setenv("BAERUM_SIM_PACKS", str(packs))
    assert main(["data", "fetch", "baerum"]) == 2
    err = capsys.readouterr().err
    assert "no [fetch] section" in err and err.count("\n") == 1
