"""Submit, approve and reject change requests; the approval rules are enforced here, in transactions.

Rules (spec, "Tiered approval"): a tier-N change needs L1..LN, each level by a distinct person,
none of them the requester or the submitter; one person counts once even with two roles; a
rejection ends the request; applied, rejected and withdrawn requests take no more decisions; an
approval given for a value that is no longer the incoming value is stale and does not count.

Identity (issue 23): the submitter is the signed-in person who submits (the CLI and the API sign
them in before calling `submit`); the 申请人 column or --requested-by only names who asked, as
information. Neither the submitter nor the named requester counts toward the approvals of the
change. A submission withdraws only its own submitter's pending requests; any other open request
is withdrawn explicitly (`withdraw`) by its submitter or an administrator.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from dataquality.approve import audit
from dataquality.approve.changes import RECORD, Change
from dataquality.approve.db import approvals, requests, submissions
from dataquality.approve.people import Directory, clean_name
from dataquality.approve.tiers import ApprovalPolicy, Role
from dataquality.errors import DQError
from dataquality.store import Store

OPEN = ("pending", "approved")
CLOSED = ("rejected", "applied", "withdrawn")


class WorkflowError(DQError):
    """A decision the approval rules refuse (self-approval, closed request, wrong role...)."""


def person_key(name: str | None, directory: Directory | None = None) -> str:
    """Who a name means: the staff list's person id, else the name without invisible characters."""
    found = directory.find(name) if directory is not None else None
    return f"id:{found.id}" if found else f"name:{clean_name(name)}"


def same_person(a: str | None, b: str | None, directory: Directory | None = None) -> bool:
    """Names compared as people: the same staff-list person (aliases too), or the same cleaned name."""
    return bool(clean_name(a)) and bool(clean_name(b)) and person_key(a, directory) == person_key(b, directory)


@dataclass(frozen=True)
class RequestView:
    """A change request with what its approvals amount to now."""

    id: int
    entity: str
    key: str
    field: str
    kind: str
    old: str | None
    new: str | None
    new_norm: str
    tier: int
    requested_by: str | None
    status: str
    required: tuple[str, ...]
    present: tuple[tuple[str, str], ...]  # (approver, role) that count
    stale: tuple[tuple[str, str], ...]  # approvals for an earlier value
    missing: tuple[str, ...]
    rejected_by: str | None = None
    reason: str | None = None
    submitted_by: str | None = None  # the signed-in submitter (requested_by is information)
    old_norm: str = ""  # the old value's comparison text (numbers and dates canonical), as new_norm
    record_name: str | None = None  # the record's name in the submitted file


def _covering(tier: int, valid: Sequence[tuple[str, int]], directory: Directory | None = None) -> tuple[dict[int, str], tuple[int, ...]]:
    """Assign distinct people to levels 1..tier as far as possible: (level -> person, missing levels)."""
    levels = list(range(1, tier + 1))
    people: dict[int, list[str]] = {lv: [] for lv in levels}
    for person, level in valid:
        if level in people and person not in people[level]:
            people[level].append(person)
    best: dict[int, str] = {}
    # Levels are few (L1..L3) and so are approvers: trying every assignment is cheap and exact.
    for size in range(len(levels), 0, -1):
        for chosen in itertools.combinations(levels, size):
            for pick in itertools.product(*(people[lv] for lv in chosen)):
                if len({person_key(p, directory) for p in pick}) == len(pick):
                    best = dict(zip(chosen, pick, strict=True))
                    break
            if best:
                break
        if best:
            break
    return best, tuple(lv for lv in levels if lv not in best)


def view(req: dict[str, Any], decisions: Iterable[dict[str, Any]], policy: ApprovalPolicy) -> RequestView:
    """What a request's approvals amount to: roles present, stale approvals, missing roles."""
    level = {r.code: r.level for r in policy.roles}
    valid: list[tuple[str, int]] = []
    present_by_person: dict[str, str] = {}
    stale: list[tuple[str, str]] = []
    rejected_by = reason = None
    for d in decisions:
        if d["decision"] == "rejected":
            rejected_by, reason = d["approver"], d["comment"]
            continue
        if d["value_norm"] != req["new_norm"]:
            stale.append((d["approver"], d["role"]))
            continue
        if _own(d["approver"], req, policy):
            continue
        valid.append((d["approver"], level.get(d["role"], 99)))
    chosen, missing = _covering(req["tier"], valid, policy.people)
    for lv, person in chosen.items():
        present_by_person[person] = f"L{lv}"
    required = tuple(r.code for r in policy.required_roles(req["tier"]))
    status = req["status"]
    return RequestView(
        id=req["id"], entity=req["entity"], key=req["key"], field=req["field"], kind=req["kind"],
        old=req["old_value"], new=req["new_value"], new_norm=req["new_norm"], tier=req["tier"],
        requested_by=req["requested_by"], status=status, required=required,
        present=tuple((p, r) for p, r in sorted(present_by_person.items(), key=lambda x: x[1])),
        stale=tuple(stale), missing=tuple(f"L{lv}" for lv in missing), rejected_by=rejected_by, reason=reason,
        submitted_by=req.get("submitted_by"), old_norm=req.get("old_norm") or "", record_name=req.get("record_name"),
    )


def _own(name: str | None, req: dict[str, Any], policy: ApprovalPolicy) -> bool:
    """Whether `name` is the request's submitter or its named requester: neither decides on it."""
    return same_person(name, req["requested_by"], policy.people) or same_person(name, req.get("submitted_by"), policy.people)


def _decisions(conn: Connection, request_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in request_ids}
    for chunk in (request_ids[i : i + 500] for i in range(0, len(request_ids), 500)):
        q = select(approvals).where(approvals.c.request_id.in_(chunk)).order_by(approvals.c.id)
        for d in conn.execute(q):
            out[d.request_id].append(dict(d._mapping))
    return out


def with_submitters(conn: Connection, reqs: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The requests, each with `submitted_by`: who submitted the submission it now belongs to."""
    ids = sorted({r["submission_id"] for r in reqs})
    by: dict[int, str | None] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        by.update((r.id, r.by) for r in conn.execute(select(submissions.c.id, submissions.c.by).where(submissions.c.id.in_(chunk))))
    return [{**r, "submitted_by": by.get(r["submission_id"])} for r in reqs]


def views(conn: Connection, reqs: Sequence[dict[str, Any]], policy: ApprovalPolicy) -> list[RequestView]:
    """RequestViews for many requests with one query for their decisions."""
    decisions = _decisions(conn, [r["id"] for r in reqs])
    return [view(r, decisions[r["id"]], policy) for r in with_submitters(conn, reqs)]


def _load_request(conn: Connection, request_id: int) -> dict[str, Any]:
    q = select(requests).where(requests.c.id == request_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()  # two approvers of one request queue here instead of racing
    row = conn.execute(q).first()
    if row is None:
        raise WorkflowError("approve.not_found", id=request_id)
    return with_submitters(conn, [dict(row._mapping)])[0]


@dataclass(frozen=True)
class SubmitResult:
    """What `submit` did: ids of new, revised, unchanged and withdrawn requests."""

    submission_id: int
    created: tuple[int, ...]
    revised: tuple[int, ...]
    unchanged: tuple[int, ...]
    withdrawn: tuple[int, ...]
    no_approval: int
    kept_open: tuple[int, ...] = ()  # open requests not in this file, left for an explicit withdrawal


def _new_id(result: Any) -> int:
    """The primary key an INSERT just created."""
    return int(result.inserted_primary_key[0])


def _requesters(changes: Sequence[Change], by: str, directory: Directory | None) -> dict[tuple[str, str, str], str]:
    """Who each change names as its requester (information): the 申请人 column, else the submitter."""
    out: dict[tuple[str, str, str], str] = {}
    for c in changes:
        named = c.requested_by if c.requested_by and clean_name(c.requested_by) and c.kind != "delete" else by
        out[c.ident] = directory.person(named, "requester").name if directory is not None else str(named).strip()
    return out


def _submitter(by: str | None, directory: Directory | None) -> str:
    if not clean_name(by):
        raise WorkflowError("approve.no_submitter")
    return directory.person(by, "submitter").name if directory is not None else str(by).strip()


NO_LONGER_IN_FILE = "no longer in the incoming file"  # the reason of a withdrawal by a newer file (sealed as written)


def submit(store: Store, changes: Sequence[Change], info: dict[str, Any], by: str | None = None,
           directory: Directory | None = None, withdraw_missing: bool = True) -> SubmitResult:
    """Record every change that needs approval as a change request (one transaction), submitted by
    the signed-in person `by`; a change's requester is the file's requester column, else `by`.

    `withdraw_missing`: the submitter's own pending requests of these entities that the change set no
    longer holds are withdrawn (a whole incoming file was submitted); False for a few changes on their
    own (corrections sent back by a department), which leave every other request as it is."""
    created: list[int] = []
    revised: list[int] = []
    unchanged: list[int] = []
    withdrawn: list[int] = []
    by = _submitter(by, directory)
    needing = [c for c in changes if c.tier > 0]
    who = _requesters(needing, by, directory)
    entities = sorted({c.entity for c in changes} | set(info.get("entities", ())))
    at = audit.now()
    with store.transaction() as conn:
        sub = {"at": at, "by": by, "entities": ",".join(entities),
               **{k: info[k] for k in ("incoming_path", "incoming_sha256", "baseline_path", "baseline_sha256")}}
        sub_id = _new_id(conn.execute(submissions.insert().values(**sub)))
        audit.append(conn, "submit", actor=by, at=at, comment=f"{info['incoming_path']} (baseline {info['baseline_path']})",
                     data={"submission": {"id": sub_id, **sub}})
        existing = {ident: r for ident, r in current_requests(conn, entities).items()}
        seen = set()
        for c in needing:
            seen.add(c.ident)
            requester = who[c.ident]
            data = {"kind": c.kind, "tier": c.tier, "new_value": c.new, "new_norm": c.new_norm, "old_norm": c.old_norm,
                    "requested_by": requester, "status": "pending", "submission_id": sub_id, "submitted_by": by,
                    "requester_id": directory.person(requester).id if directory is not None else None,
                    "record_name": c.record_name}
            old = existing.get(c.ident)
            if old is not None and old["new_norm"] == c.new_norm and old["status"] != "withdrawn":
                unchanged.append(old["id"])  # same value again: pending stays pending, a rejection stays final
                continue
            if old is not None and old["status"] in OPEN:
                # The incoming value changed under an open request: approvals given so far are stale.
                conn.execute(requests.update().where(requests.c.id == old["id"]).values(
                    old_value=c.old, new_value=c.new, old_norm=c.old_norm, new_norm=c.new_norm, tier=c.tier,
                    requested_by=requester, status="pending", updated_at=at, version=old["version"] + 1,
                    submission_id=sub_id, record_name=c.record_name,
                ))
                audit.append(conn, "revise", actor=by, request_id=old["id"], entity=c.entity, key=c.key,
                             field=c.field, old_value=old["new_value"], new_value=c.new, at=at,
                             comment=f"tier {c.tier}", data={**data, "version": old["version"] + 1})
                revised.append(old["id"])
                continue
            rid = _new_id(conn.execute(requests.insert().values(
                submission_id=sub_id, entity=c.entity, key=c.key, field=c.field, kind=c.kind, old_value=c.old,
                new_value=c.new, old_norm=c.old_norm, new_norm=c.new_norm, tier=c.tier, requested_by=requester,
                status="pending", created_at=at, updated_at=at, version=1, record_name=c.record_name,
            )))
            audit.append(conn, "request", actor=by, request_id=rid, entity=c.entity, key=c.key, field=c.field,
                         old_value=c.old, new_value=c.new, at=at, comment=f"{c.kind}, tier {c.tier}", data={**data, "version": 1})
            created.append(rid)
        gone = [old for ident, old in existing.items() if withdraw_missing and ident not in seen and old["status"] in OPEN]
        kept = []
        for old in with_submitters(conn, gone):
            # Only the submitter's own pending requests go with his newer file; what others asked
            # for, or what is approved already, waits for an explicit withdrawal.
            if old["status"] != "pending" or not same_person(old["submitted_by"], by, directory):
                kept.append(old["id"])
                continue
            _withdraw(conn, old, by, NO_LONGER_IN_FILE, at)
            withdrawn.append(old["id"])
    return SubmitResult(int(sub_id), tuple(created), tuple(revised), tuple(unchanged), tuple(withdrawn),
                        len(changes) - len(needing), tuple(kept))


def _withdraw(conn: Connection, req: dict[str, Any], by: str, reason: str, at: str) -> None:
    conn.execute(requests.update().where(requests.c.id == req["id"]).values(status="withdrawn", updated_at=at))
    audit.append(conn, "withdraw", actor=by, request_id=req["id"], entity=req["entity"], key=req["key"],
                 field=req["field"], old_value=req["old_value"], new_value=req["new_value"], at=at,
                 comment=reason, data={"status": "withdrawn"})


def withdraw(store: Store, policy: ApprovalPolicy, request_id: int, by: str, reason: str, admin: bool = False) -> RequestView:
    """Withdraw an open request, signed in as `by`: its submitter, or an administrator (`admin`)."""
    by = _submitter(by, policy.people)
    if not (reason or "").strip():
        raise WorkflowError("approve.no_reason")
    with store.transaction() as conn:
        req = _load_request(conn, request_id)
        _refuse_closed(req)
        if not admin and not same_person(by, req["submitted_by"], policy.people):
            raise WorkflowError("approve.withdraw_not_yours", id=request_id, name=by, submitter=req["submitted_by"] or "-")
        at = audit.now()
        _withdraw(conn, req, by, reason.strip(), at)
        return view({**req, "status": "withdrawn"}, _decisions(conn, [request_id])[request_id], policy)


def _with_date(comment: str | None, decided: str | None, source: str) -> str | None:
    """The audit comment; a decision dated elsewhere (an approvals sheet) keeps its date and source."""
    if not decided and source == "cli":
        return comment
    extra = f"[{source}{', ' + decided if decided else ''}]"
    return f"{comment} {extra}" if comment else extra


def _refuse_closed(req: dict[str, Any]) -> None:
    if req["status"] in CLOSED:
        raise WorkflowError(f"approve.closed_{req['status']}", id=req["id"])


def role_code(policy: ApprovalPolicy, role: str) -> str:
    """The code of the approval level `role` names (L2, 财务总监 ...); WorkflowError when none."""
    return _role(policy, role).code


def _role(policy: ApprovalPolicy, role: str) -> Role:
    """The level for `role` as typed (L2, 财务总监 ...); WorkflowError when the policy has no such level."""
    found = policy.role(role)
    if found is None:
        raise WorkflowError("approve.unknown_role", role=role, roles=", ".join(r.code for r in policy.roles))
    return found


def _approver(policy: ApprovalPolicy, by: str | None) -> str:
    """The approver as the staff list names them; a blank or unknown name is refused."""
    if not clean_name(by):
        raise WorkflowError("approve.no_name")
    return policy.directory().person(by, "approver").name


def approve(store: Store, policy: ApprovalPolicy, request_id: int, by: str, role: str, comment: str | None = None,
            at: str | None = None, source: str = "cli", entered_by: str | None = None) -> RequestView:
    """Record one approval by the signed-in `by`; refuses what the rules forbid. Returns the request
    as it now stands. `entered_by`: who entered it from a sheet (a confirmed entry)."""
    with store.transaction() as conn:
        return approve_in(conn, policy, request_id, by, role, comment, at, source, entered_by)


def _record(conn: Connection, policy: ApprovalPolicy, req: dict[str, Any], row: dict[str, Any], status: str,
            extra: dict[str, Any]) -> None:
    """Insert the decision and its audit event, which carries every column of it."""
    approval_id = _new_id(conn.execute(approvals.insert().values(**row)))
    action = "approve" if row["decision"] == "approved" else "reject"
    audit.append(conn, action, actor=row["approver"], role=None if row["role"] == "-" else row["role"],
                 request_id=req["id"], entity=req["entity"], key=req["key"], field=req["field"],
                 old_value=req["old_value"], new_value=req["new_value"],
                 comment=_with_date(row["comment"], extra.pop("dated", None), row["source"]),
                 data={"role": row["role"], "value_norm": row["value_norm"], "status": status, "source": row["source"],
                       "approver_id": policy.directory().person(row["approver"]).id if policy.people else None,
                       "decided_at": row["at"], "comment": row["comment"], "approval_id": approval_id, **extra})
    if status != req["status"]:
        conn.execute(requests.update().where(requests.c.id == req["id"]).values(status=status, updated_at=row["at"]))


def approve_in(conn: Connection, policy: ApprovalPolicy, request_id: int, by: str, role: str, comment: str | None = None,
               at: str | None = None, source: str = "cli", entered_by: str | None = None,
               entry_id: int | None = None) -> RequestView:
    """`approve` inside the caller's transaction (a confirmed sheet entry records its approval and
    its confirmation at once)."""
    by = _approver(policy, by)
    found = _role(policy, role)
    req = _load_request(conn, request_id)
    _refuse_closed(req)
    if req["tier"] == 0:
        raise WorkflowError("approve.not_needed", id=request_id)
    if _own(by, req, policy):
        raise WorkflowError("approve.self", id=request_id, name=by)
    if found.level > req["tier"]:
        raise WorkflowError("approve.role_not_needed", id=request_id, role=found.code, tier=req["tier"],
                            roles=", ".join(r.code for r in policy.required_roles(req["tier"])))
    decisions = _decisions(conn, [request_id])[request_id]
    for d in decisions:
        if d["decision"] == "approved" and d["value_norm"] == req["new_norm"] and same_person(d["approver"], by, policy.people):
            raise WorkflowError("approve.counts_once", id=request_id, name=by, role=d["role"])
    row = {"request_id": request_id, "approver": by, "role": found.code, "decision": "approved",
           "value_norm": req["new_norm"], "comment": comment, "at": at or audit.now(), "source": source}
    now_view = view(req, [*decisions, row], policy)
    status = "approved" if not now_view.missing else req["status"]
    _record(conn, policy, req, row, status, {"entered_by": entered_by, "entry_id": entry_id, "dated": at})
    return view({**req, "status": status}, [*decisions, row], policy)


def _refuse_unneeded(policy: ApprovalPolicy, req: dict[str, Any], roles: Sequence[str]) -> None:
    """Only a role the request's tier needs decides on it: an L3 does not reject a tier-1 change."""
    needed = policy.required_roles(req["tier"])
    if not {r.code for r in needed} & set(roles):
        raise WorkflowError("approve.role_not_needed", id=req["id"], role=", ".join(roles), tier=req["tier"],
                            roles=", ".join(r.code for r in needed))


def reject(store: Store, policy: ApprovalPolicy, request_id: int, by: str, reason: str, role: str | None = None,
           at: str | None = None, source: str = "cli", entered_by: str | None = None,
           held: Sequence[str] | None = None) -> RequestView:
    """Reject a request: it is closed for good and its change never reaches the master. The role
    rejected in (else one of the roles `held` by the signed-in account) must be one the request needs."""
    with store.transaction() as conn:
        return reject_in(conn, policy, request_id, by, reason, role, at, source, entered_by, held=held)


def reject_in(conn: Connection, policy: ApprovalPolicy, request_id: int, by: str, reason: str, role: str | None = None,
              at: str | None = None, source: str = "cli", entered_by: str | None = None,
              entry_id: int | None = None, held: Sequence[str] | None = None) -> RequestView:
    """`reject` inside the caller's transaction."""
    by = _approver(policy, by)
    if not (reason or "").strip():
        raise WorkflowError("approve.no_reason")
    code = _role(policy, role).code if role else None
    req = _load_request(conn, request_id)
    _refuse_closed(req)
    if code is not None or held is not None:
        _refuse_unneeded(policy, req, [code] if code is not None else list(held or ()))
    if _own(by, req, policy):
        raise WorkflowError("approve.self_reject", id=request_id, name=by)
    row = {"request_id": request_id, "approver": by, "role": code or "-", "decision": "rejected",
           "value_norm": req["new_norm"], "comment": reason, "at": at or audit.now(), "source": source}
    _record(conn, policy, req, row, "rejected", {"entered_by": entered_by, "entry_id": entry_id, "dated": at})
    return view({**req, "status": "rejected"}, _decisions(conn, [request_id])[request_id], policy)


def request_view(store: Store, policy: ApprovalPolicy, request_id: int) -> RequestView:
    """One request as it stands; WorkflowError when there is none."""
    with store.transaction() as conn:
        row = conn.execute(select(requests).where(requests.c.id == request_id)).first()
        if row is None:
            raise WorkflowError("approve.not_found", id=request_id)
        return views(conn, [dict(row._mapping)], policy)[0]


def list_requests(store: Store, policy: ApprovalPolicy, pending: bool = False, role: str | None = None,
                  entity: str | None = None) -> list[RequestView]:
    """Requests (newest state), optionally only pending ones, or only those still missing `role`."""
    code = _role(policy, role).code if role else None
    with store.transaction() as conn:
        q = select(requests).order_by(requests.c.id)
        if pending or code:
            q = q.where(requests.c.status == "pending")
        if entity:
            q = q.where(requests.c.entity == entity)
        out = views(conn, [dict(r._mapping) for r in conn.execute(q)], policy)
    if code:
        out = [v for v in out if code in v.missing]
    return out


def current_requests(conn: Connection, entities: Iterable[str], lock: bool = False) -> dict[tuple[str, str, str], dict[str, Any]]:
    """The latest request per (entity, key, field) of `entities`; `lock` holds them until commit (PostgreSQL)."""
    out: dict[tuple[str, str, str], dict[str, Any]] = {}
    q = select(requests).where(requests.c.entity.in_(list(entities))).order_by(requests.c.id)
    if lock and conn.dialect.name == "postgresql":
        q = q.with_for_update()
    for r in conn.execute(q):
        out[(r.entity, r.key, r.field)] = dict(r._mapping)
    return out


def decide_for_changes(store: Store | None, policy: ApprovalPolicy, changes: Sequence[Change]) -> dict[tuple[str, str, str], RequestView]:
    """For each change needing approval, its request's state when it exists for this very value."""
    if store is None:
        return {}
    with store.transaction() as conn:
        current = current_requests(conn, {c.entity for c in changes})
        matching = [current[c.ident] for c in changes if c.tier > 0 and c.ident in current
                    and current[c.ident]["new_norm"] == c.new_norm and current[c.ident]["status"] != "withdrawn"]
        return {(v.entity, v.key, v.field): v for v in views(conn, matching, policy)}


def record_targets(conn: Connection, entity: str, key: str, field: str) -> list[dict[str, Any]]:
    """The requests an approvals-sheet line means: one field, or `*` = the record's creation or deletion."""
    q = select(requests).where(requests.c.entity == entity, requests.c.key == key).order_by(requests.c.id)
    latest: dict[str, dict[str, Any]] = {}
    for r in conn.execute(q):
        latest[r.field] = dict(r._mapping)
    if field == RECORD:
        return [r for r in latest.values() if r["kind"] in ("create", "delete")]
    return [latest[field]] if field in latest else []
