"""Per-field derived values (clean text, number, canonical enum value, a rule's verdict ...) as columns.

Each attribute has a pandas definition (the very FieldValues code `dq validate` uses) and, where
it compiles, an Ibis one valid for usual cells. For a field whose attributes all compile, only
its *unusual* distinct values are pulled into Python; a field with an attribute that does not
compile (number and date parsing, phone and e-mail validity, enum and reference look-ups) has
all its distinct values pulled, computed by pandas and joined back. Either way a cell gets
exactly the value the pandas engine gives it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from dataquality.checks import sql as iv
from dataquality.checks.duplicates import name_key
from dataquality.checks.numbers import currency_sets
from dataquality.checks.readings import record_currency
from dataquality.checks.registry import get_rule
from dataquality.checks.values import ColumnReading, FieldValues, TableValues, match_key
from dataquality.config import Config, EntitySchema, FieldSpec
from dataquality.engines import kept
from dataquality.load.table import TEXT, Table

_CODE_PREFIX = r"^([A-Z]+)\d"


def _py_code_prefix(v: FieldValues, param: Any) -> pd.Series:
    code = v.clean
    if v.spec.pattern:
        code = code.where(code.str.fullmatch(v.spec.pattern).fillna(False).astype(bool))
    return code.str.extract(_CODE_PREFIX, expand=False).astype(TEXT)


def _sql_code_prefix(raw: ir.StringValue, spec: FieldSpec, dialect: str, param: Any) -> ir.StringValue | None:
    c = iv.clean(raw, spec.clean)
    prefix = c.re_extract("^([A-Z]+)[0-9]", 1).nullif("")
    if not spec.pattern:
        return prefix
    if not iv.portable(spec.pattern):
        return None
    return ibis.ifelse(iv.fullmatch(c, spec.pattern, dialect).fill_null(False), prefix, ibis.null("string"))


def _py_item_part(v: FieldValues, param: Any) -> pd.Series:
    return v.canonical.fillna(match_key(v.clean)) if v.spec.type == "enum" else match_key(v.clean)


def _sql_item_part(raw: ir.StringValue, spec: FieldSpec, dialect: str, param: Any) -> ir.StringValue | None:
    return None if spec.type == "enum" else iv.match_key(iv.clean(raw, spec.clean))


@dataclass(frozen=True)
class Attribute:
    kind: str  # "string", "float64", "timestamp", "boolean"
    python: Callable[[FieldValues, Any], pd.Series]
    sql: Callable[[ir.StringValue, FieldSpec, str, Any], Any] | None = None


ATTRIBUTES: dict[str, Attribute] = {
    "clean": Attribute("string", lambda v, p: v.clean, lambda r, s, d, p: iv.clean(r, s.clean)),
    "number": Attribute("float64", lambda v, p: v.number),
    "date": Attribute("timestamp", lambda v, p: v.date),
    "canonical": Attribute("string", lambda v, p: v.canonical),
    "referenced": Attribute("string", lambda v, p: v.referenced),
    # name_key marks a legal form with NUL, which PostgreSQL text cannot hold; \x01 cannot occur in a
    # name key either (punctuation and control characters are removed), so groups stay the same.
    "name_key": Attribute("string", lambda v, p: name_key(v.clean, dict(p or ())).str.replace("\x00", "\x01", regex=False)),
    "item_part": Attribute("string", _py_item_part, _sql_item_part),
    "code_prefix": Attribute("string", _py_code_prefix, _sql_code_prefix),
    # TYP007: the currencies a written amount's mark can mean ('|CNY|JPY|'), and the record's one currency.
    "currency_marks": Attribute("string", lambda v, p: currency_sets(v.numbers.marks)),
    "currency_code": Attribute("string", lambda v, p: record_currency(v)),
}


def _attribute(attr: str) -> Attribute:
    if attr.startswith("fail:"):
        rule = get_rule(attr[5:])
        compiler = rule.engine.sql if rule.engine is not None else None

        def python(v: FieldValues, p: Any, rule=rule) -> pd.Series:
            # v belongs to a table of the field and its companions (the row's country of a phone).
            return rule.check(v, v.table).fillna(False).astype(bool)

        sql = None if compiler is None else (lambda r, s, d, p, c=compiler: c(r, s, d))
        return Attribute("boolean", python, sql)
    return ATTRIBUTES[attr]


def _sql_of(attr: Attribute, raw: ir.StringValue, spec: FieldSpec, dialect: str, param: Any) -> tuple[Any, Any] | None:
    """(value, covers) of an attribute's SQL on usual cells: `covers` (a boolean, or None for all
    usual cells) says which cells the SQL decides; None when the attribute does not compile."""
    if attr.sql is None:
        return None
    got = attr.sql(raw, spec, dialect, param)
    if got is None:
        return None
    return got if isinstance(got, tuple) else (got, None)


def _covered(raw: ir.StringValue, fd: FieldDerived, attrs: dict[tuple[str, Any], Attribute], dialect: str) -> ir.BooleanValue:
    """The cells of `raw` whose every wanted attribute the SQL decides (the rest: distinct values in Python)."""
    cond = iv.usual(raw, dialect).fill_null(True)
    for key, a in attrs.items():
        got = _sql_of(a, raw, fd.spec, dialect, key[1])
        if got is not None and got[1] is not None:
            cond &= got[1].fill_null(False)
    return cond


def _column(name: str, attr: str, param: Any) -> str:
    tag = attr.replace(":", "_")
    return f"{name}__{tag}" if param is None else f"{name}__{tag}_{abs(hash(param)) % 10**8}"


@dataclass
class FieldDerived:
    """The derived columns wanted for one field, and how they are obtained."""

    name: str
    spec: FieldSpec
    wanted: dict[tuple[str, Any], str] = field(default_factory=dict)  # (attr, param) -> column name
    # Other fields whose value the derived values of a cell depend on (a phone: the row's country):
    # worked out per distinct combination instead of per distinct value.
    companions: tuple[str, ...] = ()
    # What the column's distinct values decided about reading it (set by enrich).
    reading: ColumnReading | None = None

    def want(self, attr: str, param: Any = None) -> str:
        key = (attr, param)
        if key not in self.wanted:
            self.wanted[key] = _column(self.name, attr, param)
        return self.wanted[key]


def _python_values(fd: FieldDerived, raws: pd.DataFrame, schema: EntitySchema, config: Config,
                   headers: dict[str, str]) -> tuple[pd.DataFrame, ColumnReading]:
    """The wanted attributes of the distinct values `raws` (the field and its companions), and
    what the column's values decided about reading them."""
    data = pd.DataFrame({c: raws[c].astype(TEXT).reset_index(drop=True) for c in raws.columns})
    tv = TableValues(Table(schema.name, Path(""), None, 0, data, headers=headers), schema, config)
    v = tv[fd.name]
    out = {}
    for (attr, param), col in fd.wanted.items():
        out[col] = _attribute(attr).python(v, param)
    return pd.DataFrame(out), column_reading(v)


def column_reading(v: FieldValues) -> ColumnReading:
    """What `v`'s values decided while its attributes were computed (decimal separator, date order, phone region)."""
    found = v.__dict__
    return ColumnReading(
        decimal=found["numbers"].decimal if "numbers" in found else None,
        date_order=found["dates"].order if "dates" in found else None,
        phone_region=found["_phone_answers"].column if "_phone_answers" in found else None,
    )


def _arrow(values: pd.Series, kind: str) -> pa.Array:
    if kind == "boolean":
        return pa.array(values.fillna(False).astype(bool).to_numpy(), type=pa.bool_())
    if kind == "float64":
        return pa.array(values.astype("float64").to_numpy(), type=pa.float64(), from_pandas=True)
    if kind == "timestamp":
        return pa.array(pd.to_datetime(values).to_numpy(dtype="datetime64[us]"), type=pa.timestamp("us"), from_pandas=True)
    return pa.array(values.astype(object).where(values.notna(), None).to_numpy(dtype=object), type=pa.string())


def _literal(value: Any, kind: str) -> ir.Value:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ibis.null(kind) if kind != "boolean" else ibis.literal(False)
    if kind == "timestamp":
        return ibis.literal(pd.Timestamp(value).to_pydatetime(), "timestamp")
    if kind == "boolean":
        return ibis.literal(bool(value))
    if kind == "float64":
        return ibis.literal(float(value), "float64")
    return ibis.literal(str(value), "string")


def enrich(t: ir.Table, fields: list[FieldDerived], schema: EntitySchema, config: Config, dialect: str,
           stats: dict[str, int] | None = None, headers: dict[str, str] | None = None) -> ir.Table:
    """`t` with every wanted derived column added (see the module docstring).

    All look-up tables are joined first and all columns added in one step, so the expression
    stays flat (Ibis compiles a deep chain of joins and mutations slowly). `headers` (field ->
    header as written) give the sheet's language, as in the pandas engine.
    """
    base = t
    plans = []
    for fd in fields:
        if not fd.wanted:
            continue
        attrs = {key: _attribute(key[0]) for key in fd.wanted}
        full = any(_sql_of(a, base[fd.name], fd.spec, dialect, key[1]) is None for key, a in attrs.items())
        names = [fd.name, *(c for c in fd.companions if c in base.columns)] if full else [fd.name]
        picked = {f"__v{i}": base[c] for i, c in enumerate(names)}
        candidates = base.select(**picked).filter(lambda x: x.__v0.notnull())
        if not full:
            candidates = candidates.filter(~_covered(candidates.__v0, fd, attrs, dialect))
        got = candidates.distinct().to_pyarrow()
        if stats is not None:
            stats[fd.name] = got.num_rows
        key_cols = [f"{fd.name}__key{i}" for i in range(len(names))]
        looked_up = _LookedUp(fd, attrs, names, key_cols, full, schema, config, headers or {})
        if got.num_rows:
            m = _lookup(base, looked_up.chunks(got), dialect)
            # The field itself is never NULL here; a companion may be (a row without a country).
            on = [t[fd.name] == m[key_cols[0]], *(t[c].identical_to(m[k]) for c, k in zip(names[1:], key_cols[1:], strict=True))]
            t = t.left_join(m, on)
        else:
            looked_up.answer(got)
        plans.append((fd, attrs, full, looked_up.empty, bool(got.num_rows), key_cols))
    new: dict[str, ir.Value] = {}
    dropped: list[str] = []
    t = _with_sql_stages(t, plans, dialect, new, dropped)
    if new:
        t = t.mutate(**new)
    return t.drop(*dropped) if dropped else t


# Distinct values computed in Python per slice: a field whose attributes all compile sends only its
# unusual values here, each on its own, so a slice at a time suffices (at 100M rows a product
# master's specifications held 1.6M of them, several hundred MB as pandas objects at once).
SLICE = 100_000


@dataclass
class _LookedUp:
    """A field's distinct values (and companions) with their wanted attributes computed by pandas."""

    fd: FieldDerived
    attrs: dict[tuple[str, Any], Any]
    names: list[str]
    key_cols: list[str]
    full: bool  # every distinct value: what the column decides (date order ...) needs them all at once
    schema: EntitySchema
    config: Config
    headers: dict[str, str]
    empty: Any = None  # the answers for the empty cell, which become literals

    def chunks(self, got: pa.Table) -> Iterator[pa.Table]:
        step = got.num_rows if self.full else SLICE
        for start in range(0, got.num_rows, step):
            yield self.answer(got.slice(start, step))

    def answer(self, got: pa.Table) -> pa.Table:
        """The look-up rows of `got` (the distinct values `__v0`, `__v1` ...)."""
        distinct = pd.DataFrame({c: pd.Series(got.column(f"__v{i}").to_pylist(), dtype=object) for i, c in enumerate(self.names)})
        # One more value, the empty cell, whose answers become literals.
        empty_row = pd.DataFrame({c: pd.Series([None], dtype=object) for c in self.names})
        values, reading = _python_values(self.fd, pd.concat([distinct, empty_row], ignore_index=True), self.schema,
                                         self.config, self.headers)
        if self.full:
            self.fd.reading = reading
        self.empty, values = values.iloc[-1], values.iloc[:-1]
        arrays = {k: got.column(f"__v{i}").cast(pa.string()) for i, k in enumerate(self.key_cols)}
        for key, col in self.fd.wanted.items():
            arrays[f"{col}__m"] = _arrow(values[col], self.attrs[key].kind)
        return pa.table(arrays)


def _lookup(base: ir.Table, chunks: Iterator[pa.Table], dialect: str) -> ir.Table:
    """The look-up table of `chunks`: on DuckDB written slice by slice into the kept file."""
    if dialect == "duckdb":
        return kept.stored(base._find_backend(), chunks)
    return lookup_table(base, pa.concat_tables(list(chunks)), dialect)


def _with_sql_stages(t: ir.Table, plans: list[Any], dialect: str, new: dict[str, ir.Value], dropped: list[str]) -> ir.Table:
    """`t` with each field's cleaned value in a select of its own, then which cells the SQL decides
    in another, each read by every derived column (see sql.staged); the derived columns go into
    `new`, the helper columns into `dropped`. A non-deterministic column keeps Ibis from folding a
    select into the next (it would inline every use of them again)."""
    sql_fields = [fd for fd, _, full, *_ in plans if not full]
    staged: dict[tuple[Any, tuple[str, ...]], tuple[Any, Any]] = {}
    if sql_fields:
        stages = {}
        for fd in sql_fields:
            ws, final = iv.stages_of(t[fd.name], fd.spec.clean)
            stages[f"{fd.name}__ws"], stages[f"{fd.name}__final"] = ws, final
        t = t.mutate(**stages, __stage_barrier=ibis.random())
        dropped.extend([*stages, "__stage_barrier"])
        staged = {(t[fd.name].op(), fd.spec.clean): (t[f"{fd.name}__ws"], t[f"{fd.name}__final"]) for fd in sql_fields}
    with iv.staged(staged):
        # Which cells the SQL decides, one column per field: computed once, read by each derived column.
        cover = {f"{fd.name}__covered": t[fd.name].isnull() | _covered(t[fd.name], fd, attrs, dialect)
                 for fd, attrs, full, *_ in plans if not full}
        if cover:
            t = t.mutate(**cover, __cover_barrier=ibis.random())
            dropped.extend([*cover, "__cover_barrier"])
            staged.update({(t[fd.name].op(), fd.spec.clean): (t[f"{fd.name}__ws"], t[f"{fd.name}__final"]) for fd in sql_fields})
        _derived_columns(t, plans, dialect, new, dropped)
    return t


def _derived_columns(t: ir.Table, plans: list[Any], dialect: str, new: dict[str, ir.Value], dropped: list[str]) -> None:
    """Each wanted derived column: the SQL's answer on the cells it decides, else Python's."""
    for fd, attrs, full, empty, joined, key_cols in plans:
        raw = t[fd.name]
        covered = None if full else t[f"{fd.name}__covered"]
        if joined:
            dropped.extend(key_cols)
        for key, col in fd.wanted.items():
            kind = attrs[key].kind
            mapped = t[f"{col}__m"] if joined else _literal(None, kind)
            if joined:
                dropped.append(f"{col}__m")
            if kind == "boolean":
                mapped = mapped.fill_null(False)
            if full:
                expr = ibis.ifelse(raw.isnull(), _literal(empty[col], kind), mapped)
            else:
                usual_value = _sql_of(attrs[key], raw, fd.spec, dialect, key[1])[0]  # type: ignore[index]
                if kind == "boolean":
                    usual_value = usual_value.fill_null(False)
                expr = ibis.ifelse(covered, usual_value, mapped)
            new[col] = expr


def lookup_table(base: ir.Table, data: pa.Table, dialect: str) -> ir.Table:
    """A small table of values computed in Python, usable in joins with `base`'s backend.

    DuckDB and PostgreSQL take an Ibis memtable; Spark gets a session-scoped temporary view
    (Ibis cannot register a memtable for a cached Spark query, and writes no temporary tables).
    """
    if dialect != "pyspark":
        return ibis.memtable(data)
    import uuid

    con = base._find_backend()
    name = f"dq_lookup_{uuid.uuid4().hex[:12]}"
    con._session.createDataFrame(data).createOrReplaceTempView(name)  # Arrow keeps NULLs (pandas would give NaN)
    return con.table(name)


def absent(kind: str) -> ir.Value:
    """The value of a derived attribute of a field the table does not have."""
    return _literal(None, kind)


def kind_of(attr: str) -> str:
    return _attribute(attr).kind


__all__ = ["ATTRIBUTES", "FieldDerived", "absent", "enrich", "kind_of", "np"]
