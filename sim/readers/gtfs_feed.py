"""Reading a GTFS feed: files and their columns, stations, calendars, stop times and
``frequencies.txt``, checked with one-line errors naming the file inside the feed.

:func:`timetable_from_gtfs` gives the trips of one service day of the modelled route
types, with every stop call's times (minutes after service-day midnight, past 24:00
for late trips) at its station (parent station, or the stop itself).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from sim.domain import CRS, lonlat_to_xy
from sim.errors import InputError
from sim.vocab import Mode

log = logging.getLogger(__name__)

#: Required columns per file (``calendar.txt`` / ``calendar_dates.txt``: at least one).
REQUIRED: dict[str, tuple[str, ...]] = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id", "route_type"),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
    "calendar.txt": ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                     "saturday", "sunday", "start_date", "end_date"),
    "calendar_dates.txt": ("service_id", "date", "exception_type"),
    "frequencies.txt": ("trip_id", "start_time", "end_time", "headway_secs"),
}
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^(\d{1,3}):([0-5]\d):([0-5]\d)$")


class Feed:
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


def service_key(series: pd.Series) -> pd.Series:
    """Normalise service ids: all-digit ids lose leading zeros.

    Some feeds (e.g. the 2016 Flybussen test feed) were round-tripped through a
    spreadsheet, so ``trips.txt`` says ``15878`` where ``calendar.txt`` says ``015878``.
    """
    digits = series.str.fullmatch(r"\d+")
    stripped = series.str.lstrip("0").replace("", "0")
    return series.where(~digits, stripped)


def _parse_minutes(feed: Feed, st: pd.DataFrame, col: str,
                   name: str = "stop_times.txt") -> np.ndarray:
    """``HH:MM:SS`` (hours may exceed 24) to minutes; blank gives NaN."""
    values = st[col]
    parts = values.str.extract(_TIME)
    bad = (values != "") & parts[0].isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"{feed.where(name)}: {col} {values.iloc[i]!r} of trip "
            f"{st.trip_id.iloc[i]!r} (data row {i + 1}) is not a time, expected HH:MM:SS"
        )
    p = parts.astype(float)
    return (p[0] * 60 + p[1] + p[2] / 60).to_numpy()


def parse_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    text = str(value).replace("-", "")
    try:
        return dt.datetime.strptime(text, "%Y%m%d").date()
    except ValueError as exc:
        raise InputError(f"date: {value!r} is not a date, expected YYYY-MM-DD") from exc


# ---------------------------------------------------------------------------- tables


def stations_of(feed: Feed, crs: str = CRS) -> tuple[pd.DataFrame, dict[str, str]]:
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
    x, y = lonlat_to_xy(stations.stop_lon.to_numpy(), stations.stop_lat.to_numpy(), crs)
    stations["x"], stations["y"] = x, y
    dup = stations.stop_name.duplicated(keep=False)
    stations["key"] = stations.stop_name.where(
        ~dup, stations.stop_name + " (" + stations.stop_id + ")")
    return stations.set_index("stop_id"), to_station


def active_pairs(feed: Feed) -> pd.DataFrame:
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
    active["service_id"] = service_key(active.service_id.astype(str))
    active = active.drop_duplicates()
    if len(removed):
        removed = removed.assign(service_id=service_key(removed.service_id))
        gone = active.merge(removed, how="left", indicator=True)["_merge"] == "both"
        active = active[~gone.to_numpy()]
    return active


def stop_times_of(feed: Feed, trip_ids: set[str], to_station: dict[str, str]) -> pd.DataFrame:
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


# ---------------------------------------------------------------------------- routes


def mode_for_route_type(route_type: int) -> Mode | None:
    """Mode of a GTFS ``route_type`` (basic or extended), or None when not modelled.

    Ferries (4, 1000–1099, 1200) are ``ferry``; air, aerial lifts, funiculars, taxis and
    other types return None (and are reported when a feed is read).
    """
    basic: dict[int, Mode] = {0: "tram", 1: "metro", 2: "rail", 3: "bus", 4: "ferry",
                              5: "tram", 11: "bus", 12: "metro"}
    if route_type in basic:
        return basic[route_type]
    ranges: tuple[tuple[int, int, Mode], ...] = (
        (100, 199, "rail"),   # railway
        (200, 299, "bus"),    # coach
        (300, 399, "rail"),   # suburban railway
        (400, 699, "metro"),  # urban railway, metro, underground, monorail
        (700, 899, "bus"),    # bus, trolleybus
        (900, 999, "tram"),
        (1000, 1099, "ferry"),  # water transport
        (1200, 1299, "ferry"),  # ferry
    )
    for lo, hi, mode in ranges:
        if lo <= route_type <= hi:
            return mode
    return None


def routes_of(feed: Feed, route_types: Iterable[int] | None) -> pd.DataFrame:
    """Routes by ``route_id`` with their ``mode`` (None: not modelled) and display ``label``.

    Routes of types no mode stands for are logged in one warning line with counts.
    """
    routes = feed.read("routes.txt")
    rtype = pd.to_numeric(routes.route_type, errors="coerce")
    if rtype.isna().any():
        raise InputError(f"{feed.where('routes.txt')}: route_type "
                         f"{routes.route_type[rtype.isna()].iloc[0]!r} is not an integer")
    routes["mode"] = [mode_for_route_type(int(t)) for t in rtype]
    unmapped = rtype[routes["mode"].isna()].astype(int).value_counts().sort_index()
    if len(unmapped):
        log.warning("%s: %d routes of route types not modelled skipped (%s)",
                    feed.where("routes.txt"), int(unmapped.sum()),
                    ", ".join(f"type {t}: {n}" for t, n in unmapped.items()))
    if route_types is not None:
        routes.loc[~rtype.isin(set(route_types)), "mode"] = None
    if "route_short_name" not in routes:
        routes["route_short_name"] = ""
    routes["label"] = routes.route_short_name.where(routes.route_short_name != "",
                                                    routes.route_id)
    return routes.set_index("route_id")


# ---------------------------------------------------------------------------- day and trips


def expand_frequencies(feed: Feed, trips: pd.DataFrame, st: pd.DataFrame
                       ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Trips of ``frequencies.txt`` as one trip per departure (``<trip_id>@<n>``).

    Each row runs the template trip every ``headway_secs`` from ``start_time`` up to
    (not including) ``end_time``, with the template's times relative to its first
    departure. Templates are replaced by their runs.
    """
    if not feed.has("frequencies.txt"):
        return trips, st
    fq = feed.read("frequencies.txt")
    where = feed.where("frequencies.txt")
    unknown = ~fq.trip_id.isin(set(trips.trip_id))
    if unknown.any():
        raise InputError(f"{where}: unknown trip_id {fq.trip_id[unknown].iloc[0]!r} "
                         "(not in trips.txt)")
    headway = pd.to_numeric(fq.headway_secs, errors="coerce")
    if headway.isna().any() or (headway <= 0).any():
        bad = fq.headway_secs[headway.isna() | (headway <= 0)].iloc[0]
        raise InputError(f"{where}: headway_secs {bad!r} is not a positive number")
    start = _parse_minutes(feed, fq, "start_time", "frequencies.txt")
    end = _parse_minutes(feed, fq, "end_time", "frequencies.txt")
    runs = [(tid, t) for tid, a, b, h in zip(fq.trip_id, start, end, headway / 60.0,
                                            strict=True)
            for t in np.arange(a, b - 1e-9, h)]
    if not runs:
        return trips[~trips.trip_id.isin(set(fq.trip_id))], st[~st.trip_id.isin(set(fq.trip_id))]
    run = pd.DataFrame(runs, columns=["template", "start"])
    run["trip_id"] = run.template + "@" + run.groupby("template").cumcount().astype(str)
    template = st[st.trip_id.isin(set(fq.trip_id))]
    first = template.groupby("trip_id").dep.transform("first")
    rel = template.assign(arr=template.arr - first, dep=template.dep - first).rename(
        columns={"trip_id": "template"})
    new_st = run.merge(rel, on="template")
    new_st = new_st.assign(arr=new_st.arr + new_st.start, dep=new_st.dep + new_st.start)
    new_trips = run[["template", "trip_id"]].merge(
        trips.rename(columns={"trip_id": "template"}), on="template").drop(columns="template")
    keep = ~trips.trip_id.isin(set(fq.trip_id))
    st_keep = ~st.trip_id.isin(set(fq.trip_id))
    return (pd.concat([trips[keep], new_trips], ignore_index=True),
            pd.concat([st[st_keep], new_st[st.columns]], ignore_index=True)
            .sort_values(["trip_id", "seq"], kind="stable"))


def service_day(feed: Feed, trips: pd.DataFrame, active: pd.DataFrame,
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


@dataclass(frozen=True)
class Timetable:
    """The trips of one service day, with every stop call at its station.

    ``stations`` (index ``stop_id``: ``stop_name``, ``key``, ``x``, ``y``) holds every
    station of the feed; ``routes`` (index ``route_id``: ``mode``, ``label``) every
    route; ``trips`` (``trip_id``, ``route_id``, ``direction_id``) the modelled trips
    running on ``day``; ``stop_times`` their calls (``trip_id``, ``seq``, ``arr``,
    ``dep``, ``station``), in order.
    """

    label: str
    day: dt.date | None
    stations: pd.DataFrame
    routes: pd.DataFrame
    trips: pd.DataFrame
    stop_times: pd.DataFrame


def timetable_from_gtfs(
    path: str | Path, date: dt.date | str | None = None,
    route_types: Iterable[int] | None = None, crs: str = CRS,
) -> Timetable:
    """The modelled trips of one service day of a GTFS feed (see :class:`Timetable`).

    ``date`` defaults to the weekday (Mon–Fri) with the most active trips, earliest on
    ties. ``frequencies.txt`` trips are expanded into single runs.
    """
    day = parse_date(date)
    feed = Feed(path)
    stations, to_station = stations_of(feed, crs)
    routes = routes_of(feed, route_types)
    trips = feed.read("trips.txt")
    unknown = ~trips.route_id.isin(routes.index)
    if unknown.any():
        raise InputError(f"{feed.where('trips.txt')}: trip {trips.trip_id[unknown].iloc[0]!r} "
                         f"references unknown route_id {trips.route_id[unknown].iloc[0]!r}")
    trips["service_key"] = service_key(trips.service_id)
    if "direction_id" not in trips:
        trips["direction_id"] = ""
    st = stop_times_of(feed, set(trips.trip_id), to_station)
    trips, st = expand_frequencies(feed, trips, st)
    trips = trips[trips.route_id.map(routes["mode"]).notna()]
    columns = ["trip_id", "route_id", "direction_id"]
    if trips.empty:  # no route of a modelled mode / of the requested route_types
        return Timetable(feed.label, None, stations, routes, trips[columns], st.iloc[:0])
    active = active_pairs(feed)
    day = service_day(feed, trips, active, day)
    trips = trips[trips.service_key.isin(set(active.service_id[active.date == day]))]
    st = st[st.trip_id.isin(set(trips.trip_id))].reset_index(drop=True)
    return Timetable(feed.label, day, stations, routes, trips[columns].reset_index(drop=True),
                     st)

