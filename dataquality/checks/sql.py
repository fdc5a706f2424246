"""The value cleaning of checks/values.py as Ibis expressions, one helper per pandas helper, and the
few shapes the rules' SQL forms share (groups with several codes, caps, minimums).

A cell is "usual" when it holds only ASCII (no NUL), × ÷ and CJK unified ideographs. For those cells
NFKC and case-folding change nothing beyond ASCII lower/upper, and the only whitespace is ASCII
whitespace, so the cleaning compiles to plain SQL string functions with the same result on
DuckDB, PostgreSQL and Spark. Every other cell (full-width, invisible, accented, other scripts)
is cleaned by the pandas functions themselves, once per distinct value, and joined back: see
`derived.py`. Regexes are written with \\xHH escapes and explicit ranges only (never a generated
character list, where a hyphen becomes a range), in the subset RE2, PostgreSQL and Java share.

Ibis is imported when a form runs, not when the rules are registered: the pandas engine never loads it.
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir

# ^[ASCII without NUL, × and ÷, CJK unified ideographs]*$: values.py's _NEEDS_UNICODE negated, plus
# the two signs specifications are written with (M8×20), which NFKC, case and whitespace leave alone.
USUAL = "^[\\x01-\\x7f\u00d7\u00f7\u4e00-\u9fff]*"
# Python's str.isspace() within ASCII: \t \n \v \f \r, the four separators \x1c-\x1f, space.
_WS = "[\\x09-\\x0d\\x1c-\\x20]"


def _end(dialect: str) -> str:
    # Java's $ also matches before a final line terminator (\n, \r, \u0085, \u2028 ...): Spark needs \z.
    return "\\z" if dialect == "pyspark" else "$"


def usual(raw: ir.StringValue, dialect: str) -> ir.BooleanValue:
    """True where `raw` needs no Unicode-aware cleaning (NULL where raw is NULL)."""
    return raw.re_search(USUAL + _end(dialect))


def tidy_whitespace(s: ir.StringValue, steps: tuple[str, ...]) -> ir.StringValue:
    """values.tidy_whitespace for usual values."""
    if "remove_spaces" in steps:
        return s.re_replace(f"{_WS}+", "")
    if "trim" in steps:
        s = s.re_replace(f"^{_WS}+", "").re_replace(f"{_WS}+$", "")
    if "collapse_spaces" in steps:
        s = s.re_replace(f"{_WS}{{2,}}", " ")
    return s


# Cleaned columns computed once, in a select of their own (engines/derived.py): (raw column's
# operation, steps) -> (after whitespace, final). Every form built meanwhile reads them.
_STAGED: contextvars.ContextVar[dict[tuple[Any, tuple[str, ...]], tuple[Any, Any]] | None] = \
    contextvars.ContextVar("dq_sql_staged", default=None)


@contextlib.contextmanager
def staged(columns: dict[tuple[Any, tuple[str, ...]], tuple[Any, Any]]) -> Iterator[None]:
    """While open, `clean_stages` of a staged raw column gives its staged columns instead of the
    expressions: a database computes each cleaned value once, not once per rule that reads it
    (DuckDB shares a repeated expression in a select, but not inside the CASE that picks the SQL
    or the Python answer for a cell)."""
    token = _STAGED.set(columns)
    try:
        yield
    finally:
        _STAGED.reset(token)


def stages_of(raw: ir.StringValue, steps: tuple[str, ...]) -> tuple[ir.StringValue, ir.StringValue]:
    """(after whitespace, final) of `clean_stages`, as expressions (never the staged columns)."""
    stage_ws = tidy_whitespace(raw, steps)
    return stage_ws, stage_ws.upper() if "upper" in steps else stage_ws


def clean_stages(raw: ir.StringValue, steps: tuple[str, ...]) -> tuple[ir.StringValue, ir.StringValue, ir.StringValue]:
    """values.clean_stages for usual values: NFKC is the identity on them."""
    staged_now = _STAGED.get()
    hit = staged_now.get((raw.op(), steps)) if staged_now else None
    if hit is not None:
        return raw, hit[0], hit[1]
    stage_ws = tidy_whitespace(raw, steps)
    final = stage_ws.upper() if "upper" in steps else stage_ws
    return raw, stage_ws, final


def clean(raw: ir.StringValue, steps: tuple[str, ...]) -> ir.StringValue:
    """FieldValues.clean for usual values: NULL where empty after cleaning."""
    return clean_stages(raw, steps)[2].nullif("")


def match_key(s: ir.StringValue) -> ir.StringValue:
    """values.match_key for usual values: lower case, no whitespace."""
    return s.lower().re_replace(f"{_WS}+", "")


def fullmatch(s: ir.StringValue, pattern: str, dialect: str) -> ir.BooleanValue:
    """Python's re.fullmatch(pattern, s) for usual values (NULL where s is NULL)."""
    return s.re_search(f"^(?:{pattern}){_end(dialect)}")


# Python regex features the SQL engines do not share: such patterns run on distinct values in Python.
# Also \\s \\w (Unicode in Python, ASCII or locale elsewhere) and an unescaped '.' (PostgreSQL's
# matches a newline, Python's does not).
_PYTHON_ONLY = re.compile(r"\(\?[=!<Pimsx]|\\[0-9bBuNZsSwW]|(?<!\\)\.")


def portable(pattern: str) -> bool:
    """Whether `pattern` means the same in Python, RE2 (DuckDB), PostgreSQL and Java on usual values."""
    return _PYTHON_ONLY.search(pattern) is None


def zero() -> ir.IntegerValue:
    import ibis

    return ibis.literal(0, "int64")


def false() -> ir.BooleanValue:
    import ibis

    return ibis.literal(False)


def group_conflicts(e: ir.Table, keys: list[ir.Value], code: ir.Value) -> ir.Table:
    """duplicates.conflicting_groups: rows whose group of equal `keys` holds more than one distinct `code`.

    A GROUP BY of the key (several codes: the smallest and the largest differ, cheaper than
    COUNT(DISTINCT)) and a semi-join back: both spill on DuckDB, and on Spark both shuffle by
    the normalised key, so a group's rows meet on one executor. Only the groups' rows leave.

    The GROUP BY reads a select of its own, not the rows it is joined back to: a relation read
    twice becomes one CTE, which DuckDB and PostgreSQL materialise (at 100M rows DuckDB spilled
    the whole keyed table, 10× the disk and 4× the time of the same query inlined)."""
    names = [f"__gk{i}" for i in range(len(keys))]

    def keyed(t: ir.Table) -> ir.Table:
        cond = t.__gc.notnull()
        for n in names:
            cond &= t[n].notnull()
        return t.filter(cond)

    rows = keyed(e.mutate(**dict(zip(names, keys, strict=True)), __gc=code))
    if _backend_name(e) == "duckdb":
        rows = _hashed_candidates(e, rows, keys, code, names)
        groups = rows  # a few rows: read twice, materialised once
    else:
        groups = keyed(e.select(**dict(zip(names, keys, strict=True)), __gc=code))
    bad = groups.group_by(names).aggregate(__lo=groups.__gc.min(), __hi=groups.__gc.max()).filter(lambda g: g.__lo != g.__hi)
    return rows.semi_join(bad, names)


def _hashed_candidates(e: ir.Table, rows: ir.Table, keys: list[ir.Value], code: ir.Value, names: list[str]) -> ir.Table:
    """The `rows` whose group may hold several codes, found by grouping on a 64-bit hash of the
    keys instead of their text (a third of the memory, and of what DuckDB spills, at 100M rows).
    Keys of equal hash merge groups, so this is a superset of the conflicting groups' rows, which
    the exact GROUP BY of the caller then runs on (`tests/engines/test_engine_storage.py` forces
    every key to one hash)."""
    import ibis

    # Text codes are compared by their hash too: DuckDB keeps a text MIN/MAX's state in memory it
    # cannot spill (at 100M rows it ran out of memory there). Two distinct codes of one group with
    # the same 64-bit hash (about 1 in 10^19 for a pair) would hide that group's conflict.
    compared = code.hash() if code.type().is_string() else code
    hashed = e.select(__gh=ibis.struct(dict(zip(names, keys, strict=True))).hash(), __gc=compared,
                      __ok=ibis.and_(*(k.notnull() for k in keys)))
    hashed = hashed.filter(hashed.__ok & hashed.__gc.notnull())
    maybe = hashed.group_by("__gh").aggregate(__lo=hashed.__gc.min(), __hi=hashed.__gc.max()).filter(lambda g: g.__lo != g.__hi)
    # The few hashes are fetched now: the query below reads them twice (the rows, and the exact
    # GROUP BY over them), and as a subquery DuckDB would run this GROUP BY of every row twice,
    # at once, within one memory limit.
    found = ibis.memtable(maybe.select("__gh").to_pyarrow())
    tagged = rows.mutate(__gh=ibis.struct({n: rows[n] for n in names}).hash())
    return tagged.semi_join(found, "__gh").drop("__gh")


def _backend_name(t: ir.Table) -> str:
    try:
        return t._find_backend().name
    except Exception:  # noqa: BLE001 - a table bound to no backend yet (a memtable) runs on DuckDB
        return "duckdb"


def numeric_below_min(x: ir.NumericValue, spec: Any) -> ir.BooleanValue:
    """products._not_below_minimum negated: the number is below its field's (numeric) minimum."""
    low = spec.min
    if low is None or not isinstance(low.value, (int, float)):
        return false()
    return ((x <= low.value) if low.exclusive else (x < low.value)).fill_null(False)


def currency_contradicts(marks: ir.StringValue, code: ir.StringValue) -> ir.BooleanValue:
    """readings._contradicts: the written mark ('|USD|HKD|') cannot mean the record's currency."""
    return (marks.notnull() & code.notnull() & ~marks.contains("|" + code + "|")).fill_null(False)


def cap_of(group: ir.StringValue, caps: dict[str, float]) -> ir.FloatingValue:
    """CapByGroup caps looked up by the group value (NULL when the group has no cap)."""
    import ibis

    if not caps:
        return ibis.null("float64")
    return ibis.cases(*[(group == k, ibis.literal(float(v), "float64")) for k, v in caps.items()], else_=ibis.null("float64"))
