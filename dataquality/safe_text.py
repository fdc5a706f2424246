"""Cell content made safe for the format it is written to, whatever the data holds.

- Workbooks (XML): control characters XML 1.0 forbids (NUL, ESC ...) become U+FFFD; text is cut
  to Excel's 32,767 characters per cell (with a visible mark); NaN and infinities stay text.
- CSV: a value that a spreadsheet would run as a formula (starting with = + - @, tab or CR, also
  after leading spaces) is prefixed with an apostrophe, as OWASP advises. Plain numbers (-12.5) are
  left alone. Apply it to the value actually written, after any transformation (trim, NFKC).
"""

from __future__ import annotations

import math
import re
from typing import Any

EXCEL_TEXT_MAX = 32_767
TRUNCATED_MARK = " …[+{n}]"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_FORMULA_START = re.compile(r"^[\s\u3000]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r]")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def xml_text(value: str) -> str:
    """`value` without the characters an XML 1.0 document cannot hold."""
    return _NOT_XML.sub("\ufffd", value) if _NOT_XML.search(value) else value


def excel_text(value: str) -> str:
    """`value` fit for one Excel cell: XML-safe and at most 32,767 characters."""
    value = xml_text(value)
    if len(value) > EXCEL_TEXT_MAX:
        keep = EXCEL_TEXT_MAX - len(TRUNCATED_MARK.format(n=len(value)))
        value = value[:keep] + TRUNCATED_MARK.format(n=len(value) - keep)
    return value


def excel_value(value: Any) -> Any:
    """A value fit for a workbook cell: text made safe, NaN/inf as text (Excel has no such numbers)."""
    if isinstance(value, str):
        return excel_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def looks_like_formula(value: str) -> bool:
    """Whether a spreadsheet opening this text as CSV (or typed into a cell) would run it."""
    return bool(_FORMULA_START.match(value)) and not _PLAIN_NUMBER.match(value.strip())


def csv_value(value: Any) -> Any:
    """A value to write to a CSV file: formulas defused with a leading apostrophe; None as empty."""
    if value is None:
        return ""
    if isinstance(value, str) and looks_like_formula(value):
        return "'" + value
    return value


_NOT_XML_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_escaped_cells(values: list[str], attribute: bool = False) -> list[str]:
    """`excel_text` of each value, escaped for XML character data (& < >, and a carriage return), all in one pass;
    with `attribute`, also fit for a double-quoted attribute value (" and line breaks as references).

    The values are joined with NUL (which no XML text can hold, so it cannot come from the data
    once checked), escaped and cleaned as one string in C, and split again: a report writer's
    million cells cost a few string operations instead of a million function calls.
    """
    values = [excel_text(v) if len(v) > EXCEL_TEXT_MAX else v for v in values]
    joined = "\x00".join(values)
    if joined.count("\x00") != max(len(values) - 1, 0):  # a value holds NUL itself: one at a time
        return [xml_escaped_cells([excel_text(v)], attribute)[0] for v in values]
    # A carriage return as a reference: a bare one is read back as a line feed (XML end-of-line handling).
    joined = joined.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if attribute:
        joined = joined.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    if _NOT_XML_BUT_NUL.search(joined):
        joined = _NOT_XML_BUT_NUL.sub("\ufffd", joined)
    return joined.split("\x00") if values else []
