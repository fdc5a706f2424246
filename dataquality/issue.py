"""The Issue record: the one currency between load, validate, approve, track and report.

`Issue.to_dict(lang)` is the JSON issue contract of the product spec.
"""

from __future__ import annotations

import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import MISSING, dataclass, fields, replace
from dataclasses import field as dc_field
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any

from dataquality.i18n import has, text
from dataquality.xlsx import column_letter  # noqa: F401 - re-exported for load/ until it imports dataquality.xlsx


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
        return _fingerprint(self.__dict__)

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

    def _text_key(self, part: str) -> str:
        """The catalogue key of the message or hint; a rule may word some findings its own way
        (params `wording`: rules.RNG001.message_exclusive says "must be greater than 0")."""
        wording = self.params.get("wording")
        if wording:
            key = f"rules.{self.rule}.{part}_{wording}"
            if has(key):
                return key
        return f"rules.{self.rule}.{part}"

    def message(self, lang: str = "en") -> str:
        """One plain sentence saying what is wrong, in `lang`."""
        return text(self._text_key("message"), lang, **self._params(lang))

    def hint(self, lang: str = "en") -> str:
        """How to fix it, in `lang`."""
        key = self._text_key("hint")
        return text(key, lang, **self._params(lang)) if has(key) else ""

    def texts(self, lang: str = "en") -> tuple[str, str]:
        """(message, hint) together: the parameters are worked out once (reports call this per issue)."""
        p = self._params(lang)
        key = self._text_key("hint")
        return text(self._text_key("message"), lang, **p), (text(key, lang, **p) if has(key) else "")

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
        return _contract(self.__dict__, message, hint, self.fingerprint)

    @classmethod
    def many(cls, common: Mapping[str, Any], **columns: Sequence[Any]) -> list[Issue]:
        """Issues in bulk: the fields in `common` are the same for all of them, each of `columns`
        (field name -> one value per issue, all of one length) gives one field of each issue.

        The same Issues the constructor makes, without running it per issue (a rule that fails on
        every row of a 1M-row file makes 1M issues): every field must be given its proper type
        (Severity, tuple of rows), a field named nowhere takes its default.
        """
        given = common.keys() | columns.keys()
        if given - _FIELDS or _REQUIRED - given:
            raise TypeError(f"Issue.many: unknown fields {sorted(given - _FIELDS)}, missing {sorted(_REQUIRED - given)}")
        if not columns:
            return []
        # The common fields as one issue made by the constructor: copies of its __dict__ share their
        # keys with every instance (CPython's split dicts), half the size and copied twice as fast.
        base = cls(**{**_DEFAULTS, **common}).__dict__
        with paused_gc():
            return _builder(tuple(columns))(cls, base, columns.values())


@lru_cache(maxsize=64)
def _builder(names: tuple[str, ...]) -> Callable[[type[Issue], dict[str, Any], Iterable[Sequence[Any]]], list[Issue]]:
    """The loop of Issue.many for one set of column names, written out for them (as dataclasses
    writes __init__): per issue one copy of the common fields and one store per column."""
    assert all(n.isidentifier() for n in names)  # field names only (checked by Issue.many)
    values = "".join(f"v{i}, " for i in range(len(names)))
    stores = "".join(f"d[{n!r}] = v{i}; " for i, n in enumerate(names))
    source = (
        "def build(cls, base, columns):\n"
        "    out = []\n"
        "    append, copy, new, assign = out.append, base.copy, object.__new__, object.__setattr__\n"
        f"    for {values} in zip(*columns, strict=True):\n"
        f"        d = copy(); {stores}\n"
        "        issue = new(cls); assign(issue, '__dict__', d); append(issue)\n"
        "    return out\n"
    )
    scope: dict[str, Any] = {}
    exec(source, scope)  # noqa: S102 - generated from field names only
    return scope["build"]  # type: ignore[no-any-return]


# Issue.many: the fields, those without a default, and the defaults of the others. The mappings
# (params, tracking) default to one empty mapping shared by the issues of a call: read-only, as
# every issue's fields are (tracking gives an issue a new mapping, never changes it in place).
_FIELDS = frozenset(f.name for f in fields(Issue))
_REQUIRED = frozenset(f.name for f in fields(Issue) if f.default is MISSING and f.default_factory is MISSING)
_DEFAULTS: dict[str, Any] = {
    f.name: f.default if f.default_factory is MISSING else f.default_factory()
    for f in fields(Issue) if f.name not in _REQUIRED
}
_TRACKING_FIELDS = frozenset({"status", "first_seen", "tracking"})
_SEVERITY_TEXT = {s: s.value for s in Severity}
_STATUS_TEXT = {s: s.value for s in Status}


_sha1 = hashlib.sha1


def _fingerprint(d: Mapping[str, Any]) -> str:
    """Issue.fingerprint from an issue's fields."""
    key, field = d["key"], d["field"]
    if key is not None and key != "":
        anchor = key
    elif field is None:
        anchor = f"sheet:{d['file']}!{d['sheet'] or ''}:{d['value'] or ''}"
    else:
        anchor = f"row:{d['row']}"
    raw = f"{d['rule']}\x1f{d['entity'] or ''}\x1f{anchor}\x1f{field or ''}"
    return _sha1(raw.encode("utf-8")).digest()[:8].hex()  # = hexdigest()[:16]


def _contract(d: Mapping[str, Any], message: str, hint: str, fingerprint: str) -> dict[str, Any]:
    """The JSON issue contract of the spec from an issue's fields, its texts and its fingerprint."""
    row, column, sheet = d["row"], d["column"], d["sheet"]
    out: dict[str, Any] = {
        "rule": d["rule"],
        "severity": _SEVERITY_TEXT[d["severity"]],
        "entity": d["entity"],
        "file": d["file"],
        "sheet": sheet,
        "row": row,
        "column": column,
        "cell": None if row is None or column is None else (f"{sheet}!{column}{row}" if sheet else f"{column}{row}"),
        "key": d["key"],
        "field": d["field"],
        "value": d["value"],
        "message": message,
        "hint": hint,
        "department": d["department"],
        "fingerprint": fingerprint,
        "status": _STATUS_TEXT[d["status"]],
        "first_seen": d["first_seen"],
        "fixable": d["fixable"],
        "fixed_value": d["fixed_value"],
        "related_rows": list(d["related_rows"]),
    }
    tracking = d["tracking"]
    if tracking:
        out.update(tracking)
    return out


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off while a bulk step builds 100,000s of acyclic objects (issues,
    report rows): each full collection would walk every object alive, many times over. Memory is
    still freed as usual (reference counting); the collector's previous state comes back after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def fingerprints(issues: Iterable[Issue]) -> list[str]:
    """`fingerprint` of every issue, worked out once per issue and kept on it (as the property does)."""
    out = []
    append = out.append
    for issue in issues:
        d = issue.__dict__
        fp = d.get("fingerprint")
        if fp is None:
            fp = d["fingerprint"] = _fingerprint(d)
        append(fp)
    return out


def stamp_first_seen(issues: Iterable[Issue], first_seen: str) -> None:
    """Set `first_seen` on issues in place, without a copy per issue: only for issues the caller has
    just built and nobody else holds yet (a run's own issues before it hands them out)."""
    for issue in issues:
        issue.__dict__["first_seen"] = first_seen


class _Said:
    """(message, hint) of issues in `lang`: issues that say the same thing (same rule, value, field,
    parameters and partner rows) share one formatted text, e.g. 100,000 rows with one unknown department.

    The parameters are told apart by identity, which is safe while the caller keeps the issues alive.
    """

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.said: dict[tuple, tuple[str, str]] = {}

    def __call__(self, issue: Issue) -> tuple[str, str]:
        d = issue.__dict__
        key = (d["rule"], d["value"], d["field"], id(d["params"]), d["related_rows"])
        texts = self.said.get(key)
        if texts is None:
            texts = self.said[key] = issue.texts(self.lang)
        return texts


def texts_of(issues: list[Issue], lang: str = "en") -> list[tuple[str, str]]:
    """(message, hint) of every issue, each distinct text formatted once (see _Said)."""
    return list(map(_Said(lang), issues))


def contract_maker(lang: str = "en") -> Callable[[Issue], dict[str, Any]]:
    """`to_dict(lang)` as a function of one issue that formats each distinct text once (as texts_of)
    and keeps the fingerprint on the issue: for writers that turn issues into the contract one by one
    as they go (the JSON report hands it to its encoder). The issues must stay alive while it is used."""
    said = _Said(lang)

    def contract(issue: Issue) -> dict[str, Any]:
        d = issue.__dict__
        fp = d.get("fingerprint")
        if fp is None:
            fp = d["fingerprint"] = _fingerprint(d)
        message, hint = said(issue)
        return _contract(d, message, hint, fp)

    return contract


def to_dicts(issues: list[Issue], lang: str = "en") -> list[dict[str, Any]]:
    """`to_dict` of many issues, each text formatted once (texts_of)."""
    with paused_gc():
        return list(map(contract_maker(lang), issues))


_NEG_RANK = {s: -s.rank for s in Severity}


def sort_key(issue: Issue) -> tuple:
    """Errors first, then by file, sheet, row and field: the order a person works through."""
    d = issue.__dict__
    return (_NEG_RANK[d["severity"]], d["file"], d["sheet"] or "", d["row"] or 0, d["field"] or "", d["rule"])


def sort_issues(issues: Iterable[Issue]) -> list[Issue]:
    """The issues in `sort_key` order (stable: equal keys keep their order), as a new list."""
    with paused_gc():  # one key tuple per issue
        return sorted(issues, key=sort_key)
