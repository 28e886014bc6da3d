"""Command-line interface: ``baerum-sim`` (also ``python -m sim``).

Every command turns :class:`sim.errors.InputError` into one line on stderr and
exit code 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sim import __version__
from sim.errors import InputError


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.pipeline import run_scenario

    out = run_scenario(Path(args.scenario), out=args.out, quiet=args.quiet)
    if not args.quiet:
        print(f"results written to {out}")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from sim.regions import load_region
    from sim.scenario import scenario_from_file

    scenario = scenario_from_file(Path(args.scenario))
    region = load_region(scenario.scenario.region, quiet=True)
    scenario.check_against(region, Path(args.scenario))
    print(f"{args.scenario}: ok (scenario {scenario.scenario.name!r}, region {region.name!r})")
    return 0


def _cmd_compare(args: argparse.Namespace) -> int:
    from sim.compare import compare_results

    out = compare_results([Path(d) for d in args.results], out=args.out)
    print(f"comparison written to {out}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from sim.report import write_report

    out = write_report([Path(d) for d in args.results], out=args.out)
    print(f"report written to {out} (and {out.with_suffix('.md')})")
    return 0


def _cmd_rerun(args: argparse.Namespace) -> int:
    from sim.rerun import rerun

    return rerun(Path(args.result), out=args.out, quiet=args.quiet)


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from sim.pipeline import calibration_for_region
    from sim.regions import load_region
    from sim.results import write_json
    from sim.scenario import Scenario, ScenarioInfo, scenario_from_file

    region = load_region(args.region, quiet=True)
    if args.scenario:
        scenario = scenario_from_file(Path(args.scenario))
    else:
        info = ScenarioInfo(name="calibration", region=args.region, base_year=region.base_year,
                            target_years=[region.base_year])
        scenario = Scenario(scenario=info)
    result = calibration_for_region(region, scenario)
    out = Path(args.out) if args.out else Path("results") / f"calibration_{region.name}.json"
    write_json(result, out)
    print(f"{'mode':14} {'target':>8} {'modelled':>9}")
    for mode, target in result["targets"].items():
        print(f"{mode:14} {target:8.2%} {result['modelled'][mode]:9.2%}")
    verdict = "converged" if result["converged"] else "NOT converged"
    print(f"{verdict} after {result['iterations']} iterations, max error "
          f"{result['max_abs_error']:.1e}; written to {out}")
    return 0 if result["converged"] else 1


def _cmd_data_fetch(args: argparse.Namespace) -> int:
    from sim.data import fetch_region

    fetch_region(args.region, quiet=args.quiet)
    return 0


def _cmd_data_import(args: argparse.Namespace) -> int:
    from sim.data import import_region

    source = Path(args.source) if args.source else None
    import_region(args.region, source, quiet=args.quiet)
    return 0


def _cmd_data_info(args: argparse.Namespace) -> int:
    from sim.data import format_info, region_info

    info = region_info(args.region)
    print(json.dumps(info, indent=2, ensure_ascii=False) if args.json else format_info(info))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``baerum-sim``."""
    parser = argparse.ArgumentParser(
        prog="baerum-sim",
        description="Transport and accessibility scenarios for Bærum: "
        "90 % rule, nullvekst and kortreist hverdag.",
    )
    parser.add_argument("--version", action="version", version=f"baerum-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str):
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    p = add("run", _cmd_run, "run a scenario file and write results")
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--out", type=Path, default=None, help="results directory "
                   "(default results/<scenario name>/)")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    p = add("validate", _cmd_validate, "check a scenario file without running it")
    p.add_argument("scenario", help="scenario TOML file")

    p = add("compare", _cmd_compare, "side-by-side plots of two or more results")
    p.add_argument("results", nargs="+", help="results directories")
    p.add_argument("--out", type=Path, default=None,
                   help="output directory (default results/compare_<names>/)")

    p = add("report", _cmd_report, "HTML and Markdown report of one or more results")
    p.add_argument("results", nargs="+", help="results directories")
    p.add_argument("--out", type=Path, default=None, help="HTML file or directory "
                   "(default results/report_<names>/report.html; report.md beside it)")

    p = add("rerun", _cmd_rerun, "rerun a result from its manifest and check the numbers match")
    p.add_argument("result", help="results directory")
    p.add_argument("--out", type=Path, default=None,
                   help="where to write the new result (default: a temporary directory)")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    p = add("calibrate", _cmd_calibrate,
            "calibrate the mode choice of a region to its travel survey and report the fit")
    p.add_argument("region")
    p.add_argument("--scenario", default=None, help="take model parameters from this scenario")
    p.add_argument("--out", default=None,
                   help="result file (default results/calibration_<region>.json)")

    data = sub.add_parser("data", help="fetch, import and describe region data")
    dsub = data.add_subparsers(dest="data_command", required=True)
    p = dsub.add_parser("fetch", help="download a region's inputs (needs internet)")
    p.set_defaults(func=_cmd_data_fetch)
    p.add_argument("region")
    p.add_argument("--quiet", action="store_true")
    p = dsub.add_parser("import", help="build a region bundle from local files")
    p.set_defaults(func=_cmd_data_import)
    p.add_argument("region")
    p.add_argument("--from", dest="source", default=None,
                   help="input directory (default: $BAERUM_SIM_DATA)")
    p.add_argument("--quiet", action="store_true")
    p = dsub.add_parser("info", help="what a region bundle holds, layer by layer")
    p.set_defaults(func=_cmd_data_info)
    p.add_argument("region")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
