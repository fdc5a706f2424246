"""APR001: sensitive changes without the approvals their tier needs, as ordinary error issues."""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dataquality.approve.changes import RECORD, Change, compute_changes
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.approve.workflow import RequestView, decide_for_changes
from dataquality.checks.approval import UNAPPROVED
from dataquality.checks.runner import effective_severity
from dataquality.config import Config
from dataquality.i18n import LANGUAGES, text
from dataquality.issue import Issue
from dataquality.load import Table
from dataquality.routing import Router
from dataquality.store import DEFAULT_STATE_DIR, Store, default_url, open_store


def resolve_url(db: str | None, policy: ApprovalPolicy, state_dir: Path | str = DEFAULT_STATE_DIR) -> str:
    """The database to use: --db, then DQ_DB, then approval.yaml's `database`, then .dq/dq.db."""
    return db or os.environ.get("DQ_DB") or policy.database or default_url(state_dir)


def _both(key: str, **params: object) -> dict[str, str]:
    return {lang: text(key, lang, **params) for lang in LANGUAGES}


def _roles(policy: ApprovalPolicy, codes: Sequence[str]) -> dict[str, str]:
    by_code = {r.code: r for r in policy.roles}
    sep = {"en": ", ", "zh": "、"}
    return {lang: sep.get(lang, ", ").join(f"{c} {by_code[c].label(lang)}" if c in by_code else c for c in codes) for lang in LANGUAGES}


def approval_issues(
    tables: Sequence[Table], baseline_tables: Sequence[Table], store: Store | None, config: Config,
    policy: ApprovalPolicy | None = None, changes: Sequence[Change] | None = None,
) -> list[Issue]:
    """An APR001 issue at the incoming cell for every sensitive change not (yet) approved."""
    severity = effective_severity(UNAPPROVED, config)
    policy = policy or ApprovalPolicy.load(config=config)
    if changes is None:
        changes = compute_changes(tables, baseline_tables, config, policy)
    if severity is None:
        return []
    states = decide_for_changes(store, policy, changes)
    router = Router(config)
    issues = []
    # What many changes share (labels, roles still missing, the phrase of a kind of change, the
    # department) is worked out once per distinct value, not once per change.
    labels_of: dict[tuple[str, str], dict] = {}
    waiting_for: dict[tuple[str, ...], dict[str, str]] = {}
    phrase: dict[str, dict[str, str]] = {}
    department: dict[tuple[str, str], str | None] = {}
    for c in changes:  # a loop over changes found, not over rows
        if c.tier == 0:
            continue
        state: RequestView | None = states.get(c.ident)
        status = state.status if state else "pending"
        if status in ("approved", "applied"):
            continue
        missing = state.missing if state else tuple(r.code for r in policy.required_roles(c.tier))
        where = (c.entity, c.field)
        if where not in labels_of:
            spec = config.schemas[c.entity].fields.get(c.field)
            labels_of[where] = dict(spec.labels) if spec else _both("changes.record")
            department[where] = router.department(c.entity, c.field, UNAPPROVED.code, None)
        if status == "rejected" and state is not None:
            state_text = _both("approve_issue.rejected", name=state.rejected_by or "", reason=state.reason or "")
        else:
            if missing not in waiting_for:
                roles = _roles(policy, missing)
                waiting_for[missing] = {lang: text("approve_issue.missing", lang, roles=roles[lang]) for lang in LANGUAGES}
            state_text = dict(waiting_for[missing])
        if c.kind not in phrase:
            phrase[c.kind] = _both(f"changes.phrase.{c.kind}")
        issues.append(Issue(
            rule=UNAPPROVED.code, severity=severity, entity=c.entity, file=c.file or "", sheet=c.sheet, row=c.row,
            key=c.key, field=None if c.field == RECORD else c.field, value=c.new, column=c.column,
            department=department[where],
            params={"labels": dict(labels_of[where]), "old": c.old or "", "new": c.new or "", "tier": c.tier,
                    "change": dict(phrase[c.kind]), "state": state_text,
                    "request": state.id if state else "-"},
        ))
    return issues


@contextmanager
def open_decisions(store: Store | None, db: str | None, policy: ApprovalPolicy) -> Iterator[Store | None]:
    """The store holding the approval decisions: `store` when given (dq check: the project's, already
    open), else the database `db` resolves to if it exists. Validating never creates a database:
    without one, nothing is approved yet (None)."""
    if store is not None:
        yield store
        return
    url = resolve_url(db, policy)
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        yield None
        return
    with open_store(url) as opened:
        yield opened
