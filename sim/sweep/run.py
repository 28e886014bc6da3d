"""Run a sweep file: members on Dask, one stored record per finished member, then the
results table (Parquet), the summary (``sweep.json``), charts and a report.

Output directory (default ``results/sweep_<name>/``)::

    members/<key>.json   one record per finished member (kept: a rerun skips them)
    members.parquet      one row per member: inputs, goal values, verdicts, key figures
    sweep.json           per goal: probability, quantiles, sensitivity (SweepSummary)
    tornado.png, goal_values.png, report.html, report.md

Members are keyed by the hash of their scenario: after a crash or an interrupted run,
running the same sweep again computes only the members without a record.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim._fs import sha256_file, write_json, write_text_atomic
from sim.output.sweep_section import SweepInput, SweepSummary, write_sweep_report
from sim.region.model import Region
from sim.sweep.analysis import ensemble_goals, input_ranges
from sim.sweep.execute import Task, run_tasks
from sim.sweep.members import (
    Member,
    member_record,
    members_from_spec,
    record_text,
    run_member,
    table_row,
)
from sim.sweep.plots import goal_values_png, tornado_png
from sim.sweep.spec import SweepSpec, sweep_from_file

log = logging.getLogger(__name__)

TABLE_FILE = "members.parquet"
STORE = "members"


@dataclass(frozen=True)
class SweepRun:
    """What a sweep run did: where its outputs are, how many members it ran or reused."""

    out: Path
    table: Path
    summary: SweepSummary
    ran: int
    reused: int
    where: str


def _stored(store: Path, members: list[Member]) -> dict[str, dict[str, Any]]:
    """Rows of the members that already have a record (keyed by member key)."""
    done: dict[str, dict[str, Any]] = {}
    for key in {m.key for m in members}:
        path = store / f"{key}.json"
        if path.is_file():
            try:
                done[key] = json.loads(path.read_text(encoding="utf-8"))["row"]
            except (OSError, ValueError, KeyError):
                log.warning("%s: unreadable record, running the member again", path)
    return done


def table_from_rows(members: list[Member], rows: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """The results table in member order."""
    return pd.DataFrame([table_row(m, rows[m.key]) for m in members])


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """The table as Parquet (no pandas index)."""
    buf = io.BytesIO()
    table.to_parquet(buf, index=False, engine="pyarrow")
    return buf.getvalue()


def _summary(spec: SweepSpec, spec_path: Path, region: Region, table: pd.DataFrame,
             where: str) -> SweepSummary:
    ranges = input_ranges(table)
    inputs = [SweepInput(name=i.label, target=i.target, distribution=i.kind,
                         parameters=i.model_dump(exclude={"target", "name", "distribution"},
                                                 exclude_none=True),
                         drawn=ranges.get(i.label, {})) for i in spec.inputs]
    return SweepSummary(
        name=spec.sweep.name, description=spec.sweep.description, region=region.name,
        data_status=region.data_status, method=spec.sweep.method, seed=spec.sweep.seed,
        members=len(table), scenarios=list(spec.sweep.scenarios),
        spec_sha256=sha256_file(spec_path), inputs=inputs, goals=ensemble_goals(table),
        ran_on=where, created=datetime.now(UTC).isoformat(timespec="seconds"))


def _write_outputs(out: Path, table: pd.DataFrame, summary: SweepSummary) -> Path:
    path = out / TABLE_FILE
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(parquet_bytes(table))
    tmp.replace(path)
    write_json(summary.model_dump(mode="json"), out / "sweep.json")
    tornado_png(summary, out / "tornado.png")
    goal_values_png(summary, table, out / "goal_values.png")
    write_sweep_report(out, out, datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z"))
    return path


def run_sweep(spec_path: Path, out: Path, scheduler: str | None = None,
              workers: int | None = None, serial: bool = False) -> SweepRun:
    """Run (or resume) the sweep in ``spec_path`` and write its outputs into ``out``."""
    spec = sweep_from_file(spec_path)
    members, region = members_from_spec(spec, spec_path)
    store = out / STORE
    store.mkdir(parents=True, exist_ok=True)
    rows = _stored(store, members)
    by_key = {m.key: m for m in members}
    todo = [by_key[k] for k in sorted(by_key) if k not in rows]
    log.info("sweep %s: %d members, %d to run, %d done before", spec.sweep.name,
             len(members), len(todo), len(members) - sum(m.key not in rows for m in members))

    def keep(key: str, row: dict[str, Any]) -> None:
        record = member_record(by_key[key], row)
        write_text_atomic(store / f"{key}.json", record_text(record))
        rows[key] = json.loads(record_text(record))["row"]  # as a rerun would read it

    # in-process members may use every core; on Dask each worker thread runs one member
    threads = None if serial else 1
    tasks: list[Task] = [(m.key, run_member, (m.scenario_json, threads)) for m in todo]
    where = run_tasks(tasks, keep, scheduler, workers, serial) if tasks else "nothing to run"
    table = table_from_rows(members, rows)
    summary = _summary(spec, spec_path, region, table, where)
    path = _write_outputs(out, table, summary)
    return SweepRun(out=out, table=path, summary=summary, ran=len(todo),
                    reused=len(by_key) - len(todo), where=where)
