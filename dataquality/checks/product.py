"""Product record rules (PRD): checks across fields of a product, across products and against the customer master."""

from __future__ import annotations

import pandas as pd

from dataquality.checks import sql
from dataquality.checks.context import CheckContext
from dataquality.checks.findings import findings, no_findings
from dataquality.checks.forms import Need, Target, in_sql
from dataquality.checks.registry import record_rule
from dataquality.checks.settings import CodePrefix, KnownCode, NotBelow, OneField
from dataquality.checks.values import TableValues, is_in
from dataquality.issue import Severity


def _prefix_sql(view, t: Target):
    prefix, category = view.col(t.settings.field, "code_prefix"), view.col(t.settings.equals, "canonical")
    return (prefix.notnull() & category.notnull() & (prefix != category)).fill_null(False)


@record_rule("PRD001", "code-prefix-not-category", entity="product", settings=CodePrefix, key="code_prefix",
             convention="record_rules.code_prefix",
             engine=in_sql(lambda t: [Need(t.settings.field, "code_prefix"), Need(t.settings.equals, "canonical")], _prefix_sql))
def code_prefix_not_category(t: TableValues, ctx: CheckContext, setting: CodePrefix) -> pd.DataFrame:
    """An internal code does not start with its category (FG finished good, SF semi-finished, RM raw material).

    Why: the prefix is how people and reports tell a finished good from a raw material; a wrong prefix puts the item in the wrong stock, costing and MRP run.
    Bad: internal_code = RM000123 with category = FG (成品).
    Good: internal_code = FG000123 with category = FG.
    """
    codes = t[setting.field]
    code = codes.clean
    if codes.spec.pattern:
        # A code in the wrong format is FMT001's finding; its prefix means nothing yet.
        code = code.where(code.str.fullmatch(codes.spec.pattern).fillna(False).astype(bool))
    category = t[setting.equals].canonical
    # The letters before the first digit; str.extract would run Python's re per cell, these run in pyarrow.
    starts = code.str.match(r"[A-Z]+[0-9]").fillna(False).astype(bool)
    prefix = code.str.replace(r"(?s)^([A-Z]+)[0-9].*$", r"\1", regex=True).where(starts)
    failing = (prefix.notna() & category.notna() & (prefix != category)).fillna(False).astype(bool)
    if not failing.any():
        return no_findings()
    return findings(failing, setting.field, category=category, prefix=prefix)


def _below_cost_sql(view, t: Target):
    s = t.settings
    price, cost = view.col(s.field, "number"), view.col(s.other, "number")
    below = sql.numeric_below_min(price, t.schema.fields[s.field]) | sql.numeric_below_min(cost, t.schema.fields[s.other])
    return (price < cost).fill_null(False) & ~below


# Prices are parsed per distinct value (Excel's number formats), compared in the database.
@record_rule("PRD002", "price-below-cost", Severity.WARNING, entity="product", settings=NotBelow, key="price_below_cost",
             engine=in_sql(lambda t: [Need(t.settings.field, "number"), Need(t.settings.other, "number")], _below_cost_sql,
                           parses_in_python=True))
def price_below_cost(t: TableValues, ctx: CheckContext, setting: NotBelow) -> pd.DataFrame:
    """A list price is below the standard cost.

    Why: selling below cost loses money on every order; sometimes intended (clearance), usually a typo or a stale price.
    Bad: list_price = 8.00, cost_price = 12.50.
    Good: list_price = 16.00, cost_price = 12.50.
    """
    price, cost = t[setting.field].number, t[setting.other].number
    failing = (price < cost).fillna(False).astype(bool) & _not_below_minimum(t, setting.field) & _not_below_minimum(t, setting.other)
    if not failing.any():
        return no_findings()
    return findings(failing, setting.field, cost=t[setting.other].raw)


def _not_below_minimum(t: TableValues, name: str) -> pd.Series:
    """False where the number is below its field's minimum: RNG001 reports that cell already."""
    v = t[name]
    low = v.spec.min
    if low is None or not isinstance(low.value, (int, float)):
        return pd.Series(True, index=t.index)
    below = (v.number <= low.value) if low.exclusive else (v.number < low.value)
    return ~below.fillna(False).astype(bool)


def _own_codes(view, entity: str):
    """The clean internal codes of every table of `entity` checked with `view`'s (its own included)."""
    import ibis

    codes = ibis.union(*[other.table.select(__c=other.key) for other in view.of(entity)], distinct=False)
    # No DISTINCT: the semi- and anti-joins reading it keep a value once anyway, and a DISTINCT of
    # 100M codes is one more aggregate to spill.
    return codes.filter(codes.__c.notnull())


def _part_no_as_code_sql(view, t: Target):
    e = view.table.mutate(__p=view.col(t.settings.field, "clean"))
    return e.filter(e.__p.notnull()).semi_join(_own_codes(view, t.schema.name), [("__p", "__c")])


def _part_no_as_code_findings(view, t: Target, rows: pd.Index, values: TableValues) -> pd.DataFrame:
    """The rows found, each with the rows of its own table whose internal code is its part number."""
    part = values[t.settings.field].clean.reindex(rows)
    own = view.rows_whose(view.key, pd.unique(part.dropna()))
    rows_of = own.sort_values("row").groupby("value")["row"].agg(tuple)
    related = pd.Series([tuple(r for r in rows_of.get(code, ()) if r != row) for row, code in part.items()], index=rows, dtype=object)
    return findings(rows, t.settings.field, related_rows=related)


@record_rule("PRD004", "customer-part-no-used-as-code", entity="product", settings=OneField, key="customer_part_no_not_code",
             engine=in_sql(lambda t: [Need(t.settings.field, "clean"), Need(t.schema.key, "clean")], _part_no_as_code_sql,
                           _part_no_as_code_findings))
def customer_part_no_used_as_code(t: TableValues, ctx: CheckContext, setting: OneField) -> pd.DataFrame:
    """A customer's part number is also used as one of our internal codes.

    Why: our code must be ours alone ("never a customer's code"); a customer's number as our code collides with the next customer's numbering and confuses orders.
    Bad: customer_part_no = FG000123 while FG000123 is also an internal_code.
    Good: customer_part_no = HX-8812-A; internal_code = FG000123.
    """
    part_no = t[setting.field].clean
    codes = pd.concat([other.keys for other in ctx.of(t.schema.name)] or [t.keys])
    failing = is_in(part_no, codes)
    if not failing.any():
        return no_findings()
    # Name the rows of this sheet where that code is the internal code (only the codes found).
    own = t.keys.dropna()
    own = own[is_in(own, part_no[failing])]
    rows_of = pd.Series(own.index, index=own.index).groupby(own.to_numpy()).agg(tuple)
    groups = part_no[failing].map(rows_of)
    related = pd.Series(
        [tuple(r for r in g if r != row) if isinstance(g, tuple) else () for row, g in groups.items()],
        index=groups.index, dtype=object,
    )
    return findings(failing, setting.field, related_rows=related)


def _unknown_customer_sql(view, t: Target):
    if not view.of(t.settings.master):
        return None  # no customer master checked with it: the rule has nothing to compare with
    e = view.table.mutate(__p=view.col(t.settings.field, "clean"))
    return e.filter(e.__p.notnull()).anti_join(_own_codes(view, t.settings.master), [("__p", "__c")])


@record_rule("PRD005", "unknown-customer", entity="product", settings=KnownCode, key="known_customer",
             engine=in_sql(lambda t: [Need(t.settings.field, "clean"), Need(t.schema.key, "clean")], _unknown_customer_sql,
                           lambda view, t, rows, values: findings(rows, t.settings.field)))
def unknown_customer(t: TableValues, ctx: CheckContext, setting: KnownCode) -> pd.DataFrame:
    """A product's customer code is not in the customer master checked with it (only when both are validated together).

    Why: a customer-specific product pointing to no customer cannot be sold, priced or followed up.
    Bad: customer_code = C009999 on a product, and no such customer in customers.xlsx.
    Good: customer_code = C000101, which exists in the customer master.
    """
    customers = ctx.of(setting.master)
    if not customers:
        return no_findings()
    code = t[setting.field].clean
    failing = code.notna() & ~is_in(code, pd.concat([c.keys for c in customers]))
    if not failing.any():
        return no_findings()
    return findings(failing, setting.field)
