"""Submit, approve and reject change requests; the approval rules are enforced here, in transactions.

Rules (spec, "Tiered approval"): a tier-N change needs L1..LN, each level by a distinct person,
none of them the requester; one person counts once even with two roles; a rejection ends the
request; applied, rejected and withdrawn requests take no more decisions; an approval given for a
value that is no longer the incoming value is stale and does not count.
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
        if same_person(d["approver"], req["requested_by"], policy.people):
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
    )


def _decisions(conn: Connection, request_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in request_ids}
    for chunk in (request_ids[i : i + 500] for i in range(0, len(request_ids), 500)):
        q = select(approvals).where(approvals.c.request_id.in_(chunk)).order_by(approvals.c.id)
        for d in conn.execute(q):
            out[d.request_id].append(dict(d._mapping))
    return out


def views(conn: Connection, reqs: Sequence[dict[str, Any]], policy: ApprovalPolicy) -> list[RequestView]:
    """RequestViews for many requests with one query for their decisions."""
    decisions = _decisions(conn, [r["id"] for r in reqs])
    return [view(r, decisions[r["id"]], policy) for r in reqs]


def _load_request(conn: Connection, request_id: int) -> dict[str, Any]:
    q = select(requests).where(requests.c.id == request_id)
    if conn.dialect.name == "postgresql":
        q = q.with_for_update()  # two approvers of one request queue here instead of racing
    row = conn.execute(q).first()
    if row is None:
        raise WorkflowError("approve.not_found", id=request_id)
    return dict(row._mapping)


@dataclass(frozen=True)
class SubmitResult:
    """What `submit` did: ids of new, revised, unchanged and withdrawn requests."""

    submission_id: int
    created: tuple[int, ...]
    revised: tuple[int, ...]
    unchanged: tuple[int, ...]
    withdrawn: tuple[int, ...]
    no_approval: int


def _new_id(result: Any) -> int:
    """The primary key an INSERT just created."""
    return int(result.inserted_primary_key[0])


def _requesters(changes: Sequence[Change], by: str | None, directory: Directory | None) -> dict[tuple[str, str, str], str]:
    """Each change's requester as the staff list names them; every request has one (a deletion: `by`)."""
    out: dict[tuple[str, str, str], str] = {}
    for c in changes:
        named = c.requested_by if c.requested_by and c.kind != "delete" else by
        if not clean_name(named):
            raise WorkflowError("approve.no_requester", entity=c.entity, key=c.key, field=c.field)
        out[c.ident] = directory.person(named, "requester").name if directory is not None else str(named).strip()
    return out


def submit(store: Store, changes: Sequence[Change], info: dict[str, Any], by: str | None = None,
           directory: Directory | None = None, withdraw_missing: bool = True) -> SubmitResult:
    """Record every change that needs approval as a change request (one transaction); each needs a
    requester of the staff list: the file's requester column, else `by`.

    `withdraw_missing`: an open request of these entities that the change set no longer holds is
    withdrawn (a whole incoming file was submitted); False for a few changes on their own (corrections
    sent back by a department), which leave every other request as it is."""
    created: list[int] = []
    revised: list[int] = []
    unchanged: list[int] = []
    withdrawn: list[int] = []
    needing = [c for c in changes if c.tier > 0]
    who = _requesters(needing, by, directory)
    if by is not None and directory is not None:
        by = directory.person(by, "requester").name
    entities = sorted({c.entity for c in changes} | set(info.get("entities", ())))
    at = audit.now()
    with store.transaction() as conn:
        sub_id = _new_id(conn.execute(submissions.insert().values(at=at, by=by, entities=",".join(entities), **{
            k: info[k] for k in ("incoming_path", "incoming_sha256", "baseline_path", "baseline_sha256")
        })))
        existing: dict[tuple[str, str, str], dict[str, Any]] = {}
        q = select(requests).where(requests.c.entity.in_(entities)).order_by(requests.c.id)
        for r in conn.execute(q):
            existing[(r.entity, r.key, r.field)] = dict(r._mapping)  # the latest per ident wins
        seen = set()
        for c in needing:
            seen.add(c.ident)
            requester = who[c.ident]
            data = {"kind": c.kind, "tier": c.tier, "new_value": c.new, "new_norm": c.new_norm, "old_norm": c.old_norm,
                    "requested_by": requester, "status": "pending",
                    "requester_id": directory.person(requester).id if directory is not None else None}
            old = existing.get(c.ident)
            if old is not None and old["new_norm"] == c.new_norm and old["status"] != "withdrawn":
                unchanged.append(old["id"])  # same value again: pending stays pending, a rejection stays final
                continue
            if old is not None and old["status"] in OPEN:
                # The incoming value changed under an open request: approvals given so far are stale.
                conn.execute(requests.update().where(requests.c.id == old["id"]).values(
                    old_value=c.old, new_value=c.new, old_norm=c.old_norm, new_norm=c.new_norm, tier=c.tier,
                    requested_by=requester, status="pending", updated_at=at, version=old["version"] + 1,
                    submission_id=sub_id,
                ))
                audit.append(conn, "revise", actor=requester, request_id=old["id"], entity=c.entity, key=c.key,
                             field=c.field, old_value=old["new_value"], new_value=c.new, at=at,
                             comment=f"tier {c.tier}", data={**data, "version": old["version"] + 1})
                revised.append(old["id"])
                continue
            rid = _new_id(conn.execute(requests.insert().values(
                submission_id=sub_id, entity=c.entity, key=c.key, field=c.field, kind=c.kind, old_value=c.old,
                new_value=c.new, old_norm=c.old_norm, new_norm=c.new_norm, tier=c.tier, requested_by=requester,
                status="pending", created_at=at, updated_at=at, version=1,
            )))
            audit.append(conn, "request", actor=requester, request_id=rid, entity=c.entity, key=c.key, field=c.field,
                         old_value=c.old, new_value=c.new, at=at, comment=f"{c.kind}, tier {c.tier}", data={**data, "version": 1})
            created.append(rid)
        for ident, old in existing.items() if withdraw_missing else ():
            if ident not in seen and old["status"] in OPEN:
                conn.execute(requests.update().where(requests.c.id == old["id"]).values(status="withdrawn", updated_at=at))
                audit.append(conn, "withdraw", actor=by, request_id=old["id"], entity=old["entity"], key=old["key"],
                             field=old["field"], old_value=old["old_value"], new_value=old["new_value"], at=at,
                             comment="no longer in the incoming file", data={"status": "withdrawn"})
                withdrawn.append(old["id"])
    return SubmitResult(int(sub_id), tuple(created), tuple(revised), tuple(unchanged), tuple(withdrawn),
                        len(changes) - len(needing))


def _with_date(comment: str | None, decided: str | None, source: str) -> str | None:
    """The audit comment; a decision dated elsewhere (an approvals sheet) keeps its date and source."""
    if not decided and source == "cli":
        return comment
    extra = f"[{source}{', ' + decided if decided else ''}]"
    return f"{comment} {extra}" if comment else extra


def _refuse_closed(req: dict[str, Any]) -> None:
    if req["status"] in CLOSED:
        raise WorkflowError(f"approve.closed_{req['status']}", id=req["id"])


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
    """Record one approval; refuses what the rules forbid. Returns the request as it now stands.
    `entered_by`: who recorded it on the approver's behalf (an approvals-sheet import)."""
    by = _approver(policy, by)
    found = _role(policy, role)
    with store.transaction() as conn:
        req = _load_request(conn, request_id)
        _refuse_closed(req)
        if req["tier"] == 0:
            raise WorkflowError("approve.not_needed", id=request_id)
        if same_person(by, req["requested_by"], policy.people):
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
        conn.execute(approvals.insert().values(**row))
        now_view = view(req, [*decisions, row], policy)
        status = "approved" if not now_view.missing else req["status"]
        audit.append(conn, "approve", actor=by, role=found.code, request_id=request_id, entity=req["entity"],
                     key=req["key"], field=req["field"], old_value=req["old_value"], new_value=req["new_value"],
                     comment=_with_date(comment, at, source),
                     data={"role": found.code, "value_norm": req["new_norm"], "status": status, "source": source,
                           "approver_id": policy.directory().person(by).id if policy.people else None,
                           "entered_by": entered_by, "decided_at": row["at"]})
        if status != req["status"]:
            conn.execute(requests.update().where(requests.c.id == request_id).values(status=status, updated_at=row["at"]))
        return view({**req, "status": "approved" if not now_view.missing else req["status"]}, [*decisions, row], policy)


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
    by = _approver(policy, by)
    if not (reason or "").strip():
        raise WorkflowError("approve.no_reason")
    code = _role(policy, role).code if role else None
    with store.transaction() as conn:
        req = _load_request(conn, request_id)
        _refuse_closed(req)
        if code is not None or held is not None:
            _refuse_unneeded(policy, req, [code] if code is not None else list(held or ()))
        if same_person(by, req["requested_by"], policy.people):
            raise WorkflowError("approve.self_reject", id=request_id, name=by)
        when = at or audit.now()
        row = {"request_id": request_id, "approver": by, "role": code or "-", "decision": "rejected",
               "value_norm": req["new_norm"], "comment": reason, "at": when, "source": source}
        conn.execute(approvals.insert().values(**row))
        conn.execute(requests.update().where(requests.c.id == request_id).values(status="rejected", updated_at=when))
        audit.append(conn, "reject", actor=by, role=code, request_id=request_id, entity=req["entity"], key=req["key"],
                     field=req["field"], old_value=req["old_value"], new_value=req["new_value"],
                     comment=_with_date(reason, at, source),
                     data={"role": code or "-", "value_norm": req["new_norm"], "status": "rejected", "source": source,
                           "approver_id": policy.directory().person(by).id if policy.people else None,
                           "entered_by": entered_by, "decided_at": when})
        decisions = _decisions(conn, [request_id])[request_id]
        return view({**req, "status": "rejected"}, decisions, policy)


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
