"""Climate: the green share of trips (a goal) and transport CO2 (reported beside nullvekst).

*Miljøvennlige transportmidler førstevalg* (kommuneplan 2021–2040): the share of
residents' trips by walking, cycling and public transport, against the climate
strategy's target (Bærum: 60 % of trips, cycling 7 %, from 2025; region pack
``[climate]``, scenario ``[goals]`` overrides). Transport CO2 is the tailpipe CO2 of
residents' car-km: fossil car-km (car-km × (1 − electric share of the year)) × CO2 per
fossil car-km. The electrification path is an estimate, overridable per year.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.model.demand import Demand
from sim.model.goals import Co2Record, Co2Stage, GreenShareGoal, GreenStage
from sim.vocab import GREEN_MODES

#: Days a year of the daily car-km (residents' travel on an average day).
DAYS_PER_YEAR = 365.0


def climate_settings(region_climate: dict[str, Any], overrides: dict[str, Any]
                     ) -> dict[str, Any]:
    """The region's climate facts with the scenario's overrides (``None`` keeps the
    region's value; ``electric_share`` years replace single years of the path)."""
    out = dict(region_climate)
    for key, value in overrides.items():
        if key == "electric_share":
            out[key] = {**region_climate.get(key, {}), **{int(y): v for y, v in value.items()}}
        elif value is not None:
            out[key] = value
    return out


def electric_share(path: dict[int, float], year: int) -> float:
    """Share of car-km driven electrically in ``year``: linear between the path's years,
    flat before the first and after the last.

    >>> electric_share({2020: 0.1, 2030: 0.5}, 2025)
    0.3
    >>> electric_share({2020: 0.1, 2030: 0.5}, 2040)
    0.5
    """
    years = sorted(path)
    return round(float(np.interp(year, years, [path[y] for y in years])), 12)


def _green(demand: Demand) -> tuple[float, float]:
    total = sum(demand.mode_shares.values())
    green = sum(demand.mode_shares[m] for m in GREEN_MODES) / total if total else 0.0
    return green, demand.mode_shares["bike"] / total if total else 0.0


def green_share_goal(reference: Demand, stages: list[Demand], climate: dict[str, Any]
                     ) -> GreenShareGoal:
    """The share of residents' trips by walking, cycling and PT against the climate target.

    Judged on the final stage (cycling share too, when a bike target is given); stages
    before the target year are reported but not judged.
    """
    bike_target = climate.get("bike_share_target")
    target = climate.get("green_share_target")
    source = str(climate.get("source", ""))
    if target is None:  # no climate strategy of the region: the share must not fall
        target = _green(reference)[0]
        source = (f"no green-share target of this region: the reference year's "
                  f"({reference.year}) share {target:.1%} must not fall")
    year0 = int(climate.get("target_year") or stages[0].year)
    trajectory = []
    for stage in stages:
        green, bike = _green(stage)
        ok = green >= target - 1e-12 and (bike_target is None or bike >= bike_target - 1e-12)
        trajectory.append(GreenStage(year=stage.year, green_share=green, bike_share=bike,
                                     judged=stage.year >= year0, passed=bool(ok)))
    final = trajectory[-1]
    return GreenShareGoal(
        value=final.green_share, target=target, passed=final.passed,
        margin=final.green_share - target, bike_share=final.bike_share, bike_target=bike_target,
        target_year=year0, year=final.year, reference_value=_green(reference)[0],
        stages=trajectory, source=source,
    )


def co2_record(reference: Demand, stages: list[Demand], climate: dict[str, Any]) -> Co2Record:
    """Residents' car CO2 per year in each stage and the reference year."""
    path = climate["electric_share"]
    factor = float(climate["fossil_co2_kg_per_km"])

    def tonnes(demand: Demand) -> tuple[float, float]:
        e = electric_share(path, demand.year)
        return demand.car_vkm * DAYS_PER_YEAR * (1.0 - e) * factor / 1000.0, e

    ref_t, _ = tonnes(reference)
    trajectory = []
    for stage in stages:
        t, e = tonnes(stage)
        trajectory.append(Co2Stage(year=stage.year, car_vkm=stage.car_vkm, electric_share=e,
                                   co2_t_per_year=t,
                                   change=t / ref_t - 1.0 if ref_t > 0 else 0.0))
    final = trajectory[-1]
    status = str(climate.get("electric_share_status", "estimated"))
    return Co2Record(
        reference_year=reference.year, year=final.year, co2_t_per_year_reference=ref_t,
        co2_t_per_year=final.co2_t_per_year, change=final.change,
        electric_share=final.electric_share, electric_share_status=status,
        fossil_co2_kg_per_km=factor, stages=trajectory,
        note=f"tailpipe CO2 of residents' car-km × (1 − electric share); electrification "
        f"path {status} ({climate.get('electric_share_source', '')}); "
        f"{factor:g} kg CO2 per fossil car-km ({climate.get('fossil_co2_source', '')})",
    )
