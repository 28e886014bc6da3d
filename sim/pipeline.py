"""Run a scenario: region + scenario → network → growth → access → matrices → demand → goals.

This module only wires the stages together; each stage lives in its own module and
takes plain data. :func:`run_scenario` is what ``baerum-sim run`` calls.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from sim import settings
from sim.access import Access, access_from_network, facilities_for_year
from sim.demand import (
    DEFAULT_TARGETS,
    Demand,
    DemandInputs,
    calibrate_ascs,
    demand_from_travel_times,
    elasticities,
    five_mode_targets,
)
from sim.errors import InputError
from sim.goals import goals_from_results
from sim.growth import Growth, growth_by_year
from sim.matrices import (
    TravelTimes,
    Zones,
    facility_zone_sums,
    line_loads,
    matrix_cache_key,
    travel_times_cached,
    zone_sums,
    zones_from_cells,
)
from sim.network import Network, network_from_region, network_state
from sim.region import Region
from sim.regions import load_region
from sim.scenario import ModelParams, Scenario, Streets, Transit, scenario_from_text, scenario_text


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
    goals: dict
    zones: Zones
    calibration: dict
    elasticities: dict[str, float]
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
    calibration = region.calibration
    trips = params.trips_per_person or float(calibration.get("trips_per_person_day", 3.3))
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


def calibration_targets(region: Region) -> dict[str, float]:
    """Five-mode targets from the region's survey shares and driver/passenger split."""
    cal = region.calibration
    shares = cal.get("mode_shares")
    if not shares:
        return dict(DEFAULT_TARGETS)
    return five_mode_targets({m: float(v) for m, v in shares.items()},
                             float(cal.get("car_driver_share", 0.55)),
                             float(cal.get("car_passenger_share", 0.08)))


def _matrix_source(
    region: Region, zones: Zones, params: ModelParams, use_cache: bool
) -> Callable[[Network, tuple], TravelTimes]:
    """Travel times per network state: computed once, cached on disk when ``use_cache``."""
    cache = matrix_cache_dir(region.name) if use_cache else None
    memo: dict[tuple, TravelTimes] = {}

    def travel_times(network: Network, state: tuple) -> TravelTimes:
        if state not in memo:
            key = matrix_cache_key(region, state, zones, params)
            memo[state] = travel_times_cached(network, zones, params, key, cache)
        return memo[state]

    return travel_times


def calibrate_region(
    region: Region, scenario: Scenario, zones: Zones,
    travel_times: Callable[[Network, tuple], TravelTimes],
) -> tuple[dict[str, float], dict[str, Any]]:
    """Constants of the mode choice, calibrated on the region's base year.

    The base year is the region as it is: base residents and jobs, the lines running
    then, no scenario edits. Constants given in ``[model]`` skip the calibration.
    """
    given = scenario.model.ascs()
    if all(v is not None for v in given.values()):
        return {k: float(v) for k, v in given.items()}, {"calibrated": False}
    plain = scenario.model_copy(update={"growth": [], "transit": Transit(), "streets": Streets(),
                                        "facilities": []})
    year = region.base_year
    network = network_from_region(region, plain, year)
    facilities = facilities_for_year(region, plain, network, year)
    inputs = demand_inputs(region, plain, zones, region.cells.population.to_numpy(float),
                           region.cells.jobs.to_numpy(float), facilities)
    state = network_state(region, plain, year)
    ascs, fit = calibrate_ascs(travel_times(network, state), inputs, scenario.model,
                               calibration_targets(region))
    return ascs, {"calibrated": True, "base_year": year, **fit}


def calibration_for_region(region: Region, scenario: Scenario) -> dict[str, Any]:
    """Calibrate the mode choice of ``region`` and report the fit and base-year elasticities.

    ``scenario`` supplies the model parameters (its growth and edits are ignored).
    """
    params = scenario.model.model_copy(update={f"asc_{m}": None for m in
                                               ("bike", "pt", "car_driver", "car_passenger")})
    scenario = scenario.model_copy(update={"model": params})
    zones = zones_from_cells(region, params.zone_size_m)
    travel_times = _matrix_source(region, zones, params, use_cache=True)
    ascs, fit = calibrate_region(region, scenario, zones, travel_times)
    network = network_from_region(region, scenario, region.base_year)
    facilities = facilities_for_year(region, scenario, network, region.base_year)
    inputs = demand_inputs(region, scenario, zones, region.cells.population.to_numpy(float),
                           region.cells.jobs.to_numpy(float), facilities)
    return {
        "region": region.name,
        "synthetic": region.fully_synthetic,
        "model": params.model_dump(mode="json"),
        **fit,
        "elasticities": elasticities(
            travel_times(network, network_state(region, scenario, region.base_year)), inputs,
            params, ascs),
    }


def matrix_cache_dir(region_name: str) -> Path:
    """Where travel-time matrices of a region are cached (git-ignored)."""
    from sim.data import cache_dir

    try:
        return cache_dir(region_name)
    except InputError:  # not a region pack, e.g. the demo region
        return Path(os.environ.get("BAERUM_SIM_CACHE", settings.NETWORK_DATA_DIR)) / (
            region_name if "BAERUM_SIM_CACHE" in os.environ else f"{region_name}/cache")


def simulate(
    region: Region, scenario: Scenario, quiet: bool = False, use_cache: bool = True
) -> Simulation:
    """Run every stage for every modelled year and check the goals.

    Years before the base year use the base year's population and jobs (no back-casting)
    with the lines running in that year. Networks and travel-time matrices are built
    once per network state (lines and street edits in force) and shared between years;
    matrices are also cached on disk (``use_cache``), keyed by all they depend on.
    """
    years = modelled_years(scenario)
    params = scenario.model
    zones = zones_from_cells(region, params.zone_size_m)
    thresholds = scenario.goals.thresholds(region.walk_thresholds_m)
    networks: dict[tuple, Network] = {}
    travel_times = _matrix_source(region, zones, params, use_cache)

    steps = tqdm(years, desc=f"{scenario.scenario.name}", unit="year", disable=quiet)
    steps.set_postfix_str("calibrating mode choice")
    ascs, calibration = calibrate_region(region, scenario, zones, travel_times)
    states: dict[int, YearState] = {}
    for year in steps:
        steps.set_postfix_str(f"{year}: network")
        key = network_state(region, scenario, year)
        if key not in networks:
            networks[key] = network_from_region(region, scenario, year)
        network = networks[key]
        steps.set_postfix_str(f"{year}: growth")
        growth = growth_by_year(region, scenario, year)
        residents = region.cells.population.to_numpy(float) + growth.cells.new_residents.to_numpy()
        jobs = region.cells.jobs.to_numpy(float) + growth.cells.new_jobs.to_numpy()
        steps.set_postfix_str(f"{year}: access")
        facilities = facilities_for_year(region, scenario, network, year)
        access = access_from_network(
            network, region.cells, region.cells.population.to_numpy(float),
            growth.cells.new_residents.to_numpy(), facilities, thresholds, year,
            params.walk_speed_mps,
        )
        steps.set_postfix_str(f"{year}: demand")
        inputs = demand_inputs(region, scenario, zones, residents, jobs, facilities)
        demand = demand_from_travel_times(travel_times(network, key), inputs, params, ascs, year)
        states[year] = YearState(year, growth, residents, jobs, access, demand, network, inputs)
    info = scenario.scenario
    final = states[info.target_years[-1]]
    steps.set_postfix_str("elasticities")
    final_state = network_state(region, scenario, final.year)
    sanity = elasticities(travel_times(final.network, final_state), final.demand_inputs, params,
                          ascs)
    goals = goals_from_results(
        scenario,
        final.growth.placements,
        states[scenario.goals.nullvekst_reference_year].demand,
        [states[y].demand for y in info.target_years],
        states[info.base_year].access,
        final.access,
    )
    loads = line_loads(final.network, zones.x, zones.y, final.demand.pt_od)
    return Simulation(region=region, scenario=scenario, years=states, goals=goals, zones=zones,
                      calibration=calibration, elasticities=sanity, line_loads=loads)


def run_scenario(path: Path, out: Path | None = None, quiet: bool = False) -> Path:
    """Validate, simulate and write the results of the scenario file at ``path``.

    Returns the results directory. Results are written to a temporary directory and
    moved into place only when complete.
    """
    from sim.results import write_results

    text = scenario_text(path)
    scenario = scenario_from_text(text, path)
    region = load_region(scenario.scenario.region, quiet=quiet)
    scenario.check_against(region, path)
    out_dir = Path(out) if out is not None else settings.RESULTS_DIR / scenario.scenario.name
    simulation = simulate(region, scenario, quiet=quiet)
    write_results(simulation, out_dir, scenario_path=path, scenario_text=text)
    return out_dir
