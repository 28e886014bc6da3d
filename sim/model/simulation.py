"""Simulate a scenario: network → growth → access → skims → demand → goals, per year.

:func:`simulate` wires the stages together and does no file I/O: travel-time matrices
come from a :class:`SkimSource`, which the application may back with a disk cache
(:mod:`sim.model.skim_cache`). Every year uses its own policy (car cost, fares, tolls,
parking, speed factors); a reference year before the base year also uses residents
back-cast to that year's official total. Its result, :class:`Simulation`, is what the
output stage turns into the typed summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import InputError
from sim.model.access import Access, CapacityFacts, access_from_network, facilities_for_year
from sim.model.assignment import line_loads
from sim.model.calibration import (
    calibrate_constants,
    calibration_targets,
    elasticities,
    elasticity_check,
)
from sim.model.demand import Constants, Demand, DemandInputs, demand_from_travel_times
from sim.model.evaluation import goals_from_results
from sim.model.goals import Goals
from sim.model.growth import Growth, growth_by_year, region_for_scenario
from sim.model.network import Network, network_from_region
from sim.model.policy import policy_charges
from sim.model.skim_cache import matrix_cache_key, skims_cached
from sim.model.skims import Skims
from sim.model.validation import validation_table
from sim.model.zones import Zones, facility_zone_sums, zone_sums, zones_from_cells
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.edits import network_state, params_for_year, policy_for_year
from sim.scenario.entries import Policy, Streets, Transit
from sim.scenario.schema import Scenario

log = logging.getLogger(__name__)

#: Travel times of one network state: ``source(network, state, params) -> Skims``.
SkimSource = Callable[[Network, tuple, ModelParams], Skims]


@dataclass(frozen=True)
class YearState:
    """Everything computed for one modelled year."""

    year: int
    growth: Growth
    residents: np.ndarray
    jobs: np.ndarray
    access: Access
    demand: Demand
    network: Network
    demand_inputs: DemandInputs
    skims: Skims
    params: ModelParams
    population_factor: float = 1.0


@dataclass(frozen=True)
class Simulation:
    """A scenario's results: one state per modelled year, and the goal checks."""

    region: Region
    scenario: Scenario
    years: dict[int, YearState]
    goals: Goals
    zones: Zones
    calibration: dict[str, Any]
    elasticities: dict[str, Any]
    line_loads: dict[str, dict[str, float]]
    transfers: dict[str, float]
    validation: list[dict[str, Any]]

    @property
    def final(self) -> YearState:
        """The last target year."""
        return self.years[self.scenario.scenario.target_years[-1]]

    @property
    def base(self) -> YearState:
        """The base year."""
        return self.years[self.scenario.scenario.base_year]


def modelled_years(scenario: Scenario) -> list[int]:
    """Reference year, base year and target years, sorted, without repeats."""
    info = scenario.scenario
    return sorted({scenario.goals.nullvekst_reference_year, info.base_year, *info.target_years})


def population_factor(region: Region, year: int) -> float:
    """Residents in ``year`` relative to the base year, from the region's official totals
    (interpolated between listed years; 1 when the region lists none)."""
    totals = {int(k): float(v) for k, v in
              region.calibration.get("population_by_year", {}).items()}
    if year >= region.base_year or region.base_year not in totals:
        return 1.0
    years = sorted(totals)
    return float(np.interp(year, years, [totals[y] for y in years]) / totals[region.base_year])


def demand_inputs(
    region: Region, scenario: Scenario, zones: Zones, residents: np.ndarray,
    jobs: np.ndarray, facilities: pd.DataFrame, year: int,
) -> DemandInputs:
    """Zone quantities and policy charges of one year for the demand model."""
    params = scenario.model
    cal = region.calibration
    ext = region.external_zones
    if "trips_per_person_day" not in cal and params.trips_per_person is None:
        raise InputError(f"region {region.name!r} has no travel survey ([calibration] in its "
                         "pack): give trips_per_person in the scenario's [model]")
    trips = params.trips_per_person or float(cal["trips_per_person_day"])
    driver = float(cal.get("car_driver_share", 1.0))
    passenger = float(cal.get("car_passenger_share", 0.0))
    parking, toll = policy_charges(region, zones, policy_for_year(scenario, year),
                                   params.zone_size_m)
    return DemandInputs(
        residents=zone_sums(zones, residents),
        attraction={
            "residents": zone_sums(zones, residents),
            "jobs": zone_sums(zones, jobs),
            "school_places": facility_zone_sums(zones, region, facilities, "school", "capacity"),
            "kindergarten_places": facility_zone_sums(zones, region, facilities,
                                                      "kindergarten", "capacity"),
            "grocery": facility_zone_sums(zones, region, facilities, "grocery", None),
            "recreation": facility_zone_sums(zones, region, facilities, "recreation", None),
        },
        trips_per_person=trips,
        area=zones.area,
        trip_maker_share=1.0 - float(cal.get("under_13_share", 0.0)),
        external_population=ext.population.to_numpy(float) if len(ext) else np.zeros(0),
        external_group=ext.group.to_numpy(object) if len(ext) else np.zeros(0, object),
        passenger_share=passenger / (driver + passenger),
        parking_nok=parking, toll_nok=toll,
    )


def skim_source(region: Region, zones: Zones, params: ModelParams,
                cache: Path | None = None) -> SkimSource:
    """Travel times per network state: computed once, and kept in ``cache`` when given."""
    memo: dict[tuple, Skims] = {}

    def travel_times(network: Network, state: tuple, year_params: ModelParams) -> Skims:
        if state not in memo:
            key = matrix_cache_key(region, state, zones, year_params)
            memo[state] = skims_cached(network, zones, year_params, key, cache)
        return memo[state]

    return travel_times


@dataclass(frozen=True)
class _BaseYear:
    network: Network
    inputs: DemandInputs
    skims: Skims
    params: ModelParams


def _base_year(region: Region, scenario: Scenario, zones: Zones,
               travel_times: SkimSource) -> _BaseYear:
    """The region as it is in its base year: base residents and jobs, the lines running
    then, no scenario edits, the base year's policy."""
    plain = scenario.model_copy(update={"growth": [], "transit": Transit(), "streets": Streets(),
                                        "facilities": []})
    year = region.base_year
    network = network_from_region(region, plain, year)
    facilities = facilities_for_year(region, plain, network, year)
    inputs = demand_inputs(region, plain, zones, region.cells.population.to_numpy(float),
                           region.cells.jobs.to_numpy(float), facilities, year)
    params = params_for_year(plain, year)
    skims = travel_times(network, network_state(region, plain, year), params)
    return _BaseYear(network, inputs, skims, params)


def calibrate_region(
    region: Region, scenario: Scenario, zones: Zones, travel_times: SkimSource,
) -> tuple[Constants, dict[str, Any]]:
    """Constants of mode and destination choice, calibrated on the region's base year.

    Mode constants given in ``[model]`` are kept fixed; the others are fitted.
    """
    if "mode_shares" not in region.calibration:
        raise InputError(f"region {region.name!r} has no travel survey: its pack needs a "
                         "[calibration] table (mode_shares, trips_per_person_day, "
                         "car_driver_share, car_passenger_share; `region new` writes the "
                         "national travel survey's, marked regional = false)")
    base = _base_year(region, scenario, zones, travel_times)
    fixed = {k: float(v) for k, v in scenario.model.ascs().items() if v is not None}
    tt = base.skims.combined(base.params.peak_trip_share)
    constants, fit = calibrate_constants(tt, base.inputs, base.params,
                                         calibration_targets(region), fixed)
    return constants, {"calibrated": True, "base_year": region.base_year,
                       "fixed": sorted(fixed), **_regional(region), **fit}


def _regional(region: Region) -> dict[str, Any]:
    """Whether the mode choice rests on a travel survey of this region, and a note if not."""
    cal = region.calibration
    if cal.get("regional", True) and "mode_shares" in cal:
        return {"regional": True}
    source = cal.get("source", "no travel survey")
    return {"regional": False,
            "note": f"Mode choice not calibrated to this region (targets: {source})."}


def calibration_for_region(
    region: Region, scenario: Scenario, cache: Path | None = None
) -> dict[str, Any]:
    """Calibrate the mode and destination choice of ``region``; the fit and base-year
    elasticities. ``scenario`` supplies the model parameters (its growth and edits are
    ignored)."""
    params = scenario.model.without_ascs()
    scenario = scenario.model_copy(update={"model": params, "policy": Policy()})
    zones = zones_from_cells(region, params.zone_size_m)
    travel_times = skim_source(region, zones, params, cache)
    constants, fit = calibrate_region(region, scenario, zones, travel_times)
    base = _base_year(region, scenario, zones, travel_times)
    tt = base.skims.combined(params.peak_trip_share)
    return {"region": region.name, "synthetic": region.fully_synthetic,
            "model": params.model_dump(mode="json"), **fit,
            "elasticities": elasticities(tt, base.inputs, base.params, constants)}


def _year_state(
    region: Region, scenario: Scenario, year: int, network: Network, zones: Zones,
    travel_times: SkimSource, constants: Constants,
) -> YearState:
    """Growth, access and demand of one year on its network, with the year's policy."""
    params = params_for_year(scenario, year)
    growth = growth_by_year(region, scenario, year)
    factor = population_factor(region, year)
    base_residents = region.cells.population.to_numpy(float) * factor
    residents = base_residents + growth.cells.new_residents.to_numpy()
    jobs = region.cells.jobs.to_numpy(float) * factor + growth.cells.new_jobs.to_numpy()
    facilities = facilities_for_year(region, scenario, network, year)
    access = access_from_network(
        network, region.cells, base_residents, growth.cells.new_residents.to_numpy(),
        facilities, scenario.goals.thresholds(region.walk_thresholds_m), year, params,
        CapacityFacts.from_region(region),
    )
    inputs = demand_inputs(region, scenario, zones, residents, jobs, facilities, year)
    skims = travel_times(network, network_state(region, scenario, year), params)
    demand = demand_from_travel_times(skims.combined(params.peak_trip_share), inputs, params,
                                      constants, year)
    return YearState(year, growth, residents, jobs, access, demand, network, inputs, skims,
                     params, factor)


def simulate(
    region: Region, scenario: Scenario, travel_times: SkimSource | None = None
) -> Simulation:
    """Run every stage for every modelled year and check the goals.

    Years before the base year use the base year's population and jobs scaled to the
    year's official total (:func:`population_factor`) and the lines and policy of that
    year. Networks and travel-time matrices are built once per network state (lines,
    street edits and speed factors in force) and shared between years.
    ``travel_times`` defaults to an in-memory :func:`skim_source`. The region gets the
    grid cells the scenario's new development areas need (:func:`region_for_scenario`);
    the result's region is that one.
    """
    region = region_for_scenario(region, scenario)
    zones = zones_from_cells(region, scenario.model.zone_size_m)
    travel_times = travel_times or skim_source(region, zones, scenario.model)
    name = scenario.scenario.name
    log.info("%s: calibrating mode and destination choice", name)
    constants, calibration = calibrate_region(region, scenario, zones, travel_times)
    networks: dict[tuple, Network] = {}
    states: dict[int, YearState] = {}
    for year in modelled_years(scenario):
        log.info("%s: %d", name, year)
        key = network_state(region, scenario, year)
        if key not in networks:
            networks[key] = network_from_region(region, scenario, year)
        states[year] = _year_state(region, scenario, year, networks[key], zones, travel_times,
                                   constants)
    info = scenario.scenario
    final = states[info.target_years[-1]]
    sanity = elasticities(final.skims.combined(final.params.peak_trip_share),
                          final.demand_inputs, final.params, constants)
    goals = goals_from_results(
        scenario,
        region,
        final.growth,
        states[scenario.goals.nullvekst_reference_year].demand,
        [states[y].demand for y in info.target_years],
        states[info.base_year].access,
        final.access,
    )
    loads, transfers = line_loads(final.network, zones, final.demand.pt_od,
                                  final.params.peak_trip_share)
    base = states[info.base_year]
    return Simulation(region=region, scenario=scenario, years=states, goals=goals, zones=zones,
                      calibration={**calibration, "constants": constants.to_dict()},
                      elasticities=elasticity_check(sanity, region), line_loads=loads,
                      transfers=transfers,
                      validation=validation_table(region, base.demand, base.network,
                                                  base.jobs))
