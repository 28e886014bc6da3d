"""Regions by name: the synthetic demo, or a region pack built into a cached bundle.

A pack's bundle is built from its inputs (``data import``), cached under the pack's
``cache/`` (or ``$BAERUM_SIM_CACHE/<name>/``) and keyed by the sha256 of all inputs and
pack files; :func:`load_region` rebuilds it when the key no longer matches.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sim import settings
from sim.errors import InputError
from sim.region import bundle as bundle_io
from sim.region.build import build_region
from sim.region.demo import demo_region
from sim.region.fetch import fetch_inputs
from sim.region.find import load_pack, resolve_inputs
from sim.region.model import Region
from sim.region.pack import RegionPack
from sim.region.synthetic import NAME as SYNTHETIC_NAME
from sim.region.synthetic import synthetic_region

log = logging.getLogger(__name__)

#: The built-in synthetic region (no pack, no inputs).
DEMO = "demo"


def region_cache_dir(pack: RegionPack) -> Path:
    """Where the bundle and the travel-time matrices of a pack's region are cached."""
    return settings.cache_dir(pack.region.name, pack.directory)


def input_dirs(pack: RegionPack) -> list[Path]:
    """Where a pack's inputs are looked for: ``<pack>/inputs/`` (written by ``data fetch``
    and ``region new``), then the shared data directory (``$BAERUM_SIM_DATA``)."""
    dirs = [pack.directory / "inputs", settings.shared_data_dir()]
    return [d for d in dirs if d is not None and d.is_dir()]


def _resolve(pack: RegionPack, source: Path | None) -> tuple[list[Path], dict[str, list[Path]]]:
    dirs = input_dirs(pack)
    if source is not None:  # --from replaces $BAERUM_SIM_DATA, not the pack's own inputs
        own = pack.directory / "inputs"
        dirs = ([own] if own.is_dir() else []) + [Path(source)]
    name = pack.region.name
    if not dirs:
        raise InputError(f"no input directory for region {name!r} (expected "
                         f"{pack.directory / 'inputs'}, $BAERUM_SIM_DATA or ../shared/data; "
                         f"run `baerum-sim data fetch {name}`)")
    for d in dirs:
        if not d.is_dir():
            raise InputError(f"{d}: input directory not found")
    return dirs, resolve_inputs(pack, dirs)


def import_region(name: str, source: Path | None = None, force: bool = False,
                  check_population: bool = True) -> Path:
    """Build the bundle of region ``name`` from ``source`` (default: :func:`input_dirs`).

    Skips the build when a bundle with the same cache key exists (unless ``force``).
    Returns the bundle directory. An error leaves an earlier bundle intact.
    """
    pack = load_pack(name)
    _, files = _resolve(pack, source)
    key = bundle_io.cache_key(files, pack.files)
    target = region_cache_dir(pack)
    bundle = target / bundle_io.BUNDLE_NAME
    manifest = bundle_io.read_manifest(bundle)
    if not force and manifest and manifest.get("key") == key:
        problem = bundle_io.bundle_problem(bundle, manifest)
        if problem is None:
            log.info("%s: bundle up to date (%s)", name, bundle)
            return bundle
        log.warning("warning: bundle of %s: %s; building it again", name, problem)
    region, info = build_region(pack, files, check_population)
    src = " + ".join(sorted({str(p.parent) for paths in files.values() for p in paths}))
    info["source_dir"] = src
    info["key"] = key
    out = bundle_io.write_bundle(region, info, {"key": key, "format": bundle_io.BUNDLE_FORMAT,
                                                "region": name, "source": src}, target)
    log.info("%s: bundle written to %s in %.1f s", name, out, info["import_seconds"])
    return out


def _ensure_bundle(name: str) -> Path:
    pack = load_pack(name)
    bundle = region_cache_dir(pack) / bundle_io.BUNDLE_NAME
    if not input_dirs(pack):
        manifest = bundle_io.read_manifest(bundle)
        problem = "no bundle" if manifest is None else bundle_io.bundle_problem(bundle, manifest)
        if problem is None:
            return bundle
        raise InputError(f"{bundle}: {problem}, and region {name!r} has no inputs to build "
                         f"it from (set BAERUM_SIM_DATA or run `baerum-sim data fetch {name}`)")
    return import_region(name)


def load_region(name: str) -> Region:
    """Region ``name``: the synthetic demo, a synthetic regional test region
    (``synthetic_<cells>``), or a pack's cached bundle (built when needed)."""
    if name == DEMO:
        return demo_region()
    if (match := SYNTHETIC_NAME.match(name)) is not None:
        return synthetic_region(int(match.group(1)))
    return bundle_io.load_bundle(_ensure_bundle(name))


def matrix_cache_dir(name: str) -> Path:
    """Where travel-time matrices of region ``name`` are cached (git-ignored)."""
    if name == DEMO or SYNTHETIC_NAME.match(name):
        return settings.cache_dir(name)
    return region_cache_dir(load_pack(name))


def region_info(name: str) -> dict[str, Any]:
    """What the bundle of region ``name`` holds (builds it when missing)."""
    return bundle_io.read_info(_ensure_bundle(name))


def fetch_region(name: str, dest: Path | None = None) -> Path:
    """Download the inputs of region ``name`` (needs internet); see :mod:`sim.region.fetch`.

    osmnx's HTTP cache goes to the region's cache directory."""
    pack = load_pack(name)
    return fetch_inputs(pack, dest or pack.directory / "inputs",
                        cache=region_cache_dir(pack) / "osmnx")
