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
from sim.model.skims import TravelTimes, travel_times_from_network
from sim.model.zones import Zones
from sim.params import ModelParams
from sim.region.model import Region

log = logging.getLogger(__name__)

_SIM = Path(__file__).resolve().parents[1]

#: Code that determines the matrices (files and packages); its text is part of the key.
_CODE = ("model/network.py", "model/skims.py", "model/zones.py", "graph", "domain.py",
         "params.py", "scenario/edits.py")


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
    digest.update(repr(state).encode())
    digest.update(zones.x.tobytes() + zones.y.tobytes() + "|".join(zones.kind).encode())
    params_json = params.model_dump_json(exclude={"asc_bike", "asc_pt", "asc_car_driver",
                                                  "asc_car_passenger", "destination_theta"})
    digest.update(params_json.encode())
    return digest.hexdigest()


def _load(path: Path) -> TravelTimes:
    with np.load(path, allow_pickle=False) as data:
        return TravelTimes(**{f.name: data[f.name] if data[f.name].ndim else
                              data[f.name].item() for f in fields(TravelTimes)})


def travel_times_cached(
    network: Network, zones: Zones, params: ModelParams, key: str, cache: Path | None
) -> TravelTimes:
    """:func:`travel_times_from_network`, stored as ``<cache>/matrices/<key>.npz``.

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
    tt = travel_times_from_network(network, zones.x, zones.y, zones.kind, params)
    if path is not None:
        save_checked(path, lambda tmp: np.savez(
            tmp, **{f.name: getattr(tt, f.name) for f in fields(TravelTimes)}))
    return tt
