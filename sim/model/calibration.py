"""Calibration of mode and destination choice to a region's travel survey, and elasticities.

The constants are fitted on the base year (its own policy) so that the model reproduces
every target the region gives: the four mode shares, mode shares of purposes with a
source (e.g. school, escort), the split of destinations into inside / Oslo / elsewhere
and the share of trips under 5 km (through the destination utility per log-km). The car
passenger share is a fixed share of car trips, so the passenger/driver ratio is the
survey's by construction. Elasticities are then checked against published ranges (the
region's, else :data:`ELASTICITY_RANGES`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from sim.model.demand import (
    CHOICE_MODES,
    INSIDE,
    Constants,
    DemandInputs,
    Prepared,
    Totals,
    demand_from_travel_times,
    prepare,
    totals,
)
from sim.model.skims import TravelTimes
from sim.params import ModelParams
from sim.region.model import Region

#: Ranges of the sanity elasticities when the region gives none [E]: Balcombe et al.
#: (2004) and TØI summaries — PT in-vehicle time −0.1 to −1.0 over studies, headway
#: −0.1 to −0.7, car-km to running cost −0.05 to −0.5.
ELASTICITY_RANGES_SOURCE = "published range (Balcombe et al. 2004, TØI summaries) [E]"
ELASTICITY_RANGES: dict[str, tuple[float, float]] = {
    "pt_wrt_in_vehicle_time": (-1.0, -0.1),
    "pt_wrt_headway": (-0.7, -0.1),
    "car_km_wrt_running_cost": (-0.5, -0.05),
}


@dataclass(frozen=True)
class Targets:
    """What the calibration reproduces: shares of the four choice modes, mode shares by
    purpose (a subset of modes each), destination group shares and short-trip share."""

    modes: dict[str, float]
    purposes: dict[str, dict[str, float]] = field(default_factory=dict)
    groups: dict[str, float] = field(default_factory=dict)
    short: float | None = None


def four_mode_targets(shares: dict[str, float]) -> dict[str, float]:
    """Calibration targets of walk, bike, pt and car from survey shares.

    Survey shares rarely sum to one (Bærum 2018: 99 %, the rest other modes); the
    remainder is spread evenly over the four modes, so each target moves by at most a
    quarter of it.
    """
    rest = (1.0 - sum(shares[m] for m in CHOICE_MODES)) / 4
    return {m: shares[m] + rest for m in CHOICE_MODES}


def calibration_targets(region: Region) -> Targets:
    """The region's targets: survey mode shares, purposes, destinations, short trips."""
    cal = region.calibration
    groups = {str(g): float(v) for g, v in cal.get("destination_shares", {}).items()}
    total = sum(groups.values())
    short = cal.get("share_under_5km")
    return Targets(
        modes=four_mode_targets({m: float(v) for m, v in cal["mode_shares"].items()}),
        purposes={p: {m: float(v) for m, v in t["shares"].items()}
                  for p, t in cal.get("purpose_mode_shares", {}).items()},
        groups={g: v / total for g, v in groups.items()},
        short=None if short is None else float(short),
    )


def _logit(x: float) -> float:
    x = min(max(x, 1e-9), 1 - 1e-9)
    return math.log(x / (1 - x))


@dataclass
class _Fit:
    """State of the calibration: constants, the last two distance steps, errors."""

    asc: dict[str, float]
    purpose: dict[str, dict[str, float]]
    group: dict[str, float]
    per_log_km: float = -1.0
    last: tuple[float, float] | None = None
    errors: dict[str, float] = field(default_factory=dict)

    def constants(self) -> Constants:
        return Constants(dict(self.asc), {k: dict(v) for k, v in self.purpose.items()},
                         dict(self.group), self.per_log_km)


def available_modes(prep: Prepared) -> list[str]:
    """Choice modes that some trip can use (a finite utility somewhere): no public
    transport in a region without lines."""
    return [m for i, m in enumerate(CHOICE_MODES)
            if any(np.isfinite(base[i]).any() for _, base, *_ in prep.purposes)]


def targets_for_modes(targets: Targets, modes: list[str]) -> Targets:
    """``targets`` without the modes nobody can use; the survey shares of the others
    scaled to sum to one (their ratios kept), purpose targets of the others kept."""
    if set(modes) >= set(targets.modes):
        return targets
    total = sum(targets.modes[m] for m in modes)
    return replace(targets, modes={m: targets.modes[m] / total for m in modes},
                   purposes={p: {m: v for m, v in w.items() if m in modes}
                             for p, w in targets.purposes.items()})


def _update_modes(fit: _Fit, t: Totals, targets: Targets, fixed: set[str]) -> None:
    share = {m: t.modes[m] / t.total for m in targets.modes}
    step = {m: math.log(targets.modes[m] / max(share[m], 1e-12)) for m in targets.modes}
    for m in fit.asc:
        if m not in fixed and m in step:
            fit.asc[m] += step[m] - step["walk"]
    fit.errors["modes"] = max(abs(share[m] - targets.modes[m]) for m in targets.modes)


def _update_purposes(fit: _Fit, t: Totals, targets: Targets) -> None:
    worst = 0.0
    for purpose, wanted in targets.purposes.items():
        got = t.by_purpose[purpose]
        total = sum(got.values())
        if total <= 0:  # no trips of this purpose (nothing attracts them): nothing to fit
            continue
        rest_target = 1.0 - sum(wanted.values())
        rest_model = 1.0 - sum(got[m] for m in wanted) / total
        ref = math.log(max(rest_target, 1e-9) / max(rest_model, 1e-12))
        for m, share in wanted.items():
            fit.purpose[purpose][m] += math.log(share / max(got[m] / total, 1e-12)) - ref
            worst = max(worst, abs(got[m] / total - share))
    fit.errors["purposes"] = worst


def _update_destinations(fit: _Fit, t: Totals, targets: Targets) -> None:
    if targets.groups:
        share = {g: t.groups.get(g, 0.0) / t.total for g in targets.groups}
        ref = math.log(targets.groups[INSIDE] / max(share[INSIDE], 1e-12))
        for g in fit.group:
            fit.group[g] += math.log(targets.groups[g] / max(share[g], 1e-12)) - ref
        fit.errors["destinations"] = max(abs(share[g] - targets.groups[g]) for g in share)
    if targets.short is not None:
        gap = _logit(t.short / t.total) - _logit(targets.short)
        x = fit.per_log_km
        slope = -1.0 if fit.last is None or fit.last[0] == x else (gap - fit.last[1]) / (
            x - fit.last[0])
        step = -gap / slope if slope < 0 else 0.05 * gap
        fit.last = (x, gap)
        fit.per_log_km = x + float(np.clip(step, -0.5, 0.5))
        fit.errors["short"] = abs(t.short / t.total - targets.short)


def calibrate_constants(
    tt: TravelTimes,
    inputs: DemandInputs,
    p: ModelParams,
    targets: Targets,
    fixed: dict[str, float] | None = None,
    tolerance: float = 1e-4,
    max_iterations: int = 400,
) -> tuple[Constants, dict[str, Any]]:
    """Constants that reproduce every target, by repeated proportional fitting.

    Each round moves the mode constants by ``ln(target / modelled)`` (walk fixed at 0;
    ``fixed`` constants are kept), the purpose offsets the same way against the
    purpose's other modes, the destination group constants against ``inside``, and the
    destination utility per log-km by a secant step on the short-trip share; until every
    share is within ``tolerance``. Deterministic. Returns the constants and the fit.
    """
    fixed = fixed or {}
    groups = [g for g in targets.groups if g != INSIDE]
    fit = _Fit(asc={m: fixed.get(m, 0.0) for m in ("bike", "pt", "car")},
               purpose={k: dict.fromkeys(v, 0.0) for k, v in targets.purposes.items()},
               group=dict.fromkeys(groups, 0.0),
               per_log_km=-1.0 if targets.short is not None else 0.0)
    prep = prepare(tt, inputs, p)
    available = available_modes(prep)
    targets = targets_for_modes(targets, available)
    iteration, error = 0, math.inf
    while iteration < max_iterations:
        t = totals(prep, fit.constants())
        _update_modes(fit, t, targets, set(fixed))
        _update_purposes(fit, t, targets)
        _update_destinations(fit, t, targets)
        error = max(fit.errors.values())
        if error < tolerance:
            break
        iteration += 1
    constants = fit.constants()
    final = totals(prep, constants)
    return constants, {
        "iterations": iteration, "converged": bool(error < tolerance),
        "unavailable_modes": [m for m in CHOICE_MODES if m not in available],
        "max_abs_error": float(error), "errors": dict(fit.errors),
        "targets": {"modes": targets.modes, "purposes": targets.purposes,
                    "destinations": targets.groups, "share_under_5km": targets.short},
        "modelled": _modelled(final, targets),
        "constants": constants.to_dict(),
    }


def _modelled(t: Totals, targets: Targets) -> dict[str, Any]:
    return {
        "modes": {m: t.modes[m] / t.total for m in CHOICE_MODES},
        "purposes": {p: {m: t.by_purpose[p][m] / sum(t.by_purpose[p].values()) for m in want}
                     for p, want in targets.purposes.items() if sum(t.by_purpose[p].values())},
        "destinations": {g: v / t.total for g, v in t.groups.items()},
        "share_under_5km": t.short / t.total,
    }


def elasticities(
    tt: TravelTimes, inputs: DemandInputs, p: ModelParams, c: Constants
) -> dict[str, float]:
    """Arc elasticities for a 10 % change (destinations re-chosen).

    PT trips w.r.t. PT in-vehicle time and w.r.t. headway (through the waits), car
    vehicle-km w.r.t. the car running cost per km.
    """
    base = demand_from_travel_times(tt, inputs, p, c, 0)
    f = math.log(1.1)

    def pt_trips(extra: np.ndarray) -> float:
        changed = replace(tt, pt_gen_min=tt.pt_gen_min + extra)
        return demand_from_travel_times(changed, inputs, p, c, 0).trips["pt"]

    def arc(changed: float, reference: float) -> float:
        # undefined (NaN, reported as null) without PT trips or car-km to change
        return math.log(changed / reference) / f if changed > 0 and reference > 0 else math.nan

    dear = p.model_copy(update={"car_cost_nok_per_km": p.car_cost_nok_per_km * 1.1})
    car_vkm = demand_from_travel_times(tt, inputs, dear, c, 0).car_vkm
    return {
        "pt_wrt_in_vehicle_time":
            arc(pt_trips(0.1 * np.nan_to_num(tt.pt_ivt_min)), base.trips["pt"]),
        "pt_wrt_headway": arc(pt_trips(0.1 * p.wait_weight * np.nan_to_num(tt.pt_wait_min)),
                              base.trips["pt"]),
        "car_km_wrt_running_cost": arc(car_vkm, base.car_vkm),
    }


def elasticity_check(elasticities: dict[str, float], region: Region) -> dict[str, Any]:
    """Each elasticity with its expected range (the region's, else the literature's) and
    whether it lies inside."""
    own = {k: tuple(v) for k, v in region.calibration.get("elasticity_ranges", {}).items()}
    ranges = {**ELASTICITY_RANGES, **own}
    out = {}
    for name, value in elasticities.items():
        lo, hi = ranges[name]
        out[name] = {"value": value, "range": [lo, hi],
                     "inside": bool(lo <= value <= hi) if math.isfinite(value) else None,
                     "source": "published range (region pack)" if name in own else
                     ELASTICITY_RANGES_SOURCE}
    return out
