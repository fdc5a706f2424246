"""The state tables under the chain: what the sealed events say, compared with what the tables say.

Every state change writes an event whose `data` carries what it changed, sealed with the audit key:
a submission's files and their sha256, a request's values and status, every column of an approval
(who, role, value, comment, date, source), every column of an approvals-sheet entry, an account's
roles, disabled flag, version and password fingerprint, the master an apply wrote. Replaying the
events gives the state the chain vouches for; anything in the tables that differs from it - edited,
inserted by hand or deleted - is reported, and `dq apply` applies nothing while it stands.

Events written before a column was carried (by dq 0.2) vouch for what they carry: a column they do
not name is not compared for them.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from dataquality.approve.db import approvals, entries, requests, submissions, users

COMPARED = ("entity", "key", "field", "kind", "new_value", "new_norm", "tier", "requested_by", "status", "submission_id",
            "record_name")
APPROVAL_COLUMNS = ("request_id", "approver", "role", "decision", "value_norm", "comment", "at", "source")
SUBMISSION_COLUMNS = ("at", "by", "incoming_path", "incoming_sha256", "baseline_path", "baseline_sha256", "entities")
ENTRY_COLUMNS = ("request_id", "approver", "approver_id", "role", "decision", "value_norm", "comment", "decided_at",
                 "source", "entered_by", "entered_at", "status", "settled_at")
ACCOUNT_COLUMNS = ("name", "roles", "disabled", "version", "pw")
USER_ACTIONS = ("user_add", "user_change", "token_add", "token_revoke")
_STATUS_ACTIONS = {"withdraw": "withdrawn", "apply": "applied", "reject": "rejected"}
_UNKNOWN = "\x00not recorded"  # a column an older event does not carry: not compared
_SHA = re.compile(r"sha256=([0-9a-f]{64})")

Problems = list[tuple[int | None, str, dict[str, Any]]]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def password_fingerprint(password_hash: str) -> str:
    """What an account event records of the password: enough to tell a swapped hash, nothing to crack."""
    import hashlib

    return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:16]


def account_state(row: dict[str, Any]) -> dict[str, str]:
    """An account row as its events record it."""
    return {"name": _text(row["name"]), "roles": _text(row["roles"]), "disabled": _text(int(row["disabled"])),
            "version": _text(row["version"]), "pw": password_fingerprint(row["password_hash"])}


@dataclass
class Replay:
    """What the sealed events vouch for."""

    requests: dict[int, dict[str, str]] = field(default_factory=dict)
    approvals: dict[int, dict[str, str]] = field(default_factory=dict)  # approval id -> columns
    unnumbered: Counter[tuple[str, ...]] = field(default_factory=Counter)  # (request, approver, role, decision, value)
    submissions: dict[int, dict[str, str]] = field(default_factory=dict)
    entries: dict[int, dict[str, str]] = field(default_factory=dict)
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)  # person id -> state
    applies: list[dict[str, str]] = field(default_factory=list)  # oldest first

    def last_apply(self) -> dict[str, str] | None:
        """The newest apply that recorded the master it wrote."""
        return self.applies[-1] if self.applies else None


def snapshot(conn: Connection) -> dict[str, Any]:
    """The state tables as a seal event records them (the first keyed event on a dq 0.1 log)."""
    reqs = [{c: _text(r._mapping[c]) for c in ("id", *COMPARED)} for r in conn.execute(select(requests).order_by(requests.c.id))]
    apps = [{"id": r.id, **{c: r._mapping[c] for c in APPROVAL_COLUMNS}}
            for r in conn.execute(select(approvals).order_by(approvals.c.id))]
    subs = [{"id": r.id, **{c: r._mapping[c] for c in SUBMISSION_COLUMNS}}
            for r in conn.execute(select(submissions).order_by(submissions.c.id))]
    return {"requests": reqs, "approvals": apps, "submissions": subs}


def _load(ev: dict[str, Any]) -> dict[str, Any] | None:
    # Only keyed events carry state: an unkeyed row's details are anyone's word.
    return json.loads(ev["data"]) if ev.get("data") and ev.get("alg") else None


def _seal(replay: Replay, data: dict[str, Any]) -> None:
    replay.requests = {int(r["id"]): {c: _text(r.get(c)) if c in r else _UNKNOWN for c in COMPARED}
                       for r in data.get("requests", [])}
    replay.approvals, replay.unnumbered = {}, Counter()
    for a in data.get("approvals", []):
        if isinstance(a, dict):
            replay.approvals[int(a["id"])] = {c: _text(a.get(c)) for c in APPROVAL_COLUMNS}
        else:  # a seal of dq 0.2: [request, approver, role, decision, value]
            replay.unnumbered[tuple(_text(v) for v in a)] += 1
    replay.submissions = {int(s["id"]): {c: _text(s.get(c)) for c in SUBMISSION_COLUMNS} for s in data.get("submissions", [])}


def _request(replay: Replay, ev: dict[str, Any], data: dict[str, Any], rid: int) -> None:
    replay.requests[rid] = {
        "entity": _text(ev["entity"]), "key": _text(ev["key"]), "field": _text(ev["field"]),
        **{c: _text(data.get(c)) for c in ("kind", "new_value", "new_norm", "tier", "requested_by", "status")},
        "submission_id": _text(data["submission_id"]) if "submission_id" in data else _UNKNOWN,
        # the name approvers read beside the key (since revision 0005): a renamed record misleads them
        "record_name": _text(data["record_name"]) if "record_name" in data else _UNKNOWN,
    }


def _decision(replay: Replay, ev: dict[str, Any], data: dict[str, Any], rid: int) -> None:
    decision = "approved" if ev["action"] == "approve" else "rejected"
    if "approval_id" in data:
        replay.approvals[int(data["approval_id"])] = {
            "request_id": str(rid), "approver": _text(ev["actor"]), "role": _text(data.get("role")), "decision": decision,
            "value_norm": _text(data.get("value_norm")), "comment": _text(data.get("comment")),
            "at": _text(data.get("decided_at")), "source": _text(data.get("source"))}
    else:
        replay.unnumbered[(str(rid), _text(ev["actor"]), _text(data.get("role", ev.get("role"))), decision,
                           _text(data.get("value_norm")))] += 1


def _apply(replay: Replay, ev: dict[str, Any], data: dict[str, Any]) -> None:
    if "master_sha256" in data:
        replay.applies.append({k: _text(data.get(k)) for k in ("master_sha256", "incoming_sha256", "baseline_sha256",
                                                               "submission_id")})
        return
    found = _SHA.search(ev.get("comment") or "")  # an apply of dq 0.2 named its master in the comment
    if found:
        replay.applies.append({"master_sha256": found.group(1), "incoming_sha256": "", "baseline_sha256": "",
                               "submission_id": ""})


def _event(replay: Replay, ev: dict[str, Any], data: dict[str, Any]) -> None:
    action, rid = ev["action"], ev.get("request_id")
    if action == "seal":
        _seal(replay, data)
    elif action == "submit":
        sub = data.get("submission") or {}
        replay.submissions[int(sub["id"])] = {c: _text(sub.get(c)) for c in SUBMISSION_COLUMNS}
    elif action in USER_ACTIONS:
        pid = _text(data.get("person_id"))
        state = replay.accounts.setdefault(pid, dict.fromkeys(ACCOUNT_COLUMNS, _UNKNOWN))
        state.update({c: _text(data[c]) for c in ACCOUNT_COLUMNS if c in data})
    elif action == "enter":
        entry = data.get("entry") or {}
        replay.entries[int(entry["id"])] = {c: _text(entry.get(c)) for c in ENTRY_COLUMNS}
    elif action in ("confirm", "decline"):
        found = replay.entries.setdefault(int(data["entry_id"]), dict.fromkeys(ENTRY_COLUMNS, "?"))
        found.update(status=_text(data.get("entry_status")), settled_at=_text(data.get("settled_at")))
    elif action == "apply" and rid is None:
        _apply(replay, ev, data)
    if rid is None or action in ("seal", "submit", "enter", "confirm", "decline"):
        return
    rid = int(rid)
    if action in ("request", "revise"):
        _request(replay, ev, data, rid)
        return
    state = replay.requests.setdefault(rid, dict.fromkeys(COMPARED, "?"))
    if action in ("approve", "reject"):
        _decision(replay, ev, data, rid)
    status = data.get("status") or _STATUS_ACTIONS.get(action)
    if status:
        state["status"] = str(status)


def replay(events: Iterable[dict[str, Any]]) -> Replay:
    """The state the sealed events vouch for."""
    out = Replay()
    for ev in events:  # one step per audit event, like the chain walk itself
        data = _load(ev)
        if data is not None:  # a dq 0.1 row: the seal's snapshot stands for it
            _event(out, ev, data)
    return out


def _compare(table: dict[Any, dict[str, str]], chain: dict[Any, dict[str, str]], what: str) -> Problems:
    """Rows in the table without an event, events without a row, and columns that differ."""
    out: Problems = [(None, f"{what}_unlogged", {"id": k}) for k in table if k not in chain]
    out += [(None, f"{what}_missing", {"id": k}) for k in chain if k not in table]
    for k in (k for k in table if k in chain):
        for column, said in chain[k].items():
            if said != _UNKNOWN and table[k].get(column) != said:
                out.append((None, f"{what}_edited", {"id": k, "column": column, "table": table[k].get(column), "chain": said}))
    return out


def _requests(conn: Connection, vouched: Replay) -> Problems:
    table = pd.DataFrame([{c: _text(r._mapping[c]) for c in ("id", *COMPARED)} for r in conn.execute(select(requests))],
                         columns=["id", *COMPARED]).astype({"id": "int64"}).set_index("id")
    chain = pd.DataFrame.from_dict(vouched.requests, orient="index", columns=list(COMPARED))
    chain.index = chain.index.astype("int64")
    out: Problems = [(None, "state_unlogged", {"id": int(i)}) for i in table.index.difference(chain.index)]
    out += [(None, "state_missing", {"id": int(i)}) for i in chain.index.difference(table.index)]
    both = table.index.intersection(chain.index)
    if len(both):
        a, b = table.loc[both, list(COMPARED)], chain.loc[both, list(COMPARED)]
        diff = ((a != b) & (b != _UNKNOWN)).stack()
        diff = diff[diff]
        out += [(None, "state_edited", {"id": int(i), "column": str(c), "table": a.at[i, c], "chain": b.at[i, c]})
                for i, c in diff.index]
    return out


def _approvals(conn: Connection, vouched: Replay) -> Problems:
    out: Problems = []
    unnumbered: Counter[tuple[str, ...]] = Counter()
    for r in conn.execute(select(approvals).order_by(approvals.c.id)):
        row = {c: _text(r._mapping[c]) for c in APPROVAL_COLUMNS}
        said = vouched.approvals.get(r.id)
        if said is None:
            unnumbered[(row["request_id"], row["approver"], row["role"], row["decision"], row["value_norm"])] += 1
            continue
        out += [(None, "approval_edited", {"id": row["request_id"], "name": row["approver"], "role": row["role"],
                                            "column": c, "table": row[c], "chain": said[c]})
                for c in APPROVAL_COLUMNS if row[c] != said[c]]
    table_ids = {r.id for r in conn.execute(select(approvals.c.id))}
    for aid, said in vouched.approvals.items():
        if aid not in table_ids:
            out.append((None, "approval_missing", {"id": said["request_id"], "name": said["approver"], "role": said["role"]}))
    out += [(None, "approval_unlogged", {"id": k[0], "name": k[1], "role": k[2]}) for k in (unnumbered - vouched.unnumbered)]
    out += [(None, "approval_missing", {"id": k[0], "name": k[1], "role": k[2]}) for k in (vouched.unnumbered - unnumbered)]
    return out


def _submissions(conn: Connection, vouched: Replay) -> Problems:
    table = {r.id: {c: _text(r._mapping[c]) for c in SUBMISSION_COLUMNS} for r in conn.execute(select(submissions))}
    # Submissions are sealed since issue 23: older rows have no event (dq apply does not use them).
    first = min(vouched.submissions, default=None)
    table = {k: v for k, v in table.items() if first is not None and k >= first}
    return _compare(table, vouched.submissions, "submission")


def _entries(conn: Connection, vouched: Replay) -> Problems:
    table = {r.id: {c: _text(r._mapping[c]) for c in ENTRY_COLUMNS} for r in conn.execute(select(entries))}
    return _compare(table, vouched.entries, "entry")


def _accounts(conn: Connection, vouched: Replay) -> Problems:
    table = {r.person_id: account_state(dict(r._mapping)) for r in conn.execute(select(users))}
    return _compare(table, vouched.accounts, "account")


def check(conn: Connection, events: list[dict[str, Any]]) -> tuple[Replay, Problems]:
    """What the sealed events vouch for, and every difference between the tables and it."""
    vouched = replay(events)
    problems = [*_requests(conn, vouched), *_approvals(conn, vouched), *_submissions(conn, vouched),
                *_entries(conn, vouched), *_accounts(conn, vouched)]
    return vouched, problems
