"""The approval rule's registry entry: its findings come from approve/, its description lives with the other rules."""

from __future__ import annotations

from dataquality.checks.forms import pandas_only
from dataquality.checks.registry import describe
from dataquality.issue import Severity

UNAPPROVED = describe(
    "APR001",
    "unapproved-sensitive-change",
    Severity.ERROR,
    "approval",
    """A sensitive field changed against the approved master without the approvals its tier needs.

    Why: a price, a credit limit or a bank account is where money is lost; a change needs
    L1..LN approvals (rules/approval.yaml) and is never applied to the master without them.
    Bad: credit_limit 100,000 -> 2,100,000 (tier 3) with only the department manager's approval.
    Good: the same change approved by the department manager, the finance director and the
    general manager (dq approve ID --by NAME --role L3), then written by dq apply.
    """,
    engine=pandas_only("approval"),
)
