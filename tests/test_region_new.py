"""Another region, made as a new user would: ``region new`` for Oslo (kommune 0301) from
the real Oslo-east OSM extract and SSB grid, ``data import``, ``run`` and ``report``
(fixture ``oslo_east_built``, :mod:`fixtures.oslo_east`).

Checked: the boundary is Oslo cut to the street extract (against an independent cut of
the municipalities file), the outputs cite no Bærum source (every source text of the
Bærum pack and the names it is known by), the mode choice says it is not calibrated to
the region, and what the region lacks (public transport, schools, shops, kindergartens,
jobs) is said rather than passed as a goal with target 0.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import osmium
import pyogrio
import pytest
import shapely
from fixtures.baerum import DATA, needs_data

from sim.cli import main
from sim.model.calibration import Targets, targets_for_modes
from sim.settings import NETWORK_DATA_DIR

BAERUM_PACK = NETWORK_DATA_DIR / "baerum"
TEMPLATE = NETWORK_DATA_DIR / "_templates" / "norway.toml"

#: Names and sources that only Bærum's pack uses (each is checked to occur in it).
BAERUM_MARKERS = ("Bærum", "baerum", "stations.md", "PROVENANCE.md", "facts §",
                  "travel survey 2018", "local supplement", "Klimastrategi", "PROSAM", "Viken",
                  "3201", "årsrapport", "OBOS", "Fornebu", "Sandvika", "Bekkestua")

#: The program's own name is not a source about Bærum.
TOOL_NAME = re.compile(r"baerum[-_]sim", re.IGNORECASE)

TEXT_SUFFIXES = {".json", ".csv", ".qgs", ".md", ".html", ".txt", ".toml", ".geojson"}


def _strings(value: Any, key: str = "") -> list[tuple[str, str]]:
    """(key, text) of every string in nested TOML data."""
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _strings(v, str(k))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, key)]
    return [(key, value)] if isinstance(value, str) else []


def baerum_sources() -> set[str]:
    """Every ``source``/``note`` text of the Bærum pack that the national template does not
    share (those are national facts, not Bærum's)."""
    national = {t for _, t in _strings(tomllib.loads(TEMPLATE.read_text(encoding="utf-8")))}
    texts = set()
    for path in sorted(BAERUM_PACK.glob("*.toml")):
        for key, text in _strings(tomllib.loads(path.read_text(encoding="utf-8"))):
            if ("source" in key or key == "note") and len(text) >= 8 and text not in national:
                texts.add(text)
    return texts


def output_texts(*dirs: Path) -> dict[str, str]:
    """Text of every text output under ``dirs``, and the string columns of GeoPackages."""
    out = {}
    for d in dirs:
        for path in sorted(d.rglob("*")):
            if path.suffix in TEXT_SUFFIXES:
                out[str(path.relative_to(d.parent))] = path.read_text(encoding="utf-8")
            elif path.suffix == ".gpkg":
                for layer, _ in pyogrio.list_layers(path):
                    frame = pyogrio.read_dataframe(path, layer=layer, read_geometry=False)
                    text = frame.select_dtypes(exclude="number").astype(str).to_csv()
                    out[f"{path.relative_to(d.parent)}#{layer}"] = text
    return out


def _summary(state: dict) -> dict:
    return json.loads((state["result"] / "summary.json").read_text(encoding="utf-8"))


def test_baerum_markers_are_baerum_sources() -> None:
    """The markers searched for below occur in the Bærum pack (so the search means
    something), and the pack's source texts are many."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in BAERUM_PACK.glob("*.toml"))
    assert [m for m in BAERUM_MARKERS if m.casefold() not in text.casefold()] == []
    assert len(baerum_sources()) >= 20


def test_targets_without_an_unavailable_mode() -> None:
    """A region without PT: its survey share is left out, the others keep their ratios."""
    targets = Targets(modes={"walk": 0.2, "bike": 0.05, "pt": 0.15, "car": 0.6},
                      purposes={"school": {"walk": 0.5, "pt": 0.3}})
    out = targets_for_modes(targets, ["walk", "bike", "car"])
    assert out.modes == pytest.approx({"walk": 0.2 / 0.85, "bike": 0.05 / 0.85,
                                       "car": 0.6 / 0.85})
    assert out.purposes == {"school": {"walk": 0.5}}
    assert targets_for_modes(targets, ["walk", "bike", "pt", "car"]) is targets


@pytest.mark.slow
def test_region_new_cuts_oslo_to_the_extract(oslo_east_built) -> None:
    s = oslo_east_built
    assert s["new_rc"] == 0
    pack = tomllib.loads((s["pack"] / "pack.toml").read_text(encoding="utf-8"))
    assert pack["inputs"]["streets"] == ["oslo_east.osm.pbf"]
    assert pack["inputs"]["population"] == ["ssb_pop250m_2023_oslo.gpkg"]
    assert pack["inputs"]["gtfs"] == []
    boundary = pack["layers"]["boundary"]
    assert boundary["status"] == "derived" and "clipped to the street extract" in boundary["note"]
    assert {"calibration", "climate", "crs"} <= set(pack["region"]["estimated"])
    assert pack["calibration"]["regional"] is False
    assert "green_share_target" not in pack["climate"]  # Oslo's target was not read

    # oracle: Oslo from the municipalities file cut to the bounding box of the extract
    kommuner = gpd.read_file(DATA / "kommuner_2024_S.geojson")
    oslo = kommuner[kommuner.kommunenummer == "0301"].to_crs("EPSG:4326").union_all()
    lon, lat = [], []
    for node in osmium.FileProcessor(str(DATA / "oslo_east.osm.pbf"), osmium.osm.NODE):
        lon.append(node.location.lon)
        lat.append(node.location.lat)
    expected = oslo.intersection(shapely.box(min(lon), min(lat), max(lon), max(lat)))
    written = gpd.read_file(s["pack"] / "inputs" / "boundary.geojson").union_all()
    utm = gpd.GeoSeries([expected, written, oslo], crs="EPSG:4326").to_crs("EPSG:25833")
    assert utm.iloc[1].area == pytest.approx(utm.iloc[0].area, rel=1e-3)
    assert utm.iloc[0].symmetric_difference(utm.iloc[1]).area < 1e-3 * utm.iloc[0].area
    assert 0.05 < utm.iloc[1].area / utm.iloc[2].area < 0.2  # a part of Oslo, not all
    assert f"{utm.iloc[1].area / 1e6:.1f} of {utm.iloc[2].area / 1e6:.1f} km²" in \
        boundary["note"]


@needs_data
def test_region_new_takes_only_grids_with_people_inside(tmp_path, monkeypatch) -> None:
    """From the whole shared directory: the Akershus grid surrounds Oslo (its extent
    overlaps) but has no populated cell centred in it, so only Oslo's grid is taken
    (a grid taken as an alternative before Oslo's made the import fail)."""
    monkeypatch.setenv("BAERUM_SIM_PACKS", str(tmp_path))
    assert main(["region", "new", "oslo_all", "--kommune", "0301", "--from", str(DATA),
                 "--dir", str(tmp_path), "--quiet"]) == 0
    pack = tomllib.loads((tmp_path / "oslo_all" / "pack.toml").read_text(encoding="utf-8"))
    assert pack["inputs"]["population"] == ["ssb_pop250m_2023_oslo.gpkg"]
    streets = pack["inputs"]["streets"]
    assert len(streets) == 1 and "oslo_east.osm.pbf" in streets[0]  # one group, read together
    # oracle: no populated Akershus cell has its centre in the (clipped) boundary, which
    # lies inside the Akershus grid's extent
    boundary = gpd.read_file(tmp_path / "oslo_all" / "inputs" / "boundary.geojson")
    grid = gpd.read_file(DATA / "ssb_pop250m_2023_akershus.gpkg")
    area = boundary.to_crs(grid.crs).union_all()
    assert shapely.box(*grid.total_bounds).intersects(area)
    assert not grid[grid.pop_tot > 0].geometry.centroid.within(area).any()


@pytest.mark.slow
def test_oslo_east_imports_and_runs(oslo_east_built) -> None:
    s = oslo_east_built
    assert (s["import_rc"], s["run_rc"], s["report_rc"]) == (0, 0, 0)
    info = json.loads((s["bundle"] / "info.json").read_text(encoding="utf-8"))
    figures = info["figures"]
    # oracle: the SSB grid's populated cells with centre inside the written boundary
    boundary = gpd.read_file(s["pack"] / "inputs" / "boundary.geojson").to_crs("EPSG:25833")
    grid = gpd.read_file(DATA / "ssb_pop250m_2023_oslo.gpkg")
    inside = grid[(grid.pop_tot > 0) & grid.geometry.centroid.within(boundary.union_all())]
    summary = _summary(s)
    assert summary["years"]["2023"]["residents"] == pytest.approx(inside.pop_tot.sum(),
                                                                  rel=1e-9)
    assert "oslo_east.osm.pbf" in info["layers"]["streets"]["source"]
    assert figures["facilities"]["school"] == 0 and figures["facilities"]["grocery"] == 0
    for name in ("placement", "nullvekst", "kortreist", "green_share"):
        goal = summary["goals"][name]
        assert math.isfinite(goal["value"]) and math.isfinite(goal["target"]), name
    assert math.isfinite(summary["goals"]["co2"]["co2_t_per_year"])
    assert sum(summary["mode_shares"].values()) == pytest.approx(1.0)
    assert summary["years"]["2030"]["new_dwellings"] == pytest.approx(500)


@pytest.mark.slow
def test_outputs_cite_no_baerum_source(oslo_east_built) -> None:
    texts = output_texts(oslo_east_built["result"], oslo_east_built["report"])
    names = set(texts)
    assert {"result/summary.json", "result/project.qgs", "report/report.md",
            "report/report.html", "result/cells.gpkg#cells"} <= names
    sources = baerum_sources()
    found = []
    for name, text in texts.items():
        plain = TOOL_NAME.sub("", text).casefold()
        found += [(name, m) for m in BAERUM_MARKERS if m.casefold() in plain]
        found += [(name, src) for src in sources if src.casefold() in plain]
    assert found == []


@pytest.mark.slow
def test_outputs_say_not_calibrated_to_this_region(oslo_east_built) -> None:
    s = oslo_east_built
    summary = _summary(s)
    calibration = summary["calibration"]
    assert calibration["regional"] is False and calibration["converged"] is True
    texts = output_texts(s["result"], s["report"])
    for name in ("result/summary.json", "result/project.qgs", "report/report.md",
                 "report/report.html"):
        assert "not calibrated to this region" in texts[name].replace("\n", " "), name
    assert "not calibrated to this region" in summary["data_note"]
    assert "national travel survey" in calibration["note"]


@pytest.mark.slow
def test_what_the_region_lacks_is_said(oslo_east_built) -> None:
    summary = _summary(oslo_east_built)
    kortreist = summary["goals"]["kortreist"]
    # no schools, shops or kindergartens: no basket anywhere, and a target of 0 fails
    assert kortreist["target"] == 0 and kortreist["pass"] is False
    assert "cannot hold" in kortreist["target_rule"]
    for function in ("school", "grocery", "kindergarten"):
        access = summary["access"][function]
        assert access["data_status"] == "missing" and access["n_facilities"] == 0
        assert access["share_within"] == 0 and access["mean_distance_m"] is None
    # no public transport: left out of the mode choice (calibrated to the other modes),
    # no PT trips, undefined PT elasticities, and the note says so
    calibration = summary["calibration"]
    assert calibration["unavailable_modes"] == ["pt"]
    assert "pt" not in calibration["targets"]["modes"]
    assert sum(calibration["targets"]["modes"].values()) == pytest.approx(1.0)
    assert summary["mode_shares"]["pt"] == 0
    assert np.isfinite(list(calibration["constants"]["asc"].values())).all()
    assert abs(calibration["constants"]["asc"]["pt"]) < 1e-12
    assert summary["elasticities"]["pt_wrt_headway"]["value"] is None
    assert "No public transport in this region" in summary["data_note"]
    # no jobs (and no shops): work and shopping trips have nowhere to go, and it is said
    by_purpose = summary["demand"]["by_purpose"]
    assert by_purpose["work"] == {"trips": 0} and by_purpose["shopping_service"]["trips"] == 0
    assert by_purpose["leisure"]["trips"] > 0
    assert "No work, shopping_service trips in 2030" in summary["data_note"]
    # no green-share target of the region: the reference year's share, not 0
    green = summary["goals"]["green_share"]
    assert green["target"] == pytest.approx(green["reference_value"]) and green["target"] > 0
    assert "no green-share target of this region" in green["source"]
