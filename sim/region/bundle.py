"""The cached region bundle: write atomically, load fast, key by input and pack hashes.

Layout of ``<cache>/bundle/``: ``manifest.json`` (cache key), ``region.json`` (areas,
stops, lines, layers, calibration, boundary as WKB hex), ``streets.npz``, ``cells.csv``,
``facilities.csv``, ``external_zones.csv``, ``external_links.csv``, ``place_names.csv``
(map labels) and ``info.json`` (what ``data info`` shows).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, fields
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from sim._fs import atomic_dir, sha256_file
from sim.domain import CRS, Line, Stop, Streets
from sim.region.model import EXTERNAL_LINK_COLUMNS, EXTERNAL_ZONE_COLUMNS, Area, Layer, Region

#: Version of the bundle layout; part of the cache key.
BUNDLE_FORMAT = 5

BUNDLE_NAME = "bundle"

#: Files of a bundle whose checksums the manifest records.
BUNDLE_FILES = ("streets.npz", "cells.csv", "facilities.csv", "external_zones.csv",
                "external_links.csv", "place_names.csv",
                "region.json", "info.json")


def cache_key(inputs: dict[str, list[Path]], pack_files: Iterable[Path]) -> str:
    """sha256 over the bundle format, every input file and every pack file."""
    h = hashlib.sha256(f"format={BUNDLE_FORMAT}\n".encode())
    for key in sorted(inputs):
        for path in inputs[key]:
            h.update(f"{key}:{path.name}:{sha256_file(path)}\n".encode())
    for path in sorted(pack_files):
        h.update(f"pack:{path.name}:{sha256_file(path)}\n".encode())
    return h.hexdigest()


def read_manifest(bundle: Path) -> dict | None:
    """The manifest of a complete bundle, or None when there is none."""
    path = bundle / "manifest.json"
    if not path.is_file():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    return manifest if isinstance(manifest, dict) else None


def bundle_problem(bundle: Path, manifest: dict) -> str | None:
    """Why a bundle cannot be used: a file missing or not matching its recorded checksum
    (``None`` when every file is as written)."""
    files = manifest.get("files")
    if not isinstance(files, dict) or set(files) != set(BUNDLE_FILES):
        return "manifest lists no checksums"
    for name, digest in files.items():
        path = bundle / name
        if not path.is_file():
            return f"{name} missing"
        if sha256_file(path) != digest:
            return f"{name} changed since it was written"
    return None


def _json_default(obj: object) -> object:
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def _dump(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False, default=_json_default),
                    encoding="utf-8")


def write_bundle(region: Region, info: dict, manifest: dict, cache_dir: Path) -> Path:
    """Write ``region`` into ``cache_dir/bundle`` atomically; returns the bundle path.

    The files go to a temporary directory first, which replaces the old bundle only
    when complete, so a failure leaves an earlier bundle intact.
    """
    final = cache_dir / BUNDLE_NAME
    with atomic_dir(final, "bundle", force=True) as tmp:
        s = region.streets
        np.savez(tmp / "streets.npz", **{f.name: getattr(s, f.name) for f in fields(s)})
        region.cells.to_csv(tmp / "cells.csv", index=False)
        region.facilities.to_csv(tmp / "facilities.csv", index=False)
        region.external_zones.to_csv(tmp / "external_zones.csv", index=False)
        region.external_links.to_csv(tmp / "external_links.csv", index=False)
        region.place_names.to_csv(tmp / "place_names.csv", index=False)
        _dump(tmp / "region.json", {
            "name": region.name,
            "cell_size_m": region.cell_size_m,
            "base_year": region.base_year,
            "areas": [asdict(a) for a in region.areas],
            "stops": [asdict(s) for s in region.stops.values()],
            "lines": [asdict(line) for line in region.lines],
            "layers": {k: asdict(v) for k, v in region.layers.items()},
            "calibration": region.calibration,
            "walk_thresholds_m": region.walk_thresholds_m,
            "need_share": region.need_share,
            "places_per_facility": region.places_per_facility,
            "age_shares": region.age_shares,
            "age_note": region.age_note,
            "climate": region.climate,
            "inputs": region.inputs,
            "seed": region.seed,
            "crs": region.crs,
            "boundary_wkb": shapely.to_wkb(region.boundary, hex=True),
            "neighbours_wkb": {k: shapely.to_wkb(g, hex=True)
                               for k, g in region.neighbours.items()},
        })
        _dump(tmp / "info.json", info)
        files = {p.name: sha256_file(p) for p in sorted(tmp.iterdir()) if p.name in BUNDLE_FILES}
        # written last: marks completeness, and every file's checksum is checked on load
        _dump(tmp / "manifest.json", {**manifest, "files": files})
    return final


def load_bundle(bundle: Path) -> Region:
    """Load a region from a bundle directory written by :func:`write_bundle`."""
    meta = json.loads((bundle / "region.json").read_text(encoding="utf-8"))
    with np.load(bundle / "streets.npz") as npz:
        streets = Streets(**{f.name: npz[f.name] for f in fields(Streets) if f.name in npz})
    cells = pd.read_csv(bundle / "cells.csv", dtype={"cell_id": "int64"})
    facilities = pd.read_csv(bundle / "facilities.csv",
                             dtype={"category": str, "name": str, "status": str, "source": str,
                                    "kind": str})
    facilities["name"] = facilities["name"].fillna("")
    external = _read_table(bundle / "external_zones.csv", EXTERNAL_ZONE_COLUMNS)
    links = _read_table(bundle / "external_links.csv", EXTERNAL_LINK_COLUMNS)
    return Region(
        name=meta["name"],
        streets=streets,
        cells=cells,
        cell_size_m=float(meta["cell_size_m"]),
        areas=tuple(Area(**a) for a in meta["areas"]),
        stops={s["name"]: Stop(**s) for s in meta["stops"]},
        lines=tuple(Line(**{**ln, "stops": tuple(ln["stops"]),
                            "run_times_min": tuple(ln["run_times_min"])})
                    for ln in meta["lines"]),
        facilities=facilities,
        boundary=shapely.from_wkb(meta["boundary_wkb"]),
        layers={k: Layer(**v) for k, v in meta["layers"].items()},
        base_year=int(meta["base_year"]),
        calibration=meta["calibration"],
        walk_thresholds_m=meta["walk_thresholds_m"],
        need_share=meta["need_share"],
        places_per_facility=meta["places_per_facility"],
        age_shares=meta.get("age_shares", {}),
        age_note=meta.get("age_note", ""),
        climate=_climate(meta.get("climate", {})),
        place_names=pd.read_csv(bundle / "place_names.csv", dtype={"name": str, "kind": str}),
        external_zones=external,
        external_links=links,
        inputs=meta["inputs"],
        seed=meta["seed"],
        neighbours={k: shapely.from_wkb(v) for k, v in meta.get("neighbours_wkb", {}).items()},
        crs=meta.get("crs", CRS),
    )


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """A CSV table of the bundle with its columns (empty when the file has no rows)."""
    try:
        table = pd.read_csv(path, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError:
        table = pd.DataFrame()
    return table.reindex(columns=list(columns))


def _climate(climate: dict) -> dict:
    """Climate facts as written, with the years of the electrification path as ints again."""
    if "electric_share" in climate:
        climate = {**climate, "electric_share": {int(y): float(v) for y, v in
                                                 climate["electric_share"].items()}}
    return climate


def read_info(bundle: Path) -> dict:
    """The ``info.json`` of a bundle."""
    return json.loads((bundle / "info.json").read_text(encoding="utf-8"))
