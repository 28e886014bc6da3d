"""The interactive map of the HTML report: Bokeh, every byte of JavaScript inlined.

Cells are coloured by a chosen measure in the classes of the PNG maps; hovering a
cell shows its residents, the walking distance to each everyday function, the basket
and its zone's mode shares. Lines, stops, priority areas and place names are layers
that can be switched off; with two or more results the map is shown twice, side by
side with linked zoom, each with its own scenario switch. An OpenStreetMap basemap
can be switched on; only then does the page load anything from the network.

The map is drawn in Web Mercator (EPSG:3857), the projection of web tiles; the
scale bar is corrected for it (a metre on the ground is ``1/cos(latitude)`` Mercator
units).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
from bokeh.embed import components
from bokeh.layouts import column, row
from bokeh.models import ColumnDataSource, CustomJS, HoverTool, WMTSTileSource
from bokeh.models.annotations import LabelSet
from bokeh.models.widgets import CheckboxGroup, Div, Select
from bokeh.plotting import figure
from bokeh.resources import Resources

from sim.output.context import MapContext
from sim.output.maps import (
    CLASS_COLOURS,
    TRANSIT_COLOURS,
    class_labels,
    distance_classes,
    no_en,
)
from sim.output.summary import Summary
from sim.vocab import EVERYDAY_FUNCTIONS, SUMMARY_MODES

WEB = "EPSG:3857"
OSM_TILES = "https://tile.openstreetmap.org/{Z}/{X}/{Y}.png"
OSM_ATTRIBUTION = "© OpenStreetMap contributors (ODbL)"
#: Sequential colour-blind-safe palette (ColorBrewer YlGnBu) for counts and shares.
SEQUENTIAL = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")

#: Columns copied from the per-cell layer into the map (shown on hover).
HOVER_COLUMNS = ("residents", "new_residents", *(f"dist_{f}" for f in EVERYDAY_FUNCTIONS),
                 "n_within", *(f"zone_share_{m}" for m in SUMMARY_MODES))


@dataclass
class MapInput:
    """One result on the map: a short key, its name, summary, cells and context."""

    key: str
    name: str
    summary: Summary
    cells: gpd.GeoDataFrame
    context: MapContext


def _measures(first: MapInput) -> dict[str, dict[str, Any]]:
    """Measures to colour by: label, class edges (open last class), colours, labels."""
    out: dict[str, dict[str, Any]] = {}
    for f in EVERYDAY_FUNCTIONS:
        edges = distance_classes(first.summary.access[f].threshold_m)
        no, en = no_en(f)
        out[f"dist_{f}"] = {"label": f"Gangavstand til {no} (walking distance to {en})",
                            "edges": edges, "colours": CLASS_COLOURS,
                            "labels": class_labels(edges)}
    n = len(EVERYDAY_FUNCTIONS)
    out["n_within"] = {"label": "Funksjoner innen terskel (functions within threshold)",
                       "edges": np.arange(-0.5, n + 1.0), "colours": SEQUENTIAL[-n - 1:],
                       "labels": [str(k) for k in range(n + 1)]}
    for col, no, en, bounds in (
        ("residents", "Bosatte", "residents", [0, 25, 50, 100, 200, 400]),
        ("new_residents", "Nye bosatte", "new residents", [0, 1, 25, 100, 250, 500]),
        ("zone_share_car", "Bilandel i sonen", "car share of the zone",
         [0, 0.2, 0.3, 0.4, 0.5, 0.6]),
        ("zone_share_pt", "Kollektivandel i sonen", "PT share of the zone",
         [0, 0.05, 0.1, 0.15, 0.2, 0.3]),
    ):
        e = np.array([*bounds, np.inf], float)
        labs = class_labels(e, "{:.0%}" if col.startswith("zone_") else "{:.0f}", "")
        out[col] = {"label": f"{no} ({en})", "edges": e, "colours": SEQUENTIAL,
                    "labels": labs}
    return out


def _patch_xy(geoms: gpd.GeoSeries, tolerance: float = 0.0) -> tuple[list, list]:
    """Bokeh ``patches`` coordinates; parts of a multipolygon separated by NaN."""
    xs, ys = [], []
    for geom in geoms:
        if tolerance:
            geom = geom.simplify(tolerance)
        px: list[float] = []
        py: list[float] = []
        for part in getattr(geom, "geoms", [geom]):
            if part.geom_type != "Polygon":
                continue
            x, y = part.exterior.xy
            if px:
                px.append(math.nan)
                py.append(math.nan)
            px += [round(v, 1) for v in x]
            py += [round(v, 1) for v in y]
        xs.append(px)
        ys.append(py)
    return xs, ys


def _web(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.to_crs(WEB) if len(frame) else frame


def _cell_store(inputs: list[MapInput], ids: np.ndarray) -> dict[str, list[Any]]:
    """Every result's hover columns, keyed ``<key>|<column>``, rows in ``ids`` order."""
    store: dict[str, list[Any]] = {}
    for inp in inputs:
        table = inp.cells.set_index("cell_id").reindex(ids)
        for col in HOVER_COLUMNS:
            values = table[col].to_numpy(float) if col in table else np.full(len(ids), np.nan)
            values = np.where(np.isfinite(values), values, np.nan)
            digits = 3 if col.startswith("zone_") else 0
            store[f"{inp.key}|{col}"] = [None if np.isnan(v) else round(float(v), digits)
                                         for v in values]
        basket = table["all_within"].fillna(False).astype(bool).to_numpy() \
            if "all_within" in table else np.zeros(len(ids), bool)
        store[f"{inp.key}|basket"] = ["ja (yes)" if b else "nei (no)" for b in basket]
    return store


def _scale_bar(plot: Any, bounds: tuple[float, float, float, float], lat: float) -> None:
    """A ground-true scale bar in the lower left (Mercator units = metres / cos(lat))."""
    x0, y0, x1, y1 = bounds
    factor = 1 / math.cos(math.radians(lat))
    length = 2000.0 if (x1 - x0) / factor > 12_000 else 1000.0
    sx, sy = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    plot.line([sx, sx + length * factor], [sy, sy], line_width=4, color="#111111",
              name="scalebar")
    plot.text([sx], [sy + 0.012 * (y1 - y0)], text=[f"{length / 1000:g} km"],
              text_font_size="9pt", name="scalebar_label")


def _underlay(plot: Any, context: MapContext) -> None:
    """Neighbouring land and the region, under the cells."""
    nb = _web(context.neighbours)
    if len(nb):
        xs, ys = _patch_xy(nb.geometry, 50.0)
        plot.patches(xs, ys, fill_color="#efece4", line_color="#b5b0a5", line_width=0.6)
    bd = _web(context.boundary)
    if len(bd):
        xs, ys = _patch_xy(bd.geometry, 20.0)
        plot.patches(xs, ys, fill_color="#fbfaf7", line_color=None)


def _overlay(plot: Any, context: MapContext) -> dict[str, list]:
    """Boundary, areas, lines, stops and places over the cells; renderers per layer."""
    out: dict[str, list] = {"lines": [], "stops": [], "areas": [], "places": []}
    bd = _web(context.boundary)
    if len(bd):
        xs, ys = _patch_xy(bd.geometry, 20.0)
        out["boundary"] = [plot.patches(xs, ys, fill_color=None, line_color="#111111",
                                        line_width=1.6, name="boundary")]
    areas = _web(context.areas)
    if len(areas):
        prio = areas[areas.priority.astype(bool)]
        xs, ys = _patch_xy(prio.geometry, 20.0)
        out["areas"].append(plot.patches(xs, ys, fill_color=None, line_color="#333333",
                                         line_dash="dashed", line_width=1.2, name="areas"))
    lines = _web(context.lines)
    for mode, colour in TRANSIT_COLOURS.items():
        sel = lines[lines["mode"] == mode] if len(lines) else lines
        if len(sel):
            xs = [[round(v, 1) for v in g.xy[0]] for g in sel.geometry]
            ys = [[round(v, 1) for v in g.xy[1]] for g in sel.geometry]
            src = ColumnDataSource({"xs": xs, "ys": ys, "name": list(sel.name)})
            out["lines"].append(plot.multi_line("xs", "ys", source=src, line_color=colour,
                                                line_width=3, name=f"line:{mode}"))
    stops = _web(context.stops)
    if len(stops):
        src = ColumnDataSource({"x": stops.geometry.x.round(1), "y": stops.geometry.y.round(1),
                                "name": list(stops.name)})
        out["stops"].append(plot.scatter("x", "y", source=src, size=7, fill_color="white",
                                         line_color="#111111", name="stops"))
    places = _web(context.places)
    if len(places):
        top = places.sort_values(["rank", "name"]).head(25)
        src = ColumnDataSource({"x": top.geometry.x.round(1), "y": top.geometry.y.round(1),
                                "name": list(top.name)})
        labels = LabelSet(x="x", y="y", text="name", source=src, text_font_size="8pt",
                          y_offset=5, text_align="center", background_fill_color="white",
                          background_fill_alpha=0.6)
        plot.add_layout(labels)
        out["places"].append(labels)
    return out


_UPDATE_JS = """
const m = measures[measure.value];
const inner = m.edges.slice(1, -1);
for (const [src, sel] of sides) {
  const d = src.data;
  for (const col of columns) { d[col] = store[sel.value + '|' + col]; }
  d.basket = store[sel.value + '|basket'];
  const v = d[measure.value];
  d.colour = v.map((x) => {
    if (x === null || Number.isNaN(x)) {
      return m.open_missing ? m.colours[m.colours.length - 1] : '#dddddd';
    }
    let k = 0;
    while (k < inner.length && x > inner[k]) { k++; }
    return m.colours[k];
  });
  src.change.emit();
}
legend.text = '<b>' + m.label + '</b><br>' + m.colours.map((c, i) =>
  '<span style="display:inline-block;width:14px;height:12px;background:' + c +
  ';border:1px solid #888;margin:0 4px 0 10px;vertical-align:middle"></span>' +
  m.labels[i]).join('');
"""

_LAYERS_JS = """
const on = new Set(toggle.active);
layers.forEach((group, i) => group.forEach((r) => { r.visible = on.has(i); }));
"""

LAYER_NAMES = ("Ruter (cells)", "Linjer (lines)", "Holdeplasser (stops)",
               "Vekstområder (priority areas)", "Stedsnavn (place names)",
               "Bakgrunnskart OpenStreetMap (basemap; needs internet)")


def _colours(values: np.ndarray, spec: dict[str, Any]) -> list[str]:
    """The class colour of each value (missing: last class for distances, else grey)."""
    inner = np.asarray(spec["edges"], float)[1:-1]
    colours = list(spec["colours"])
    out = []
    for v in values:
        if v is None or not np.isfinite(v):
            out.append(colours[-1] if spec.get("open_missing") else "#dddddd")
        else:
            out.append(colours[int(np.searchsorted(inner, v, side="left"))])
    return out


def _side(inp: MapInput, context: MapContext, xs: list, ys: list, ids: np.ndarray,
          store: dict[str, list], measures: dict[str, dict[str, Any]], first: str,
          bounds: tuple[float, float, float, float], ranges: Any, name: str
          ) -> tuple[Any, ColumnDataSource, dict[str, list]]:
    """One map: cells of ``inp`` over the context; returns plot, cell source, layers."""
    data: dict[str, Any] = {"xs": xs, "ys": ys, "cell_id": [str(i) for i in ids]}
    for col in HOVER_COLUMNS:
        data[col] = store[f"{inp.key}|{col}"]
    data["basket"] = store[f"{inp.key}|basket"]
    data["colour"] = _colours(np.array(data[first], dtype=float), measures[first])
    src = ColumnDataSource(data, name=f"cells_source_{name}")
    kwargs: dict[str, Any] = {"x_range": ranges[0], "y_range": ranges[1]} if ranges else {
        "x_range": (bounds[0], bounds[2]), "y_range": (bounds[1], bounds[3])}
    plot = figure(width=520, height=600, match_aspect=True, tools="pan,wheel_zoom,reset",
                  active_scroll="wheel_zoom", toolbar_location="above", title=inp.name,
                  **kwargs)
    plot.axis.visible = False
    plot.grid.visible = False
    plot.background_fill_color = "#cfe3f1" if context.has_land else "#f0f0f0"
    tiles = plot.add_tile(WMTSTileSource(url=OSM_TILES, attribution=OSM_ATTRIBUTION))
    tiles.visible = False
    _underlay(plot, context)
    cells = plot.patches("xs", "ys", source=src, fill_color="colour", line_color=None,
                         fill_alpha=0.85, name=f"cells_{name}")
    layers = _overlay(plot, context)
    tips = [("Rute (cell)", "@cell_id"), ("Bosatte (residents)", "@residents{0,0}"),
            ("Nye bosatte (new residents)", "@new_residents{0,0}")]
    tips += [(f"Gangavstand {no_en(f)[0]} ({no_en(f)[1]})", f"@dist_{f}{{0,0}} m")
             for f in EVERYDAY_FUNCTIONS]
    tips += [("Funksjoner innen terskel (within threshold)", "@n_within"),
             ("Hele kurven (whole basket)", "@basket"),
             ("Sone: gange/sykkel/kollektiv/bil (zone mode shares)",
              "@zone_share_walk{0%} / @zone_share_bike{0%} / @zone_share_pt{0%} / "
              "@zone_share_car{0%}")]
    plot.add_tools(HoverTool(renderers=[cells], tooltips=tips))
    _scale_bar(plot, bounds, lat=_latitude(bounds))
    layers["cells"] = [cells]
    layers["tiles"] = [tiles]
    return plot, src, layers


def _latitude(bounds: tuple[float, float, float, float]) -> float:
    y = (bounds[1] + bounds[3]) / 2
    return math.degrees(2 * math.atan(math.exp(y / 6378137.0)) - math.pi / 2)


def interactive_map(inputs: list[MapInput]) -> str:
    """The map as an HTML fragment with its JavaScript inlined (Bokeh, no network)."""
    ref = inputs[0]
    cells = _web(ref.cells[["cell_id", "geometry"]])
    ids = cells.cell_id.to_numpy()
    xs, ys = _patch_xy(cells.geometry)
    store = _cell_store(inputs, ids)
    measures = _measures(ref)
    for key, spec in measures.items():
        spec["open_missing"] = key.startswith("dist_")
    first = f"dist_{EVERYDAY_FUNCTIONS[0]}"
    frames = [cells.geometry]
    if len(ref.context.boundary):
        frames.append(_web(ref.context.boundary).geometry)
    b = np.array([f.total_bounds for f in frames])
    bounds = (b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max())
    keys: list[str | tuple[Any, str]] = [(i.key, i.name) for i in inputs]
    defaults = [inputs[0], inputs[-1]] if len(inputs) > 1 else [inputs[0]]
    plots: list[Any] = []
    sides: list[tuple[ColumnDataSource, Any]] = []
    groups: list[list[Any]] = [[] for _ in LAYER_NAMES]
    ranges = None
    selects = []
    for n, inp in enumerate(defaults):
        plot, src, layers = _side(inp, ref.context, xs, ys, ids, store, measures, first,
                                  bounds, ranges, "left" if n == 0 else "right")
        ranges = (plot.x_range, plot.y_range)
        sel = Select(title="Scenario", value=inp.key, options=keys, width=260)
        plots.append(column(sel, plot) if len(inputs) > 1 else plot)
        sides.append((src, sel))
        selects.append(sel)
        for i, name in enumerate(("cells", "lines", "stops", "areas", "places", "tiles")):
            groups[i] += layers.get(name, [])
    options: list[str | tuple[Any, str]] = [(k, str(v["label"])) for k, v in measures.items()]
    measure = Select(title="Farge etter (colour by)", value=first, width=420,
                     options=options)
    legend = Div(text="", width=1040)
    js_measures = {k: {"label": v["label"], "colours": list(v["colours"]),
                       "labels": v["labels"], "open_missing": v["open_missing"],
                       "edges": [None if not np.isfinite(e) else float(e) for e in v["edges"]]}
                   for k, v in measures.items()}
    update = CustomJS(args={"sides": sides, "measure": measure, "legend": legend},
                      code=f"const store = {json.dumps(store, allow_nan=False)};\n"
                           f"const measures = {json.dumps(js_measures)};\n"
                           f"const columns = {json.dumps(list(HOVER_COLUMNS))};\n"
                           + _UPDATE_JS)
    measure.js_on_change("value", update)
    for sel in selects:
        sel.js_on_change("value", update)
    toggle = CheckboxGroup(labels=list(LAYER_NAMES), active=[0, 1, 2, 3, 4], inline=True)
    toggle.js_on_change("active", CustomJS(args={"toggle": toggle, "layers": groups},
                                           code=_LAYERS_JS))
    legend.text = _legend_html(measures[first])
    layout = column(row(measure), toggle, legend, row(*plots), name="interactive_map")
    script, div = components(layout)
    js = Resources(mode="inline", components=["bokeh", "bokeh-widgets"]).render_js()
    return f'{js}\n{script}\n<div class="interactive-map">{div}</div>'


def _legend_html(spec: dict[str, Any]) -> str:
    swatches = "".join(
        f'<span style="display:inline-block;width:14px;height:12px;background:{c};'
        f'border:1px solid #888;margin:0 4px 0 10px;vertical-align:middle"></span>{lab}'
        for c, lab in zip(spec["colours"], spec["labels"], strict=True))
    return f"<b>{spec['label']}</b><br>{swatches}"
