"""Broken inputs give one error line, exit code 2, and leave the earlier bundle intact."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from fixtures.baerum import DATA

from sim.cli import main
from sim.settings import NETWORK_DATA_DIR

SOURCES = ["baerum_boundary_2024.geojson", "ssb_pop250m_2023_akershus.gpkg",
           "fornebu_lysaker_2026-03.osm.bz2", "baerum_schools_2023_geocoded.geojson",
           # the external zones' inputs (Oslo's grid and streets, the municipalities)
           "ssb_pop250m_2023_oslo.gpkg", "kommuner_2024_S.geojson", "oslo_east.osm.pbf"]


@pytest.fixture
def src(tmp_path: Path, baerum_env) -> Path:
    """A source directory of symlinks to the real inputs, to be broken by a test."""
    d = tmp_path / "src"
    d.mkdir()
    for name in SOURCES:
        (d / name).symlink_to(DATA / name)
    return d


def _run_failing(args: list[str], bundle: Path, capsys) -> str:
    manifest = (bundle / "manifest.json").read_text()
    capsys.readouterr()
    assert main(args) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("error: ")
    assert "Traceback" not in captured.err
    # earlier bundle intact and loadable
    assert (bundle / "manifest.json").read_text() == manifest
    from sim.region.load import load_region

    assert load_region("baerum").cells["population"].sum() > 100_000
    return lines[0]


def test_missing_file(src, baerum_env, capsys):
    (src / "baerum_boundary_2024.geojson").unlink()
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "boundary" in line and "baerum_boundary_2024.geojson" in line


def test_missing_directory(tmp_path, baerum_env, capsys):
    line = _run_failing(["data", "import", "baerum", "--from", str(tmp_path / "nope")],
                        baerum_env["bundle"], capsys)
    assert "not found" in line


def test_population_without_column(src, baerum_env, capsys):
    gdf = gpd.GeoDataFrame({"foo": [1, 2]}, geometry=[shapely.Point(256000, 6650000),
                                                      shapely.Point(256250, 6650000)],
                           crs="EPSG:25833")
    gdf.to_file(src / "population.gpkg")
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "population.gpkg" in line and "pop_tot" in line


def test_layer_without_crs(src, baerum_env, capsys):
    gdf = gpd.GeoDataFrame({"pop_tot": [1, 2]}, geometry=[shapely.Point(256000, 6650000),
                                                          shapely.Point(256250, 6650000)])
    with pytest.warns(UserWarning, match="crs"):
        gdf.to_file(src / "population.gpkg")
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "population.gpkg" in line and "no CRS" in line


@pytest.mark.parametrize("features", [[], [{"type": "Feature", "properties": {},
                                            "geometry": {"type": "Polygon",
                                                         "coordinates": []}}]])
def test_empty_boundary(src, baerum_env, capsys, features):
    (src / "boundary.geojson").write_text(json.dumps(
        {"type": "FeatureCollection", "features": features}))
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "boundary.geojson" in line


def test_truncated_pbf(src, tmp_path, baerum_env, monkeypatch, capsys):
    # a copy of the pack whose streets input is a PBF file
    packs = tmp_path / "packs"
    shutil.copytree(NETWORK_DATA_DIR / "baerum", packs / "baerum",
                    ignore=shutil.ignore_patterns("cache", "inputs"))
    pack = packs / "baerum" / "pack.toml"
    text = pack.read_text(encoding="utf-8")
    pack.write_text(text.replace('streets = ["streets.osm", ',
                                 'streets = ["streets.osm.pbf", '), encoding="utf-8")
    monkeypatch.setenv("BAERUM_SIM_PACKS", str(packs))
    data = (DATA / "oslo_east.osm.pbf").read_bytes()
    (src / "streets.osm.pbf").write_bytes(data[: len(data) // 3])
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "streets.osm.pbf" in line and "OSM" in line


def test_garbage_osm_file(tmp_path):
    from sim.errors import InputError
    from sim.readers.osm import streets_from_osm

    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"\x00\x01not a pbf at all" * 10)
    with pytest.raises(InputError, match=r"bad\.osm\.pbf"):
        streets_from_osm([bad])
    with pytest.raises(InputError, match="file not found"):
        streets_from_osm([tmp_path / "missing.osm"])


def test_population_with_missing_counts(src, baerum_env, capsys):
    """Half the cells without a number: refused, not silently half the population."""
    gdf = gpd.read_file(DATA / "ssb_pop250m_2023_akershus.gpkg")
    gdf["pop_tot"] = gdf["pop_tot"].astype(float)
    gdf.loc[gdf.index[::2], "pop_tot"] = float("nan")
    gdf.to_file(src / "population.gpkg")
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "population.gpkg" in line and "no valid count" in line


def test_population_of_another_municipality(src, baerum_env, capsys):
    """The Oslo grid as Bærum's population: 487 residents inside the boundary, refused."""
    (src / "population.gpkg").symlink_to(DATA / "ssb_pop250m_2023_oslo.gpkg")
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "expects 128,225 ± 2%" in line and "--allow-population-mismatch" in line


def test_gtfs_without_stop_times(src, baerum_env, capsys):
    import zipfile

    with zipfile.ZipFile(DATA / "flytoget_gtfs_minimal.zip") as full, \
            zipfile.ZipFile(src / "gtfs.zip", "w") as thin:
        for item in full.namelist():
            data = full.read(item)
            if item.endswith("stop_times.txt"):
                data = data.splitlines(keepends=True)[0]  # the header only
            thin.writestr(item, data)
    line = _run_failing(["data", "import", "baerum", "--from", str(src)],
                        baerum_env["bundle"], capsys)
    assert "stop_times.txt: no stop times" in line


def test_invalid_boundary_is_repaired(tmp_path):
    """A self-intersecting ring (a bow tie) is made valid, not a GEOS traceback."""
    from sim.readers.layers import boundary_from_file

    bow_tie = shapely.Polygon([(0, 0), (1000, 1000), (1000, 0), (0, 1000), (0, 0)])
    assert not bow_tie.is_valid
    gpd.GeoDataFrame(geometry=[bow_tie], crs="EPSG:25833").to_file(tmp_path / "b.gpkg")
    boundary = boundary_from_file(tmp_path / "b.gpkg")
    assert boundary.is_valid and boundary.area == pytest.approx(500_000)


def test_corrupt_bundle_is_rebuilt(baerum_env, capsys):
    """cells.csv with 300 rows removed is noticed by its checksum and built again."""
    bundle = baerum_env["bundle"]
    cells = bundle / "cells.csv"
    original = cells.read_bytes()
    cells.write_bytes(b"".join(original.splitlines(keepends=True)[:-300]))
    capsys.readouterr()
    assert main(["data", "import", "baerum"]) == 0
    assert "cells.csv changed since it was written; building it again" in capsys.readouterr().err
    assert cells.read_bytes() == original
    from sim.region.load import load_region

    assert len(load_region("baerum").cells) == 1080
