"""Public transport service from a GTFS feed: departures per stop, and frequency-based lines.

One representative service day is read (:func:`sim.readers.gtfs_feed.timetable_from_gtfs`:
default the weekday with the most trips; ``frequencies.txt`` expanded). Then

* **service per stop**: every trip that calls at a station (parent station, or a stop
  without one) and leaves it within a time window counts as a departure there, whatever
  its route or stop pattern (the last call of a trip is an arrival, not a departure);
* **a line** is a route and direction (``direction_id``, else inferred from the route's
  main pattern) with its most common stop sequence; its headway in a window is the
  window over the departures of the route-direction at its busiest station, so trips
  starting at different stops, short turns and extra patterns all count. Run times are
  medians over the trips of the main sequence. When the two directions' main sequences
  are each other's reverse, they become one :class:`~sim.domain.Line` run both ways;
  otherwise each direction is a one-way line.

Malformed feeds raise :class:`~sim.errors.InputError` with one line naming the file
inside the feed, e.g. ``feed.zip/stop_times.txt: missing column 'stop_id'``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from shapely import contains_xy
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from sim.domain import CRS, Line, Stop, is_high_frequency, stop_headways
from sim.readers.gtfs_feed import Timetable, mode_for_route_type, timetable_from_gtfs

__all__ = [
    "GtfsService",
    "headways_from_gtfs",
    "is_high_frequency",
    "lines_from_gtfs",
    "lines_near",
    "mode_for_route_type",
    "service_from_gtfs",
    "stop_headways",
    "stop_service",
]

#: Default windows (minutes after midnight): weekday rush hour and daytime off-peak.
PEAK = (7 * 60, 9 * 60)
OFFPEAK = (10 * 60, 14 * 60)

Window = tuple[int, int]


@dataclass(frozen=True)
class GtfsService:
    """What a feed offers on its service day: stations, lines and departures per station.

    ``service`` has one row per station key: ``stop_id, name, x, y, departures_day,
    departures_peak, departures_offpeak, headway_peak_min, headway_offpeak_min, modes,
    routes``.
    """

    day: dt.date | None
    stops: dict[str, Stop]
    lines: tuple[Line, ...]
    service: pd.DataFrame
    source: str = "GTFS"


def _headway(n_departures: float, window: Window) -> float:
    return float((window[1] - window[0]) / n_departures) if n_departures > 0 else math.inf


def _departures(tt: Timetable) -> pd.DataFrame:
    """Calls that are departures (not a trip's last call), with route and direction."""
    st = tt.stop_times
    last = st.groupby("trip_id", sort=False).cumcount(ascending=False) == 0
    dep = st.loc[~last.to_numpy(), ["trip_id", "dep", "station"]]
    return dep.merge(tt.trips, on="trip_id")


def _in(values: pd.Series, window: Window) -> pd.Series:
    return (values >= window[0]) & (values < window[1])


def stop_service(tt: Timetable, peak: Window = PEAK, offpeak: Window = OFFPEAK
                 ) -> pd.DataFrame:
    """Departures per station in the day and in each window (see :class:`GtfsService`)."""
    dep = _departures(tt).assign(mode=lambda d: d.route_id.map(tt.routes["mode"]),
                                 route=lambda d: d.route_id.map(tt.routes["label"]))
    by = dep.assign(peak=_in(dep.dep, peak), offpeak=_in(dep.dep, offpeak)).groupby("station")
    out = pd.DataFrame({
        "departures_day": by.size(),
        "departures_peak": by["peak"].sum(),
        "departures_offpeak": by["offpeak"].sum(),
        "modes": by["mode"].agg(lambda m: ";".join(sorted(set(m)))),
        "routes": by["route"].agg(lambda r: ";".join(sorted(set(r)))),
    })
    stations = tt.stations.loc[out.index]
    out.insert(0, "stop_id", out.index)
    out.insert(1, "name", stations.stop_name)
    out.insert(2, "x", stations.x)
    out.insert(3, "y", stations.y)
    out["headway_peak_min"] = [_headway(n, peak) for n in out.departures_peak]
    out["headway_offpeak_min"] = [_headway(n, offpeak) for n in out.departures_offpeak]
    return out.set_index(stations.key.rename("stop")).sort_index()


def _patterns(tt: Timetable) -> pd.DataFrame:
    """Per trip: its route, direction (given or inferred) and station sequence."""
    seq = tt.stop_times.groupby("trip_id", sort=False).station.agg(tuple).rename("pattern")
    trips = tt.trips.join(seq, on="trip_id")
    given = trips.direction_id.isin(["0", "1"])
    trips["direction"] = np.where(given, trips.direction_id, "")
    for _, group in trips[~given].groupby("route_id", sort=False):
        main = _main_pattern(group.pattern)
        position = {s: i for i, s in enumerate(main)}
        trips.loc[group.index, "direction"] = [_orientation(p, position)
                                               for p in group.pattern]
    return trips


def _orientation(pattern: tuple[str, ...], position: dict[str, int]) -> str:
    """``"0"`` when a trip runs the way of the route's main pattern, else ``"1"``."""
    common = [position[s] for s in pattern if s in position]
    return "1" if len(common) >= 2 and common[0] > common[-1] else "0"


def _main_pattern(patterns: pd.Series) -> tuple[str, ...]:
    """Most common sequence; ties: the longest, then the first in order."""
    counts = patterns.value_counts()
    best = counts[counts == counts.max()].index
    return tuple(sorted(best, key=lambda p: (-len(p), p))[0])


@dataclass(frozen=True)
class _Direction:
    pattern: tuple[str, ...]
    runs: np.ndarray
    n_peak: float
    n_offpeak: float


def _direction(trips: pd.DataFrame, tt: Timetable, dep: pd.DataFrame, peak: Window,
               offpeak: Window) -> _Direction:
    """Main pattern, median run times and departures per window of one route-direction."""
    pattern = _main_pattern(trips.pattern)
    same = trips.trip_id[trips.pattern == pattern]
    st = tt.stop_times[tt.stop_times.trip_id.isin(set(same))]
    arr = st.arr.to_numpy().reshape(-1, len(pattern))
    dp = st.dep.to_numpy().reshape(-1, len(pattern))
    runs = np.median(arr[:, 1:] - dp[:, :-1], axis=0)
    own = dep[dep.trip_id.isin(set(trips.trip_id))]
    n_peak, n_off = (float(own[_in(own.dep, w)].groupby("station").size().max())
                     if _in(own.dep, w).any() else 0.0 for w in (peak, offpeak))
    return _Direction(pattern, runs, n_peak, n_off)


def _route_lines(route: pd.Series, trips: pd.DataFrame, tt: Timetable, dep: pd.DataFrame,
                 peak: Window, offpeak: Window) -> list[Line]:
    """One line per route: both directions when they mirror each other, else one each."""
    dirs = [_direction(g, tt, dep, peak, offpeak)
            for _, g in sorted(trips.groupby("direction"), key=lambda kv: str(kv[0]))]
    dirs = [d for d in dirs if len(d.pattern) >= 2]
    key = tt.stations.key
    name = str(route["label"])
    if len(dirs) == 2 and dirs[1].pattern == dirs[0].pattern[::-1]:
        a, b = dirs
        parts = [(name, a.pattern, (a.runs + b.runs[::-1]) / 2, (a.n_peak + b.n_peak) / 2,
                  (a.n_offpeak + b.n_offpeak) / 2, False)]
    else:
        parts = [(f"{name} {tt.stations.stop_name[d.pattern[0]]}–"
                  f"{tt.stations.stop_name[d.pattern[-1]]}", d.pattern, d.runs, d.n_peak,
                  d.n_offpeak, True) for d in dirs]
    out = []
    for label, pattern, runs, n_peak, n_off, one_way in parts:
        hw_peak, hw_off = _headway(n_peak, peak), _headway(n_off, offpeak)
        if math.isinf(hw_peak) and math.isinf(hw_off):
            continue
        out.append(Line(name=label, mode=route["mode"], stops=tuple(key.loc[list(pattern)]),
                        run_times_min=tuple(round(float(r), 4) for r in runs),
                        headway_peak_min=hw_peak, headway_offpeak_min=hw_off, status="real",
                        one_way=one_way))
    return out


def _lines(tt: Timetable, peak: Window, offpeak: Window) -> tuple[Line, ...]:
    if tt.trips.empty:
        return ()
    trips = _patterns(tt)
    dep = _departures(tt)
    lines: list[Line] = []
    for route_id, group in trips.groupby("route_id", sort=True):
        lines += _route_lines(tt.routes.loc[[route_id]].iloc[0], group, tt, dep, peak, offpeak)
    names: dict[str, int] = {}
    unique = []
    for line in lines:
        n = names[line.name] = names.get(line.name, 0) + 1
        unique.append(line if n == 1 else replace(line, name=f"{line.name} ({n})"))
    return tuple(unique)


def service_from_gtfs(
    path: str | Path,
    *,
    date: dt.date | str | None = None,
    peak: Window = PEAK,
    offpeak: Window = OFFPEAK,
    route_types: Iterable[int] | None = None,
    crs: str = CRS,
) -> GtfsService:
    """Stations, lines and departures per station of a GTFS feed for one service day.

    Parameters
    ----------
    path
        GTFS zip file or directory.
    date
        Service date (``datetime.date`` or ``"YYYY-MM-DD"``); default: the weekday
        (Mon–Fri) with the most active trips, earliest on ties.
    peak, offpeak
        Windows ``(start, end)`` in minutes after service-day midnight.
    route_types
        Keep only routes with these ``route_type`` values (default: all modelled modes).
    crs
        Projected CRS of the stop coordinates (the region's).
    """
    for label, window in (("peak", peak), ("offpeak", offpeak)):
        if not window[1] > window[0]:
            raise ValueError(f"{label}: end must be after start, got {window}")
    tt = timetable_from_gtfs(path, date, route_types, crs)
    st = tt.stations
    stops = {str(k): Stop(str(n), float(x), float(y), status="real")
             for k, n, x, y in zip(st.key, st.stop_name, st.x, st.y, strict=True)}
    service = stop_service(tt, peak, offpeak) if len(tt.trips) else stop_service_empty()
    return GtfsService(tt.day, stops, _lines(tt, peak, offpeak), service, tt.label)


def stop_service_empty() -> pd.DataFrame:
    """A service table without rows."""
    columns = ["stop_id", "name", "x", "y", "departures_day", "departures_peak",
               "departures_offpeak", "modes", "routes", "headway_peak_min",
               "headway_offpeak_min"]
    return pd.DataFrame(columns=columns, index=pd.Index([], name="stop"))


def lines_from_gtfs(path: str | Path, **kwargs) -> tuple[dict[str, Stop], tuple[Line, ...]]:
    """Every station (keyed by name, `` (stop_id)`` appended where names repeat) and the
    lines with a finite peak or off-peak headway (``kwargs`` as :func:`service_from_gtfs`)."""
    found = service_from_gtfs(path, **kwargs)
    return found.stops, found.lines


def headways_from_gtfs(path: str | Path, **kwargs) -> pd.DataFrame:
    """:func:`stop_headways` of the lines of a GTFS feed (``kwargs`` as in
    :func:`service_from_gtfs`)."""
    return stop_headways(lines_from_gtfs(path, **kwargs)[1])


def lines_near(
    path: str | Path,
    area: BaseGeometry,
    taken_stops: set[str],
    taken_lines: set[str],
    buffer_m: float = 1000.0,
    crs: str = CRS,
) -> GtfsService:
    """The feed's lines calling within ``buffer_m`` of ``area`` (in ``crs``), their
    stations, and the service of the stations within ``buffer_m`` of ``area``.

    Stop and line names that clash with names already taken (a region pack's) get the
    suffix ``" (GTFS)"``, so both can coexist.
    """
    found = service_from_gtfs(path, crs=crs)
    zone = area.buffer(buffer_m)
    inside = {name for name, s in found.stops.items() if zone.contains(Point(s.x, s.y))}
    lines = tuple(line for line in found.lines if inside & set(line.stops))

    def fresh(name: str, taken: set[str]) -> str:
        return f"{name} (GTFS)" if name in taken else name

    names = {s for line in lines for s in line.stops}
    service = found.service[contains_xy(zone, found.service.x.to_numpy(float),
                                        found.service.y.to_numpy(float))]
    rename = {name: fresh(name, taken_stops) for name in names | set(service.index)}
    kept = {rename[name]: replace(found.stops[name], name=rename[name]) for name in rename}
    renamed = tuple(
        replace(line, name=fresh(line.name, taken_lines),
                stops=tuple(rename[s] for s in line.stops))
        for line in lines
    )
    return GtfsService(found.day, kept, renamed, service.rename(index=rename), found.source)
