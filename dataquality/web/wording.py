"""The approvers' pages in the reader's words: what a change request is about, said as the schemas
and the catalogue say it in the page's language, never as the database stores it.

- entities and fields by their schema labels (客户 · 信用额度, not customer · credit_limit);
- values formatted as the field declares (decimals, an ISO 4217 currency, a percentage; Babel's
  CLDR data for the separators and symbols of zh-CN and en), dates as dates, and a number's
  relative change beside it (the tiers of prices are relative);
- moments (the audit log's UTC ISO text) in the server's local time zone, to the minute;
- statuses, kinds, tiers, roles and audit actions from the catalogue.

A value that is not what its field declares (text in a number field) is shown as written.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal, format_percent, parse_pattern

from dataquality.approve.changes import RECORD
from dataquality.approve.sheet import source_parts
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.approve.workflow import NO_LONGER_IN_FILE
from dataquality.config import Config, FieldSpec
from dataquality.i18n import has, text

LOCALES = {"zh": "zh_CN", "en": "en"}
# Reasons the workflow writes itself (not a person's words): said in the reader's language.
_MACHINE_REASONS = {NO_LONGER_IN_FILE: "web.history.no_longer_in_file"}


def _decimal(value: str | None) -> Decimal | None:
    """A canonical number (a request's comparison text: 2300000, 12.5), else None."""
    if value is None or not str(value).strip():
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _data(event: dict[str, Any]) -> dict[str, Any]:
    """An audit event's sealed details ({} when it has none)."""
    try:
        data = json.loads(event["data"]) if event.get("data") else {}
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def local_moment(at: str | None, tz: dt.tzinfo | None = None) -> dt.datetime | None:
    """A stored UTC ISO time in `tz` (default: the server's local time zone), seconds dropped."""
    if not at:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(at))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(tz).replace(second=0, microsecond=0)


@dataclass(frozen=True)
class Wording:
    """How the pages of one reader (`lang`) say things; `tz` None is the server's local time zone."""

    config: Config
    policy: ApprovalPolicy
    lang: str
    tz: dt.tzinfo | None = None

    @property
    def locale(self) -> Locale:
        return Locale.parse(LOCALES.get(self.lang, "en"))

    def t(self, key: str, **params: Any) -> str:
        return text(key, self.lang, **params)

    # --- what a request is about ------------------------------------------------------------

    def _spec(self, entity: str, field: str) -> FieldSpec | None:
        schema = self.config.schemas.get(entity)
        return schema.fields.get(field) if schema is not None else None

    def entity(self, entity: str) -> str:
        schema = self.config.schemas.get(entity)
        return schema.label(self.lang) if schema is not None else entity

    def field(self, entity: str, field: str) -> str:
        if field == RECORD:
            return self.t("web.whole_record")
        spec = self._spec(entity, field)
        return spec.label(self.lang) if spec is not None else field

    def record(self, key: str, name: str | None) -> str:
        """The record as people know it: its code and, when the file names it, its name."""
        return f"{key} {name}" if name else key

    # --- values --------------------------------------------------------------------------------

    def number(self, spec: FieldSpec | None, number: Decimal) -> str:
        """A number as its field declares: a percentage, an amount in a currency, fixed decimals."""
        locale = self.locale
        if spec is not None and spec.percent:
            digits = spec.decimals if spec.decimals is not None else 2
            return format_percent(number, format="#,##0" + ("." + "#" * digits if digits else "") + "%", locale=locale)
        if spec is not None and spec.currency:
            pattern = parse_pattern(locale.currency_formats["standard"].pattern)
            if spec.decimals is not None:
                pattern.frac_prec = (spec.decimals, spec.decimals)
            return pattern.apply(number, locale, currency=spec.currency, currency_digits=spec.decimals is None)
        if spec is not None and spec.decimals is not None:
            return format_decimal(number, format="#,##0" + ("." + "0" * spec.decimals if spec.decimals else ""),
                                  locale=locale)
        return format_decimal(number, format="#,##0.##########", locale=locale)

    def value(self, entity: str, field: str, shown: str | None, norm: str | None = None) -> str:
        """A field's value: numbers and dates formatted from their canonical text `norm`; any
        other value (or one that does not read as its type) as written."""
        spec = self._spec(entity, field)
        canonical = norm if norm else None
        if spec is not None and spec.is_numeric:
            number = _decimal(canonical)
            if number is not None:
                return self.number(spec, number)
        if spec is not None and spec.type == "date" and canonical:
            try:
                return format_date(dt.date.fromisoformat(canonical[:10]), "medium", locale=self.locale)
            except ValueError:
                pass
        return "" if shown is None else str(shown)

    def relative_change(self, entity: str, field: str, old_norm: str | None, new_norm: str | None) -> str:
        """+250 % for a number that rose from 200,000 to 700,000; '' when there is nothing to compare."""
        spec = self._spec(entity, field)
        old, new = _decimal(old_norm), _decimal(new_norm)
        if spec is None or not spec.is_numeric or spec.percent or old is None or new is None or old == 0:
            return ""
        return format_percent((new - old) / abs(old), format="+#,##0.#%;-#,##0.#%", locale=self.locale)

    # --- the workflow's words ------------------------------------------------------------------

    def kind(self, kind: str | None) -> str:
        return self.t(f"web.kind.{kind}") if has(f"web.kind.{kind}") else str(kind or "")

    def status(self, status: str) -> str:
        return self.t(f"changes.status.{status}") if has(f"changes.status.{status}") else status

    def tier(self, tier: int) -> str:
        return self.t("web.tier", n=tier)

    def kind_tier(self, kind: str | None, tier: int) -> str:
        return self.t("web.kind_and_tier", kind=self.kind(kind), tier=self.tier(tier)) if kind else self.tier(tier)

    def role(self, code: str | None) -> str:
        """A role by its name in the policy (部门经理), its code only when the policy does not know it."""
        if not code:
            return ""
        role = self.policy.role(code)
        return role.label(self.lang) if role is not None else code

    def roles(self, codes: tuple[str, ...] | list[str]) -> str:
        return self.t("web.list_sep").join(self.role(c) for c in codes)

    def action(self, action: str) -> str:
        return self.t(f"web.action_name.{action}") if has(f"web.action_name.{action}") else action

    def decision(self, decision: str) -> str:
        key = f"entries.decision_{decision}"
        return self.t(key) if has(key) else decision

    def moment(self, at: str | None) -> str:
        """A stored time in the server's local time zone, to the minute (2026年12月7日 17:05)."""
        moment = local_moment(at, self.tz)
        if moment is None:
            return "" if at is None else str(at)
        return f"{format_date(moment.date(), 'medium', locale=self.locale)} {format_skeleton('Hm', moment, locale=self.locale)}"

    def day(self, value: str | None) -> str:
        """A date written on a sheet (2026-12-07) as the reader writes dates."""
        try:
            return format_date(dt.date.fromisoformat(str(value)[:10]), "medium", locale=self.locale)
        except (TypeError, ValueError):
            return "" if value is None else str(value)

    def event_value(self, request: Any, event: dict[str, Any]) -> str:
        """The value an audit event of `request` names, formatted: its sealed comparison text when
        it carries one (a request, a revision), the request's own when it is the current value."""
        shown = event.get("new_value")
        if not shown:
            return ""
        norm = _data(event).get("new_norm")
        if norm is None and shown == request.new:
            norm = request.new_norm
        return self.value(request.entity, request.field, shown, norm)

    def sheet_source(self, source: str | None) -> str:
        """Where a sheet line came from (审批表 approvals.xlsx，工作表 审批，由 杨磊 录入)."""
        parts = source_parts(source or "")
        return self.t("web.sheet_source", **parts) if parts else (source or "")

    def history_note(self, event: dict[str, Any]) -> str:
        """What an audit event of a request says beyond its columns: for the events the workflow
        writes itself (a request, a revision, a sheet line entered) its sealed details in words;
        a person's own comment or reason as written."""
        action, comment = event.get("action"), event.get("comment")
        data = _data(event)
        if action in ("request", "revise") and "tier" in data:
            return self.kind_tier(data.get("kind"), int(data["tier"]))
        if action == "enter" and isinstance(data.get("entry"), dict):
            entry = data["entry"]
            return self.t("web.history.entered", decision=self.decision(str(entry.get("decision"))),
                          name=str(entry.get("approver") or ""), date=self.day(entry.get("decided_at")),
                          source=self.sheet_source(entry.get("source")))
        if comment in _MACHINE_REASONS:
            return self.t(_MACHINE_REASONS[comment])
        return "" if comment is None else str(comment)
