"""Accessibility stage: *kortreist hverdag*, walking access to everyday functions.

For every cell and every everyday function: network walking distance (and time) to
the nearest facility, the k nearest (choice), the count within the threshold
(cumulative opportunities) and a gravity measure with negative-exponential decay.
Functions with capacities (school, kindergarten) also get a two-step floating
catchment (2SFCA) measure, so that homes added without places show the squeeze.

Distances run over the walk graph; the straight-line distance from the cell centre
(or facility) to its nearest walk node is added and reported (``snap_m``), and cells
far from the network are flagged (``far_from_network``), never dropped.

The kortreist basket (:data:`sim.vocab.BASKET_FUNCTIONS`) counts "kollektiv" as a
high-frequency stop (the plan's 10/15-minute definition) within the stop threshold, or
a high-frequency rail or metro station within the ``transit_station`` threshold (1 km
around stations is common practice); any stop is reported beside it. School and
kindergarten count for the children they serve: a resident's basket holds grocery,
recreation and "kollektiv", plus a school for a child of
school age and a kindergarten for a child of kindergarten age (national age shares,
estimated: the grid has no ages).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.graph import many_to_many, multi_source
from sim.model.network import Network, nearest_nodes
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.schema import Scenario
from sim.vocab import BASKET_FUNCTIONS, EVERYDAY_FUNCTIONS


@dataclass(frozen=True)
class CapacityFacts:
    """Who needs a place at a capacity function (school, kindergarten), from the region.

    ``need_share``: share of residents who need a place; ``places_per_facility``: places
    assumed where the facility layer gives no capacities; ``age_shares``: share of
    residents of the ages the function serves (weights of the basket).
    """

    need_share: dict[str, float]
    places_per_facility: dict[str, float]
    age_shares: dict[str, float] = field(default_factory=dict)

    @classmethod
    def from_region(cls, region: Region) -> CapacityFacts:
        """The region's capacity facts (from its pack, or the demo's own values)."""
        return cls(dict(region.need_share), dict(region.places_per_facility),
                   dict(region.age_shares))


@dataclass(frozen=True)
class Access:
    """Walking access of one year.

    ``cells`` (aligned with ``region.cells``) has ``snap_m``, ``far_from_network``,
    ``network_status`` (``synthetic`` when the cell's walk node is lattice) and,
    per function ``f``: ``dist_f`` (m), ``time_f`` (min), ``within_f``, ``kdist_f``
    (distance to the k-th nearest), ``count_f`` (facilities within the threshold),
    ``gravity_f`` and, for capacity functions, ``capacity_f`` (places per person in
    need, 2SFCA); then ``dist_transit_hf`` and ``within_transit_hf`` (high-frequency
    stops), ``n_within`` and ``all_within`` (basket functions within reach, all of
    them) and ``basket``: the share of the cell's residents with every function they
    need within reach (school and kindergarten only for children of their ages).
    ``share_within`` (per function, ``transit_hf`` included; school and kindergarten
    weighted by children) and ``basket_share`` are over everyone; ``groups`` has the
    same split by existing and new residents.
    """

    year: int
    cells: pd.DataFrame
    thresholds: dict[str, float]
    share_within: dict[str, float]
    basket_share: float
    groups: dict[str, dict] = field(default_factory=dict)
    measures: dict[str, dict] = field(default_factory=dict)
    transit: dict[str, float] = field(default_factory=dict)


def facilities_for_year(
    region: Region, scenario: Scenario, network: Network, year: int
) -> pd.DataFrame:
    """Everyday facilities open in ``year``: region layer, scenario additions, served stops.

    Stops served by a line in the year come from the network and carry
    ``high_frequency`` (plan definition, from their lines' headways); stops of the
    region's facility layer that no line serves (e.g. OSM bus stops) count as ordinary
    stops. Facilities with an ``opening_year`` after ``year`` are left out.
    """
    own = region.facilities
    if "opening_year" in own:
        own = own[~(own.opening_year > year)]
    stops = network.stops
    own = own[~((own.category == "transit_stop") & own.name.isin(stops.name))]
    frames = [own[["category", "name", "x", "y", "capacity", "status"]]]
    added = [
        {"category": f.category, "name": f.name, "x": f.x, "y": f.y,
         "capacity": np.nan if f.capacity is None else f.capacity, "status": "scenario"}
        for f in scenario.facilities
        if f.opening_year is None or f.opening_year <= year
    ]
    if added:
        frames.append(pd.DataFrame(added))
    frames.append(
        pd.DataFrame(
            {"category": "transit_stop", "name": stops.name, "x": stops.x, "y": stops.y,
             "capacity": np.nan, "status": stops.status,
             "high_frequency": stops.high_frequency.astype(bool)}
        )
    )
    table = pd.concat(frames, ignore_index=True)
    table["high_frequency"] = table["high_frequency"].astype("boolean").fillna(False).astype(bool)
    modes = [""] * (len(table) - len(stops)) + [str(m) for m in stops.modes]
    table["station"] = table.high_frequency & np.array(
        ["rail" in m or "metro" in m for m in modes], bool)
    return table


def _weighted_share(mask: np.ndarray, weights: np.ndarray) -> float:
    total = weights.sum()
    return float(weights[mask].sum() / total) if total > 0 else float("nan")


def _capacities(fac: pd.DataFrame, default: float) -> tuple[np.ndarray, str]:
    """Facility capacities, missing ones set to the region's places per facility, and
    whether they were ``given``, ``estimated`` or ``partly estimated``."""
    cap = fac.capacity.to_numpy(float)
    missing = np.isnan(cap)
    source = "estimated" if missing.all() else "partly estimated" if missing.any() else "given"
    return np.where(missing, default, cap), source


def two_step_fca(
    dist: np.ndarray, capacity: np.ndarray, demand: np.ndarray, catchment_m: float, beta: float
) -> np.ndarray:
    """Two-step floating catchment: places per person in need, per cell.

    ``dist`` is facilities × cells (metres); within the catchment, weights decay as
    ``exp(-beta * km)``. Step 1 divides each facility's places by the weighted demand
    it can be reached from; step 2 sums those ratios over the facilities a cell reaches.
    """
    w = np.where(dist <= catchment_m, np.exp(-beta * dist / 1000.0), 0.0)
    reached_by = w @ demand
    ratio = np.divide(capacity, reached_by, out=np.zeros_like(capacity), where=reached_by > 0)
    return ratio @ w


def access_from_network(
    network: Network,
    cells: pd.DataFrame,
    existing: np.ndarray,
    new: np.ndarray,
    facilities: pd.DataFrame,
    thresholds: dict[str, float],
    year: int,
    params: ModelParams,
    capacity: CapacityFacts,
) -> Access:
    """Walking access per cell and function.

    Parameters
    ----------
    network
        Graphs of the year; only the walk graph is used.
    cells
        Cell centres (``x``, ``y``).
    existing, new
        Existing residents (base population) and new residents per cell. Capacity
        measures use everyone; the basket is reported for each group.
    facilities
        ``category, x, y, capacity`` (and ``high_frequency`` for stops) of every
        facility open in the year.
    thresholds
        Walking threshold per everyday function, metres.
    year
        The modelled year (networks are shared between years with the same lines).
    params
        Model parameters (walking speed, k nearest, gravity decay, cutoffs, catchments).
    capacity
        Who needs a place at school and kindergarten (region facts).
    """
    cell_node, cell_snap = nearest_nodes(network, cells.x.to_numpy(), cells.y.to_numpy())
    everyone = np.asarray(existing, float) + np.asarray(new, float)
    out: dict[str, np.ndarray] = {
        "snap_m": cell_snap,
        "far_from_network": cell_snap > params.far_from_network_m,
        "network_status": np.where(network.synthetic_node[cell_node], "synthetic", "real"),
    }
    measures: dict[str, dict] = {}
    for function in EVERYDAY_FUNCTIONS:
        fac = facilities[facilities.category == function]
        cols, info = _function_access(network, fac, cell_node, cell_snap, everyone,
                                      function, thresholds[function], params, capacity)
        out.update(cols)
        out[f"time_{function}"] = cols[f"dist_{function}"] / params.walk_speed_mps / 60.0
        info["share_within"] = _weighted_share(
            cols[f"within_{function}"], everyone * capacity.age_shares.get(function, 1.0))
        measures[function] = info
    hf = facilities[(facilities.category == "transit_stop") & facilities.high_frequency]
    out.update(_kollektiv(network, hf, cell_node, cell_snap, thresholds))
    n_within = np.sum([np.asarray(out[f"within_{f}"], int) for f in BASKET_FUNCTIONS], axis=0)
    out["n_within"] = n_within
    out["all_within"] = n_within == len(BASKET_FUNCTIONS)
    out["basket"] = personal_basket({f: out[f"within_{f}"] for f in BASKET_FUNCTIONS},
                                    capacity.age_shares)
    table = pd.DataFrame(out, index=cells.index)

    groups = _groups(table, {"existing": np.asarray(existing, float),
                             "new": np.asarray(new, float), "everyone": everyone},
                     capacity.age_shares)
    far = table.far_from_network.to_numpy()
    transit = {
        "share_within_any_stop": _weighted_share(table.within_transit_stop.to_numpy(), everyone),
        "share_within_hf_stop": _weighted_share(
            table.dist_transit_hf.to_numpy() <= thresholds["transit_stop"], everyone),
        "share_within_kollektiv": _weighted_share(table.within_transit_hf.to_numpy(), everyone),
        "n_stops": int((facilities.category == "transit_stop").sum()), "n_hf_stops": len(hf),
        "cells_far_from_network": int(far.sum()),
        "residents_far_from_network": float(everyone[far].sum()),
    }
    return Access(year=year, cells=table, thresholds=dict(thresholds),
                  share_within=dict(groups["everyone"]["share_within"]),
                  basket_share=groups["everyone"]["basket_share"], groups=groups,
                  measures=measures, transit=transit)


def _kollektiv(network: Network, hf: pd.DataFrame, cell_node: np.ndarray,
               cell_snap: np.ndarray, thresholds: dict[str, float]) -> dict[str, np.ndarray]:
    """Distance to the nearest high-frequency stop and rail/metro station, and whether
    "kollektiv" is within reach (a stop within the stop threshold, or a station within
    the ``transit_station`` threshold)."""
    stations = hf[hf.station] if "station" in hf else hf.iloc[:0]
    stop = _nearest_distance(network, *_snapped(network, hf), cell_node, cell_snap)
    station = _nearest_distance(network, *_snapped(network, stations), cell_node, cell_snap)
    limit = thresholds.get("transit_station", thresholds["transit_stop"])
    return {"dist_transit_hf": stop, "dist_transit_station": station,
            "within_transit_hf": (stop <= thresholds["transit_stop"]) | (station <= limit)}


def personal_basket(within: dict[str, np.ndarray], age_shares: dict[str, float]
                    ) -> np.ndarray:
    """Per cell, the share of residents with every basket function *they* need in reach.

    ``within`` holds, per basket function, whether each cell has it within reach.

    Everyone needs grocery, recreation and a high-frequency stop; a child of school
    (kindergarten) age also a school (kindergarten): ``U · (1 − Σ s_f · (1 − W_f))``,
    with ``U`` the functions everyone needs all within reach, ``W_f`` whether function
    ``f`` is and ``s_f`` its age share.

    >>> w = {f: np.array([True, True]) for f in BASKET_FUNCTIONS}
    >>> w["school"] = np.array([True, False])
    >>> personal_basket(w, {"school": 0.1}).tolist()
    [1.0, 0.9]
    """
    everyone = np.ones(len(within["grocery"]))
    missing = np.zeros_like(everyone)
    for f in BASKET_FUNCTIONS:
        reach = np.asarray(within[f], float)
        if f in age_shares:
            missing += age_shares[f] * (1.0 - reach)
        else:
            everyone *= reach
    return everyone * np.clip(1.0 - missing, 0.0, 1.0)


def _groups(table: pd.DataFrame, weights: dict[str, np.ndarray],
            age_shares: dict[str, float]) -> dict[str, dict]:
    """Per population group: residents, basket share (personal basket), share within per
    function (school and kindergarten weighted by the children they serve), the share
    with all basket functions within reach, and the distribution of the number of basket
    functions within reach (``k_of_m``)."""
    m = len(BASKET_FUNCTIONS)
    n_within = table.n_within.to_numpy()
    basket = table.basket.to_numpy()
    return {
        group: {
            "residents": float(w.sum()),
            "basket_share": float((basket * w).sum() / w.sum()) if w.sum() > 0 else np.nan,
            "all_within_share": _weighted_share(table.all_within.to_numpy(), w),
            "share_within": {f: _weighted_share(table[f"within_{f}"].to_numpy(),
                                                w * age_shares.get(f, 1.0))
                             for f in (*EVERYDAY_FUNCTIONS, "transit_hf")},
            "n_of_m": {f"{k}_of_{m}": _weighted_share(n_within == k, w) for k in range(m + 1)},
        }
        for group, w in weights.items()
    }


def _snapped(network: Network, fac: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Walk node of each facility and the straight distance to it."""
    if not len(fac):
        return np.zeros(0, np.int64), np.zeros(0)
    return nearest_nodes(network, fac.x.to_numpy(), fac.y.to_numpy())


def _nearest_distance(
    network: Network, fac_node: np.ndarray, fac_snap: np.ndarray, cell_node: np.ndarray,
    cell_snap: np.ndarray,
) -> np.ndarray:
    """Walking distance from each cell to the nearest snapped facility (inf when none)."""
    if not fac_node.size:
        return np.full(cell_node.size, np.inf)
    dist, _ = multi_source(network.walk, fac_node, source_offsets=fac_snap)
    return dist[cell_node] + cell_snap


def _function_access(
    network: Network,
    fac: pd.DataFrame,
    cell_node: np.ndarray,
    cell_snap: np.ndarray,
    residents: np.ndarray,
    function: str,
    threshold: float,
    params: ModelParams,
    capacity: CapacityFacts,
) -> tuple[dict[str, np.ndarray], dict]:
    """All measures of one function: nearest, k-th nearest, count, gravity, 2SFCA."""
    f = function
    k = params.k_nearest
    beta = params.gravity_beta_per_km
    cutoff = max(params.access_cutoff_m, params.capacity_catchment_m.get(f, 0.0))
    fac_node, fac_snap = _snapped(network, fac)
    nearest = _nearest_distance(network, fac_node, fac_snap, cell_node, cell_snap)
    n = cell_node.size
    if len(fac):
        d = many_to_many(network.walk, fac_node, cell_node, cutoff=cutoff)
        d = d + fac_snap[:, None] + cell_snap[None, :]
        d[d > cutoff] = np.inf  # the same cutoff whatever the snapping distances
        kdist = np.partition(d, k - 1, axis=0)[k - 1] if len(fac) >= k else np.full(n, np.inf)
        count = (d <= threshold).sum(axis=0)
        gravity = np.exp(-beta * d / 1000.0).sum(axis=0)
    else:
        d = np.zeros((0, n))
        kdist, count, gravity = np.full(n, np.inf), np.zeros(n, int), np.zeros(n)
    cols = {f"dist_{f}": nearest, f"within_{f}": nearest <= threshold,
            f"kdist_{f}": kdist, f"count_{f}": count, f"gravity_{f}": gravity}
    total = residents.sum()
    info: dict = {
        "threshold_m": threshold,
        "n_facilities": len(fac),
        # none without facilities (reported as null, not as a distance)
        "mean_distance_m": float((np.minimum(nearest, 1e7) * residents).sum() / total)
        if len(fac) else float("nan"),
        "k": k,
        "mean_count_within": float((count * residents).sum() / total),
        "mean_gravity": float((gravity * residents).sum() / total),
        "gravity_beta_per_km": beta,
    }
    if f in capacity.need_share and f in params.capacity_catchment_m:
        places, capacity_source = _capacities(fac, capacity.places_per_facility[f])
        need = residents * capacity.need_share[f]
        catchment = params.capacity_catchment_m[f]
        per_person = two_step_fca(d, places, need, catchment, beta)
        cols[f"capacity_{f}"] = per_person
        info["capacity"] = {
            "places": float(places.sum()),
            "in_need": float(need.sum()),
            "places_per_person_in_need": float((per_person * need).sum() / need.sum()),
            "share_of_need_covered": float((np.minimum(per_person, 1.0) * need).sum()
                                           / need.sum()),
            "share_with_place": _weighted_share(per_person >= 1.0, need),
            "capacity_source": capacity_source,
            "catchment_m": catchment,
        }
    return cols, info
