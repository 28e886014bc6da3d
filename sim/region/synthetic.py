"""A synthetic region at the scale of Oslo + Akershus, for scale tests and benchmarks.

Everything here is made up (seeded random numbers) and every layer is labelled
``synthetic``: no figure from this region may be presented as data about a real place.
At its default size it has about the size of Oslo + Akershus: ~20,000 populated
250 m cells (~1.4 million residents), ~400,000 street nodes, a few hundred stops on
rail, metro, tram and bus lines. ``n_cells`` scales it (the area grows with the number
of populated cells, so density stays the same), e.g. for a cost curve at 1k, 5k, 10k
and 20k cells.

Region names ``synthetic_<cells>`` (e.g. ``synthetic_20000``) load it by name
(:func:`sim.region.load.load_region`).

Layout: one large city in the middle and towns around it (population from Gaussian
centres with noise; the ``n_cells`` most attractive cells are populated); a fine street
grid (~55 m) inside populated cells with 80 % of the links kept and a few diagonals;
arterial roads on a 1 km grid across the whole area; motorways on the arterials through
the centre; small disconnected street pieces joined to the main network by a link.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd
from shapely.geometry import box

from sim.domain import Line, Stop, Streets
from sim.graph import Graph, component_labels, nearest_points
from sim.region.demo import _CALIBRATION as DEMO_CALIBRATION
from sim.region.demo import _CLIMATE as DEMO_CLIMATE
from sim.region.model import Area, Layer, Region
from sim.vocab import EVERYDAY_FUNCTIONS, AreaKind, Mode

#: Lower-left corner (EPSG:25833): round numbers, obviously not a real place.
X0, Y0 = 300_000.0, 6_500_000.0
CELL = 250.0
STEPS_PER_CELL = 4.5  # street grid spacing = CELL / STEPS_PER_CELL (~56 m)
ARTERIAL_EVERY = 18  # grid steps between arterial roads (~1 km)
RURAL_STEP = 4  # outside populated cells arterials have a node every 4 grid steps
SEED = 2017
FULL_CELLS = 20_000
RESIDENTS_PER_CELL = 70.0  # ~1.4 million in 20k cells
JOBS_PER_RESIDENT = 0.55
NAME = re.compile(r"^synthetic_(\d+)$")


def region_name(n_cells: int) -> str:
    """The name under which a synthetic region of ``n_cells`` cells loads."""
    return f"synthetic_{n_cells}"


def _scale(n_cells: int) -> float:
    """Linear size relative to the full region (area grows with the cell count)."""
    return float(np.sqrt(n_cells / FULL_CELLS))


def _centres(rng: np.random.Generator, side: float, n_cells: int) -> np.ndarray:
    """Rows ``(x, y, weight, sigma_m)``: the city in the middle, then the towns."""
    k = _scale(n_cells)
    n_towns = max(3, round(24 * k))
    ang = rng.uniform(0, 2 * np.pi, n_towns)
    rad = side * np.sqrt(rng.uniform(0.04, 0.2, n_towns))
    towns = np.column_stack([side / 2 + rad * np.cos(ang), side / 2 + rad * np.sin(ang),
                             rng.uniform(0.08, 0.35, n_towns),
                             rng.uniform(1200, 2600, n_towns) * max(k, 0.4)])
    city = np.array([[side / 2, side / 2, 1.0, 5500 * max(k, 0.3)]])
    return np.vstack([city, towns])


def _cells(rng: np.random.Generator, n_cells: int) -> tuple[pd.DataFrame, float, np.ndarray]:
    """The ``n_cells`` most attractive cells of a square four times as large."""
    side_cells = int(np.ceil(np.sqrt(4 * n_cells)))
    side = side_cells * CELL
    centres = _centres(rng, side, n_cells)
    c = (np.arange(side_cells) + 0.5) * CELL
    gx, gy = (a.ravel() for a in np.meshgrid(c, c, indexing="ij"))
    pull = np.zeros(gx.size)
    work = np.zeros(gx.size)
    for x, y, w, sigma in centres:
        d2 = (gx - x) ** 2 + (gy - y) ** 2
        pull += w * np.exp(-d2 / (2 * sigma**2))
        work += w * np.exp(-d2 / (2 * (sigma / 2.5) ** 2))
    pull *= rng.lognormal(0, 0.5, gx.size)
    keep = np.sort(np.argsort(-pull, kind="stable")[:n_cells])
    pop = pull[keep] / pull[keep].sum() * RESIDENTS_PER_CELL * n_cells
    jobs = (work[keep] + 0.05 * pull[keep]) * rng.uniform(0.7, 1.3, keep.size)
    jobs = jobs / jobs.sum() * JOBS_PER_RESIDENT * pop.sum()
    ix, iy = (gx[keep] // CELL).astype(int), (gy[keep] // CELL).astype(int)
    cells = pd.DataFrame({
        "cell_id": [f"syn_{a:03d}_{b:03d}" for a, b in zip(ix, iy, strict=True)],
        "x": X0 + gx[keep], "y": Y0 + gy[keep],
        "population": np.maximum(np.round(pop), 1).astype(np.int64),
        "jobs": np.round(jobs).astype(np.int64),
    })
    return cells, side, centres


def _grid_nodes(side: float, populated: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grid positions ``(i, j)`` of the street nodes, and whether each is in a populated cell."""
    steps = round(side / CELL * STEPS_PER_CELL)
    i, j = (a.ravel() for a in np.meshgrid(np.arange(steps), np.arange(steps), indexing="ij"))
    spacing = side / steps
    ci = np.minimum(((i + 0.5) * spacing // CELL).astype(int), populated.shape[0] - 1)
    cj = np.minimum(((j + 0.5) * spacing // CELL).astype(int), populated.shape[1] - 1)
    inside = populated[ci, cj]
    arterial = ((i % ARTERIAL_EVERY == 0) & (j % RURAL_STEP == 0)) | (
        (j % ARTERIAL_EVERY == 0) & (i % RURAL_STEP == 0))
    keep = inside | arterial
    return i[keep], j[keep], inside[keep]


def _links(rng: np.random.Generator, i: np.ndarray, j: np.ndarray, inside: np.ndarray,
           steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Street links ``(u, v, kind)``: 0 local street, 1 arterial, 2 motorway (car only)."""
    index = np.full(steps * steps, -1, np.int64)
    index[i * steps + j] = np.arange(i.size)
    u_all, v_all, kind_all = [], [], []
    for di, dj, p in ((1, 0, 0.8), (0, 1, 0.8), (1, 1, 0.05)):  # local streets
        ni, nj = i + di, j + dj
        valid = (ni < steps) & (nj < steps)
        other = np.full(i.size, -1, np.int64)
        other[valid] = index[ni[valid] * steps + nj[valid]]
        ok = (other >= 0) & inside & (rng.random(i.size) < p)
        ok[ok] = inside[other[ok]]
        u_all.append(np.flatnonzero(ok))
        v_all.append(other[ok])
        kind_all.append(np.zeros(int(ok.sum()), np.int8))
    centre = (steps // 2) // ARTERIAL_EVERY * ARTERIAL_EVERY
    for line_axis, along in ((0, 1), (1, 0)):  # arterials: consecutive nodes on a line
        pos = np.column_stack([i, j])
        on = pos[:, line_axis] % ARTERIAL_EVERY == 0
        nodes = np.flatnonzero(on)
        order = np.lexsort((pos[nodes, along], pos[nodes, line_axis]))
        nodes = nodes[order]
        same = pos[nodes[1:], line_axis] == pos[nodes[:-1], line_axis]
        u_all.append(nodes[:-1][same])
        v_all.append(nodes[1:][same])
        kind_all.append(np.ones(int(same.sum()), np.int8))
        fast = nodes[pos[nodes, line_axis] == centre]  # a motorway through the centre
        fast = fast[pos[fast, along] % (2 * ARTERIAL_EVERY) == 0]
        u_all.append(fast[:-1])
        v_all.append(fast[1:])
        kind_all.append(np.full(max(fast.size - 1, 0), 2, np.int8))
    return np.concatenate(u_all), np.concatenate(v_all), np.concatenate(kind_all)


def _joined(x: np.ndarray, y: np.ndarray, u: np.ndarray, v: np.ndarray,
            kind: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Join every street piece cut off from the main network with one local link."""
    walkable = kind < 2
    g = Graph.from_edges(u[walkable], v[walkable], np.ones(int(walkable.sum())), x.size)
    labels = component_labels(g)
    main = labels == np.bincount(labels).argmax()
    others = np.flatnonzero(~main)
    if not others.size:
        return u, v, kind
    # the node of each piece closest to the main network
    near, dist = nearest_points(x, y, x[others], y[others], mask=main)
    piece = labels[others]
    order = np.lexsort((dist, piece))
    first = np.r_[True, piece[order][1:] != piece[order][:-1]]
    frm = others[order][first]
    return np.r_[u, frm], np.r_[v, near[order][first]], np.r_[kind, np.zeros(frm.size, np.int8)]


def _streets(rng: np.random.Generator, side: float, cells: pd.DataFrame) -> Streets:
    side_cells = round(side / CELL)
    populated = np.zeros((side_cells, side_cells), bool)
    populated[((cells.x - X0) // CELL).astype(int), ((cells.y - Y0) // CELL).astype(int)] = True
    i, j, inside = _grid_nodes(side, populated)
    steps = round(side / CELL * STEPS_PER_CELL)
    spacing = side / steps
    x = (i + 0.5) * spacing + rng.uniform(-0.3, 0.3, i.size) * spacing
    y = (j + 0.5) * spacing + rng.uniform(-0.3, 0.3, j.size) * spacing
    u, v, kind = _joined(x, y, *_links(rng, i, j, inside, steps))
    length = np.hypot(x[u] - x[v], y[u] - y[v]) * rng.uniform(1.0, 1.1, u.size)
    length = np.maximum(length, 1.0)
    return Streets(node_x=X0 + x, node_y=Y0 + y, u=u, v=v, length_m=length,
                   walk=kind < 2, bike=kind < 2, car=np.ones(u.size, bool),
                   car_speed_kmh=np.array([35.0, 60.0, 90.0])[kind],
                   synthetic=np.ones(u.size, bool))


# --- public transport ---------------------------------------------------------------------

#: mode -> (lines at full size, reach as a share of the side, stop spacing m, speed km/h,
#: headway peak, headway off-peak)
_MODES: dict[Mode, tuple[int, float, float, float, float, float]] = {
    "rail": (6, 0.45, 3000.0, 80.0, 15.0, 30.0),
    "metro": (5, 0.2, 1000.0, 35.0, 8.0, 15.0),
    "tram": (4, 0.08, 450.0, 18.0, 10.0, 15.0),
}
_BUS = (1000.0, 25.0, 12_000.0)  # stop spacing m, speed km/h, longest line m
_HUB = {"rail": "Sentralstasjon", "metro": "Sentrum T"}


def _line(name: str, mode: Mode, pts: np.ndarray, spacing: float, speed_kmh: float,
          headways: tuple[float, float], side: float,
          hub: str | None = None) -> tuple[Line, list[Stop]]:
    """A line along the polyline ``pts`` (metres from the corner) with evenly spaced stops;
    the first stop is the shared ``hub`` when given."""
    pts = np.clip(pts, 100.0, side - 100.0)
    seg = np.hypot(*np.diff(pts, axis=0).T)
    along = np.r_[0.0, np.cumsum(seg)]
    n = max(round(along[-1] / spacing), 1)
    at = np.linspace(0.0, along[-1], n + 1)
    xs, ys = np.interp(at, along, pts[:, 0]), np.interp(at, along, pts[:, 1])
    names = [hub if (k == 0 and hub) else f"{name} stopp {k + 1}" for k in range(n + 1)]
    stops = [Stop(nm, X0 + x, Y0 + y, status="synthetic")
             for nm, x, y in zip(names, xs, ys, strict=True)]
    run = tuple(float(d) * 1.1 / (speed_kmh / 3.6) / 60 + 0.5 for d in np.diff(at))
    return Line(name, mode, tuple(names), run, headways[0], headways[1],
                status="synthetic"), stops


def _transit(rng: np.random.Generator, side: float, centres: np.ndarray,
             n_cells: int) -> tuple[list[Line], dict[str, Stop]]:
    """Radial rail and metro lines from the centre, trams across it, buses from the towns."""
    k = _scale(n_cells)
    mid = np.array([side / 2, side / 2])
    lines: list[Line] = []
    stops: dict[str, Stop] = {}
    for mode, (n_full, reach, spacing, speed, hw_peak, hw_off) in _MODES.items():
        n = max(1, round(n_full * k))
        for a, theta in enumerate(rng.uniform(0, 2 * np.pi) + np.arange(n) * 2 * np.pi / n):
            direction = np.array([np.cos(theta), np.sin(theta)])
            start = mid - direction * reach * side if mode == "tram" else mid
            pts = np.vstack([start, mid + direction * reach * side])
            line, st = _line(f"{mode.capitalize()} {a + 1}", mode, pts, spacing, speed,
                             (hw_peak, hw_off), side, _HUB.get(mode))
            lines.append(line)
            stops.update({s.name: s for s in st})
    spacing, speed, longest = _BUS
    for t, (x, y, _, _) in enumerate(centres[1:]):
        towards = mid - np.array([x, y])
        length = float(np.hypot(*towards))
        end = np.array([x, y]) + towards * min(1.0, longest / max(length, 1.0))
        hw = (10.0, 15.0) if t % 2 == 0 else (20.0, 30.0)
        line, st = _line(f"Buss {t + 1}", "bus", np.vstack([[x, y], end]), spacing, speed, hw,
                         side)
        lines.append(line)
        stops.update({s.name: s for s in st})
    return lines, stops


# --- areas, facilities and the region -------------------------------------------------------


def _areas(centres: np.ndarray, stops: dict[str, Stop], lines: list[Line]) -> tuple[Area, ...]:
    """The city centre and the largest quarter of the towns are growth areas, rail stations
    are priority stations, the other towns are not prioritised (two only from 2032)."""
    order = np.argsort(-centres[1:, 2], kind="stable") + 1
    n_growth = max(1, order.size // 4)
    areas = [Area("Sentrum", "growth_area", X0 + centres[0, 0], Y0 + centres[0, 1], 1500.0,
                  status="synthetic")]
    for rank, c in enumerate(order):
        x, y = X0 + centres[c, 0], Y0 + centres[c, 1]
        kind: AreaKind = "growth_area" if rank < n_growth else "other"
        earliest = 2032 if rank in (n_growth, n_growth + 1) else None
        areas.append(Area(f"By {c}", kind, x, y, 900.0, earliest, status="synthetic"))
    rail_stops = [s for line in lines if line.mode == "rail" for s in line.stops[1:4]]
    for name in dict.fromkeys(rail_stops):
        stop = stops[name]
        areas.append(Area(name, "station", stop.x, stop.y, 500.0, status="synthetic"))
    return tuple(areas)


#: residents per facility and the sampling power on cell population (demo-like density)
_FACILITY_DENSITY = {"grocery": (1400, 1.2), "school": (3000, 0.5),
                     "kindergarten": (1150, 0.7), "recreation": (1000, 0.2)}
_CAPACITY = {"school": (350, 650), "kindergarten": (40, 100)}


def _facilities(rng: np.random.Generator, cells: pd.DataFrame) -> pd.DataFrame:
    weights = cells.population.to_numpy(float)
    frames = []
    for category, (per, power) in _FACILITY_DENSITY.items():
        n = max(3, round(weights.sum() / per))
        p = weights**power
        idx = np.sort(rng.choice(len(cells), size=min(n, len(cells)), replace=False,
                                 p=p / p.sum()))
        cap = _CAPACITY.get(category)
        frames.append(pd.DataFrame({
            "category": category,
            "name": [f"{category} {k + 1}" for k in range(idx.size)],
            "x": cells.x.to_numpy()[idx] + rng.uniform(-100, 100, idx.size),
            "y": cells.y.to_numpy()[idx] + rng.uniform(-100, 100, idx.size),
            "capacity": rng.integers(*cap, idx.size).astype(float) if cap else np.nan,
            "status": "synthetic"}))
    return pd.concat(frames, ignore_index=True)


#: Demoby's made-up survey targets with a city's lower car share; no real survey.
_CALIBRATION = {**DEMO_CALIBRATION,
                "source": "synthetic (regional scale test): Bærum-like shares, not a survey",
                "mode_shares": {"car": 0.50, "walk": 0.22, "pt": 0.24, "bike": 0.04},
                "destination_shares": {"inside": 0.92, "elsewhere": 0.08}}


@lru_cache(maxsize=2)
def synthetic_region(n_cells: int = FULL_CELLS, seed: int = SEED) -> Region:
    """Build the synthetic regional test region with ``n_cells`` populated cells.

    Deterministic for given ``n_cells`` and ``seed``; cached, so callers must not
    mutate it. Every layer is labelled ``synthetic``.
    """
    if n_cells < 50:
        raise ValueError(f"n_cells must be at least 50, got {n_cells}")
    rng = np.random.default_rng([seed, n_cells])
    cells, side, centres = _cells(rng, n_cells)
    streets = _streets(rng, side, cells)
    lines, stops = _transit(rng, side, centres, n_cells)
    layer = Layer(status="synthetic", source=f"sim.region.synthetic ({n_cells} cells, seed "
                  f"{seed})", licence="MIT", note="made-up region at the scale of Oslo + "
                  "Akershus for scale tests; not data about any real place")
    names = ["boundary", "streets", "population", "jobs", "stops", "lines", "external_zones",
             *(f"facilities.{f}" for f in EVERYDAY_FUNCTIONS)]
    external = pd.DataFrame({"name": ["Ytre vest", "Ytre sør"], "area": ["Ytre", "Ytre"],
                             "group": ["elsewhere", "elsewhere"],
                             "x": [X0 - 3000.0, X0 + side / 2], "y": [Y0 + side / 2, Y0 - 3000.0],
                             "population": [50_000.0, 50_000.0], "kind": ["other", "other"],
                             "car_kmh": [np.nan, np.nan], "status": ["synthetic", "synthetic"]})
    residents = float(cells.population.sum())
    need = {"school": 0.12 * residents, "kindergarten": 0.055 * residents}
    return Region(
        name=region_name(n_cells), streets=streets, cells=cells, cell_size_m=CELL,
        areas=_areas(centres, stops, lines), stops=stops, lines=tuple(lines),
        facilities=_facilities(rng, cells), boundary=box(X0, Y0, X0 + side, Y0 + side),
        layers=dict.fromkeys(names, layer), base_year=2023, calibration=_CALIBRATION,
        external_zones=external, seed=seed,
        climate={**DEMO_CLIMATE, "source": "synthetic (regional scale test): copies of "
                 "Bærum's climate targets, not a strategy"},
        need_share={k: v / residents for k, v in need.items()},
        places_per_facility={"school": 450.0, "kindergarten": 70.0},
    )
