"""Decisions by a signed-in account (the web inbox, the JSON API the CLI talks to): the person is
the account's, the role must be an approval role the account holds, and the request must need one
of the account's roles (an L3 does not reject a tier-1 change). `inbox` is what such a person is
asked to decide."""

from __future__ import annotations

from dataquality.approve import workflow
from dataquality.approve.accounts import Account
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.approve.workflow import RequestView, WorkflowError
from dataquality.store import Store


def known_role(policy: ApprovalPolicy, role: str | None) -> None:
    """Refuse a role name the policy does not know before anyone is asked for a password."""
    if role and role.strip() and policy.role(role) is None:
        raise WorkflowError("approve.unknown_role", role=role, roles=", ".join(r.code for r in policy.roles))


def approval_roles(policy: ApprovalPolicy, account: Account) -> tuple[str, ...]:
    """The approval levels among the account's roles (not `admin`)."""
    levels = {r.code for r in policy.roles}
    return tuple(r for r in account.roles if r in levels)


def held_role(policy: ApprovalPolicy, account: Account, role: str | None) -> str:
    """The role code the account acts in: the one asked for (it must hold it), else its only approval role."""
    held = approval_roles(policy, account)
    if role is None or not role.strip():
        if len(held) != 1:
            raise WorkflowError("approve.choose_role", roles=", ".join(held) or "-")
        return held[0]
    found = policy.role(role)
    if found is None:
        raise WorkflowError("approve.unknown_role", role=role, roles=", ".join(r.code for r in policy.roles))
    if found.code not in held:
        raise WorkflowError("approve.role_not_held", name=account.name, role=found.code, roles=", ".join(account.roles))
    return found.code


def approve_as(store: Store, policy: ApprovalPolicy, account: Account, request_id: int, role: str | None,
               comment: str | None = None, source: str = "cli") -> RequestView:
    """Approve as the signed-in person, in a role the account holds."""
    return workflow.approve(store, policy, request_id, account.person_id, held_role(policy, account, role), comment,
                            source=source)


def reject_as(store: Store, policy: ApprovalPolicy, account: Account, request_id: int, reason: str,
              role: str | None = None, source: str = "cli") -> RequestView:
    """Reject as the signed-in person, in a role the account holds that the request needs."""
    held = approval_roles(policy, account)
    code = held_role(policy, account, role) if role or len(held) == 1 else None
    return workflow.reject(store, policy, request_id, account.person_id, reason, code, source=source, held=held)


class _Rehearsed(Exception):
    """Ends a rehearsed decision's transaction: everything it wrote is rolled back."""


def rehearse_reject_as(store: Store, policy: ApprovalPolicy, account: Account, request_id: int, reason: str,
                       role: str | None = None) -> None:
    """Raise the WorkflowError `reject_as` would raise now, recording nothing: a rejection is final,
    so the inbox asks for a confirmation first, and only of a rejection the rules would accept.
    The very same code runs, in a transaction that is rolled back."""
    held = approval_roles(policy, account)
    code = held_role(policy, account, role) if role or len(held) == 1 else None
    try:
        with store.transaction() as conn:
            workflow.reject_in(conn, policy, request_id, account.person_id, reason, code, source="web", held=held)
            raise _Rehearsed
    except _Rehearsed:
        return


def withdraw_as(store: Store, policy: ApprovalPolicy, account: Account, request_id: int, reason: str) -> RequestView:
    """Withdraw an open request as its signed-in submitter, or as an administrator."""
    return workflow.withdraw(store, policy, request_id, account.person_id, reason, admin=account.is_admin)


def own(policy: ApprovalPolicy, v: RequestView, account: Account) -> bool:
    """Whether the account's person asked for or submitted the request: he never decides on it."""
    return any(workflow.same_person(who, account.person_id, policy.people) for who in (v.requested_by, v.submitted_by))


def inbox(store: Store, policy: ApprovalPolicy, account: Account) -> tuple[list[RequestView], list[RequestView]]:
    """(pending requests waiting for one of the account's roles that this person may decide, the
    person's own pending requests). Four eyes: a request he asked for or submitted, or one he
    already approved in another role, is never waiting for him."""
    pending = workflow.list_requests(store, policy, pending=True)
    mine = [v for v in pending if own(policy, v, account)]
    own_ids = {v.id for v in mine}
    waiting = [v for v in pending if v.id not in own_ids and set(v.missing) & set(account.roles)
               and not any(workflow.same_person(p, account.person_id, policy.people) for p, _ in v.present)]
    return waiting, mine
