"""Disk cache of travel-time matrices, keyed by a hash of everything they depend on.

The key covers the code of the model and path engine, the region's street arrays and
inputs, the network state (lines and street edits in force), the zones and the model
parameters; a change of any of them computes the matrices anew.
"""

from __future__ import annotations

import hashlib
import logging
import zipfile
from dataclasses import fields
from pathlib import Path

import numpy as np

from sim._fs import checked, discard, save_checked
from sim.model.network import Network
from sim.model.skims import Skims, TravelTimes, skims_from_network
from sim.model.zones import Zones
from sim.params import ModelParams
from sim.region.model import Region
from sim.vocab import Period

log = logging.getLogger(__name__)

_SIM = Path(__file__).resolve().parents[1]

#: Code that determines the matrices (files and packages); its text is part of the key.
_CODE = ("model/network.py", "model/transit.py", "model/skims.py", "model/zones.py", "graph",
         "domain.py", "params.py", "scenario/edits.py", "region/external.py")


def _code_files() -> list[Path]:
    files: list[Path] = []
    for name in _CODE:
        path = _SIM / name
        files += sorted(path.glob("*.py")) if path.is_dir() else [path]
    return files


def matrix_cache_key(region: Region, state: tuple, zones: Zones, params: ModelParams) -> str:
    """sha256 of everything the matrices depend on: code, inputs, network state, zones."""
    digest = hashlib.sha256()
    for path in _code_files():
        digest.update(path.read_bytes())
    digest.update(repr((region.name, region.seed, sorted(region.inputs.items()))).encode())
    streets = region.streets
    for f in fields(streets):
        digest.update(np.ascontiguousarray(getattr(streets, f.name)).tobytes())
    digest.update(region.external_zones.to_csv(index=False).encode())
    digest.update(region.external_links.to_csv(index=False).encode())
    digest.update(repr(state).encode())
    digest.update(zones.x.tobytes() + zones.y.tobytes() + "|".join(zones.kind).encode())
    params_json = params.model_dump_json(exclude={
        "asc_bike", "asc_pt", "asc_car", "destination_theta", "purposes", "beta_cost_per_nok",
        "car_cost_nok_per_km", "pt_fare_nok", "peak_trip_share"})
    digest.update(params_json.encode())
    return digest.hexdigest()


_PERIODS: tuple[Period, ...] = ("peak", "offpeak")


def _load(path: Path) -> Skims:
    names = [f.name for f in fields(TravelTimes)]
    with np.load(path, allow_pickle=False) as data:
        return Skims(**{period: TravelTimes(**{
            name: data[f"{period}.{name}"] if data[f"{period}.{name}"].ndim else
            data[f"{period}.{name}"].item() for name in names}) for period in _PERIODS})


def skims_cached(
    network: Network, zones: Zones, params: ModelParams, key: str, cache: Path | None
) -> Skims:
    """:func:`skims_from_network`, stored as ``<cache>/matrices/<key>.npz``.

    A cached file is used only when its key (see :func:`matrix_cache_key`) matches and
    its recorded checksum holds; a missing, corrupt or mismatched file is reported once
    as a warning and computed again.
    """
    path = None if cache is None else cache / "matrices" / f"{key}.npz"
    if path is not None and path.is_file():
        problem = checked(path)
        if problem is None:
            try:
                return _load(path)
            except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
                problem = f"unreadable ({type(exc).__name__})"
        log.warning("warning: cached travel times %s: %s; computing them again", path.name,
                    problem)
        discard(path)
    skims = skims_from_network(network, zones.x, zones.y, zones.kind, params)
    if path is not None:
        names = [f.name for f in fields(TravelTimes)]
        save_checked(path, lambda tmp: np.savez(
            tmp, **{f"{period}.{name}": getattr(skims.period(period), name)
                    for period in _PERIODS for name in names}))
    return skims
