"""The pipeline: one `run()` with named stages, load → validate → approve → track → report.

Every command that checks data goes through `run()`: `dq validate` (load, validate, approve with
--baseline, report), `dq check` (the same plus tracking, inside the project's lock and one database
transaction), `dq changes` (load and approve: the change set), `dq fix` (load and validate, then its
own correction stage). A stage reads what the earlier ones left in the `Run` and fills the `Result`;
a stage whose input was not asked for does nothing, so the order never changes.

    load      inputs → tables (an unreadable input is a FIL005 issue; the others are still read)
    validate  tables → issues (every active rule; database entities checked where they live)
    approve   tables + approved master → change set, APR001 for sensitive changes not yet approved
    track     issues → numbered issues with status, resolved ones, the run recorded, history
    report    result → the report files

This module is the only place that knows the order; each stage's work lives in its own layer
(load/, checks/, approve/, track/, report/), which never imports the pipeline.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec

from dataquality.checks.settings import validate as validate_settings
from dataquality.config import Config
from dataquality.errors import InputError
from dataquality.i18n import text
from dataquality.issue import Issue, sort_issues, stamp_first_seen
from dataquality.load import Finding, Table, problem_for, read_file
from dataquality.load.files import prepare as prepare_reading
from dataquality.load.limits import Limits
from dataquality.load.mapping import Mappings
from dataquality.load.source import WorkbookSource
from dataquality.result import Progress, Result
from dataquality.thresholds import CHECK_FAIL_ON, FAIL_ON

if TYPE_CHECKING:
    from dataquality.approve.tiers import ApprovalPolicy
    from dataquality.report import ReportOptions
    from dataquality.store import Store
    from dataquality.track.tracker import Sla

P = ParamSpec("P")

__all__ = [
    "APPROVE", "CHECK_FAIL_ON", "DEFAULT_STAGES", "FAIL_ON", "LOAD", "REPORT", "TRACK", "VALIDATE",
    "Approval", "Reports", "Result", "Run", "Stage", "Tracking", "load", "run", "validate",
]


# --- what a run is asked to do -------------------------------------------------------------------


@dataclass(frozen=True)
class Approval:
    """The approve stage's input: the last approved master and where the decisions are kept.

    `store` is an open state database (dq check: the project's); without it `db` is opened when it
    exists, since validating never creates a database (without one nothing is approved yet).
    """

    baseline: tuple[Path, ...]
    store: Store | None = None
    db: str | None = None
    policy: ApprovalPolicy | None = None
    requested_by: str | None = None
    # `dq validate --baseline`: a baseline holding none of the incoming entities is a mistake.
    same_entities: bool = True


@dataclass(frozen=True)
class Tracking:
    """The track stage's input: the state database (inside the caller's transaction) and the run's facts."""

    store: Any  # a Store, or the store seen through the caller's open transaction
    now: dt.datetime
    sla: Sla
    files: tuple[str, ...] = ()
    project: str = ""
    prefix: str = "DQ"
    history_runs: int = 60
    extra_entities: tuple[str, ...] = ()  # entities checked where they live (no loaded table)
    accept_open: bool = False  # every issue found is the accepted backlog: open, not new (dq check --accept-open)


@dataclass(frozen=True)
class Reports:
    """The report stage's input: which formats, written how."""

    formats: tuple[str, ...]
    options: ReportOptions


@dataclass
class Run:
    """One run in progress: what was asked, what the stages produced so far, and how long each took."""

    config: Config
    inputs: tuple[Path, ...]
    lang: str = "en"
    progress: Progress | None = None
    mappings: Mappings | None = None
    # load: which entities to keep from each file (dq check: dq.yaml's entities); None keeps every table
    wanted: Mapping[Path, frozenset[str]] | None = None
    keep_going: bool = True  # an unreadable input is a FIL005 issue (True) or stops the run (False)
    engine: str = "pandas"
    sources: tuple[str, ...] = ()  # URL#table checked where it lives (--source)
    source_entity: str | None = None
    engine_stats: dict[str, Any] | None = None  # filled by the Ibis engine (queries, pushed-down rules)
    entity_sources: Mapping[str, str] = field(default_factory=dict)  # dq.yaml entities in a database
    approval: Approval | None = None
    tracking: Tracking | None = None
    reports: Reports | None = None
    result: Result = field(default_factory=lambda: Result([]))
    engine_sources: list[Any] = field(default_factory=list)  # the Ibis engine's opened inputs
    baseline_tables: list[Table] = field(default_factory=list)
    tracked: Any = None  # track.tracker.Tracked once tracking ran
    written: list[Path] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # what extra stages (dq fix) produced
    timings: dict[str, float] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits.from_env)  # the largest input read (dq --max-cells ...)
    # One source per input file (its verdict, what its scan kept, its sheets): made by the load
    # stage, or started early by the command (load.source.start_all) and handed to the run.
    workbooks: dict[Path, WorkbookSource] = field(default_factory=dict)

    def say(self, key: str, **params: Any) -> None:
        if self.progress:
            self.progress(text(key, self.lang, **params))


@dataclass(frozen=True)
class Stage:
    """A named step of the pipeline."""

    name: str
    work: Callable[[Run], None]


# --- the stages -----------------------------------------------------------------------------------


def _load_stage(r: Run) -> None:
    """Inputs → tables. The Ibis engine opens its inputs here and reads them where they are."""
    if r.engine != "pandas" or r.sources:
        _open_engine_sources(r)
        return
    problems: list[Issue] = []
    unreadable: list[Path] = []
    if r.wanted is None:
        tables = load(r.inputs, r.config, r.lang, r.progress, r.mappings,
                      problems if r.keep_going else None, unreadable, limits=r.limits, workbooks=r.workbooks)
    else:
        tables = []
        for path, entities in r.wanted.items():
            loaded = load([path], r.config, r.lang, r.progress, r.mappings,
                          problems if r.keep_going else None, unreadable, limits=r.limits, workbooks=r.workbooks)
            tables.extend(t for t in loaded if t.entity in entities)
        for entity in sorted({e for es in r.wanted.values() for e in es}):
            if not any(t.entity == entity for t in tables):
                files = ", ".join(str(p) for p, es in r.wanted.items() if entity in es)
                raise InputError("project.entity_not_found", entity=entity, files=files)
    r.result.tables = tables
    r.result.issues = problems + _unused_mappings(r)
    r.result.unreadable = unreadable


def _unused_mappings(r: Run) -> list[Issue]:
    """FIL011 for each sheet mapping that matches none of the run's files."""
    if not r.mappings:
        return []
    from dataquality.checks.files import MAPPING_UNUSED

    inputs = list(r.inputs) if r.wanted is None else list(r.wanted)
    return [Issue(rule=MAPPING_UNUSED.code, severity=MAPPING_UNUSED.severity, entity=m.entity, file=Path(m.source).name,
                  sheet=m.sheet, value=m.file, params={"pattern": m.file, "mapping": Path(m.source).name})
            for m in r.mappings.unmatched(inputs)]


def _open_engine_sources(r: Run) -> None:
    from dataquality.engines import open_sources

    r.outputs["engine"], r.engine_sources = open_sources(r.config, r.inputs, r.lang, r.progress, r.engine,
                                                          r.sources, r.source_entity)
    r.result.tables = [s.loaded for s in r.engine_sources if s.loaded is not None]


def _validate_stage(r: Run) -> None:
    """Tables → issues: every active rule, all tables together (cross-entity rules see every file)."""
    if "engine" in r.outputs:
        from dataquality.engines import check_and_close

        r.say("engine.checking", engine=r.outputs.get("engine", r.engine))
        found = check_and_close(r.engine_sources, r.config, r.engine_stats)
        merge = True
    else:
        r.say("progress.checking", records=sum(len(t) for t in r.result.tables))
        found = validate(r.result.tables, r.config)  # sorted: sorted again only with more to merge in
        merge = bool(r.result.issues or r.entity_sources)  # the loader's problems, the database entities' issues
    if r.entity_sources:  # dq.yaml entities that live in a database, checked there
        from dataquality.engines.project import source_issues

        found = [*found, *source_issues(r.entity_sources, r.config, r.lang, r.progress)]
    r.result.issues = sort_issues([*r.result.issues, *found]) if merge else found


def _approve_stage(r: Run) -> None:
    """Tables + the approved master → the change set and APR001 for sensitive changes not approved."""
    if r.approval is None:
        return
    from dataquality.approve.issues import approval_issues, open_decisions
    from dataquality.approve.tiers import ApprovalPolicy

    a = r.approval
    if not a.baseline:  # no approved master yet (a project's first night): nothing to compare with
        return
    policy = a.policy or ApprovalPolicy.load(config=r.config)
    r.baseline_tables = load(a.baseline, r.config, r.lang, limits=r.limits, workbooks=r.workbooks)
    if a.same_entities:
        from dataquality.approve.changes import check_same_entities

        check_same_entities(r.result.tables, r.baseline_tables, a.baseline[0], r.config, r.lang)
    from dataquality.approve.changes import compute_changes

    changes = compute_changes(r.result.tables, r.baseline_tables, r.config, policy, a.requested_by)
    with open_decisions(a.store, a.db, policy) as store:
        found = approval_issues(r.result.tables, r.baseline_tables, store, r.config, policy, changes)
    r.result.changes = list(changes)
    r.result.issues = sort_issues([*r.result.issues, *found])


def _track_stage(r: Run) -> None:
    """Issues → numbers and statuses across runs, the resolved ones, the run recorded, the trend.

    Without tracking (dq validate) every issue is first seen now: set on the run's own issues in
    place (the earlier stages built them for this run; nothing else holds them yet)."""
    t = r.tracking
    if t is None:
        stamp_first_seen(r.result.issues, r.result.started_at.isoformat(timespec="seconds"))
        return
    from dataquality.track.history import history
    from dataquality.track.tracker import track

    entities = {tb.entity for tb in r.result.tables} | set(t.extra_entities)
    r.tracked = track(t.store, r.result.issues, now=t.now, sla=t.sla, entities=entities,
                      files=list(t.files), project=t.project, prefix=t.prefix, accept_open=t.accept_open)
    r.result.issues = r.tracked.issues
    r.result.resolved = r.tracked.resolved
    r.result.history = history(t.store, t.history_runs)


def _report_stage(r: Run) -> None:
    """Result → the report files."""
    if r.reports is None or not r.reports.formats:
        return
    from dataquality.report import write_reports

    r.written = write_reports(r.result, list(r.reports.formats), r.reports.options, progress=r.progress)


LOAD = Stage("load", _load_stage)
VALIDATE = Stage("validate", _validate_stage)
APPROVE = Stage("approve", _approve_stage)
TRACK = Stage("track", _track_stage)
REPORT = Stage("report", _report_stage)
DEFAULT_STAGES: tuple[Stage, ...] = (LOAD, VALIDATE, APPROVE, TRACK, REPORT)


def run_stages(config: Config, inputs: Iterable[Path | str] = (), lang: str = "en", *,
               stages: Sequence[Stage] = DEFAULT_STAGES, started: dt.datetime | None = None,
               progress: Progress | None = None, mappings: Mappings | None = None,
               wanted: Mapping[Path, frozenset[str]] | None = None, keep_going: bool = True, engine: str = "pandas",
               sources: tuple[str, ...] = (), source_entity: str | None = None, engine_stats: dict[str, Any] | None = None,
               entity_sources: Mapping[str, str] | None = None, approval: Approval | None = None,
               tracking: Tracking | None = None, reports: Reports | None = None, limits: Limits | None = None,
               workbooks: Mapping[Path, WorkbookSource] | None = None) -> Run:
    """Run `stages` over `inputs` and return the whole `Run` (`run` returns its Result); the other
    arguments are the fields of `Run` of the same names (`limits`: the input limits, by default
    DQ_MAX_* or the built-in ones)."""
    paths = tuple(Path(p) for p in inputs)
    config = validate_settings(config)  # rule codes and settings against the registry, before any data is read
    r = Run(config, paths, lang, progress=progress, mappings=mappings, wanted=wanted, keep_going=keep_going,
            engine=engine, sources=sources, source_entity=source_entity, engine_stats=engine_stats,
            entity_sources=dict(entity_sources or {}), approval=approval, tracking=tracking, reports=reports,
            limits=limits or Limits.from_env(), workbooks=dict(workbooks or {}))
    if not paths and not r.sources and not r.wanted and r.engine != "pandas":
        raise InputError("engine.no_input")
    r.result = Result([], files=list(paths) if r.wanted is None else list(r.wanted),
                      started_at=started or dt.datetime.now().astimezone())
    for stage in stages:
        t0 = time.perf_counter()
        stage.work(r)
        r.timings[stage.name] = time.perf_counter() - t0
    return r


def _result_only(stages: Callable[P, Run]) -> Callable[P, Result]:
    def run(*args: P.args, **kwargs: P.kwargs) -> Result:
        """Run `stages` over `inputs` and return the Result; the other arguments are the fields of `Run`
        of the same names (`limits`: the input limits, by default DQ_MAX_* or the built-in ones).

        `run_stages` is the same with the whole `Run` returned (written files, tracking outcome, timings).
        """
        return stages(*args, **kwargs).result

    run.__signature__ = inspect.signature(stages).replace(return_annotation="Result")  # type: ignore[attr-defined]
    return run


run = _result_only(run_stages)


def change_set(config: Config, incoming: Path, baseline: Path, lang: str = "en", *, policy: ApprovalPolicy | None = None,
               requested_by: str | None = None, limits: Limits | None = None,
               workbooks: Mapping[Path, WorkbookSource] | None = None) -> Run:
    """`dq changes`: the load and approve stages over one incoming file and its approved master.

    The Run's result holds the change set (`result.changes`) and the incoming tables."""
    return run_stages(config, [incoming], lang, stages=(LOAD, APPROVE), keep_going=False, limits=limits,
                      workbooks=workbooks,
                      approval=Approval((Path(baseline),), policy=policy, requested_by=requested_by))


# --- the pieces the stages are made of (also used on their own) ------------------------------------


def load(inputs: Sequence[Path | str], config: Config, lang: str = "en", progress: Progress | None = None,
         mappings: Mappings | None = None, problems: list[Issue] | None = None,
         unreadable: list[Path] | None = None, *, limits: Limits | None = None,
         workbooks: dict[Path, WorkbookSource] | None = None) -> list[Table]:
    """Every entity table of every input file, each read through its `WorkbookSource` within
    `limits` (taken from `workbooks` when a command started it early; the new ones added there).

    A file (or sheet) that cannot be read is collected in `problems` as a FIL005 issue and in
    `unreadable`, and the other inputs are still read; without `problems` the first such file
    raises InputError (for commands that need every input, such as a baseline).
    """
    tables: list[Table] = []
    workbooks = {} if workbooks is None else workbooks
    if any(source.loading() for source in workbooks.values()):
        # The first workbook is still being read (without the GIL): the main thread would only wait.
        from dataquality.checks.runner import prepare as prepare_checks

        prepare_reading(config)
        prepare_checks(config)
    for path in inputs:
        if progress:
            progress(text("progress.reading", lang, file=str(path)))
        source = workbooks.get(Path(path))
        if source is None:
            source = workbooks[Path(path)] = WorkbookSource(path, limits)
        try:
            read = read_file(source, config, lang, mappings=mappings)
        except InputError as exc:
            if problems is None:
                raise
            read = None
            found = [problem_for(Path(path), exc)]
        else:
            found = read.problems
            tables.extend(read.tables)
            if problems is not None:  # readable, but nothing of it names or reveals a master (FIL013)
                problems.extend(_unchecked_issue(Path(path), f) for f in read.unchecked)
        if found and problems is None and (read is None or not read.tables):
            raise InputError(str(found[0].params["error_key"]), **dict(found[0].params["error_params"]))
        if found and problems is not None:
            problems.extend(_problem_issue(Path(path), f) for f in found)
            if unreadable is not None:
                unreadable.append(Path(path))
    return distinct_files(tables)


def distinct_files(tables: list[Table]) -> list[Table]:
    """Tables of two inputs with one file name (a/customers.xlsx, b/customers.xlsx) named by their path."""
    paths = {t.path for t in tables}
    names = Counter(p.name for p in paths)
    if all(n == 1 for n in names.values()):
        return tables
    return [dataclasses.replace(t, shown_as=str(t.path)) if names[t.path.name] > 1 else t for t in tables]


def _unchecked_issue(path: Path, finding: Finding) -> Issue:
    from dataquality.checks.files import NOT_CHECKED

    return Issue(rule=NOT_CHECKED.code, severity=NOT_CHECKED.severity, entity=None, file=path.name,
                 sheet=finding.sheet, params=dict(finding.params))


def _problem_issue(path: Path, finding: Finding) -> Issue:
    from dataquality.checks.files import UNREADABLE_INPUT

    return Issue(rule=UNREADABLE_INPUT.code, severity=UNREADABLE_INPUT.severity, entity=None, file=path.name,
                 sheet=finding.sheet, params={"problem": finding.params["problem"]})


def validate(tables: Iterable[Table], config: Config) -> list[Issue]:
    """Every issue the rules find, in the order a person works through them."""
    from dataquality.checks import check_tables

    return sort_issues(check_tables(list(tables), config))
