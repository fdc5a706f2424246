"""Run the rules over loaded Tables through pandera, and turn its failure cases into Issues.

Every field rule becomes a pandera Check on its column and every record rule a DataFrame-level
Check; pandera runs them lazily, so one pass collects every failure, and `_to_issues` is the one
place where a failure becomes an Issue.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import pandera.pandas as pa

from dataquality.checks.registry import Rule, active_rules
from dataquality.checks.values import TableValues
from dataquality.config import Config, FieldSpec
from dataquality.issue import Issue, Severity
from dataquality.load.table import Table
from dataquality.routing import Router

_SEP = "|"


@dataclass
class CheckContext:
    """What a record rule may look at beyond its own table: the other tables and the configuration."""

    config: Config
    tables: list[TableValues] = field(default_factory=list)
    today: dt.date = field(default_factory=dt.date.today)

    def of(self, entity: str) -> list[TableValues]:
        """The loaded tables of `entity` (e.g. the customer master when checking products)."""
        return [t for t in self.tables if t.schema.name == entity]


def effective_severity(rule: Rule, config: Config, spec: FieldSpec | None = None) -> Severity | None:
    """The severity a rule has here (field setting > rules.yaml > default); None when switched off."""
    if spec is not None and rule.code in spec.severity:
        value = spec.severity[rule.code]
        return None if value == "off" else Severity(value)
    setting = config.rule_settings.get(rule.code)
    if setting is not None:
        if not setting.enabled:
            return None
        if setting.severity:
            return Severity(setting.severity)
    elif not rule.on_by_default:
        return None
    return rule.severity


@dataclass
class _Planned:
    rule: Rule
    severity: Severity
    spec: FieldSpec | None
    findings: pd.DataFrame | None = None  # record rules stash their detailed findings here


def check_tables(tables: Iterable[Table], config: Config) -> list[Issue]:
    """Every issue the active rules find in `tables`, checked together (cross-entity rules see all)."""
    values = [TableValues(t, config.schemas[t.entity], config) for t in tables]
    ctx = CheckContext(config, values)
    router = Router(config)
    issues: list[Issue] = []
    for tv in values:
        issues.extend(_file_issues(tv, config, router))
        issues.extend(_check_table(tv, ctx, router))
    return issues


def _file_issues(tv: TableValues, config: Config, router: Router) -> list[Issue]:
    """Findings about the sheet's structure: unknown and duplicate columns, and what the loader found
    (missing columns, rows that are not records, weak or unconfirmed column matches, lost digits)."""
    from dataquality.checks.files import DUPLICATE_COLUMN, UNKNOWN_COLUMN
    from dataquality.checks.registry import get_rule

    t = tv.table
    found: list[tuple[Rule, int | None, str | None, str | None, str | None, dict[str, Any]]] = []
    found += [(UNKNOWN_COLUMN, t.header_row, c, None, h, {"column": c, "header": h}) for c, h in t.unknown_columns]
    found += [(DUPLICATE_COLUMN, t.header_row, c, None, h, {"column": c, "header": h, "first": f})
              for c, h, f in t.duplicate_columns]
    found += [(get_rule(f.rule), f.row, f.column, f.field, f.value, dict(f.params)) for f in t.findings]
    issues = []
    for rule, row, column, name, value, params in found:
        severity = effective_severity(rule, config)
        if severity is not None:
            issues.append(Issue(
                rule=rule.code, severity=severity, entity=t.entity, file=t.file, sheet=t.sheet, row=row,
                column=column, field=name, value=value, params=params,
                department=router.department(t.entity, name, rule.code, None),
            ))
    return issues


def _field_check(rule: Rule, tv: TableValues, name: str) -> Callable[[pd.Series], pd.Series]:
    def check(_: pd.Series) -> pd.Series:
        return ~rule.check(tv[name], tv)  # type: ignore[misc]

    return check


def _record_check(plan: _Planned, tv: TableValues, ctx: CheckContext) -> Callable[[pd.DataFrame], pd.Series]:
    def check(df: pd.DataFrame) -> pd.Series:
        findings = plan.rule.check(tv, ctx)  # type: ignore[misc]
        plan.findings = findings
        # pandera needs a Series back from a DataFrame-level check (a bare ndarray raises NotImplementedError).
        return pd.Series(~df.index.isin(findings.index), index=df.index)

    return check


def _check_table(tv: TableValues, ctx: CheckContext, router: Router) -> list[Issue]:
    config = ctx.config
    plans: dict[str, _Planned] = {}
    columns: dict[str, pa.Column] = {}
    for name, spec in tv.schema.fields.items():
        if not tv.has(name):
            continue
        checks = []
        for rule in active_rules():
            if rule.scope != "field" or rule.applies is None or not rule.applies(spec):
                continue
            severity = effective_severity(rule, config, spec)
            if severity is None:
                continue
            check_name = f"{rule.code}{_SEP}{name}"
            plans[check_name] = _Planned(rule, severity, spec)
            checks.append(pa.Check(_field_check(rule, tv, name), name=check_name, ignore_na=False))
        columns[name] = pa.Column(None, checks=checks, nullable=True, required=False)
    frame_checks = []
    for rule in active_rules():
        if rule.scope != "record" or (rule.entity and rule.entity != tv.schema.name):
            continue
        if any(not tv.has(f) for f in rule.fields):
            continue
        severity = effective_severity(rule, config)
        if severity is None:
            continue
        plan = _Planned(rule, severity, None)
        plans[rule.code] = plan
        frame_checks.append(pa.Check(_record_check(plan, tv, ctx), name=rule.code, ignore_na=False))
    schema = pa.DataFrameSchema(columns, checks=frame_checks, strict=False, coerce=False)
    try:
        schema.validate(tv.table.data, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _to_issues(exc.failure_cases, plans, tv, router)
    return []


def _to_issues(failures: pd.DataFrame, plans: dict[str, _Planned], tv: TableValues, router: Router) -> list[Issue]:
    """The one place where pandera failure cases become Issues."""
    failures = failures[failures["check"].isin(plans.keys())]
    issues: list[Issue] = []
    dept_values = _record_departments(tv)
    for check_name, group in failures.groupby("check", sort=False):
        plan = plans[str(check_name)]
        rows = pd.Index(pd.unique(group["index"].astype("int64")))
        if plan.rule.scope == "field":
            issues.extend(_field_issues(plan, tv, rows, router, dept_values))
        elif plan.findings is not None:
            issues.extend(_record_issues(plan, tv, plan.findings.loc[plan.findings.index.isin(rows)], router, dept_values))
    return issues


def _record_departments(tv: TableValues) -> pd.Series | None:
    dept_field = tv.schema.department_field
    if not dept_field or not tv.has(dept_field):
        return None
    v = tv[dept_field]
    return v.referenced.fillna(v.clean)


def _field_issues(plan: _Planned, tv: TableValues, rows: pd.Index, router: Router, depts: pd.Series | None) -> list[Issue]:
    t, rule, spec = tv.table, plan.rule, plan.spec
    assert spec is not None
    v = tv[spec.name]
    params = rule.params(spec, tv.schema) if rule.params else {"labels": dict(spec.labels)}
    raw = v.raw.reindex(rows)
    keys = tv.keys.reindex(rows)
    fixed = rule.fix(v, rows) if rule.fix else None
    details = rule.details(v, rows) if rule.details else None
    column = t.columns.get(spec.name)
    out = []
    for row in rows:
        extra: dict[str, Any] = {}
        related: tuple[int, ...] = ()
        if details is not None and row in details.index:
            extra = {k: val for k, val in details.loc[row].items() if k != "related_rows"}
            related = tuple(int(r) for r in details.at[row, "related_rows"]) if "related_rows" in details.columns else ()
        out.append(
            Issue(
                rule=rule.code, severity=plan.severity, entity=t.entity, file=t.file, sheet=t.sheet,
                row=int(row), key=_text(keys.get(row)), field=spec.name, value=_text(raw.get(row)), column=column,
                department=router.department(t.entity, spec.name, rule.code, _text(depts.get(row)) if depts is not None else None),
                params={**params, **extra}, fixable=fixed is not None,
                fixed_value=_text(fixed.get(row)) if fixed is not None else None, related_rows=related,
            )
        )
    return out


def _record_issues(plan: _Planned, tv: TableValues, findings: pd.DataFrame, router: Router, depts: pd.Series | None) -> list[Issue]:
    """Record-rule findings: a DataFrame indexed by row with `field` and optional value/fixed_value/related_rows/params."""
    t, rule = tv.table, plan.rule
    keys = tv.keys
    param_cols = [c for c in findings.columns if c not in ("field", "value", "fixed_value", "related_rows")]
    out = []
    for row, rec in zip(findings.index, findings.to_dict("records"), strict=True):
        name = rec.get("field") or (rule.fields[0] if rule.fields else None)
        spec = tv.schema.fields.get(name) if name else None
        value = rec.get("value")
        if value is None and name and tv.has(name):
            value = tv[name].raw.get(row)
        params = {"labels": dict(spec.labels)} if spec else {}
        params.update({c: rec[c] for c in param_cols if rec.get(c) is not None})
        fixed = rec.get("fixed_value")
        out.append(
            Issue(
                rule=rule.code, severity=plan.severity, entity=t.entity, file=t.file, sheet=t.sheet,
                row=int(row), key=_text(keys.get(row)), field=name, value=_text(value),
                column=t.columns.get(name) if name else None,
                department=router.department(t.entity, name, rule.code, _text(depts.get(row)) if depts is not None else None),
                params=params, fixable=fixed is not None and not pd.isna(fixed), fixed_value=_text(fixed),
                related_rows=tuple(int(r) for r in (rec.get("related_rows") or ())),
            )
        )
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
