"""Field rules: required values, types, formats, allowed values, ranges and uniqueness.

Each rule is a vectorised function `(values, table) -> bool Series`, True where the cell fails.
It applies to every field whose schema setting asks for it, so a company changes the behaviour
by editing schemas/*.yaml, never this file.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from dataquality.checks import sql
from dataquality.checks.forms import Need, Target, in_sql, per_cell
from dataquality.checks.registry import field_rule
from dataquality.checks.values import FieldValues, TableValues, format_number, today
from dataquality.config import Bound, EntitySchema, FieldSpec
from dataquality.issue import Severity
from dataquality.load.columns import base_field


def _labels(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {"labels": dict(spec.labels)}


def _allowed(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    shown = []
    for canon, synonyms in spec.values.items():
        shown.append(f"{canon} ({'/'.join(synonyms)})" if synonyms else canon)
    return {**_labels(spec), "allowed": ", ".join(shown)}


def _bound_text(b: Bound | None) -> str:
    if b is None:
        return ""
    if b.value == "today":
        return today().isoformat()
    return f"{b.value:,}" if isinstance(b.value, (int, float)) else str(b.value)


def _range(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {**_labels(spec), "min": _bound_text(spec.min), "max": _bound_text(spec.max)}


def _wording(bound: Bound | None) -> str | None:
    """How a bound is said: an exclusive one is "must be greater than 0", not "below the minimum 0";
    a date bound of `today` is "later than today (2026-12-07)" (the texts rules.RNG00x.message_<wording>)."""
    if bound is None:
        return None
    return "today" if bound.value == "today" else "exclusive" if bound.exclusive else None


def _range_min(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {**_range(spec), "wording": _wording(spec.min)}


def _range_max(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {**_range(spec), "wording": _wording(spec.max)}


def _fix_clean(v: FieldValues, failing: pd.Index) -> pd.Series:
    if v.spec.identifier == "cn_phone":
        # '+86 138 1234 5678' also gets IDN004: both fixes must give the same final spelling.
        from dataquality.checks.identifiers import canonical_phone

        return canonical_phone(v).fillna(v.clean).loc[failing]
    return v.clean.loc[failing]


# --- REQ: required values -------------------------------------------------------------------


def _present_sql(raw, spec: FieldSpec):
    return sql.clean(raw, spec.clean).notnull()


def _missing_sql(raw, spec: FieldSpec, dialect: str):
    return ~_present_sql(raw, spec)


@field_rule("REQ001", "missing-required-value", applies=lambda f: f.required, params=_labels,
            convention="fields.{field}.required", convention_of="rows", engine=per_cell(_missing_sql))
def missing_required_value(v: FieldValues, t: TableValues) -> pd.Series:
    """A required field is empty.

    Why: a record without its key, name or contact cannot be used by sales, stock or finance.
    Bad: customer_name is empty on row 7.
    Good: customer_name = 上海华东机电有限公司 (a phone in the second phone column, Mobile beside Phone, counts).
    """
    present = v.present
    for key in t.extra_keys():
        if base_field(key) == v.spec.name:
            present = present | t[key].present
    return ~present


def _required_when_params(spec: FieldSpec, schema: EntitySchema) -> dict:
    rw = spec.required_when
    assert rw is not None
    other = schema.fields[rw.field]
    shown = [f"{v} ({'/'.join(other.values[v])})" if other.values.get(v) else v for v in rw.values]
    return {**_labels(spec), "other": dict(other.labels), "when": ", ".join(shown)}


def _meaning_attr(spec: FieldSpec) -> str:
    return "canonical" if spec.type == "enum" else "clean"


def _required_when_needs(t: Target) -> list[Need]:
    rw = t.spec.required_when
    assert rw is not None
    return [Need(rw.field, _meaning_attr(t.schema.fields[rw.field])), Need(t.field, "clean")]  # type: ignore[arg-type]


def _required_when_sql(view, t: Target):
    rw = t.spec.required_when
    assert rw is not None
    meaning = view.col(rw.field, _meaning_attr(t.schema.fields[rw.field]))
    return meaning.isin(list(rw.values)).fill_null(False) & view.col(t.field, "clean").isnull()


@field_rule("REQ002", "missing-conditionally-required-value", applies=lambda f: f.required_when is not None, params=_required_when_params,
            engine=in_sql(_required_when_needs, _required_when_sql))
def missing_conditionally_required_value(v: FieldValues, t: TableValues) -> pd.Series:
    """A field that is required because of another field's value is empty.

    Why: an enterprise customer without its unified social credit code cannot be invoiced.
    Bad: customer_type = enterprise, uscc empty.
    Good: customer_type = enterprise, uscc = 91310000MA1FL4CT3X.
    """
    rw = v.spec.required_when
    assert rw is not None
    other = t[rw.field]
    meaning = other.canonical if other.spec.type == "enum" else other.clean
    return meaning.isin(list(rw.values)).fillna(False).astype(bool) & ~v.present


# --- TYP: values that must parse ------------------------------------------------------------


@field_rule("TYP001", "not-a-number", applies=lambda f: f.is_numeric, params=_labels, engine=per_cell())
def not_a_number(v: FieldValues, t: TableValues) -> pd.Series:
    """A numeric field holds text that is not a number.

    Why: a credit limit or price that is not a number cannot be compared, summed or approved.
    Bad: credit_limit = 五十万 or 100k.
    Good: credit_limit = 500000 (1,000,000.00 and numbers stored as text are fine).
    """
    return v.present & v.number.isna()


@field_rule("TYP002", "not-a-whole-number", applies=lambda f: f.type == "integer", params=_labels, engine=per_cell())
def not_a_whole_number(v: FieldValues, t: TableValues) -> pd.Series:
    """An integer field holds a number with a fraction.

    Why: counts and quantities in whole units cannot be fractional.
    Bad: 2.5 in a whole-number field.
    Good: 2.
    """
    n = v.number
    return n.notna() & (n != n.round())


@field_rule("TYP003", "not-a-date", applies=lambda f: f.type == "date", params=_labels, engine=per_cell())
def not_a_date(v: FieldValues, t: TableValues) -> pd.Series:
    """A date field holds text that is not a date.

    Why: dates that cannot be read break ageing, reporting and audits.
    Bad: created_on = 2024-13-45 or 'last spring'.
    Good: created_on = 2024-01-05 (an Excel date, 2024/1/5 or 2024年1月5日 are fine too).
    """
    return v.present & v.date.isna()


EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!", "#GETTING_DATA", "#ERROR!")


def _excel_error_sql(raw, spec: FieldSpec, dialect: str):
    return raw.isin(list(EXCEL_ERRORS))


@field_rule("TYP004", "excel-error-value", applies=lambda f: True, params=_labels, engine=per_cell(_excel_error_sql))
def excel_error_value(v: FieldValues, t: TableValues) -> pd.Series:
    """A cell shows an Excel error (#N/A, #DIV/0!, #REF! ...) instead of a value.

    Why: a formula that broke (a deleted sheet, a failed look-up) leaves no data, only the error, and the record is imported without it.
    Bad: phone = #N/A (a VLOOKUP that found nothing).
    Good: phone = 13812345678, typed or pasted as a value.
    """
    return v.raw.isin(EXCEL_ERRORS).fillna(False).astype(bool)


# --- FMT: formats and tidy text --------------------------------------------------------------


def _fmt005_applies(spec: FieldSpec) -> bool:
    return spec.pattern is not None and not spec.is_numeric


def _formatted_number_sql(c, spec: FieldSpec, dialect: str):
    """_formatted_number: '6,222,021,234' that matches the pattern once its separators go."""
    if not _fmt005_applies(spec):
        return sql.false()
    assert spec.pattern is not None
    plain = c.replace(",", "").re_replace("\\.0+$", "")
    return sql.fullmatch(c, _GROUPED_NUMBER, dialect) & sql.fullmatch(plain, spec.pattern, dialect)


def _pattern_sql(raw, spec: FieldSpec, dialect: str):
    assert spec.pattern is not None
    if not sql.portable(spec.pattern) or (_fmt005_applies(spec) and not sql.portable(_GROUPED_NUMBER)):
        return None
    c = sql.clean(raw, spec.clean)
    return _present_sql(raw, spec) & ~sql.fullmatch(c, spec.pattern, dialect) & ~_formatted_number_sql(c, spec, dialect)


@field_rule("FMT001", "pattern-mismatch", applies=lambda f: f.pattern is not None, params=lambda f, s=None: {**_labels(f), "pattern": dict(f.format) or f.pattern},
            convention="fields.{field}.pattern", engine=per_cell(_pattern_sql))
def pattern_mismatch(v: FieldValues, t: TableValues) -> pd.Series:
    """A value does not have the format its field requires (checked after tidying spaces).

    Why: codes in the wrong format break look-ups, interfaces and the "one code per item" rule.
    Bad: customer_code = C12345 (pattern ^C\\d{6}$).
    Good: customer_code = C012345.
    """
    assert v.spec.pattern is not None
    matches = v.clean.str.fullmatch(v.spec.pattern)
    # A formatted number that is right once its separators go is FMT005's (fixable) finding.
    return v.present & ~matches.fillna(False).astype(bool) & ~_formatted_number(v)


_GROUPED_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.0+)?|\d+\.0+"


def _ungrouped(v: FieldValues) -> pd.Series:
    """'6,222,021,234' or '6222021234.00' as plain digits; NA for anything else."""
    grouped = v.clean.str.fullmatch(_GROUPED_NUMBER).fillna(False).astype(bool)
    return v.clean.where(grouped).str.replace(",", "", regex=False).str.replace(r"\.0+$", "", regex=True)


def _formatted_number(v: FieldValues) -> pd.Series:
    if v.spec.pattern is None or v.spec.is_numeric:
        return pd.Series(False, index=v.raw.index)
    plain = _ungrouped(v)
    return plain.str.fullmatch(v.spec.pattern).fillna(False).astype(bool) & plain.notna()


def _fix_formatted_number(v: FieldValues, failing: pd.Index) -> pd.Series:
    return _ungrouped(v).loc[failing]


def _formatted_number_cell_sql(raw, spec: FieldSpec, dialect: str):
    assert spec.pattern is not None
    if not sql.portable(spec.pattern):
        return None
    return _present_sql(raw, spec) & _formatted_number_sql(sql.clean(raw, spec.clean), spec, dialect)


@field_rule(
    "FMT005", "formatted-number-in-text-field", Severity.WARNING,
    applies=lambda f: f.pattern is not None and not f.is_numeric, params=_labels, fix=_fix_formatted_number,
    engine=per_cell(_formatted_number_cell_sql),
)
def formatted_number_in_text_field(v: FieldValues, t: TableValues) -> pd.Series:
    """A code kept as text (bank account, number) was typed or exported as a formatted number.

    Why: Excel's thousands separators or '.00' make '6,222,021,234' look like an amount; the bank and the ERP reject it as an account number.
    Bad: bank_account = 6,222,021,234 or 6222021234.00.
    Good: bank_account = 6222021234.
    """
    return v.present & _formatted_number(v)


def _untidy_sql(raw, spec: FieldSpec, dialect: str):
    if spec.is_numeric or spec.identifier == "cn_phone":
        return None  # a written number or another country's phone keeps its spaces: decided on distinct values
    after_nfkc, after_ws, _ = sql.clean_stages(raw, spec.clean)
    return _present_sql(raw, spec) & (after_nfkc != after_ws)


@field_rule(
    "FMT002", "untidy-whitespace", Severity.WARNING,
    applies=lambda f: any(s in f.clean for s in ("trim", "collapse_spaces", "remove_spaces")),
    params=_labels, fix=_fix_clean, convention="fields.{field}.clean", convention_of="tidiness",
    engine=per_cell(_untidy_sql),
)
def untidy_whitespace(v: FieldValues, t: TableValues) -> pd.Series:
    """A value has leading, trailing, doubled or (for codes and numbers) inner spaces.

    Why: '上海华东 ' and '上海华东' look equal to a person but not to a database: duplicates and failed look-ups follow.
    Bad: customer_name = ' 上海华东机电  有限公司'; phone = '138 1234 5678'.
    Good: customer_name = '上海华东机电 有限公司'; phone = '13812345678' (another country's number keeps its spaces: +44 20 7946 0958).
    """
    return _not_as_written(v, v.present & v.tidied(v.after_nfkc, v.after_whitespace))


def _not_as_written(v: FieldValues, untidy: pd.Series) -> pd.Series:
    """`untidy` less the cells whose spaces or full-width signs are part of how the value is written:
    an amount written with a currency, brackets or a unit ('USD 30', '（300.00）': TYP005 makes it a
    plain number), and a phone number of another country or on a row of another country
    ('020 7946 0958' in Britain)."""
    if not untidy.any():
        return untidy
    if v.spec.is_numeric:
        return untidy & ~v.numbers.written
    if v.spec.identifier == "cn_phone":
        from dataquality.checks.phones import HOME, phone_answers

        answers = phone_answers(v)
        return untidy & ~answers.abroad & (answers.region == HOME).fillna(True).astype(bool)
    return untidy


def _full_width_sql(raw, spec: FieldSpec, dialect: str):
    return sql.false()  # NFKC changes no usual cell: FMT003's cells are all unusual, decided on distinct values


@field_rule("FMT003", "full-width-characters", Severity.WARNING, applies=lambda f: "nfkc" in f.clean, params=_labels, fix=_fix_clean,
            engine=per_cell(_full_width_sql))
def full_width_characters(v: FieldValues, t: TableValues) -> pd.Series:
    """A code, number or date is typed with full-width characters.

    Why: full-width digits and letters (１３８, Ｃ) look right on screen but do not match the half-width ones.
    Bad: phone = １３８１２３４５６７８.
    Good: phone = 13812345678.
    """
    found = v.present & v.tidied(v.raw, v.after_nfkc)
    return _not_as_written(v, found) if v.spec.is_numeric else found


def _letter_case_sql(raw, spec: FieldSpec, dialect: str):
    _, after_ws, final = sql.clean_stages(raw, spec.clean)
    return _present_sql(raw, spec) & (after_ws != final)


@field_rule("FMT004", "wrong-letter-case", Severity.WARNING, applies=lambda f: "upper" in f.clean, params=_labels, fix=_fix_clean,
            convention="fields.{field}.clean", engine=per_cell(_letter_case_sql))
def wrong_letter_case(v: FieldValues, t: TableValues) -> pd.Series:
    """A code whose format is upper case is typed in lower case.

    Why: c000123 and C000123 would be two codes for one customer in a case-sensitive system.
    Bad: customer_code = c000123.
    Good: customer_code = C000123.
    """
    return v.present & (v.after_whitespace != v.clean).fillna(False).astype(bool)


# Numbers written with separators, currencies, brackets, % or 万; plain numbers are not.
_PLAIN_NUMBER = r"-?\d+(\.\d+)?"


def _fix_number(v: FieldValues, failing: pd.Index) -> pd.Series:
    return format_number(v.number.loc[failing])


@field_rule("TYP005", "number-stored-as-text", Severity.INFO, applies=lambda f: f.is_numeric, params=_labels,
            fix=_fix_number, on_by_default=False, engine=per_cell())
def number_stored_as_text(v: FieldValues, t: TableValues) -> pd.Series:
    """A number is written as text: with thousands separators, a currency, accounting brackets, a percent sign or a unit such as 万.

    Off by default in dq validate (rules.yaml: TYP005: {enabled: true} to report it); dq fix always applies it.

    Why: '1,000.00' or '12.5万' typed as text is read correctly by dq but not by every import tool, and Excel cannot sum it.
    Bad: list_price = '1,000.00', '¥1,000', '(300.00)', '15%' or '12.5万'.
    Good: list_price = 1000 (a real number; show separators with the cell format instead).
    """
    plain = v.clean.str.fullmatch(_PLAIN_NUMBER).fillna(False).astype(bool)
    # A column with a decimal comma reads a plain-looking 1.200 as 1200: written, not plain.
    return v.number.notna() & (~plain | v.numbers.written)


# --- ENM: allowed values ---------------------------------------------------------------------


def _fix_enum(v: FieldValues, failing: pd.Index) -> pd.Series:
    return v.canonical.loc[failing]


@field_rule("ENM001", "value-not-allowed", applies=lambda f: f.type == "enum", params=_allowed, convention="fields.{field}.values",
            engine=per_cell())
def value_not_allowed(v: FieldValues, t: TableValues) -> pd.Series:
    """A value is not one of the field's allowed values or their Chinese synonyms.

    Why: a unit, category or payment term outside the agreed list breaks pricing, stock and reporting.
    Bad: unit = 盒子; payment_terms = 看情况.
    Good: unit = BOX (or 箱, 盒); payment_terms = NET45 (or 月结45天, Net 45, 45天).
    """
    return v.present & v.canonical.isna()


@field_rule("ENM002", "synonym-used", Severity.INFO, applies=lambda f: f.type == "enum", params=_allowed,
            fix=_fix_enum, on_by_default=False, engine=per_cell())
def synonym_used(v: FieldValues, t: TableValues) -> pd.Series:
    """An allowed value is written as one of its synonyms (or in another letter case) instead of its canonical form.

    Off by default in dq validate (rules.yaml: ENM002: {enabled: true} to report it); dq fix always applies it.

    Why: 个, 件 and PCS all mean one unit; the ERP stores one code, so the import file should too.
    Bad: unit = 个; status = 启用; currency = rmb.
    Good: unit = PCS; status = active; currency = CNY.
    """
    return v.present & v.canonical.notna() & (v.canonical != v.clean).fillna(False).astype(bool)


# --- RNG: ranges -----------------------------------------------------------------------------


def _bound_value(b: Bound) -> float | pd.Timestamp:
    if b.value == "today":
        return pd.Timestamp(today())
    if isinstance(b.value, str):
        return pd.Timestamp(dt.date.fromisoformat(b.value))
    return float(b.value)


def _parsed(v: FieldValues) -> pd.Series:
    return v.date if v.spec.type == "date" else v.number


@field_rule("RNG001", "below-minimum", applies=lambda f: f.min is not None and f.type in ("integer", "decimal", "date"), params=_range_min,
            engine=per_cell())
def below_minimum(v: FieldValues, t: TableValues) -> pd.Series:
    """A number or date is below the smallest value its field allows.

    Why: a negative credit limit or a zero list price makes margin and credit checks meaningless.
    Bad: list_price = 0 (must be > 0); credit_limit = -5000.
    Good: list_price = 12.50; credit_limit = 0.
    """
    assert v.spec.min is not None
    x, lo = _parsed(v), _bound_value(v.spec.min)
    failing = (x <= lo) if v.spec.min.exclusive else (x < lo)
    return failing.fillna(False).astype(bool)


@field_rule("RNG002", "above-maximum", applies=lambda f: f.max is not None and f.type in ("integer", "decimal", "date"), params=_range_max,
            engine=per_cell())
def above_maximum(v: FieldValues, t: TableValues) -> pd.Series:
    """A number or date is above the largest value its field allows (for dates: in the future).

    Why: a creation date in the future or an impossible quantity is a typing mistake.
    Bad: created_on = 2099-01-01.
    Good: created_on = 2024-01-05.
    """
    assert v.spec.max is not None
    x, hi = _parsed(v), _bound_value(v.spec.max)
    failing = (x >= hi) if v.spec.max.exclusive else (x > hi)
    return failing.fillna(False).astype(bool)


# --- UNQ: unique values ----------------------------------------------------------------------


def _duplicate_groups(v: FieldValues, failing: pd.Index) -> pd.DataFrame:
    """For each failing row, the other rows holding the same value (only the rows sharing a failing value are grouped)."""
    comparable = v.number if v.spec.is_numeric else v.clean
    wanted = comparable.reindex(failing).dropna()
    members = comparable[(v.present & comparable.notna() & comparable.isin(wanted)).astype(bool)]
    codes, _ = pd.factorize(members)
    order = np.argsort(codes, kind="stable")
    rows = members.index.to_numpy()[order]
    groups = [tuple(g.tolist()) for g in np.split(rows, np.flatnonzero(np.diff(codes[order])) + 1)] if len(rows) else []
    group_of = pd.Series(codes, index=members.index).reindex(failing).fillna(-1).astype("int64").to_numpy()
    related = [tuple(r for r in groups[g] if r != row) if g >= 0 else () for row, g in zip(failing.tolist(), group_of.tolist(), strict=True)]
    return pd.DataFrame({"related_rows": related}, index=failing)


def _comparable(t: Target) -> str:
    return "number" if t.spec.is_numeric else "clean"


def _duplicate_sql(view, t: Target):
    return sql.group_conflicts(view.table, [view.col(t.field, _comparable(t))], view.row)


@field_rule("UNQ001", "duplicate-value", applies=lambda f: f.unique, params=_labels, details=_duplicate_groups,
            engine=in_sql(lambda t: [Need(t.field, _comparable(t))], _duplicate_sql))
def duplicate_value(v: FieldValues, t: TableValues) -> pd.Series:
    """A value that must be unique appears on more than one row.

    Why: two customers under one code, or one USCC under two customers, merge or split their orders, credit and invoices.
    Bad: customer_code C000123 on rows 5 and 9.
    Good: each customer_code appears once.
    """
    comparable = v.number if v.spec.is_numeric else v.clean
    return v.present & comparable.duplicated(keep=False) & comparable.notna()

