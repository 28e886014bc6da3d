"""Growth stage: the scenario's placements → new dwellings, residents and jobs per cell.

An area's growth is spread evenly over the grid cells whose centre lies within the
area's radius (the nearest cell when none does), and built linearly from
``from_year`` to ``to_year``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.graph import nearest_points
from sim.region.model import Region
from sim.scenario.schema import Scenario


@dataclass(frozen=True)
class Growth:
    """Growth built by ``year``: per-cell table and per-placement table.

    ``cells`` has ``new_dwellings, new_residents, new_jobs`` aligned with
    ``region.cells``; ``placements`` has one row per ``[[growth]]`` entry with the
    area, its kind, whether it is a priority area, and the amounts built.
    """

    year: int
    cells: pd.DataFrame
    placements: pd.DataFrame


def cells_of_area(region: Region, area_name: str) -> np.ndarray:
    """Indices of the cells an area's growth is spread over."""
    area = region.area(area_name)
    x, y = region.cells.x.to_numpy(), region.cells.y.to_numpy()
    inside = np.flatnonzero(np.hypot(x - area.x, y - area.y) <= area.radius_m)
    return inside if inside.size else nearest_points(x, y, np.array([area.x]),
                                                     np.array([area.y]))[0]


def growth_by_year(region: Region, scenario: Scenario, year: int) -> Growth:
    """Place the growth built up to and including ``year`` onto the region's cells."""
    n = len(region.cells)
    dwellings = np.zeros(n)
    jobs = np.zeros(n)
    rows = []
    for i, placement in enumerate(scenario.growth):
        area = region.area(placement.area)
        share = placement.share_built_by(year)
        idx = cells_of_area(region, placement.area)
        dwellings[idx] += placement.dwellings * share / idx.size
        jobs[idx] += placement.jobs * share / idx.size
        rule_break = area.earliest_year is not None and placement.from_year < area.earliest_year
        rows.append(
            {
                "index": i,
                "area": area.name,
                "kind": area.kind,
                "priority": area.priority,
                "dwellings": placement.dwellings * share,
                "jobs": placement.jobs * share,
                "from_year": placement.from_year,
                "to_year": placement.to_year,
                "earliest_year": area.earliest_year,
                "rule_break": rule_break,
            }
        )
    cells = pd.DataFrame(
        {
            "new_dwellings": dwellings,
            "new_residents": dwellings * scenario.model.persons_per_dwelling,
            "new_jobs": jobs,
        },
        index=region.cells.index,
    )
    columns = ["index", "area", "kind", "priority", "dwellings", "jobs", "from_year",
               "to_year", "earliest_year", "rule_break"]
    return Growth(year=year, cells=cells, placements=pd.DataFrame(rows, columns=columns))
