"""Reproduce a result from its manifest and check that the numbers match.

The scenario text comes from ``manifest.scenario_text``; the rerun records it under the
original scenario path, so ``manifest.inputs`` of old and new result agree.
"""

from __future__ import annotations

import platform
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim import __version__
from sim.errors import InputError
from sim.results import VOLATILE_KEYS, read_summary, sha256_file
from sim.scenario import sha256_text

#: Manifest fields that describe the software environment; a change is warned about,
#: not counted as a difference in the numbers.
ENVIRONMENT_KEYS = ("manifest.version", "manifest.python")


@dataclass(frozen=True)
class Difference:
    """One key whose value differs between two summaries (``MISSING`` when absent)."""

    key: str
    old: Any
    new: Any

    def __str__(self) -> str:
        old, new = _format_pair(self.old, self.new)
        return f"{self.key}: {old} → {new}"


MISSING = object()


def _format_pair(old: Any, new: Any) -> tuple[str, str]:
    """Short forms of two values, with just enough digits to tell floats apart."""
    if isinstance(old, float) and isinstance(new, float):
        for digits in range(4, 18):
            a, b = f"{old:.{digits}g}", f"{new:.{digits}g}"
            if a != b:
                return a, b
        return repr(old), repr(new)
    return _short(old), _short(new)


def _short(value: Any) -> str:
    if value is MISSING:
        return "(missing)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def diff_summaries(old: Any, new: Any, prefix: str = "",
                   ignore: tuple[str, ...] = VOLATILE_KEYS) -> list[Difference]:
    """Differences between two summaries, by dotted key (list items as ``key[i]``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        diffs = []
        for k in sorted(set(old) | set(new), key=str):
            key = f"{prefix}.{k}" if prefix else str(k)
            if key in ignore:
                continue
            diffs += diff_summaries(old.get(k, MISSING), new.get(k, MISSING), key, ignore)
        return diffs
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        diffs = []
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            diffs += diff_summaries(a, b, f"{prefix}[{i}]", ignore)
        return diffs
    if type(old) is not type(new) or old != new:
        return [Difference(prefix, old, new)]
    return []


def manifest_warnings(summary: dict[str, Any]) -> list[str]:
    """Package/Python version changes and input files whose sha256 changed since the run."""
    manifest = summary.get("manifest", {})
    warnings = []
    version = manifest.get("version")
    if version != __version__:
        warnings.append(f"warning: result made with baerum-sim {version}, "
                        f"running {__version__}")
    python = manifest.get("python")
    if python and python != platform.python_version():
        warnings.append(f"warning: result made with Python {python}, "
                        f"running {platform.python_version()}")
    for name, digest in manifest.get("inputs", {}).items():
        path = Path(name)
        if path.is_file() and sha256_file(path) != digest:
            warnings.append(f"warning: input {name} changed since the run "
                            f"(sha256 {digest[:12]}… → {sha256_file(path)[:12]}…)")
    return warnings


def scenario_label(summary: dict[str, Any], where: Path) -> tuple[str, str]:
    """``(scenario text, recorded scenario path)`` from a summary's manifest."""
    manifest = summary.get("manifest")
    text = manifest.get("scenario_text") if isinstance(manifest, dict) else None
    if not isinstance(text, str):
        raise InputError(f"{where}: manifest.scenario_text missing; cannot rerun")
    digest = sha256_text(text)
    for name, recorded in manifest.get("inputs", {}).items():
        if recorded == digest:
            return text, name
    raise InputError(f"{where}: no manifest.inputs entry matches manifest.scenario_text")


def rerun_into(summary: dict[str, Any], where: Path, out: Path, quiet: bool = True) -> Path:
    """Run the manifest's scenario again into ``out``, recorded under its original path."""
    from sim.pipeline import simulate
    from sim.regions import load_region
    from sim.results import write_results
    from sim.scenario import scenario_from_text

    text, label = scenario_label(summary, where)
    path = Path(label)
    scenario = scenario_from_text(text, path)
    region = load_region(scenario.scenario.region, quiet=quiet)
    scenario.check_against(region, path)
    simulation = simulate(region, scenario, quiet=quiet)
    return write_results(simulation, out, scenario_path=path, scenario_text=text)


def rerun(result_dir: Path, out: Path | None = None, quiet: bool = True) -> int:
    """Reproduce ``result_dir`` and compare; prints the verdict, returns the exit code.

    0 when the new ``summary.json`` equals the old one (ignoring
    :data:`sim.results.VOLATILE_KEYS` and the software versions, which are warned
    about); 1 with the differing keys otherwise.
    """
    result_dir = Path(result_dir)
    if not result_dir.is_dir():
        raise InputError(f"{result_dir}: results directory not found")
    if out is not None and Path(out).resolve() == result_dir.resolve():
        raise InputError(f"{out}: --out must not be the result being checked")
    old = read_summary(result_dir)
    if not isinstance(old, dict) or not isinstance(old.get("manifest"), dict):
        raise InputError(f"{result_dir / 'summary.json'}: no manifest; cannot rerun")
    for line in manifest_warnings(old):
        print(line, file=sys.stderr)
    if out is not None:
        new_dir = rerun_into(old, result_dir / "summary.json", Path(out), quiet=quiet)
        new = read_summary(new_dir)
    else:
        with tempfile.TemporaryDirectory(prefix="baerum-sim-rerun.") as tmp:
            new_dir = rerun_into(old, result_dir / "summary.json", Path(tmp) / "result",
                                 quiet=quiet)
            new = read_summary(new_dir)
    diffs = diff_summaries(old, new, ignore=(*VOLATILE_KEYS, *ENVIRONMENT_KEYS))
    if not diffs:
        print(f"{result_dir}: rerun reproduces summary.json; the numbers match")
        return 0
    print(f"{result_dir}: rerun differs in {len(diffs)} key(s):")
    for d in diffs[:20]:
        print(f"  {d}")
    if len(diffs) > 20:
        print(f"  … and {len(diffs) - 20} more")
    return 1
