"""The compile function of each rule, next to its pandas function's family name.

A field compiler gives, for *usual* cells (see ibis_values), the Ibis boolean the pandas rule
gives; unusual cells and every rule without a compiler are decided by the pandas rule itself on
the distinct values (derived.py). Cross-row rules (uniqueness, groups, look-ups between tables)
compile over the per-field values derived.py provides, so their semantics stay the pandas ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from dataquality.checks.fields import _GROUPED_NUMBER, EXCEL_ERRORS
from dataquality.checks.settings import (
    CapByGroup,
    CodePrefix,
    KnownCode,
    NotBelow,
    OneField,
    SameItem,
    SameName,
)
from dataquality.config import FieldSpec
from dataquality.engines import ibis_values as iv

# --- field rules on one usual cell: (raw, spec, dialect) -> bool expression, or None -------------

FieldCompiler = Callable[[ir.StringValue, FieldSpec, str], "ir.BooleanValue | None"]


def _present(raw: ir.StringValue, spec: FieldSpec) -> ir.BooleanValue:
    return iv.clean(raw, spec.clean).notnull()


def _req001(raw: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue:
    return ~_present(raw, spec)


def _fmt001(raw: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue | None:
    assert spec.pattern is not None
    if not iv.portable(spec.pattern) or (_fmt005_applies(spec) and not iv.portable(_GROUPED_NUMBER)):
        return None
    c = iv.clean(raw, spec.clean)
    ok = iv.fullmatch(c, spec.pattern, dialect)
    return _present(raw, spec) & ~ok & ~_formatted_number(c, spec, dialect)


def _fmt005_applies(spec: FieldSpec) -> bool:
    return spec.pattern is not None and not spec.is_numeric


def _formatted_number(c: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue:
    """fields._formatted_number: '6,222,021,234' that matches the pattern once its separators go."""
    if not _fmt005_applies(spec):
        return iv.false()
    assert spec.pattern is not None
    plain = c.replace(",", "").re_replace("\\.0+$", "")
    return iv.fullmatch(c, _GROUPED_NUMBER, dialect) & iv.fullmatch(plain, spec.pattern, dialect)


def _fmt005(raw: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue | None:
    assert spec.pattern is not None
    if not iv.portable(spec.pattern):
        return None
    return _present(raw, spec) & _formatted_number(iv.clean(raw, spec.clean), spec, dialect)


def _fmt002(raw: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue | None:
    if spec.is_numeric or spec.identifier == "cn_phone":
        return None  # a written number or another country's phone keeps its spaces: decided on distinct values
    after_nfkc, after_ws, _ = iv.clean_stages(raw, spec.clean)
    return _present(raw, spec) & (after_nfkc != after_ws)


def _fmt003(raw: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue:
    return iv.false()  # NFKC changes no usual cell (and FMT003 only narrows FMT003's cells, which are unusual)


def _fmt004(raw: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue:
    _, after_ws, final = iv.clean_stages(raw, spec.clean)
    return _present(raw, spec) & (after_ws != final)


def _typ004(raw: ir.StringValue, spec: FieldSpec, dialect: str) -> ir.BooleanValue:
    return raw.isin(list(EXCEL_ERRORS))


FIELD_COMPILERS: dict[str, FieldCompiler] = {
    "REQ001": _req001, "FMT001": _fmt001, "FMT002": _fmt002, "FMT003": _fmt003, "FMT004": _fmt004,
    "FMT005": _fmt005, "TYP004": _typ004,
}

# Field rules that look at one cell only: they run on distinct values when they do not compile.
PER_VALUE = frozenset({
    "REQ001", "TYP001", "TYP002", "TYP003", "TYP004", "TYP005", "FMT001", "FMT002", "FMT003", "FMT004",
    "FMT005", "ENM001", "ENM002", "RNG001", "RNG002", "IDN001", "IDN002", "IDN003", "IDN004", "IDN005", "IDN007",
    "REF001",
})
# Field rules that look across rows or fields, compiled in the engine over derived values.
CROSS_ROW_FIELD = frozenset({"UNQ001", "REQ002", "TYP007"})
# Per-cell rules whose verdict also depends on another field of the row: run per distinct
# combination (derived.FieldDerived.companions), a phone with the row's country.
COMPANIONS = {"cn_phone": "country"}  # identifier of the field -> identifier of its companion


# Record rules with a compile function below (record_needs, runner._record_rows); those that
# parse numbers or normalise names read values computed from distinct values in Python.
COMPILED_RECORDS = frozenset({"CUS001", "CUS002", "CUS003", "PRD001", "PRD002", "PRD003", "PRD004", "PRD005"})
_RECORDS_ON_DISTINCT = frozenset({"CUS001", "CUS002", "PRD002"})


# File-level findings about how a column's values read (checks/readings.py): the engine decides them
# on the column's distinct values, as it reads them.
COLUMN_NOTES = frozenset({"TYP008", "TYP009", "IDN006"})


def engines_of(rule: Any) -> str:
    """How a rule runs outside pandas, as a message key under engine.* (for `dq rules`)."""
    if rule.code in COLUMN_NOTES:
        return "distinct"
    if rule.scope == "file":
        return "loader"
    if rule.scope not in ("field", "record"):
        return "pandas_only"
    if rule.code in FIELD_COMPILERS or rule.code in CROSS_ROW_FIELD:
        return "all_compiled"
    if rule.code in PER_VALUE or rule.code in _RECORDS_ON_DISTINCT:
        return "distinct"
    if rule.code in COMPILED_RECORDS:
        return "all_compiled"
    return "pulled"


# --- record rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    """A derived value of one field a compiled rule reads (see derived.ATTRIBUTES)."""

    field: str
    attr: str
    param: Any = None


def record_needs(code: str, schema: Any) -> list[Need] | None:
    """The derived values a compiled record rule reads, [] when the rule does not apply, None when it has no compiler."""
    rr = schema.record_rules
    if code == "CUS001":
        s = rr.get("credit_cap_by_grade")
        if not isinstance(s, CapByGroup):
            return []
        by = "canonical" if schema.fields[s.by].type == "enum" else "clean"
        return [Need(s.field, "number"), Need(s.by, by)]
    if code == "CUS002":
        s = rr.get("duplicate_names")
        if not isinstance(s, SameName):
            return []
        return [Need(s.field, "name_key", tuple(s.legal_forms.items())), Need(schema.key, "clean")]
    if code == "CUS003":
        s = rr.get("one_code_per_uscc")
        if not isinstance(s, OneField):
            return []
        return [Need(s.field, "clean"), Need(schema.key, "clean")]
    if code == "PRD001":
        s = rr.get("code_prefix")
        if not isinstance(s, CodePrefix):
            return []
        return [Need(s.field, "code_prefix"), Need(s.equals, "canonical")]
    if code == "PRD002":
        s = rr.get("price_below_cost")
        if not isinstance(s, NotBelow):
            return []
        return [Need(s.field, "number"), Need(s.other, "number")]
    if code == "PRD003":
        s = rr.get("same_item")
        if not isinstance(s, SameItem):
            return []
        return [Need(f, "item_part") for f in s.fields] + [Need(schema.key, "clean")]
    if code in ("PRD004", "PRD005"):
        s = rr.get("customer_part_no_not_code" if code == "PRD004" else "known_customer")
        if not isinstance(s, OneField | KnownCode):
            return []
        return [Need(s.field, "clean"), Need(schema.key, "clean")]
    return None


def group_conflicts(e: ir.Table, keys: list[ir.Value], code: ir.Value) -> ir.Table:
    """duplicates.conflicting_groups: rows whose group of equal `keys` holds more than one distinct `code`."""
    names = [f"__gk{i}" for i in range(len(keys))]
    v = e.mutate(**dict(zip(names, keys, strict=True)), __gc=code)
    cond = v.__gc.notnull()
    for n in names:
        cond &= v[n].notnull()
    v = v.filter(cond)
    bad = v.group_by(names).aggregate(__n=v.__gc.nunique()).filter(lambda g: g.__n > 1)
    return v.semi_join(bad, names)


def numeric_below_min(x: ir.NumericValue, spec: FieldSpec) -> ir.BooleanValue:
    """products._not_below_minimum negated: the number is below its field's (numeric) minimum."""
    low = spec.min
    if low is None or not isinstance(low.value, (int, float)):
        return iv.false()
    return ((x <= low.value) if low.exclusive else (x < low.value)).fill_null(False)


def currency_contradicts(marks: ir.StringValue, code: ir.StringValue) -> ir.BooleanValue:
    """readings._contradicts: the written mark ('|USD|HKD|') cannot mean the record's currency."""
    return (marks.notnull() & code.notnull() & ~marks.contains("|" + code + "|")).fill_null(False)


def cap_of(group: ir.StringValue, caps: dict[str, float]) -> ir.FloatingValue:
    """CapByGroup caps looked up by the group value (NULL when the group has no cap)."""
    if not caps:
        return ibis.null("float64")
    return ibis.cases(*[(group == k, ibis.literal(float(v), "float64")) for k, v in caps.items()], else_=ibis.null("float64"))
