"""Tiered approval: change sets, tiers, the approval store, the audit log and `dq apply`.

changes.py (what changed) -> tiers.py (how sensitive) -> workflow.py (requests and decisions, in
db.py's tables) -> audit.py (hash-chained log) -> apply.py (the approved master); issues.py turns
unapproved changes into APR001 issues for the ordinary report.
"""
