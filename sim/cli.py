"""Command-line interface: ``baerum-sim`` (also ``python -m sim``).

The only module that prints. Every command turns :class:`sim.errors.InputError` into
one line on stderr and exit code 2, without a traceback; ``--quiet`` sets the log
level so that progress is not shown.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sim import __version__, app
from sim.errors import InputError


def _cmd_run(args: argparse.Namespace) -> int:
    out = app.run_scenario(Path(args.scenario), out=args.out, force=args.force)
    if not args.quiet:
        print(f"results written to {out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    scenario, region = app.validate_scenario(Path(args.scenario))
    print(f"{args.scenario}: ok (scenario {scenario.scenario.name!r}, region {region.name!r})")
    return 0


def _cmd_scenario_template(args: argparse.Namespace) -> int:
    out = app.scenario_template(Path(args.out))
    print(f"template written to {out}: draw layers growth, lines, stops and facilities "
          f"(EPSG:25833) and name it in the scenario: [gis] file = \"{out.name}\"")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    out = app.compare([Path(d) for d in args.results], out=args.out, force=args.force)
    print(f"comparison written to {out}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    out = app.report([Path(d) for d in args.results], out=args.out, force=args.force)
    print(f"report written to {out} (and {out.with_suffix('.md')})")
    return 0


def _cmd_rerun(args: argparse.Namespace) -> int:
    found = app.rerun(Path(args.result), out=args.out, force=args.force)
    for line in found.warnings:
        print(line, file=sys.stderr)
    if not found.differences:
        print(f"{found.result_dir}: rerun reproduces summary.json; the numbers match")
        return 0
    print(f"{found.result_dir}: rerun differs in {len(found.differences)} key(s):")
    for d in found.differences[:20]:
        print(f"  {d}")
    if len(found.differences) > 20:
        print(f"  … and {len(found.differences) - 20} more")
    return 1


def _cmd_sweep(args: argparse.Namespace) -> int:
    run = app.sweep(Path(args.spec), out=args.out, scheduler=args.scheduler,
                    workers=args.workers, serial=args.serial, force=args.force)
    s = run.summary
    print(f"sweep {s.name}: {s.members} members ({run.ran} run, {run.reused} reused) on "
          f"{run.where}; region {s.region} (data: {s.data_status})")
    for goal, ens in s.goals.items():
        q = ens.value_quantiles
        print(f"  {goal:10s} P(holds) {ens.probability:4.0%}  value p05 {q.get('p05', 0):+.4f}"
              f"  median {q.get('p50', 0):+.4f}  p95 {q.get('p95', 0):+.4f}"
              f"  drivers: {', '.join(ens.drivers) or '-'}")
    print(f"results in {run.out} ({run.table.name}, sweep.json, tornado.png, report.html)")
    return 0


def _cmd_warmup(args: argparse.Namespace) -> int:
    times = app.warmup()
    if not args.quiet:
        for name, seconds in times.items():
            print(f"  {name:36s} {seconds:6.2f} s")
        print(f"kernels ready in {sum(times.values()):.1f} s (compiled once, then cached on disk)")
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    scenario = Path(args.scenario) if args.scenario else None
    result, out = app.calibrate(args.region, scenario, Path(args.out) if args.out else None)
    print(f"{'mode':14} {'target':>8} {'modelled':>9}")
    for mode, target in result["targets"].items():
        print(f"{mode:14} {target:8.2%} {result['modelled'][mode]:9.2%}")
    verdict = "converged" if result["converged"] else "NOT converged"
    print(f"{verdict} after {result['iterations']} iterations, max error "
          f"{result['max_abs_error']:.1e}; written to {out}")
    return 0 if result["converged"] else 1


def _cmd_data_fetch(args: argparse.Namespace) -> int:
    out = app.data_fetch(args.region)
    if not args.quiet:
        print(f"{args.region}: inputs in {out}")
    return 0


def _cmd_data_import(args: argparse.Namespace) -> int:
    out = app.data_import(args.region, Path(args.source) if args.source else None,
                          check_population=not args.allow_population_mismatch)
    if not args.quiet:
        print(f"{args.region}: bundle {out}")
    return 0


def _cmd_data_export(args: argparse.Namespace) -> int:
    out = app.data_export(args.region, Path(args.out), args.format)
    if not args.quiet:
        print(f"{args.region}: {args.format} written to {out}")
    return 0


def _cmd_region_new(args: argparse.Namespace) -> int:
    out = app.region_new(args.name, args.kommune, Path(args.boundary) if args.boundary else None,
                         Path(args.source) if args.source else None,
                         Path(args.dir) if args.dir else None)
    print(f"region {args.name!r}: pack written to {out / 'pack.toml'}; check the values "
          "listed under [region] estimated, then run "
          f"`baerum-sim data import {args.name}`")
    return 0


def _cmd_data_info(args: argparse.Namespace) -> int:
    info = app.region_info(args.region)
    print(json.dumps(info, indent=2, ensure_ascii=False) if args.json else format_info(info))
    return 0


def format_info(info: dict[str, Any]) -> str:
    """Human-readable ``data info`` text."""
    f = info["figures"]
    lat = f["lattice"]
    lines = [
        f"region {info['region']} — {info.get('title', '')} (base year {info['base_year']})",
        f"built {info.get('built_at', '?')} from {info.get('source_dir', '?')} "
        f"in {info.get('import_seconds', 0):.1f} s",
        "",
        "layers:",
    ]
    for name, layer in info["layers"].items():
        extra = ", ".join(x for x in (layer["date"], layer["licence"]) if x)
        lines.append(f"  {name:26s} [{layer['status']}] {layer['source']}"
                     + (f" ({extra})" if extra else ""))
        if layer["note"]:
            lines.append(f"  {'':26s}   {layer['note']}")
    facilities = ", ".join(
        f"{c} {n} ({'/'.join(f'{k} {v}' for k, v in f['facility_status'][c].items())})"
        for c, n in f["facilities"].items())
    lines += [
        "",
        "figures:",
        f"  population inside boundary  {f['population_total']:,.0f} in "
        f"{f['populated_cells']:,} cells of {f['cell_size_m']:.0f} m",
        f"  boundary area               {f['boundary_area_km2']:.1f} km²",
        f"  walk graph                  {f['walk_nodes']:,} nodes, {f['walk_edges']:,} edges "
        f"(real streets: {f['real_street_nodes']:,} nodes, {f['real_street_edges']:,} edges; "
        f"synthetic edges {f['synthetic_edges']:,})",
        f"  served by lattice           {lat['lattice_cells']:,} cells, "
        f"{f['lattice_population_share']:.1%} of population (synthetic); "
        f"all cells connected: {lat['all_cells_connected']}; bridge links "
        f"{lat['bridge_links']} (longest {lat['bridge_max_m']:.0f} m)",
        f"  {'jobs (' + f.get('jobs_status', 'proxy') + ')':<28}{f['jobs_total']:,}",
        f"  facilities                  {facilities}",
        f"  missing functions           {', '.join(f.get('missing_functions', [])) or 'none'}",
        f"  CRS                         {f.get('crs', 'EPSG:25833')}",
        f"  schools                     {f['schools']}",
        *_real_lines(info),
        "",
        "areas: growth " + ", ".join(info["areas"]["growth_area"]),
        "       stations " + ", ".join(info["areas"]["station"]),
        "       other " + ", ".join(info["areas"]["other"]),
        f"transit: {info['stops']} stops; lines " + ", ".join(info["lines"]),
        "not real (derived/proxy/estimated/synthetic): " + ", ".join(info["not_real"]),
    ]
    return "\n".join(lines)


def _force(p: argparse.ArgumentParser) -> None:
    p.add_argument("--force", action="store_true",
                   help="replace an existing --out directory that baerum-sim did not make "
                   "(never a file, the results root, the repository or a parent of an input)")


def _real_lines(info: dict[str, Any]) -> list[str]:
    """``data info`` lines: real facilities per function, register stops and place names."""
    real = info["figures"].get("facilities_real", {})
    lines = []
    for category, r in real.items():
        kinds = ", ".join(f"{k} {v}" for k, v in r["kinds"].items())
        capacity = f"; capacity {r['capacity_real']:,.0f}" if r["capacity_real"] else ""
        lines.append(f"  real {category:23s} {r['real']} of {r['total']}"
                     + (f" ({kinds}{capacity})" if kinds or capacity else ""))
    registers = info.get("registers", {})
    if registers:
        lines.append(f"  stop coordinates from SSR   {registers['stops_from_ssr']} "
                     f"({', '.join(registers['stops_from_ssr_names'])})")
        lines.append(f"  place names (map labels)    {registers['place_names']} "
                     "(region.place_names)")
    return lines


def _command(parent: Any, name: str, func: Callable[[argparse.Namespace], int], help_: str
             ) -> argparse.ArgumentParser:
    """One subcommand with the options every command has (``--quiet``, ``--verbose``)."""
    p = parent.add_parser(name, help=help_, description=help_)
    p.set_defaults(func=func)
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--verbose", action="store_true",
                   help="progress output even when stderr is not a terminal")
    return p


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``baerum-sim``."""
    parser = argparse.ArgumentParser(
        prog="baerum-sim",
        description="Transport and accessibility scenarios for Bærum: "
        "90 % rule, nullvekst and kortreist hverdag.",
    )
    parser.add_argument("--version", action="version", version=f"baerum-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str
            ) -> argparse.ArgumentParser:
        return _command(sub, name, func, help_)

    p = add("run", _cmd_run, "run a scenario file and write results")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--out", type=Path, default=None, help="results directory "
                   "(default results/<scenario name>/)")
    _force(p)

    p = add("validate", _cmd_validate, "check a scenario file without running it")
    p.add_argument("scenario", help="scenario TOML file")

    p = add("compare", _cmd_compare, "side-by-side plots of two or more results")
    p.add_argument("results", nargs="+", help="results directories")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/compare_<names>/)")
    _force(p)

    p = add("report", _cmd_report, "HTML and Markdown report of one or more results")
    p.add_argument("results", nargs="+", help="results directories")
    p.add_argument("--out", type=Path, default=None, help="report directory "
                   "(default results/report_<names>/; report.html and report.md in it)")
    _force(p)

    p = add("rerun", _cmd_rerun, "rerun a result from its manifest and check the numbers match")
    p.add_argument("result", help="results directory")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the new result (default: a temporary directory)")
    _force(p)

    _sweep_commands(sub)
    _data_commands(sub)
    return parser


def _sweep_commands(sub: Any) -> None:
    """``sweep``, ``warmup`` and ``calibrate``."""
    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str
            ) -> argparse.ArgumentParser:
        return _command(sub, name, func, help_)

    p = add("sweep", _cmd_sweep, "run an ensemble of scenario variants (a sweep file) on Dask "
            "and report how likely each goal holds")
    p.add_argument("spec", help="sweep TOML file")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/sweep_<name>/); rerunning into "
                   "it skips finished members")
    p.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT",
                   help="run the members on this Dask cluster (default: a local cluster)")
    p.add_argument("--workers", type=int, default=None,
                   help="local cluster: worker processes (default: one per core)")
    p.add_argument("--serial", action="store_true",
                   help="run the members one after the other in this process (no Dask)")
    _force(p)

    add("warmup", _cmd_warmup, "compile the path kernels now (first run after an install), "
        "so that later runs start at once")

    p = add("calibrate", _cmd_calibrate,
            "calibrate the mode choice of a region to its travel survey and report the fit")
    p.add_argument("region")
    p.add_argument("--scenario", default=None, help="take model parameters from this scenario")
    p.add_argument("--out", default=None,
                   help="result file (default results/calibration_<region>.json)")


def _data_commands(sub: Any) -> None:
    """``scenario template``, ``data fetch|import|info|export`` and ``region new``."""
    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str, parent: Any
            ) -> argparse.ArgumentParser:
        return _command(parent, name, func, help_)

    scen = sub.add_parser("scenario", help="scenario helpers")
    ssub = scen.add_subparsers(dest="scenario_command", required=True)
    p = add("template", _cmd_scenario_template, "write an empty GeoPackage to draw a "
            "scenario in (layers growth, lines, stops, facilities)", ssub)
    p.add_argument("out", help="GeoPackage to write (.gpkg)")

    data = sub.add_parser("data", help="fetch, import and describe region data")
    dsub = data.add_subparsers(dest="data_command", required=True)
    p = add("fetch", _cmd_data_fetch, "download a region's inputs (needs internet)", dsub)
    p.add_argument("region")
    p = add("import", _cmd_data_import, "build a region bundle from local files", dsub)
    p.add_argument("region")
    p.add_argument("--from", dest="source", default=None,
                   help="input directory (default: $BAERUM_SIM_DATA)")
    p.add_argument("--allow-population-mismatch", action="store_true",
                   help="import even when the population total differs from the pack's "
                   "expected total by more than its tolerance")
    p = add("info", _cmd_data_info, "what a region bundle holds, layer by layer", dsub)
    p.add_argument("region")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add("export", _cmd_data_export,
            "write a region's walk, bike and car graphs and facilities for inspection", dsub)
    p.add_argument("region")
    p.add_argument("--out", required=True, help="output file (.gpkg or .graphml)")
    p.add_argument("--format", choices=("gpkg", "graphml"), default="gpkg",
                   help="GeoPackage layers (default) or GraphML (networkx/osmnx)")

    region = sub.add_parser("region", help="start a region pack for another municipality")
    rsub = region.add_subparsers(dest="region_command", required=True)
    p = add("new", _cmd_region_new, "write a region pack skeleton from the files at hand", rsub)
    p.add_argument("name", help="region name (lower case), the pack's directory")
    p.add_argument("--kommune", default=None, help="Norwegian municipality number, e.g. 0301")
    p.add_argument("--boundary", default=None, help="boundary file instead of --kommune")
    p.add_argument("--from", dest="source", default=None,
                   help="input directory (default: $BAERUM_SIM_DATA)")
    p.add_argument("--dir", default=None, help="where the pack directory goes "
                   "(default: first $BAERUM_SIM_PACKS directory, else network_data/)")


class _Stderr(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a message comes (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _configure_logging(quiet: bool, verbose: bool) -> None:
    """Progress and stage messages on stderr: on a terminal, or with ``--verbose``;
    ``--quiet`` shows warnings only. A failing command then prints just its error line."""
    logger = logging.getLogger("sim")
    show = verbose or (sys.stderr.isatty() and not quiet)
    logger.setLevel(logging.INFO if show else logging.WARNING)
    if not any(isinstance(h, _Stderr) for h in logger.handlers):
        handler = _Stderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    _configure_logging(args.quiet, args.verbose)
    try:
        return int(args.func(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
