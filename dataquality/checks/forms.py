"""How a rule runs on a database engine (DuckDB, PostgreSQL, Spark): its engine form, declared with the rule.

pandas runs a rule's own function. The Ibis engine (dataquality/engines) reads the rule's form:

- `per_cell(sql)`: a rule about one cell. `sql(raw, spec, dialect)` is its Ibis boolean for *usual*
  cells (ASCII and CJK, see checks/sql.py), or a pair (boolean, covers) when it decides only the
  usual cells where `covers` holds (a barcode of digits only); the other distinct values, or every
  distinct value when there is no `sql`, are decided by the rule's pandas function once per
  distinct value, in one vectorised call, and joined back. `reads` names the identifiers of other fields the verdict
  also reads (a phone is read in the row's country): then per distinct combination.
- `in_sql(needs, rows)`: a rule across rows or fields (uniqueness, groups, look-ups between tables).
  `needs(target)` lists the derived values it reads (clean text, number, name key ...);
  `rows(view, target)` returns the failing rows as an Ibis table or a boolean over `view.table`.
  Only those rows leave the database. `findings(view, target, rows, values)`, where given, builds
  the findings the rule's pandas function could not from the failing rows alone.
- `BY_LOADER`: found while reading a file (file structure); a database table has none.
- `IN_RUN`: found by the run itself on every engine (a rule that could not run, a column's convention).
- `COLUMN_READING`: what a column's distinct values decide about reading it (date order, phone region).
- `pandas_only(reason)`: runs in pandas on the rows pulled into Python; `reason` is a message key
  under `engine.why` saying why (a rule of a plugin declared without a form gets one).

No form calls Python once per row: `tests/checks/test_engine_forms.py` holds every registered rule to that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

SQL, DISTINCT, LOADER, RUN, READING, PANDAS = "sql", "distinct", "loader", "run", "reading", "pandas"


@dataclass(frozen=True)
class Need:
    """A derived value of one field a rule's SQL form reads (see engines/derived.ATTRIBUTES)."""

    field: str
    attr: str
    param: Any = None


@dataclass(frozen=True)
class Target:
    """What a form is applied to: a schema, the field of a field rule, the settings of a record rule."""

    schema: Any  # EntitySchema
    field: str | None = None
    settings: Any = None

    @property
    def spec(self) -> Any:
        assert self.field is not None
        return self.schema.fields[self.field]


@dataclass(frozen=True)
class EngineForm:
    how: str
    sql: Callable[..., Any] | None = None  # per_cell: (raw, spec, dialect) -> Ibis boolean or None
    reads: tuple[str, ...] = ()  # per_cell: identifiers of the companion fields the verdict reads
    needs: Callable[[Target], list[Need]] | None = None  # in_sql
    rows: Callable[..., Any] | None = None  # in_sql: (view, target) -> Ibis table or boolean
    findings: Callable[..., Any] | None = None  # in_sql: (view, target, rows, values) -> findings
    parses_in_python: bool = False  # in_sql: a value it reads is parsed per distinct value (numbers, name keys)
    reason: str = ""  # pandas: message key under engine.why

    @property
    def per_cell(self) -> bool:
        return self.how in (SQL, DISTINCT) and self.rows is None

    @property
    def label(self) -> str:
        """The message key under engine.* that `dq rules` shows."""
        if self.how == SQL:
            return "distinct" if self.parses_in_python else "all_compiled"
        return {DISTINCT: "distinct", LOADER: "loader", RUN: "in_run", READING: "distinct", PANDAS: "pandas_only"}[self.how]


def per_cell(sql: Callable[..., Any] | None = None, reads: tuple[str, ...] = ()) -> EngineForm:
    return EngineForm(SQL if sql is not None else DISTINCT, sql=sql, reads=reads)


def in_sql(needs: Callable[[Target], list[Need]], rows: Callable[..., Any], findings: Callable[..., Any] | None = None,
           parses_in_python: bool = False) -> EngineForm:
    return EngineForm(SQL, needs=needs, rows=rows, findings=findings, parses_in_python=parses_in_python)


def pandas_only(reason: str) -> EngineForm:
    if not reason:
        raise ValueError("a pandas-only form says why")
    return EngineForm(PANDAS, reason=reason)


BY_LOADER = EngineForm(LOADER)
IN_RUN = EngineForm(RUN)
COLUMN_READING = EngineForm(READING)
# A plugin's rule declared without a form: its pandas function on the rows pulled into Python.
UNDECLARED = EngineForm(PANDAS, reason="undeclared")
