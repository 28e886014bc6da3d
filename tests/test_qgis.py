"""The QGIS project beside ``cells.gpkg``: valid XML, every layer source exists, styled.

When the system's PyQGIS (Debian ``python3-qgis``, installed by ``.ci/run``) is present
the project is also opened headless and rendered; otherwise that test skips (fails in
CI, where ``BAERUM_SIM_REQUIRE_QGIS`` is set).
"""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib.image as mpimg
import pyogrio
import pytest

from sim.output.maps import CLASS_COLOURS, distance_classes
from sim.output.summary import read_summary
from sim.vocab import EVERYDAY_FUNCTIONS

pytestmark = pytest.mark.slow

SYSTEM_PYTHON = Path("/usr/bin/python3")
CHECK = Path(__file__).with_name("qgis_check.py")


def _layers(project: Path) -> list[ET.Element]:
    return list(ET.parse(project).getroot().iter("maplayer"))


def test_project_is_valid_xml_with_existing_sources(demo_results: dict[str, Path]) -> None:
    result = demo_results["demo"]
    project = result / "project.qgs"
    root = ET.parse(project).getroot()
    assert root.tag == "qgis" and root.find("projectCrs/spatialrefsys/authid").text == \
        "EPSG:25833"
    tables = {str(name) for name, _ in pyogrio.list_layers(result / "cells.gpkg")}
    layers = _layers(project)
    ids = {ml.findtext("id") for ml in layers}
    assert len(ids) == len(layers) and all(len(i) > 10 for i in ids)  # QGIS keeps them
    tree_ids = {n.get("id") for n in root.iter("layer-tree-layer")}
    assert tree_ids == ids
    used = set()
    for ml in layers:
        source = ml.findtext("datasource")
        assert source.startswith("./cells.gpkg|layername="), source  # relative: movable
        table = source.split("layername=")[1]
        assert table in tables, table
        assert pyogrio.read_info(result / "cells.gpkg", layer=table)["features"] > 0
        assert ml.findtext("provider") == "ogr"
        used.add(table)
    assert used >= {"cells", "lines", "stops", "areas", "boundary", "places", "growth"}
    names = [ml.findtext("layername") for ml in layers]
    assert "Kollektivlinjer (lines)" in names and "Kommunegrense (boundary)" in names


def test_cells_graduated_like_the_png_maps(demo_results: dict[str, Path]) -> None:
    result = demo_results["demo"]
    summary = read_summary(result)
    by_attr = {}
    for ml in _layers(result / "project.qgs"):
        r = ml.find("renderer-v2")
        if r.get("type") == "graduatedSymbol":
            by_attr[r.get("attr")] = r
    assert set(by_attr) == {f"dist_{f}" for f in EVERYDAY_FUNCTIONS}
    for f in EVERYDAY_FUNCTIONS:
        edges = distance_classes(summary.access[f].threshold_m)
        ranges = by_attr[f"dist_{f}"].findall("ranges/range")
        assert [float(r.get("lower")) for r in ranges] == edges[:-1].tolist()
        assert [float(r.get("upper")) for r in ranges][:-1] == edges[1:-1].tolist()
        colours = [s.find("layer/Option/Option[@name='color']").get("value")
                   for s in by_attr[f"dist_{f}"].findall("symbols/symbol")]
        expected = [",".join(str(int(c[i:i + 2], 16)) for i in (1, 3, 5)) + ",255"
                    for c in CLASS_COLOURS]
        assert colours == expected


def _has_pyqgis() -> bool:
    if not SYSTEM_PYTHON.is_file():
        return False
    probe = subprocess.run([str(SYSTEM_PYTHON), "-c", "import qgis.core"],
                           capture_output=True, check=False)
    return probe.returncode == 0


def test_project_opens_in_qgis(demo_results: dict[str, Path], tmp_path: Path) -> None:
    if not _has_pyqgis():
        if os.environ.get("BAERUM_SIM_REQUIRE_QGIS"):
            pytest.fail("PyQGIS not found, but BAERUM_SIM_REQUIRE_QGIS is set (.ci/run)")
        pytest.skip("QGIS (python3-qgis) not installed; .ci/run installs it")
    result = demo_results["demo"]
    png = tmp_path / "qgis.png"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    run = subprocess.run([str(SYSTEM_PYTHON), str(CHECK), str(result / "project.qgs"),
                          str(png)], capture_output=True, text=True, timeout=300,
                         check=False, env={**env, "QT_QPA_PLATFORM": "offscreen"},
                         cwd=tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    info = json.loads(run.stdout.strip().splitlines()[-1])
    assert info["read"] and info["crs"] == "EPSG:25833"
    assert len(info["layers"]) == len(_layers(result / "project.qgs"))
    for layer in info["layers"]:
        assert layer["valid"] and layer["features"] > 0, layer
        assert Path(layer["source"].split("|")[0]) == (result / "cells.gpkg").resolve()
    graduated = [x for x in info["layers"] if x["renderer"] == "graduatedSymbol"]
    assert {x["attr"] for x in graduated} == {f"dist_{f}" for f in EVERYDAY_FUNCTIONS}
    assert graduated[0]["colours"] == list(CLASS_COLOURS)
    assert [x["labels"] for x in info["layers"] if x["name"].startswith("Stedsnavn")] == [True]
    shown = [n for n in info["visible"] if n.startswith("Gangavstand")]
    assert len(shown) == 1  # one walking-distance layer at a time
    pixels = mpimg.imread(png)[..., :3]
    assert pixels.std() > 0.05
