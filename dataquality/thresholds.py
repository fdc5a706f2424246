"""The --fail-on choices, in a module light enough for the CLI to import at start-up."""

from __future__ import annotations

FAIL_ON = ("error", "warning", "never")
# `dq check` follows issues across runs, so it can also fail only on errors new since the last run.
CHECK_FAIL_ON = ("error", "warning", "new-error", "never")
