"""A deterministic synthetic municipality, *Demoby*, for demos and tests.

Everything here is made up (seeded random numbers): an irregular street network of
about 10,000 nodes, a 250 m population grid, jobs, two rail/metro lines and one
high-frequency bus line, priority growth areas and stations, and facilities for
every everyday function. Every layer is labelled ``synthetic``; no figure from this
region may be presented as Bærum data.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd
from shapely.geometry import box

from sim.domain import Line, Stop, Streets
from sim.region.model import Area, Layer, Region
from sim.vocab import EVERYDAY_FUNCTIONS, AreaKind

#: Lower-left corner of Demoby in EPSG:25833 (round numbers: obviously not a real place).
X0, Y0 = 500_000.0, 6_600_000.0
WIDTH, HEIGHT = 12_000.0, 8_000.0
SPACING = 95.0
CELL = 250.0
SEED = 20211

# name, x, y (metres from the corner), weight of population, weight of jobs
_CENTRES = [
    ("Sentrum", 6000, 4000, 1.0, 1.0),
    ("Østby", 9600, 3600, 0.7, 0.6),
    ("Vestby", 2200, 3200, 0.55, 0.3),
    ("Nordås", 5200, 6600, 0.45, 0.15),
    ("Sørvika", 7600, 1300, 0.35, 0.2),
]

# Stations and stops: name, x, y
_STOPS = [
    ("Vestby stasjon", 2200, 3300),
    ("Bakken stasjon", 4100, 3700),
    ("Sentrum stasjon", 6000, 4000),
    ("Elvebredden stasjon", 7900, 3800),
    ("Østby stasjon", 9600, 3600),
    ("Storby S", 12_600, 3600),
    ("Åsen", 5600, 5100),
    ("Nordås T", 5200, 6600),
    ("Skogkanten T", 4600, 7500),
    ("Sørvika brygge", 7600, 1300),
    ("Sørvika skole", 7000, 2300),
    ("Sentrum bussterminal", 6150, 3950),
    ("Kirkebakken", 6400, 5200),
    ("Nordås senter", 5300, 6450),
]

_AREAS: list[tuple[str, AreaKind, float, float, float, int | None]] = [
    # priority growth areas
    ("Sentrum", "growth_area", 6000, 4000, 700, None),
    ("Østby", "growth_area", 9600, 3600, 600, None),
    # priority stations
    ("Bakken stasjon", "station", 4100, 3700, 500, None),
    ("Vestby stasjon", "station", 2200, 3300, 500, None),
    ("Elvebredden stasjon", "station", 7900, 3800, 500, None),
    ("Nordås T", "station", 5200, 6600, 500, None),
    # not prioritised
    ("Skogli", "other", 1500, 6800, 700, 2032),
    ("Nordmark", "other", 9500, 7000, 800, None),
    ("Sørvika", "other", 7600, 1300, 600, None),
    ("Vestmarka", "other", 800, 1200, 700, None),
]


def _streets(rng: np.random.Generator) -> Streets:
    """A jittered, thinned grid with a few diagonals, arterials and a motorway."""
    nx_, ny_ = int(WIDTH / SPACING) + 1, int(HEIGHT / SPACING) + 1
    gi, gj = np.meshgrid(np.arange(nx_), np.arange(ny_), indexing="ij")
    ii, jj = gi.ravel(), gj.ravel()
    node = (ii * ny_ + jj).reshape(nx_, ny_)
    x = ii * SPACING + rng.uniform(-28, 28, ii.size)
    y = jj * SPACING + rng.uniform(-28, 28, jj.size)

    # a lake with no streets, south-west of the centre
    lake = (x - 3800) ** 2 / 900**2 + (y - 1800) ** 2 / 550**2 < 1
    u = np.concatenate([node[:-1, :].ravel(), node[:, :-1].ravel(), node[:-1, :-1].ravel()])
    v = np.concatenate([node[1:, :].ravel(), node[:, 1:].ravel(), node[1:, 1:].ravel()])
    diagonal = np.r_[np.zeros(u.size - (nx_ - 1) * (ny_ - 1), bool),
                     np.ones((nx_ - 1) * (ny_ - 1), bool)]
    keep = np.where(diagonal, rng.random(u.size) < 0.08, rng.random(u.size) < 0.80)
    keep &= ~(lake[u] | lake[v])
    u, v = u[keep], v[keep]

    # arterials every 12th row and column; an east-west motorway at j == ny_ // 2 + 6
    arterial = ((ii[u] == ii[v]) & (ii[u] % 12 == 0)) | ((jj[u] == jj[v]) & (jj[u] % 12 == 0))
    motorway = (jj[u] == jj[v]) & (jj[u] == ny_ // 2 + 6)
    # keep the motorway continuous
    mw_u = node[:-1, ny_ // 2 + 6]
    mw_v = node[1:, ny_ // 2 + 6]
    u = np.r_[u[~motorway], mw_u]
    v = np.r_[v[~motorway], mw_v]
    arterial = np.r_[arterial[~motorway], np.zeros(mw_u.size, bool)]
    motorway = np.r_[np.zeros(int((~motorway).sum()), bool), np.ones(mw_u.size, bool)]

    straight = np.hypot(x[u] - x[v], y[u] - y[v])
    length = straight * rng.uniform(1.0, 1.12, u.size)
    speed = np.where(motorway, 80.0, np.where(arterial, 50.0, 30.0))
    used = np.unique(np.r_[u, v])
    remap = np.full(x.size, -1)
    remap[used] = np.arange(used.size)
    return Streets(
        node_x=X0 + x[used],
        node_y=Y0 + y[used],
        u=remap[u],
        v=remap[v],
        length_m=length,
        walk=~motorway,
        bike=~motorway,
        car=np.ones(u.size, bool),
        car_speed_kmh=speed,
        synthetic=np.ones(u.size, bool),
    )


def _cells(rng: np.random.Generator) -> pd.DataFrame:
    """250 m cells with population and jobs from a few centres plus noise."""
    cx = np.arange(CELL / 2, WIDTH, CELL)
    cy = np.arange(CELL / 2, HEIGHT, CELL)
    gx, gy = (a.ravel() for a in np.meshgrid(cx, cy, indexing="ij"))
    pop = np.zeros(gx.size)
    jobs = np.zeros(gx.size)
    for _, x, y, wp, wj in _CENTRES:
        d2 = (gx - x) ** 2 + (gy - y) ** 2
        pop += 420 * wp * np.exp(-d2 / (2 * 1150**2))
        jobs += 900 * wj * np.exp(-d2 / (2 * 450**2))
    pop *= 0.42 * rng.lognormal(0, 0.45, gx.size)
    pop[pop < 25] = 0
    lake = (gx - 3800) ** 2 / 900**2 + (gy - 1800) ** 2 / 550**2 < 1
    pop[lake] = 0
    jobs[lake] = 0
    jobs += 0.08 * pop
    jobs = np.round(jobs * rng.uniform(0.8, 1.2, gx.size))
    cells = pd.DataFrame(
        {
            "cell_id": [f"demo_{int(x // CELL):02d}_{int(y // CELL):02d}"
                        for x, y in zip(gx, gy, strict=True)],
            "x": X0 + gx,
            "y": Y0 + gy,
            "population": np.round(pop).astype(np.int64),
            "jobs": jobs.astype(np.int64),
        }
    )
    return cells


def _facilities(rng: np.random.Generator, cells: pd.DataFrame) -> pd.DataFrame:
    """Shops, schools, kindergartens and parks near where people live."""
    populated = cells[cells.population > 0]
    weights = populated.population.to_numpy(float)
    rows: list[dict] = []

    def sample(category: str, n: int, power: float, capacity: tuple[int, int] | None) -> None:
        p = weights**power
        idx = rng.choice(len(populated), size=n, replace=False, p=p / p.sum())
        for k, i in enumerate(np.sort(idx)):
            cell = populated.iloc[i]
            rows.append(
                {
                    "category": category,
                    "name": f"{category} {k + 1}",
                    "x": float(cell.x + rng.uniform(-100, 100)),
                    "y": float(cell.y + rng.uniform(-100, 100)),
                    "capacity": float(rng.integers(*capacity)) if capacity else np.nan,
                    "status": "synthetic",
                }
            )

    sample("grocery", 90, 1.2, None)
    sample("school", 22, 0.5, (350, 650))
    sample("kindergarten", 110, 0.7, (40, 100))
    sample("recreation", 130, 0.2, None)
    return pd.DataFrame(rows, columns=["category", "name", "x", "y", "capacity", "status"])


# Made-up survey targets and capacity facts of Demoby: copies of Bærum-like values so
# that the demo behaves plausibly. They describe no real place.
_CALIBRATION = {
    "source": "synthetic (Demoby): Bærum-like shares, not a survey",
    "status": "synthetic",
    "mode_shares": {"car": 0.57, "walk": 0.20, "pt": 0.18, "bike": 0.04},
    "trips_per_person_day": 3.3,
    "car_driver_share": 0.55,
    "car_passenger_share": 0.08,
    "under_13_share": 0.15,
    "destination_shares": {"inside": 0.8, "storby": 0.2},
    "share_under_5km": 0.5,
}
_IN_NEED = {"school": 16_000, "kindergarten": 7_434}  # pupils, enrolled children
_AGE_SHARES = {"school": 0.115, "kindergarten": 0.058}  # children 6–15 and 1–5 (Bærum pack [E])
_CLIMATE = {
    "source": "synthetic (Demoby): copies of Bærum's climate targets, not a strategy",
    "green_share_target": 0.60, "bike_share_target": 0.07, "target_year": 2025,
    "electric_share": {2019: 0.10, 2023: 0.25, 2030: 0.55, 2040: 0.90},
    "electric_share_status": "synthetic",
    "electric_share_source": "synthetic (Demoby): copy of the Bærum pack's estimate",
    "fossil_co2_kg_per_km": 0.15, "fossil_co2_source": "copy of the Bærum pack's estimate [E]",
}
_RESIDENTS = 129_874
_FACILITIES = {"school": 43, "kindergarten": 120}


# Local bus lines: name, waypoints (metres from the corner); stops every ~450 m.
_LOCAL_BUSES = [
    ("Buss 21", [(1000, 2600), (2200, 3300), (4100, 3700), (6000, 4000), (7900, 3800),
                 (9600, 3600), (11_200, 3000)]),
    ("Buss 22", [(5000, 500), (5600, 2400), (6000, 4000), (6400, 5200), (7800, 6200),
                 (9500, 7000)]),
    ("Buss 23", [(1500, 6800), (3000, 5600), (4100, 3700), (3400, 2200), (2200, 900)]),
    ("Buss 24", [(8200, 900), (9000, 2400), (9600, 3600), (10_400, 5200), (11_000, 6800)]),
    ("Buss 25", [(2400, 5000), (4000, 5200), (5600, 5100), (7200, 4800), (8800, 5000)]),
]
_BUS_STOP_SPACING = 450.0
_BUS_SPEED_KMH = 22.0


def _local_buses() -> tuple[list[Line], list[Stop]]:
    """Ordinary bus lines (20/30-minute headways) with stops along their routes."""
    lines, stops = [], []
    for name, waypoints in _LOCAL_BUSES:
        pts = np.asarray(waypoints, float)
        seg = np.hypot(*np.diff(pts, axis=0).T)
        along = np.r_[0, np.cumsum(seg)]
        n = max(round(along[-1] / _BUS_STOP_SPACING), 1)
        at = np.linspace(0, along[-1], n + 1)
        xs, ys = np.interp(at, along, pts[:, 0]), np.interp(at, along, pts[:, 1])
        names = tuple(f"{name} stopp {k + 1}" for k in range(n + 1))
        stops += [Stop(nm, X0 + x, Y0 + y, status="synthetic")
                  for nm, x, y in zip(names, xs, ys, strict=True)]
        run = tuple(float(d) / (_BUS_SPEED_KMH / 3.6) / 60 for d in np.diff(at))
        lines.append(Line(name, "bus", names, run, 20, 30, status="synthetic"))
    return lines, stops


def _lines() -> tuple[Line, ...]:
    return (
        Line(
            name="Linje R",
            mode="rail",
            stops=("Vestby stasjon", "Bakken stasjon", "Sentrum stasjon",
                   "Elvebredden stasjon", "Østby stasjon", "Storby S"),
            run_times_min=(3.0, 3.0, 3.0, 3.0, 5.0),
            headway_peak_min=15,
            headway_offpeak_min=15,
            status="synthetic",
        ),
        Line(
            name="Linje M",
            mode="metro",
            stops=("Sentrum stasjon", "Åsen", "Nordås T", "Skogkanten T"),
            run_times_min=(2.5, 2.5, 2.0),
            headway_peak_min=10,
            headway_offpeak_min=15,
            status="synthetic",
        ),
        Line(
            name="Buss 1",
            mode="bus",
            stops=("Sørvika brygge", "Sørvika skole", "Sentrum bussterminal",
                   "Kirkebakken", "Nordås senter"),
            run_times_min=(3.0, 4.0, 3.0, 3.5),
            headway_peak_min=10,
            headway_offpeak_min=15,
            status="synthetic",
        ),
    )


@lru_cache(maxsize=4)
def demo_region(seed: int = SEED) -> Region:
    """Build Demoby, the synthetic demo region (deterministic for a given ``seed``).

    Cached: the same seed returns the same object, so callers must not mutate it.
    """
    rng = np.random.default_rng(seed)
    streets = _streets(rng)
    cells = _cells(rng)
    facilities = _facilities(rng, cells)
    synthetic = Layer(status="synthetic", source=f"sim.region.demo (seed {seed})", licence="MIT",
                      note="made-up municipality for demos and tests; not Bærum data")
    layers = {
        name: synthetic
        for name in ["boundary", "streets", "population", "jobs", "stops", "lines",
                     "external_zones", *(f"facilities.{f}" for f in EVERYDAY_FUNCTIONS)]
    }
    stops = {name: Stop(name, X0 + x, Y0 + y, status="synthetic") for name, x, y in _STOPS}
    buses, bus_stops = _local_buses()
    stops.update({stop.name: stop for stop in bus_stops})
    areas = tuple(
        Area(name, kind, X0 + x, Y0 + y, radius, earliest, status="synthetic")
        for name, kind, x, y, radius, earliest in _AREAS
    )
    external = pd.DataFrame({"name": ["Storby"], "area": ["Storby"], "group": ["storby"],
                             "x": [X0 + 12_600.0], "y": [Y0 + 3600.0], "population": [60_000.0],
                             "kind": ["growth_area"], "car_kmh": [np.nan],
                             "status": ["synthetic"]})
    return Region(
        name="demo",
        streets=streets,
        cells=cells,
        cell_size_m=CELL,
        areas=areas,
        stops=stops,
        lines=(*_lines(), *buses),
        facilities=facilities,
        boundary=box(X0, Y0, X0 + WIDTH, Y0 + HEIGHT),
        layers=layers,
        base_year=2023,
        calibration=_CALIBRATION,
        external_zones=external,
        seed=seed,
        need_share={k: v / _RESIDENTS for k, v in _IN_NEED.items()},
        places_per_facility={k: _IN_NEED[k] / n for k, n in _FACILITIES.items()},
        age_shares=dict(_AGE_SHARES),
        age_note="synthetic (Demoby): copies of the Bærum pack's national shares [E]",
        climate=dict(_CLIMATE),
    )

