"""Import decisions from an approvals sheet (entity, key, field, approver, role, decision, date).

Each line goes through the same `approve`/`reject` as the CLI, so every rule holds for imported
decisions too; a refused line is reported with its reason, never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from dataquality.approve import workflow
from dataquality.approve.changes import RECORD
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config, normalise_header
from dataquality.errors import DQError, InputError
from dataquality.i18n import text
from dataquality.load.grid import iter_grids, read_csv_grid, sniff_kind
from dataquality.store import Store

COLUMNS: dict[str, tuple[str, ...]] = {
    "entity": ("entity", "实体", "主数据类型", "对象"),
    "key": ("key", "编码", "主键", "代码"),
    "field": ("field", "字段"),
    "approver": ("approver", "审批人", "批准人"),
    "role": ("role", "角色", "级别", "审批级别"),
    "role_name": ("role_name", "rolename", "角色名称", "职务"),
    "decision": ("decision", "决定", "审批结果", "结果"),
    "date": ("date", "日期", "审批日期"),
    "comment": ("comment", "备注", "意见", "reason", "原因"),
}
REQUIRED = ("entity", "key", "field", "approver", "decision")
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


def read_sheet(path: Path) -> tuple[pd.DataFrame, str]:
    """The approvals lines as text columns named as in COLUMNS, indexed by Excel row; and the sheet name."""
    kind = sniff_kind(path)
    grids = [(read_csv_grid(path), None)] if kind == "csv" else [(book.grid(s), s.name) for s, book in iter_grids(path, kind)]  # type: ignore[union-attr]
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


def import_sheet(store: Store, policy: ApprovalPolicy, config: Config, path: Path, lang: str = "en") -> list[Outcome]:
    """Apply every line of the approvals sheet through the workflow, in date order; one Outcome per request touched."""
    body, sheet = read_sheet(path)
    body = body.assign(_order=pd.to_datetime(body.get("date"), errors="coerce") if "date" in body else pd.NaT)
    body = body.sort_values("_order", kind="stable", na_position="last")
    source = f"{path.name}:{sheet}"
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
        for req in targets:
            try:
                if decision == "approved":
                    workflow.approve(store, policy, req["id"], get("approver"), role_text, get("comment") or None,
                                     at=date and _iso(date), source=source)
                else:
                    workflow.reject(store, policy, req["id"], get("approver"), get("comment") or text("sheet.default_reason", lang),
                                    role=role_text or None, at=date and _iso(date), source=source)
                out.append(Outcome(int(row), req["id"], decision, True, f"sheet.{decision}", {"name": get("approver")}))
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
