"""Tests of the GTFS reader (sim.gtfs): real feeds, a hand-made feed, broken feeds."""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import itertools
import json
import math
import statistics
import zipfile
from collections import defaultdict
from pathlib import Path

import pandas as pd
import pyproj
import pytest
import shapely
import shapely.geometry

from sim.domain import Line
from sim.errors import InputError
from sim.readers.gtfs import (
    headways_from_gtfs,
    is_high_frequency,
    lines_from_gtfs,
    mode_for_route_type,
    stop_headways,
)
from sim.settings import shared_data_dir

DATA = shared_data_dir()
needs_data = pytest.mark.skipif(
    DATA is None, reason="no shared data dir (set BAERUM_SIM_DATA or SIM_SHARED_DATA)"
)


def _csv(feed: Path, name: str) -> list[dict[str, str]]:
    """Rows of one file of a GTFS zip, read with the csv module (independent of sim.gtfs)."""
    with zipfile.ZipFile(feed) as zf:
        text = zf.read(name).decode("utf-8-sig")
    return [{k.strip(): v.strip() for k, v in row.items()}
            for row in csv.DictReader(io.StringIO(text))]


def _min(t: str) -> float:
    h, m, s = (int(p) for p in t.split(":"))
    return h * 60 + m + s / 60


def _in_baerum(x: float, y: float) -> bool:
    """Inside Bærum's EPSG:25833 extent and its boundary polygon.

    Bærum spans x ≈ 240,000–257,000, y ≈ 6,643,000–6,664,000 in EPSG:25833 (UTM 33N).
    (x ≈ 575,000–595,000 would be EPSG:25832, UTM 32N.)
    """
    if not (240_000 < x < 257_000 and 6_643_000 < y < 6_664_000):
        return False
    boundary = _baerum()
    return boundary is None or boundary.contains(shapely.Point(x, y))


@functools.cache
def _baerum() -> shapely.Geometry | None:
    """Bærum's boundary in EPSG:25833, or None when the file is missing."""
    path = DATA / "baerum_boundary_2024.geojson"
    if not path.is_file():
        return None
    geom = shapely.geometry.shape(json.loads(path.read_text())["features"][0]["geometry"])
    to_utm = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:25833", always_xy=True)
    return shapely.transform(geom, lambda x, y: to_utm.transform(x, y), interleaved=False)


# ---------------------------------------------------------------------------- real feeds


@needs_data
def test_flytoget_minimal_by_hand() -> None:
    feed = DATA / "flytoget_gtfs_minimal.zip"
    stops_rows = _csv(feed, "stops.txt")
    parent = {r["stop_id"]: r["parent_station"] or r["stop_id"] for r in stops_rows}
    name = {r["stop_id"]: r["stop_name"] for r in stops_rows}
    route_of = {r["trip_id"]: r["route_id"] for r in _csv(feed, "trips.txt")}
    short = {r["route_id"]: r["route_short_name"] for r in _csv(feed, "routes.txt")}
    by_trip = defaultdict(list)
    for r in _csv(feed, "stop_times.txt"):
        by_trip[r["trip_id"]].append(r)
    expected = {}
    for trip, rows in by_trip.items():  # one trip per route here, all direction 0
        rows.sort(key=lambda r: int(r["stop_sequence"]))
        stations = tuple(name[parent[r["stop_id"]]] for r in rows)
        runs = tuple(_min(b["arrival_time"]) - _min(a["departure_time"])
                     for a, b in itertools.pairwise(rows))
        start = _min(rows[0]["departure_time"])
        n_peak = int(7 * 60 <= start < 9 * 60)
        n_off = int(10 * 60 <= start < 14 * 60)
        expected[stations] = (short[route_of[trip]], runs,
                              120 / n_peak if n_peak else math.inf,
                              240 / n_off if n_off else math.inf)

    stops, lines = lines_from_gtfs(feed)
    # stations only (location_type 1); quays fold into them
    assert len(stops) == sum(r["location_type"] == "1" for r in stops_rows) == 4
    assert {s.status for s in stops.values()} == {"real"}
    assert len(lines) == len(expected) == 2
    for line in lines:
        route, runs, hw_peak, hw_off = expected[line.stops]
        assert line.name == f"{route} {line.stops[0]}–{line.stops[-1]}"
        assert line.one_way  # the feed has one direction only
        assert line.mode == "rail"  # route_type 2
        assert line.run_times_min == pytest.approx(runs)
        assert line.headway_peak_min == hw_peak
        assert line.headway_offpeak_min == pytest.approx(hw_off)
        assert line.status == "real"
    # Stabekk (Bærum) projected to UTM 33N
    assert _in_baerum(stops["Stabekk"].x, stops["Stabekk"].y)


@needs_data
def test_flybus_stops_headways_and_run_times() -> None:
    feed = DATA / "flybus_gtfs_2016.zip"
    stops, lines = lines_from_gtfs(feed)
    stop_rows = _csv(feed, "stops.txt")
    assert len(stops) == len(stop_rows) == 204
    bekkestua = [s for s in stops.values() if s.name.startswith("Bekkestua")]
    assert bekkestua
    for s in bekkestua:
        assert _in_baerum(s.x, s.y)
    # PROVENANCE.md says 28 stops in Bærum; 23 lie inside the 2024 boundary polygon
    assert 20 <= sum(_in_baerum(s.x, s.y) for s in stops.values()) <= 28
    assert lines
    for line in lines:
        assert line.mode in ("bus", "ferry")  # the feed's route types were altered
        assert line.headway_peak_min > 0 and line.headway_offpeak_min > 0
        assert math.isfinite(line.headway_peak_min) or math.isfinite(line.headway_offpeak_min)
        assert all(r >= 0 for r in line.run_times_min)
        assert set(line.stops) <= set(stops)

    # independent check: the stop ids of each line's pattern, then the raw trips on it
    ids_by_name = defaultdict(list)
    for r in stop_rows:
        ids_by_name[r["stop_name"]].append(r["stop_id"])

    def stop_id(key: str) -> str:
        if key.endswith(")") and " (" in key:
            return key.rsplit(" (", 1)[1][:-1]
        (only,) = ids_by_name[key]
        return only

    by_trip = defaultdict(list)
    for r in _csv(feed, "stop_times.txt"):
        by_trip[r["trip_id"]].append(r)
    for rows in by_trip.values():
        rows.sort(key=lambda r: int(r["stop_sequence"]))
    sample = next(li for li in lines if li.stops[0] == "Bekkestua terminal")
    pattern = [stop_id(k) for k in sample.stops]
    trips = [rows for rows in by_trip.values() if [r["stop_id"] for r in rows] == pattern]
    assert trips
    end_to_end = [_min(t[-1]["arrival_time"]) - _min(t[0]["departure_time"]) for t in trips]
    dwell = [sum(_min(r["departure_time"]) - _min(r["arrival_time"]) for r in t[1:-1])
             for t in trips]
    assert sum(sample.run_times_min) == pytest.approx(
        statistics.median(e - d for e, d in zip(end_to_end, dwell, strict=True)))
    seg = [[_min(b["arrival_time"]) - _min(a["departure_time"])
            for a, b in itertools.pairwise(t)] for t in trips]
    medians = [statistics.median(c) for c in zip(*seg, strict=True)]
    assert sample.run_times_min == pytest.approx(medians)


@needs_data
def test_flybus_stop_headways() -> None:
    table = headways_from_gtfs(DATA / "flybus_gtfs_2016.zip")
    assert len(table) and (table.headway_peak_min > 0).all()
    assert not table.high_frequency.any()  # airport buses run every 20+ minutes


# ---------------------------------------------------------------------------- hand-made feeds


def _hm(minutes: float) -> str:
    m = round(minutes)
    return f"{m // 60:02d}:{m % 60:02d}:00"


def _feed_files() -> dict[str, str]:
    """A tiny valid feed: route T1 Alfa–Beta–Gamma both ways, quays under stations."""
    stops = (
        "stop_id,stop_name,stop_lat,stop_lon,location_type,parent_station\n"
        "S:A,Alfa,59.90,10.50,1,\nS:B,Beta,59.91,10.52,1,\nS:C,Gamma,59.92,10.54,1,\n"
        "Q:A1,Alfa,59.9001,10.5001,0,S:A\nQ:A2,Alfa,59.9002,10.5002,0,S:A\n"
        "Q:B1,Beta,59.9101,10.5201,0,S:B\nQ:B2,Beta,59.9102,10.5202,0,S:B\n"
        "Q:C1,Gamma,59.9201,10.5401,0,S:C\nQ:C2,Gamma,59.9202,10.5402,0,S:C\n"
    )
    trips = ["route_id,service_id,trip_id,direction_id"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]

    def add(trip: str, service: str, stop_times: list[tuple[str, float, float]]) -> None:
        trips.append(f"T1,{service},{trip},{int(trip.startswith('back'))}")
        for k, (stop, arr, dep) in enumerate(stop_times):
            times.append(f"{trip},{_hm(arr)},{_hm(dep)},{stop},{k + 1}")

    # peak 07:00-09:00: 8 departures each way; off-peak 10:00-14:00: 8 each way
    starts = [7 * 60 + 15 * i for i in range(8)] + [10 * 60 + 30 * i for i in range(8)]
    for i, t in enumerate(starts):
        # out: A->B 4 min (one 10-min outlier), 1 min dwell, B->C 6 min
        ab = 10 if i == 3 else 4
        add(f"out{i}", "WK", [("Q:A1", t, t), ("Q:B1", t + ab, t + ab + 1),
                             ("Q:C1", t + ab + 7, t + ab + 7)])
        # back: C->B 7 min, B->A 3 min
        add(f"back{i}", "WK", [("Q:C2", t, t), ("Q:B2", t + 7, t + 7), ("Q:A2", t + 10, t + 10)])
    # a night trip past midnight, outside both periods
    add("night", "WK", [("Q:A1", 24 * 60 + 30, 24 * 60 + 30), ("Q:B1", 24 * 60 + 34, 24 * 60 + 34),
                        ("Q:C1", 24 * 60 + 40, 24 * 60 + 40)])
    # weekend: one outbound trip at 11:00
    add("we", "WE", [("Q:A1", 660, 660), ("Q:B1", 664, 665), ("Q:C1", 671, 671)])
    return {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Ag,http://x,Europe/Oslo\n",
        "stops.txt": stops,
        "routes.txt": "route_id,agency_id,route_short_name,route_type\nT1,A,T1,700\n",
        "trips.txt": "\n".join(trips) + "\n",
        "stop_times.txt": "\n".join(times) + "\n",
        "calendar.txt": (
            "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
            "start_date,end_date\nWK,1,1,1,1,1,0,0,20240101,20241231\n"
            "WE,0,0,0,0,0,1,1,20240101,20241231\n"
        ),
        "calendar_dates.txt": "service_id,date,exception_type\nWK,20240101,2\n",
    }


def _write_zip(tmp_path: Path, files: dict[str, str], name: str = "feed.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as zf:
        for fname, text in files.items():
            zf.writestr(fname, text)
    return path


def test_hand_made_feed_exact_line(tmp_path: Path) -> None:
    stops, lines = lines_from_gtfs(_write_zip(tmp_path, _feed_files()))
    assert set(stops) == {"Alfa", "Beta", "Gamma"}
    # default date: 2024-01-01 is removed by calendar_dates, so the 2nd weekday
    assert lines == (
        Line(name="T1", mode="bus", stops=("Alfa", "Beta", "Gamma"),
             run_times_min=(3.5, 6.5),  # (median 4 out + 3 back) / 2, (6 + 7) / 2
             headway_peak_min=15.0, headway_offpeak_min=30.0, status="real"),
    )
    table = stop_headways(lines)
    assert list(table.stop) == ["Alfa", "Beta", "Gamma"]
    assert not table.high_frequency.any()  # bus peak 15 > 10


def test_hand_made_feed_weekend_and_directory(tmp_path: Path) -> None:
    for fname, text in _feed_files().items():
        (tmp_path / fname).write_text(text, encoding="utf-8")
    _, lines = lines_from_gtfs(tmp_path, date="2024-01-06")  # a Saturday
    assert lines == (
        Line(name="T1 Alfa–Gamma", mode="bus", stops=("Alfa", "Beta", "Gamma"),
             run_times_min=(4.0, 6.0), headway_peak_min=math.inf,
             headway_offpeak_min=240.0, status="real", one_way=True),
    )
    _, lines = lines_from_gtfs(tmp_path, date=dt.date(2024, 1, 2), route_types=[3])
    assert lines == ()


def test_blank_intermediate_times_are_interpolated(tmp_path: Path) -> None:
    files = _broken(_feed_files(), "stop_times.txt", "out0,07:04:00,07:05:00", "out0,,")
    _, lines = lines_from_gtfs(_write_zip(tmp_path, files))
    _, expected = lines_from_gtfs(_write_zip(tmp_path, _feed_files(), "ok.zip"))
    assert lines == expected  # out0 A->B becomes 5.5 min; the median is unchanged


def _broken(files: dict[str, str], name: str, old: str, new: str) -> dict[str, str]:
    assert old in files[name]
    return {**files, name: files[name].replace(old, new, 1)}


BROKEN = {
    "missing file": (lambda f: {k: v for k, v in f.items() if k != "stop_times.txt"},
                     "stop_times.txt", "missing"),
    "missing column": (lambda f: _broken(f, "stops.txt", "stop_lat", "latitude"),
                       "stops.txt", "stop_lat"),
    "unknown stop": (lambda f: _broken(f, "stop_times.txt", "Q:B1", "Q:XX"),
                     "stop_times.txt", "Q:XX"),
    "backwards": (lambda f: _broken(f, "stop_times.txt", "out0,07:04:00,07:05:00",
                                    "out0,06:04:00,06:05:00"),
                  "stop_times.txt", "out of order"),
    "bad time": (lambda f: _broken(f, "stop_times.txt", "07:04:00", "07:6O:00"),
                 "stop_times.txt", "07:6O:00"),
    "no end time": (lambda f: _broken(f, "stop_times.txt", "out0,07:11:00,07:11:00", "out0,,"),
                    "stop_times.txt", "no time at its first or last stop"),
    "bad route_type": (lambda f: _broken(f, "routes.txt", ",700", ",bus"),
                       "routes.txt", "route_type"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_feed(tmp_path: Path, case: str) -> None:
    change, fname, needle = BROKEN[case]
    path = _write_zip(tmp_path, change(_feed_files()))
    with pytest.raises(InputError) as err:
        lines_from_gtfs(path)
    msg = str(err.value)
    assert "\n" not in msg
    assert f"feed.zip/{fname}" in msg and needle in msg


def test_no_service_on_date(tmp_path: Path) -> None:
    path = _write_zip(tmp_path, _feed_files())
    with pytest.raises(InputError, match=r"calendar\.txt: no active service on 2030-01-01"):
        lines_from_gtfs(path, date="2030-01-01")
    with pytest.raises(InputError, match="no active service on 2024-01-01"):
        lines_from_gtfs(path, date="2024-01-01")  # removed by calendar_dates.txt


@pytest.mark.parametrize("content", [b"not a zip at all", b"PK\x03\x04truncated"])
def test_corrupt_zip(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "broken.zip"
    path.write_bytes(content)
    with pytest.raises(InputError, match=r"broken\.zip") as err:
        lines_from_gtfs(path)
    assert "\n" not in str(err.value)


def test_truncated_zip(tmp_path: Path) -> None:
    good = _write_zip(tmp_path, _feed_files()).read_bytes()
    path = tmp_path / "cut.zip"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(InputError, match=r"cut\.zip"):
        lines_from_gtfs(path)


# ---------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    ("mode", "peak", "offpeak", "expected"),
    [
        ("bus", 10, 15, True),
        ("bus", 10.01, 15, False),
        ("bus", 10, 15.01, False),
        ("bus", 5, math.inf, False),
        ("metro", 15, 60, True),
        ("metro", 15.01, 5, False),
        ("tram", 15, math.inf, True),
        ("tram", 16, 10, False),
        ("rail", 30, 60, True),
        ("rail", 30.5, 10, False),
        ("rail", math.inf, 10, False),
    ],
)
def test_is_high_frequency(mode: str, peak: float, offpeak: float, expected: bool) -> None:
    assert is_high_frequency(mode, peak, offpeak) is expected


@pytest.mark.parametrize(
    ("route_type", "mode"),
    [(0, "tram"), (1, "metro"), (2, "rail"), (3, "bus"), (100, "rail"), (109, "rail"),
     (200, "bus"), (401, "metro"), (700, "bus"), (711, "bus"), (900, "tram"), (4, "ferry"),
     (1000, "ferry"), (1200, "ferry"), (6, None), (1100, None), (1400, None), (1502, None)],
)
def test_mode_for_route_type(route_type: int, mode: str | None) -> None:
    assert mode_for_route_type(route_type) == mode


@pytest.mark.skipif(shared_data_dir() is None, reason="shared data directory absent")
def test_lines_near_baerum_from_flybus() -> None:
    """Lines of a feed that call in Bærum, with clashing names suffixed."""
    from sim.readers.gtfs import lines_near
    from sim.readers.layers import boundary_from_file

    data = shared_data_dir()
    boundary = boundary_from_file(data / "baerum_boundary_2024.geojson")
    found = lines_near(data / "flybus_gtfs_2016.zip", boundary, {"Bekkestua terminal"}, set())
    stops, lines = found.stops, found.lines
    assert lines, "the flybus feed serves Bekkestua"
    assert "Bekkestua terminal (GTFS)" in found.service.index
    assert (found.service.departures_day > 0).all()
    assert all(s in stops for line in lines for s in line.stops)
    assert "Bekkestua terminal (GTFS)" in stops and "Bekkestua terminal" not in stops
    assert all(line.status == "real" for line in lines)


# ---------------------------------------------------------------------------- gtfs-kit oracle


def _gtfs_kit_departures(path: Path, day: dt.date, windows: dict[str, tuple[int, int]]
                         ) -> dict[str, dict[str, int]]:
    """Departures per station and window, counted by gtfs-kit (the oracle).

    gtfs-kit decides which trips run on the day (calendar + calendar_dates) and bins every
    departure time per stop; a trip's last call is an arrival and is left out, and stops
    are summed into their parent stations. The 2016 flybus feed went through a
    spreadsheet (trips.txt lost the leading zeros of service ids): the oracle's tables get
    the same normalisation the reader applies.
    """
    gk = pytest.importorskip("gtfs_kit")
    feed = gk.read_feed(path, dist_units="km")

    def strip(s: pd.Series) -> pd.Series:
        s = s.astype(str)
        return s.where(~s.str.fullmatch(r"\d+"), s.str.lstrip("0").replace("", "0"))

    feed.trips = feed.trips.assign(service_id=strip(feed.trips.service_id))
    for table in ("calendar", "calendar_dates"):
        frame = getattr(feed, table)
        if frame is not None:
            setattr(feed, table, frame.assign(service_id=strip(frame.service_id)))
    trips = feed.get_trips(day.strftime("%Y%m%d"))
    # routes the project models: all but aerial lifts, funiculars (6, 7), air, taxis and
    # other types from 1100 on except ferries (1200s)
    rtype = feed.routes.set_index("route_id").route_type.astype(int)
    modelled = rtype[~rtype.isin([6, 7]) & ((rtype < 1100) | rtype.between(1200, 1299))]
    trips = trips[trips.route_id.isin(set(modelled.index))]
    st = feed.stop_times[feed.stop_times.trip_id.isin(set(trips.trip_id))]
    st = st.sort_values(["trip_id", "stop_sequence"])
    st = st[st.groupby("trip_id").cumcount(ascending=False) > 0]
    series = gk.stops.compute_stop_time_series_0(st, trips, date=day.strftime("%Y%m%d"),
                                                 freq="1h")
    stops = feed.stops
    if "parent_station" not in stops:
        stops = stops.assign(parent_station="")
    stops = stops.fillna({"parent_station": ""})
    parent = dict(zip(stops.stop_id, stops.parent_station.where(stops.parent_station != "",
                                                                 stops.stop_id), strict=True))
    hour = series.datetime.dt.hour + 24 * (series.datetime.dt.date > day)
    out: dict[str, dict[str, int]] = {}
    for name, (a, b) in windows.items():
        inside = series[(hour * 60 >= a) & (hour * 60 < b)]
        counts = inside.groupby(inside.stop_id.map(parent)).num_trips.sum()
        out[name] = {k: int(v) for k, v in counts.items() if v}
    return out


@needs_data
@pytest.mark.parametrize("name", ["flybus_gtfs_2016.zip", "flytoget_gtfs_minimal.zip"])
def test_departures_per_stop_agree_with_gtfs_kit(name: str) -> None:
    from sim.readers.gtfs import OFFPEAK, PEAK, service_from_gtfs

    found = service_from_gtfs(DATA / name)
    windows = {"peak": PEAK, "offpeak": OFFPEAK, "day": (0, 48 * 60)}
    oracle = _gtfs_kit_departures(DATA / name, found.day, windows)
    svc = found.service.set_index("stop_id")
    for window in windows:
        ours = {k: int(v) for k, v in svc[f"departures_{window}"].items() if v}
        assert ours == oracle[window], window
    assert sum(oracle["peak"].values()) > 0 or name.startswith("flytoget")


# ---------------------------------------------------------------------------- synthetic


def _synthetic_feed() -> dict[str, str]:
    """Three routes with known service on weekdays of 2024.

    F: a ferry (route_type 4) Brygge–Øy, every 20 min 07:00–09:00 and 10:00–14:00 via
       frequencies.txt, and the same back;
    B: a bus with a main pattern A–B–C–D and short turns B–C–D starting at B: 6 full
       trips + 6 short turns in the peak (every 10 min at B, C), 4 full trips off-peak;
       back D–C–B–A 6 trips in the peak, 4 off-peak;
    G: a gondola (route_type 6): not modelled, reported.
    """
    stops = ("stop_id,stop_name,stop_lat,stop_lon\n"
             "P,Brygge,59.90,10.60\nQ,Øy,59.88,10.62\n"
             "A,Aa,59.91,10.50\nB,Bb,59.912,10.51\nC,Cc,59.914,10.52\nD,Dd,59.916,10.53\n"
             "G1,Bunn,59.95,10.55\nG2,Topp,59.96,10.56\n")
    routes = ("route_id,route_short_name,route_type\nF,F,4\nB,B,3\nG,G,6\n")
    trips = ["route_id,service_id,trip_id,direction_id"]
    times = ["trip_id,arrival_time,departure_time,stop_id,stop_sequence"]

    def add(route: str, trip: str, direction: int, calls: list[tuple[str, float]]) -> None:
        trips.append(f"{route},WK,{trip},{direction}")
        for k, (stop, t) in enumerate(calls):
            times.append(f"{trip},{_hm(t)},{_hm(t)},{stop},{k + 1}")

    add("F", "f_out", 0, [("P", 0), ("Q", 15)])  # templates (times relative)
    add("F", "f_back", 1, [("Q", 0), ("P", 15)])
    for i, t in enumerate([7 * 60 + 20 * k for k in range(6)] + [600 + 60 * k for k in range(4)]):
        add("B", f"b{i}", 0, [("A", t), ("B", t + 3), ("C", t + 6), ("D", t + 9)])
        add("B", f"r{i}", 1, [("D", t), ("C", t + 3), ("B", t + 6), ("A", t + 9)])
    for i, t in enumerate(7 * 60 + 10 + 20 * k for k in range(6)):  # short turns from B
        add("B", f"s{i}", 0, [("B", t), ("C", t + 3), ("D", t + 6)])
    add("G", "g0", 0, [("G1", 480), ("G2", 490)])
    freq = ("trip_id,start_time,end_time,headway_secs\n"
            "f_out,07:00:00,09:00:00,1200\nf_out,10:00:00,14:00:00,1200\n"
            "f_back,07:00:00,09:00:00,1200\nf_back,10:00:00,14:00:00,1200\n")
    return {
        "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Ag,http://x,Europe/Oslo\n",
        "stops.txt": stops, "routes.txt": routes, "frequencies.txt": freq,
        "trips.txt": "\n".join(trips) + "\n", "stop_times.txt": "\n".join(times) + "\n",
        "calendar.txt": ("service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,"
                         "start_date,end_date\nWK,1,1,1,1,1,0,0,20240101,20241231\n"),
    }


def test_synthetic_feed_frequencies_patterns_and_ferry(tmp_path: Path, caplog) -> None:
    from sim.readers.gtfs import service_from_gtfs

    with caplog.at_level("WARNING", logger="sim"):
        found = service_from_gtfs(_write_zip(tmp_path, _synthetic_feed()))
    assert "1 routes of route types not modelled skipped (type 6: 1)" in caplog.text
    lines = {line.name: line for line in found.lines}
    assert set(lines) == {"F", "B"}
    ferry = lines["F"]  # frequencies.txt: every 20 min in both windows, both ways
    assert (ferry.mode, ferry.stops, ferry.one_way) == ("ferry", ("Brygge", "Øy"), False)
    assert (ferry.headway_peak_min, ferry.headway_offpeak_min) == (20.0, 20.0)
    assert ferry.run_times_min == (15.0,)
    assert not ferry.high_frequency
    bus = lines["B"]  # main pattern A–D; peak: 12 departures at B and C out, 6 back -> 9
    assert bus.stops == ("Aa", "Bb", "Cc", "Dd") and not bus.one_way
    assert bus.headway_peak_min == pytest.approx(120 / 9)
    assert bus.headway_offpeak_min == pytest.approx(60.0)
    svc = found.service
    assert svc.loc["Bb", "departures_peak"] == 6 + 6 + 6  # out, short turns, back
    assert svc.loc["Aa", "departures_peak"] == 6  # the back trips end at Aa
    assert svc.loc["Bb", "headway_peak_min"] == pytest.approx(120 / 18)
    assert svc.loc["Brygge", "departures_peak"] == 6 and svc.loc["Øy", "departures_day"] == 18
    assert "Bunn" not in svc.index  # the gondola is not modelled
