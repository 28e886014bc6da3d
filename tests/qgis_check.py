"""Open a ``project.qgs`` headless with the system's PyQGIS (Debian ``python3-qgis``).

Run as ``/usr/bin/python3 tests/qgis_check.py PROJECT [PNG]``: prints one JSON object
with each layer's name, validity, feature count, renderer type and attribute, and
renders the visible layers at the project's view extent into ``PNG`` when given.
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")



def render(project, png: str) -> None:
    """Render the visible layers at the project's default view extent into ``png``."""
    from qgis.core import QgsMapRendererSequentialJob, QgsMapSettings
    from qgis.PyQt.QtCore import QSize

    settings = QgsMapSettings()
    root = project.layerTreeRoot()
    settings.setLayers([n.layer() for n in root.findLayers() if n.isVisible()])
    settings.setDestinationCrs(project.crs())
    settings.setExtent(project.viewSettings().defaultViewExtent())
    settings.setOutputSize(QSize(900, 900))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(png, "PNG")


def main(path: str, png: str = "") -> int:
    """Open the project, print what QGIS sees, render it when ``png`` is given.

    QGIS is imported here, not at module level, so that pytest's doctest collection
    (which imports every module under tests/) works without QGIS.
    """
    from qgis.core import QgsApplication, QgsProject

    app = QgsApplication([], False)
    app.initQgis()
    project = QgsProject.instance()
    ok = project.read(path)
    layers = []
    for layer in project.mapLayers().values():
        renderer = layer.renderer()
        info = {"name": layer.name(), "valid": layer.isValid(),
                "source": layer.source(), "features": layer.featureCount(),
                "renderer": renderer.type() if renderer else None,
                "crs": layer.crs().authid(),
                "labels": bool(layer.labelsEnabled())}
        if renderer is not None and renderer.type() == "graduatedSymbol":
            info["attr"] = renderer.classAttribute()
            info["ranges"] = [[r.lowerValue(), r.upperValue()] for r in renderer.ranges()]
            info["colours"] = [r.symbol().color().name() for r in renderer.ranges()]
        if renderer is not None and renderer.type() == "categorizedSymbol":
            info["attr"] = renderer.classAttribute()
            info["categories"] = [str(c.value()) for c in renderer.categories()]
        layers.append(info)
    root = project.layerTreeRoot()
    visible = [n.name() for n in root.findLayers() if n.isVisible()]
    print(json.dumps({"read": ok, "crs": project.crs().authid(), "layers": layers,
                      "visible": visible}))
    if png:
        render(project, png)
    app.exitQgis()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
