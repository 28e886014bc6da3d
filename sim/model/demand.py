"""Demand stage: trips by purpose, destination choice and calibrated mode choice.

Each zone's residents make ``trips_per_person`` trips a day, split by purpose (work,
school, shopping/service, leisure, escort, other). The external zones (e.g. Oslo)
take their ``trip_share``; the other trips choose an internal destination by a logit
over the purpose's attraction and the mode-choice logsum. Mode choice is a
multinomial logit over walk, bike, public transport, car driver and car passenger,
whose alternative-specific constants are calibrated to the region's travel survey
(:func:`calibrate_ascs`).
"""

from __future__ import annotations

import functools
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

@dataclass(frozen=True)
class DemandInputs:
    """Per-zone quantities the demand model needs (internal zones only)."""

    residents: np.ndarray
    attraction: dict[str, np.ndarray]
    external_share: np.ndarray
    trips_per_person: float
    area: np.ndarray


@dataclass(frozen=True)
class Demand:
    """Daily trips of residents: by mode, purpose and origin area, and kilometres."""

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
    zones: pd.DataFrame = field(repr=False)
    pt_od: np.ndarray = field(repr=False, default_factory=lambda: np.zeros((0, 0)))


def _utilities(tt: TravelTimes, p: ModelParams, ascs: dict[str, float]) -> np.ndarray:
    """Systematic utilities, shape (modes, origins, destinations); -inf = unavailable."""
    b = p.beta_time_per_min
    car_cost = p.car_cost_nok_per_km * tt.car_km + tt.parking_nok[None, :]
    car_time = tt.car_min + tt.car_terminal_min
    u = np.stack([
        b * p.walk_weight * tt.walk_min,
        ascs["bike"] + b * p.bike_weight * tt.bike_min,
        ascs["pt"] + b * tt.pt_gen_min,
        ascs["car_driver"] + b * car_time + p.beta_cost_per_nok * car_cost,
        ascs["car_passenger"] + b * car_time,
    ])
    return np.where(np.isfinite(u), u, -np.inf)


def _mode_probabilities(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Logit probabilities per mode and the logsum; pairs no mode serves get zeros."""
    ls = np.logaddexp.reduce(u, axis=0)
    with np.errstate(invalid="ignore"):
        prob = np.exp(u - ls[None])
    return np.nan_to_num(prob), ls


def _od_trips(inputs: DemandInputs, ls: np.ndarray, theta: float,
              purposes: dict[str, Purpose]) -> dict[str, np.ndarray]:
    """Trips per purpose from each origin zone to each destination."""
    n_int = inputs.residents.size
    produced = inputs.residents * inputs.trips_per_person
    internal = produced * (1.0 - inputs.external_share.sum())
    out = {}
    for purpose, spec in purposes.items():
        size = sum(w * inputs.attraction[k] for k, w in spec.attraction.items())
        with np.errstate(divide="ignore"):
            score = np.log(size)[None, :] + theta * ls[:, :n_int]
        best = score.max(axis=1, keepdims=True)
        with np.errstate(invalid="ignore"):
            p = np.exp(score - np.where(np.isfinite(best), best, 0.0))
        p = np.nan_to_num(p)
        total = p.sum(axis=1, keepdims=True)
        p = np.divide(p, total, out=np.zeros_like(p), where=total > 0)
        trips = np.zeros_like(ls)
        trips[:, :n_int] = (spec.share * internal)[:, None] * p
        trips[:, n_int:] = (spec.share * produced)[:, None] * inputs.external_share[None, :]
        out[purpose] = trips
    return out


def _total(by_purpose: dict[str, np.ndarray]) -> np.ndarray:
    """Trips of all purposes (added in purpose order)."""
    return functools.reduce(np.add, by_purpose.values())


def _shares(trips_by_mode: dict[str, float]) -> tuple[dict[str, float], dict[str, float]]:
    total = sum(trips_by_mode.values())  # 0 for a purpose with nowhere to go (no jobs)
    share = {m: trips_by_mode[m] / total if total > 0 else 0.0 for m in MODES}
    summary = {"walk": share["walk"], "bike": share["bike"], "pt": share["pt"],
               "car": share["car_driver"] + share["car_passenger"]}
    return summary, {"car_driver": share["car_driver"], "car_passenger": share["car_passenger"]}


def mode_shares(tt: TravelTimes, inputs: DemandInputs, p: ModelParams,
                ascs: dict[str, float]) -> dict[str, float]:
    """Trip shares of the five modes (used by the calibration)."""
    prob, ls = _mode_probabilities(_utilities(tt, p, ascs))
    od = _total(_od_trips(inputs, ls, p.destination_theta, p.purposes))
    trips = {m: float((od * prob[k]).sum()) for k, m in enumerate(MODES)}
    total = sum(trips.values())
    return {m: t / total if total > 0 else 0.0 for m, t in trips.items()}


def demand_from_travel_times(
    tt: TravelTimes, inputs: DemandInputs, p: ModelParams, ascs: dict[str, float], year: int,
) -> Demand:
    """Trips, mode shares, car vehicle-km and PT passenger-km of residents in a year."""
    prob, ls = _mode_probabilities(_utilities(tt, p, ascs))
    od_by_purpose = _od_trips(inputs, ls, p.destination_theta, p.purposes)
    od = _total(od_by_purpose)
    by_mode = {m: od * prob[k] for k, m in enumerate(MODES)}
    trips = {m: float(t.sum()) for m, t in by_mode.items()}
    shares, split = _shares(trips)
    car_vkm = float((by_mode["car_driver"] * np.where(by_mode["car_driver"] > 0, tt.car_km, 0))
                    .sum())
    pt_served = by_mode["pt"] > 0
    pt_pkm = float((by_mode["pt"] * np.where(pt_served, tt.pt_km, 0)).sum())
    pt_boardings = float((by_mode["pt"] * np.where(pt_served, tt.pt_boardings, 0)).sum())

    by_purpose = {}
    for purpose, trips_p in od_by_purpose.items():
        t = {m: float((trips_p * prob[k]).sum()) for k, m in enumerate(MODES)}
        by_purpose[purpose] = {"trips": sum(t.values()), **_shares(t)[0]}
    by_area = {}
    names = sorted(set(inputs.area.tolist()))
    for name in names:
        rows = inputs.area == name
        t = {m: float(by_mode[m][rows].sum()) for m in MODES}
        if sum(t.values()) > 0:
            by_area[name] = {"trips": sum(t.values()), **_shares(t)[0]}
    bands = list(pairwise(LENGTH_BANDS_KM))
    km = np.where(np.isfinite(tt.car_km), tt.car_km, np.inf)
    length = {}
    for m in SUMMARY_MODES:
        t = by_mode["car_driver"] + by_mode["car_passenger"] if m == "car" else by_mode[m]
        hist = [float(t[(km >= lo) & (km < hi)].sum()) for lo, hi in bands]
        total = sum(hist)
        length[m] = {f"{lo:g}-{hi:g} km": h / total if total else 0.0
                     for (lo, hi), h in zip(bands, hist, strict=True)}
    zone_table = pd.DataFrame({
        "residents": inputs.residents,
        "area": inputs.area,
        **{f"share_{m}": by_mode[m].sum(axis=1) / np.maximum(od.sum(axis=1), 1e-9)
           for m in MODES},
    })
    return Demand(
        year=year, trips=trips, mode_shares=shares, car_split=split, car_vkm=car_vkm,
        pt_pkm=pt_pkm, pt_boardings=pt_boardings, by_purpose=by_purpose, by_area=by_area,
        length_distribution=length, ascs=dict(ascs), zones=zone_table, pt_od=by_mode["pt"],
    )
