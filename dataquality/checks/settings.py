"""Rule settings: the models of the built-in rules, and the validation that walks the registry.

Configuration (config/) reads the files without knowing the rules; `validate` then checks what
only the registry knows: every code in rules.yaml is a rule, every `record_rules:` key of a
schema is read by a rule for that entity, every extra key of a field is a setting some field
rule declares, and each setting is valid for its rule's model. Errors name file and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from dataquality.checks.registry import REGISTRY, Rule
from dataquality.config import Config, EntitySchema, FieldSpec
from dataquality.config.models import Settings, problem
from dataquality.config.models import validate as validate_model


def _schema_fields(info: ValidationInfo) -> Mapping[str, FieldSpec] | None:
    return (info.context or {}).get("fields")


def _a_field(name: str, info: ValidationInfo) -> str:
    fields = _schema_fields(info)
    if fields is not None and name not in fields:
        raise PydanticCustomError("must_name_field", "must name a field", {"fields": ", ".join(fields), "name": name})
    return name


FieldName = Annotated[str, AfterValidator(_a_field)]
"""A setting that names a field of the schema it is in (checked against that schema)."""


class RuleSettings(Settings):
    """The settings of one rule: a frozen model; `needs()` lists the fields the rule reads."""

    def needs(self) -> tuple[str, ...]:
        """The fields a table must have for the rule to run (RUL001 names the missing ones)."""
        return tuple(v for n, v in self if isinstance(v, str) and n in ("field", "by", "equals", "other"))


def _field_of(info: ValidationInfo, name: str) -> FieldSpec | None:
    fields = _schema_fields(info)
    return fields.get(name) if fields is not None else None


class CapByGroup(RuleSettings):
    """`field` must not exceed the cap of the group named in field `by` (credit limit by grade)."""

    field: FieldName
    by: FieldName
    caps: Annotated[dict[str, Annotated[float, Field(ge=0)]], Field(min_length=1)]


class SameName(RuleSettings):
    """Records whose `field` is equal after normalisation but whose key differs are possible duplicates.

    `legal_forms` maps one spelling of a legal form to its variants (有限公司: [有限责任公司, Co., Ltd.]).
    """

    field: FieldName
    legal_forms: dict[str, tuple[str, ...]] = {}


class SameItem(RuleSettings):
    """Records equal on all `fields` after normalisation but with different keys ("one item, many codes")."""

    fields: Annotated[tuple[FieldName, ...], Field(min_length=1)]

    def needs(self) -> tuple[str, ...]:
        return self.fields


class CodePrefix(RuleSettings):
    """The code in `field` starts with the canonical value of enum field `equals`."""

    field: FieldName
    equals: FieldName

    @model_validator(mode="after")
    def _enum(self, info: ValidationInfo) -> CodePrefix:
        spec = _field_of(info, self.equals)
        if spec is not None and spec.type != "enum":
            raise PydanticCustomError("must_be_enum", "must be an enum", {"name": self.equals})
        return self


class NotBelow(RuleSettings):
    """`field` should not be below `other` (list price below cost price)."""

    field: FieldName
    other: FieldName

    @model_validator(mode="after")
    def _numeric(self, info: ValidationInfo) -> NotBelow:
        for name in (self.field, self.other):
            spec = _field_of(info, name)
            if spec is not None and not spec.is_numeric:
                raise PydanticCustomError("must_be_numeric", "must be numeric", {"name": name})
        return self


class OneField(RuleSettings):
    """The one field a rule reads (the USCC of CUS003, the customer part number of PRD004)."""

    field: FieldName


class KnownCode(RuleSettings):
    """`field` holds a key of the `master` entity checked in the same run (PRD005)."""

    field: FieldName
    master: str = "customer"


# --- validation against the registry ---------------------------------------------------------


def _record_rules_for(entity: str) -> dict[str, Rule]:
    return {r.key: r for r in REGISTRY.values() if r.scope == "record" and r.key and not r.removed
            and (r.entity is None or r.entity == entity)}


def _field_settings() -> dict[str, Rule]:
    return {r.key: r for r in REGISTRY.values() if r.scope == "field" and r.key and not r.removed}


def _schema(schema: EntitySchema) -> EntitySchema:
    path = Path(schema.source) if schema.source else Path(f"{schema.name}.yaml")
    declared = _field_settings()
    fields = dict(schema.fields)
    for name, spec in schema.fields.items():
        typed = {}
        for key, raw in spec.settings.items():
            rule = declared.get(key)
            if rule is None:
                from dataquality.config import FIELD_KEYS

                allowed = sorted(set(FIELD_KEYS) | set(declared))
                near = get_close_matches(key, allowed, n=1)
                raise problem(path, f"fields.{name}.{key}", "unknown_setting_near" if near else "unknown_setting",
                              near=near[0] if near else "", allowed=", ".join(allowed))
            typed[key] = validate_model(rule.settings or Any, raw, path, f"fields.{name}.{key}", {"fields": schema.fields, "field": spec})
        if typed:
            fields[name] = replace(spec, settings=typed)
    readers = _record_rules_for(schema.name)
    record_rules: dict[str, Any] = {}
    for key, raw in schema.record_rules.items():
        rule = readers.get(key)
        if rule is None:
            other = next((r for r in REGISTRY.values() if r.scope == "record" and r.key == key), None)
            if other is not None:
                raise problem(path, f"record_rules.{key}", "record_rule_entity", name=key, entity=other.entity)
            raise problem(path, f"record_rules.{key}", "unknown_record_rule", allowed=", ".join(sorted(readers)))
        record_rules[key] = validate_model(rule.settings, raw, path, f"record_rules.{key}", {"fields": fields})
    return replace(schema, fields=fields, record_rules=record_rules)


def _rule_codes(config: Config) -> None:
    path = config.rules_dir / "rules.yaml"
    for code in config.rule_settings:
        if code not in REGISTRY:  # a typo (FTM002) would silently leave the meant rule as it was
            near = get_close_matches(code.upper(), list(REGISTRY), n=1)
            raise problem(path, f"rules.{code}", "unknown_rule", near=near[0] if near else "dq rules")


def validate(config: Config) -> Config:
    """`config` with every rule setting validated and typed; ConfigError naming file and key."""
    if config.rules_checked:
        return config
    from dataquality.checks.plugins import load_plugins

    load_plugins()
    _rule_codes(config)
    schemas = {name: _schema(s) for name, s in config.schemas.items()}
    return replace(config, schemas=schemas, rules_checked=True)


def setting_of(rule: Rule, schema: EntitySchema) -> Any:
    """The validated settings of a record rule for `schema` (None when the schema does not set them)."""
    return schema.record_rules.get(rule.key) if rule.key else None


def needed_fields(rule: Rule, schema: EntitySchema) -> tuple[str, ...] | None:
    """The fields a record rule reads on `schema`; None when its settings are absent (the rule is off here)."""
    if rule.settings is None:
        return rule.fields
    settings = setting_of(rule, schema)
    if settings is None:
        return None
    needs = getattr(settings, "needs", None)
    return tuple(needs()) if callable(needs) else rule.fields
