"""Read a GTFS feed into frequency-based :class:`~sim.region.Line` objects.

One service date is chosen (default: the weekday with the most active trips). Its
trips are grouped by route and stop pattern (parent stations when the feed has
them); each pattern gives median run times between consecutive stops and headways
per period from the departures at its first stop. A pattern and its exact reverse
on the same route become one :class:`Line`. Stops are projected to EPSG:25833.

Malformed feeds raise :class:`~sim.errors.InputError` with one line naming the file
inside the feed, e.g. ``feed.zip/stop_times.txt: missing column 'stop_id'``.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from pyproj import Transformer
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from sim.domain import CRS, Line, Stop, is_high_frequency, stop_headways
from sim.errors import InputError
from sim.vocab import Mode

__all__ = [
    "headways_from_gtfs",
    "is_high_frequency",
    "lines_from_gtfs",
    "lines_near",
    "mode_for_route_type",
    "stop_headways",
]

#: Required columns per file (``calendar.txt`` / ``calendar_dates.txt``: at least one).
REQUIRED: dict[str, tuple[str, ...]] = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")
_TO_UTM = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


# ---------------------------------------------------------------------------- modes


def mode_for_route_type(route_type: int) -> Mode | None:
    """Mode of a GTFS ``route_type`` (basic or extended), or None when not modelled.

    Ferries, air, aerial lifts, funiculars, taxis and the like return None.
    """
    basic: dict[int, Mode] = {0: "tram", 1: "metro", 2: "rail", 3: "bus", 5: "tram",
                              11: "bus", 12: "metro"}
    if route_type in basic:
        return basic[route_type]
    ranges: tuple[tuple[int, int, Mode], ...] = (
        (100, 399, "rail"),   # railway, coach excluded below, suburban railway
        (400, 699, "metro"),  # urban railway, metro, underground, monorail
        (700, 899, "bus"),    # bus, trolleybus
        (900, 999, "tram"),
    )
    if 200 <= route_type <= 299:  # coach services
        return "bus"
    for lo, hi, mode in ranges:
        if lo <= route_type <= hi:
            return mode
    return None


# ---------------------------------------------------------------------------- reading


class _Feed:
    """Access to the text files of a GTFS zip or directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.label = self.path.name or str(self.path)
        self._members: dict[str, str] = {}
        if self.path.is_dir():
            self._members = {p.name: str(p) for p in self.path.iterdir() if p.suffix == ".txt"}
        elif self.path.is_file():
            try:
                with zipfile.ZipFile(self.path) as zf:
                    bad = zf.testzip()
                    names = zf.namelist()
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                msg = f"{self.path}: not a readable GTFS zip ({_one_line(exc)})"
                raise InputError(msg) from exc
            if bad is not None:
                raise InputError(f"{self.path}: corrupt GTFS zip (bad CRC in {bad})")
            for name in sorted(names, key=lambda n: n.count("/")):
                base = name.rsplit("/", 1)[-1]
                if base.endswith(".txt") and "__MACOSX" not in name:
                    self._members.setdefault(base, name)
        else:
            raise InputError(f"{self.path}: GTFS feed not found (expected a .zip or a directory)")

    def has(self, name: str) -> bool:
        return name in self._members

    def read(self, name: str) -> pd.DataFrame:
        """Read one file as strings, checking its required columns."""
        where = f"{self.label}/{name}"
        if name not in self._members:
            raise InputError(f"{where}: required file missing from the GTFS feed")
        try:
            if self.path.is_dir():
                raw = Path(self._members[name]).read_bytes()
            else:
                with zipfile.ZipFile(self.path) as zf:
                    raw = zf.read(self._members[name])
            df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False,
                             encoding="utf-8-sig", skipinitialspace=True)
        except pd.errors.EmptyDataError as exc:
            raise InputError(f"{where}: empty file, expected a CSV header") from exc
        except (ValueError, OSError, zipfile.BadZipFile) as exc:
            raise InputError(f"{where}: unreadable CSV ({_one_line(exc)})") from exc
        df.columns = [str(c).strip() for c in df.columns]
        for col in REQUIRED.get(name, ()):
            if col not in df.columns:
                raise InputError(f"{where}: missing required column '{col}'")
        return df.apply(lambda s: s.str.strip())

    def where(self, name: str) -> str:
        return f"{self.label}/{name}"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _service_key(series: pd.Series) -> pd.Series:
    """Normalise service ids: all-digit ids lose leading zeros.

    Some feeds (e.g. the 2016 Flybussen test feed) were round-tripped through a
    spreadsheet, so ``trips.txt`` says ``15878`` where ``calendar.txt`` says ``015878``.
    """
    digits = series.str.fullmatch(r"\d+")
    stripped = series.str.lstrip("0").replace("", "0")
    return series.where(~digits, stripped)


def _parse_minutes(feed: _Feed, st: pd.DataFrame, col: str) -> np.ndarray:
    """``HH:MM:SS`` (hours may exceed 24) to minutes; blank gives NaN."""
    values = st[col]
    parts = values.str.extract(_TIME)
    bad = (values != "") & parts[0].isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{feed.where('stop_times.txt')}: {col} {values.iloc[i]!r} of trip "
            f"{st.trip_id.iloc[i]!r} (data row {i + 1}) is not a time, expected HH:MM:SS"
        )
    p = parts.astype(float)
    return (p[0] * 60 + p[1] + p[2] / 60).to_numpy()


def _parse_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).replace("-", "")
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError as exc:
        raise InputError(f"date: {value!r} is not a date, expected YYYY-MM-DD") from exc


# ---------------------------------------------------------------------------- tables


def _stations(feed: _Feed) -> tuple[pd.DataFrame, dict[str, str]]:
    """Stations (parents or stand-alone stops) and a map stop_id -> station stop_id."""
    stops = feed.read("stops.txt")
    where = feed.where("stops.txt")
    if stops.stop_id.duplicated().any():
        dup = stops.stop_id[stops.stop_id.duplicated()].iloc[0]
        raise InputError(f"{where}: duplicate stop_id {dup!r}")
    if "location_type" not in stops:
        stops["location_type"] = ""
    if "parent_station" not in stops:
        stops["parent_station"] = ""
    if "stop_name" not in stops:
        stops["stop_name"] = ""
    ltype = stops.location_type.replace("", "0")
    ids = set(stops.stop_id)
    orphans = stops[(stops.parent_station != "") & ~stops.parent_station.isin(ids)]
    if len(orphans):
        raise InputError(f"{where}: parent_station {orphans.parent_station.iloc[0]!r} of stop "
                         f"{orphans.stop_id.iloc[0]!r} is not a stop_id in stops.txt")
    to_station = dict(zip(stops.stop_id, stops.stop_id, strict=True))
    has_parent = (stops.parent_station != "") & ltype.isin(["0", "2", "3", "4"])
    to_station.update(zip(stops.stop_id[has_parent], stops.parent_station[has_parent],
                          strict=True))
    stations = stops[~has_parent & ltype.isin(["0", "1"])].copy()
    for col in ("stop_lat", "stop_lon"):
        num = pd.to_numeric(stations[col], errors="coerce")
        if num.isna().any():
            i = int(np.flatnonzero(num.isna().to_numpy())[0])
            raise InputError(f"{where}: {col} {stations[col].iloc[i]!r} of stop "
                             f"{stations.stop_id.iloc[i]!r} is not a number")
        stations[col] = num
    stations["stop_name"] = stations.stop_name.where(stations.stop_name != "", stations.stop_id)
    x, y = _TO_UTM.transform(stations.stop_lon.to_numpy(), stations.stop_lat.to_numpy())
    stations["x"], stations["y"] = x, y
    dup = stations.stop_name.duplicated(keep=False)
    stations["key"] = stations.stop_name.where(
        ~dup, stations.stop_name + " (" + stations.stop_id + ")")
    return stations.set_index("stop_id"), to_station


def _active_pairs(feed: _Feed) -> pd.DataFrame:
    """Active ``(service_id, date)`` pairs from calendar.txt and calendar_dates.txt."""
    if not (feed.has("calendar.txt") or feed.has("calendar_dates.txt")):
        raise InputError(f"{feed.where('calendar.txt')}: required file missing from the GTFS "
                         "feed (neither calendar.txt nor calendar_dates.txt present)")
    pairs = [pd.DataFrame({"service_id": pd.Series(dtype=str), "date": pd.Series(dtype=object)})]
    removed = pairs[0]
    if feed.has("calendar.txt"):
        cal = feed.read("calendar.txt")
        where = feed.where("calendar.txt")
        for row in cal.itertuples():
            try:
                start = dt.datetime.strptime(str(row.start_date), "%Y%m%d").date()
                end = dt.datetime.strptime(str(row.end_date), "%Y%m%d").date()
            except ValueError as exc:
                raise InputError(f"{where}: service {row.service_id!r}: start_date/end_date "
                                 "must be YYYYMMDD") from exc
            flags = np.array([getattr(row, d) == "1" for d in _WEEKDAYS])
            if not flags.any():
                continue
            days = pd.date_range(start, end, freq="D")
            days = days[flags[days.day_of_week]]
            pairs.append(pd.DataFrame({"service_id": row.service_id, "date": days.date}))
    if feed.has("calendar_dates.txt"):
        cd = feed.read("calendar_dates.txt")
        where = feed.where("calendar_dates.txt")
        dates = pd.to_datetime(cd.date, format="%Y%m%d", errors="coerce")
        if dates.isna().any():
            bad = cd.date[dates.isna()].iloc[0]
            raise InputError(f"{where}: date {bad!r} is not a date, expected YYYYMMDD")
        if not cd.exception_type.isin(["1", "2"]).all():
            bad = cd.exception_type[~cd.exception_type.isin(["1", "2"])].iloc[0]
            raise InputError(f"{where}: exception_type {bad!r}, expected 1 or 2")
        cd = cd.assign(date=dates.dt.date)
        pairs.append(cd.loc[cd.exception_type == "1", ["service_id", "date"]])
        removed = cd.loc[cd.exception_type == "2", ["service_id", "date"]]
    active = pd.concat(pairs, ignore_index=True)
    active["service_id"] = _service_key(active.service_id.astype(str))
    active = active.drop_duplicates()
    if len(removed):
        removed = removed.assign(service_id=_service_key(removed.service_id))
        gone = active.merge(removed, how="left", indicator=True)["_merge"] == "both"
        active = active[~gone.to_numpy()]
    return active


def _stop_times(feed: _Feed, trip_ids: set[str], to_station: dict[str, str]) -> pd.DataFrame:
    """Validated stop times with ``arr``/``dep`` minutes and ``station``, by trip and order."""
    st = feed.read("stop_times.txt")
    where = feed.where("stop_times.txt")
    if st.empty:
        raise InputError(f"{where}: no stop times (a feed needs at least one trip calling at "
                         "two stops)")
    unknown = ~st.trip_id.isin(trip_ids)
    if unknown.any():
        raise InputError(f"{where}: unknown trip_id {st.trip_id[unknown].iloc[0]!r} "
                         "(not in trips.txt)")
    unknown = ~st.stop_id.isin(to_station.keys())
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise InputError(f"{where}: trip {st.trip_id.iloc[i]!r} references unknown stop_id "
                         f"{st.stop_id.iloc[i]!r} (not in stops.txt)")
    seq = pd.to_numeric(st.stop_sequence, errors="coerce")
    if seq.isna().any():
        bad = st.stop_sequence[seq.isna()].iloc[0]
        raise InputError(f"{where}: stop_sequence {bad!r} is not an integer")
    arr = _parse_minutes(feed, st, "arrival_time")
    dep = _parse_minutes(feed, st, "departure_time")
    st = pd.DataFrame({"trip_id": st.trip_id, "seq": seq, "arr": np.where(np.isnan(arr), dep, arr),
                       "dep": np.where(np.isnan(dep), arr, dep),
                       "station": st.stop_id.map(to_station)})
    st = st.sort_values(["trip_id", "seq"], kind="stable")
    if st.duplicated(["trip_id", "seq"]).any():
        bad = st[st.duplicated(["trip_id", "seq"])].iloc[0]
        raise InputError(f"{where}: trip {bad.trip_id!r} repeats stop_sequence {bad.seq:g}")
    g = st.groupby("trip_id", sort=False)
    first, last = g.cumcount() == 0, g.cumcount(ascending=False) == 0
    missing = (first | last) & st.arr.isna()
    if missing.any():
        raise InputError(f"{where}: trip {st.trip_id[missing].iloc[0]!r} has no time at its "
                         "first or last stop")
    if st.arr.isna().any():  # non-timepoints: interpolate by position within the trip
        for col in ("arr", "dep"):
            st[col] = st.groupby("trip_id", sort=False)[col].transform(
                lambda v: v.interpolate(method="linear"))
    prev_dep = st.dep.shift().where(~first)
    back = (st.dep < st.arr) | (st.arr < prev_dep)
    if back.any():
        bad = st[back].iloc[0]
        raise InputError(f"{where}: trip {bad.trip_id!r} times out of order at stop_sequence "
                         f"{bad.seq:g} (times go backwards)")
    return st


# ---------------------------------------------------------------------------- lines


def _headway(n_departures: float, period: tuple[int, int]) -> float:
    return float((period[1] - period[0]) / n_departures) if n_departures > 0 else math.inf


def _routes(feed: _Feed, route_types: Iterable[int] | None) -> pd.DataFrame:
    """Routes by ``route_id`` with their ``mode`` (None: not modelled) and display ``label``."""
    routes = feed.read("routes.txt")
    rtype = pd.to_numeric(routes.route_type, errors="coerce")
    if rtype.isna().any():
        raise InputError(f"{feed.where('routes.txt')}: route_type "
                         f"{routes.route_type[rtype.isna()].iloc[0]!r} is not an integer")
    routes["mode"] = [mode_for_route_type(int(t)) for t in rtype]
    if route_types is not None:
        routes.loc[~rtype.isin(set(route_types)), "mode"] = None
    if "route_short_name" not in routes:
        routes["route_short_name"] = ""
    routes["label"] = routes.route_short_name.where(routes.route_short_name != "",
                                                    routes.route_id)
    return routes.set_index("route_id")


def _service_day(feed: _Feed, trips: pd.DataFrame, active: pd.DataFrame,
                 day: dt.date | None) -> dt.date:
    """``day`` if the feed runs trips then; else the weekday with the most trips."""
    joined = active.join(trips.groupby("service_key").size().rename("n"), on="service_id")
    per_day = joined.dropna().groupby("date")["n"].sum()
    counts: dict[dt.date, float] = {cast(dt.date, d): float(n) for d, n in per_day.items()}
    cal = feed.where("calendar.txt" if feed.has("calendar.txt") else "calendar_dates.txt")
    if day is None:
        weekday = {d: n for d, n in counts.items() if d.weekday() < 5}
        pick = weekday or counts
        if not pick:
            raise InputError(f"{cal}: no active service on any date "
                             "for the routes read")
        day = min(d for d, n in pick.items() if n == max(pick.values()))
    if counts.get(day, 0) == 0:
        span = f"{min(counts)} to {max(counts)}" if counts else "no date"
        raise InputError(f"{cal}: no active service on {day} "
                         f"(the feed has service from {span})")
    return day


def lines_from_gtfs(
    path: str | Path,
    *,
    date: dt.date | str | None = None,
    peak: tuple[int, int] = (7 * 60, 9 * 60),
    offpeak: tuple[int, int] = (10 * 60, 14 * 60),
    route_types: Iterable[int] | None = None,
) -> tuple[dict[str, Stop], tuple[Line, ...]]:
    """Stops and frequency-based lines of a GTFS feed for one service date.

    Parameters
    ----------
    path
        GTFS zip file or directory.
    date
        Service date (``datetime.date`` or ``"YYYY-MM-DD"``); default: the weekday
        (Mon–Fri) with the most active trips, earliest on ties.
    peak, offpeak
        Periods ``(start, end)`` in minutes after service-day midnight; headway is the
        period length over the number of departures from the pattern's first stop
        (averaged over the two directions of a merged line), ``inf`` when none.
    route_types
        Keep only routes with these ``route_type`` values (default: all modelled modes).

    Returns
    -------
    stops, lines
        Every station (parent station, or stop without one) keyed by its name (with
        `` (stop_id)`` appended when names repeat), EPSG:25833, ``status="real"``; and the
        lines with a finite peak or off-peak headway, ``status="real"``.
    """
    for label, period in (("peak", peak), ("offpeak", offpeak)):
        if not period[1] > period[0]:
            raise ValueError(f"{label}: end must be after start, got {period}")
    day = _parse_date(date)
    feed = _Feed(path)
    stations, to_station = _stations(feed)
    routes = _routes(feed, route_types)
    trips = feed.read("trips.txt")
    unknown = ~trips.route_id.isin(routes.index)
    if unknown.any():
        raise InputError(f"{feed.where('trips.txt')}: trip {trips.trip_id[unknown].iloc[0]!r} "
                         f"references unknown route_id {trips.route_id[unknown].iloc[0]!r}")
    trips["service_key"] = _service_key(trips.service_id)
    st = _stop_times(feed, set(trips.trip_id), to_station)
    trips = trips[trips.route_id.map(routes["mode"]).notna()]
    active = _active_pairs(feed)
    stops = {str(key): Stop(str(name), float(x), float(y), status="real")
             for key, name, x, y in zip(stations.key, stations.stop_name, stations.x,
                                        stations.y, strict=True)}
    if trips.empty:  # no route of a modelled mode / of the requested route_types
        return stops, ()
    day = _service_day(feed, trips, active, day)
    trips = trips[trips.service_key.isin(set(active.service_id[active.date == day]))]
    st = st[st.trip_id.isin(trips.trip_id)]

    firsts = st.groupby("trip_id", sort=False).agg(pattern=("station", tuple))
    firsts = firsts.join(trips.set_index("trip_id").route_id)
    firsts["pid"] = firsts.groupby(["route_id", "pattern"]).ngroup()
    times = {int(cast(int, pid)): rows
             for pid, rows in st.assign(pid=st.trip_id.map(firsts.pid)).groupby("pid")}
    lines: list[Line] = []
    for route_id, group in firsts.groupby("route_id", sort=True):
        route = routes.loc[[route_id]].iloc[0]
        lines += _route_lines(route, group, times, stations, peak, offpeak)
    names: dict[str, int] = {}
    unique = []
    for line in lines:
        n = names[line.name] = names.get(line.name, 0) + 1
        unique.append(line if n == 1 else _renamed(line, f"{line.name} ({n})"))
    return stops, tuple(unique)


def _route_lines(
    route: pd.Series, trips: pd.DataFrame, times: dict[int, pd.DataFrame],
    stations: pd.DataFrame,
    peak: tuple[int, int], offpeak: tuple[int, int],
) -> list[Line]:
    """Lines of one route: each pattern, merged with its reverse when there is one."""
    by_pattern = {cast(tuple[str, ...], p): g for p, g in trips.groupby("pattern", sort=False)}
    order = sorted(by_pattern, key=lambda p: (-len(by_pattern[p]), p))
    groups: list[tuple[tuple[str, ...], ...]] = []
    used: set[tuple[str, ...]] = set()
    for pattern in order:
        if pattern in used:
            continue
        used.add(pattern)
        back = pattern[::-1]
        if back != pattern and back in by_pattern and back not in used:
            used.add(back)
            groups.append((pattern, back))
        else:
            groups.append((pattern,))
    out = []
    for group in groups:
        pattern = group[0]
        if len(pattern) < 2:
            continue
        runs, n_peak, n_off = [], 0.0, 0.0
        for k, pat in enumerate(group):
            rows = times[int(by_pattern[pat].pid.iloc[0])]
            arr = rows.arr.to_numpy().reshape(-1, len(pat))
            dep = rows.dep.to_numpy().reshape(-1, len(pat))
            run = np.median(arr[:, 1:] - dep[:, :-1], axis=0)
            runs.append(run if k == 0 else run[::-1])
            start = dep[:, 0]
            n_peak += np.count_nonzero((start >= peak[0]) & (start < peak[1]))
            n_off += np.count_nonzero((start >= offpeak[0]) & (start < offpeak[1]))
        hw_peak = _headway(n_peak / len(group), peak)
        hw_off = _headway(n_off / len(group), offpeak)
        if math.isinf(hw_peak) and math.isinf(hw_off):
            continue
        first, last = (stations.stop_name[pattern[i]] for i in (0, -1))
        out.append((len(group) == 2, Line(
            name=f"{route.label} {first}–{last}",
            mode=route["mode"],
            stops=tuple(stations.key.loc[list(pattern)]),
            run_times_min=tuple(round(float(r), 4) for r in np.mean(runs, axis=0)),
            headway_peak_min=hw_peak,
            headway_offpeak_min=hw_off,
            status="real",
        )))
    if len(out) == 1 and out[0][0]:
        return [_renamed(out[0][1], str(route.label))]
    return [line for _, line in out]


def _renamed(line: Line, name: str) -> Line:
    return Line(name, line.mode, line.stops, line.run_times_min, line.headway_peak_min,
                line.headway_offpeak_min, line.opening_year, line.status)


# ---------------------------------------------------------------------------- stop headways


def headways_from_gtfs(path: str | Path, **kwargs) -> pd.DataFrame:
    """:func:`stop_headways` of the lines of a GTFS feed (``kwargs`` as in
    :func:`lines_from_gtfs`)."""
    return stop_headways(lines_from_gtfs(path, **kwargs)[1])


def lines_near(
    path: str | Path,
    area: BaseGeometry,
    taken_stops: set[str],
    taken_lines: set[str],
    buffer_m: float = 1000.0,
) -> tuple[dict[str, Stop], tuple[Line, ...]]:
    """The feed's lines calling at a stop within ``buffer_m`` of ``area`` (EPSG:25833).

    Stop and line names that clash with names already taken (a region pack's) get the
    suffix ``" (GTFS)"``, so both can coexist.
    """
    stops, lines = lines_from_gtfs(path)
    zone = area.buffer(buffer_m)
    inside = {name for name, s in stops.items() if zone.contains(Point(s.x, s.y))}
    lines = tuple(line for line in lines if inside & set(line.stops))

    def fresh(name: str, taken: set[str]) -> str:
        return f"{name} (GTFS)" if name in taken else name

    rename = {name: fresh(name, taken_stops) for line in lines for name in line.stops}
    kept = {rename[name]: replace(stops[name], name=rename[name]) for name in rename}
    renamed = tuple(
        replace(line, name=fresh(line.name, taken_lines),
                stops=tuple(rename[s] for s in line.stops))
        for line in lines
    )
    return kept, renamed
