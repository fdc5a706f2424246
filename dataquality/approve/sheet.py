"""Import decisions from an approvals sheet (entity, key, field, new value, approver, role, decision, date).

The importer signs in; only an account holding a role of approval.yaml's `sheet_import.roles` may
import, and only for requests up to `sheet_import.max_tier` (tier 3 needs the approvers to sign in
themselves, by default). Each line becomes an entry "entered, awaiting confirmation" (entries.py):
it counts for nothing until the named approver confirms it signed in, and the importer never
enters lines for a change he requested or submitted. A line must name the value it approves (a line
for another value is stale) and carry a date neither in the future nor before the request. A
refused line is reported with its reason, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dataquality.approve import entries, workflow
from dataquality.approve.accounts import Account
from dataquality.approve.changes import RECORD, comparable
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.approve.workflow import WorkflowError
from dataquality.checks.values import FieldValues
from dataquality.config import Config, normalise_header
from dataquality.errors import DQError, InputError
from dataquality.i18n import text
from dataquality.load.grid import iter_grids, read_csv_grid, sniff_kind
from dataquality.load.limits import Limits
from dataquality.load.source import WorkbookSource
from dataquality.store import Store

COLUMNS: dict[str, tuple[str, ...]] = {
    "entity": ("entity", "实体", "主数据类型", "对象"),
    "key": ("key", "编码", "主键", "代码"),
    "field": ("field", "字段"),
    "value": ("value", "new_value", "new value", "新值", "申请值", "审批值", "批准值"),
    "approver": ("approver", "审批人", "批准人"),
    "role": ("role", "角色", "级别", "审批级别"),
    "role_name": ("role_name", "rolename", "角色名称", "职务"),
    "decision": ("decision", "决定", "审批结果", "结果"),
    "date": ("date", "日期", "审批日期"),
    "comment": ("comment", "备注", "意见", "reason", "原因"),
}
REQUIRED = ("entity", "key", "field", "value", "approver", "decision", "date")
DECISIONS = {
    "approved": ("approved", "approve", "yes", "同意", "通过", "批准", "已批准"),
    "rejected": ("rejected", "reject", "no", "驳回", "拒绝", "不同意", "否决"),
}


@dataclass(frozen=True)
class Outcome:
    """What became of one line of the sheet."""

    row: int
    request_id: int | None
    decision: str
    ok: bool
    key: str  # catalogue key (approve.* for a refusal, sheet.* otherwise)
    params: dict[str, Any]


def _header_map(grid: pd.DataFrame) -> tuple[int, dict[str, int]] | None:
    wanted = {normalise_header(a): name for name, aliases in COLUMNS.items() for a in aliases}
    for row in grid.index[:10]:
        found = {wanted[normalise_header(v)]: c for c, v in grid.loc[row].items() if pd.notna(v) and normalise_header(v) in wanted}
        if all(k in found for k in REQUIRED) and ("role" in found or "role_name" in found):
            return int(row), found
    return None


def read_sheet(path: Path, limits: Limits | None = None) -> tuple[pd.DataFrame, str]:
    """The approvals lines as text columns named as in COLUMNS, indexed by Excel row; and the sheet
    name (read within `limits`, default DQ_MAX_*)."""
    source = WorkbookSource(path, limits)
    kind = sniff_kind(source)
    grids = [(read_csv_grid(source), None)] if kind == "csv" else [(book.grid(s), s.name) for s, book in iter_grids(source, kind)]  # type: ignore[union-attr]
    for grid, name in grids:
        found = _header_map(grid)
        if found is None:
            continue
        header_row, cols = found
        body = grid.loc[header_row + 1 :, list(cols.values())]
        body.columns = list(cols.keys())
        body = body.loc[body.notna().any(axis=1)]
        return body, name or path.name
    raise InputError("sheet.no_header", file=path.name, columns=", ".join(REQUIRED + ("role",)))


def _entity(config: Config, text: str) -> str | None:
    wanted = normalise_header(text)
    for schema in config.schemas.values():
        if wanted in {normalise_header(n) for n in (schema.name, *schema.labels.values(), *schema.sheet_names)}:
            return schema.name
    return None


def _field(config: Config, entity: str, text: str) -> str | None:
    if text.strip() == RECORD:
        return RECORD
    return config.schemas[entity].header_index().get(normalise_header(text))


def _decision(text: str) -> str | None:
    wanted = normalise_header(text)
    for name, words in DECISIONS.items():
        if wanted in {normalise_header(w) for w in words}:
            return name
    return None


def _value_norm(config: Config, entity: str, field: str, typed: str) -> str:
    """A value typed in the sheet, normalised like the change set's new values (1,000.00 = 1000)."""
    if field == RECORD:
        return ""
    values = FieldValues(config.schemas[entity].fields[field], pd.Series([typed], dtype="str"), dict(config.references))
    return str(comparable(values)[0].iloc[0])


def _date_problem(day: pd.Timestamp, req: dict[str, Any], today: dt.date) -> str | None:
    """Why a line's date is not acceptable: in the future, or before the request was made."""
    if pd.isna(day):
        return "sheet.bad_date"
    if day.date() > today:
        return "sheet.future_date"
    created = pd.Timestamp(req["created_at"])
    if day.date() < created.date():
        return "sheet.date_before_request"
    return None


def check_importer(policy: ApprovalPolicy, importer: Account) -> None:
    """Only an account holding a role allowed by sheet_import may import a sheet."""
    if not set(importer.roles) & set(policy.import_roles):
        raise WorkflowError("sheet.importer_not_allowed", name=importer.name, roles=", ".join(policy.import_roles) or "-")


# Where an entered line came from, as sealed with it (an approval's `source`); the inbox says it in words.
SOURCE = "{file}:{sheet} (entered by {name})"
_SOURCE = re.compile(r"(?P<file>.*):(?P<sheet>[^:]*) \(entered by (?P<name>.*)\)")


def source_parts(source: str) -> dict[str, str] | None:
    """file, sheet and importer of a `SOURCE` text; None for any other source."""
    found = _SOURCE.fullmatch(source or "")
    return found.groupdict() if found else None


def import_sheet(store: Store, policy: ApprovalPolicy, config: Config, path: Path, lang: str = "en",
                 importer: Account | None = None, today: dt.date | None = None, limits: Limits | None = None) -> list[Outcome]:
    """Apply every line of the approvals sheet through the workflow, in date order, as entered by the
    signed-in `importer`; one Outcome per request touched."""
    if importer is None:
        raise WorkflowError("sheet.no_importer")
    check_importer(policy, importer)
    today = today or dt.datetime.now(dt.UTC).date()
    body, sheet = read_sheet(path, limits)
    body = body.assign(_order=pd.to_datetime(body.get("date"), errors="coerce") if "date" in body else pd.NaT)
    body = body.sort_values("_order", kind="stable", na_position="last")
    source = SOURCE.format(file=path.name, sheet=sheet, name=importer.name)[:200]
    out: list[Outcome] = []
    for row, line in body.iterrows():  # one decision per line: a loop over decisions, not over data
        cells = {k: "" for k in COLUMNS} | {k: "" if pd.isna(v) else str(v).strip() for k, v in line.items()}
        get = cells.__getitem__
        entity = _entity(config, get("entity"))
        if entity is None:
            out.append(Outcome(int(row), None, get("decision"), False, "sheet.unknown_entity", {"entity": get("entity")}))
            continue
        field = _field(config, entity, get("field"))
        decision = _decision(get("decision"))
        role_text = get("role") or get("role_name")
        if field is None:
            out.append(Outcome(int(row), None, get("decision"), False, "sheet.unknown_field", {"field": get("field")}))
            continue
        if decision is None:
            out.append(Outcome(int(row), None, get("decision"), False, "sheet.unknown_decision", {"decision": get("decision")}))
            continue
        key = normalise_key(config, entity, get("key"))
        with store.transaction() as conn:
            targets = workflow.record_targets(conn, entity, key, field)
        if not targets:
            out.append(Outcome(int(row), None, decision, False, "sheet.no_request", {"entity": entity, "key": key, "field": field}))
            continue
        date = get("date") or None
        typed = _value_norm(config, entity, field, get("value"))
        for req in targets:
            if req["tier"] > policy.import_max_tier:
                out.append(Outcome(int(row), req["id"], decision, False, "sheet.tier_too_high",
                                   {"tier": req["tier"], "top": policy.import_max_tier}))
                continue
            # A `*` line decides on a whole created or deleted record: it names no single value.
            if field != RECORD and typed != req["new_norm"]:
                out.append(Outcome(int(row), req["id"], decision, False, "sheet.stale_value",
                                   {"value": get("value"), "new": req["new_value"] or ""}))
                continue
            bad_date = _date_problem(line["_order"], req, today)
            if bad_date:
                out.append(Outcome(int(row), req["id"], decision, False, bad_date, {"date": date or ""}))
                continue
            try:
                reason = get("comment") or (text("sheet.default_reason", lang) if decision == "rejected" else None)
                with store.transaction() as conn:
                    # The line approves the value the request asks for now (a `*` line names none itself).
                    entry = entries.enter(conn, policy, req, get("approver"), role_text or None, decision,
                                          req["new_norm"], reason,
                                          (date and _iso(date)) or "", source, importer)
                out.append(Outcome(int(row), req["id"], decision, True, "sheet.entered",
                                   {"name": get("approver"), "entry": entry}))
            except DQError as exc:
                out.append(Outcome(int(row), req["id"], decision, False, exc.key, exc.params))
    return out


def _iso(text: str) -> str:
    """A sheet's date as the ISO text the audit log stores; kept as written when it is no date."""
    stamp = pd.to_datetime(text, errors="coerce")
    return text if pd.isna(stamp) else stamp.isoformat()


def normalise_key(config: Config, entity: str, text: str) -> str:
    """A key typed in a sheet or on the command line, cleaned like the entity's key column."""
    from dataquality.checks.values import clean_stages

    spec = config.schemas[entity].fields[config.schemas[entity].key]
    return str(clean_stages(pd.Series([text], dtype="str"), spec.clean)[2].iloc[0])
