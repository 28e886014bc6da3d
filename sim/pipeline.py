"""Run a scenario: region + scenario → network → growth → access → demand → goals.

This module only wires the stages together; each stage lives in its own module and
takes plain data. :func:`run_scenario` is what ``baerum-sim run`` calls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from sim import settings
from sim.access import Access, access_from_network, facilities_for_year
from sim.demand import Demand, Zones, demand_from_network, zones_from_cells
from sim.goals import goals_from_results
from sim.growth import Growth, growth_by_year
from sim.network import Network, network_from_region, network_state
from sim.region import Region
from sim.regions import load_region
from sim.scenario import Scenario, scenario_from_text, scenario_text


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


@dataclass(frozen=True)
class Simulation:
    """A scenario's results: one state per modelled year, and the goal checks."""

    region: Region
    scenario: Scenario
    years: dict[int, YearState]
    goals: dict
    zones: Zones

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


def simulate(region: Region, scenario: Scenario, quiet: bool = False) -> Simulation:
    """Run every stage for every modelled year and check the goals.

    Years before the base year use the base year's population and jobs (no back-casting)
    with the lines running in that year.
    """
    years = modelled_years(scenario)
    zones = zones_from_cells(region, scenario.model.zone_size_m)
    thresholds = scenario.goals.thresholds(region.walk_thresholds_m)
    networks: dict[tuple, Network] = {}
    states: dict[int, YearState] = {}
    steps = tqdm(years, desc=f"{scenario.scenario.name}", unit="year", disable=quiet)
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
            scenario.model.walk_speed_mps,
        )
        steps.set_postfix_str(f"{year}: demand")
        demand = demand_from_network(network, region, zones, residents, jobs, scenario.model, year)
        states[year] = YearState(year, growth, residents, jobs, access, demand, network)
    info = scenario.scenario
    final = states[info.target_years[-1]]
    goals = goals_from_results(
        scenario,
        final.growth.placements,
        states[scenario.goals.nullvekst_reference_year].demand,
        final.demand,
        states[info.base_year].access,
        final.access,
    )
    return Simulation(region=region, scenario=scenario, years=states, goals=goals, zones=zones)


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
