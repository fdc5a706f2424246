"""How a column's values were read: the currency written in an amount (TYP007), and what a whole
column decided, said once per column rather than once per cell: the order of its d/m/y dates
(TYP008, TYP009) and the country its phone numbers belong to (IDN006).

The column-level findings sit on the header row (no record is wrong) and go through the runner
like the loader's findings; the engine computes them from the column's distinct values
(engines/runner.py), which decide the same as the whole column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pandas as pd

from dataquality.checks.forms import COLUMN_READING, Need, Target, in_sql
from dataquality.checks.numbers import currencies_of, currency_sets
from dataquality.checks.phones import HOME, phone_answers
from dataquality.checks.registry import Rule, describe, field_rule
from dataquality.checks.settings import FieldName
from dataquality.checks.values import FieldValues, TableValues
from dataquality.config import EntitySchema, FieldSpec
from dataquality.issue import Severity
from dataquality.load.table import Finding


def _labels(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {"labels": dict(spec.labels)}


def record_currency(v: FieldValues) -> pd.Series:
    """The one ISO currency each record's currency cell names (CNY for 人民币, RMB or CNY); NA where
    it names none or several (a bare $)."""
    meaning = v.canonical.fillna(v.clean) if v.spec.type == "enum" else v.clean
    codes, uniques = pd.factorize(meaning)
    named = [currencies_of(str(u)) for u in uniques]
    said = np.array([n[0] if len(n) == 1 else None for n in named] + [None], dtype=object)
    return pd.Series(said[np.where(codes < 0, len(uniques), codes)], index=v.raw.index, dtype=object)


def _contradicts(marks: pd.Series, code: pd.Series) -> pd.Series:
    """Where a written currency mark ('|USD|HKD|...') cannot mean the record's currency; per distinct pair."""
    both = marks.notna() & code.notna()
    if not both.any():
        return pd.Series(False, index=marks.index)
    pairs = pd.DataFrame({"m": marks[both], "c": code[both]})
    key = pairs["m"].astype(str) + "\x00" + pairs["c"].astype(str)
    codes, uniques = pd.factorize(key)
    verdict = np.array([f"|{u.split(chr(0))[1]}|" not in u.split(chr(0))[0] for u in uniques], dtype=bool)
    out = pd.Series(False, index=marks.index)
    out[both] = verdict[codes]
    return out


def _currency_details(v: FieldValues, failing: pd.Index) -> pd.DataFrame:
    other = v.table[v.spec.settings["currency_field"]] if v.table is not None else None
    code = record_currency(other).loc[failing] if other is not None else pd.Series(None, index=failing, dtype=object)
    return pd.DataFrame({"written": v.numbers.marks.loc[failing].astype(object), "currency": code}, index=failing)


def _currency_needs(t: Target) -> list[Need]:
    return [Need(t.field, "currency_marks"), Need(t.spec.settings["currency_field"], "currency_code")]  # type: ignore[arg-type]


def _currency_sql(view: Any, t: Target) -> Any:
    from dataquality.checks import sql

    return sql.currency_contradicts(view.col(t.field, "currency_marks"), view.col(t.spec.settings["currency_field"], "currency_code"))


@field_rule("TYP007", "currency-contradicts-record", Severity.WARNING, key="currency_field", settings=FieldName,
            params=_labels, details=_currency_details,
            engine=in_sql(_currency_needs, _currency_sql, parses_in_python=True))
def currency_contradicts_record(v: FieldValues, t: TableValues) -> pd.Series:
    """An amount is written with a currency that is not the record's own currency.

    Why: $12.50 on a product priced in CNY is either the wrong currency or the wrong price; imported as 12.50 it is neither.
    Bad: list_price = $12.50 with currency = CNY.
    Good: list_price = 12.50 (or ¥12.50, 12.50元) with currency = CNY; $12.50 with currency = USD.
    """
    name = v.spec.settings["currency_field"]
    marks = v.numbers.marks
    if not t.has(name) or not marks.notna().any():  # nearly every column: no currency written in a cell
        return pd.Series(False, index=v.raw.index)
    return _contradicts(currency_sets(marks), record_currency(t[name]))


def _date_fields(t: TableValues) -> Iterator[str]:
    return (n for n, f in t.schema.fields.items() if f.type == "date" and t.has(n))


_ORDERS = {"dmy": {"en": "day first (DD/MM/YYYY)", "zh": "日在前（日/月/年）"},
           "mdy": {"en": "month first (MM/DD/YYYY)", "zh": "月在前（月/日/年）"}}


def _order_params(order: Any) -> dict[str, Any]:
    return {"order": _ORDERS[order.order], "day_first": order.day_first, "month_first": order.month_first,
            "undecided": order.undecided, "day_first_example": order.day_first_example,
            "month_first_example": order.month_first_example, "undecided_example": order.undecided_example}


DATE_ORDER_MIXED = describe(
    "TYP008", "date-order-mixed", Severity.WARNING, "file",
    """A date column holds dates that can only be read day first (25/03/2024) and others only month first (03/25/2024); said once per column.

    Why: a column mixes two conventions, so every date that could be read either way (05/03/2024) may be a month off; dq reads those the way most of the column does.
    Bad: created_on holds 25/03/2024 and 03/26/2024 in one column.
    Good: one order for the whole column, best year first: 2024-03-25.
    """,
    engine=COLUMN_READING,
)

DATE_ORDER_ASSUMED = describe(
    "TYP009", "date-order-assumed", Severity.INFO, "file",
    """A date column holds dates such as 05/03/2024 that could be read day first or month first, and neither its values nor the file's language tell; said once per column with the reading chosen.

    Why: 05/03/2024 is 5 March in Europe and 3 May in the United States; a person must confirm which one the file means.
    Bad: created_on = 05/03/2024 and 07/08/2024 only, in a file with Chinese headers.
    Good: year-first dates (2024-03-05), or at least one date in the column whose day is above 12.
    """,
    engine=COLUMN_READING,
)

PHONE_REGION = describe(
    "IDN006", "phone-region-from-column", Severity.INFO, "file",
    """Most phone numbers of a column are not Chinese but valid numbers of one other country, so the column is read as that country's; said once per column.

    Why: a supplier list from abroad writes its own country's numbers without +CC; reading them as Chinese would call every one of them invalid.
    Bad: a phone column of (206) 555-0100, (425) 555-0199 ... read as Chinese numbers.
    Good: the column read as United States numbers (add a country column, or +1, to say so in the file itself).
    """,
    engine=COLUMN_READING,
)


def column_notes(t: TableValues, wanted: Callable[[Rule], bool]) -> list[Finding]:
    """What whole columns decided about reading their values, one finding per column on the header
    row: d/m/y dates whose order the values contradict (TYP008) or nobody tells (TYP009), phone
    numbers read as another country's (IDN006). `wanted` says which of these rules are on."""
    from dataquality.checks.countries import country_name

    found: list[Finding] = []

    def note(rule: Rule, name: str, params: dict[str, Any]) -> None:
        found.append(Finding(rule.code, t.table.header_row, name, t.table.columns.get(name), None, params))

    dates = wanted(DATE_ORDER_MIXED) or wanted(DATE_ORDER_ASSUMED)
    for name in _date_fields(t) if dates else ():
        order = t[name].dates.order
        rule = {"mixed": DATE_ORDER_MIXED, "assumed": DATE_ORDER_ASSUMED}.get(order.by)
        if rule is not None and wanted(rule):
            note(rule, name, {"labels": dict(t.schema.fields[name].labels), **_order_params(order)})
    for name, spec in t.schema.fields.items() if wanted(PHONE_REGION) else ():
        if spec.identifier != "cn_phone" or not t.has(name):
            continue
        column = phone_answers(t[name]).column
        if column.region != HOME:
            note(PHONE_REGION, name, {"labels": dict(spec.labels), "region": country_name(column.region),
                                      "valid": column.valid, "numbers": column.numbers, "example": column.example})
    return found
