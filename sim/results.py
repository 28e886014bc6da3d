"""Results stage: ``summary.json``, the per-cell GeoPackage and plots, written atomically.

Everything is first written to a temporary directory beside the target and moved
into place only when complete, so a failed run never leaves half a result.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sim import __version__
from sim.pipeline import Simulation
from sim.region import CRS, EVERYDAY_FUNCTIONS

#: Keys of ``summary.json`` that change from run to run.
VOLATILE_KEYS = ("created",)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _clean(value: Any) -> Any:
    """JSON-safe, deterministic values: floats rounded to 10 significant digits."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        if not math.isfinite(v):
            return None
        return float(f"{v:.10g}")
    return value


def data_status(sim: Simulation) -> dict[str, Any]:
    """Which layers are real, derived, proxy, estimated or synthetic."""
    layers = {
        name: {"status": layer.status, "source": layer.source, "licence": layer.licence,
               **({"note": layer.note} if layer.note else {})}
        for name, layer in sorted(sim.region.layers.items())
    }
    not_real = sorted(n for n, layer in sim.region.layers.items() if layer.status != "real")
    return {
        "synthetic": sim.region.synthetic,
        "layers": layers,
        "not_real": not_real,
        "synthetic_layers": sorted(
            n for n, layer in sim.region.layers.items() if layer.status == "synthetic"
        ),
    }


def data_note(sim: Simulation) -> str:
    """One sentence on what the numbers rest on, for every summary and report."""
    region = sim.region
    if region.fully_synthetic:
        return (f"SYNTHETIC: every figure rests on the made-up region {region.name!r}, "
                "not on Bærum data")
    by_status = region.layers_by_status()
    parts = [f"{status}: {', '.join(names)}" for status, names in by_status.items()
             if status != "real"]
    lattice = sim.final.access.cells.network_status.to_numpy() == "synthetic"
    share = float(sim.final.residents[lattice].sum() / sim.final.residents.sum())
    return (f"Not every layer is real data ({'; '.join(parts)}). {share:.1%} of residents "
            "are reached only through the synthetic gap-filling lattice.")


#: Literature ranges of the sanity elasticities when the region gives none [E]:
#: Balcombe et al. (2004) and TØI summaries — PT in-vehicle time −0.4 to −0.8 (wide:
#: −0.1 to −1.0), headway/service frequency −0.2 to −0.6, car running cost −0.05 to −0.5.
ELASTICITY_RANGES: dict[str, tuple[float, float]] = {
    "pt_wrt_in_vehicle_time": (-1.0, -0.1),
    "pt_wrt_headway": (-0.7, -0.1),
    "car_wrt_car_cost": (-0.5, -0.02),
}


def elasticity_check(sim: Simulation) -> dict[str, Any]:
    """Elasticities of the final year, each with its expected range and a verdict."""
    ranges = {**ELASTICITY_RANGES,
              **{k: tuple(v) for k, v in sim.region.calibration.get("elasticity_ranges",
                                                                     {}).items()}}
    out = {}
    for name, value in sim.elasticities.items():
        lo, hi = ranges[name]
        out[name] = {"value": value, "range": [lo, hi],
                     "inside": bool(lo <= value <= hi) if math.isfinite(value) else None}
    return out


def function_status(sim: Simulation, function: str) -> str:
    """Status of the layer an everyday function rests on (stops come from the lines)."""
    name = "lines" if function == "transit_stop" else f"facilities.{function}"
    layer = sim.region.layers.get(name)
    return layer.status if layer else "missing"


def summary_from_simulation(
    sim: Simulation, scenario_path: Path, scenario_text: str,
    changes: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """The content of ``summary.json`` (``changes``: :func:`basket_changes`, if known)."""
    info = sim.scenario.scenario
    final = sim.final
    status = data_status(sim)
    changes = basket_changes(sim) if changes is None else changes
    access = {
        f: {**final.access.measures[f], "data_status": function_status(sim, f)}
        for f in EVERYDAY_FUNCTIONS
    }
    years = {
        str(year): {
            "residents": float(state.residents.sum()),
            "jobs": float(state.jobs.sum()),
            "new_residents": float(state.growth.cells.new_residents.sum()),
            "new_dwellings": float(state.growth.cells.new_dwellings.sum()),
            "mode_shares": state.demand.mode_shares,
            "trips": state.demand.trips,
            "car_split": state.demand.car_split,
            "car_share_by_area": {a: v["car"] for a, v in state.demand.by_area.items()},
            "car_vkm": state.demand.car_vkm,
            "pt_pkm": state.demand.pt_pkm,
            "basket_share": state.access.basket_share,
            "access_share_within": state.access.share_within,
            "lines": [line.name for line in state.network.lines],
        }
        for year, state in sorted(sim.years.items())
    }
    inputs = {str(scenario_path): hashlib.sha256(scenario_text.encode()).hexdigest()}
    inputs.update(sim.region.inputs)
    demand = final.demand
    summary = {
        "scenario": {
            "name": info.name,
            "region": info.region,
            "description": info.description,
            "base_year": info.base_year,
            "target_years": info.target_years,
            "final_year": final.year,
        },
        "synthetic": status["synthetic"],
        "data_status": sim.region.data_status,
        "data_note": data_note(sim),
        "goals": sim.goals,
        "mode_shares": demand.mode_shares,
        "car_split": demand.car_split,
        "demand": {
            "year": demand.year,
            "trips": demand.trips,
            "car_vkm": demand.car_vkm,
            "pt_pkm": demand.pt_pkm,
            "pt_pkm_note": "in-vehicle distance = straight stop-to-stop distance × 1.15 [E]",
            "pt_boardings": demand.pt_boardings,
            "pt_lines": sim.line_loads,
            "by_purpose": demand.by_purpose,
            "by_area": demand.by_area,
            "trip_length_distribution": demand.length_distribution,
            "zone_size_m": sim.scenario.model.zone_size_m,
        },
        "calibration": sim.calibration,
        "elasticities": elasticity_check(sim),
        "access": access,
        "basket_share": final.access.basket_share,
        "basket": {
            "functions": list(EVERYDAY_FUNCTIONS),
            "groups": final.access.groups,
            "base_year": sim.base.access.groups["everyone"],
            "cells_gaining": int(changes.gains.sum()),
            "cells_losing": int(changes.loses.sum()),
        },
        "transit_access": final.access.transit,
        "years": years,
        "manifest": {
            "package": "baerum-sim",
            "version": __version__,
            "python": platform.python_version(),
            "inputs": dict(sorted(inputs.items())),
            "scenario_text": scenario_text,
            "seed": {"scenario": info.seed, "region": sim.region.seed},
            "data": status,
        },
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    return _clean(summary)


def basket_changes(sim: Simulation) -> pd.DataFrame:
    """Cells whose residents gain or lose the whole everyday basket, base → final year.

    Only cells with residents in the final year are listed.
    """
    base, final = sim.base.access.cells, sim.final.access.cells
    table = pd.DataFrame(
        {
            "cell_id": sim.region.cells.cell_id.to_numpy(),
            "x": sim.region.cells.x.to_numpy(),
            "y": sim.region.cells.y.to_numpy(),
            "residents_base": sim.base.residents,
            "residents_final": sim.final.residents,
            "n_within_base": base.n_within.to_numpy(),
            "n_within_final": final.n_within.to_numpy(),
            "basket_base": base.all_within.to_numpy(),
            "basket_final": final.all_within.to_numpy(),
            "network_status": ("synthetic" if sim.region.fully_synthetic
                               else final.network_status.to_numpy()),
        }
    )
    table["gains"] = table.basket_final & ~table.basket_base & (table.residents_final > 0)
    table["loses"] = table.basket_base & ~table.basket_final & (table.residents_final > 0)
    return table


def cells_frame(sim: Simulation) -> gpd.GeoDataFrame:
    """Per-cell layer of the final year: population, growth and walking access."""
    cells = sim.region.cells
    half = sim.region.cell_size_m / 2
    geom = shapely.box(cells.x - half, cells.y - half, cells.x + half, cells.y + half)
    final = sim.final
    frame = gpd.GeoDataFrame(
        {
            "cell_id": cells.cell_id.to_numpy(),
            "population_base": cells.population.to_numpy(),
            "new_residents": final.growth.cells.new_residents.to_numpy(),
            "residents": final.residents,
            "jobs": final.jobs,
            "zone": sim.zones.cell_zone,
        },
        geometry=geom,
        crs=CRS,
    )
    for column in final.access.cells.columns:
        frame[column] = final.access.cells[column].to_numpy()
    frame["data_status"] = ("synthetic" if sim.region.fully_synthetic
                            else final.access.cells.network_status.to_numpy())
    return frame


def write_results(
    sim: Simulation, out: Path, scenario_path: Path, scenario_text: str
) -> Path:
    """Write all results of ``sim`` into ``out``, atomically."""
    from sim.plots import (
        plot_access_cdf,
        plot_access_maps,
        plot_basket_change,
        plot_goal_dashboard,
        plot_mode_shares,
        plot_nullvekst_trajectory,
    )

    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent))
    try:
        changes = basket_changes(sim)
        summary = summary_from_simulation(sim, scenario_path, scenario_text, changes)
        write_json(summary, tmp / "summary.json")
        cells_frame(sim).to_file(tmp / "cells.gpkg", layer="cells", driver="GPKG")
        plot_access_maps(sim, tmp)
        plot_access_cdf(sim, tmp / "access_cdf.png")
        plot_basket_change(sim, changes, tmp / "basket_change.png")
        changes[changes.gains | changes.loses].to_csv(tmp / "basket_changes.csv", index=False,
                                                      float_format="%.6g")
        plot_mode_shares(summary, tmp / "mode_shares.png")
        plot_nullvekst_trajectory(summary, tmp / "nullvekst_trajectory.png")
        plot_goal_dashboard(summary, tmp / "goals.png")
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _replace_dir(new: Path, target: Path) -> None:
    """Move ``new`` to ``target``, replacing an earlier result only at the last moment."""
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        target.rename(old)
        new.rename(target)
        shutil.rmtree(old, ignore_errors=True)
    else:
        new.rename(target)


def write_json(data: dict[str, Any], path: Path) -> Path:
    """Write ``data`` as deterministic JSON (sorted keys, rounded floats), atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_text(json.dumps(_clean(data), indent=2, ensure_ascii=False, sort_keys=True) + "\n",
                   encoding="utf-8")
    tmp.replace(path)
    return path


def read_summary(result_dir: Path) -> dict[str, Any]:
    """Load ``summary.json`` from a results directory (:class:`InputError` if absent)."""
    from sim.errors import InputError

    path = Path(result_dir) / "summary.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: no summary.json; is {result_dir} a results directory?") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}: not valid JSON ({exc})") from None

