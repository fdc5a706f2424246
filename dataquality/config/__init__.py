"""YAML (schemas/, rules/) -> the configuration of a run. Bad YAML names the file and the key.

Each file is validated as a frozen pydantic model (config/files.py; errors mapped to the message
catalogue by config/models.py) and turned into the frozen records the checks read (FieldSpec,
EntitySchema, Config). What only the rule registry knows (rule codes, rule settings) is checked by
checks/settings.py through LOAD_HOOKS: this layer never imports the rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dataquality.config.files import FieldFile, RoutingFile, RulesFile, SchemaFile
from dataquality.config.models import validate
from dataquality.errors import ConfigError
from dataquality.paths import default_rules_dir, default_schemas_dir

FIELD_TYPES = ("string", "integer", "decimal", "date", "enum")
CLEAN_STEPS = ("nfkc", "trim", "collapse_spaces", "remove_spaces", "upper")
# Free text keeps its full-width punctuation (（上海）is a normal company name); codes and
# numbers are NFKC-normalised so full-width digits are found and fixed.
DEFAULT_CLEAN = {
    "string": ("trim", "collapse_spaces"),
    "enum": ("nfkc", "trim", "collapse_spaces"),
    "integer": ("nfkc", "remove_spaces"),
    "decimal": ("nfkc", "remove_spaces"),
    "date": ("nfkc", "trim"),
}
SEVERITIES = ("error", "warning", "info", "off")
# The core settings of a field (config/files.py FieldFile); any other key of a field is a setting
# some field rule declares (checks/registry.py field_rule(key=...)).
FIELD_KEYS = frozenset(FieldFile.model_fields)
# Files under rules/ that are settings, not reference lists.
_SETTINGS_FILES = {"rules.yaml", "routing.yaml", "approval.yaml"}


def normalise_header(text: Any) -> str:
    """How headers and names are compared: NFKC, trimmed, inner whitespace removed, case-folded."""
    s = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return re.sub(r"\s+", "", s)


_REQUIRED_MARK = re.compile(r"[*＊]")
_TRAILING_NOTE = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SEPARATORS = re.compile(r"[\W_]+")


def header_key(text: Any) -> str:
    """How a header cell is matched: like normalise_header, ignoring required marks (*客户编码)
    and a trailing note in brackets (信用额度(元), 客户名称（必填）)."""
    s = normalise_header(text)
    s = _REQUIRED_MARK.sub("", s)
    return _TRAILING_NOTE.sub("", s) or s


def loose_header_key(text: Any) -> str:
    """A looser key than header_key: camelCase, spaces, hyphens, underscores, dots and every other
    separator are ignored, so `customerID`, `Customer-Id` and `customer_id` are one key."""
    s = unicodedata.normalize("NFKC", str(text))
    s = _CAMEL.sub(" ", s)
    s = header_key(s)
    return _SEPARATORS.sub("", s)


@dataclass(frozen=True)
class Bound:
    """A min or max: a number, or for dates an ISO date or `today`."""

    value: Any
    exclusive: bool = False


@dataclass(frozen=True)
class RequiredWhen:
    """The field is required when `field` holds one of `values` (compared canonically)."""

    field: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class FieldSpec:
    """One column of an entity: how it is recognised, cleaned, parsed and checked."""

    name: str
    labels: Mapping[str, str]
    aliases: tuple[str, ...] = ()
    type: str = "string"
    required: bool = False
    required_when: RequiredWhen | None = None
    pattern: str | None = None
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min: Bound | None = None
    max: Bound | None = None
    unique: bool = False
    clean: tuple[str, ...] = DEFAULT_CLEAN["string"]
    identifier: str | None = None
    reference: str | None = None
    severity: Mapping[str, str] = field(default_factory=dict)
    text: bool = False
    description: Mapping[str, str] = field(default_factory=dict)
    format: Mapping[str, str] = field(default_factory=dict)  # the pattern in words, for people
    # Generic header names (类别, 状态, 条码, category): a column found only by one of these is
    # confirmed by its values before its cells are checked (FIL007 when almost none fit).
    loose_aliases: tuple[str, ...] = ()
    # Settings that field rules declare (checks/registry.py `field_rule(key=...)`), by key: raw as
    # read, validated against the rule's model by checks/settings.py before a run.
    settings: Mapping[str, Any] = field(default_factory=dict)
    # enum: template -> patterns over a value's match key (NFKC, case-folded, no spaces); a value
    # matching one means the template with the pattern's groups filled in ('月结30天' -> NET30).
    value_patterns: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    repeatable: bool = False  # a second column of this kind is read and checked too (phone#2)
    parts: tuple[tuple[str, ...], ...] = ()  # header names of the parts the field is written in
    # How a number is shown to people: decimals, a fixed ISO 4217 currency, as a percentage.
    decimals: int | None = None
    currency: str | None = None
    percent: bool = False

    def label(self, lang: str) -> str:
        """The display name in `lang`, falling back to the field name."""
        return self.labels.get(lang) or self.labels.get("en") or self.name

    @property
    def header_names(self) -> tuple[str, ...]:
        """Every normalised header that maps to this field."""
        names = {header_key(self.name), *(header_key(a) for a in self.aliases)}
        names.update(header_key(v) for v in self.labels.values())
        names.update(header_key(a) for a in self.loose_aliases)
        return tuple(sorted(names))

    @property
    def loose_names(self) -> frozenset[str]:
        """The normalised generic names among header_names (a match by one needs its values to agree)."""
        return frozenset(header_key(a) for a in self.loose_aliases)

    @property
    def is_numeric(self) -> bool:
        return self.type in ("integer", "decimal")


@dataclass(frozen=True)
class EntitySchema:
    """A master-data type (customer, product): its key, sheet names and fields."""

    name: str
    key: str
    labels: Mapping[str, str]
    sheet_names: tuple[str, ...]
    fields: Mapping[str, FieldSpec]
    department_field: str | None = None
    record_rules: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""
    conventions: str = "own"  # example: its house style is an example (checks/conventions.py)
    name_field: str | None = None  # the field that names a record for people (see `record_name_field`)

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.name

    @property
    def record_name_field(self) -> str | None:
        """The field that names a record beside its key: `name_field`, else <entity>_name when there is one."""
        if self.name_field:
            return self.name_field
        return f"{self.name}_name" if f"{self.name}_name" in self.fields else None

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields.values() if f.required)

    def header_index(self) -> dict[str, str]:
        """Normalised header text -> field name."""
        return {h: f.name for f in self.fields.values() for h in f.header_names}


@dataclass(frozen=True)
class RuleSetting:
    """A company's override for one rule code."""

    enabled: bool = True
    severity: str | None = None


@dataclass(frozen=True)
class ReferenceList:
    """A list of accepted values (departments, staff, provinces); aliases map to a canonical name."""

    name: str
    canonical: Mapping[str, str]  # normalised accepted text -> canonical name
    records: tuple[Mapping[str, Any], ...] = ()
    source: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.canonical.values()))


@dataclass(frozen=True)
class Route:
    """Send issues matching entity/fields/rules to a department (`from_record` = the record's own)."""

    department: str
    entity: str | None = None
    fields: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class Config:
    """Everything the checks need: schemas, rule settings, reference lists and routing."""

    schemas: Mapping[str, EntitySchema]
    rule_settings: Mapping[str, RuleSetting] = field(default_factory=dict)
    references: Mapping[str, ReferenceList] = field(default_factory=dict)
    routes: tuple[Route, ...] = ()
    default_department: str | None = None
    schemas_dir: Path = field(default_factory=default_schemas_dir)
    rules_dir: Path = field(default_factory=default_rules_dir)
    # True once the rule settings are validated against the registry (checks/settings.py).
    rules_checked: bool = False
    # A house-style rule failing on a whole column is reported once, as the file's own convention
    # (checks/conventions.py); dq fix turns this off: it wants every cell it can correct.
    collapse_conventions: bool = True
    # How the database engines run, from dq.yaml `engine:` (memory_limit, temp_directory, spark_master).
    engine_settings: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, schemas_dir: Path | None = None, rules_dir: Path | None = None) -> Config:
        """Read schemas/*.yaml and rules/*.yaml; raise ConfigError naming file and key on bad YAML."""
        schemas_dir = Path(schemas_dir or default_schemas_dir())
        rules_dir = Path(rules_dir or default_rules_dir())
        if not schemas_dir.is_dir():
            raise ConfigError("config.no_schemas", path=str(schemas_dir))
        schemas = {}
        for path in sorted(schemas_dir.glob("*.yaml")):
            schema = _parse_entity(path, _read_yaml(path))
            schemas[schema.name] = schema
        if not schemas:
            raise ConfigError("config.no_schemas", path=str(schemas_dir))
        settings: dict[str, RuleSetting] = {}
        references: dict[str, ReferenceList] = {}
        routes: tuple[Route, ...] = ()
        default_department = None
        if rules_dir.is_dir():
            for path in sorted(rules_dir.glob("*.yaml")):
                data = _read_yaml(path)
                if path.name == "rules.yaml":
                    settings = _parse_rule_settings(path, data)
                elif path.name == "routing.yaml":
                    routes, default_department = _parse_routing(path, data)
                elif path.name not in _SETTINGS_FILES:
                    for ref in _parse_references(path, data):
                        references[ref.name] = ref
        _check_references(schemas, references, rules_dir)
        config = cls(schemas, settings, references, routes, default_department, schemas_dir, rules_dir)
        for hook in LOAD_HOOKS:
            config = hook(config)
        return config

    def entity(self, name: str) -> EntitySchema:
        return self.schemas[name]

    def with_reference(self, ref: ReferenceList) -> Config:
        """A copy with one reference list replaced (e.g. staff read from a workbook sheet)."""
        from dataclasses import replace

        return replace(self, references={**self.references, ref.name: ref})


# Run on every loaded Config, in order. The checks layer adds its validation of rule codes and
# settings here (checks/__init__.py) so a bad setting fails at load time, before data is read;
# the runner validates again (a no-op once done) for a Config built without loading.
LOAD_HOOKS: list[Callable[[Config], Config]] = []


_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: ~5x faster


def _read_yaml(path: Path, loader: Any = _SAFE_LOADER) -> Any:
    """A YAML file as data; a ConfigError naming file and line when it is not valid YAML."""
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.load(fh, Loader=loader) or {}  # noqa: S506 - always a SafeLoader (sub)class
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else "?"
        raise ConfigError("config.bad_yaml", file=str(path), line=line, error=str(getattr(exc, "problem", exc))) from None
    except OSError as exc:
        raise ConfigError("config.unreadable", file=str(path), error=exc.strerror or str(exc)) from None
    except ValueError as exc:  # e.g. a date such as 2026-13-01, which PyYAML parses and then rejects
        raise ConfigError("config.bad_yaml", file=str(path), line="?", error=str(exc)) from None


def _fail(path: Path, key: str, problem: str, **params: Any) -> ConfigError:
    """A ConfigError naming file and key; `problem` is a key under `config_problem.` in the catalogue."""
    from dataquality.i18n import LANGUAGES, text

    said = {lang: text(f"config_problem.{problem}", lang, **params) for lang in LANGUAGES}
    return ConfigError("config.bad_key", file=str(path), key=key, problem=said)


def _labels(raw: str | Mapping[str, str] | None, default: str) -> dict[str, str]:
    """{en, zh} from a text for both, a mapping, or nothing (the default)."""
    if raw is None:
        return {"en": default, "zh": default}
    if isinstance(raw, str):
        return {"en": raw, "zh": raw}
    return {"en": str(raw.get("en") or default), "zh": str(raw.get("zh") or raw.get("en") or default)}


def _bound(raw: Any, ftype: str) -> Bound | None:
    if raw is None:
        return None
    value = raw.value if ftype != "date" or raw.value == "today" else str(raw.value)
    return Bound(value, raw.exclusive)


def _field_spec(name: str, raw: Any) -> FieldSpec:
    """A FieldSpec from a validated field entry (config/files.py FieldFile)."""
    ftype = raw.type
    rw = raw.required_when
    return FieldSpec(
        name=name,
        labels=_labels(raw.labels, name),
        aliases=raw.aliases,
        loose_aliases=raw.loose_aliases,
        type=ftype,
        required=raw.required,
        required_when=RequiredWhen(rw.field, rw.in_) if rw is not None else None,
        pattern=raw.pattern,
        values=raw.enum_values() if ftype == "enum" else {},
        min=_bound(raw.min, ftype),
        max=_bound(raw.max, ftype),
        unique=raw.unique,
        clean=raw.clean if raw.clean is not None else DEFAULT_CLEAN[ftype],
        identifier=raw.identifier,
        reference=raw.reference,
        severity=dict(raw.severity),
        text=raw.text,
        description=_labels(raw.description, "") if raw.description else {},
        format=_labels(raw.format, "") if raw.format else {},
        # Keys that are not core settings belong to field rules; checks/settings.py validates them.
        settings=raw.rule_settings,
        value_patterns={k: tuple(v) for k, v in raw.value_patterns.items()},
        repeatable=raw.repeatable,
        parts=tuple(tuple(p) for p in raw.parts),
        decimals=raw.decimals,
        currency=raw.currency,
        percent=raw.percent,
    )


def _parse_entity(path: Path, data: Any) -> EntitySchema:
    schema = validate(SchemaFile, data, path)
    fields = {name: _field_spec(name, raw) for name, raw in schema.fields.items()}
    return EntitySchema(
        name=schema.entity,
        key=schema.key,
        labels=_labels(schema.labels, schema.entity),
        sheet_names=schema.sheet_names,
        fields=fields,
        department_field=schema.department_field,
        # The `record_rules:` settings as read; checks/settings.py validates each against its rule.
        record_rules=dict(schema.record_rules),
        source=str(path),
        conventions=schema.conventions,
        name_field=schema.name_field,
    )


def _check_references(schemas: Mapping[str, EntitySchema], references: Mapping[str, ReferenceList], rules_dir: Path) -> None:
    """Every reference list a field names must exist, before any data is read."""
    for schema in schemas.values():
        for f in schema.fields.values():
            if f.reference and f.reference not in references:
                raise _fail(
                    Path(schema.source), f"fields.{f.name}.reference",
                    "unknown_reference", name=f.reference, folder=str(rules_dir),
                )


def _parse_rule_settings(path: Path, data: Any) -> dict[str, RuleSetting]:
    # Whether each code is a rule is checked against the registry by checks/settings.py.
    rules = validate(RulesFile, data, path).rules
    return {code: RuleSetting(enabled=raw.enabled and raw.severity != "off", severity=raw.severity if raw.severity != "off" else None)
            for code, raw in rules.items()}


def _parse_routing(path: Path, data: Any) -> tuple[tuple[Route, ...], str | None]:
    routing = validate(RoutingFile, data, path)
    routes = tuple(Route(r.department, r.entity, r.fields, r.rules) for r in routing.routes)
    return routes, routing.default


def reference_from_records(name: str, records: list[Mapping[str, Any]], source: str) -> ReferenceList:
    """Build a reference list from records with a `name` and optional `aliases`."""
    canonical: dict[str, str] = {}
    for rec in records:
        nm = str(rec["name"]).strip()
        canonical[normalise_header(nm)] = nm
        for alias in rec.get("aliases", ()) or ():
            canonical[normalise_header(alias)] = nm
    return ReferenceList(name, canonical, tuple(records), source)


def _parse_references(path: Path, data: Any) -> list[ReferenceList]:
    if not isinstance(data, Mapping):
        raise _fail(path, "(top level)", "reference_file_shape")
    out = []
    for name, entries in data.items():
        if not isinstance(entries, list):
            raise _fail(path, str(name), "reference_list")
        records: list[Mapping[str, Any]] = []
        for i, entry in enumerate(entries):
            if isinstance(entry, str):
                entry = {"name": entry}
            if not isinstance(entry, Mapping) or "name" not in entry:
                raise _fail(path, f"{name}[{i}]", "reference_entry_name")
            records.append(dict(entry))
        out.append(reference_from_records(str(name), records, str(path)))
    return out
