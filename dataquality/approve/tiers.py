"""rules/approval.yaml -> frozen dataclasses: approval levels, sensitive fields and their tier rules."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dataquality.approve.people import Directory
from dataquality.config import Config, _fail, _read_yaml, normalise_header
from dataquality.paths import default_rules_dir

DIRECTIONS = ("any", "increase", "decrease")
CHANGES = ("absolute", "relative")
MAX_TIER = 9
_RULE_KEYS = {"direction", "change", "max", "tier"}
_TOP_KEYS = {"roles", "requester_field", "deleted_record_tier", "database", "fields", "sheet_import"}
_IMPORT_KEYS = {"roles", "max_tier"}


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
        """The levels a tier-N change needs: L1 up to LN."""
        return tuple(r for r in self.roles if r.level <= tier)

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


def _parse_rule(path: Path, where: str, raw: Any) -> TierRule:
    if isinstance(raw, bool) or not isinstance(raw, (int, Mapping)):
        raise _fail(path, where, "tier_rule_shape")
    if isinstance(raw, int):
        raw = {"tier": raw}
    unknown = set(raw) - _RULE_KEYS
    if unknown:
        raise _fail(path, f"{where}.{sorted(unknown)[0]}", "unknown_setting", allowed=', '.join(sorted(_RULE_KEYS)))
    tier = raw.get("tier")
    if isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier <= MAX_TIER:
        raise _fail(path, f"{where}.tier", "whole_number_range", top=9)
    direction = str(raw.get("direction", "any"))
    if direction not in DIRECTIONS:
        raise _fail(path, f"{where}.direction", "one_of", allowed=', '.join(DIRECTIONS))
    change = str(raw.get("change", "absolute"))
    if change not in CHANGES:
        raise _fail(path, f"{where}.change", "one_of", allowed=', '.join(CHANGES))
    limit = raw.get("max")
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit < 0):
        raise _fail(path, f"{where}.max", "number_not_negative")
    return TierRule(tier, direction, change, None if limit is None else float(limit))


def parse_policy(path: Path, data: Any, config: Config | None = None) -> ApprovalPolicy:
    """Validate approval.yaml's content; a bad key raises ConfigError naming file and key."""
    if not isinstance(data, Mapping):
        raise _fail(path, "(top level)", "approval_shape")
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise _fail(path, sorted(unknown)[0], "unknown_setting", allowed=', '.join(sorted(_TOP_KEYS)))
    roles = []
    raw_roles = data.get("roles") or {}
    if not isinstance(raw_roles, Mapping) or not raw_roles:
        raise _fail(path, "roles", "roles_shape")
    for code, raw in raw_roles.items():
        code = str(code)
        if not (code[:1] in "Ll" and code[1:].isdigit()):
            raise _fail(path, f"roles.{code}", "role_code")
        raw = raw or {}
        labels = raw.get("labels") or {}
        roles.append(Role(code.upper(), int(code[1:]), {"en": str(labels.get("en", code)), "zh": str(labels.get("zh", labels.get("en", code)))},
                          tuple(str(a) for a in raw.get("aliases") or ())))
    roles.sort(key=lambda r: r.level)
    if [r.level for r in roles] != list(range(1, len(roles) + 1)):
        raise _fail(path, "roles", "role_gaps")
    fields: dict[tuple[str, str], tuple[TierRule, ...]] = {}
    raw_fields = data.get("fields") or {}
    if not isinstance(raw_fields, Mapping):
        raise _fail(path, "fields", "tier_fields_shape")
    for name, raw in raw_fields.items():
        where = f"fields.{name}"
        entity, _, fname = str(name).partition(".")
        if not fname:
            raise _fail(path, where, "entity_field")
        if config is not None:
            schema = config.schemas.get(entity)
            if schema is None or fname not in schema.fields:
                raise _fail(path, where, "no_such_field")
        items = raw if isinstance(raw, list) else [raw]
        rules = tuple(_parse_rule(path, f"{where}[{i}]", r) for i, r in enumerate(items))
        if any(r.tier > len(roles) for r in rules):
            raise _fail(path, where, "tier_needs_roles", n=len(roles))
        fields[(entity, fname)] = rules
    deleted = data.get("deleted_record_tier", 2)
    if isinstance(deleted, bool) or not isinstance(deleted, int) or not 0 <= deleted <= len(roles):
        raise _fail(path, "deleted_record_tier", "whole_number_range", top=len(roles))
    database = data.get("database")
    if database is not None and not isinstance(database, str):
        raise _fail(path, "database", "sqlalchemy_url")
    import_roles, import_max = _parse_import(path, data.get("sheet_import"), roles)
    return ApprovalPolicy(tuple(roles), fields, str(data.get("requester_field") or "requested_by"), deleted, database or None,
                          str(path), import_roles, import_max, Directory.from_config(config) if config else None)


def _parse_import(path: Path, raw: Any, roles: list[Role]) -> tuple[tuple[str, ...], int]:
    """sheet_import: {roles: [L2], max_tier: 2}: who may import an approvals sheet, up to which tier."""
    if raw is None:
        return ("L2",) if len(roles) >= 2 else (roles[0].code,), min(2, len(roles))
    if not isinstance(raw, Mapping):
        raise _fail(path, "sheet_import", "unknown_setting", allowed=', '.join(sorted(_IMPORT_KEYS)))
    unknown = set(raw) - _IMPORT_KEYS
    if unknown:
        raise _fail(path, f"sheet_import.{sorted(unknown)[0]}", "unknown_setting", allowed=', '.join(sorted(_IMPORT_KEYS)))
    codes = {r.code for r in roles}
    chosen = tuple(str(c).upper() for c in raw.get("roles") or ())
    bad = [c for c in chosen if c not in codes]
    if bad:
        raise _fail(path, "sheet_import.roles", "one_of", allowed=', '.join(sorted(codes)))
    top = raw.get("max_tier", 2)
    if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= len(roles):
        raise _fail(path, "sheet_import.max_tier", "whole_number_range", top=len(roles))
    return chosen, top

