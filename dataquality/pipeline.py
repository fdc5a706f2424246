"""The pipeline: load -> validate -> (approve -> track) -> report, as one short function."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from dataquality.checks import check_tables
from dataquality.checks.settings import validate as validate_settings
from dataquality.config import Config
from dataquality.i18n import text
from dataquality.issue import Issue, sort_key
from dataquality.load import Finding, Table, problem_for, read_file
from dataquality.load.mapping import Mappings
from dataquality.result import Progress, Result
from dataquality.thresholds import CHECK_FAIL_ON, FAIL_ON

__all__ = ["CHECK_FAIL_ON", "FAIL_ON", "Result", "approve", "load", "run", "validate"]

def load(inputs: Sequence[Path | str], config: Config, lang: str = "en", progress: Progress | None = None,
         mappings: Mappings | None = None, problems: list[Issue] | None = None,
         unreadable: list[Path] | None = None) -> list[Table]:
    """Every entity table of every input file.

    A file (or sheet) that cannot be read is collected in `problems` as a FIL005 issue and in
    `unreadable`, and the other inputs are still read; without `problems` the first such file
    raises InputError (for commands that need every input, such as a baseline).
    """
    from dataquality.errors import InputError

    tables: list[Table] = []
    for path in inputs:
        if progress:
            progress(text("progress.reading", lang, file=str(path)))
        try:
            read = read_file(Path(path), config, lang, mappings=mappings)
        except InputError as exc:
            if problems is None:
                raise
            read = None
            found = [problem_for(Path(path), exc)]
        else:
            found = read.problems
            tables.extend(read.tables)
        if found and problems is None and (read is None or not read.tables):
            raise InputError(str(found[0].params["error_key"]), **dict(found[0].params["error_params"]))
        if found and problems is not None:
            problems.extend(_problem_issue(Path(path), f) for f in found)
            if unreadable is not None:
                unreadable.append(Path(path))
    return distinct_files(tables)


def distinct_files(tables: list[Table]) -> list[Table]:
    """Tables of two inputs with one file name (a/customers.xlsx, b/customers.xlsx) named by their path."""
    import dataclasses

    paths = {t.path for t in tables}
    names = Counter(p.name for p in paths)
    if all(n == 1 for n in names.values()):
        return tables
    return [dataclasses.replace(t, shown_as=str(t.path)) if names[t.path.name] > 1 else t for t in tables]


def _problem_issue(path: Path, finding: Finding) -> Issue:
    from dataquality.checks.files import UNREADABLE_INPUT

    return Issue(rule=UNREADABLE_INPUT.code, severity=UNREADABLE_INPUT.severity, entity=None, file=path.name,
                 sheet=finding.sheet, params={"problem": finding.params["problem"]})


def validate(tables: Iterable[Table], config: Config) -> list[Issue]:
    """Every issue the rules find, in the order a person works through them."""
    return sorted(check_tables(list(tables), config), key=sort_key)


def approve(result: Result, config: Config, baseline: Path | str, db: str | None = None, lang: str = "en") -> None:
    """Compare with the approved master `baseline`: the change set, and APR001 for unapproved sensitive changes."""
    from dataquality.approve.issues import approval_stage

    changes, issues = approval_stage(result.tables, Path(baseline), db, config, lang)
    result.changes = list(changes)
    result.issues = sorted([*result.issues, *issues], key=sort_key)


def run(config: Config, inputs: Sequence[Path | str], lang: str = "en", progress: Progress | None = None,
        baseline: Path | str | None = None, db: str | None = None, mappings: Mappings | None = None) -> Result:
    """Load and validate `inputs` together (so cross-entity rules see every file); approve against `baseline`.

    An input that cannot be read is a FIL005 issue and the others are still checked.
    """
    started = dt.datetime.now().astimezone()
    config = validate_settings(config)  # rule codes and settings against the registry, before any data is read
    problems: list[Issue] = []
    unreadable: list[Path] = []
    tables = load(inputs, config, lang, progress, mappings, problems, unreadable)
    if progress:
        progress(text("progress.checking", lang, records=sum(len(t) for t in tables)))
    issues = sorted([*problems, *validate(tables, config)], key=sort_key)
    result = Result(issues, tables, [Path(p) for p in inputs], started, unreadable=unreadable)
    if baseline is not None:
        approve(result, config, baseline, db, lang)
    first_seen = started.isoformat(timespec="seconds")
    result.issues = [i.with_tracking(first_seen=first_seen) for i in result.issues]
    return result
