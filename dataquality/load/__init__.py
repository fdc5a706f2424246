"""Load customer, supplier and product masters from Excel and CSV into Tables with Excel row numbers.

Every sheet a person can read, dq reads the same way: the header is found among the first rows
(title rows, a two-level header, bilingual two-line headers), merged cells belong to each row
they cover, number formats are applied (000123, not 123), totals, sign-off and note rows are not
records, and what cannot be read is reported as a finding rather than stopping the run.

The names below live in `dataquality.load.files` and are imported on first use (PEP 562), so the
light submodules (limits, source) can start work before pandas is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dataquality.load.files import FileRead, load_file, problem_for, read_file
    from dataquality.load.table import Finding, Table

__all__ = ["FileRead", "Finding", "Table", "load_file", "problem_for", "read_file"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from dataquality.load import files

        return getattr(files, name)
    raise AttributeError(f"module 'dataquality.load' has no attribute {name!r}")
