"""Demand stage: trips per resident, destination choice and mode choice.

Cells are grouped into square zones (``model.zone_size_m``). Each zone's residents
make ``trips_per_person`` trips a day; the external zones (e.g. Oslo) take their
``trip_share`` of them and the rest choose an internal destination by a logit over
attraction and the mode-choice logsum. Mode choice is a multinomial logit over walk,
bike, public transport and car, whose car share is split into driver and passenger.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.network import Network, nearest_nodes
from sim.paths import many_to_many
from sim.region import Region
from sim.scenario import ModelParams

MODES: tuple[str, ...] = ("walk", "bike", "pt", "car")


@dataclass(frozen=True)
class Zones:
    """Zones: ``cell_zone`` maps each cell to its zone; ``table`` has one row per zone."""

    cell_zone: np.ndarray
    table: pd.DataFrame


@dataclass(frozen=True)
class Demand:
    """Daily trips of residents by mode, and the kilometres they cover."""

    year: int
    trips: dict[str, float]
    mode_shares: dict[str, float]
    car_driver_trips: float
    car_passenger_trips: float
    car_vkm: float
    pt_pkm: float
    zones: pd.DataFrame


def zones_from_cells(region: Region, size_m: float) -> Zones:
    """Group the region's cells into square zones of ``size_m`` metres."""
    x = region.cells.x.to_numpy()
    y = region.cells.y.to_numpy()
    key = (np.floor((x - x.min()) / size_m).astype(np.int64) * 1_000_003
           + np.floor((y - y.min()) / size_m).astype(np.int64))
    uniq, zone = np.unique(key, return_inverse=True)
    table = pd.DataFrame({"zone": np.arange(uniq.size)})
    return Zones(cell_zone=zone, table=table)


def _priority_zone(region: Region, zones: Zones) -> np.ndarray:
    """Zones with at least one cell inside a priority area (parking is paid there)."""
    x = region.cells.x.to_numpy()
    y = region.cells.y.to_numpy()
    flag = np.zeros(len(zones.table), bool)
    for area in region.areas:
        if area.priority:
            inside = np.hypot(x - area.x, y - area.y) <= area.radius_m
            flag[zones.cell_zone[inside]] = True
    return flag


def demand_from_network(
    network: Network,
    region: Region,
    zones: Zones,
    residents: np.ndarray,
    jobs: np.ndarray,
    params: ModelParams,
    year: int,
) -> Demand:
    """Trips, mode shares, car vehicle-km and PT passenger-km of residents in a year.

    Parameters
    ----------
    network
        Graphs of the year.
    region
        For the cells' coordinates, priority areas and external zones.
    zones
        Zone of each cell.
    residents, jobs
        Per cell, existing plus new.
    params
        Model parameters.
    year
        The modelled year.
    """
    nz = len(zones.table)
    pop_z = np.bincount(zones.cell_zone, weights=residents, minlength=nz)
    jobs_z = np.bincount(zones.cell_zone, weights=jobs, minlength=nz)
    # representative point: activity-weighted centroid of the zone's cells
    w = residents + jobs + 1e-9
    cx = np.bincount(zones.cell_zone, weights=w * region.cells.x.to_numpy(), minlength=nz)
    cy = np.bincount(zones.cell_zone, weights=w * region.cells.y.to_numpy(), minlength=nz)
    wz = np.bincount(zones.cell_zone, weights=w, minlength=nz)
    cx, cy = cx / wz, cy / wz
    active = np.flatnonzero(pop_z + jobs_z > 0)
    ext = network.external
    n_ext = len(ext)

    skims = _skims(network, cx[active], cy[active], ext.node.to_numpy(), params)
    utilities = _utilities(skims, params, _priority_zone(region, zones)[active], n_ext)
    ls = np.logaddexp.reduce(np.stack(list(utilities.values())), axis=0)

    produced = pop_z[active] * params.trips_per_person
    ext_share = ext.trip_share.to_numpy(float) if n_ext else np.zeros(0)
    internal = produced * (1.0 - ext_share.sum())
    attraction = jobs_z[active] + 0.5 * pop_z[active]
    n_int = active.size
    with np.errstate(divide="ignore"):
        score = np.log(attraction)[None, :] + params.destination_theta * ls[:, :n_int]
    score -= score.max(axis=1, keepdims=True)
    p_dest = np.exp(score)
    p_dest /= p_dest.sum(axis=1, keepdims=True)
    trips_od = np.zeros_like(ls)
    trips_od[:, :n_int] = internal[:, None] * p_dest
    trips_od[:, n_int:] = produced[:, None] * ext_share[None, :]

    p_mode = {m: np.exp(u - ls) for m, u in utilities.items()}
    trips = {m: float((trips_od * p).sum()) for m, p in p_mode.items()}
    total = sum(trips.values())
    car_km = skims["car_m"] / 1000.0
    driver = params.car_driver_share
    car_vkm = float((trips_od * p_mode["car"] * car_km).sum() * driver)
    pt_pkm = float((trips_od * p_mode["pt"] * car_km).sum())
    zone_table = pd.DataFrame(
        {
            "zone": active,
            "x": cx[active],
            "y": cy[active],
            "residents": pop_z[active],
            "jobs": jobs_z[active],
            **{f"share_{m}": (trips_od * p_mode[m]).sum(axis=1) / np.maximum(produced, 1e-9)
               for m in MODES},
        }
    )
    return Demand(
        year=year,
        trips=trips,
        mode_shares={m: trips[m] / total for m in MODES},
        car_driver_trips=trips["car"] * driver,
        car_passenger_trips=trips["car"] * (1 - driver),
        car_vkm=car_vkm,
        pt_pkm=pt_pkm,
        zones=zone_table,
    )


def _skims(
    network: Network, x: np.ndarray, y: np.ndarray, ext_nodes: np.ndarray, params: ModelParams
) -> dict[str, np.ndarray]:
    """Zone-to-zone (and zone-to-external) distances and times; intrazonal floor applied."""
    floor = params.zone_size_m / 3.0
    skims: dict[str, np.ndarray] = {}
    for name, layer, graph in [
        ("walk_m", "walk", network.walk),
        ("bike_m", "bike", network.bike),
        ("car_s", "car", network.car_time),
        ("car_m", "car", network.car_length),
    ]:
        node, snap = nearest_nodes(network, x, y, layer)
        dest = np.r_[node, ext_nodes]
        mat = many_to_many(graph, node, dest)
        if name.endswith("_s"):
            speed = network.car_length.weights.sum() / max(network.car_time.weights.sum(), 1e-9)
            floor_v = floor / speed
            snap_v = snap / params.walk_speed_mps
        else:
            floor_v, snap_v = floor, snap
        mat = mat + snap_v[:, None] + np.r_[snap_v, np.zeros(len(ext_nodes))][None, :]
        skims[name] = np.maximum(mat, floor_v)
    node, snap = nearest_nodes(network, x, y, "walk")
    n = network.n_nodes
    pt = many_to_many(network.pt, node, np.r_[node, ext_nodes] + n)
    walk_s = params.walk_weight / params.walk_speed_mps
    pt = pt + (snap * walk_s)[:, None] + np.r_[snap * walk_s, np.zeros(len(ext_nodes))][None, :]
    np.fill_diagonal(pt[:, : len(node)], np.inf)  # no public transport within a zone
    skims["pt_s"] = pt
    return skims


def _utilities(
    skims: dict[str, np.ndarray], params: ModelParams, priority: np.ndarray, n_ext: int
) -> dict[str, np.ndarray]:
    """Systematic utility of each mode for every zone pair."""
    b = params.beta_time_per_min
    walk_min = skims["walk_m"] / params.walk_speed_mps / 60.0
    bike_min = skims["bike_m"] / params.bike_speed_mps / 60.0
    car_min = skims["car_s"] / 60.0 + params.car_access_min
    parking = np.r_[priority * params.parking_cost_nok_priority,
                    np.full(n_ext, params.parking_cost_nok_priority)]
    car_cost = params.car_cost_nok_per_km * skims["car_m"] / 1000.0 + parking[None, :]
    with np.errstate(invalid="ignore"):
        pt = np.where(np.isfinite(skims["pt_s"]),
                      params.asc_pt + b * skims["pt_s"] / 60.0, -np.inf)
    return {
        "walk": params.asc_walk + b * params.walk_weight * walk_min,
        "bike": params.asc_bike + b * bike_min,
        "pt": pt,
        "car": params.asc_car + b * car_min + params.beta_cost_per_nok * car_cost,
    }
