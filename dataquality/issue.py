"""The Issue record: the one currency between load, validate, approve, track and report.

`Issue.to_dict(lang)` is the JSON issue contract of the product spec.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from dataclasses import field as dc_field
from enum import StrEnum
from functools import cached_property
from typing import Any

from dataquality.i18n import has, text


class Severity(StrEnum):
    """How bad an issue is; ordered error > warning > info."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """2 for error, 1 for warning, 0 for info: for comparisons and sorting."""
        return _RANK[self._value_]


_RANK = {"error": 2, "warning": 1, "info": 0}


class Status(StrEnum):
    """Where an issue stands across runs."""

    NEW = "new"
    OPEN = "open"
    RESOLVED = "resolved"
    REOPENED = "reopened"


# Parameter values that are certainly not mappings: checked with cheap exact-type tests first,
# because isinstance(x, Mapping) goes through the ABC machinery (slow, and run per issue).
_PLAIN = (str, int, float, tuple, list, type(None))


def _is_mapping(value: Any) -> bool:
    return type(value) is dict or (not isinstance(value, _PLAIN) and isinstance(value, Mapping))


def column_letter(index: int) -> str:
    """Excel column letter for a 0-based column index (0 -> A, 27 -> AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def rows_text(rows: tuple[int, ...], lang: str, limit: int = 10) -> str:
    """Other rows of a group as a person reads them: 'row 17', 'rows 17 and 230', '第 17、230 行'."""
    shown = [str(r) for r in rows[:limit]]
    sep = text("issue.rows_sep", lang)
    if len(rows) == 1:
        return text("issue.row_one", lang, row=shown[0])
    if len(rows) > limit:
        return text("issue.rows_more", lang, rows=sep.join(shown), n=len(rows) - limit)
    return text("issue.rows_many", lang, rows=sep.join(shown[:-1]), last=shown[-1])


@dataclass(frozen=True)
class Issue:
    """One problem found in the data, with enough context to find and fix it."""

    rule: str
    severity: Severity
    entity: str | None
    file: str
    sheet: str | None = None
    row: int | None = None
    key: str | None = None
    field: str | None = None
    value: str | None = None
    column: str | None = None
    department: str | None = None
    params: Mapping[str, Any] = dc_field(default_factory=dict)
    fixable: bool = False
    fixed_value: str | None = None
    related_rows: tuple[int, ...] = ()
    status: Status = Status.NEW
    first_seen: str | None = None
    tracking: Mapping[str, Any] = dc_field(default_factory=dict)

    @property
    def cell(self) -> str | None:
        """The cell a person looks at, e.g. `客户主数据!E17`; None for row- or file-level issues."""
        if self.row is None or self.column is None:
            return None
        return f"{self.sheet}!{self.column}{self.row}" if self.sheet else f"{self.column}{self.row}"

    @cached_property
    def fingerprint(self) -> str:
        """Stable across runs for the same problem: rule, entity, record key and field, never the row.

        A sheet-level finding (no key, no field, e.g. an unknown column) is anchored on its file,
        sheet and value (the header), which do not move when rows are sorted.
        """
        if self.key in (None, "") and self.field is None:
            anchor = f"sheet:{self.file}!{self.sheet or ''}:{self.value or ''}"
        else:
            anchor = self.key if self.key not in (None, "") else f"row:{self.row}"
        raw = f"{self.rule}\x1f{self.entity or ''}\x1f{anchor}\x1f{self.field or ''}"
        return hashlib.sha1(raw.encode("utf-8")).hexdigest()[:16]

    def _params(self, lang: str) -> dict[str, Any]:
        p: dict[str, Any] = {"value": "" if self.value is None else self.value, "field": self.field or ""}
        p.update(self.params)
        labels = p.pop("labels", None)
        if labels is not None and _is_mapping(labels):
            p["field"] = labels.get(lang) or p["field"]
        for k, v in p.items():  # replaces values only, never keys: safe while iterating
            if _is_mapping(v) and len(v) == 2 and "en" in v and "zh" in v:
                p[k] = v[lang if lang in v else "en"]
        if self.related_rows:
            p.setdefault("rows", rows_text(self.related_rows, lang))
        return p

    def message(self, lang: str = "en") -> str:
        """One plain sentence saying what is wrong, in `lang`."""
        return text(f"rules.{self.rule}.message", lang, **self._params(lang))

    def hint(self, lang: str = "en") -> str:
        """How to fix it, in `lang`."""
        key = f"rules.{self.rule}.hint"
        return text(key, lang, **self._params(lang)) if has(key) else ""

    def texts(self, lang: str = "en") -> tuple[str, str]:
        """(message, hint) together: the parameters are worked out once (reports call this per issue)."""
        p = self._params(lang)
        key = f"rules.{self.rule}.hint"
        return text(f"rules.{self.rule}.message", lang, **p), (text(key, lang, **p) if has(key) else "")

    def with_tracking(self, **changes: Any) -> Issue:
        """A copy with tracking fields (status, first_seen, tracking) replaced.

        Called for every issue of a run, so it copies the fields directly instead of going
        through dataclasses.replace (which re-runs the whole constructor per issue).
        """
        if not changes.keys() <= _TRACKING_FIELDS:
            return replace(self, **changes)
        copy = object.__new__(Issue)
        copy.__dict__.update(self.__dict__)
        copy.__dict__.update(changes)
        return copy

    def to_dict(self, lang: str = "en", texts: tuple[str, str] | None = None) -> dict[str, Any]:
        """The JSON issue contract: every field the spec names, plus cell, hint and fix details."""
        message, hint = texts if texts is not None else self.texts(lang)
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity.value,
            "entity": self.entity,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "cell": self.cell,
            "key": self.key,
            "field": self.field,
            "value": self.value,
            "message": message,
            "hint": hint,
            "department": self.department,
            "fingerprint": self.fingerprint,
            "status": self.status.value,
            "first_seen": self.first_seen,
            "fixable": self.fixable,
            "fixed_value": self.fixed_value,
            "related_rows": list(self.related_rows),
        }
        out.update(self.tracking)
        return out


_TRACKING_FIELDS = frozenset({"status", "first_seen", "tracking"})


def texts_of(issues: list[Issue], lang: str = "en") -> list[tuple[str, str]]:
    """(message, hint) of every issue: issues that say the same thing (same rule, value, field,
    parameters and partner rows) share one formatted text, e.g. 100,000 rows with one unknown department.

    The parameters are told apart by identity, which is safe while `issues` keeps them all alive.
    """
    said: dict[tuple, tuple[str, str]] = {}
    out = []
    for issue in issues:
        key = (issue.rule, issue.value, issue.field, id(issue.params), issue.related_rows)
        texts = said.get(key)
        if texts is None:
            texts = said[key] = issue.texts(lang)
        out.append(texts)
    return out


def to_dicts(issues: list[Issue], lang: str = "en") -> list[dict[str, Any]]:
    """`to_dict` of many issues, each text formatted once (texts_of)."""
    return [issue.to_dict(lang, texts) for issue, texts in zip(issues, texts_of(issues, lang), strict=True)]


def sort_key(issue: Issue) -> tuple:
    """Errors first, then by file, sheet, row and field: the order a person works through."""
    return (-issue.severity.rank, issue.file, issue.sheet or "", issue.row or 0, issue.field or "", issue.rule)
