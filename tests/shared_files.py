"""Where the shared test files are: ../shared beside the checkout (or the folder DQ_SHARED names).

The real-world workbooks are read from there and never copied into the project; a bare clone
without them skips the tests that need them, saying where it looked.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ["DQ_SHARED"]) if os.environ.get("DQ_SHARED") else ROOT.parent / "shared"
REALWORLD = SHARED / "realworld" / "files"

needs_realworld = pytest.mark.skipif(
    not REALWORLD.is_dir(),
    reason=f"the real-world workbooks are not here: {REALWORLD} (../shared beside the checkout, or DQ_SHARED)",
)
