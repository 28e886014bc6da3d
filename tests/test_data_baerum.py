"""Acceptance of the Bærum bundle built from the real shared data."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from sim.cli import main
from sim.errors import InputError
from sim.region.lattice import walk_components as component_labels
from sim.region.model import EXTERNAL_ZONE_COLUMNS

PRIORITY_GROWTH = ["Sandvika", "Fornebu", "Lysaker", "Bekkestua", "Høvik"]
PRIORITY_STATIONS = ["Østerås", "Eiksmarka", "Haslum", "Gjettum", "Stabekk", "Kolsås",
                     "Slependen", "Vøyenenga"]


@pytest.fixture
def info(baerum_env, capsys) -> dict:
    capsys.readouterr()
    assert main(["data", "info", "baerum", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_import_is_fast(baerum_env):
    assert baerum_env["import_seconds"] < 120


def test_population_and_area(info):
    f = info["figures"]
    assert f["population_total"] == pytest.approx(128_225, rel=0.005)
    assert f["populated_cells"] == 1080
    assert f["boundary_area_km2"] == pytest.approx(191.9, rel=0.01)
    assert info["layers"]["population"]["status"] == "real"


def test_real_streets_and_lattice(info):
    f = info["figures"]
    assert info["layers"]["streets"]["status"] == "real"
    assert "fornebu_lysaker" in info["inputs"]["streets"]
    assert f["real_street_nodes"] > 5000
    assert f["walk_nodes"] > f["real_street_nodes"]
    assert info["layers"]["streets.lattice"]["status"] == "synthetic"
    assert 0.5 < f["lattice_population_share"] < 1.0
    assert f["lattice"]["all_cells_connected"] is True


def test_schools_areas_and_labels(info):
    real = info["figures"]["facilities_real"]
    # 29 listed primary schools + the SSR schools of unknown level (primary or lower
    # secondary); upper secondary, international ... are destinations only
    school = real["school"]
    assert school["kinds"]["primary"] == 29 and school["kinds"]["compulsory"] >= 10
    assert info["figures"]["schools"] == school["real"] == school["total"] == 29 + school[
        "kinds"]["compulsory"]
    assert info["figures"]["facility_status"]["school"] == {"real": school["total"]}
    assert real["destination"]["kinds"]["upper_secondary"] == 7
    assert info["registers"]["schools_matched_with_ssr"] >= 15
    assert "SSR" in info["layers"]["facilities.school"]["source"]
    assert set(PRIORITY_GROWTH) <= set(info["areas"]["growth_area"])
    assert set(PRIORITY_STATIONS) <= set(info["areas"]["station"])
    assert info["layers"]["jobs"]["status"] == "proxy"
    for cat in ("grocery", "recreation"):
        assert info["layers"][f"facilities.{cat}"]["status"] == "proxy"
        assert info["figures"]["facilities"][cat] > 0
    assert "jobs" in info["not_real"]


def test_register_kindergartens_stops_and_names(info):
    """Udir's kindergartens replace the proxy; SSR gives stop coordinates and labels."""
    kg = info["figures"]["facilities_real"]["kindergarten"]
    assert kg["real"] == kg["total"] == 135
    assert kg["capacity_real"] == 6924
    assert kg["kinds"] == {"ordinary": 109, "family": 26}
    assert info["layers"]["facilities.kindergarten"]["status"] == "real"
    assert info["registers"]["stops_from_ssr"] >= 15
    assert {"Lysaker", "Sandvika", "Kolsås", "Østerås"} <= set(
        info["registers"]["stops_from_ssr_names"])
    assert info["place_names"] == info["registers"]["place_names"] > 100
    rec = info["figures"]["facilities_real"]["recreation"]
    assert rec["kinds"] == {"nature_reserve": 10, "pitch": 7} and rec["total"] > rec["real"]


def test_info_text_shows_real_facilities(baerum_env, capsys):
    assert main(["data", "info", "baerum"]) == 0
    out = capsys.readouterr().out
    assert "real kindergarten            135 of 135" in out and "capacity 6,924" in out
    assert "real school                  40 of 40 (primary 29, compulsory 11)" in out
    assert "stop coordinates from SSR   18" in out


def test_info_text(baerum_env, capsys):
    assert main(["data", "info", "baerum"]) == 0
    out = capsys.readouterr().out
    assert "128,225" in out and "191.9 km²" in out and "[proxy]" in out


def test_loaded_region(baerum_env):
    from sim.region.load import load_region

    t0 = time.perf_counter()
    region = load_region("baerum")
    assert time.perf_counter() - t0 < 1.5
    s = region.streets
    assert (s.length_m > 0).all()
    assert s.synthetic.any() and (~s.synthetic).any()
    for arr in (s.u, s.v, s.walk, s.bike, s.car, s.car_speed_kmh, s.synthetic):
        assert len(arr) == s.n_edges
    # every populated cell's nearest walk node is in one walk component
    from sim.region.lattice import cell_nodes

    labels = component_labels(s)
    assert len(np.unique(labels[cell_nodes(s, region.cells)])) == 1
    assert region.cells["population"].sum() == pytest.approx(128_225, rel=0.005)
    assert region.cells["jobs"].sum() == pytest.approx(85_000, rel=0.01)
    assert list(region.cells.columns) == ["cell_id", "x", "y", "population", "jobs"]
    assert {"category", "name", "x", "y", "capacity", "status"} <= set(region.facilities)
    assert region.area("Fossum").earliest_year == 2032
    assert region.area("Bekkestua").built_out_year == 2030
    assert region.stops["Gjettum"].status == "real"  # SSR coordinates, was estimated
    names = region.place_names
    assert list(names.columns) == ["name", "kind", "x", "y", "source"]
    assert {"Fornebu", "Rykkinn", "Sandvika"} <= set(names.name)
    assert region.age_shares == {"school": 0.115, "kindergarten": 0.058}
    assert region.climate["green_share_target"] == 0.6
    assert region.climate["electric_share"][2019] == 0.10
    assert region.area("Fornebu").group == "Fornebu/Lysaker"
    assert region.area("Høvik").group == "Bekkestua/Høvik"
    lines = {ln.name: ln for ln in region.lines}
    assert lines["Fornebubanen"].opening_year == 2029
    assert lines["Fornebubanen"].run_times_min == (2, 1, 2, 2, 2, 3)
    assert lines["Fornebubanen"].headway_peak_min == 7.5
    assert lines["L1"].headway_peak_min == 15
    assert lines["Metro 2"].stops[-1] == "Østerås" and lines["Metro 3"].stops[-1] == "Kolsås"
    assert set(lines["Regional train"].stops) & set(region.stops) >= {"Lysaker", "Sandvika"}
    for line in region.lines:
        assert all(stop in region.stops for stop in line.stops)
        assert all(t > 0 for t in line.run_times_min)
    assert {"Majorstuen", "Skøyen", "Oslo S"} <= set(region.stops)
    ext = region.external_zones
    assert list(ext.columns) == list(EXTERNAL_ZONE_COLUMNS)
    # real places: Oslo's grid in station catchments and k-means zones, Asker, Akershus
    by_area = ext.groupby("area").population.sum()
    assert by_area["Oslo"] == pytest.approx(707_339, rel=0.02)  # SSB grid, PROVENANCE.md
    assert 20 <= (ext.area == "Oslo").sum() <= 40
    assert set(ext.group) == {"oslo", "elsewhere"}
    assert {"Oslo: Majorstuen", "Oslo: Skøyen", "Oslo: Oslo S", "Asker: Asker"} <= set(ext.name)
    majorstuen = ext.set_index("name").loc["Oslo: Majorstuen"]
    stop = region.stops["Majorstuen"]
    assert ((majorstuen.x - stop.x) ** 2 + (majorstuen.y - stop.y) ** 2) ** 0.5 < 1000
    links = region.external_links
    walk = links[links.kind == "walk"]
    real = walk[walk.status == "real"]
    assert {"Majorstuen", "Oslo S"} <= set(real.stop)  # oslo_east.osm.pbf covers them
    assert (walk.metres >= 1).all() and set(walk.status) == {"real", "synthetic"}
    assert set(links[links.kind == "onward"].stop) == {"Oslo S", "Majorstuen", "Skøyen", "Asker"}
    assert region.calibration["destination_shares"] == {"inside": 0.6, "oslo": 0.2,
                                                        "elsewhere": 0.2}
    assert {int(k): v for k, v in region.calibration["population_by_year"].items()} == {
        2019: 127732, 2023: 129874}
    assert region.calibration["mode_shares"] == {"car": 0.57, "walk": 0.20, "pt": 0.18,
                                                 "bike": 0.04}
    assert region.base_year == 2023
    xmin, ymin, xmax, ymax = region.boundary.bounds
    assert 240_000 < xmin < xmax < 270_000 and 6_640_000 < ymin < ymax < 6_665_000


def test_bundle_is_reused(baerum_env, capsys):
    manifest = baerum_env["bundle"] / "manifest.json"
    before = manifest.stat().st_mtime_ns
    assert main(["data", "import", "baerum", "--verbose"]) == 0
    assert "up to date" in capsys.readouterr().err
    assert manifest.stat().st_mtime_ns == before


def test_unknown_region_lists_known(capsys):
    from sim.region.load import load_region

    with pytest.raises(InputError, match=r"known regions: .*baerum"):
        load_region("atlantis")
    assert main(["data", "info", "atlantis"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "baerum" in err


def test_pack_change_rebuilds(baerum_env, tmp_path, monkeypatch):
    import shutil

    from sim.region.load import load_region
    from sim.settings import NETWORK_DATA_DIR

    packs = tmp_path / "packs"
    shutil.copytree(NETWORK_DATA_DIR / "baerum", packs / "baerum",
                    ignore=shutil.ignore_patterns("cache", "inputs"))
    cache = tmp_path / "cache"
    shutil.copytree(baerum_env["bundle"], cache / "baerum" / "bundle")
    monkeypatch.setenv("BAERUM_SIM_PACKS", str(packs))
    monkeypatch.setenv("BAERUM_SIM_CACHE", str(cache))
    manifest = cache / "baerum" / "bundle" / "manifest.json"
    before = json.loads(manifest.read_text())["key"]
    load_region("baerum")  # same pack content: reused
    assert json.loads(manifest.read_text())["key"] == before
    transit = packs / "baerum" / "transit.toml"
    transit.write_text(transit.read_text(encoding="utf-8").replace(
        "headway_peak_min = 7.5", "headway_peak_min = 5"), encoding="utf-8")
    region = load_region("baerum")
    assert json.loads(manifest.read_text())["key"] != before
    assert {ln.name: ln for ln in region.lines}["Fornebubanen"].headway_peak_min == 5
