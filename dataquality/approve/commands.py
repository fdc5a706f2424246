"""What the approval commands and `dq serve` share: opening the approval store the way a command
needs it, the status of each change of a change set, a request as a plain dict (JSON), the audit
head of a finished check and a new project's state. No click here: the CLI only prints these."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dataquality.approve.tiers import ApprovalPolicy
from dataquality.errors import DQError
from dataquality.i18n import text
from dataquality.store import Store


def open_state(url: str, state_dir: Path, *, create: bool = True, read_only: bool = False,
               write: bool = True, state_dir_given: bool = False) -> Store | None:
    """The approval store at `url` (audit key from `state_dir`).

    create=False: None when the SQLite file does not exist yet (nothing recorded: nothing to show).
    read_only: reading a database that is not there is an error; nothing is created.
    state_dir_given: the folder was named by the user, so a typo must not create a second, empty state.
    """
    from dataquality.approve.stores import open_approval_store

    if state_dir_given and not state_dir.is_dir():
        raise DQError("state.no_state_dir", path=str(state_dir))
    missing = url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists()
    if missing and not create:
        return None
    if missing and read_only:
        raise DQError("state.no_database", path=url.removeprefix("sqlite:///"))
    return open_approval_store(url, state_dir, write=write and not read_only)


def change_rows(found: Sequence[Any], states: Mapping[Any, Any], policy: ApprovalPolicy) -> list[dict[str, Any]]:
    """Each change of a change set with its tier, required roles, approvals present and status."""
    records: list[dict[str, Any]] = []
    for c in found:
        state = states.get(c.ident)
        required = [r.code for r in policy.required_roles(c.tier)]
        records.append({
            "entity": c.entity, "key": c.key, "field": c.field, "kind": c.kind, "old": c.old, "new": c.new, "tier": c.tier,
            "required": required,
            "present": [f"{p} ({r})" for p, r in state.present] if state else [],
            "missing": list(state.missing) if state else required,
            "status": "none" if c.tier == 0 else (state.status if state else "pending"),
            "request": state.id if state else None, "requested_by": c.requested_by,
            "file": c.file, "sheet": c.sheet, "row": c.row,
        })
    return records


def view_dict(v: Any, lang: str) -> dict[str, Any]:
    """A request view (workflow.RequestView) as the JSON of `dq approvals list -f json`."""
    return {
        "id": v.id, "entity": v.entity, "key": v.key, "field": v.field, "kind": v.kind, "old": v.old, "new": v.new,
        "tier": v.tier, "requested_by": v.requested_by, "submitted_by": v.submitted_by, "required": list(v.required),
        "present": [f"{p} ({r})" for p, r in v.present], "stale": [f"{p} ({r})" for p, r in v.stale],
        "missing": list(v.missing), "status": v.status, "status_text": text(f"changes.status.{v.status}", lang),
    }


@dataclass(frozen=True)
class Head:
    """The audit chain's head and, when the key is at hand, what verifying the chain found."""

    head: str
    problems: tuple[Any, ...] = ()


def audit_head(store: Store, state_dir: Path | None = None) -> Head:
    """The head of the audit chain; with `state_dir`, also verify the chain under the project's key
    (the nightly report read the approval tables: say so when the chain does not vouch for them)."""
    from dataquality.approve import audit
    from dataquality.approve.keys import load_key

    key = load_key(store.url, state_dir) if state_dir is not None else None
    with store.transaction() as conn:
        head = audit.head(conn)
        problems = audit.verify(conn, key=key)[1] if key is not None and head != audit.EMPTY_HEAD else []
    return Head(head, tuple(problems))


def head_line(head: str, lang: str) -> str:
    """The line that gives the head to keep; a sentence when the log is still empty."""
    from dataquality.approve.audit import EMPTY_HEAD

    return text("audit.head_empty", lang) if head == EMPTY_HEAD else text("audit.head", lang, head=head)


def prepare_state(url: str, state_dir: Path) -> Path | None:
    """A new project's database (owner-only) and its audit key, made now by the key holder running
    dq init; returns the key file when it was made here (None: DQ_AUDIT_KEY, or it existed)."""
    from dataquality.approve.keys import find_key, key_path
    from dataquality.approve.stores import open_approval_store

    before = find_key(url, state_dir)
    open_approval_store(url, state_dir, write=True).close()
    return None if before is not None or not key_path(url).exists() else key_path(url)
