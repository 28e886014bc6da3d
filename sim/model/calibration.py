"""Calibration of the mode choice to a region's travel survey, and sanity elasticities.

The alternative-specific constants are fitted on the base year so that the modelled
mode shares reproduce the survey's; elasticities are then checked against published
ranges (the region's, else :data:`ELASTICITY_RANGES`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from sim.model.demand import DemandInputs, demand_from_travel_times, mode_shares
from sim.model.skims import TravelTimes
from sim.params import ModelParams
from sim.region.model import Region
from sim.vocab import TRAVEL_MODES as MODES

#: Literature ranges of the sanity elasticities when the region gives none [E]:
#: Balcombe et al. (2004) and TØI summaries — PT in-vehicle time −0.4 to −0.8 (wide:
#: −0.1 to −1.0), headway/service frequency −0.2 to −0.6, car running cost −0.05 to −0.5.
ELASTICITY_RANGES: dict[str, tuple[float, float]] = {
    "pt_wrt_in_vehicle_time": (-1.0, -0.1),
    "pt_wrt_headway": (-0.7, -0.1),
    "car_wrt_car_cost": (-0.5, -0.02),
}


def calibration_targets(region: Region) -> dict[str, float]:
    """Five-mode targets from the region's survey shares and driver/passenger split."""
    cal = region.calibration
    return five_mode_targets({m: float(v) for m, v in cal["mode_shares"].items()},
                             float(cal["car_driver_share"]), float(cal["car_passenger_share"]))


def five_mode_targets(
    shares: dict[str, float], driver: float, passenger: float
) -> dict[str, float]:
    """Five-mode calibration targets from survey shares of walk, bike, pt and car.

    Survey shares rarely sum to one (Bærum 2018: 99 %, the rest other modes); the
    remainder is spread evenly over the four modes, so each target moves by at most a
    quarter of it. The car share is split by the driver/passenger ratio.
    """
    rest = (1.0 - sum(shares[m] for m in ("walk", "bike", "pt", "car"))) / 4
    car = shares["car"] + rest
    return {"walk": shares["walk"] + rest, "bike": shares["bike"] + rest,
            "pt": shares["pt"] + rest, "car_driver": car * driver / (driver + passenger),
            "car_passenger": car * passenger / (driver + passenger)}




def calibrate_ascs(
    tt: TravelTimes,
    inputs: DemandInputs,
    p: ModelParams,
    targets: dict[str, float],
    tolerance: float = 1e-5,
    max_iterations: int = 200,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Alternative-specific constants that reproduce the target mode shares.

    The classic iteration ``asc += ln(target / modelled)`` (walk fixed at 0), repeated
    until every share is within ``tolerance``; deterministic. Returns the constants
    and fit statistics. A mode no trip can use (e.g. public transport in a region
    without lines) keeps constant 0 and its target is spread over the others
    (``unavailable`` in the fit).
    """
    ascs = {"bike": 0.0, "pt": 0.0, "car_driver": 0.0, "car_passenger": 0.0}
    shares = mode_shares(tt, inputs, p, ascs)
    unavailable = [m for m in MODES if shares[m] <= 0]
    targets = {m: 0.0 if m in unavailable else targets[m] for m in MODES}
    total = sum(targets.values())
    targets = {m: targets[m] / total if total > 0 else 0.0 for m in MODES}
    iteration, error = 0, 1.0 if total > 0 else 0.0
    while iteration < max_iterations and error >= tolerance:
        iteration += 1
        step = {m: 0.0 if m in unavailable else np.log(targets[m] / max(shares[m], 1e-12))
                for m in MODES}
        ascs = {m: ascs[m] + step[m] - step["walk"] for m in ascs}
        shares = mode_shares(tt, inputs, p, ascs)
        error = max(abs(shares[m] - targets[m]) for m in MODES)
    fit = {
        "iterations": iteration,
        "converged": bool(error < tolerance),
        "max_abs_error": float(error),
        "targets": targets,
        "modelled": shares,
        "ascs": ascs,
        "unavailable": unavailable,
    }
    return ascs, fit


def elasticities(
    tt: TravelTimes, inputs: DemandInputs, p: ModelParams, ascs: dict[str, float]
) -> dict[str, float]:
    """Arc elasticities for a 10 % change (destinations re-chosen).

    PT trips w.r.t. PT in-vehicle time and w.r.t. headway (through the wait, half the
    headway while under the cap), car-driver trips w.r.t. car running cost.
    """
    base = demand_from_travel_times(tt, inputs, p, ascs, 0).trips
    f = np.log(1.1)

    def arc(changed: float, mode: str) -> float:
        """NaN when the mode has no trips (not available in the region)."""
        return float(np.log(changed / base[mode]) / f) if base[mode] > 0 else math.nan

    def pt_trips(extra: np.ndarray) -> float:
        changed = replace(tt, pt_gen_min=tt.pt_gen_min + extra)
        return demand_from_travel_times(changed, inputs, p, ascs, 0).trips["pt"]

    out = {
        "pt_wrt_in_vehicle_time": arc(pt_trips(0.1 * np.nan_to_num(tt.pt_ivt_min)), "pt"),
        "pt_wrt_headway":
            arc(pt_trips(0.1 * p.wait_weight * np.nan_to_num(tt.pt_wait_min)), "pt"),
    }
    dear = p.model_copy(update={"car_cost_nok_per_km": p.car_cost_nok_per_km * 1.1})
    car = demand_from_travel_times(tt, inputs, dear, ascs, 0).trips["car_driver"]
    out["car_wrt_car_cost"] = arc(car, "car_driver")
    return out


def elasticity_check(elasticities: dict[str, float], region: Region) -> dict[str, Any]:
    """Each elasticity with its expected range (the region's, else the literature's) and
    whether it lies inside."""
    ranges = {**ELASTICITY_RANGES,
              **{k: tuple(v) for k, v in region.calibration.get("elasticity_ranges",
                                                                 {}).items()}}
    out = {}
    for name, value in elasticities.items():
        lo, hi = ranges[name]
        out[name] = {"value": value, "range": [lo, hi],
                     "inside": bool(lo <= value <= hi) if math.isfinite(value) else None}
    return out
