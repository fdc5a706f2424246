"""`dq fix`: apply the corrections that are certain, taken from the fixable rules' own findings.

There is no second list of fixes here: the ordinary validation runs, and every issue a fixable
rule raises carries its `fixed_value`. Those values are applied and the table validated again
until no fixable issue is left (one cell can need two steps: ' 启用' -> '启用' -> 'active').
The fixed copy keeps the workbook's formatting; every changed cell is marked and listed on a
Changes sheet. The input file is never modified.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from dataquality.checks.registry import active_rules
from dataquality.config import Config, EntitySchema, FieldSpec, RuleSetting
from dataquality.errors import DQError
from dataquality.fileio import atomic_open, atomic_path
from dataquality.i18n import text
from dataquality.issue import Issue
from dataquality.load.columns import base_field
from dataquality.load.grid import file_kind
from dataquality.load.limits import Limits
from dataquality.load.source import WorkbookSource
from dataquality.load.text import csv_field_limit, csv_lines, read_csv_text
from dataquality.pipeline import LOAD, TRACK, VALIDATE, Result, Run, Stage, run_stages, validate
from dataquality.report.fixed_xlsx import CHANGED_FILL  # noqa: F401 - re-exported: the colour of a corrected cell
from dataquality.xlsx import column_index

# A fix followed by another fix on the same cell is normal (trim, then synonym); more rounds than
# this mean two rules undo each other, which is a configuration conflict.
MAX_ROUNDS = 6
WORKBOOK_OUTPUTS = {".xlsx", ".xlsm"}
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_PLAIN_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][+-]?\d+)?$")


class FixError(DQError):
    """`dq fix` cannot do what was asked (unsupported file, output equals input, rules that conflict)."""


@dataclass(frozen=True)
class CellChange:
    """One corrected cell: where it is, what it held, what it holds now, and which rules did it."""

    file: str
    sheet: str | None
    row: int
    column: str
    entity: str
    field: str
    old: str | None
    new: str
    rules: tuple[str, ...]
    # Why the cell changed, when not a rule's fix (a department's correction sent back): the note and
    # the Changes sheet say this instead of the rules' titles.
    said: str | None = None

    @property
    def cell(self) -> str:
        return f"{self.sheet}!{self.column}{self.row}" if self.sheet else f"{self.column}{self.row}"


@dataclass
class FixPlan:
    """The certain corrections for one file, and what the validation finds after them."""

    path: Path
    changes: list[CellChange]
    before: Result
    remaining: list[Issue]


def tidying_rules(config: Config) -> tuple[str, ...]:
    """The fixable rules `dq validate` has off (off by default, not named in rules.yaml): they report
    values that are correct, only untidy (a synonym, a number typed as text), and `dq fix` tidies
    them too unless told to change only what validate reports."""
    return tuple(r.code for r in active_rules()
                 if r.fixable and not r.on_by_default and r.code not in config.rule_settings)


def fix_config(config: Config) -> Config:
    """The configuration `dq fix` validates with: off-by-default fixable rules switched on, and
    every cell reported on its own (a whole column of padded values is corrected cell by cell).

    A company that switched a rule off in rules.yaml keeps it off here too.
    """
    settings = dict(config.rule_settings)
    for code in tidying_rules(config):
        settings[code] = RuleSetting(enabled=True)
    return replace(config, rule_settings=settings, collapse_conventions=False)


def _fixes(issues: Iterable[Issue]) -> dict[tuple[str | None, int, str], Issue]:
    """One fix per cell for this round (the first in report order); the next round sees the rest."""
    chosen: dict[tuple[str | None, int, str], Issue] = {}
    for issue in issues:
        if issue.fixable and issue.fixed_value is not None and issue.row is not None and issue.field \
                and issue.fixed_value != issue.value:
            chosen.setdefault((issue.sheet, issue.row, issue.field), issue)
    return chosen


def plan(path: Path | str, config: Config, lang: str = "en", tidy: bool = True, *, limits: Limits | None = None,
         workbooks: dict[Path, WorkbookSource] | None = None) -> FixPlan:
    """Validate `path` and work out every certain correction, without writing anything: the pipeline's
    load and validate stages, then the correction stage (`correct`). `tidy`: also apply the fixes of
    the rules validate has off (`tidying_rules`); without it only what validate reports is changed.
    `limits`, `workbooks`: the input limits and the file's load source when the command started it."""
    path = Path(path)
    done = run_stages(fix_config(config) if tidy else config, [path], lang, stages=(LOAD, VALIDATE, CORRECT, TRACK),
                      limits=limits, workbooks=workbooks)
    return done.outputs["fix"]


def tidied_only(changes: Iterable[CellChange], config: Config) -> dict[str, int]:
    """Rule -> the changed cells that only rules validate has off asked for (validate reports none of them)."""
    extra = set(tidying_rules(config))
    counts: dict[str, int] = {}
    for change in changes:
        if change.rules and set(change.rules) <= extra:
            for code in change.rules:
                counts[code] = counts.get(code, 0) + 1
    return counts


def _correct(r: Run) -> None:
    """The correction stage: apply every fixable issue's value and validate again, until none is left."""
    before = r.result
    tables = [replace(t, data=t.data.copy()) for t in before.tables]
    by_sheet = {t.sheet: t for t in tables}
    applied: dict[tuple[str | None, int, str], list[str]] = {}
    issues = before.issues
    chosen = _fixes(issues)
    for _ in range(MAX_ROUNDS):
        if not chosen:
            break
        columns: dict[tuple[str | None, str], tuple[list[int], list[str | None]]] = {}
        for (sheet, row, name), issue in chosen.items():
            rows, values = columns.setdefault((sheet, name), ([], []))
            rows.append(row)
            values.append(issue.fixed_value)
            rules = applied.setdefault((sheet, row, name), [])
            if issue.rule not in rules:
                rules.append(issue.rule)
        for (sheet, name), (rows, values) in columns.items():  # one assignment per column, not per cell
            by_sheet[sheet].data.loc[rows, name] = values
        issues = validate(tables, r.config)
        chosen = _fixes(issues)
    if chosen:
        stuck = next(iter(chosen.values()))
        raise FixError("fix.no_converge", cell=stuck.cell or f"{stuck.row}", field=stuck.field,
                       rules=", ".join(sorted({i.rule for i in issues if i.fixable and i.row == stuck.row and i.field == stuck.field})))
    originals = {t.sheet: t for t in before.tables}
    fixed_cells: dict[tuple[str | None, str], list[int]] = {}
    for sheet, row, name in applied:
        fixed_cells.setdefault((sheet, name), []).append(row)
    changes = []
    for (sheet, name), rows in fixed_cells.items():  # the values of each column read at once
        t = by_sheet[sheet]
        olds = originals[sheet].data.loc[rows, name].tolist()
        news = t.data.loc[rows, name].tolist()
        for row, old, new in zip(rows, olds, news, strict=True):
            if pd.isna(new) or (not pd.isna(old) and old == new):
                continue  # a fix that a later round undid is no change
            changes.append(CellChange(t.file, sheet, int(row), t.columns[name], t.entity, name,
                                      None if pd.isna(old) else str(old), str(new), tuple(applied[(sheet, row, name)])))
    changes.sort(key=lambda c: (c.sheet or "", c.row, c.column))
    r.outputs["fix"] = FixPlan(r.inputs[0], changes, before, issues)


CORRECT = Stage("correct", _correct)


def check_output(source: Path, output: Path) -> None:
    """Refuse an output that would overwrite the input or cannot hold the input's kind."""
    kind = file_kind(source)  # (the run judged it by the limits)
    if output.resolve() == source.resolve():
        raise FixError("fix.same_file", file=str(source))
    suffix = output.suffix.lower()
    if kind == "xlsx" and suffix not in WORKBOOK_OUTPUTS:
        raise FixError("fix.output_suffix", output=str(output), expected=".xlsx")
    if kind == "csv" and suffix != ".csv":
        raise FixError("fix.output_suffix", output=str(output), expected=".csv")
    if kind not in ("xlsx", "csv"):  # xls, ods, an HTML table, an XML Spreadsheet 2003
        raise FixError("fix.unsupported_input", file=str(source))


def write(fix: FixPlan, output: Path, config: Config, lang: str = "en") -> list[Path]:
    """Write the fixed copy of `fix.path` to `output` (and, for CSV, a changes CSV); returns the files."""
    check_output(fix.path, output)
    if file_kind(fix.path) == "csv":
        return _write_csv(fix, output, lang)
    return [_write_workbook(fix, output, config, lang)]


# --- workbooks ------------------------------------------------------------------------------


def _cell_value(spec: FieldSpec, new: str) -> tuple[Any, str | None]:
    """What to store for a fixed value, and the number format it needs (None: keep the cell's)."""
    if spec.is_numeric and _PLAIN_NUMBER.match(new):
        number = float(new)
        return (int(number) if number.is_integer() and abs(number) < 1e15 else number), None
    if spec.type == "date" and _ISO_DATE.match(new):
        return dt.datetime.fromisoformat(new), "yyyy-mm-dd"
    # Codes stay text, so Excel cannot drop leading zeros or show 1.2E+17.
    return new, "@" if spec.text else None


def _schema(config: Config, entity: str) -> EntitySchema:
    return config.schemas[entity]


def _write_workbook(fix: FixPlan, output: Path, config: Config, lang: str) -> Path:
    from dataquality.ooxml import OoxmlError
    from dataquality.report.fixed_cells import CellWrite, ChangesSheet
    from dataquality.report.fixed_xlsx import write_fixed

    if not fix.changes and fix.path.suffix.lower() == output.suffix.lower():
        # Nothing certain to correct: the copy is the input, byte for byte.
        with atomic_path(output) as tmp:
            shutil.copyfile(fix.path, tmp)
        return output
    run_at = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M")
    cells = []
    rows = []
    rule_names: dict[str, str] = {}
    for change in fix.changes:
        spec = _schema(config, change.entity).fields[base_field(change.field)]
        value, number_format = _cell_value(spec, change.new)
        why = change.said or ", ".join(change.rules)
        note = text("fix.cell_note", lang, old=change.old or "", new=change.new, rules=why)
        cells.append(CellWrite(change.sheet, change.row, change.column, value, number_format, note))
        if change.said is None:
            for code in change.rules:
                if code not in rule_names:
                    rule_names[code] = f"{code} {text(f'rules.{code}.title', lang)}"
            why = ", ".join(rule_names[code] for code in change.rules)
        # "label (name)" never reads as a header, so the loader cannot mistake this sheet for data.
        rows.append([change.cell, f"{spec.label(lang)} ({spec.name})", change.old or "", change.new, why, run_at])
    sheet = ChangesSheet(text("fix.sheet_name", lang),
                         [text(f"fix.column.{c}", lang) for c in ("cell", "field", "old", "new", "rule", "run")],
                         rows, (16, 24, 28, 28, 22, 18))
    try:
        with atomic_path(output) as tmp:
            write_fixed(fix.path, tmp, cells, sheet, macros=output.suffix.lower() == ".xlsm")
    except OoxmlError as exc:
        raise FixError("fix.cannot_edit", file=str(fix.path), reason=str(exc)) from None
    return output


# --- CSV ------------------------------------------------------------------------------------


def changes_csv_path(output: Path) -> Path:
    """Where the list of changes goes for a CSV input: beside the fixed file."""
    return output.with_name(output.stem + ".changes.csv")


def _write_csv(fix: FixPlan, output: Path, lang: str) -> list[Path]:
    from dataquality.safe_text import csv_value

    # Written back as it came: its encoding, byte-order mark, Excel's sep= line and delimiter; row 1
    # is the line under the sep= line (load/grid.py).
    source = read_csv_text(fix.path)
    content, delimiter = source.text, source.delimiter
    newline = "\r\n" if "\r\n" in content else "\n"
    with csv_field_limit(len(content)):
        rows = list(csv.reader(io.StringIO(csv_lines(content), newline=""), delimiter=delimiter))
    for change in fix.changes:
        line = rows[change.row - 1]
        index = column_index(change.column)
        line.extend([""] * (index + 1 - len(line)))
        line[index] = change.new
    with atomic_open(output, "w", encoding=source.encoding) as fh:
        fh.write(source.prefix)
        # Defused after the fixes: trimming " =1+1" or NFKC of "＝1+1" must not make a live formula.
        csv.writer(fh, delimiter=delimiter, lineterminator=newline).writerows([csv_value(v) for v in r] for r in rows)
    written = [output]
    changes = changes_csv_path(output)
    with atomic_open(changes, "w", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh, lineterminator=newline)
        writer.writerow([text(f"fix.column.{c}", lang) for c in ("cell", "field", "old", "new", "rule")])
        for change in fix.changes:
            writer.writerow([csv_value(v) for v in (change.cell, change.field, change.old or "", change.new,
                                                    change.said or " ".join(change.rules))])
    written.append(changes)
    return written
