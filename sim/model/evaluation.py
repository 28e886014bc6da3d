"""All goals of a simulation, each with the share of its number that rests on weak data.

:func:`goals_from_results` checks the 90 % rule, nullvekst, kortreist hverdag and the
green share of trips for the final target year, computes transport CO2 beside
nullvekst, and gives every record its :class:`~sim.model.goals.DataBasis`:

- placement: growth whose priority membership is decided by estimated area shapes
  (circles of estimated radius) or synthetic ones;
- nullvekst, green share, CO2: trips of residents reached only through the synthetic
  gap-filling lattice (synthetic) and trips whose purpose's destinations rest on a
  proxy layer (e.g. work trips on the jobs proxy);
- kortreist: new residents reached only through the lattice (synthetic), and the
  basket functions resting on proxy layers (every basket needs all of them).
"""

from __future__ import annotations

import numpy as np

from sim.errors import InputError
from sim.model.access import Access
from sim.model.climate import climate_settings, co2_record, green_share_goal
from sim.model.demand import Demand
from sim.model.goals import (
    DataBasis,
    Goals,
    kortreist_goal,
    nullvekst_goal,
    placement_goal,
)
from sim.model.growth import Growth
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.schema import Scenario
from sim.vocab import BASKET_FUNCTIONS, WEAK_STATUSES

#: The layer a destination quantity of the demand model (purpose attraction key) rests on.
ATTRACTION_LAYERS = {"jobs": "jobs", "residents": "population",
                     "school_places": "facilities.school",
                     "kindergarten_places": "facilities.kindergarten",
                     "grocery": "facilities.grocery", "recreation": "facilities.recreation"}


def _status(region: Region, layer: str) -> str:
    found = region.layers.get(layer)
    return found.status if found else "missing"


def _synthetic_region(note: str) -> DataBasis:
    return DataBasis(proxy_share=0.0, estimated_share=0.0, synthetic_share=1.0,
                     note=f"synthetic region: {note}")


def placement_basis(region: Region, growth: Growth) -> DataBasis:
    """Share of growth whose membership rests on estimated or synthetic area shapes."""
    if region.fully_synthetic:
        return _synthetic_region("made-up areas")
    weak = [a for a in region.areas if a.shape_status in WEAK_STATUSES]
    amounts = growth.landings.dwellings + growth.landings.jobs
    total = float(amounts.sum())
    # outside every area the verdict rests on all shapes; inside, on its territory's
    by_place = {a.name: a.shape_status in WEAK_STATUSES for a in region.areas}
    on_weak = np.array([by_place.get(p, bool(weak)) for p in growth.landings.place], bool)
    if not total:
        return DataBasis(proxy_share=0.0, estimated_share=0.0, synthetic_share=0.0,
                         note="no growth: the rule holds vacuously")
    share = float(amounts[on_weak].sum() / total)
    return DataBasis(proxy_share=0.0, estimated_share=share, synthetic_share=0.0,
                     note=f"{share:.0%} of the growth is judged by area shapes that are "
                     f"estimates ({len(weak)} of {len(region.areas)} areas are circles of "
                     "estimated radius or otherwise not real)")


def _lattice_share(access: Access, weights: np.ndarray) -> float:
    lattice = access.cells.network_status.to_numpy() == "synthetic"
    total = float(weights.sum())
    return float(weights[lattice].sum() / total) if total else 0.0


def demand_basis(region: Region, params: ModelParams, demand: Demand, access: Access,
                 residents: np.ndarray) -> DataBasis:
    """Share of residents' trips from lattice-reached cells and to proxy destinations."""
    if region.fully_synthetic:
        return _synthetic_region("made-up trips")
    trips = {p: float(v["trips"]) for p, v in demand.by_purpose.items()}
    total = sum(trips.values())
    weak: dict[str, list[str]] = {}
    for purpose, spec in params.purposes.items():
        layers = sorted({ATTRACTION_LAYERS.get(k, k) for k, w in spec.attraction.items()
                         if w > 0 and _status(region, ATTRACTION_LAYERS.get(k, k)) == "proxy"})
        if layers:
            weak[purpose] = layers
    proxy = sum(trips.get(p, 0.0) for p in weak) / total if total else 0.0
    synthetic = _lattice_share(access, residents)
    return DataBasis(proxy_share=proxy, estimated_share=0.0, synthetic_share=synthetic,
                     note=f"{synthetic:.0%} of residents (and their trips) are reached only "
                     f"through the synthetic lattice; {proxy:.0%} of trips go to "
                     "destinations resting on proxies ("
                     + "; ".join(f"{p}: {', '.join(v)}" for p, v in weak.items()) + ")")


def kortreist_basis(region: Region, access: Access, new_residents: np.ndarray) -> DataBasis:
    """New residents reached through the lattice; basket functions resting on proxies."""
    if region.fully_synthetic:
        return _synthetic_region("made-up facilities and streets")
    layer_of = {f: "lines" if f == "transit_hf" else f"facilities.{f}" for f in BASKET_FUNCTIONS}
    status = {f: _status(region, layer) for f, layer in layer_of.items()}
    proxies = [f for f, s in status.items() if s == "proxy"]
    estimated = [f for f, s in status.items() if s == "estimated"]
    synthetic = _lattice_share(access, new_residents)
    return DataBasis(
        proxy_share=1.0 if proxies else 0.0, estimated_share=1.0 if estimated else 0.0,
        synthetic_share=synthetic,
        note=f"{synthetic:.0%} of new residents are reached only through the synthetic "
        f"lattice; every basket needs {', '.join(proxies) or 'no'} (proxy) and "
        f"{', '.join(estimated) or 'no'} (estimated) layers",
    )


def _basket_note(region: Region) -> str:
    ages = region.age_note or "no age shares: every resident needs school and kindergarten"
    return ("kollektiv = a high-frequency stop (the plan's 10/15-minute definition); any stop "
            f"reported beside it. School and kindergarten count for children: {ages}")


def goals_from_results(
    scenario: Scenario,
    region: Region,
    growth: Growth,
    demand_reference: Demand,
    demand_stages: list[Demand],
    access_base: Access,
    access_final: Access,
) -> Goals:
    """All goals for the final target year, and transport CO2 beside nullvekst."""
    cfg = scenario.goals
    climate = climate_settings(region.climate, {
        "green_share_target": cfg.green_share_target, "bike_share_target": cfg.bike_share_target,
        "target_year": cfg.green_target_year, "electric_share": cfg.electric_share})
    if not climate.get("electric_share") or "fossil_co2_kg_per_km" not in climate:
        raise InputError(f"region {region.name!r}: its pack has no [climate] table with "
                         "electric_share and fossil_co2_kg_per_km (expected the fleet path "
                         "and CO2 per fossil car-km; `region new` writes national estimates)")
    residents = region.cells.population.to_numpy(float) + growth.cells.new_residents.to_numpy()
    final = demand_stages[-1]
    basis = demand_basis(region, scenario.model, final, access_final, residents)
    placement = placement_goal(growth.placements, growth.landings, cfg.placement_share,
                               cfg.placement_rule)
    kortreist = kortreist_goal(access_base, access_final, cfg.kortreist_share,
                               dict(cfg.kortreist_function_targets), _basket_note(region))
    co2 = co2_record(demand_reference, demand_stages, climate)
    return Goals(
        placement=placement.model_copy(update={"data_basis": placement_basis(region, growth)}),
        nullvekst=nullvekst_goal(demand_reference, demand_stages, scenario.scenario.base_year
                                 ).model_copy(update={"data_basis": basis}),
        kortreist=kortreist.model_copy(update={"data_basis": kortreist_basis(
            region, access_final, growth.cells.new_residents.to_numpy())}),
        green_share=green_share_goal(demand_reference, demand_stages, climate
                                     ).model_copy(update={"data_basis": basis}),
        co2=co2.model_copy(update={"data_basis": basis.model_copy(update={
            "estimated_share": 1.0,
            "note": basis.note + "; the electrification path is an estimate"})}),
    )

