"""Finding region packs and their input files: the pack search path, a pack's merged
TOML files, and the input files (by alternatives) in the input directories."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import (
    ValidationError,
)

from sim._fs import REGION_NAME
from sim.errors import InputError
from sim.region.pack import RegionPack
from sim.settings import pack_search_path


def known_regions() -> list[str]:
    """Names of the region packs found, plus ``demo``."""
    names = {"demo"}
    for base in pack_search_path():
        if base.is_dir():
            names.update(p.parent.name for p in base.glob("*/pack.toml"))
    return sorted(names)


def pack_dir(name: str) -> Path:
    """Directory of region pack ``name``, looked up only in the pack search path.

    :class:`InputError` for a name that is not a plain region name (no paths) or that no
    pack has, listing the known ones.
    """
    if not REGION_NAME.fullmatch(name):
        raise InputError(f"{name[:120]!r}: not a region name (expected the name of a region "
                         "pack: lower-case letters, digits, _ and -)")
    for base in pack_search_path():
        candidate = base / name
        if (candidate / "pack.toml").is_file():
            return candidate
    raise InputError(f"unknown region {name!r} (known regions: {', '.join(known_regions())})")


def _merge(into: dict, new: dict, path: Path) -> None:
    for key, value in new.items():
        if key in into and isinstance(into[key], dict) and isinstance(value, dict):
            _merge(into[key], value, path)
        elif key in into and isinstance(into[key], list) and isinstance(value, list):
            into[key] = [*into[key], *value]
        elif key in into:
            raise InputError(f"{path}: {key}: defined in two pack files")
        else:
            into[key] = value


def load_pack(name: str) -> RegionPack:
    """Read and validate region pack ``name`` (all ``*.toml`` files of its directory)."""
    directory = pack_dir(name)
    raw: dict = {}
    for path in sorted(directory.glob("*.toml")):
        try:
            with path.open("rb") as fh:
                data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: not valid TOML ({exc})") from None
        _merge(raw, data, path)
    try:
        pack = RegionPack(**raw, directory=directory)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "pack"
        raise InputError(f"{directory}/*.toml: {loc}: {err['msg']}") from None
    return pack


def resolve_inputs(pack: RegionPack, sources: Path | list[Path]) -> dict[str, list[Path]]:
    """The input files of ``pack``: per input, the first alternative whose files all lie in
    one of ``sources`` (searched in order, alternative by alternative).

    Raises :class:`InputError` when a required input has no complete alternative.
    """
    dirs = [sources] if isinstance(sources, Path) else list(sources)
    found: dict[str, list[Path]] = {}
    for key in ("boundary", "population", "streets", "schools", "pois", "facilities", "gtfs",
                "neighbours", "kindergartens", "placenames"):
        alternatives = getattr(pack.inputs, key)
        for alt in alternatives:
            names = [alt] if isinstance(alt, str) else list(alt)
            candidates = ([d / n for n in names] for d in dirs)
            hit = next((paths for paths in candidates if all(p.is_file() for p in paths)), None)
            if hit is not None:
                found[key] = hit
                break
        else:
            if key not in pack.inputs.optional and alternatives:
                wanted = " | ".join(a if isinstance(a, str) else "+".join(a) for a in alternatives)
                where = " or ".join(str(d) for d in dirs) or "(no input directory)"
                raise InputError(f"{where}: missing {key} input file (expected one of: {wanted})")
    return {**found, **resolve_external_inputs(pack, dirs)}


def resolve_external_inputs(pack: RegionPack, dirs: list[Path]) -> dict[str, list[Path]]:
    """The ``[external.inputs]`` files found in ``dirs`` (searched in order), keyed
    ``external.<key>``.

    Raises :class:`InputError` naming the key when none of its alternatives exists.
    """
    if pack.external is None:
        return {}
    found: dict[str, list[Path]] = {}
    for key, alternatives in pack.external.inputs.items():
        paths = [d / name for name in alternatives for d in dirs if (d / name).is_file()]
        if not paths:
            where = " or ".join(str(d) for d in dirs) or "(no input directory)"
            raise InputError(f"{where}: missing external input {key!r} "
                             f"(expected one of: {' | '.join(alternatives)})")
        found[f"external.{key}"] = paths[:1]
    return found
