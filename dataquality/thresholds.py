"""The --fail-on and --format choices, in a module light enough for the CLI to import at start-up
(and for dq.yaml's parser, which sits below the report writers)."""

from __future__ import annotations

FAIL_ON = ("error", "warning", "never")
# `dq check` follows issues across runs, so it can also fail only on errors new since the last run.
CHECK_FAIL_ON = ("error", "warning", "new-error", "never")

# The report writers, in the order they are listed (dataquality.report.writers() has one per name).
REPORT_FORMATS = ("console", "json", "html", "xlsx", "junit", "corrections")
