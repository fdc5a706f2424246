"""The rule registry: one table of code -> rule, readable top to bottom.

A rule's code is its identity: never reused, and a retired rule stays here marked `removed`.
Families: REQ required, TYP types, FMT formats, ENM allowed values, RNG ranges, UNQ uniqueness,
IDN identifiers, REF references, CUS/PRD/SUP entity rules, FIL file structure, APR approvals,
RUL the rules themselves (RUL001: a rule that could not run).
Messages and hints live in the catalogue under `rules.<CODE>` (dataquality/messages/rules.yaml, or
the `texts` a rule declares, e.g. a plugin's own). A rule with settings declares their pydantic
model and the key it is configured under; configuration is validated against these declarations
(checks/settings.py), so adding a rule is one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dataquality.checks.forms import UNDECLARED, EngineForm
from dataquality.issue import Severity

CODE_FORMAT = re.compile(r"^[A-Z]{3}\d{3}$")
SCOPES = ("field", "record", "file", "approval")
TEXT_PARTS = ("title", "message", "hint")
BUILTIN_ORIGIN = "dataquality"
# Where the rules being registered come from: dataquality, or a plugin's distribution name
# (set by checks/plugins.py while it imports a plugin).
_origin = [BUILTIN_ORIGIN]


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
    # A rule's own settings: their type (a frozen pydantic model, or any type pydantic validates)
    # and the key that holds them (a record rule: under `record_rules:` of a schema; a field rule:
    # in a field's entry, and the rule applies to the fields that set it). None: no settings.
    settings: Any = None
    key: str | None = None
    origin: str = BUILTIN_ORIGIN  # "dataquality" or the distribution that registered the rule
    # A house-style rule (a company's code format, closed list, reference list): where the schema
    # sets it, e.g. 'fields.{field}.pattern'. Failing on most of a column, it is one finding about
    # the file's own convention (checks/conventions.py), not one per cell. None: a standard rule.
    convention: str | None = None
    # What the convention is about: "values" (a format or vocabulary: the column is then judged by its
    # own format), "rows" (a field left empty: the share is of the records), "tidiness" (spaces: one
    # finding, the column's other rules unaffected).
    convention_of: str = "values"
    # How the rule runs on a database engine (checks/forms.py); every rule of dataquality declares it,
    # a plugin's rule without one runs in pandas (forms.UNDECLARED).
    engine: EngineForm | None = None

    @property
    def fixable(self) -> bool:
        return self.fix is not None


REGISTRY: dict[str, Rule] = {}
_DECLARED_TEXTS: set[str] = set()  # codes whose texts came with the declaration (texts=...)


class RuleDeclarationError(ValueError):
    """A rule declared wrongly (bad code, registered twice, texts missing): a bug of its package."""


def register(rule: Rule, texts: Mapping[str, Mapping[str, str]] | None = None) -> Rule:
    """Add a rule; codes are validated and never registered twice.

    `texts` ({title|message|hint: {en, zh}}) go into the catalogue under `rules.<CODE>`; without
    them the catalogue must already hold them (dataquality/messages/rules.yaml, a plugin's file)."""
    if rule.origin == BUILTIN_ORIGIN and _origin[-1] != BUILTIN_ORIGIN:
        from dataclasses import replace

        rule = replace(rule, origin=_origin[-1])
    if not CODE_FORMAT.match(rule.code):
        raise RuleDeclarationError(f"rule code {rule.code!r} must look like ABC123")
    if rule.scope not in SCOPES:
        raise RuleDeclarationError(f"rule {rule.code}: unknown scope {rule.scope!r}")
    if rule.code in REGISTRY:
        raise RuleDeclarationError(f"rule code {rule.code} registered twice ({REGISTRY[rule.code].origin} and {rule.origin})")
    if rule.engine is None:  # a plugin's rule (dataquality's own declare theirs: tests/checks/test_engine_forms.py)
        from dataclasses import replace

        rule = replace(rule, engine=UNDECLARED)
    if rule.settings is not None and rule.key is None:
        raise RuleDeclarationError(f"rule {rule.code}: settings need the key they are configured under")
    if texts is not None:
        from dataquality.i18n import add_messages

        parts = set(texts) - set(TEXT_PARTS)
        if parts:
            raise RuleDeclarationError(f"rule {rule.code}: unknown text {sorted(parts)[0]!r}; allowed: {', '.join(TEXT_PARTS)}")
        try:
            add_messages(f"rules.{rule.code}", {k: dict(v) for k, v in texts.items()}, rule.origin)
        except ValueError as exc:
            raise RuleDeclarationError(f"rule {rule.code}: {exc}") from None
        _DECLARED_TEXTS.add(rule.code)
    REGISTRY[rule.code] = rule
    return rule


def unregister(code: str) -> None:
    """Remove a rule and the texts it declared (for tests that register a rule of their own)."""
    REGISTRY.pop(code, None)
    if code in _DECLARED_TEXTS:
        from dataquality.i18n import remove_messages

        remove_messages(f"rules.{code}")
        _DECLARED_TEXTS.discard(code)


def field_rule(
    code: str,
    name: str,
    severity: Severity = Severity.ERROR,
    *,
    applies: Callable[[Any], bool] | None = None,
    params: Callable[..., dict[str, Any]] | None = None,
    fix: Callable[..., Any] | None = None,
    details: Callable[..., Any] | None = None,
    on_by_default: bool = True,
    settings: Any = None,
    key: str | None = None,
    texts: Mapping[str, Mapping[str, str]] | None = None,
    convention: str | None = None,
    convention_of: str = "values",
    engine: EngineForm | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(values, table) -> bool Series` (True where the cell fails) as a field rule.

    With `key` (and `settings`, the type of its value), a field's schema entry may set `key`; the
    rule then applies to those fields (unless `applies` says otherwise) and reads the validated
    value as `values.spec.settings[key]`."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        when = applies if applies is not None else (lambda f: key in f.settings) if key else None
        if when is None:
            raise RuleDeclarationError(f"rule {code}: a field rule needs `applies` or a setting `key`")
        register(Rule(code, name, severity, "field", fn, when, params, fix, details,
                      doc=(fn.__doc__ or "").strip(), on_by_default=on_by_default, settings=settings, key=key,
                      convention=convention, convention_of=convention_of, engine=engine), texts)
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
    settings: Any = None,
    key: str | None = None,
    texts: Mapping[str, Mapping[str, str]] | None = None,
    convention: str | None = None,
    engine: EngineForm | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a record rule: `fn(table, context) -> Findings` (rows that fail, with field and params).

    With `settings` (a frozen pydantic model) and `key`, the rule runs on the entities whose schema
    has `record_rules: {key: ...}`, and is called `fn(table, context, settings)`; the fields it
    needs are the model's `needs()` (or `fields` for a rule without settings)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        register(Rule(code, name, severity, "record", fn, fix=fix, entity=entity, fields=fields,
                      doc=(fn.__doc__ or "").strip(), settings=settings, key=key, convention=convention, engine=engine), texts)
        return fn

    return deco


def describe(code: str, name: str, severity: Severity, scope: str, doc: str,
             texts: Mapping[str, Mapping[str, str]] | None = None, *, engine: EngineForm | None = None) -> Rule:
    """Register a rule whose findings are produced elsewhere (file structure, approvals)."""
    return register(Rule(code, name, severity, scope, doc=doc.strip(), engine=engine), texts)


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
