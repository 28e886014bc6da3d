"""The application: one load → simulate → write flow per command, no printing.

Each function here is what a CLI command does; :mod:`sim.cli` parses arguments, calls
one of them and prints what it returns. Bad input raises :class:`InputError`.
"""

from __future__ import annotations

import logging
import platform
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sim import __version__, settings
from sim._fs import (
    MARKER,
    atomic_dir,
    check_replaceable,
    check_writable,
    sha256_file,
    sha256_text,
    write_json,
)
from sim.errors import InputError
from sim.graph.warmup import warm_kernels
from sim.model.growth import region_for_scenario
from sim.model.simulation import calibration_for_region, simulate, skim_source
from sim.model.zones import zones_from_cells
from sim.output.compare import compare_results
from sim.output.diff import Difference, diff_summaries
from sim.output.report import load_results, write_report
from sim.output.result import write_result
from sim.output.summary import VOLATILE_KEYS, Summary, read_summary
from sim.output.sweep_section import is_sweep_dir, read_sweep_summary, write_sweep_report
from sim.output.template import write_template
from sim.readers.growth import growth_features_from_file
from sim.readers.scenario_gis import read_gis_layer
from sim.region.export import export_region
from sim.region.find import known_regions
from sim.region.load import fetch_region, import_region, load_region, matrix_cache_dir
from sim.region.load import region_info as _region_info
from sim.region.model import Region
from sim.region.new import new_region
from sim.region.synthetic import NAME as SYNTHETIC_NAME
from sim.scenario.entries import ScenarioInfo
from sim.scenario.gis import scenario_with_layers
from sim.scenario.schema import Scenario, scenario_from_text, scenario_text
from sim.sweep import SweepRun, run_sweep, sweep_from_file
from sim.sweep.run import STORE

log = logging.getLogger(__name__)

#: Manifest fields that describe the software environment; a change is warned about,
#: not counted as a difference in the numbers.
ENVIRONMENT_KEYS = ("manifest.version", "manifest.python")


def with_growth_layers(scenario: Scenario, path: Path) -> Scenario:
    """The scenario with the features of its ``[[growth_layer]]`` files as placements.

    Layer paths are relative to the scenario file ``path``; their hashes join the
    scenario's input files (and so the result's manifest).
    """
    for entry in scenario.growth_layer:
        file = Path(entry.path)
        if not file.is_absolute():
            file = Path(path).parent / file
        where = f"{file} (layer {entry.layer})" if entry.layer else str(file)
        features = growth_features_from_file(file, entry.layer,
                                             [entry.from_year, entry.to_year],
                                             [entry.dwellings, entry.jobs])
        scenario = scenario.with_layer_features(entry, where, features, str(file),
                                                sha256_file(file))
    return scenario


def load_scenario(path: Path, text: str | None = None) -> tuple[Scenario, Region, str]:
    """Read, validate and check a scenario against its region: ``(scenario, region, text)``.

    Features of the GeoPackage named in ``[gis]`` become scenario entries first.
    """
    text = scenario_text(path) if text is None else text
    scenario = with_growth_layers(scenario_from_text(text, path), path)
    name = scenario.scenario.region
    if name not in known_regions() and not SYNTHETIC_NAME.fullmatch(name):
        raise InputError(f"{path}: scenario.region: unknown region {name!r} (known regions: "
                         f"{', '.join(known_regions())})")
    region = load_region(name)
    if scenario.gis is not None:
        gpkg = gis_file(scenario, path)
        roles = {"lines": scenario.gis.lines, "stops": scenario.gis.stops,
                 "facilities": scenario.gis.facilities}
        frames = {role: read_gis_layer(gpkg, layer) for role, layer in roles.items() if layer}
        scenario = scenario_with_layers(scenario, frames, gpkg, set(region.stops))
    scenario.check_against(region, path)
    return scenario, region, text


def gis_file(scenario: Scenario, path: Path) -> Path:
    """The GeoPackage of a scenario's ``[gis]`` table, relative to the scenario file."""
    assert scenario.gis is not None
    return (Path(path).parent / scenario.gis.file).resolve()


def scenario_template(out: Path) -> Path:
    """Write the empty, typed GeoPackage a planner draws a scenario in."""
    if Path(out).suffix.lower() != ".gpkg":
        raise InputError(f"{out}: the template is a GeoPackage; give a name ending in .gpkg")
    return write_template(Path(out))


def validate_scenario(path: Path) -> tuple[Scenario, Region]:
    """Everything ``run`` checks before simulating; raises :class:`InputError` when bad."""
    scenario, region, _ = load_scenario(path)
    return scenario, region


def _simulate_and_write(scenario: Scenario, region: Region, out: Path, label: Path,
                        text: str, force: bool = False,
                        inputs: tuple[Path, ...] = ()) -> Summary:
    check_replaceable(out, force, inputs)  # before the long part, not after
    check_writable(out)
    region = region_for_scenario(region, scenario)  # new development cells, if any
    zones = zones_from_cells(region, scenario.model.zone_size_m)
    skims = skim_source(region, zones, scenario.model, matrix_cache_dir(region.name))
    simulation = simulate(region, scenario, skims)
    extra = {}
    if scenario.gis is not None:
        gpkg = gis_file(scenario, label)
        extra[str(gpkg)] = sha256_file(gpkg)
    return write_result(simulation, out, scenario_path=label, scenario_text=text, force=force,
                        inputs=inputs, extra_inputs=extra)


def run_scenario(path: Path, out: Path | None = None, force: bool = False) -> Path:
    """Validate, simulate and write the results of the scenario file at ``path``.

    Returns the results directory (default ``results/<scenario name>/``). Results are
    written to a temporary directory and moved into place only when complete; an
    existing directory is replaced only when it is an earlier result (or with ``force``).
    """
    scenario, region, text = load_scenario(path)
    out_dir = Path(out) if out is not None else settings.RESULTS_DIR / scenario.scenario.name
    _simulate_and_write(scenario, region, out_dir, path, text, force, inputs=(path,))
    return out_dir


def calibrate(region_name: str, scenario_path: Path | None, out: Path | None
              ) -> tuple[dict[str, Any], Path]:
    """Calibrate the mode choice of a region and write the fit; returns ``(fit, path)``."""
    region = load_region(region_name)
    if scenario_path is not None:
        scenario, _, _ = load_scenario(scenario_path)
    else:
        info = ScenarioInfo(name="calibration", region=region_name, base_year=region.base_year,
                            target_years=[region.base_year])
        scenario = Scenario(scenario=info)
    result = calibration_for_region(region, scenario, matrix_cache_dir(region.name))
    path = out if out is not None else settings.RESULTS_DIR / f"calibration_{region.name}.json"
    write_json(result, path)
    return result, path


# --- rerun ------------------------------------------------------------------------------


def manifest_warnings(summary: Summary) -> list[str]:
    """Package/Python version changes and input files whose sha256 changed since the run."""
    manifest = summary.manifest
    warnings = []
    if manifest.version != __version__:
        warnings.append(f"warning: result made with baerum-sim {manifest.version}, "
                        f"running {__version__}")
    if manifest.python != platform.python_version():
        warnings.append(f"warning: result made with Python {manifest.python}, "
                        f"running {platform.python_version()}")
    label = _recorded_scenario_file(summary)
    if label is not None and sha256_file(label) != manifest.inputs[str(label)]:
        warnings.append(f"warning: scenario file {label} changed since the run (the rerun "
                        "uses the text recorded in the manifest)")
    return warnings


#: Largest scenario file ``rerun`` hashes to warn about changes (bytes).
_MAX_SCENARIO_BYTES = 1 << 20


def _recorded_scenario_file(summary: Summary) -> Path | None:
    """The scenario file a result was made from, when it still exists as an ordinary TOML
    file below the working directory; only that file is opened, whatever else a
    (possibly tampered) manifest names."""
    text, name = summary.manifest.scenario_text, None
    for recorded, digest in summary.manifest.inputs.items():
        if digest == sha256_text(text):
            name = recorded
    if name is None:
        return None
    path = Path(name)
    here = Path.cwd().resolve()
    try:
        inside = path.resolve().is_relative_to(here)
    except (OSError, RuntimeError):
        return None
    if (not inside or path.suffix != ".toml" or not path.is_file() or path.is_symlink()
            or path.stat().st_size > _MAX_SCENARIO_BYTES):
        return None
    return path


def scenario_label(summary: Summary, where: Path) -> tuple[str, str]:
    """``(scenario text, recorded scenario path)`` from a summary's manifest."""
    text = summary.manifest.scenario_text
    digest = sha256_text(text)
    for name, recorded in summary.manifest.inputs.items():
        if recorded == digest:
            return text, name
    raise InputError(f"{where}: no manifest.inputs entry matches manifest.scenario_text")


@dataclass(frozen=True)
class RerunReport:
    """What ``rerun`` found: warnings about the environment and the differing keys."""

    result_dir: Path
    warnings: list[str]
    differences: list[Difference]


def rerun(result_dir: Path, out: Path | None = None, force: bool = False) -> RerunReport:
    """Run the scenario recorded in ``result_dir`` again and compare the summaries.

    The new result goes to ``out`` (default: a temporary directory, removed after).
    Volatile keys and the software versions (warned about) are not differences.
    """
    result_dir = Path(result_dir)
    if not result_dir.is_dir():
        raise InputError(f"{result_dir}: results directory not found")
    if out is not None and Path(out).resolve() == result_dir.resolve():
        raise InputError(f"{out}: --out must not be the result being checked")
    old = read_summary(result_dir)
    text, label = scenario_label(old, result_dir / "summary.json")
    scenario, region, _ = load_scenario(Path(label), text)
    with tempfile.TemporaryDirectory(prefix="baerum-sim-rerun.") as tmp:
        target = Path(out) if out is not None else Path(tmp) / "result"
        new = _simulate_and_write(scenario, region, target, Path(label), text, force,
                                  inputs=(result_dir,))
    diffs = diff_summaries(old.to_json_dict(), new.to_json_dict(),
                           ignore=(*VOLATILE_KEYS, *ENVIRONMENT_KEYS))
    return RerunReport(result_dir, manifest_warnings(old), diffs)


# --- compare and report -------------------------------------------------------------------


def compare(result_dirs: list[Path], out: Path | None = None, force: bool = False) -> Path:
    """Compare results (the first is the reference); default ``results/compare_<names>/``."""
    if out is None:
        names = [read_summary(Path(d)).scenario.name for d in result_dirs]
        out = settings.RESULTS_DIR / _joined_name("compare_", names)
    return compare_results([Path(d) for d in result_dirs], out, force)


def _joined_name(prefix: str, names: list[str]) -> str:
    """A directory name from several result names (shortened with a hash when long)."""
    name = prefix + "_vs_".join(names)
    return name if len(name) <= 100 else f"{name[:80]}_{sha256_text(name)[:12]}"


def report(result_dirs: list[Path], out: Path | None = None, force: bool = False) -> Path:
    """HTML and Markdown report of results, with a comparison when they share a region.

    ``out`` is a directory (default ``results/report_<names>/``); returns the HTML file.
    """
    if out is not None and Path(out).suffix.lower() in (".html", ".htm"):
        raise InputError(f"{out}: --out is a directory (the report is written as "
                         f"{Path(out).with_suffix('')}/report.html)")
    if len(result_dirs) == 1 and is_sweep_dir(Path(result_dirs[0])):
        return sweep_report(Path(result_dirs[0]), out, force)
    results = load_results([Path(d) for d in result_dirs])
    if out is None:
        out = settings.RESULTS_DIR / _joined_name("report_", [r.key for r in results])
    out = Path(out)
    same_region = len({r.summary.scenario.region for r in results}) == 1
    date = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with atomic_dir(out, "report", force, inputs=tuple(r.path for r in results)) as tmp:
        compare_dir = None
        if len(results) >= 2 and same_region:
            compare_dir = compare_results([r.path for r in results],
                                          tmp / "report_files" / "compare")
        write_report(results, tmp, date, compare_dir)
    return out / "report.html"


# --- sweeps ------------------------------------------------------------------------------


def sweep(spec_path: Path, out: Path | None = None, scheduler: str | None = None,
          workers: int | None = None, serial: bool = False, force: bool = False) -> SweepRun:
    """Run (or resume) the ensemble in a sweep file; default ``results/sweep_<name>/``.

    Members run on Dask: a local cluster of ``workers`` processes (default one per
    core), the cluster at ``scheduler`` (``tcp://HOST:PORT``), or in this process
    (``serial``). ``out`` is written in place (finished members are kept, so a killed
    sweep resumes); it must be new or a directory baerum-sim made.
    """
    if scheduler is not None and (serial or workers is not None):
        raise InputError("--scheduler runs on that cluster's workers: drop --serial/--workers")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    spec_path = Path(spec_path)
    if out is None:
        out = settings.RESULTS_DIR / f"sweep_{sweep_from_file(spec_path).sweep.name}"
    out = Path(out)
    # a sweep directory (finished members in it) is resumed, not replaced
    check_replaceable(out, force or (out / STORE).is_dir(), (spec_path,))
    check_writable(out)
    out.mkdir(parents=True, exist_ok=True)
    if not (out / MARKER).exists():
        write_json({"kind": "sweep"}, out / MARKER)
    return run_sweep(spec_path, Path(out), scheduler=scheduler, workers=workers, serial=serial)


def warmup() -> dict[str, float]:
    """Compile (or load from cache) every path kernel once; seconds per kernel."""
    return warm_kernels()


def sweep_report(sweep_dir: Path, out: Path | None = None, force: bool = False) -> Path:
    """HTML and Markdown report of a sweep (default ``results/report_sweep_<name>/``)."""
    name = read_sweep_summary(sweep_dir).name
    out = Path(out) if out is not None else settings.RESULTS_DIR / f"report_sweep_{name}"
    date = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with atomic_dir(out, "report", force, inputs=(Path(sweep_dir),)) as tmp:
        write_sweep_report(sweep_dir, tmp, date)
    return out / "report.html"


# --- region data -------------------------------------------------------------------------


def data_import(region: str, source: Path | None, check_population: bool = True) -> Path:
    """Build (or confirm) the bundle of a region pack; returns the bundle directory."""
    return import_region(region, source, check_population=check_population)


def data_fetch(region: str) -> Path:
    """Download a region's inputs (needs internet); returns the input directory."""
    return fetch_region(region)


def region_info(region: str) -> dict[str, Any]:
    """What the bundle of a region holds, layer by layer."""
    return _region_info(region)


def data_export(region: str, out: Path, fmt: str = "gpkg") -> Path:
    """Write a region's street layers and facilities to ``out`` (GeoPackage or GraphML)."""
    return export_region(load_region(region), out, fmt)


def region_new(name: str, kommune: str | None, boundary: Path | None,
               source: Path | None, dest: Path | None) -> Path:
    """Write the pack skeleton of a new region; returns the pack directory."""
    return new_region(name, kommune, boundary, [source] if source else None, dest)
