"""Placement by location: labels, overlaps, coordinates, polygon layers, new development."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from fixtures.baerum import needs_data

from sim.app import load_scenario, with_growth_layers
from sim.errors import InputError
from sim.model.goals import placement_goal
from sim.model.growth import growth_by_year, region_for_scenario
from sim.model.places import places_of_points
from sim.region.demo import X0, Y0
from sim.region.model import Area
from sim.scenario.schema import scenario_from_text

HEAD = """
[scenario]
name = "t"
region = "{region}"
base_year = 2023
target_years = [2040]
"""


def _scenario(body: str, region: str = "demo", path: Path = Path("t.toml")):
    return scenario_from_text(HEAD.format(region=region) + body, path)


def _goal(region, scenario, year: int = 2040):
    growth = growth_by_year(region, scenario, year)
    return growth, placement_goal(growth.placements, growth.landings, 0.9)


def _labelled_at(area: str, x: float, y: float, jobs: float) -> str:
    """A [[growth]] entry labelled ``area`` but located at ``(x, y)``."""
    return (f'[[growth]]\narea = "{area}"\nx = {x}\ny = {y}\nradius_m = 300\n'
            f"dwellings = 100\njobs = {jobs}\nfrom_year = 2024\nto_year = 2030\n")


def test_label_of_one_area_located_in_another_counts_where_it_lands(demo_region) -> None:
    # labelled with the non-priority "Nordmark", placed at Sentrum's centre: priority
    at_sentrum = _scenario(_labelled_at("Nordmark", X0 + 6000, Y0 + 4000, jobs=50))
    growth, goal = _goal(demo_region, at_sentrum)
    assert goal.dwellings_share == 1.0 and goal.jobs_share == 1.0 and goal.passed
    assert growth.placements.places.iloc[0] == "Sentrum"
    assert list(goal.by_place) == ["Sentrum"]
    # labelled with the priority "Sentrum", placed in Vestmarka: not priority
    in_vestmarka = _scenario(_labelled_at("Sentrum", X0 + 800, Y0 + 1200, jobs=0))
    growth, goal = _goal(demo_region, in_vestmarka)
    assert goal.dwellings_share == 0.0 and not goal.passed
    assert set(growth.landings.place) == {"Vestmarka"}
    # the cells taking the growth lie around the coordinates, not at Sentrum
    taken = growth.cells.new_dwellings.to_numpy() > 0
    d = np.hypot(demo_region.cells.x[taken] - (X0 + 800), demo_region.cells.y[taken] - (Y0 + 1200))
    assert taken.sum() >= 1 and (d <= 300).all()
    assert growth.cells.new_dwellings.sum() == pytest.approx(100)


def test_overlapping_areas_count_once(demo_region) -> None:
    """A second priority area over Sentrum: growth in the overlap counts once."""
    extra = Area("Sentrum stasjon", "station", X0 + 6300, Y0 + 4000, 600, status="synthetic")
    region = dataclasses.replace(demo_region, areas=(*demo_region.areas, extra))
    x, y = X0 + 6150, Y0 + 4000  # inside both circles
    assert all(shapely.contains_xy(a.shape, x, y) for a in (region.area("Sentrum"), extra))
    scenario = _scenario(f"""
[[growth]]
x = {x}
y = {y}
radius_m = 200
dwellings = 1000
jobs = 1000
from_year = 2024
to_year = 2030

[[growth]]
area = "Vestmarka"
dwellings = 1000
jobs = 1000
from_year = 2024
to_year = 2030
""")
    growth, goal = _goal(region, scenario)
    assert goal.dwellings_share == pytest.approx(0.5) and goal.jobs_share == pytest.approx(0.5)
    assert goal.combined_share == pytest.approx(0.5)
    assert growth.placements.priority_dwellings.iloc[0] == pytest.approx(1000)
    # each cell lands in one place: the amounts by place add up to the placement
    first = growth.landings[growth.landings["index"] == 0]
    assert first.dwellings.sum() == pytest.approx(1000)
    places = places_of_points(region.areas, region.cells.x.to_numpy(), region.cells.y.to_numpy())
    both = places.priority & (np.hypot(region.cells.x - x, region.cells.y - y) < 200).to_numpy()
    assert both.any() and (places.territory[both] >= 0).all()


def test_area_growth_stays_in_its_territory(demo_region) -> None:
    """Overlap cells belong to one area; an area-named placement never spills into
    another's territory (so no rule of another place is broken by spreading)."""
    near = Area("Skogli nord", "station", X0 + 1500, Y0 + 7300, 700, status="synthetic")
    region = dataclasses.replace(demo_region, areas=(*demo_region.areas, near))
    places = places_of_points(region.areas, region.cells.x.to_numpy(), region.cells.y.to_numpy())
    scenario = _scenario("""
[[growth]]
area = "Skogli nord"
dwellings = 700
from_year = 2024
to_year = 2030
""")
    growth, goal = _goal(region, scenario)
    taken = growth.cells.new_dwellings.to_numpy() > 0
    index = [a.name for a in region.areas].index("Skogli nord")
    assert (places.territory[taken] == index).all()
    assert goal.rule_breaks == []  # Skogli (not before 2032) is not touched


def test_placement_by_coordinates_in_a_not_before_area_is_a_rule_break(demo_region) -> None:
    """Demo: Skogli may not be built before 2032; given by coordinates, no label."""
    scenario = _scenario(f"""
[[growth]]
x = {X0 + 1500}
y = {Y0 + 6800}
radius_m = 250
dwellings = 300
from_year = 2030
to_year = 2035
""")
    _growth, goal = _goal(demo_region, scenario)
    assert not goal.passed and len(goal.rule_break_details) == 1
    brk = goal.rule_break_details[0]
    assert (brk.rule, brk.place, brk.year, brk.limit, brk.placement) == (
        "not_before", "Skogli", 2030, 2032, 0)
    assert "growth[0]" in brk.message and "Skogli" in brk.message and "2030" in brk.message


@needs_data
def test_fossum_by_coordinates_in_2030_is_a_rule_break(baerum_region) -> None:
    fossum = baerum_region.area("Fossum")
    scenario = _scenario(f"""
[[growth]]
x = {fossum.x:.0f}
y = {fossum.y:.0f}
radius_m = 300
dwellings = 200
from_year = 2030
to_year = 2036
""", region="baerum")
    _growth, goal = _goal(baerum_region, scenario)
    assert not goal.passed
    assert [(b.rule, b.place, b.year) for b in goal.rule_break_details] == [
        ("not_before", "Fossum", 2030)]
    assert goal.rule_breaks[0].startswith("growth[0] (")  # no label: its coordinates


@needs_data
def test_haslum_growth_after_2030_is_no_bekkestua_break(baerum_region) -> None:
    """Haslum's circle overlaps Bekkestua's: Haslum-named growth stays in Haslum's
    territory; the same growth placed at Bekkestua after 2030 is a break."""
    haslum = _scenario("""
[[growth]]
area = "Haslum"
dwellings = 300
from_year = 2027
to_year = 2040
""", region="baerum")
    assert _goal(baerum_region, haslum)[1].rule_breaks == []
    bekkestua = baerum_region.area("Bekkestua")
    at_bekkestua = _scenario(f"""
[[growth]]
area = "Haslum"
x = {bekkestua.x:.0f}
y = {bekkestua.y:.0f}
dwellings = 300
from_year = 2027
to_year = 2040
""", region="baerum")
    breaks = _goal(baerum_region, at_bekkestua)[1].rule_break_details
    assert [(b.rule, b.place, b.limit) for b in breaks] == [("built_out", "Bekkestua", 2030)]


def _write_layer(path: Path, rows: list[dict], layer: str = "sites") -> None:
    gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:25833").to_file(
        path, layer=layer, driver="GPKG")


def test_polygon_layer_from_geopackage_places_growth(demo_region, tmp_path) -> None:
    site = shapely.box(X0 + 5500, Y0 + 3500, X0 + 6500, Y0 + 4500)  # in Sentrum
    far = shapely.box(X0 + 400, Y0 + 800, X0 + 1200, Y0 + 1600)      # in Vestmarka
    _write_layer(tmp_path / "sites.gpkg", [
        {"navn": "Sentrum kvartal", "boliger": 600, "arbeidsplasser": 100, "fra": 2025,
         "til": 2030, "geometry": site},
        {"navn": "Vestmarka felt", "boliger": 400, "arbeidsplasser": 0, "fra": 2026,
         "til": 2030, "geometry": far}])
    text = HEAD.format(region="demo") + """
[[growth_layer]]
path = "sites.gpkg"
layer = "sites"
name = "navn"
dwellings = "boliger"
jobs = "arbeidsplasser"
from_year = "fra"
to_year = "til"
"""
    (tmp_path / "t.toml").write_text(text, encoding="utf-8")
    scenario, _region, _ = load_scenario(tmp_path / "t.toml")
    assert [p.name for p in scenario.growth] == ["Sentrum kvartal", "Vestmarka felt"]
    assert [p.source for p in scenario.growth] == ["sites.gpkg#1", "sites.gpkg#2"]
    assert list(scenario.input_files) == [str(tmp_path / "sites.gpkg")]
    growth, goal = _goal(demo_region, scenario, 2030)
    cells = demo_region.cells
    inside = shapely.contains_xy(site, cells.x.to_numpy(), cells.y.to_numpy())
    assert growth.cells.new_dwellings[inside].sum() == pytest.approx(600)
    assert growth.cells.new_dwellings.sum() == pytest.approx(1000)
    # every cell centre inside the site takes growth (spread over all cells: new development)
    assert (growth.cells.new_dwellings[inside] > 0).all()
    assert goal.dwellings_share == pytest.approx(0.6) and goal.jobs_share == 1.0


def test_growth_layer_errors_name_layer_and_feature(demo_region, tmp_path) -> None:
    site = shapely.box(X0 + 5500, Y0 + 3500, X0 + 6500, Y0 + 4500)
    entry = '\n[[growth_layer]]\npath = "bad.gpkg"\nlayer = "sites"\n'
    (tmp_path / "t.toml").write_text(HEAD.format(region="demo") + entry, encoding="utf-8")
    _write_layer(tmp_path / "bad.gpkg", [
        {"dwellings": 10, "jobs": 0, "from_year": 2025, "to_year": 2030, "geometry": site},
        {"dwellings": -5, "jobs": 0, "from_year": 2025, "to_year": 2030, "geometry": site}])
    with pytest.raises(InputError, match=r"bad\.gpkg \(layer sites\).*feature 2.*dwellings"):
        load_scenario(tmp_path / "t.toml")
    _write_layer(tmp_path / "bad.gpkg", [
        {"dwellings": 10, "jobs": 0, "from_year": 2020, "to_year": 2030, "geometry": site}])
    with pytest.raises(InputError, match=r"feature 1: from_year: 2020 must come after"):
        load_scenario(tmp_path / "t.toml")
    _write_layer(tmp_path / "bad.gpkg", [
        {"dwellings": 10, "jobs": 0, "from_year": 2025, "to_year": 2030,
         "geometry": shapely.Point(X0 + 6000, Y0 + 4000)}])
    with pytest.raises(InputError, match=r"feature 1: geometry is a Point"):
        load_scenario(tmp_path / "t.toml")
    _write_layer(tmp_path / "bad.gpkg", [{"boliger": 10, "geometry": site}])
    with pytest.raises(InputError, match=r"no attribute 'from_year', 'to_year'"):
        load_scenario(tmp_path / "t.toml")
    scenario = _scenario(entry.replace("bad.gpkg", "missing.gpkg"))
    with pytest.raises(InputError, match=r"missing\.gpkg: file not found"):
        with_growth_layers(scenario, tmp_path / "t.toml")


def test_new_development_on_cells_without_residents(demo_region) -> None:
    """A region that only knows its populated cells (like the SSB grid): growth on empty
    land adds cells, joined to the walk network by the synthetic lattice."""
    populated = demo_region.cells[demo_region.cells.population > 0].reset_index(drop=True)
    region = dataclasses.replace(demo_region, cells=populated)
    lake = shapely.Point(X0 + 3800, Y0 + 1800).buffer(400)  # the demo's lake: no one lives there
    scenario = _scenario(f"""
[[growth]]
name = "Sjøbyen"
polygon = "{lake.wkt}"
dwellings = 500
jobs = 50
from_year = 2025
to_year = 2030
""")
    assert not shapely.contains_xy(lake, populated.x, populated.y).any()
    grown = region_for_scenario(region, scenario)
    new = grown.cells[grown.cells.new_development]
    assert len(new) >= 5 and (new.population == 0).all()
    assert shapely.contains_xy(lake, new.x, new.y).all()
    assert grown.layers["streets.development"].status == "synthetic"
    assert grown.streets.n_edges > region.streets.n_edges
    assert grown.streets.synthetic[region.streets.n_edges:].all()
    assert region_for_scenario(grown, scenario).cells.equals(grown.cells)  # idempotent
    growth = growth_by_year(grown, scenario, 2030)
    assert growth.cells.new_dwellings[grown.cells.new_development].sum() == pytest.approx(500)
    assert growth.placements.new_development_cells.iloc[0] == len(new)
    # and the new cells are reached over the network
    from sim.graph import component_labels
    from sim.model.network import nearest_nodes, network_from_region

    net = network_from_region(grown, scenario, 2030)
    node, snap = nearest_nodes(net, new.x.to_numpy(), new.y.to_numpy())
    labels = component_labels(net.walk)
    main = np.bincount(labels).argmax()
    assert (labels[node] == main).all() and (snap < 200).all()
    assert isinstance(new.cell_id.iloc[0], str) and new.cell_id.is_unique


@needs_data
def test_new_development_at_fossum_on_baerum(baerum_region) -> None:
    """Bærum: SSB cells are populated cells only; a Fossum site spread over all its cells
    adds SSB-numbered cells (labelled new development) from 2032."""
    fossum = baerum_region.area("Fossum")
    scenario = _scenario("""
[[growth]]
area = "Fossum"
spread = "all"
dwellings = 800
from_year = 2032
to_year = 2040
""", region="baerum")
    grown = region_for_scenario(baerum_region, scenario)
    new = grown.cells[grown.cells.new_development]
    assert len(new) > 0
    assert (np.hypot(new.x - fossum.x, new.y - fossum.y) <= fossum.radius_m).all()
    assert pd.api.types.is_integer_dtype(grown.cells.cell_id) and grown.cells.cell_id.is_unique
    growth, goal = _goal(grown, scenario)
    assert growth.cells.new_dwellings[grown.cells.new_development].sum() > 0
    assert goal.rule_breaks == [] and goal.dwellings_share < 1.0  # Fossum is not priority


@pytest.mark.slow
def test_growth_layer_run_records_the_layer_and_reruns(tmp_path, capsys) -> None:
    """End to end: the layer's hash is in the manifest; rerun reads the layer again."""
    import json

    from sim.cli import main

    site = shapely.box(X0 + 5500, Y0 + 3500, X0 + 6500, Y0 + 4500)
    _write_layer(tmp_path / "sites.gpkg", [
        {"name": "Sentrum kvartal", "dwellings": 800, "jobs": 200, "from_year": 2025,
         "to_year": 2030, "geometry": site}])
    scenario = tmp_path / "layer.toml"
    scenario.write_text(HEAD.format(region="demo").replace("[2040]", "[2030]")
                        + '\n[[growth_layer]]\npath = "sites.gpkg"\nlayer = "sites"\n',
                        encoding="utf-8")
    out = tmp_path / "result"
    assert main(["run", str(scenario), "--out", str(out), "--quiet"]) == 0
    summary = json.loads((out / "summary.json").read_text())
    assert str(tmp_path / "sites.gpkg") in summary["manifest"]["inputs"]
    assert summary["goals"]["placement"]["dwellings_share"] == 1.0
    assert summary["years"]["2030"]["new_dwellings"] == pytest.approx(800)
    capsys.readouterr()
    assert main(["rerun", str(out), "--quiet"]) == 0
    assert "match" in capsys.readouterr().out


def test_pack_polygon_replaces_the_circle() -> None:
    """A pack may give an area's real outline ([lon, lat] pairs); without one, the circle
    of its radius stands in and is labelled estimated."""
    from sim.region.pack import AreaSpec

    square = [(10.60, 59.90), (10.62, 59.90), (10.62, 59.91), (10.60, 59.91)]
    spec = AreaSpec(name="Felt", kind="growth_area", lat=59.905, lon=10.61, radius_m=500,
                    status="real", polygon=square)
    circle = AreaSpec(name="Ring", kind="station", lat=59.905, lon=10.61, radius_m=500,
                      status="real")
    area = Area(spec.name, spec.kind, *spec.xy, spec.radius_m, status=spec.status,
                polygon_wkt=spec.polygon_wkt())
    assert area.shape.geom_type == "Polygon" and area.shape_status == "real"
    assert area.shape.area == pytest.approx(1116 * 1113, rel=0.02)  # 0.02° × 0.01° at 59.9°
    round_ = Area(circle.name, circle.kind, *circle.xy, circle.radius_m, status="real")
    assert round_.shape.area == pytest.approx(np.pi * 500**2, rel=1e-3)
    assert round_.shape_status == "estimated"
    with pytest.raises(ValueError, match="at least 3 points"):
        AreaSpec(name="X", kind="other", lat=59.9, lon=10.6, radius_m=1, polygon=square[:2])
