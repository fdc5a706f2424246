"""Tiered approval: change sets, tiers, the approval store, the audit log and `dq apply`.

changes.py (what changed) -> tiers.py (how sensitive) -> workflow.py (requests and decisions, in
db.py's tables, by signed-in people: accounts.py, acting.py) -> entries.py (approvals-sheet lines
awaiting their approver) -> audit.py (the keyed chain; coverage.py: the tables under it) ->
apply.py (the last applied master plus approved changes). keys.py and stores.py: the audit key,
held by the service, and opening the store with it; submission.py: change sets sent to the
service; issues.py turns unapproved changes into APR001 issues for the ordinary report.
"""
