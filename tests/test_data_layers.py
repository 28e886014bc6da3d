"""Population, facilities and lattice on small synthetic inputs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from sim.domain import Streets
from sim.errors import InputError
from sim.readers.facilities import facilities_from_file, osm_tag_keys
from sim.readers.layers import cells_from_population
from sim.region.lattice import cell_nodes, empty_streets, lattice_from_cells
from sim.region.lattice import walk_components as component_labels
from sim.region.proxies import jobs_proxy, kindergarten_proxy, recreation_proxy

BOUNDARY = shapely.box(0, 0, 2000, 2000)


def _cells(xy, pop=10.0):
    xy = np.asarray(xy, float)
    return pd.DataFrame({"cell_id": np.arange(len(xy)), "x": xy[:, 0], "y": xy[:, 1],
                         "population": np.full(len(xy), pop)})


def test_points_layer_with_named_column(tmp_path):
    gdf = gpd.GeoDataFrame({"bosatte": [5, 7, 9]},
                           geometry=[shapely.Point(125, 125), shapely.Point(375, 125),
                                     shapely.Point(5000, 125)], crs="EPSG:25833")
    gdf.to_file(tmp_path / "p.gpkg")
    cells, size = cells_from_population([tmp_path / "p.gpkg"], BOUNDARY)
    assert cells["population"].sum() == 12 and size == 250
    with pytest.raises(InputError, match="'inhabitants' not found"):
        cells_from_population([tmp_path / "p.gpkg"], BOUNDARY, column="inhabitants")


def test_polygons_in_wgs84_are_projected(tmp_path):
    from sim.domain import lonlat_to_xy

    x, y = lonlat_to_xy(10.55, 59.92)
    cell = shapely.box(x - 125, y - 125, x + 125, y + 125)
    gdf = gpd.GeoDataFrame({"pop_tot": [3]}, geometry=[cell], crs="EPSG:25833").to_crs(4326)
    gdf.to_file(tmp_path / "p.geojson")
    cells, size = cells_from_population([tmp_path / "p.geojson"], cell.buffer(10))
    assert cells["x"].iloc[0] == pytest.approx(x, abs=1) and size == pytest.approx(250, abs=1)


def test_jobs_proxy_totals():
    cells = _cells([(0, 0), (250, 0), (5000, 0)])
    jobs = jobs_proxy(cells, [(0, 0, 100.0, 300.0)], total=160.0)
    assert jobs.sum() == pytest.approx(160)
    assert jobs[2] == pytest.approx(20)  # rest spread by population


def test_facility_csv_and_errors(tmp_path):
    (tmp_path / "f.csv").write_text("category,name,lon,lat,capacity\n"
                                    "grocery,Kiwi,10.55,59.92,\nschool,X,10.56,59.93,300\n")
    df = facilities_from_file(tmp_path / "f.csv")
    assert list(df["category"]) == ["grocery", "school"]
    assert np.isnan(df["capacity"].iloc[0]) and df["capacity"].iloc[1] == 300
    (tmp_path / "g.csv").write_text("category,x,y\nshop,1,2\n")
    with pytest.raises(InputError, match="unknown value 'shop'"):
        facilities_from_file(tmp_path / "g.csv")
    (tmp_path / "h.csv").write_text("category,a,b\nschool,1,2\n")
    with pytest.raises(InputError, match="no coordinate columns"):
        facilities_from_file(tmp_path / "h.csv")


def test_proxies_are_labelled():
    cells = _cells([(125 + 250 * i, 125 + 250 * j) for i in range(4) for j in range(4)])
    k = kindergarten_proxy(cells, 3)
    assert len(k) == 3 and set(k["status"]) == {"proxy"}
    r = recreation_proxy(cells, BOUNDARY, 250.0)
    assert len(r) > 0 and set(r["status"]) == {"proxy"}
    assert osm_tag_keys({"a": {"shop": ["x"]}, "b": {"shop": ["y"], "amenity": True}}) == {
        "shop": ["x", "y"], "amenity": True}


def _street(x0: float, n: int = 5) -> Streets:
    xs = x0 + np.arange(n) * 50.0
    m = n - 1
    return Streets(xs, np.zeros(n), np.arange(m), np.arange(1, n), np.full(m, 50.0),
                   np.ones(m, bool), np.ones(m, bool), np.ones(m, bool), np.full(m, 30.0),
                   np.zeros(m, bool))


def test_lattice_connects_everything_and_bridges_islands():
    streets = _street(0.0)
    # a cluster near the street, and an isolated cluster 3 km away
    near = [(125 + 250 * i, 250.0) for i in range(3)]
    far = [(3000 + 250 * i, 3000.0) for i in range(2)]
    cells = _cells(near + far + [(100.0, 0.0)])
    out, report = lattice_from_cells(streets, cells, 250.0)
    assert report.all_cells_connected
    assert report.lattice_cells == 5 and report.bridge_links >= 1
    assert report.lattice_share == pytest.approx(5 / 6)
    assert out.synthetic[streets.n_edges:].all() and not out.synthetic[:streets.n_edges].any()
    assert (out.length_m > 0).all()
    labels = component_labels(out)
    assert len(np.unique(labels[cell_nodes(out, cells)])) == 1


def test_lattice_without_streets():
    cells = _cells([(125, 125), (375, 125), (2000, 2000)])
    out, report = lattice_from_cells(empty_streets(), cells, 250.0)
    assert report.lattice_share == 1.0 and report.all_cells_connected
    assert out.n_nodes == 3 and out.synthetic.all()
