"""The rule registry: one table of code -> rule, readable top to bottom.

A rule's code is its identity: never reused, and a retired rule stays here marked `removed`.
Families: REQ required, TYP types, FMT formats, ENM allowed values, RNG ranges, UNQ uniqueness,
IDN identifiers, REF references, CUS/PRD entity rules, FIL file structure, APR approvals.
Messages and hints live in the catalogue under `rules.<CODE>`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dataquality.issue import Severity

CODE_FORMAT = re.compile(r"^[A-Z]{3}\d{3}$")
SCOPES = ("field", "record", "file", "approval")


@dataclass(frozen=True)
class Rule:
    """One check with a stable code. Its docstring (`doc`) is the source of docs/rules.md."""

    code: str
    name: str
    severity: Severity
    scope: str
    check: Callable[..., Any] | None = None
    applies: Callable[[Any], bool] | None = None  # field rules: does the rule apply to this FieldSpec?
    params: Callable[..., dict[str, Any]] | None = None  # field rules: (FieldSpec, EntitySchema) -> message parameters
    fix: Callable[..., Any] | None = None  # vectorised: the corrected value for failing cells
    details: Callable[..., Any] | None = None  # extra per-row parameters (e.g. related rows)
    entity: str | None = None
    fields: tuple[str, ...] = ()
    doc: str = ""
    removed: bool = False
    # Off-by-default rules report things that are correct but could be tidier (a Chinese synonym,
    # '1,000.00' typed as text): silent in `dq validate` unless rules.yaml enables them; `dq fix`
    # always applies their fixes.
    on_by_default: bool = True

    @property
    def fixable(self) -> bool:
        return self.fix is not None


REGISTRY: dict[str, Rule] = {}


def register(rule: Rule) -> Rule:
    """Add a rule; codes are validated and never registered twice."""
    if not CODE_FORMAT.match(rule.code):
        raise ValueError(f"rule code {rule.code!r} must look like ABC123")
    if rule.scope not in SCOPES:
        raise ValueError(f"rule {rule.code}: unknown scope {rule.scope!r}")
    if rule.code in REGISTRY:
        raise ValueError(f"rule code {rule.code} registered twice")
    REGISTRY[rule.code] = rule
    return rule


def field_rule(
    code: str,
    name: str,
    severity: Severity = Severity.ERROR,
    *,
    applies: Callable[[Any], bool],
    params: Callable[..., dict[str, Any]] | None = None,
    fix: Callable[..., Any] | None = None,
    details: Callable[..., Any] | None = None,
    on_by_default: bool = True,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(values, table) -> bool Series` (True where the cell fails) as a field rule."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(Rule(code, name, severity, "field", fn, applies, params, fix, details,
                      doc=(fn.__doc__ or "").strip(), on_by_default=on_by_default))
        return fn

    return deco


def record_rule(
    code: str,
    name: str,
    severity: Severity = Severity.ERROR,
    *,
    entity: str | None = None,
    fields: tuple[str, ...] = (),
    fix: Callable[..., Any] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(table, context) -> Findings` (rows that fail, with field and params) as a record rule."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(Rule(code, name, severity, "record", fn, fix=fix, entity=entity, fields=fields, doc=(fn.__doc__ or "").strip()))
        return fn

    return deco


def describe(code: str, name: str, severity: Severity, scope: str, doc: str) -> Rule:
    """Register a rule whose findings are produced elsewhere (file structure, approvals)."""
    return register(Rule(code, name, severity, scope, doc=doc.strip()))


def get_rule(code: str) -> Rule:
    """The rule for `code`; KeyError when unknown."""
    return REGISTRY[code.upper()]


def active_rules() -> Iterator[Rule]:
    """Every rule not marked removed, in code order."""
    for code in sorted(REGISTRY):
        if not REGISTRY[code].removed:
            yield REGISTRY[code]


@dataclass(frozen=True)
class DocSections:
    """A rule docstring split into its sections."""

    summary: str
    why: str = ""
    bad: str = ""
    good: str = ""
    extra: dict[str, str] = field(default_factory=dict)


_SECTION = re.compile(r"^(Why|Bad|Good):\s*(.*)$")


def doc_sections(doc: str) -> DocSections:
    """Split a rule docstring into summary, Why, Bad and Good (each `Name: text` on its own line)."""
    summary: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] = summary
    for line in doc.splitlines():
        m = _SECTION.match(line.strip())
        if m:
            current = sections.setdefault(m.group(1).lower(), [])
            if m.group(2):
                current.append(m.group(2))
        elif line.strip():
            current.append(line.strip())
    return DocSections(
        " ".join(summary),
        " ".join(sections.get("why", [])),
        " ".join(sections.get("bad", [])),
        " ".join(sections.get("good", [])),
    )
