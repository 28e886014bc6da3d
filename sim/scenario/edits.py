"""The scenario's edits applied to a region for one year: lines, streets and policy in force.

Edits and policy measures apply from their year on. Two years with the same lines,
street edits and car speed factors share one network state (:func:`network_state`), so
networks and travel-time matrices are built once per state; prices (car cost, fares,
tolls, parking) act on the demand of their year only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np

from sim.domain import Line, Stop, Streets
from sim.graph import nearest_points
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.entries import CarCost, CarSpeed, PtFare
from sim.scenario.schema import Scenario


def lines_for_year(region: Region, scenario: Scenario, year: int) -> tuple[Line, ...]:
    """The lines running in ``year``, with the scenario's edits applied."""
    opening = {c.line: c.opening_year for c in scenario.transit.change_opening}
    delayed = [replace(line, opening_year=opening[line.name]) if line.name in opening else line
               for line in region.lines]
    lines = [line for line in delayed if line.open_in(year)]
    for add in scenario.transit.add_line:
        line = Line(
            name=add.name,
            mode=add.mode,
            stops=tuple(s if isinstance(s, str) else s.name for s in add.stops),
            run_times_min=tuple(add.run_times_min),
            headway_peak_min=add.headway_peak_min,
            headway_offpeak_min=add.headway_offpeak_min or add.headway_peak_min,
            opening_year=add.opening_year,
            status="real",  # a planner's input, not a made-up figure
        )
        if line.open_in(year):
            lines.append(line)
    changes = sorted(scenario.transit.change_headway, key=lambda c: c.from_year)
    for change in changes:
        if change.from_year > year:
            continue
        peak = change.headway_peak_min
        offpeak = change.headway_offpeak_min or peak
        lines = [replace(line, headway_peak_min=peak, headway_offpeak_min=offpeak)
                 if line.name == change.line else line for line in lines]
    removed = {r.line for r in scenario.transit.remove_line if r.from_year <= year}
    lines = [line for line in lines if line.name not in removed]
    for remove in scenario.transit.remove_stop:
        if remove.from_year <= year:
            lines = [cut for line in lines if (cut := _without_stop(line, remove.stop))]
    return tuple(lines)


def _without_stop(line: Line, stop: str) -> Line | None:
    """``line`` no longer calling at ``stop``; None when fewer than two stops remain."""
    if stop not in line.stops:
        return line
    stops, runs = list(line.stops), list(line.run_times_min)
    k = stops.index(stop)
    if k == 0:
        runs.pop(0)
    elif k == len(stops) - 1:
        runs.pop()
    else:
        runs[k - 1 : k + 1] = [runs[k - 1] + runs[k]]
    stops.pop(k)
    if len(stops) < 2:
        return None
    return replace(line, stops=tuple(stops), run_times_min=tuple(runs))


def street_edits_for_year(scenario: Scenario, year: int) -> tuple[tuple[int, ...], ...]:
    """Indices of the scenario's street additions and closures in force in ``year``."""
    added = tuple(i for i, a in enumerate(scenario.streets.add_link)
                  if a.opening_year is None or a.opening_year <= year)
    closed = tuple(i for i, c in enumerate(scenario.streets.close_link) if c.from_year <= year)
    return added, closed


def network_state(region: Region, scenario: Scenario, year: int) -> tuple:
    """What makes two years' networks and travel times identical: the lines, the stops
    they call at (with their coordinates), the street edits in force (by content, not
    position) and the car speed factors of the year's policy."""
    lines = lines_for_year(region, scenario, year)
    stops = stops_for_scenario(region, scenario)
    used = sorted({name for line in lines for name in line.stops})
    added, closed = street_edits_for_year(scenario, year)
    edits = (tuple(repr(scenario.streets.add_link[i]) for i in added),
             tuple(repr(scenario.streets.close_link[i]) for i in closed))
    params = params_for_year(scenario, year)
    return (lines, tuple((n, stops[n].x, stops[n].y) for n in used), edits,
            (params.car_speed_factor_peak, params.car_speed_factor_offpeak))


T = TypeVar("T", CarCost, PtFare, CarSpeed)


def _in_force(entries: list[T], year: int) -> list[T]:
    """Entries in force in ``year``, oldest first (a later one overrides)."""
    return sorted((e for e in entries if e.from_year <= year), key=lambda e: e.from_year)


def params_for_year(scenario: Scenario, year: int) -> ModelParams:
    """The scenario's model parameters with the policy in force in ``year``: car running
    cost, public transport fare and car speed factors."""
    policy = scenario.policy
    update: dict[str, float] = {}
    for cost in _in_force(policy.car_cost, year):
        update["car_cost_nok_per_km"] = cost.nok_per_km
    for fare in _in_force(policy.pt_fare, year):
        update["pt_fare_nok"] = fare.nok
    for speed in _in_force(policy.speed, year):
        if speed.factor_peak is not None:
            update["car_speed_factor_peak"] = speed.factor_peak
        if speed.factor_offpeak is not None:
            update["car_speed_factor_offpeak"] = speed.factor_offpeak
    return scenario.model.model_copy(update=update) if update else scenario.model


@dataclass(frozen=True)
class YearPolicy:
    """Charges by place in force in a year: tolls per cordon (NOK per crossing car trip)
    and parking per area (NOK)."""

    tolls: dict[str, float]
    parking: dict[str, float]


def policy_for_year(scenario: Scenario, year: int) -> YearPolicy:
    """The tolls and parking charges in force in ``year`` (latest entry per place)."""
    tolls: dict[str, float] = {}
    for toll in sorted((t for t in scenario.policy.toll if t.from_year <= year),
                       key=lambda t: t.from_year):
        tolls[toll.cordon] = toll.nok * (1.0 if toll.charged == "both" else 0.5)
    parking: dict[str, float] = {}
    for charge in sorted((c for c in scenario.policy.parking if c.from_year <= year),
                         key=lambda c: c.from_year):
        parking[charge.area] = charge.nok
    return YearPolicy({k: v for k, v in tolls.items() if v > 0}, parking)


def streets_for_year(region: Region, scenario: Scenario, year: int) -> Streets:
    """The region's streets with the scenario's links added and closed as of ``year``."""
    s = region.streets
    added, closed = street_edits_for_year(scenario, year)
    if not added and not closed:
        return s
    walk, bike, car = s.walk.copy(), s.bike.copy(), s.car.copy()
    if closed:
        mid_x, mid_y = (s.node_x[s.u] + s.node_x[s.v]) / 2, (s.node_y[s.u] + s.node_y[s.v]) / 2
        for i in closed:
            close = scenario.streets.close_link[i]
            for mode, mask in (("walk", walk), ("bike", bike), ("car", car)):
                if mode in close.modes and mask.any():  # the nearest edge of that mode
                    edge = int(nearest_points(mid_x, mid_y, np.array([close.at[0]]),
                                              np.array([close.at[1]]), mask=mask.copy())[0][0])
                    mask[edge] = False
    links = [scenario.streets.add_link[i] for i in added]
    if not links:
        return replace(s, walk=walk, bike=bike, car=car)
    ends = np.array([link.start for link in links] + [link.end for link in links], float)
    node, _ = nearest_points(s.node_x, s.node_y, ends[:, 0], ends[:, 1])
    u, v = node[: len(links)], node[len(links):]
    straight = np.hypot(s.node_x[u] - s.node_x[v], s.node_y[u] - s.node_y[v])
    length = np.array([link.length_m or 0.0 for link in links])
    length = np.where(length > 0, length, np.maximum(straight, 1.0))
    has = {mode: np.array([mode in link.modes for link in links])
           for mode in ("walk", "bike", "car")}
    return replace(
        s,
        u=np.r_[s.u, u], v=np.r_[s.v, v], length_m=np.r_[s.length_m, length],
        walk=np.r_[walk, has["walk"]], bike=np.r_[bike, has["bike"]], car=np.r_[car, has["car"]],
        car_speed_kmh=np.r_[s.car_speed_kmh, [link.car_speed_kmh for link in links]],
        synthetic=np.r_[s.synthetic, np.zeros(len(links), bool)],
        oneway=np.r_[s.oneway, np.zeros(len(links), bool)],
    )


def stops_for_scenario(region: Region, scenario: Scenario) -> dict[str, Stop]:
    """Region stops plus the new stops named with coordinates in the scenario."""
    stops = dict(region.stops)
    for add in scenario.transit.add_line:
        for s in add.stops:
            if not isinstance(s, str):
                stops[s.name] = Stop(s.name, s.x, s.y, status="real")
    return stops
