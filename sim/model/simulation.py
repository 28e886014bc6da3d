"""Simulate a scenario: network → growth → access → skims → demand → goals, per year.

:func:`simulate` wires the stages together and does no file I/O: travel-time matrices
come from a :class:`SkimSource`, which the application may back with a disk cache
(:mod:`sim.model.skim_cache`). Its result, :class:`Simulation`, is what the output
stage turns into the typed summary.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.model.access import Access, CapacityFacts, access_from_network, facilities_for_year
from sim.model.assignment import line_loads
from sim.model.calibration import (
    calibrate_ascs,
    calibration_targets,
    elasticities,
    elasticity_check,
)
from sim.model.demand import Demand, DemandInputs, demand_from_travel_times
from sim.model.evaluation import goals_from_results
from sim.model.goals import Goals
from sim.model.growth import Growth, growth_by_year, region_for_scenario
from sim.model.network import Network, network_from_region
from sim.model.skim_cache import matrix_cache_key, travel_times_cached
from sim.model.skims import TravelTimes
from sim.model.zones import Zones, facility_zone_sums, zone_sums, zones_from_cells
from sim.params import ModelParams
from sim.region.model import Region
from sim.scenario.edits import network_state
from sim.scenario.schema import Scenario, Streets, Transit

log = logging.getLogger(__name__)

#: Travel times of one network state: ``source(network, state) -> TravelTimes``.
SkimSource = Callable[[Network, tuple], TravelTimes]


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


def demand_inputs(
    region: Region, scenario: Scenario, zones: Zones, residents: np.ndarray,
    jobs: np.ndarray, facilities: pd.DataFrame,
) -> DemandInputs:
    """Zone quantities of one year for the demand model."""
    params = scenario.model
    ext = region.external_zones
    trips = params.trips_per_person or float(region.calibration["trips_per_person_day"])
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
        external_share=ext.trip_share.to_numpy(float) if len(ext) else np.zeros(0),
        trips_per_person=trips,
        area=zones.area,
    )


def skim_source(region: Region, zones: Zones, params: ModelParams,
                cache: Path | None = None) -> SkimSource:
    """Travel times per network state: computed once, and kept in ``cache`` when given."""
    memo: dict[tuple, TravelTimes] = {}

    def travel_times(network: Network, state: tuple) -> TravelTimes:
        if state not in memo:
            key = matrix_cache_key(region, state, zones, params)
            memo[state] = travel_times_cached(network, zones, params, key, cache)
        return memo[state]

    return travel_times


def _base_year_inputs(
    region: Region, scenario: Scenario, zones: Zones
) -> tuple[Network, DemandInputs, tuple]:
    """Network, demand inputs and network state of the region as it is in its base year."""
    year = region.base_year
    network = network_from_region(region, scenario, year)
    facilities = facilities_for_year(region, scenario, network, year)
    inputs = demand_inputs(region, scenario, zones, region.cells.population.to_numpy(float),
                           region.cells.jobs.to_numpy(float), facilities)
    return network, inputs, network_state(region, scenario, year)


def calibrate_region(
    region: Region, scenario: Scenario, zones: Zones, travel_times: SkimSource,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Constants of the mode choice, calibrated on the region's base year.

    The base year is the region as it is: base residents and jobs, the lines running
    then, no scenario edits. Constants given in ``[model]`` skip the calibration.
    """
    given = scenario.model.ascs()
    if all(v is not None for v in given.values()):
        return {k: float(v) for k, v in given.items() if v is not None}, {"calibrated": False}
    plain = scenario.model_copy(update={"growth": [], "transit": Transit(), "streets": Streets(),
                                        "facilities": []})
    network, inputs, state = _base_year_inputs(region, plain, zones)
    ascs, fit = calibrate_ascs(travel_times(network, state), inputs, scenario.model,
                               calibration_targets(region))
    return ascs, {"calibrated": True, "base_year": region.base_year, **fit}


def calibration_for_region(
    region: Region, scenario: Scenario, cache: Path | None = None
) -> dict[str, Any]:
    """Calibrate the mode choice of ``region`` and report the fit and base-year elasticities.

    ``scenario`` supplies the model parameters (its growth and edits are ignored).
    """
    params = scenario.model.without_ascs()
    scenario = scenario.model_copy(update={"model": params})
    zones = zones_from_cells(region, params.zone_size_m)
    travel_times = skim_source(region, zones, params, cache)
    ascs, fit = calibrate_region(region, scenario, zones, travel_times)
    network, inputs, state = _base_year_inputs(region, scenario, zones)
    return {
        "region": region.name,
        "synthetic": region.fully_synthetic,
        "model": params.model_dump(mode="json"),
        **fit,
        "elasticities": elasticities(travel_times(network, state), inputs, params, ascs),
    }


def _year_state(
    region: Region, scenario: Scenario, year: int, network: Network, zones: Zones,
    travel_times: SkimSource, ascs: dict[str, float],
) -> YearState:
    """Growth, access and demand of one year on its network."""
    params = scenario.model
    growth = growth_by_year(region, scenario, year)
    base_residents = region.cells.population.to_numpy(float)
    residents = base_residents + growth.cells.new_residents.to_numpy()
    jobs = region.cells.jobs.to_numpy(float) + growth.cells.new_jobs.to_numpy()
    facilities = facilities_for_year(region, scenario, network, year)
    access = access_from_network(
        network, region.cells, base_residents, growth.cells.new_residents.to_numpy(),
        facilities, scenario.goals.thresholds(region.walk_thresholds_m), year, params,
        CapacityFacts.from_region(region),
    )
    inputs = demand_inputs(region, scenario, zones, residents, jobs, facilities)
    state = network_state(region, scenario, year)
    demand = demand_from_travel_times(travel_times(network, state), inputs, params, ascs, year)
    return YearState(year, growth, residents, jobs, access, demand, network, inputs)


def simulate(
    region: Region, scenario: Scenario, travel_times: SkimSource | None = None
) -> Simulation:
    """Run every stage for every modelled year and check the goals.

    Years before the base year use the base year's population and jobs (no back-casting)
    with the lines running in that year. Networks and travel-time matrices are built
    once per network state (lines and street edits in force) and shared between years.
    ``travel_times`` defaults to an in-memory :func:`skim_source`. The region gets the
    grid cells the scenario's new development areas need (:func:`region_for_scenario`);
    the result's region is that one.
    """
    region = region_for_scenario(region, scenario)
    params = scenario.model
    zones = zones_from_cells(region, params.zone_size_m)
    travel_times = travel_times or skim_source(region, zones, params)
    name = scenario.scenario.name
    log.info("%s: calibrating mode choice", name)
    ascs, calibration = calibrate_region(region, scenario, zones, travel_times)
    networks: dict[tuple, Network] = {}
    states: dict[int, YearState] = {}
    for year in modelled_years(scenario):
        log.info("%s: %d", name, year)
        key = network_state(region, scenario, year)
        if key not in networks:
            networks[key] = network_from_region(region, scenario, year)
        states[year] = _year_state(region, scenario, year, networks[key], zones, travel_times,
                                   ascs)
    info = scenario.scenario
    final = states[info.target_years[-1]]
    sanity = elasticities(travel_times(final.network, network_state(region, scenario,
                                                                    final.year)),
                          final.demand_inputs, params, ascs)
    goals = goals_from_results(
        scenario,
        region,
        final.growth,
        states[scenario.goals.nullvekst_reference_year].demand,
        [states[y].demand for y in info.target_years],
        states[info.base_year].access,
        final.access,
    )
    loads = line_loads(final.network, zones.x, zones.y, final.demand.pt_od)
    return Simulation(region=region, scenario=scenario, years=states, goals=goals, zones=zones,
                      calibration=calibration, elasticities=elasticity_check(sanity, region),
                      line_loads=loads)
