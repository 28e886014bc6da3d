"""Scenario geometry from GIS: a GeoPackage's lines, stops and facilities as scenario entries."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from shapely.geometry import LineString, Point

from sim.app import load_scenario
from sim.cli import main
from sim.domain import CRS
from sim.errors import InputError
from sim.output.diff import diff_summaries
from sim.region.demo import X0, Y0
from sim.scenario.gis import TEMPLATE_LAYERS, lines_from_layers

BASE = """
[scenario]
name = "{name}"
region = "demo"
base_year = 2023
target_years = [2030]

[[growth]]
area = "Bakken stasjon"
dwellings = 1000
jobs = 300
from_year = 2024
to_year = 2030
"""
TOML_ENTRIES = """
[[transit.add_line]]
name = "Buss 2"
mode = "bus"
stops = ["Vestby stasjon", "Bakken stasjon", {name = "Nybyen", x = 505000, y = 6603100}]
run_times_min = [5, 4]
headway_peak_min = 10
headway_offpeak_min = 15
opening_year = 2027

[[facilities]]
category = "school"
name = "Østby nye skole"
x = 509400
y = 6603700
capacity = 600
opening_year = 2030
"""
#: Demo stops (metres from the demo corner) and a new stop drawn only in GIS.
VESTBY, BAKKEN, NYBYEN = (2200, 3300), (4100, 3700), (5000, 3100)


def _xy(p: tuple[float, float]) -> tuple[float, float]:
    return X0 + p[0], Y0 + p[1]


def _drawn(path: Path, line_attrs: dict | None = None, stops: list | None = None,
           facility: dict | None = None) -> Path:
    """A GeoPackage with one line through three stops and one school, as drawn in QGIS."""
    course = [_xy(VESTBY), (X0 + 3000, Y0 + 3600), _xy(BAKKEN), _xy(NYBYEN)]
    attrs = {"name": "Buss 2", "mode": "bus", "headway_peak_min": 10.0,
             "headway_offpeak_min": 15.0, "opening_year": 2027, "run_times_min": "5;4",
             **(line_attrs or {})}
    gpd.GeoDataFrame([attrs], geometry=[LineString(course)], crs=CRS).to_file(
        path, layer="lines", driver="GPKG")
    # off the line by 20 m, listed out of order: the line's order must win
    points = stops or [("Nybyen", NYBYEN), ("Vestby stasjon", VESTBY),
                       ("Bakken stasjon", (BAKKEN[0], BAKKEN[1] + 20))]
    gpd.GeoDataFrame({"name": [n for n, _ in points]},
                     geometry=[Point(_xy(p)) for _, p in points], crs=CRS).to_file(
        path, layer="stops", driver="GPKG")
    fac = {"category": "school", "name": "Østby nye skole", "capacity": 600.0,
           "opening_year": 2030, **(facility or {})}
    gpd.GeoDataFrame([fac], geometry=[Point(509400, 6603700)], crs=CRS).to_crs(
        "EPSG:4326").to_file(path, layer="facilities", driver="GPKG")  # any CRS is read
    return path


def _scenario(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(BASE.format(name=name) + body, encoding="utf-8")
    return path


def test_drawn_layers_become_the_toml_entries(tmp_path: Path) -> None:
    _drawn(tmp_path / "drawn.gpkg")
    toml, _, _ = load_scenario(_scenario(tmp_path, "toml", TOML_ENTRIES))
    gis, _, _ = load_scenario(_scenario(tmp_path, "gis", '[gis]\nfile = "drawn.gpkg"\n'))
    (a,), (b,) = toml.transit.add_line, gis.transit.add_line
    assert [s if isinstance(s, str) else s.name for s in b.stops] == [
        "Vestby stasjon", "Bakken stasjon", "Nybyen"]
    assert b.stops[2].x == pytest.approx(X0 + NYBYEN[0])  # new stop, from its point
    assert b.model_dump(exclude={"path", "stops"}) == a.model_dump(exclude={"path", "stops"})
    assert len(b.path) == 4 and not a.path
    (fa,), (fb,) = toml.facilities, gis.facilities
    assert fb.model_dump(exclude={"x", "y"}) == fa.model_dump(exclude={"x", "y"})
    assert (fb.x, fb.y) == pytest.approx((fa.x, fa.y), abs=1e-3)  # via EPSG:4326


@pytest.mark.slow
def test_drawn_layers_give_the_same_results_as_toml(tmp_path: Path) -> None:
    toml = _scenario(tmp_path, "same", TOML_ENTRIES)
    gis_dir = tmp_path / "g"
    gis_dir.mkdir()
    _drawn(gis_dir / "drawn.gpkg")
    gis = _scenario(gis_dir, "same", '[gis]\nfile = "drawn.gpkg"\n')
    for scenario, out in ((toml, tmp_path / "r_toml"), (gis, tmp_path / "r_gis")):
        assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    old = json.loads((tmp_path / "r_toml" / "summary.json").read_text())
    new = json.loads((tmp_path / "r_gis" / "summary.json").read_text())
    diffs = diff_summaries(old, new, ignore=("created",))
    assert diffs and all(d.key.startswith("manifest.") for d in diffs), diffs[:5]
    assert str((gis_dir / "drawn.gpkg").resolve()) in new["manifest"]["inputs"]
    assert "Buss 2" in new["years"]["2030"]["lines"]
    drawn = gpd.read_file(tmp_path / "r_gis" / "cells.gpkg", layer="lines")
    course = drawn.set_index("name").loc["Buss 2"].geometry
    assert len(course.coords) == 4  # the drawn course, not stop to stop


def test_speed_gives_run_times_along_the_line(tmp_path: Path) -> None:
    path = _drawn(tmp_path / "d.gpkg", {"run_times_min": None, "speed_kmh": 20.0})
    lines = gpd.read_file(path, layer="lines", fid_as_index=True)
    stops = gpd.read_file(path, layer="stops", fid_as_index=True)
    (line,) = lines_from_layers(lines, stops, path, {"Vestby stasjon", "Bakken stasjon"}, 50)
    geom = lines.geometry.iloc[0]
    along = [geom.project(Point(_xy(p))) for p in (VESTBY, BAKKEN, NYBYEN)]
    expected = [(b - a) / 1000 / 20 * 60 for a, b in itertools.pairwise(along)]
    assert line.run_times_min == pytest.approx(expected, abs=1e-3)


@pytest.mark.parametrize(("attrs", "message"), [
    ({"headway_peak_min": -5.0}, "layer 'lines' feature 1: headway_peak_min: "
                                 "Input should be greater than 0"),
    ({"mode": "gondola"}, "layer 'lines' feature 1: mode:"),
    ({"run_times_min": "5;x"}, "layer 'lines' feature 1: run_times_min: expected numbers"),
    ({"run_times_min": "5"}, "layer 'lines' feature 1: 3 stops need 2 run_times_min, got 1"),
])
def test_bad_line_features_name_layer_and_feature(tmp_path: Path, attrs: dict,
                                                  message: str) -> None:
    _drawn(tmp_path / "drawn.gpkg", attrs)
    with pytest.raises(InputError, match="drawn.gpkg: " + message.replace("(", r"\(")
                       .replace(")", r"\)")):
        load_scenario(_scenario(tmp_path, "bad", '[gis]\nfile = "drawn.gpkg"\n'))


def test_bad_facility_and_lonely_line(tmp_path: Path) -> None:
    _drawn(tmp_path / "drawn.gpkg", facility={"category": "cinema"})
    scenario = _scenario(tmp_path, "bad", '[gis]\nfile = "drawn.gpkg"\n')
    with pytest.raises(InputError, match="layer 'facilities' feature 1: category: unknown"):
        load_scenario(scenario)
    _drawn(tmp_path / "drawn.gpkg", stops=[("Vestby stasjon", VESTBY)])
    with pytest.raises(InputError, match="layer 'lines' feature 1: 1 stop"):
        load_scenario(scenario)
    with pytest.raises(InputError, match="no layer 'linjer'"):
        load_scenario(_scenario(tmp_path, "bad2",
                                '[gis]\nfile = "drawn.gpkg"\nlines = "linjer"\n'))
    with pytest.raises(InputError, match=r"nope\.gpkg: GeoPackage not found"):
        load_scenario(_scenario(tmp_path, "bad3", '[gis]\nfile = "nope.gpkg"\n'))


def test_cli_error_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    _drawn(tmp_path / "drawn.gpkg", {"headway_peak_min": 0.0})
    scenario = _scenario(tmp_path, "bad", '[gis]\nfile = "drawn.gpkg"\n')
    assert main(["validate", str(scenario)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "layer 'lines' feature 1: headway_peak_min" in err


def test_template_has_empty_typed_layers(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "tegn.gpkg"
    assert main(["scenario", "template", str(out)]) == 0
    assert "[gis]" in capsys.readouterr().out
    layers = dict(pyogrio.list_layers(out))
    assert layers == {"growth": "Polygon", "lines": "LineString", "stops": "Point",
                      "facilities": "Point"}
    for layer, (_, fields) in TEMPLATE_LAYERS.items():
        info = pyogrio.read_info(out, layer=layer)
        assert info["features"] == 0 and info["crs"] == CRS
        assert list(info["fields"]) == list(fields)
        types = dict(zip(info["fields"], info["dtypes"], strict=True))
        for name, dtype in fields.items():
            assert types[name] == ("object" if dtype == "str" else dtype), (layer, name)
    growth = pyogrio.read_info(out, layer="growth")
    assert {"dwellings", "jobs", "from_year", "to_year"} <= set(growth["fields"])
    # an empty template in a scenario adds nothing
    scenario = _scenario(tmp_path, "empty", '[gis]\nfile = "tegn.gpkg"\n')
    loaded, _, _ = load_scenario(scenario)
    assert not loaded.transit.add_line and not loaded.facilities
    assert main(["scenario", "template", str(tmp_path / "x.shp")]) == 2
