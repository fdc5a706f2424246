"""Approvals-sheet lines as entries awaiting confirmation (issue 23).

An importer records what a paper sheet says, but a line names a person who has not signed in: it
is "entered, awaiting confirmation" and counts for nothing until the named approver - an enabled
account holding the line's role - confirms it signed in (the web inbox, or `dq approvals confirm`
through the service). Confirming records the approval or rejection through the same rules as
any decision (not the requester or submitter, one person once, the value still the one asked);
declining closes the entry without a decision. Every column of an entry, its confirmation and
its refusal are audit events (coverage.py compares them with the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from dataquality.approve import audit, workflow
from dataquality.approve.accounts import Account
from dataquality.approve.db import entries, requests
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.approve.workflow import RequestView, WorkflowError
from dataquality.store import Store

ENTERED, CONFIRMED, DECLINED = "entered", "confirmed", "declined"


@dataclass(frozen=True)
class EntryView:
    """An approvals-sheet line as the named approver sees it."""

    id: int
    request_id: int
    entity: str
    key: str
    field: str
    old: str | None
    new: str | None
    approver: str
    role: str
    decision: str
    comment: str | None
    decided_at: str
    source: str
    status: str
    request_status: str
    old_norm: str = ""
    new_norm: str = ""
    record_name: str | None = None


def enter(conn: Connection, policy: ApprovalPolicy, req: dict[str, Any], approver: str, role: str | None,
          decision: str, value_norm: str, comment: str | None, decided_at: str, source: str, importer: Account) -> int:
    """Record one sheet line for `req` as entered by `importer`; refuses what could never be confirmed."""
    person = policy.directory().person(approver, "approver")
    code = workflow.role_code(policy, role) if role else None
    if decision == "approved" and code is None:
        raise WorkflowError("approve.no_role")
    req = workflow.with_submitters(conn, [req])[0]
    # The importer never speaks for the approvals of a change he asked for or submitted himself.
    if workflow.same_person(importer.person_id, req["requested_by"], policy.people) or \
            workflow.same_person(importer.person_id, req["submitted_by"], policy.people):
        raise WorkflowError("sheet.importer_is_requester", id=req["id"], name=importer.name)
    if workflow.same_person(person.id, req["requested_by"], policy.people) or \
            workflow.same_person(person.id, req["submitted_by"], policy.people):
        raise WorkflowError("approve.self" if decision == "approved" else "approve.self_reject", id=req["id"], name=person.name)
    row = {"request_id": req["id"], "approver": person.name, "approver_id": person.id, "role": code or "-",
           "decision": decision, "value_norm": value_norm, "comment": comment, "decided_at": decided_at, "source": source,
           "entered_by": importer.person_id, "entered_at": audit.now(), "status": ENTERED, "settled_at": None}
    entry_id = int(conn.execute(entries.insert().values(**row)).inserted_primary_key[0])
    audit.append(conn, "enter", actor=importer.name, role=None if row["role"] == "-" else row["role"],
                 request_id=req["id"], entity=req["entity"], key=req["key"], field=req["field"],
                 old_value=req["old_value"], new_value=req["new_value"],
                 comment=f"{decision} by {person.name} on {decided_at}, awaiting confirmation [{source}]",
                 data={"entry": {"id": entry_id, **row}})
    return entry_id


def _views(conn: Connection, rows: list[dict[str, Any]]) -> list[EntryView]:
    ids = sorted({r["request_id"] for r in rows})
    reqs = {r.id: r for r in conn.execute(select(requests).where(requests.c.id.in_(ids)))} if ids else {}
    out = []
    for e in rows:
        req = reqs[e["request_id"]]
        out.append(EntryView(e["id"], e["request_id"], req.entity, req.key, req.field, req.old_value, req.new_value,
                             e["approver"], e["role"], e["decision"], e["comment"], e["decided_at"], e["source"],
                             e["status"], req.status, req.old_norm, req.new_norm, req.record_name))
    return out


def awaiting(store: Store, account: Account) -> list[EntryView]:
    """Entries naming `account`'s person that still wait for a confirmation, on open requests."""
    with store.transaction() as conn:
        q = select(entries).where(entries.c.approver_id == account.person_id, entries.c.status == ENTERED).order_by(entries.c.id)
        found = _views(conn, [dict(r._mapping) for r in conn.execute(q)])
    return [e for e in found if e.request_status in workflow.OPEN]


def list_entries(store: Store, status: str | None = ENTERED) -> list[EntryView]:
    """Entries (by default those still awaiting confirmation)."""
    with store.transaction() as conn:
        q = select(entries).order_by(entries.c.id)
        if status:
            q = q.where(entries.c.status == status)
        return _views(conn, [dict(r._mapping) for r in conn.execute(q)])


def _load(conn: Connection, entry_id: int, account: Account) -> dict[str, Any]:
    q = select(entries).where(entries.c.id == entry_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()
    found = conn.execute(q).first()
    if found is None:
        raise WorkflowError("entries.not_found", id=entry_id)
    row = dict(found._mapping)
    if row["approver_id"] != account.person_id:
        raise WorkflowError("entries.not_yours", id=entry_id, name=account.name, approver=row["approver"])
    if row["status"] != ENTERED:
        raise WorkflowError("entries.settled", id=entry_id, status=row["status"])
    return row


def _settle(conn: Connection, row: dict[str, Any], status: str, account: Account, comment: str | None) -> None:
    at = audit.now()
    conn.execute(entries.update().where(entries.c.id == row["id"]).values(status=status, settled_at=at))
    req = conn.execute(select(requests).where(requests.c.id == row["request_id"])).one()
    audit.append(conn, "confirm" if status == CONFIRMED else "decline", actor=account.name,
                 role=None if row["role"] == "-" else row["role"], request_id=row["request_id"], entity=req.entity,
                 key=req.key, field=req.field, comment=comment,
                 data={"entry_id": row["id"], "entry_status": status, "settled_at": at})


def confirm(store: Store, policy: ApprovalPolicy, account: Account, entry_id: int) -> RequestView:
    """The named approver, signed in, makes the entered line his decision: an approval or a
    rejection recorded through the workflow's rules, in a role his account holds."""
    with store.transaction() as conn:
        row = _load(conn, entry_id, account)
        if row["role"] != "-" and row["role"] not in account.roles:
            raise WorkflowError("approve.role_not_held", name=account.name, role=row["role"], roles=", ".join(account.roles))
        req = conn.execute(select(requests).where(requests.c.id == row["request_id"])).one()
        if row["value_norm"] != req.new_norm:
            raise WorkflowError("entries.stale", id=entry_id, request=req.id, new=req.new_value or "")
        role = None if row["role"] == "-" else row["role"]
        if row["decision"] == "approved":
            view = workflow.approve_in(conn, policy, row["request_id"], account.person_id, row["role"], row["comment"],
                                       at=row["decided_at"], source=row["source"], entered_by=row["entered_by"],
                                       entry_id=entry_id)
        else:
            view = workflow.reject_in(conn, policy, row["request_id"], account.person_id, row["comment"] or row["source"],
                                      role, at=row["decided_at"], source=row["source"], entered_by=row["entered_by"],
                                      entry_id=entry_id)
        _settle(conn, row, CONFIRMED, account, f"entry {entry_id} confirmed")
    return view


def decline(store: Store, account: Account, entry_id: int, reason: str | None = None) -> None:
    """The named approver says the line is not his decision: it closes without counting."""
    with store.transaction() as conn:
        row = _load(conn, entry_id, account)
        _settle(conn, row, DECLINED, account, (reason or "").strip() or f"entry {entry_id} declined")
