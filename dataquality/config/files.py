"""The configuration files as written: frozen pydantic models of schemas/*.yaml, rules.yaml and routing.yaml.

A file is validated as a whole (`load_model`); the first problem becomes a ConfigError naming the
file and the key path, in zh and en (config/models.py). The records the checks use (FieldSpec,
EntitySchema, RuleSetting, Route in config/__init__.py) are built from these models.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from dataquality.config.models import Settings, known_keys, unknown_key

FieldType = Literal["string", "integer", "decimal", "date", "enum"]
CleanStep = Literal["nfkc", "trim", "collapse_spaces", "remove_spaces", "upper"]
SeverityName = Literal["error", "warning", "info", "off"]


def _labels(raw: Any) -> Any:
    """labels: a text for both languages, or {en, zh}."""
    if raw is None or isinstance(raw, str):
        return raw
    if not isinstance(raw, Mapping):
        raise PydanticCustomError("labels_shape", "labels must be {en, zh}")
    return {str(k): str(v) for k, v in raw.items() if v is not None}


Labels = Annotated[str | dict[str, str] | None, BeforeValidator(_labels)]


def _texts(raw: Any) -> Any:
    """A list of names (aliases, sheet names); one name alone is a list of one."""
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list):
        return [str(v) for v in raw]
    return raw


Names = Annotated[tuple[str, ...], BeforeValidator(_texts)]


class BoundFile(Settings):
    """A min or max written as {value, exclusive}."""

    value: Any
    exclusive: bool = False


def _bound(raw: Any) -> Any:
    if raw is None or isinstance(raw, Mapping):
        return raw
    return {"value": raw}


class RequiredWhenFile(Settings):
    """required_when: {field: NAME, in: [values]}."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    field: str
    in_: Annotated[tuple[str, ...], BeforeValidator(_texts)] = Field(alias="in")


def _required_when(raw: Any) -> Any:
    if raw is not None and (not isinstance(raw, Mapping) or "field" not in raw or "in" not in raw):
        raise PydanticCustomError("required_when_shape", "must be {field, in}")
    return raw


class FieldFile(Settings):
    """One field's entry under `fields:`. Keys no core setting knows are settings of field rules
    (checked against the registry by checks/settings.py)."""

    model_config = ConfigDict(frozen=True, extra="allow")

    labels: Labels = None
    aliases: Names = ()
    loose_aliases: Names = ()
    type: FieldType = "string"
    required: bool = False
    required_when: Annotated[RequiredWhenFile | None, BeforeValidator(_required_when)] = None
    pattern: str | None = None
    values: Any = None
    min: Annotated[BoundFile | None, BeforeValidator(_bound)] = None
    max: Annotated[BoundFile | None, BeforeValidator(_bound)] = None
    unique: bool = False
    clean: tuple[CleanStep, ...] | None = None
    identifier: str | None = None
    reference: str | None = None
    severity: dict[str, SeverityName] = {}
    text: bool = False
    description: Labels = None
    format: Labels = None
    # enum: canonical forms built from a pattern, e.g. {'NET{1}': ['月结(\\d+)天', 'net(\\d+)']}: a value
    # whose key (NFKC, lower case, no spaces) matches a pattern means the template with the groups filled in.
    value_patterns: dict[str, Names] = {}
    # A second column of this kind (电话1/电话2, Phone/Mobile) is checked by the same rules, not dropped.
    repeatable: bool = False
    # The field written in parts, each a list of header names (First Name + Last Name make the contact).
    parts: tuple[Names, ...] = ()
    # How a number is shown to people (the approvers' pages): decimals, an ISO 4217 currency, a percentage.
    decimals: Annotated[int, Field(ge=0, le=9)] | None = None
    currency: str | None = None
    percent: bool = False

    @field_validator("currency")
    @classmethod
    def _currency(cls, code: str | None) -> str | None:
        import pycountry

        if code is not None and pycountry.currencies.get(alpha_3=code.upper()) is None:
            raise PydanticCustomError("bad_currency", "not an ISO 4217 currency code", {"code": code})
        return code.upper() if code else None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:  # extra keys are rule settings, not typos (yet)
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            raise PydanticCustomError("field_mapping", "must be a mapping of field settings")
        return data

    @field_validator("pattern")
    @classmethod
    def _regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise PydanticCustomError("bad_regex", "not a regular expression", {"error": str(exc)}) from None
        return pattern

    @field_validator("value_patterns")
    @classmethod
    def _patterns(cls, patterns: dict[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
        for template, regexes in patterns.items():
            for regex in regexes:
                try:
                    groups = re.compile(regex).groups
                except re.error as exc:
                    raise PydanticCustomError("bad_regex", "not a regular expression", {"error": str(exc), "key": template}) from None
                if any(f"{{{i}}}" in template for i in range(groups + 1, 10)):
                    raise PydanticCustomError("pattern_groups", "template names a group the pattern lacks",
                                              {"key": template, "pattern": regex})
        return patterns

    @model_validator(mode="after")
    def _shape(self) -> FieldFile:
        if self.value_patterns and self.type != "enum":
            raise _at("value_patterns", "values_only_enum")
        if self.type == "enum":
            if not isinstance(self.values, list | Mapping) or not self.values:
                raise _at("values", "enum_values")
        elif self.values is not None:
            raise _at("values", "values_only_enum")
        for name in ("min", "max"):
            bound = getattr(self, name)
            if bound is None:
                continue
            if self.type == "date":
                if bound.value != "today":
                    try:
                        dt.date.fromisoformat(str(bound.value))
                    except ValueError:
                        raise _at(name, "date_bound") from None
            elif isinstance(bound.value, bool) or not isinstance(bound.value, int | float):
                raise _at(name, "number")
        return self

    @property
    def rule_settings(self) -> dict[str, Any]:
        """The keys that are settings of field rules, as written."""
        return dict(self.model_extra or {})

    def enum_values(self) -> dict[str, tuple[str, ...]]:
        raw = self.values
        if isinstance(raw, list):
            raw = {str(v): [] for v in raw}
        return {str(k): tuple(str(s) for s in (v or [])) for k, v in (raw or {}).items()}


def _at(key: str, problem: str, **params: Any) -> PydanticCustomError:
    """An error about `key` of the model being validated (the location is added by config_error)."""
    return PydanticCustomError(problem, problem, {"key": key, **params})


class SchemaFile(Settings):
    """schemas/<entity>.yaml."""

    entity: str
    key: str
    labels: Labels = None
    sheet_names: Names = ()
    department_field: str | None = None
    # The field that names a record for people (shown beside its key); default <entity>_name.
    name_field: str | None = None
    fields: Annotated[dict[str, FieldFile], Field(min_length=1)]
    record_rules: dict[str, Any] = {}
    # example: the house style here (code formats, closed lists) is an example (the shipped
    # schemas): a file that fails it on a whole column follows its own convention, whatever the
    # column's size. own: a company's own schema (dq learn): only most of a large column is.
    conventions: Literal["example", "own"] = "own"

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise PydanticCustomError("schema_shape", "a schema must be a mapping")
        data = dict(data)
        if data.get("record_rules") is None:
            data.pop("record_rules", None)
        fields = data.get("fields")
        if isinstance(fields, Mapping):
            data["fields"] = {str(k): ({} if v is None else v) for k, v in fields.items()}
        elif "fields" in data:
            raise _at("fields", "fields_shape")
        return known_keys(cls, data)

    @model_validator(mode="after")
    def _names(self) -> SchemaFile:
        if self.key not in self.fields:
            raise _at("key", "not_a_field", name=self.key)
        if self.department_field is not None and self.department_field not in self.fields:
            raise _at("department_field", "not_a_field", name=self.department_field)
        if self.name_field is not None and self.name_field not in self.fields:
            raise _at("name_field", "not_a_field", name=self.name_field)
        for name, spec in self.fields.items():
            if spec.required_when and spec.required_when.field not in self.fields:
                raise _at(f"fields.{name}.required_when.field", "not_a_field", name=spec.required_when.field)
        return self


class RuleSettingFile(Settings):
    """One entry of rules.yaml: {enabled, severity}."""

    enabled: bool = True
    severity: SeverityName | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if data is None:
            return {}
        if not isinstance(data, Mapping) or set(data) - {"enabled", "severity"}:
            raise PydanticCustomError("rule_settings", "allowed settings: enabled, severity")
        return data


class RulesFile(Settings):
    """rules/rules.yaml: per-rule switches and severities (codes checked against the registry later)."""

    rules: dict[str, RuleSettingFile] = {}

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        data = dict(data or {})
        if data.get("rules") is None:
            data.pop("rules", None)
        elif not isinstance(data["rules"], Mapping):
            raise _at("rules", "rules_shape")
        else:
            data["rules"] = {str(k): v for k, v in data["rules"].items()}
        for key in data:
            if key != "rules":
                raise unknown_key(str(key), ["rules"])
        return data


class RouteFile(Settings):
    """One route of routing.yaml."""

    department: str
    entity: str | None = None
    fields: Names = ()
    rules: Names = ()

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or "department" not in data:
            raise PydanticCustomError("route_department", "each route needs a department")
        return known_keys(cls, data)


class RoutingFile(Settings):
    """rules/routing.yaml: who must fix which issues."""

    routes: tuple[RouteFile, ...] = ()
    default: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        data = {k: v for k, v in dict(data or {}).items() if v is not None}
        return known_keys(cls, data)
