"""Decisions by a signed-in account (the CLI after its password prompt, the web inbox): the person
is the account's, the role must be one the account holds, and the request must need one of the
account's roles (an L3 does not reject a tier-1 change). `inbox` is what such a person is asked
to decide."""

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


def held_role(policy: ApprovalPolicy, account: Account, role: str | None) -> str:
    """The role code the account acts in: the one asked for (it must hold it), else its only role."""
    if role is None or not role.strip():
        if len(account.roles) != 1:
            raise WorkflowError("approve.choose_role", roles=", ".join(account.roles))
        return account.roles[0]
    found = policy.role(role)
    if found is None:
        raise WorkflowError("approve.unknown_role", role=role, roles=", ".join(r.code for r in policy.roles))
    if found.code not in account.roles:
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
    code = held_role(policy, account, role) if role or len(account.roles) == 1 else None
    return workflow.reject(store, policy, request_id, account.person_id, reason, code, source=source,
                           held=account.roles)


def inbox(store: Store, policy: ApprovalPolicy, account: Account) -> tuple[list[RequestView], list[RequestView]]:
    """(pending requests waiting for one of the account's roles that this person may decide, the
    person's own pending requests). Four eyes: a request of one's own, or one this person already
    approved in another role, is never waiting for them."""
    pending = workflow.list_requests(store, policy, pending=True)
    people = policy.people
    mine = [v for v in pending if workflow.same_person(v.requested_by, account.person_id, people)]
    own_ids = {v.id for v in mine}
    waiting = [v for v in pending if v.id not in own_ids and set(v.missing) & set(account.roles)
               and not any(workflow.same_person(p, account.person_id, people) for p, _ in v.present)]
    return waiting, mine
