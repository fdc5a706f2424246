"""The state tables under the chain: what the sealed events say each request is, compared with what
the tables approve_requests and approve_approvals say.

Every state change writes an event whose `data` carries the request's values and its status after
the change, sealed with the audit key. Replaying the events gives the state the chain vouches for;
a status, tier, value or requester edited in a table, an approval row inserted by hand, or a
request with no events is reported. `dq apply` applies nothing while any such problem stands.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Connection

from dataquality.approve.db import approvals, requests

COMPARED = ("entity", "key", "field", "kind", "new_value", "new_norm", "tier", "requested_by", "status")
_STATUS_ACTIONS = {"withdraw": "withdrawn", "apply": "applied", "reject": "rejected"}


def snapshot(conn: Connection) -> dict[str, Any]:
    """The state tables as a seal event records them (the first keyed event on a 0.1 database)."""
    reqs = [{c: _text(r._mapping[c]) for c in ("id", *COMPARED)} for r in conn.execute(select(requests).order_by(requests.c.id))]
    apps = [[r.request_id, r.approver, r.role, r.decision, r.value_norm] for r in conn.execute(select(approvals).order_by(approvals.c.id))]
    return {"requests": reqs, "approvals": apps}


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def replay(events: Iterable[dict[str, Any]]) -> tuple[dict[int, dict[str, str]], Counter[tuple[str, ...]]]:
    """The requests and decisions the sealed events vouch for: (request id -> values, decisions)."""
    state: dict[int, dict[str, str]] = {}
    decided: Counter[tuple[str, ...]] = Counter()
    for ev in events:  # one step per audit event, like the chain walk itself
        # Only keyed events carry state: an unkeyed row's details are anyone's word.
        data = json.loads(ev["data"]) if ev.get("data") and ev.get("alg") else None
        action, rid = ev["action"], ev.get("request_id")
        if data is None:
            continue  # a 0.1 row: the seal's snapshot stands for it
        if action == "seal":
            state = {int(r["id"]): {c: _text(r.get(c)) for c in COMPARED} for r in data.get("requests", [])}
            decided = Counter(tuple(_text(v) for v in a) for a in data.get("approvals", []))
            continue
        if rid is None:
            continue
        rid = int(rid)
        if action in ("request", "revise"):
            state[rid] = {
                "entity": _text(ev["entity"]), "key": _text(ev["key"]), "field": _text(ev["field"]),
                "kind": _text(data.get("kind")), "new_value": _text(data.get("new_value")), "new_norm": _text(data.get("new_norm")),
                "tier": _text(data.get("tier")), "requested_by": _text(data.get("requested_by")), "status": _text(data.get("status")),
            }
            continue
        if rid not in state:
            state[rid] = dict.fromkeys(COMPARED, "?")
        if action in ("approve", "reject"):
            decision = "approved" if action == "approve" else "rejected"
            decided[(str(rid), _text(ev["actor"]), _text(data.get("role", ev.get("role"))), decision, _text(data.get("value_norm")))] += 1
        status = data.get("status") or _STATUS_ACTIONS.get(action)
        if status:
            state[rid]["status"] = str(status)
    return state, decided


def check(conn: Connection, events: list[dict[str, Any]]) -> list[tuple[int | None, str, dict[str, Any]]]:
    """(seq, problem key, params) for every difference between the tables and the replayed events."""
    vouched, decided = replay(events)
    out: list[tuple[int | None, str, dict[str, Any]]] = []
    table = pd.DataFrame([{c: _text(r._mapping[c]) for c in ("id", *COMPARED)} for r in conn.execute(select(requests))],
                         columns=["id", *COMPARED]).astype({"id": "int64"}).set_index("id")
    chain = pd.DataFrame.from_dict(vouched, orient="index", columns=list(COMPARED))
    chain.index = chain.index.astype("int64")
    unlogged = table.index.difference(chain.index)
    missing = chain.index.difference(table.index)
    out += [(None, "state_unlogged", {"id": int(i)}) for i in unlogged]
    out += [(None, "state_missing", {"id": int(i)}) for i in missing]
    both = table.index.intersection(chain.index)
    if len(both):
        a, b = table.loc[both, list(COMPARED)], chain.loc[both, list(COMPARED)]
        diff = (a != b).stack()
        diff = diff[diff]
        out += [(None, "state_edited", {"id": int(i), "column": str(c), "table": a.at[i, c], "chain": b.at[i, c]})
                for i, c in diff.index]
    rows = Counter((str(r.request_id), _text(r.approver), _text(r.role), _text(r.decision), _text(r.value_norm))
                   for r in conn.execute(select(approvals)))
    out += [(None, "approval_unlogged", {"id": k[0], "name": k[1], "role": k[2]}) for k in (rows - decided)]
    out += [(None, "approval_missing", {"id": k[0], "name": k[1], "role": k[2]}) for k in (decided - rows)]
    return out
