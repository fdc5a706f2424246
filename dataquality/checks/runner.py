"""Run the rules over loaded Tables and turn what they find into Issues.

Every field rule gives one boolean mask per column (True where the cell fails) and every record
rule one findings frame; `_field_issues` and `_record_issues` build the Issues from those in bulk.
A rule that raises is a bug in that rule: RuleError names its code (exit 3, never a finding).
A record rule that cannot run on a sheet (a field it reads has no column) says so once (RUL001).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dataquality.checks.context import CheckContext
from dataquality.checks.conventions import Facts, Outcome, TableFacts, settle
from dataquality.checks.readings import column_notes
from dataquality.checks.registry import Rule, active_rules, get_rule
from dataquality.checks.settings import needed_fields, setting_of
from dataquality.checks.settings import validate as validate_settings
from dataquality.checks.values import TableValues, spec_of, text_list
from dataquality.config import Config, EntitySchema, FieldSpec
from dataquality.issue import Issue, Severity
from dataquality.load.table import Finding, Table
from dataquality.routing import Router

__all__ = ["CheckContext", "RuleError", "check_tables", "effective_severity", "field_plans", "reading_issues", "record_plans"]

RULE_NOT_RUN = "RUL001"
RULE_NOT_CONFIGURED = "RUL002"


class RuleError(RuntimeError):
    """A rule raised: a bug in the rule (its code is named), never a finding about the data."""

    def __init__(self, code: str, origin: str, exc: BaseException) -> None:
        self.code = code
        super().__init__(f"rule {code} ({origin}) failed: {type(exc).__name__}: {exc}")


def call_rule(rule: Rule, *args: Any) -> Any:
    """Run one rule's function; anything it raises becomes a RuleError naming the rule."""
    try:
        return rule.check(*args)  # type: ignore[misc]
    except (KeyboardInterrupt, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - any failure of a rule is a bug of that rule
        raise RuleError(rule.code, rule.origin, exc) from exc


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
    settings: Any = None  # record rules: their validated settings for this entity
    missing: tuple[str, ...] = ()  # record rules: fields they read that the sheet lacks
    partial: bool = False  # record rules: the sheet has some of the fields they read, not all
    unconfigured: bool = False  # record rules of this entity whose settings its schema does not give


def prepare(config: Config) -> None:
    """Load now what the rules of `config` would load on first use (the phone numbering metadata),
    for a caller with a core to spare: the load stage while calamine still reads a workbook."""
    if any(f.identifier == "cn_phone" for schema in config.schemas.values() for f in schema.fields.values()):
        from dataquality.checks.phones import prepare as phones

        phones()


def check_tables(tables: Iterable[Table], config: Config) -> list[Issue]:
    """Every issue the active rules find in `tables`, checked together (cross-entity rules see all)."""
    config = validate_settings(config)
    values = [TableValues(t, config.schemas[t.entity], config) for t in tables]
    ctx = CheckContext(config, values)
    router = Router(config)
    issues: list[Issue] = []
    for tv in values:
        issues.extend(_file_issues(tv, config, router))
        issues.extend(_check_table(tv, ctx, router))
        issues.extend(reading_issues(tv, config, router))
    return issues


def reading_issues(tv: TableValues, config: Config, router: Router) -> list[Issue]:
    """What whole columns decided about reading their values (checks/readings.py), one issue per column."""
    notes = column_notes(tv, lambda rule: effective_severity(rule, config) is not None)
    return _file_issues(tv, config, router, notes) if notes else []


def _file_issues(tv: TableValues, config: Config, router: Router, findings: Iterable[Finding] | None = None) -> list[Issue]:
    """Findings about the sheet's structure: unknown and duplicate columns, and what the loader found
    (missing columns, rows that are not records, weak or unconfirmed column matches, lost digits);
    or, given `findings`, those."""
    from dataquality.checks.files import DUPLICATE_COLUMN, UNKNOWN_COLUMN

    t = tv.table
    found: list[tuple[Rule, int | None, str | None, str | None, str | None, dict[str, Any]]] = []
    if findings is None:
        found += [(UNKNOWN_COLUMN, t.header_row, c, None, h, {"column": c, "header": h}) for c, h in t.unknown_columns]
        found += [(DUPLICATE_COLUMN, t.header_row, c, None, h, {"column": c, "header": h, "first": f})
                  for c, h, f in t.duplicate_columns]
    found += [(get_rule(f.rule), f.row, f.column, f.field, f.value, dict(f.params)) for f in (t.findings if findings is None else findings)]
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


def field_plans(schema: EntitySchema, has: Callable[[str], bool], config: Config,
                extra_keys: Iterable[str] = ()) -> list[tuple[str, _Planned]]:
    """(field, plan) for every field rule that runs on a table of `schema` (column present, rule
    applies to the field, switched on), with its severity; `extra_keys` are second columns of
    repeatable fields (phone#2), checked as the field without required/unique. One place for
    both engines."""
    out = []
    keyed = [(name, spec) for name, spec in schema.fields.items() if has(name)]
    keyed += [(key, spec_of(schema, key)) for key in extra_keys]
    for name, spec in keyed:
        for rule in active_rules():
            if rule.scope != "field" or rule.applies is None or not rule.applies(spec):
                continue
            severity = effective_severity(rule, config, spec)
            if severity is not None:
                out.append((name, _Planned(rule, severity, spec)))
    return out


def record_plans(entity: str, has: Callable[[str], bool], config: Config) -> list[_Planned]:
    """The record rules that run on a table of `entity` (configured, their fields present, switched on).

    One place for both engines (pandas here, Ibis in engines/runner.py)."""
    return [p for p in _record_selection(entity, has, config) if not p.missing and not p.unconfigured]


def _record_selection(entity: str, has: Callable[[str], bool], config: Config) -> list[_Planned]:
    """Every switched-on record rule configured for `entity`, with the fields it misses (if any)."""
    schema = config.schemas.get(entity)
    out = []
    for rule in active_rules():
        if rule.scope != "record" or (rule.entity and rule.entity != entity) or schema is None:
            continue
        needs = needed_fields(rule, schema)
        severity = effective_severity(rule, config)
        if needs is None:
            # The schema does not configure the rule: off for this entity. A rule made for this
            # entity (CUS003 for customers) says so (RUL002); a general one simply does not apply.
            if rule.entity == entity and severity is not None:
                out.append(_Planned(rule, severity, None, unconfigured=True))
            continue
        if severity is not None:
            missing = tuple(f for f in needs if not has(f))
            out.append(_Planned(rule, severity, None, setting_of(rule, schema), missing, 0 < len(missing) < len(needs)))
    return out


# Tables this long have their rules run on two threads: the rules spend most of their time in
# pyarrow's kernels, which release the GIL. Shorter ones are not worth a thread.
THREADED_ROWS = 20_000
_WORKERS = 2


def _check_table(tv: TableValues, ctx: CheckContext, router: Router) -> list[Issue]:
    config = ctx.config
    issues: list[Issue] = []
    columns: dict[str, list[_Planned]] = {}
    for name, plan in field_plans(tv.schema, tv.has, config, tv.extra_keys()):
        columns.setdefault(name, []).append(plan)
    records = _record_selection(tv.schema.name, tv.has, config)
    runnable = [p for p in records if not p.unconfigured and not p.missing]

    def column_masks(name: str) -> list[pd.Series]:
        return [call_rule(plan.rule, tv[name], tv) for plan in columns[name]]

    def record_findings(plan: _Planned) -> pd.DataFrame:
        args = (tv, ctx, plan.settings) if plan.rule.settings is not None else (tv, ctx)
        return call_rule(plan.rule, *args)

    with _Runner(len(tv.index) >= THREADED_ROWS) as run:
        # Record rules (grouping a whole table) are the longest: started first, they do not finish last.
        found = {id(plan): run(record_findings, plan) for plan in runnable}
        masks = {name: run(column_masks, name) for name in columns}
        depts = _record_departments(tv)
        facts = TableFacts(tv)
        for name, plans in columns.items():  # issues in the order of the plans, whatever finished first
            failing = [tv.index[np.asarray(mask.fillna(False) if mask.dtype != bool else mask, dtype=bool)]
                       for mask in masks[name].result()]
            issues.extend(column_issues(list(zip(plans, failing, strict=True)), tv, router, depts, name, facts, config))
        for plan in records:
            if plan.unconfigured:  # a rule for this entity that its schema does not configure
                issues.extend(_not_configured(plan, tv, config, router))
            elif plan.missing:
                if plan.partial:  # some of what it reads is there: that it could not run is news
                    issues.extend(_not_run(plan, tv, config, router))
            else:
                findings = found[id(plan)].result()
                if len(findings):
                    issues.extend(record_or_convention_issues(plan, tv, findings, router, depts, facts, config))
    return issues


EXCEL_ERROR_RULE = "TYP004"


def without_excel_errors(tv: TableValues, key: str, rows: pd.Index) -> pd.Index:
    """`rows` without the cells showing an Excel error (#N/A, #REF! …): such a cell is one defect,
    TYP004's, not also a wrong number, format or phone."""
    from dataquality.checks.fields import EXCEL_ERRORS

    raw = tv[key].raw.reindex(rows)
    errors = raw.isin(EXCEL_ERRORS).fillna(False).to_numpy(dtype=bool)
    return rows[~errors] if errors.any() else rows


def column_issues(found: list[tuple[_Planned, pd.Index]], tv: TableValues, router: Router, depts: pd.Series | None,
                  key: str, facts: Facts, config: Config) -> list[Issue]:
    """The issues of one column's field rules (each with its failing rows), in plan order.

    Where a house-style rule fails on most of the column, its cells give way to the one finding
    about the file's own convention and the codes off it (checks/conventions.py); the column's
    other house-style rules (upper case for a code of that foreign format) then fall silent too:
    the column is judged by its own format. An Excel error cell is TYP004's alone."""
    spec = found[0][0].spec if found else None
    if spec is None:
        return []
    example = tv.schema.conventions == "example"
    cleaned: list[tuple[_Planned, pd.Index]] = []
    for plan, failing in found:
        if len(failing) and plan.rule.code != EXCEL_ERROR_RULE:
            failing = without_excel_errors(tv, key, failing)
        cleaned.append((plan, failing))
    outcomes: dict[int, Outcome] = {}
    for i, (plan, failing) in enumerate(cleaned):
        if len(failing) and plan.rule.convention and config.collapse_conventions:
            outcome = settle(plan.rule, key, len(failing), facts, _adopt(plan.rule, tv.schema, spec),
                             lambda: spec.type != "enum" and spec.reference is None, example)
            if outcome is not None:
                outcomes[i] = outcome
    settled = any(cleaned[i][0].rule.convention_of == "values" for i in outcomes)
    out: list[Issue] = []
    for i, (plan, failing) in enumerate(cleaned):
        if i in outcomes:
            out.extend(_convention_issues(tv, key, outcomes[i], router, depts, config, facts))
        elif len(failing) and not (settled and plan.rule.convention and plan.rule.convention_of == "values"):
            out.extend(_field_issues(plan, tv, failing, router, depts, key))
    return out


def record_or_convention_issues(plan: _Planned, tv: TableValues, findings: pd.DataFrame, router: Router,
                                depts: pd.Series | None, facts: Facts, config: Config) -> list[Issue]:
    """A record rule's issues, or the one finding about the file's convention (PRD001 on most codes)."""
    key = getattr(plan.settings, "field", None)
    if plan.rule.convention and key and tv.has(key) and config.collapse_conventions:
        spec = tv.schema.fields[key]
        outcome = settle(plan.rule, key, len(findings), facts, _adopt(plan.rule, tv.schema, spec), lambda: True,
                         tv.schema.conventions == "example")
        if outcome is not None:
            return _convention_issues(tv, key, outcome, router, depts, config, facts, check_shapes=False)
    return _record_issues(plan, tv, findings, router, depts)


def _adopt(rule: Rule, schema: EntitySchema, spec: FieldSpec) -> dict[str, str]:
    """Where a company adopts its own convention instead of `rule`'s: the file and the key."""
    from pathlib import Path

    where = (rule.convention or "").format(field=spec.name, reference=spec.reference or "")
    if where.startswith("rules/"):
        return {"schema": where, "key": spec.reference or ""}
    source = Path(schema.source) if schema.source else Path(f"{schema.name}.yaml")
    return {"schema": f"{source.parent.name}/{source.name}" if source.parent.name else source.name, "key": where}


def _convention_issues(tv: TableValues, key: str, outcome: Outcome, router: Router, depts: pd.Series | None,
                       config: Config, facts: Facts, check_shapes: bool = True) -> list[Issue]:
    """CNV001 once for the column, and CNV002 for each code off the column's own shapes."""
    t = tv.table
    spec = spec_of(tv.schema, key)
    header = t.headers.get(key, key)
    column = t.columns.get(key)
    out: list[Issue] = []
    rule = get_rule("CNV001")
    severity = effective_severity(rule, config, spec)
    if severity is not None:
        out.append(Issue(
            rule=rule.code, severity=severity, entity=t.entity, file=t.file, sheet=t.sheet, row=t.header_row,
            column=column, field=key, value=header,
            params={"labels": dict(spec.labels), "column": column or "", "header": header, "file": t.file, **outcome.params},
            department=router.department(t.entity, spec.name, rule.code, None),
        ))
    off_rule = get_rule("CNV002")
    off_severity = effective_severity(off_rule, config, spec)
    if check_shapes and off_severity is not None and len(outcome.off):
        plan = _Planned(off_rule, off_severity, spec)
        holder = facts.table_for(outcome.off)
        out.extend(_field_issues(plan, holder, outcome.off, router, _record_departments(holder) if holder is not tv else depts,
                                 key, {"formats": outcome.params["formats"]}))
    return out


class _Runner:
    """Runs work on a small thread pool (or at once, in this thread, when `threaded` is False);
    on an error or an interrupt, work not started is dropped instead of waited for."""

    def __init__(self, threaded: bool) -> None:
        self.pool = ThreadPoolExecutor(_WORKERS, thread_name_prefix="dq-rules") if threaded else None

    def __call__(self, fn: Callable[..., Any], *args: Any) -> Future:
        if self.pool is not None:
            return self.pool.submit(fn, *args)
        done: Future = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - raised again by .result(), in plan order
            done.set_exception(exc)
        return done

    def __enter__(self) -> _Runner:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=kind is None, cancel_futures=kind is not None)


def rules_not_run(tv: TableValues, config: Config, router: Router) -> list[Issue]:
    """RUL001 for every record rule that cannot run on `tv` for want of a column, RUL002 for one its
    schema does not configure (one engine-independent place)."""
    plans = _record_selection(tv.schema.name, tv.has, config)
    return [*(i for plan in plans if plan.missing and plan.partial for i in _not_run(plan, tv, config, router)),
            *(i for plan in plans if plan.unconfigured for i in _not_configured(plan, tv, config, router))]


def _not_configured(plan: _Planned, tv: TableValues, config: Config, router: Router) -> list[Issue]:
    """RUL002: the one info issue saying this entity's record rule did not run: no settings in the schema."""
    t, rule = tv.table, get_rule(RULE_NOT_CONFIGURED)
    severity = effective_severity(rule, config)
    if severity is None:
        return []
    return [Issue(
        rule=rule.code, severity=severity, entity=t.entity, file=t.file, sheet=t.sheet, row=t.header_row,
        params={"rule": plan.rule.code, "entity": {"en": tv.schema.label("en"), "zh": tv.schema.label("zh")},
                "key": plan.rule.key or ""},
        department=router.department(t.entity, None, rule.code, None),
    )]


def _not_run(plan: _Planned, tv: TableValues, config: Config, router: Router) -> list[Issue]:
    """RUL001: the one info issue saying a record rule did not run on this sheet, and why.

    Said when the sheet has part of what the rule reads (credit limits but no grade column); a
    sheet with none of it has nothing the rule could check (no USCC column: no USCC to compare)."""
    t, rule = tv.table, get_rule(RULE_NOT_RUN)
    severity = effective_severity(rule, config)
    if severity is None:
        return []
    labels = [dict(tv.schema.fields[f].labels) if f in tv.schema.fields else {"en": f, "zh": f} for f in plan.missing]
    missing = {lang: "、".join(lb[lang] for lb in labels) if lang == "zh" else ", ".join(lb[lang] for lb in labels) for lang in ("en", "zh")}
    return [Issue(
        rule=rule.code, severity=severity, entity=t.entity, file=t.file, sheet=t.sheet, row=t.header_row,
        params={"rule": plan.rule.code, "missing": missing, "fields": list(plan.missing)},
        department=router.department(t.entity, None, rule.code, None),
    )]


def _record_departments(tv: TableValues) -> pd.Series | None:
    dept_field = tv.schema.department_field
    if not dept_field or not tv.has(dept_field):
        return None
    v = tv[dept_field]
    return v.referenced.fillna(v.clean)


def _texts(values: pd.Series | None, n: int) -> list[str | None]:
    """`_text` of every value, in bulk: str(value), None where missing (n Nones when there is no Series)."""
    return [None] * n if values is None else text_list(values)


def _departments(router: Router, entity: str, field: str | None, rule: str, record_depts: list[str | None]) -> list[str | None]:
    """The responsible department of each issue: the routes are evaluated once per distinct record department."""
    decided = {d: router.department(entity, field, rule, d) for d in set(record_depts)}
    return [decided[d] for d in record_depts]


def _field_issues(plan: _Planned, tv: TableValues, rows: pd.Index, router: Router, depts: pd.Series | None,
                  key: str | None = None, more: dict[str, Any] | None = None) -> list[Issue]:
    """Issues of one field rule on `rows`; `key` is the column (phone#2), the field itself by default;
    `more`: parameters shared by all of them besides the rule's own."""
    t, rule, spec = tv.table, plan.rule, plan.spec
    assert spec is not None
    key = key or spec.name
    v = tv[key]
    params = rule.params(spec, tv.schema) if rule.params else {"labels": dict(spec.labels)}
    if more:
        params = {**params, **more}
    n = len(rows)
    raw = _texts(v.raw.reindex(rows), n)
    keys = _texts(tv.keys.reindex(rows), n)
    fixed = rule.fix(v, rows) if rule.fix else None
    fixed_values = _texts(fixed.reindex(rows) if fixed is not None else None, n)
    details = rule.details(v, rows) if rule.details else None
    extras: list[dict[str, Any]] = [{}] * n
    related: list[tuple[int, ...]] = [()] * n
    if details is not None and len(details):
        found = rows.isin(details.index)
        picked = details.loc[rows[found]]
        extra_cols = [c for c in picked.columns if c != "related_rows"]
        found_at = np.flatnonzero(found).tolist()
        if extra_cols:
            for i, rec in zip(found_at, picked[extra_cols].to_dict("records"), strict=True):
                extras[i] = rec
        if "related_rows" in picked.columns:
            for i, rel in zip(found_at, picked["related_rows"].tolist(), strict=True):
                related[i] = tuple(int(r) for r in rel)
    departments = _departments(router, t.entity, spec.name, rule.code, _texts(depts.reindex(rows) if depts is not None else None, n))
    column = t.columns.get(key)
    base = {**params}
    return Issue.many(
        {"rule": rule.code, "severity": plan.severity, "entity": t.entity, "file": t.file, "sheet": t.sheet,
         "field": key, "column": column, "fixable": fixed is not None and key not in t.derived},
        row=rows.astype("int64").tolist(), key=keys, value=raw, department=departments,
        params=[{**base, **extra} if extra else base for extra in extras], fixed_value=fixed_values,
        related_rows=related,
    )


def _record_issues(plan: _Planned, tv: TableValues, findings: pd.DataFrame, router: Router, depts: pd.Series | None) -> list[Issue]:
    """Record-rule findings: a DataFrame indexed by row with `field` and optional value/fixed_value/related_rows/params."""
    t, rule = tv.table, plan.rule
    n = len(findings)
    if n == 0:
        return []
    index = findings.index
    param_cols = [c for c in findings.columns if c not in ("field", "value", "fixed_value", "related_rows")]
    default_field = rule.fields[0] if rule.fields else None
    names: list[str | None] = (
        [f or default_field for f in findings["field"].tolist()] if "field" in findings.columns else [default_field] * n
    )
    names = [None if (f is None or (not isinstance(f, str) and pd.isna(f))) else f for f in names]
    # The cell's own text where the finding names no value: looked up per field, in bulk.
    values: list[Any] = findings["value"].tolist() if "value" in findings.columns else [None] * n
    lookups: dict[str, list[str | None]] = {}
    for name in {f for f in names if f and tv.has(f)}:
        lookups[name] = _texts(tv[name].raw.reindex(index), n)
    values = [
        lookups[name][i] if (value is None and name in lookups) else value
        for i, (name, value) in enumerate(zip(names, values, strict=True))
    ]
    texts_of_values = [_text(value) for value in values]
    fixed = findings["fixed_value"].tolist() if "fixed_value" in findings.columns else [None] * n
    related = findings["related_rows"].tolist() if "related_rows" in findings.columns else [None] * n
    params_rows = findings[param_cols].to_dict("records") if param_cols else [{}] * n
    keys = _texts(tv.keys.reindex(index), n)
    record_depts = _texts(depts.reindex(index) if depts is not None else None, n)
    decided: dict[tuple[str | None, str | None], str | None] = {}
    labels = {name: {"labels": dict(spec.labels)} for name, spec in tv.schema.fields.items()}
    params: list[dict[str, Any]] = []
    departments: list[str | None] = []
    for name, extra, dept in zip(names, params_rows, record_depts, strict=True):
        p = dict(labels[name]) if name in labels else {}
        if extra:
            p.update({c: val for c, val in extra.items() if val is not None})
        params.append(p)
        if (name, dept) not in decided:
            decided[(name, dept)] = router.department(t.entity, name, rule.code, dept)
        departments.append(decided[(name, dept)])
    return Issue.many(
        {"rule": rule.code, "severity": plan.severity, "entity": t.entity, "file": t.file, "sheet": t.sheet},
        row=index.astype("int64").tolist(), key=keys, field=names, value=texts_of_values,
        column=[t.columns.get(name) if name else None for name in names], department=departments, params=params,
        fixable=[fix is not None and not pd.isna(fix) for fix in fixed], fixed_value=[_text(fix) for fix in fixed],
        related_rows=[tuple(int(r) for r in rel) if isinstance(rel, tuple | list | np.ndarray) else () for rel in related],
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)
