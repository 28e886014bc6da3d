"""A QGIS project (``project.qgs``) beside ``cells.gpkg``: every layer styled, names in Norwegian.

A planner double-clicks the project and sees the map: walking distance per everyday
function (graduated, the classes and colours of the PNG maps, one layer per function
in a group, the first shown), lines by mode, stops, priority areas, growth
placements, the boundary, neighbouring municipalities, facilities and place labels.
Every layer is a table of ``cells.gpkg``, referenced by a relative path, so the result
directory can be moved. The XML is written by hand (no QGIS needed to write it) and
is the same for the same inputs.
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from matplotlib.colors import to_rgba
from pyproj import CRS as ProjCRS

from sim.domain import CRS
from sim.output.context import MapContext, context_bounds
from sim.output.maps import (
    CLASS_COLOURS,
    TRANSIT_COLOURS,
    WATER,
    both,
    class_labels,
    distance_classes,
    no_en,
)
from sim.output.summary import Summary
from sim.vocab import EVERYDAY_FUNCTIONS

#: QGIS version the project format follows (3.x reads it).
QGIS_VERSION = "3.22.0-Białowieża"
#: Upper bound of the open last class (QGIS ranges need one).
OPEN_UPPER = 1e12
#: Colours of facility categories (Okabe–Ito, colour-blind safe).
FACILITY_COLOURS = {"grocery": "#D55E00", "school": "#0072B2", "kindergarten": "#E69F00",
                    "recreation": "#009E73", "transit_stop": "#000000"}


def _rgba(colour: str, alpha: float = 1.0) -> str:
    r, g, b, _ = to_rgba(colour)
    return f"{round(255 * r)},{round(255 * g)},{round(255 * b)},{round(255 * alpha)}"


@dataclass
class QgisLayer:
    """One map layer: a table of ``cells.gpkg``, its Norwegian name and its renderer."""

    id: str
    name: str
    table: str
    geometry: str  # Polygon, Line or Point
    renderer: ET.Element
    checked: bool = True
    labels: str = ""
    group: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _options(parent: ET.Element, props: dict[str, str]) -> None:
    opt = ET.SubElement(parent, "Option", type="Map")
    for k, v in sorted(props.items()):
        ET.SubElement(opt, "Option", name=k, type="QString", value=v)


def _symbol(kind: str, name: str, props: dict[str, str]) -> ET.Element:
    cls = {"fill": "SimpleFill", "line": "SimpleLine", "marker": "SimpleMarker"}[kind]
    sym = ET.Element("symbol", type=kind, name=name, alpha="1", clip_to_extent="1",
                     force_rhr="0")
    layer = ET.SubElement(sym, "layer", {"class": cls, "enabled": "1", "locked": "0",
                                         "pass": "0"})
    _options(layer, props)
    return sym


def fill(colour: str, outline: str = "", alpha: float = 1.0, width: str = "0.26",
         dashed: bool = False) -> dict[str, str]:
    """SimpleFill properties: ``colour`` fill (``"none"``: no brush), optional outline."""
    props = {"color": _rgba(colour, alpha) if colour != "none" else "0,0,0,0",
             "style": "no" if colour == "none" else "solid",
             "outline_style": ("dash" if dashed else "solid") if outline else "no",
             "outline_width": width, "outline_width_unit": "MM"}
    if outline:
        props["outline_color"] = _rgba(outline)
    return props


def _line(colour: str, width: float, dashed: bool = False) -> dict[str, str]:
    return {"line_color": _rgba(colour), "line_width": f"{width:g}", "line_width_unit": "MM",
            "line_style": "dash" if dashed else "solid", "capstyle": "round"}


def _marker(colour: str, size: float, outline: str = "#111111") -> dict[str, str]:
    return {"name": "circle", "color": _rgba(colour), "outline_color": _rgba(outline),
            "outline_width": "0.3", "size": f"{size:g}", "size_unit": "MM"}


def single(kind: str, props: dict[str, str]) -> ET.Element:
    """A single-symbol renderer."""
    r = ET.Element("renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0",
                   enableorderby="0")
    ET.SubElement(r, "symbols").append(_symbol(kind, "0", props))
    return r


def categorized(attr: str, kind: str, cats: list[tuple[str, str, dict[str, str]]]
                ) -> ET.Element:
    """A categorized renderer: ``(value, label, symbol properties)`` per category."""
    r = ET.Element("renderer-v2", type="categorizedSymbol", attr=attr, symbollevels="0",
                   forceraster="0", enableorderby="0")
    cats_el, syms = ET.SubElement(r, "categories"), ET.SubElement(r, "symbols")
    for i, (value, label, props) in enumerate(cats):
        ET.SubElement(cats_el, "category", render="true", symbol=str(i), value=value,
                      label=label)
        syms.append(_symbol(kind, str(i), props))
    return r


def graduated(attr: str, edges: list[float], colours: list[str], labels: list[str]
              ) -> ET.Element:
    """A graduated renderer: class ``i`` is ``edges[i] < v <= edges[i+1]`` (QGIS ranges)."""
    r = ET.Element("renderer-v2", type="graduatedSymbol", attr=attr,
                   graduatedMethod="GraduatedColor", symbollevels="0", forceraster="0",
                   enableorderby="0")
    ranges, syms = ET.SubElement(r, "ranges"), ET.SubElement(r, "symbols")
    for i, (lo, hi) in enumerate(itertools.pairwise(edges)):
        upper = OPEN_UPPER if hi == float("inf") else hi
        ET.SubElement(ranges, "range", render="true", symbol=str(i), lower=f"{lo:g}",
                      upper=f"{upper:g}", label=labels[i])
        syms.append(_symbol("fill", str(i), fill(colours[i])))
    ET.SubElement(r, "mode", name="manual")
    return r


def _labeling(parent: ET.Element, field_name: str) -> None:
    lab = ET.SubElement(parent, "labeling", type="simple")
    settings = ET.SubElement(lab, "settings", calloutType="simple")
    style = ET.SubElement(settings, "text-style", fieldName=field_name, isExpression="0",
                          fontSize="9", fontSizeUnit="Point", textColor="17,17,17,255",
                          fontFamily="Sans Serif", fontWeight="50", textOpacity="1",
                          namedStyle="Regular")
    ET.SubElement(style, "text-buffer", bufferDraw="1", bufferSize="1", bufferSizeUnits="MM",
                  bufferColor="255,255,255,255", bufferOpacity="1", bufferNoFill="1")
    ET.SubElement(settings, "placement", placement="0", dist="1", distUnits="MM",
                  quadOffset="1")
    ET.SubElement(settings, "rendering", obstacle="1", scaleVisibility="0",
                  displayAll="0", drawLabels="1", upsidedownLabels="0")


def _spatialrefsys(parent: ET.Element) -> None:
    crs = ProjCRS.from_user_input(CRS)
    srs = ET.SubElement(parent, "spatialrefsys")
    for tag, text in (("wkt", crs.to_wkt()), ("srid", str(crs.to_epsg())), ("authid", CRS),
                      ("description", crs.name), ("projectionacronym", "utm"),
                      ("ellipsoidacronym", "EPSG:7019"), ("geographicflag", "false")):
        ET.SubElement(srs, tag).text = text


def _layer_id(layer: QgisLayer) -> str:
    """A layer id QGIS keeps (it replaces ids of 10 characters or fewer)."""
    return f"baerum_sim_{layer.id}"


def _maplayer(layer: QgisLayer, gpkg: str) -> ET.Element:
    ml = ET.Element("maplayer", type="vector", geometry=layer.geometry,
                    labelsEnabled="1" if layer.labels else "0", styleCategories=
                    "AllStyleCategories", hasScaleBasedVisibilityFlag="0", minScale="0",
                    maxScale="0")
    ET.SubElement(ml, "id").text = _layer_id(layer)
    ET.SubElement(ml, "datasource").text = f"./{gpkg}|layername={layer.table}"
    ET.SubElement(ml, "layername").text = layer.name
    _spatialrefsys(ET.SubElement(ml, "srs"))
    ET.SubElement(ml, "provider", encoding="UTF-8").text = "ogr"
    ml.append(layer.renderer)
    if layer.labels:
        _labeling(ml, layer.labels)
    return ml


def _cell_layers(summary: Summary) -> list[QgisLayer]:
    """Walking distance per function: graduated cells, the classes of the PNG maps."""
    out = []
    for i, function in enumerate(EVERYDAY_FUNCTIONS):
        access = summary.access.get(function)
        if access is None:
            continue
        edges = distance_classes(access.threshold_m)
        no, en = no_en(function)
        out.append(QgisLayer(
            id=f"gangavstand_{function}",
            name=f"Gangavstand til {no} (walking distance to {en})",
            table="cells", geometry="Polygon", checked=i == 0,
            group="Gangavstand (walking distance)",
            renderer=graduated(f"dist_{function}", [float(e) for e in edges],
                               list(CLASS_COLOURS), class_labels(edges))))
    return out


def _context_layers(context: MapContext) -> list[QgisLayer]:
    """Context layers present in the result, top of the map first."""
    frames = context.frames()
    modes = sorted(set(context.lines["mode"])) if len(context.lines) else []
    cats = sorted(set(context.facilities["category"])) if len(context.facilities) else []
    layers = [
        QgisLayer("stedsnavn", "Stedsnavn (place names)", "places", "Point",
                  single("marker", _marker("#111111", 1.0, "#111111")), labels="name"),
        QgisLayer("holdeplasser", "Holdeplasser og stasjoner (stops)", "stops", "Point",
                  categorized("high_frequency", "marker", [
                      ("1", "høyfrekvent (high frequency)", _marker("#ffffff", 3.0)),
                      ("0", "annen (other)", _marker("#ffffff", 1.8))])),
        QgisLayer("linjer", "Kollektivlinjer (lines)", "lines", "Line",
                  categorized("mode", "line", [(m, both(m), _line(TRANSIT_COLOURS.get(
                      m, "#555555"), 0.9)) for m in modes])),
        QgisLayer("funksjoner", "Hverdagsfunksjoner (facilities)", "facilities", "Point",
                  categorized("category", "marker", [(c, both(c), _marker(
                      FACILITY_COLOURS.get(c, "#777777"), 1.8)) for c in cats]),
                  checked=False),
        QgisLayer("kommunegrense", "Kommunegrense (boundary)", "boundary", "Polygon",
                  single("fill", fill("none", "#111111", width="0.6"))),
        QgisLayer("prioriterte_omrader", "Vekstområder og stasjoner (priority areas)",
                  "areas", "Polygon", categorized("priority", "fill", [
                      ("1", "prioritert (priority)", fill("none", "#333333", dashed=True)),
                      ("0", "annet (other)", fill("none", "#999999", dashed=True))])),
        QgisLayer("vekst", "Vekstplassering (growth placements)", "growth", "Polygon",
                  single("fill", fill("#CC79A7", "#8c3d6e", alpha=0.35)), checked=False),
        QgisLayer("nabokommuner", "Nabokommuner (neighbouring municipalities)", "neighbours",
                  "Polygon", single("fill", fill("#efece4", "#b5b0a5"))),
    ]
    return [layer for layer in layers if len(frames[layer.table])]


def qgis_project(summary: Summary, context: MapContext, extent: tuple[float, ...],
                 gpkg: str = "cells.gpkg") -> str:
    """The project XML: context layers over the walking-distance group over neighbours."""
    ctx_layers = _context_layers(context)
    below = [layer for layer in ctx_layers if layer.table == "neighbours"]
    above = [layer for layer in ctx_layers if layer.table != "neighbours"]
    order = [*above, *_cell_layers(summary), *below]
    root = ET.Element("qgis", projectname=f"baerum-sim: {summary.scenario.name}",
                      version=QGIS_VERSION)
    ET.SubElement(root, "homePath", path="")
    title = f"{summary.scenario.name} — {summary.scenario.final_year}"
    ET.SubElement(root, "title").text = title
    meta = ET.SubElement(root, "projectMetadata")  # Project Properties > Metadata in QGIS
    ET.SubElement(meta, "title").text = title
    ET.SubElement(meta, "abstract").text = summary.data_note  # what the numbers rest on
    _spatialrefsys(ET.SubElement(root, "projectCrs"))
    tree = ET.SubElement(root, "layer-tree-group")
    groups: dict[str, ET.Element] = {}
    for layer in order:
        parent = tree
        if layer.group:
            if layer.group not in groups:
                groups[layer.group] = ET.SubElement(tree, "layer-tree-group",
                                                    name=layer.group, checked="Qt::Checked",
                                                    expanded="1")
            parent = groups[layer.group]
        ET.SubElement(parent, "layer-tree-layer", id=_layer_id(layer), name=layer.name,
                      source=f"./{gpkg}|layername={layer.table}", providerKey="ogr",
                      checked="Qt::Checked" if layer.checked else "Qt::Unchecked",
                      expanded="0")
    x0, x1, y0, y1 = extent
    canvas = ET.SubElement(root, "mapcanvas", name="theMapCanvas")
    ET.SubElement(canvas, "units").text = "meters"
    ext = ET.SubElement(canvas, "extent")
    for tag, v in (("xmin", x0), ("ymin", y0), ("xmax", x1), ("ymax", y1)):
        ET.SubElement(ext, tag).text = f"{v:.1f}"
    _spatialrefsys(ET.SubElement(canvas, "destinationsrs"))
    view = ET.SubElement(root, "ProjectViewSettings", UseProjectScales="0")
    ET.SubElement(view, "DefaultViewExtent", xmin=f"{x0:.1f}", ymin=f"{y0:.1f}",
                  xmax=f"{x1:.1f}", ymax=f"{y1:.1f}").append(_srs_only())
    layers_el = ET.SubElement(root, "projectlayers")
    for layer in order:
        layers_el.append(_maplayer(layer, gpkg))
    props = ET.SubElement(root, "properties")
    paths = ET.SubElement(props, "Paths")
    ET.SubElement(paths, "Absolute", type="bool").text = "false"
    gui = ET.SubElement(props, "Gui")  # canvas colour: water, as on the PNG maps
    for part, value in zip(("Red", "Green", "Blue"), _rgba(WATER).split(",")[:3], strict=True):
        ET.SubElement(gui, f"CanvasColor{part}Part", type="int").text = value
    srs = ET.SubElement(props, "SpatialRefSys")
    ET.SubElement(srs, "ProjectionsEnabled", type="int").text = "1"
    ET.indent(root, space=" ")
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            + ET.tostring(root, encoding="unicode") + "\n")


def _srs_only() -> ET.Element:
    holder = ET.Element("holder")
    _spatialrefsys(holder)
    return holder[0]


def write_qgis_project(summary: Summary, context: MapContext, cells: gpd.GeoDataFrame,
                       path: Path) -> Path:
    """Write ``project.qgs`` for the ``cells.gpkg`` beside ``path``."""
    extent = context_bounds(context, cells)
    path.write_text(qgis_project(summary, context, extent), encoding="utf-8")
    return path
