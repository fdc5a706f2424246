"""`dq check`: the nightly run of a project. It reads dq.yaml, takes the run lock and calls the
pipeline with every stage: load every entity, validate them together, evaluate pending approvals,
follow the issues across runs, write every report into a timestamped run folder.

The run lock is held from the moment the state database is read until the reports are written,
so a second run waits and then sees the first one's results.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection

from dataquality import pipeline
from dataquality.errors import ConfigError
from dataquality.fileio import atomic_open
from dataquality.load.limits import Limits
from dataquality.load.source import WorkbookSource
from dataquality.pipeline import Approval, Reports, Tracking
from dataquality.result import Progress, Result
from dataquality.track.clock import run_time
from dataquality.track.lock import run_lock
from dataquality.track.project import Project, open_project_store
from dataquality.track.tracker import Sla, finish_run

LATEST = "latest"
LATEST_TXT = "latest.txt"
RUN_FOLDER_FORMAT = "%Y-%m-%dT%H%M%S"
HISTORY_RUNS = 60  # runs in the trend chart


@dataclass(frozen=True)
class CheckOutcome:
    """What `dq check` did: the result, where the reports went, the run's number and its exit code."""

    result: Result
    run_id: int
    run_dir: Path
    written: list[Path]
    exit_code: int
    fail_on: str
    rerun_of: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    fallback_years: list[int] = field(default_factory=list)


def default_formats() -> list[str]:
    """Every report format available, except the console (dq check prints its own summary)."""
    from dataquality.report import writers

    return [name for name in writers() if name != "console"]


def run_check(project: Project, *, now: dt.datetime | None = None, fail_on: str | None = None, lang: str | None = None,
              formats: Sequence[str] | None = None, progress: Progress | None = None,
              lock_wait_seconds: float | None = None, accept_open: bool = False, limits: Limits | None = None,
              workbooks: dict[Path, WorkbookSource] | None = None) -> CheckOutcome:
    """Run the project's nightly check and return what it did (the CLI turns it into an exit code).

    The project is read, the lock taken, and `pipeline.run` does the rest: load every entity named in
    dq.yaml, validate them together, approve against the baseline, track, report into the run folder.
    `accept_open`: every issue found is accepted as the known backlog (open, not new; tracker.track).
    `limits`, `workbooks`: the input limits and the inputs' load sources when the command started them.
    """
    from dataquality.report import ReportOptions

    lang = lang or project.lang or "en"
    fail_on = fail_on or project.fail_on
    formats = list(formats if formats is not None else (project.formats or default_formats()))
    now = run_time(project.timezone, now)
    config = project.config()
    unknown = [e for e in [*project.entities, *project.sources] if e not in config.schemas]
    if unknown:
        raise ConfigError("project.unknown_entity", file=str(project.path), key=f"entities.{unknown[0]}",
                          choices=", ".join(sorted(config.schemas)))
    wanted: dict[Path, set[str]] = {}
    for entity, files in project.input_files().items():
        for f in files:
            wanted.setdefault(f, set()).add(entity)
    mappings = None
    if project.mappings:
        from dataquality.load.mapping import read_mappings

        mappings = read_mappings(list(project.mappings), config)
    calendar = project.calendar()
    wait = project.lock_wait_seconds if lock_wait_seconds is None else lock_wait_seconds
    with open_project_store(project) as store, \
            run_lock(store, wait_seconds=wait, stale_after_minutes=project.lock_stale_after_minutes), \
            store.transaction() as conn:
        # One transaction from tracking to the finished run: an interrupted or failed check (Ctrl-C,
        # a full disk) leaves no trace in the database and no half-filled run folder.
        shared = _InOneTransaction(conn)
        clean_leftovers(project.reports_dir)  # of a check that was killed: no other can be running now
        run_dir = new_run_dir(project.reports_dir, now)
        partial = run_dir.with_name(f".{run_dir.name}.partial")
        try:
            done = pipeline.run_stages(
                config, (), lang, started=now, progress=progress, mappings=mappings, keep_going=False,
                wanted={p: frozenset(es) for p, es in wanted.items()}, entity_sources=dict(project.sources),
                approval=Approval(tuple(project.baseline_files()), store=shared, same_entities=False),  # type: ignore[arg-type]
                tracking=Tracking(shared, now, Sla(project.sla, calendar), tuple(str(f) for f in wanted),
                                  str(project.path), project.issue_prefix, HISTORY_RUNS, tuple(project.sources),
                                  accept_open),
                reports=Reports(tuple(formats), ReportOptions(lang=lang, out=partial, quiet=True, fail_on=fail_on)),
                limits=limits, workbooks=workbooks,
            )
            code = done.result.exit_code(fail_on)
            finish_run(shared, done.tracked.run_id, now=run_time(project.timezone), report_dir=str(run_dir),  # type: ignore[arg-type]
                       fail_on=fail_on, exit_code=code)
            os.rmdir(run_dir)  # the reserved name, still empty
            os.rename(partial, run_dir)
            written = [run_dir / p.relative_to(partial) for p in done.written]
            point_latest(project.reports_dir, run_dir)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            if run_dir.is_dir() and not any(run_dir.iterdir()):
                run_dir.rmdir()
            raise
    tracked = done.tracked
    return CheckOutcome(done.result, tracked.run_id, run_dir, written, code, fail_on, tracked.rerun_of,
                        dict(tracked.counts), calendar.fallback_note())


class _InOneTransaction:
    """The store seen through one open transaction, for track, history and finish_run alike."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.engine = self  # history() opens store.engine.connect()

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        yield self.conn

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield self.conn


_RUN_FOLDER = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{6}(-\d+)?$")


def clean_leftovers(reports_dir: Path) -> list[Path]:
    """Remove what a killed `dq check` left in the reports folder: its hidden `.RUN.partial` folder
    and its reserved, still empty run folder. Called under the run lock, so no check that is alive
    owns them; a run folder with anything in it is never touched. Returns what was removed."""
    if not reports_dir.is_dir():
        return []
    removed = []
    for entry in reports_dir.iterdir():
        if entry.is_symlink() or not entry.is_dir():
            continue
        if entry.name.startswith(".") and entry.name.endswith(".partial") and _RUN_FOLDER.match(entry.name[1:-8]):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
        elif _RUN_FOLDER.match(entry.name) and not any(entry.iterdir()):
            entry.rmdir()
            removed.append(entry)
    return removed


def new_run_dir(reports_dir: Path, now: dt.datetime) -> Path:
    """reports/2026-11-23T020000/ (a suffix -2, -3 ... when two runs share a second)."""
    base = now.strftime(RUN_FOLDER_FORMAT)
    reports_dir.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = reports_dir / (base if n == 1 else f"{base}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(reports_dir / base)


def point_latest(reports_dir: Path, run_dir: Path) -> None:
    """reports/latest -> the run folder (a relative symlink, swapped atomically) and reports/latest.txt."""
    with atomic_open(reports_dir / LATEST_TXT) as fh:
        fh.write(run_dir.name + "\n")
    link = reports_dir / LATEST
    tmp = reports_dir / f".{LATEST}.{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(run_dir.name, tmp, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:
        # No symlinks here (Windows without the privilege, some network drives): latest.txt names the run.
        if tmp.is_symlink():
            tmp.unlink()
