"""Run the rules as Ibis expressions where the data lives (DuckDB, PostgreSQL, Spark).

The engine reads each rule's engine form, declared with the rule (checks/forms.py): per-cell rules
compile (or run on distinct values, see derived.py), rules across rows and tables are the forms'
GROUP BYs, semi- and anti-joins. Only the failing rows come back; they become Issues through the
very functions the pandas engine uses (checks/runner.py), so messages, fixed values and related
rows are the same. A rule declared pandas-only (or a plugin's rule without a form) runs in pandas
on the table pulled into Python (correct, not fast).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from dataquality.checks.conventions import TableFacts
from dataquality.checks.forms import SQL, Target
from dataquality.checks.readings import DATE_ORDER_ASSUMED, DATE_ORDER_MIXED, PHONE_REGION
from dataquality.checks.registry import active_rules
from dataquality.checks.runner import (
    CheckContext,
    _file_issues,
    _Planned,
    _record_departments,
    call_rule,
    column_issues,
    effective_severity,
    field_plans,
    reading_issues,
    record_or_convention_issues,
    record_plans,
    rules_not_run,
)
from dataquality.checks.settings import validate as validate_settings
from dataquality.checks.values import ColumnReading, TableValues
from dataquality.config import Config, EntitySchema
from dataquality.engines import kept
from dataquality.engines.derived import FieldDerived, absent, enrich, kind_of, lookup_table
from dataquality.issue import Issue
from dataquality.load.table import TEXT, Table
from dataquality.routing import Router

ROW = "__row__"


@dataclass
class Source:
    """One entity table for the engine: field-named text columns plus ROW (the row identity)."""

    entity: str
    table: ir.Table
    path: Path
    sheet: str | None = None
    header_row: int = 0
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter or name shown in reports
    loaded: Table | None = None  # the pandas Table when dq's loader read the file (file-structure rules)

    def has(self, name: str) -> bool:
        return name in self.table.columns


@dataclass
class _Prepared:
    source: Source
    schema: EntitySchema
    fields: dict[str, FieldDerived]
    field_plans: list[tuple[_Planned, str]]  # (plan, field)
    record_plans: list[_Planned]
    pulled: list[tuple[_Planned, str | None]]  # rules run in pandas on the pulled table
    # The per-cell verdicts (column -> rule code, field): kept in the derived table only as bits of
    # FLAG_BITS-wide masks, read once for the failing rows.
    flags: dict[str, tuple[str, str]] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)  # the derived columns later queries read (keys, numbers ...)
    # Fields whose conventions may be judged: kept only as bits (clean value present) of the
    # `__filled` masks; their clean values are read from `derived` in the rare case a convention qualifies.
    judged: list[str] = field(default_factory=list)
    enriched: ir.Table | None = None  # the kept table (`_narrow`)
    derived: ir.Table | None = None  # every derived column, as a query (not computed until read)
    full: TableValues | None = None
    others: list[_Prepared] = field(default_factory=list)  # every table of the run (for look-ups between tables)

    def col(self, name: str, attr: str, param: Any = None) -> ir.Value:
        if not self.source.has(name):
            return absent(kind_of(attr))
        assert self.enriched is not None
        return self.enriched[self.fields[name].want(attr, param)]

    def want(self, name: str, attr: str, param: Any = None) -> None:
        if self.source.has(name):
            self.kept.add(self.fields[name].want(attr, param))

    def judge(self, name: str) -> None:
        """Ask for what judging `name`'s convention needs (its clean values, how many are filled)."""
        if self.source.has(name) and name not in self.judged:
            self.fields[name].want("clean")
            self.judged.append(name)

    def flag(self, plan: _Planned, name: str) -> None:
        """Ask for the per-cell verdict of `plan`'s rule on field `name`."""
        self.flags[self.fields[name].want(f"fail:{plan.rule.code}")] = (plan.rule.code, name)

    def target(self, plan: _Planned, name: str | None) -> Target:
        return Target(self.schema, name, plan.settings)

    # What a rule's SQL form reads (checks/forms.py): the view of this table.
    @property
    def table(self) -> ir.Table:
        assert self.enriched is not None
        return self.enriched

    @property
    def row(self) -> ir.Value:
        return self.table[ROW]

    @property
    def key(self) -> ir.Value:
        return self.col(self.schema.key, "clean")

    def of(self, entity: str) -> list[_Prepared]:
        """The tables of `entity` checked in this run (this one included)."""
        return [q for q in self.others if q.schema.name == entity]

    def rows_whose(self, column: ir.Value, values: Any) -> pd.DataFrame:
        """(row, value) of this table's rows whose `column` is one of `values` (few: the values of failing rows)."""
        wanted = lookup_table(self.table, pa.table({"__v": pa.array(list(values), type=pa.string())}), _dialect(self.table))
        keyed = self.table.mutate(dq_value=column)
        return keyed.semi_join(wanted, keyed["dq_value"] == wanted["__v"]).select(
            row=keyed[ROW].cast("int64"), value=keyed["dq_value"]).to_pandas()

    @property
    def readings(self) -> dict[str, ColumnReading]:
        """What each column's distinct values decided about reading them (for the rows pulled later)."""
        return {n: fd.reading for n, fd in self.fields.items() if fd.reading is not None}

    def values(self, table: Table, config: Config) -> TableValues:
        """`table` (some of this source's rows) read as the whole columns decided."""
        return TableValues(table, self.schema, config, readings=self.readings)


def _dialect(t: ir.Table) -> str:
    try:
        return t._find_backend().name
    except Exception:  # a memtable not yet bound: it runs on DuckDB
        return "duckdb"


def check_sources(sources: list[Source], config: Config, stats: dict[str, Any] | None = None) -> list[Issue]:
    """Every issue the active rules find in `sources` (one backend), as the pandas engine would report it."""
    config = validate_settings(config)
    router = Router(config)
    prepared = [_prepare(s, config) for s in sources]
    for p in prepared:
        p.others = prepared
    try:
        return _check_prepared(prepared, config, router, stats)
    finally:  # the derived tables go now, while their connection is open (not at exit, when it is closed)
        for p in prepared:
            if p.enriched is not None:
                kept.release(p.enriched)
        for p in prepared:  # and what a run that stopped early had already kept (look-up tables)
            kept.forget(p.source.table._find_backend())


def _check_prepared(prepared: list[_Prepared], config: Config, router: Router, stats: dict[str, Any] | None) -> list[Issue]:
    for p in prepared:
        dialect = _dialect(p.source.table)
        enriched = enrich(p.source.table, list(p.fields.values()), p.schema, config, dialect,
                          stats.setdefault(p.source.entity, {}) if stats is not None else None, _headers(p.source))
        p.derived = enriched
        p.enriched = kept.keep(_narrow(p, enriched))
    issues: list[Issue] = []
    for p in prepared:
        if p.source.loaded is not None:
            issues.extend(_file_issues(TableValues(p.source.loaded, p.schema, config), config, router))
        # RUL001: what the sheet lacks for a record rule is known from its columns alone.
        has = pd.DataFrame(columns=[n for n in p.schema.fields if p.source.has(n)], dtype=object)
        issues.extend(rules_not_run(TableValues(_table(p, has), p.schema, config), config, router))
        failures = _failures(p)
        issues.extend(_issues(p, prepared, failures, config, router))
        # What whole columns decided (date order, phone region): from the distinct values, said once per column.
        issues.extend(reading_issues(p.values(_table(p, has), config), config, router))
    return issues


FLAG_BITS = 62  # verdicts per mask column: bits of a signed 64-bit integer every engine has


def _narrow(p: _Prepared, enriched: ir.Table) -> ir.Table:
    """What the run keeps of the derived table: the row, the derived values later queries read, and
    the per-cell verdicts as bit masks (`_flag_masks`). The source's own columns and the many
    verdict columns are not kept: at 100M rows the whole derived table is tens of GB on disk."""
    read_later = sorted(c for c in p.kept if c in enriched.columns)
    filled = [enriched[p.fields[n].want("clean")].notnull() for n in p.judged]
    return enriched.select(ROW, *read_later, **_flag_masks(enriched, list(p.flags)), **_masks("__filled", filled))


def _flag_masks(e: ir.Table, flags: list[str]) -> dict[str, ir.Value]:
    """`__flags{k}`: bit i set when the verdict column flags[k * FLAG_BITS + i] is true."""
    return _masks("__flags", [e[c] for c in flags])


def _masks(prefix: str, bools: list[ir.Value]) -> dict[str, ir.Value]:
    """`{prefix}{k}`: bit i set where bools[k * FLAG_BITS + i] is true."""
    masks = {}
    for k in range(0, len(bools), FLAG_BITS):
        bits = [ibis.ifelse(b.fill_null(False), ibis.literal(1 << i, "int64"), ibis.literal(0, "int64"))
                for i, b in enumerate(bools[k:k + FLAG_BITS])]
        total = bits[0]
        for b in bits[1:]:
            total = total + b
        masks[f"{prefix}{k // FLAG_BITS}"] = total
    return masks


def _bit(t: ir.Table, prefix: str, i: int) -> ir.BooleanValue:
    """Bit i of the masks `{prefix}k` of `t` (see `_masks`)."""
    mask = t[f"{prefix}{i // FLAG_BITS}"]
    return (mask & ibis.literal(1 << (i % FLAG_BITS), "int64")) != 0


def _headers(source: Source) -> dict[str, str]:
    """Field -> header as written (a database table's column names are its headers): the sheet's language."""
    return dict(source.loaded.headers) if source.loaded is not None else dict(source.columns)


def _prepare(source: Source, config: Config) -> _Prepared:
    schema = config.schemas[source.entity]
    fields = {n: FieldDerived(n, spec, companions=_companions(schema, spec, source)) for n, spec in schema.fields.items() if source.has(n)}
    p = _Prepared(source, schema, fields, [], [], [])
    p.want(schema.key, "clean")  # the key: every record rule's findings, look-ups from other tables
    for name, plan in field_plans(schema, source.has, config):
        form = plan.rule.engine
        assert form is not None
        if plan.rule.convention:  # a convention of the column is judged on its clean values
            p.judge(name)
        if form.per_cell:
            p.flag(plan, name)
            p.field_plans.append((plan, name))
        elif form.how == SQL:
            _want_all(p, form.needs(p.target(plan, name)))  # type: ignore[misc]
            p.field_plans.append((plan, name))
        else:
            p.pulled.append((plan, name))
    for plan in record_plans(schema.name, source.has, config):
        form = plan.rule.engine
        assert form is not None
        if plan.rule.convention and getattr(plan.settings, "field", None):
            p.judge(plan.settings.field)
        if form.how != SQL or form.rows is None:
            p.pulled.append((plan, None))
            continue
        _want_all(p, form.needs(p.target(plan, None)))  # type: ignore[misc]
        p.record_plans.append(plan)
    # The column-level findings read what the date and phone columns decide while their distinct
    # values are read (enrich); no query reads the columns themselves.
    if any(effective_severity(r, config) is not None for r in (DATE_ORDER_MIXED, DATE_ORDER_ASSUMED)):
        for name, spec in schema.fields.items():
            if spec.type == "date" and name in fields:
                fields[name].want("date")
    if effective_severity(PHONE_REGION, config) is not None:
        for name, spec in schema.fields.items():
            if spec.identifier == "cn_phone" and name in fields:
                fields[name].want("fail:IDN003")
    # Department routing reads the department field's reference name per failing row (pandas, later).
    return p


def _want_all(p: _Prepared, needs: list[Any]) -> None:
    for n in needs:
        p.want(n.field, n.attr, n.param)


def _companions(schema: EntitySchema, spec: Any, source: Source) -> tuple[str, ...]:
    """The fields a cell's verdicts also read, where the source has them: those whose identifier a
    per-cell rule of the field reads (a phone is read in the row's country), and its `region_of`."""
    wanted = {i for r in active_rules() if r.scope == "field" and r.engine is not None and r.engine.reads
              and r.applies is not None and r.applies(spec) for i in r.engine.reads}
    named = spec.settings.get("region_of")
    return tuple(n for n, f in schema.fields.items()
                 if ((f.identifier in wanted) or n == named) and source.has(n))


# --- the failing rows -----------------------------------------------------------------------------


def _rows(t: ir.Table, code: str, field_name: str | None) -> ir.Table:
    return t.select(row=t[ROW].cast("int64"), code=ibis.literal(code), field=ibis.literal(field_name or "", "string"))


def _failures(p: _Prepared) -> pd.DataFrame:
    """(row, code, field) of every failing check, from the rules' engine forms (checks/forms.py)."""
    parts: list[ir.Table] = []
    for plan, name in p.field_plans:
        form = plan.rule.engine
        assert form is not None
        if not form.per_cell:
            parts += _form_rows(p, plan, name)
    found = [_flag_rows(p.table, p.flags)] if p.flags else []
    for plan in p.record_plans:
        parts += _form_rows(p, plan, None)
    # One query per rule: a union would run their GROUP BYs and joins at once, within one memory
    # limit (at 100M rows DuckDB ran out of memory that way).
    found.extend(part.to_pandas() for part in parts)
    if not found:
        return pd.DataFrame({"row": pd.Series(dtype="int64"), "code": pd.Series(dtype=str), "field": pd.Series(dtype=str)})
    return pd.concat(found, ignore_index=True)


def _form_rows(p: _Prepared, plan: _Planned, name: str | None) -> list[ir.Table]:
    """The failing rows of a rule's SQL form (none when the table lacks a field the form reads)."""
    form = plan.rule.engine
    assert form is not None and form.needs is not None and form.rows is not None
    target = p.target(plan, name)
    if not all(p.source.has(n.field) for n in form.needs(target)):
        return []
    got = form.rows(p, target)
    if got is None:
        return []
    if not isinstance(got, ir.Table):  # a condition on the row
        got = p.table.filter(got)
    return [_rows(got, plan.rule.code, name)]


def _flag_rows(e: ir.Table, flags: dict[str, tuple[str, str]]) -> pd.DataFrame:
    """(row, code, field) for every true per-cell verdict: the rows with a bit set in a mask
    (`_flag_masks`), fetched as one filtered query, then one bit test per verdict."""
    masks = [f"__flags{k}" for k in range((len(flags) + FLAG_BITS - 1) // FLAG_BITS)]
    cond = e[masks[0]] != 0
    for m in masks[1:]:
        cond |= e[m] != 0
    got = e.filter(cond).select(e[ROW].cast("int64").name("row"), *masks).to_pandas()
    rows = got["row"].to_numpy(dtype="int64")
    parts = []
    for k, (code, name) in enumerate(flags.values()):
        bits = got[masks[k // FLAG_BITS]].to_numpy(dtype="int64")
        hit = rows[(bits >> (k % FLAG_BITS)) & 1 == 1]
        parts.append(pd.DataFrame({"row": hit, "code": code, "field": name}))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"row": [], "code": [], "field": []})


# --- failing rows to Issues -----------------------------------------------------------------------


def _subset(p: _Prepared, rows: pd.Index) -> Table:
    """The failing rows' cells, pulled as text, as a Table like the loader's (indexed by row)."""
    names = [n for n in p.schema.fields if p.source.has(n)]
    t = p.source.table
    if p.source.loaded is not None:
        data = p.source.loaded.data.loc[p.source.loaded.data.index.isin(rows)]
    elif len(rows) == 0:
        data = pd.DataFrame({n: pd.Series(dtype=TEXT) for n in names}, index=pd.Index([], dtype="int64"))
    else:
        wanted = lookup_table(t, pa.table({"__r": pa.array(rows.to_numpy(dtype="int64"))}), _dialect(t))
        got = t.semi_join(wanted, t[ROW].cast("int64") == wanted.__r).select(ROW, *names).to_pandas()
        data = _as_text(got.set_index(ROW), names)
    return _table(p, data.sort_index())


def _as_text(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    frame.index = frame.index.astype("int64")
    return pd.DataFrame({n: frame[n].astype(object).where(frame[n].notna(), None).astype(TEXT) for n in names}, index=frame.index)


def _table(p: _Prepared, data: pd.DataFrame) -> Table:
    s = p.source
    if s.loaded is not None:
        lt = s.loaded
        return Table(lt.entity, lt.path, lt.sheet, lt.header_row, data, lt.columns, lt.headers, key=lt.key)
    return Table(s.entity, s.path, s.sheet, s.header_row, data, dict(s.columns), dict(s.columns), key=p.schema.key)


def _full(p: _Prepared, config: Config) -> TableValues:
    if p.full is None:
        if p.source.loaded is not None:
            table = p.source.loaded
        else:
            names = [n for n in p.schema.fields if p.source.has(n)]
            got = p.source.table.select(ROW, *names).to_pandas()
            table = _table(p, _as_text(got.set_index(ROW), names).sort_index())
        p.full = p.values(table, config)
    return p.full


def _issues(p: _Prepared, prepared: list[_Prepared], failures: pd.DataFrame, config: Config, router: Router) -> list[Issue]:
    rows = pd.Index(pd.unique(failures["row"].astype("int64")))
    sub = p.values(_subset(p, rows), config)
    depts = _record_departments(sub)
    issues: list[Issue] = []
    by_check = {k: pd.Index(sorted(pd.unique(g["row"].astype("int64")))) for k, g in failures.groupby(["code", "field"])}
    facts = _Facts(p, config)
    columns: dict[str, list[tuple[_Planned, pd.Index]]] = {}
    for plan, name in p.field_plans:
        columns.setdefault(name, []).append((plan, by_check.get((plan.rule.code, name), pd.Index([], dtype="int64"))))
    for name, found in columns.items():
        issues.extend(column_issues(found, sub, router, depts, name, facts, config))
    for plan in p.record_plans:
        found = by_check.get((plan.rule.code, ""))
        if found is None or not len(found):
            continue
        findings = _findings(plan, p, sub, found, config)
        issues.extend(record_or_convention_issues(plan, sub, findings, router, depts, facts, config))
    if p.pulled:
        full = _full(p, config)
        ctx = CheckContext(config, [_full(q, config) for q in prepared])
        full_depts = _record_departments(full)
        full_facts = TableFacts(full)
        for plan, name in p.pulled:
            if name is not None:
                bad = call_rule(plan.rule, full[name], full)
                found = full.index[bad.fillna(False).astype(bool).to_numpy()]
                if len(found):
                    issues.extend(column_issues([(plan, found)], full, router, full_depts, name, full_facts, config))
            else:
                findings = call_rule(plan.rule, *_record_args(plan, full, ctx))
                if len(findings):
                    issues.extend(record_or_convention_issues(plan, full, findings, router, full_depts, full_facts, config))
    return issues


class _Facts:
    """What the convention check (checks/conventions.py) needs of a column, asked of the database:
    counts and the off-shape rows by SQL, a bounded sample of values for the dominant shapes."""

    SAMPLE = 50_000

    def __init__(self, p: _Prepared, config: Config) -> None:
        self.p, self.config = p, config

    def _clean(self, key: str) -> tuple[ir.Table, ir.Value]:
        """The table holding `key`'s clean values and the column: the kept table, or else the derived
        query (a pass over the source, paid only when a convention qualifies)."""
        col = self.p.fields[key].want("clean")
        e = self.p.enriched if col in self.p.kept else self.p.derived
        assert e is not None
        return e, e[col]

    def filled(self, key: str) -> int:
        e = self.p.enriched
        assert e is not None
        if key in self.p.judged and self.p.fields[key].want("clean") not in self.p.kept:
            return int(e.filter(_bit(e, "__filled", self.p.judged.index(key))).count().execute())
        e, clean = self._clean(key)
        return int(e.filter(clean.notnull()).count().execute())

    def rows(self) -> int:
        e = self.p.enriched
        assert e is not None
        return int(e.count().execute())

    def values(self, key: str) -> pd.Series:
        e, clean = self._clean(key)
        got = e.filter(clean.notnull()).order_by(e[ROW]).select(v=clean).limit(self.SAMPLE).to_pandas()
        return got["v"].astype(TEXT)

    def off_rows(self, key: str, shapes_: list[str], runs: bool) -> pd.Index:
        e, clean = self._clean(key)
        shape = clean.upper().re_replace("[0-9]", "9").re_replace("[A-Z]", "A").re_replace("[\u3400-\u9fff]", "汉")
        if runs:
            for ch in ("9", "A", "汉"):
                shape = shape.re_replace(f"{ch}+", ch)
        got = e.filter(clean.notnull() & ~shape.isin(shapes_)).select(r=e[ROW].cast("int64")).to_pandas()
        return pd.Index(sorted(got["r"].astype("int64")))

    def table_for(self, rows: pd.Index) -> TableValues:
        return TableValues(_subset(self.p, rows), self.p.schema, self.config)


def _findings(plan: _Planned, p: _Prepared, sub: TableValues, rows: pd.Index, config: Config) -> pd.DataFrame:
    """The record rule's findings (field, params, related rows) for the rows the engine found.

    Rules whose findings depend only on rows that fail too (per-row rules, and groups, whose
    members all fail) run their pandas function on those rows; a form with its own `findings`
    (look-ups between tables) builds them from what the engine returned.
    """
    form = plan.rule.engine
    assert form is not None
    if form.findings is not None:
        return form.findings(p, p.target(plan, None), rows, sub)
    ctx = CheckContext(config, [sub])
    only = p.values(Table(sub.table.entity, sub.table.path, sub.table.sheet, sub.table.header_row,
                          sub.table.data.loc[rows], sub.table.columns, sub.table.headers), config)
    return call_rule(plan.rule, *_record_args(plan, only, ctx))


def _record_args(plan: _Planned, t: TableValues, ctx: CheckContext) -> tuple[Any, ...]:
    return (t, ctx, plan.settings) if plan.rule.settings is not None else (t, ctx)
