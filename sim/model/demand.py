"""Demand stage: trips by purpose, destination choice and mode choice.

Residents aged 13 and over (the travel survey's population; the region states the
share under 13) make ``trips_per_person`` trips a day, split by purpose (work, school,
shopping/service, leisure, escort, other). Each trip chooses a destination among the
region's zones and the external zones (Oslo's, Asker, the rest of Akershus) by a logit
over the purpose's attraction, the mode-choice logsum, a term in the logarithm of the
road distance (a power decay, so long trips keep their share instead of vanishing
exponentially) and a constant per destination group (inside, oslo, elsewhere); then a
mode among walk, bike, public transport and car by a multinomial logit with
purpose-specific time coefficients (values of time) and constants. A car trip is made
as a passenger with the survey's share of car trips (by purpose when given), so
passengers move with drivers: the car alternative carries the cost per person (the
car's cost shared by its occupants). The constants are calibrated to the survey
(:mod:`sim.model.calibration`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np
import pandas as pd

from sim.model.skims import TravelTimes
from sim.params import ModelParams, Purpose
from sim.vocab import SUMMARY_MODES
from sim.vocab import TRAVEL_MODES as MODES

#: Trip length bands (km, road distance) of the trip length distribution.
LENGTH_BANDS_KM: tuple[float, ...] = (0, 1, 3, 5, 10, 20, np.inf)

#: Alternatives of the mode choice; car trips are split into driver and passenger after.
CHOICE_MODES: tuple[str, ...] = ("walk", "bike", "pt", "car")

#: Destination group of the region's own zones.
INSIDE = "inside"

#: Short-trip threshold of the trip length target (km).
SHORT_TRIP_KM = 5.0

#: Distances below this count as this in the destination utility's log-distance term (km).
MIN_KM = 0.5


@dataclass(frozen=True)
class DemandInputs:
    """Per-zone quantities the demand model needs.

    ``residents``, ``attraction`` and ``area`` are per internal zone; trips are made by
    ``trip_maker_share`` of the residents (aged 13+) at ``trips_per_person`` each.
    ``external_population`` and ``external_group`` describe the external zones;
    ``passenger_share`` is the survey's share of car trips made as a passenger.
    ``parking_nok`` (per destination, NaN: by zone kind) and ``toll_nok`` (origin ×
    destination) are the year's policy charges.
    """

    residents: np.ndarray
    attraction: dict[str, np.ndarray]
    trips_per_person: float
    area: np.ndarray
    trip_maker_share: float = 1.0
    external_population: np.ndarray = field(default_factory=lambda: np.zeros(0))
    external_group: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))
    passenger_share: float = 0.0
    parking_nok: np.ndarray | None = None
    toll_nok: np.ndarray | None = None

    @property
    def groups(self) -> np.ndarray:
        """Destination group of every destination (internal zones first)."""
        return np.r_[np.full(self.residents.size, INSIDE, dtype=object),
                     self.external_group.astype(object)]


@dataclass(frozen=True)
class Constants:
    """Calibrated constants: ``asc`` by mode (walk = 0), offsets by purpose and mode,
    destination group constants (``inside`` = 0) and the destination utility per unit of
    the logarithm of the road distance (``per_log_km``: a power decay with distance)."""

    asc: dict[str, float]
    purpose: dict[str, dict[str, float]] = field(default_factory=dict)
    group: dict[str, float] = field(default_factory=dict)
    per_log_km: float = 0.0

    def to_dict(self) -> dict:
        """As plain data (for the summary)."""
        return {"asc": dict(self.asc), "purpose": {k: dict(v) for k, v in self.purpose.items()},
                "group": dict(self.group), "per_log_km": self.per_log_km}


@dataclass(frozen=True)
class Demand:
    """Daily trips of residents: by mode, purpose, origin area and destination group."""

    year: int
    trips: dict[str, float]
    mode_shares: dict[str, float]
    car_split: dict[str, float]
    car_vkm: float
    pt_pkm: float
    pt_boardings: float
    by_purpose: dict[str, dict[str, float]]
    by_area: dict[str, dict[str, float]]
    length_distribution: dict[str, dict[str, float]]
    ascs: dict[str, float]
    destination_shares: dict[str, float] = field(default_factory=dict)
    share_under_5km: float = float("nan")
    mean_car_trip_km: float = float("nan")
    zones: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    pt_od: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))


def _car_cost_vehicle(tt: TravelTimes, inputs: DemandInputs, p: ModelParams) -> np.ndarray:
    """NOK per car trip: running cost, parking at the destination and tolls."""
    parking = tt.parking_nok if inputs.parking_nok is None else np.where(
        np.isnan(inputs.parking_nok), tt.parking_nok, inputs.parking_nok)
    cost = p.car_cost_nok_per_km * tt.car_km + parking[None, :]
    return cost if inputs.toll_nok is None else cost + inputs.toll_nok


def passenger_share(spec: Purpose, inputs: DemandInputs) -> float:
    """Share of a purpose's car trips made as a passenger."""
    return inputs.passenger_share if spec.car_passenger_share is None else spec.car_passenger_share


def base_utilities(tt: TravelTimes, inputs: DemandInputs, p: ModelParams,
                   spec: Purpose) -> np.ndarray:
    """Utilities of one purpose without the constants, shape (modes, origins,
    destinations); ``-inf`` where a mode cannot serve a pair. Modes as
    :data:`CHOICE_MODES`."""
    b_time, b_pt = p.time_coefficients(spec)
    share_paid = 1.0 - passenger_share(spec, inputs)  # the car's cost shared by occupants
    car_cost = _car_cost_vehicle(tt, inputs, p) * share_paid
    u = np.stack([
        b_time * p.walk_weight * tt.walk_min,
        b_time * p.bike_weight * tt.bike_min,
        b_pt * tt.pt_gen_min + p.beta_cost_per_nok * p.pt_fare_nok,
        b_time * (tt.car_min + tt.car_terminal_min) + p.beta_cost_per_nok * car_cost,
    ])
    return np.where(np.isfinite(u), u, -np.inf)


def _mode_probabilities(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit probabilities per mode and the logsum; pairs no mode serves get zeros."""
    top = u.max(axis=0)
    safe = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(invalid="ignore"):
        e = np.exp(u - safe[None])
    total = e.sum(axis=0)
    with np.errstate(divide="ignore"):
        ls = np.log(total) + safe
    prob = np.divide(e, total[None], out=np.zeros_like(e), where=total[None] > 0)
    return prob, np.where(total > 0, ls, -np.inf)


def _size(inputs: DemandInputs, spec: Purpose) -> np.ndarray:
    """Attraction of every destination for a purpose. External zones attract like the
    region does per resident (their population × the region's attraction per resident)."""
    internal = sum((w * inputs.attraction[k] for k, w in spec.attraction.items()),
                   np.zeros(inputs.residents.size))
    per_resident = internal.sum() / max(inputs.residents.sum(), 1e-9)
    return np.r_[internal, inputs.external_population * per_resident]


def _destination_probabilities(score: np.ndarray) -> np.ndarray:
    """Row-wise logit over destinations of ``score`` (``-inf``: unavailable)."""
    best = score.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):
        prob = np.nan_to_num(np.exp(score - np.where(np.isfinite(best), best, 0.0)))
    total = prob.sum(axis=1, keepdims=True)
    return np.divide(prob, total, out=np.zeros_like(prob), where=total > 0)


@dataclass(frozen=True)
class PurposeFlows:
    """Trips of one purpose from each origin to each destination, and mode probabilities."""

    name: str
    od: np.ndarray
    prob: np.ndarray
    passenger_share: float


@dataclass(frozen=True)
class Prepared:
    """What does not change while constants are fitted: per purpose the utilities without
    constants, log attraction, trips produced and passenger share; road km and groups."""

    purposes: tuple[tuple[str, np.ndarray, np.ndarray, np.ndarray, float], ...]
    km: np.ndarray
    groups: np.ndarray
    theta: float


def prepare(tt: TravelTimes, inputs: DemandInputs, p: ModelParams) -> Prepared:
    """The constant-free parts of a demand run (see :class:`Prepared`)."""
    produced = inputs.residents * inputs.trip_maker_share * inputs.trips_per_person
    purposes = []
    for name, spec in p.purposes.items():
        with np.errstate(divide="ignore"):
            log_size = np.log(_size(inputs, spec))
        purposes.append((name, base_utilities(tt, inputs, p, spec), log_size,
                         spec.share * produced, passenger_share(spec, inputs)))
    return Prepared(tuple(purposes), np.where(np.isfinite(tt.car_km), tt.car_km, 0.0),
                    inputs.groups, p.destination_theta)


def purpose_flows(prep: Prepared, c: Constants) -> Iterator[PurposeFlows]:
    """Destination and mode choice of every purpose, one purpose at a time."""
    group_u = np.array([c.group.get(g, 0.0) for g in prep.groups])
    distance = c.per_log_km * np.log(np.maximum(prep.km, MIN_KM)) + group_u[None, :]
    for name, base, log_size, produced, ps in prep.purposes:
        off = c.purpose.get(name, {})
        const = np.array([off.get(m, 0.0) + (c.asc[m] if m != "walk" else 0.0)
                          for m in CHOICE_MODES])
        prob, ls = _mode_probabilities(base + const[:, None, None])
        score = log_size[None, :] + prep.theta * ls + distance
        yield PurposeFlows(name, produced[:, None] * _destination_probabilities(score), prob,
                           ps)


@dataclass
class Totals:
    """Aggregates of a demand run: what the calibration compares with its targets."""

    modes: dict[str, float]
    by_purpose: dict[str, dict[str, float]]
    groups: dict[str, float]
    short: float
    total: float


def totals(prep: Prepared, c: Constants) -> Totals:
    """Trips by choice mode, by purpose and mode, by destination group, and short trips."""
    names = sorted(set(prep.groups))
    onehot = np.stack([prep.groups == g for g in names], axis=1).astype(float)
    short = prep.km < SHORT_TRIP_KM
    out = Totals(dict.fromkeys(CHOICE_MODES, 0.0), {}, dict.fromkeys(names, 0.0), 0.0, 0.0)
    for flow in purpose_flows(prep, c):
        by_mode = np.einsum("mod,od->m", flow.prob, flow.od)
        out.by_purpose[flow.name] = dict(zip(CHOICE_MODES, by_mode.tolist(), strict=True))
        for m, v in zip(CHOICE_MODES, by_mode, strict=True):
            out.modes[m] += float(v)
        for g, v in zip(names, flow.od.sum(axis=0) @ onehot, strict=True):
            out.groups[g] += float(v)
        out.short += float(flow.od[short].sum())
        out.total += float(flow.od.sum())
    return out


def _shares(trips_by_mode: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    total = sum(trips_by_mode.values())
    share = {m: trips_by_mode[m] / total for m in MODES}
    summary = {"walk": share["walk"], "bike": share["bike"], "pt": share["pt"],
               "car": share["car_driver"] + share["car_passenger"]}
    return summary, {"car_driver": share["car_driver"], "car_passenger": share["car_passenger"]}


def mode_matrices(tt: TravelTimes, inputs: DemandInputs, p: ModelParams, c: Constants
                  ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, float]]]:
    """Trips per travel mode (five, car split) and origin-destination, and each purpose's
    trips and mode shares."""
    by_mode = {m: np.zeros(tt.car_km.shape) for m in MODES}
    by_purpose = {}
    for flow in purpose_flows(prepare(tt, inputs, p), c):
        car = flow.od * flow.prob[3]
        parts = {"walk": flow.od * flow.prob[0], "bike": flow.od * flow.prob[1],
                 "pt": flow.od * flow.prob[2], "car_driver": car * (1 - flow.passenger_share),
                 "car_passenger": car * flow.passenger_share}
        for m, t in parts.items():
            by_mode[m] += t
        t = {m: float(v.sum()) for m, v in parts.items()}
        # no destination (e.g. work in a region without jobs data): trips only, no shares
        by_purpose[flow.name] = {"trips": sum(t.values()),
                                 **(_shares(t)[0] if sum(t.values()) > 0 else {})}
    return by_mode, by_purpose


def _length_distribution(by_mode: dict[str, np.ndarray], km: np.ndarray
                         ) -> dict[str, dict[str, float]]:
    bands = list(pairwise(LENGTH_BANDS_KM))
    length = {}
    for m in SUMMARY_MODES:
        t = by_mode["car_driver"] + by_mode["car_passenger"] if m == "car" else by_mode[m]
        hist = [float(t[(km >= lo) & (km < hi)].sum()) for lo, hi in bands]
        total = sum(hist)
        length[m] = {f"{lo:g}-{hi:g} km": h / total if total else 0.0
                     for (lo, hi), h in zip(bands, hist, strict=True)}
    return length


def demand_from_travel_times(
    tt: TravelTimes, inputs: DemandInputs, p: ModelParams, c: Constants, year: int,
) -> Demand:
    """Trips, mode shares, car vehicle-km and PT passenger-km of residents in a year."""
    by_mode, by_purpose = mode_matrices(tt, inputs, p, c)
    od = sum(by_mode.values(), np.zeros(tt.car_km.shape))
    trips = {m: float(t.sum()) for m, t in by_mode.items()}
    shares, split = _shares(trips)
    km = np.where(np.isfinite(tt.car_km), tt.car_km, np.inf)
    driver = by_mode["car_driver"]
    car_vkm = float((driver * np.where(driver > 0, tt.car_km, 0)).sum())
    pt_served = by_mode["pt"] > 0
    pt_pkm = float((by_mode["pt"] * np.where(pt_served, tt.pt_km, 0)).sum())
    pt_boardings = float((by_mode["pt"] * np.where(pt_served, tt.pt_boardings, 0)).sum())
    by_area = {}
    for name in sorted(set(inputs.area.tolist())):
        rows = inputs.area == name
        t = {m: float(by_mode[m][rows].sum()) for m in MODES}
        if sum(t.values()) > 0:
            by_area[name] = {"trips": sum(t.values()), **_shares(t)[0]}
    groups = inputs.groups
    total = float(od.sum())
    car = by_mode["car_driver"] + by_mode["car_passenger"]
    zone_table = pd.DataFrame({
        "residents": inputs.residents, "area": inputs.area,
        **{f"share_{m}": by_mode[m].sum(axis=1) / np.maximum(od.sum(axis=1), 1e-9)
           for m in MODES},
    })
    return Demand(
        year=year, trips=trips, mode_shares=shares, car_split=split, car_vkm=car_vkm,
        pt_pkm=pt_pkm, pt_boardings=pt_boardings, by_purpose=by_purpose, by_area=by_area,
        length_distribution=_length_distribution(by_mode, km), ascs=dict(c.asc),
        destination_shares={g: float(od[:, groups == g].sum()) / total
                            for g in sorted(set(groups))},
        share_under_5km=float(od[km < SHORT_TRIP_KM].sum()) / total,
        mean_car_trip_km=float((car * np.where(car > 0, tt.car_km, 0)).sum() / car.sum()),
        zones=zone_table, pt_od=by_mode["pt"],
    )
