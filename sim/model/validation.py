"""Validation table: the base year against what was observed, row by row.

Each row gives the model's figure, the observed value (or range) with its source and
status (``real`` when read in a source, ``estimated`` otherwise), whether the model was
calibrated to it, and whether it lies within the tolerance (calibrated rows: 1
percentage point for shares, 0.05 for the passenger/driver ratio) or inside the
observed range. Uncalibrated rows show how far the model is from what a planner would
check first; they are not fitted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.graph import multi_source
from sim.model.demand import Demand
from sim.model.network import Network, nearest_nodes
from sim.region.model import Region

#: Tolerance of calibrated shares (1 percentage point) and of the passenger/driver ratio.
SHARE_TOLERANCE = 0.01
RATIO_TOLERANCE = 0.05

#: SSB's stop indicator: a stop with at least this many departures a week (facts §7).
FREQUENT_STOP_DEPARTURES_WEEK = 60.0
FREQUENT_STOP_RADIUS_M = 500.0


def _row(indicator: str, model: float | None, observed: float | None, status: str,
         source: str, calibrated: bool, unit: str = "share",
         observed_range: tuple[float, float] | None = None,
         tolerance: float | None = None) -> dict[str, Any]:
    within = None
    if model is not None and tolerance is not None and observed is not None:
        within = bool(abs(model - observed) <= tolerance + 1e-12)
    elif model is not None and observed_range is not None:
        within = bool(observed_range[0] <= model <= observed_range[1])
    return {"indicator": indicator, "model": model, "observed": observed,
            "observed_range": list(observed_range) if observed_range else None, "unit": unit,
            "status": status, "calibrated": calibrated, "tolerance": tolerance,
            "within": within, "source": source}


def share_jobs_near_frequent_stop(network: Network, jobs: np.ndarray, region: Region) -> float:
    """Share of jobs within 500 m walk of a stop with ≥ 60 departures a week (SSB)."""
    stops = network.stops
    frequent = stops[(stops.departures_week >= FREQUENT_STOP_DEPARTURES_WEEK)
                     & (stops.node >= 0)]
    if not len(frequent) or jobs.sum() <= 0:
        return float("nan")
    dist, _ = multi_source(network.walk, frequent.node.to_numpy(), cutoff=FREQUENT_STOP_RADIUS_M,
                           source_offsets=frequent.snap_m.to_numpy(float))
    cells = region.cells
    node, snap = nearest_nodes(network, cells.x.to_numpy(), cells.y.to_numpy())
    near = dist[node] + snap <= FREQUENT_STOP_RADIUS_M
    return float(jobs[near].sum() / jobs.sum())


def validation_table(region: Region, demand: Demand, network: Network,
                     jobs: np.ndarray) -> list[dict[str, Any]]:
    """Rows of model against observed for the base year (see the module docstring)."""
    cal = region.calibration
    survey = cal.get("source", "")
    status = "synthetic" if cal.get("status") == "synthetic" else "real"
    rows = [_row(f"mode share {m}", demand.mode_shares[m], float(cal["mode_shares"][m]),
                 status, survey, True, tolerance=SHARE_TOLERANCE)
            for m in ("walk", "bike", "pt", "car")]
    driver, passenger = float(cal["car_driver_share"]), float(cal["car_passenger_share"])
    split = demand.car_split
    rows.append(_row("car passenger / driver ratio",
                     split["car_passenger"] / split["car_driver"], passenger / driver, status,
                     survey, True, unit="ratio", tolerance=RATIO_TOLERANCE))
    for purpose, target in cal.get("purpose_mode_shares", {}).items():
        for mode, share in target["shares"].items():
            rows.append(_row(f"{purpose}: mode share {mode}",
                             demand.by_purpose[purpose][mode], float(share), target["status"],
                             target["source"], True, tolerance=SHARE_TOLERANCE))
    dest_source = cal.get("destination_source", survey)
    for group, share in cal.get("destination_shares", {}).items():
        rows.append(_row(f"trips {group}" if group == "inside" else f"trips to/from {group}",
                         demand.destination_shares.get(group, 0.0), float(share), status,
                         dest_source, True, tolerance=SHARE_TOLERANCE))
    if cal.get("share_under_5km") is not None:
        rows.append(_row("trips under 5 km", demand.share_under_5km,
                         float(cal["share_under_5km"]), status, dest_source, True,
                         tolerance=SHARE_TOLERANCE))
    rows += _observed_rows(cal.get("observed", {}), demand, network, jobs, region)
    return rows


def _observed_rows(observed: dict[str, Any], demand: Demand, network: Network,
                   jobs: np.ndarray, region: Region) -> list[dict[str, Any]]:
    """Rows of figures the model is checked against but not calibrated to."""
    model = {"mean_car_trip_km": (demand.mean_car_trip_km, "km", "mean car trip length"),
             "share_jobs_near_frequent_stop": (
                 share_jobs_near_frequent_stop(network, jobs, region), "share",
                 "jobs < 500 m from a stop with ≥ 60 departures a week")}
    rows = []
    for key, fig in observed.items():
        if key not in model:
            continue
        value, unit, label = model[key]
        rng = fig.get("range")
        rows.append(_row(label, value, fig.get("value"), fig["status"], fig["source"], False,
                         unit=unit, observed_range=tuple(rng) if rng else None))
    return rows
