"""rules/approval.yaml -> approval levels, sensitive fields and their tier rules.

The file is validated as a frozen pydantic model (`_ApprovalFile`); the policy built from it is
a frozen dataclass with the vectorised tier look-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from dataquality.approve.people import Directory
from dataquality.config import Config, _read_yaml, normalise_header
from dataquality.config.models import Settings, known_keys, problem, unknown_key, validate
from dataquality.paths import default_rules_dir

DIRECTIONS = ("any", "increase", "decrease")
CHANGES = ("absolute", "relative")
MAX_TIER = 9


@dataclass(frozen=True)
class Role:
    """An approval level: L1 department manager, L2 finance director, L3 general manager."""

    code: str
    level: int
    labels: Mapping[str, str]
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return self.labels.get(lang) or self.labels.get("en") or self.code


@dataclass(frozen=True)
class TierRule:
    """One line of a field's tier table; the first rule that matches a change gives its tier."""

    tier: int
    direction: str = "any"
    change: str = "absolute"
    max: float | None = None


@dataclass(frozen=True)
class ApprovalPolicy:
    """Everything rules/approval.yaml says: levels, sensitive fields and how changes are tiered."""

    roles: tuple[Role, ...]
    fields: Mapping[tuple[str, str], tuple[TierRule, ...]]
    requester_field: str = "requested_by"
    deleted_record_tier: int = 2
    database: str | None = None
    source: str = ""
    # Who may record an approvals sheet's lines on behalf of the approvers named in it, and up to
    # which tier (sheet_import in approval.yaml; tier 3 only by signing in, by default).
    import_roles: tuple[str, ...] = ("L2",)
    import_max_tier: int = 2
    people: Directory | None = field(default=None, compare=False)

    def directory(self) -> Directory:
        """The staff list as people (empty when the policy was read without a configuration)."""
        return self.people or Directory({}, {})

    def sensitive(self, entity: str) -> tuple[str, ...]:
        """The sensitive fields of `entity`, in the YAML's order."""
        return tuple(f for e, f in self.fields if e == entity)

    def role(self, text: str) -> Role | None:
        """The role a user means by `text` (L2, l2, 财务总监, finance director); None when unknown."""
        wanted = normalise_header(text)
        for role in self.roles:
            names = {role.code, *role.labels.values(), *role.aliases}
            if wanted in {normalise_header(n) for n in names}:
                return role
        return None

    def required_roles(self, tier: int) -> tuple[Role, ...]:
        """The levels a tier-N change needs: L1 up to LN (worked out once per tier: asked per change)."""
        known = self.__dict__.setdefault("_required_by_tier", {})
        if tier not in known:
            known[tier] = tuple(r for r in self.roles if r.level <= tier)
        return known[tier]

    def tiers(self, entity: str, field_name: str, old: pd.Series, new: pd.Series) -> pd.Series:
        """The tier of each change of `field_name` (vectorised); old/new are numbers (NaN = not numeric)."""
        rules = self.fields.get((entity, field_name), ())
        tier = pd.Series(0, index=new.index, dtype="int64")
        if not rules:
            return tier
        old_n = pd.to_numeric(old, errors="coerce").astype("float64")
        new_n = pd.to_numeric(new, errors="coerce").astype("float64")
        numeric = old_n.notna() & new_n.notna()
        delta = new_n - old_n
        with np.errstate(divide="ignore", invalid="ignore"):
            # A relative change from 0 is infinite: above every relative threshold (spec).
            rel = (delta.abs() / old_n.abs()).where(old_n != 0, np.where(delta == 0, 0.0, math.inf))
        done = pd.Series(False, index=new.index)
        for rule in rules:
            match = ~done
            if rule.direction == "increase":
                match &= numeric & (delta > 0)
            elif rule.direction == "decrease":
                match &= numeric & (delta < 0)
            if rule.max is not None:
                size = rel if rule.change == "relative" else delta.abs()
                match &= numeric & (size <= rule.max)
            tier = tier.mask(match, rule.tier)
            done |= match
        # A non-numeric change of a field whose rules all need numbers: the strictest tier, so
        # nothing slips through unapproved because a price was typed as text.
        strictest = max(r.tier for r in rules)
        return tier.mask(~done, strictest)

    @classmethod
    def load(cls, rules_dir: Path | None = None, config: Config | None = None) -> ApprovalPolicy:
        """Read rules/approval.yaml (the shipped one when the folder has none)."""
        folder = Path(rules_dir or (config.rules_dir if config else default_rules_dir()))
        path = folder / "approval.yaml"
        if not path.is_file():
            path = default_rules_dir() / "approval.yaml"
        return parse_policy(path, _read_yaml(path), config)


def _whole(value: Any, top: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= top:
        raise PydanticCustomError("whole_number_range", "must be a whole number from 0", {"top": top})
    return value


class _TierRuleFile(Settings):
    """One line of a field's tier table as written: a tier number, or {direction, change, max, tier}."""

    tier: Annotated[Any, AfterValidator(lambda v: _whole(v, MAX_TIER))]
    direction: Literal["any", "increase", "decrease"] = "any"
    change: Literal["absolute", "relative"] = "absolute"
    max: Annotated[float, Field(ge=0, strict=False)] | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int | Mapping):
            raise PydanticCustomError("tier_rule_shape", "a tier or {direction, change, max, tier}")
        if isinstance(data, int):
            data = {"tier": data}
        if "max" in data and isinstance(data["max"], bool):
            raise PydanticCustomError("number_not_negative", "must be a number >= 0", {"key": "max"})
        return known_keys(cls, data)


class _RoleFile(Settings):
    labels: dict[str, str] = {}
    aliases: tuple[str, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        return known_keys(cls, {} if data is None else data)


class _SheetImportFile(Settings):
    roles: tuple[str, ...] = ()
    max_tier: Any = 2


def _tier_rules(raw: Any) -> Any:
    return raw if isinstance(raw, list) else [raw]


class _ApprovalFile(Settings):
    """rules/approval.yaml as written."""

    roles: dict[str, _RoleFile] = {}
    requester_field: str | None = None
    deleted_record_tier: Any = 2
    database: str | None = None
    fields: dict[str, Annotated[tuple[_TierRuleFile, ...], BeforeValidator(_tier_rules)]] = {}
    sheet_import: _SheetImportFile | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise PydanticCustomError("approval_shape", "must be a mapping with roles and fields")
        data = {str(k): v for k, v in data.items()}
        if not isinstance(data.get("roles"), Mapping) or not data.get("roles"):
            raise PydanticCustomError("roles_shape", "must map L1, L2 ...", {"key": "roles"})
        if data.get("fields") is None:
            data.pop("fields", None)
        elif not isinstance(data["fields"], Mapping):
            raise PydanticCustomError("tier_fields_shape", "must map entity.field", {"key": "fields"})
        if data.get("database") is not None and not isinstance(data["database"], str):
            raise PydanticCustomError("sqlalchemy_url", "must be an SQLAlchemy URL", {"key": "database"})
        if "sheet_import" in data and not isinstance(data["sheet_import"], Mapping | None):
            raise unknown_key("sheet_import", ["roles", "max_tier"])
        return known_keys(cls, data)


def parse_policy(path: Path, data: Any, config: Config | None = None) -> ApprovalPolicy:
    """Validate approval.yaml's content (a frozen pydantic model); a bad key raises ConfigError naming file and key."""
    raw = validate(_ApprovalFile, data, path)
    roles = []
    for code, role in raw.roles.items():
        if not (code[:1] in "Ll" and code[1:].isdigit()):
            raise problem(path, f"roles.{code}", "role_code")
        labels = role.labels
        roles.append(Role(code.upper(), int(code[1:]), {"en": str(labels.get("en", code)), "zh": str(labels.get("zh", labels.get("en", code)))},
                          role.aliases))
    roles.sort(key=lambda r: r.level)
    if [r.level for r in roles] != list(range(1, len(roles) + 1)):
        raise problem(path, "roles", "role_gaps")
    fields: dict[tuple[str, str], tuple[TierRule, ...]] = {}
    for name, items in raw.fields.items():
        where = f"fields.{name}"
        entity, _, fname = name.partition(".")
        if not fname:
            raise problem(path, where, "entity_field")
        if config is not None:
            schema = config.schemas.get(entity)
            if schema is None or fname not in schema.fields:
                raise problem(path, where, "no_such_field")
        rules = tuple(TierRule(r.tier, r.direction, r.change, r.max) for r in items)
        if any(r.tier > len(roles) for r in rules):
            raise problem(path, where, "tier_needs_roles", n=len(roles))
        fields[(entity, fname)] = rules
    deleted = raw.deleted_record_tier
    if isinstance(deleted, bool) or not isinstance(deleted, int) or not 0 <= deleted <= len(roles):
        raise problem(path, "deleted_record_tier", "whole_number_range", top=len(roles))
    import_roles, import_max = _parse_import(path, raw.sheet_import, roles)
    return ApprovalPolicy(tuple(roles), fields, str(raw.requester_field or "requested_by"), deleted, raw.database or None,
                          str(path), import_roles, import_max, Directory.from_config(config) if config else None)


def _parse_import(path: Path, raw: _SheetImportFile | None, roles: list[Role]) -> tuple[tuple[str, ...], int]:
    """sheet_import: {roles: [L2], max_tier: 2}: who may import an approvals sheet, up to which tier."""
    if raw is None:
        return ("L2",) if len(roles) >= 2 else (roles[0].code,), min(2, len(roles))
    codes = {r.code for r in roles}
    chosen = tuple(str(c).upper() for c in raw.roles)
    if any(c not in codes for c in chosen):
        raise problem(path, "sheet_import.roles", "one_of", allowed=', '.join(sorted(codes)))
    top = raw.max_tier
    if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= len(roles):
        raise problem(path, "sheet_import.max_tier", "whole_number_range", top=len(roles))
    return chosen, top
