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
from sim._fs import atomic_dir, sha256_file, sha256_text, write_json
from sim.errors import InputError
from sim.graph.warmup import warm_kernels
from sim.model.simulation import calibration_for_region, simulate, skim_source
from sim.model.zones import zones_from_cells
from sim.output.compare import compare_results
from sim.output.diff import Difference, diff_summaries
from sim.output.report import load_results, write_report
from sim.output.result import write_result
from sim.output.summary import VOLATILE_KEYS, Summary, read_summary
from sim.output.sweep_section import is_sweep_dir, read_sweep_summary, write_sweep_report
from sim.region.load import fetch_region, import_region, load_region, matrix_cache_dir
from sim.region.load import region_info as _region_info
from sim.region.model import Region
from sim.scenario.schema import Scenario, ScenarioInfo, scenario_from_text, scenario_text
from sim.sweep import SweepRun, run_sweep, sweep_from_file

log = logging.getLogger(__name__)

#: Manifest fields that describe the software environment; a change is warned about,
#: not counted as a difference in the numbers.
ENVIRONMENT_KEYS = ("manifest.version", "manifest.python")


def load_scenario(path: Path, text: str | None = None) -> tuple[Scenario, Region, str]:
    """Read, validate and check a scenario against its region: ``(scenario, region, text)``."""
    text = scenario_text(path) if text is None else text
    scenario = scenario_from_text(text, path)
    region = load_region(scenario.scenario.region)
    scenario.check_against(region, path)
    return scenario, region, text


def validate_scenario(path: Path) -> tuple[Scenario, Region]:
    """Everything ``run`` checks before simulating; raises :class:`InputError` when bad."""
    scenario, region, _ = load_scenario(path)
    return scenario, region


def _simulate_and_write(scenario: Scenario, region: Region, out: Path, label: Path,
                        text: str) -> Summary:
    zones = zones_from_cells(region, scenario.model.zone_size_m)
    skims = skim_source(region, zones, scenario.model, matrix_cache_dir(region.name))
    simulation = simulate(region, scenario, skims)
    return write_result(simulation, out, scenario_path=label, scenario_text=text)


def run_scenario(path: Path, out: Path | None = None) -> Path:
    """Validate, simulate and write the results of the scenario file at ``path``.

    Returns the results directory (default ``results/<scenario name>/``). Results are
    written to a temporary directory and moved into place only when complete.
    """
    scenario, region, text = load_scenario(path)
    out_dir = Path(out) if out is not None else settings.RESULTS_DIR / scenario.scenario.name
    _simulate_and_write(scenario, region, out_dir, path, text)
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
    for name, digest in manifest.inputs.items():
        path = Path(name)
        if path.is_file() and sha256_file(path) != digest:
            warnings.append(f"warning: input {name} changed since the run "
                            f"(sha256 {digest[:12]}… → {sha256_file(path)[:12]}…)")
    return warnings


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


def rerun(result_dir: Path, out: Path | None = None) -> RerunReport:
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
        new = _simulate_and_write(scenario, region, target, Path(label), text)
    diffs = diff_summaries(old.to_json_dict(), new.to_json_dict(),
                           ignore=(*VOLATILE_KEYS, *ENVIRONMENT_KEYS))
    return RerunReport(result_dir, manifest_warnings(old), diffs)


# --- compare and report -------------------------------------------------------------------


def compare(result_dirs: list[Path], out: Path | None = None) -> Path:
    """Compare results (the first is the reference); default ``results/compare_<names>/``."""
    if out is None:
        names = [read_summary(Path(d)).scenario.name for d in result_dirs]
        out = settings.RESULTS_DIR / ("compare_" + "_vs_".join(names))
    return compare_results([Path(d) for d in result_dirs], out)


def report(result_dirs: list[Path], out: Path | None = None) -> Path:
    """HTML and Markdown report of results, with a comparison when they share a region.

    ``out`` is a directory (default ``results/report_<names>/``); returns the HTML file.
    """
    if out is not None and Path(out).suffix.lower() in (".html", ".htm"):
        raise InputError(f"{out}: --out is a directory (the report is written as "
                         f"{Path(out).with_suffix('')}/report.html)")
    if len(result_dirs) == 1 and is_sweep_dir(Path(result_dirs[0])):
        return sweep_report(Path(result_dirs[0]), out)
    results = load_results([Path(d) for d in result_dirs])
    if out is None:
        out = settings.RESULTS_DIR / ("report_" + "_vs_".join(r.key for r in results))
    out = Path(out)
    same_region = len({r.summary.scenario.region for r in results}) == 1
    date = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with atomic_dir(out) as tmp:
        compare_dir = None
        if len(results) >= 2 and same_region:
            compare_dir = compare_results([r.path for r in results],
                                          tmp / "report_files" / "compare")
        write_report(results, tmp, date, compare_dir)
    return out / "report.html"


# --- sweeps ------------------------------------------------------------------------------


def sweep(spec_path: Path, out: Path | None = None, scheduler: str | None = None,
          workers: int | None = None, serial: bool = False) -> SweepRun:
    """Run (or resume) the ensemble in a sweep file; default ``results/sweep_<name>/``.

    Members run on Dask: a local cluster of ``workers`` processes (default one per
    core), the cluster at ``scheduler`` (``tcp://HOST:PORT``), or in this process
    (``serial``).
    """
    if scheduler is not None and (serial or workers is not None):
        raise InputError("--scheduler runs on that cluster's workers: drop --serial/--workers")
    if workers is not None and workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    spec_path = Path(spec_path)
    if out is None:
        out = settings.RESULTS_DIR / f"sweep_{sweep_from_file(spec_path).sweep.name}"
    return run_sweep(spec_path, Path(out), scheduler=scheduler, workers=workers, serial=serial)


def warmup() -> dict[str, float]:
    """Compile (or load from cache) every path kernel once; seconds per kernel."""
    return warm_kernels()


def sweep_report(sweep_dir: Path, out: Path | None = None) -> Path:
    """HTML and Markdown report of a sweep (default ``results/report_sweep_<name>/``)."""
    name = read_sweep_summary(sweep_dir).name
    out = Path(out) if out is not None else settings.RESULTS_DIR / f"report_sweep_{name}"
    date = datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    with atomic_dir(out) as tmp:
        write_sweep_report(sweep_dir, tmp, date)
    return out / "report.html"


# --- region data -------------------------------------------------------------------------


def data_import(region: str, source: Path | None) -> Path:
    """Build (or confirm) the bundle of a region pack; returns the bundle directory."""
    return import_region(region, source)


def data_fetch(region: str) -> Path:
    """Download a region's inputs (needs internet); returns the input directory."""
    return fetch_region(region)


def region_info(region: str) -> dict[str, Any]:
    """What the bundle of a region holds, layer by layer."""
    return _region_info(region)
