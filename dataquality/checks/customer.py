"""Customer record rules (CUS): checks that look at more than one field of a customer."""

from __future__ import annotations

import pandas as pd

from dataquality.checks import sql
from dataquality.checks.context import CheckContext
from dataquality.checks.findings import findings, no_findings
from dataquality.checks.forms import Need, Target, in_sql
from dataquality.checks.registry import record_rule
from dataquality.checks.settings import CapByGroup
from dataquality.checks.values import TableValues


def _group_attr(t: Target) -> str:
    return "canonical" if t.schema.fields[t.settings.by].type == "enum" else "clean"


def _above_cap_sql(view, t: Target):
    s = t.settings
    return (view.col(s.field, "number") > sql.cap_of(view.col(s.by, _group_attr(t)), dict(s.caps))).fill_null(False)


# The amount is parsed per distinct value (Excel's number formats), the comparison runs in the database.
@record_rule("CUS001", "credit-limit-above-grade-cap", entity="customer", settings=CapByGroup, key="credit_cap_by_grade",
             engine=in_sql(lambda t: [Need(t.settings.field, "number"), Need(t.settings.by, _group_attr(t))], _above_cap_sql,
                           parses_in_python=True))
def credit_limit_above_grade_cap(t: TableValues, ctx: CheckContext, setting: CapByGroup) -> pd.DataFrame:
    """A credit limit is above the cap of the customer's grade (A 5,000,000; B 1,000,000; C 200,000; D 0 by default).

    Why: credit beyond what the grade allows exposes the company to bad debt that nobody approved.
    Bad: grade = C, credit_limit = 500,000.
    Good: grade = C, credit_limit = 200,000 (or raise the grade through approval first).
    """
    amount = t[setting.field].number
    group_values = t[setting.by]
    group = group_values.canonical if group_values.spec.type == "enum" else group_values.clean
    cap = group.map(dict(setting.caps)).astype("float64")
    failing = (amount > cap).fillna(False).astype(bool)
    if not failing.any():
        return no_findings()
    shown_cap = cap[failing].map(lambda c: f"{c:,.0f}")  # only the rows found are formatted
    return findings(failing, setting.field, cap=shown_cap, grade=group)
