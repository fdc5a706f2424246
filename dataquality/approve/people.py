"""People of the approval workflow are the staff reference list: every requester, approver and web
account is one of its persons, found by id, name or alias.

A name is matched after NFKC, with invisible characters removed (zero-width spaces and joiners,
bidi marks, soft hyphens, BOM: Unicode category Cf) and whitespace and case ignored, then looked
up among the names and aliases of the list (張伟 -> 张伟 when the list says so). Anything else is
refused: a made-up name never approves anything.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dataquality.config import Config
from dataquality.errors import DQError

STAFF_LIST = "staff"
# The id column of the list: `id` in staff.yaml; 工号 / 员工编号 in an HR sheet (--reference).
ID_KEYS = ("id", "工号", "员工编号", "employeeid", "employee_id")
_WHAT = {
    "person": {"en": "person", "zh": "人员"},
    "approver": {"en": "approver", "zh": "审批人"},
    "requester": {"en": "requester", "zh": "申请人"},
    "submitter": {"en": "submitter", "zh": "提交人"},
}
_SPACE = re.compile(r"\s+")


class PersonError(DQError):
    """A name that is not a person of the staff list."""


def clean_name(text: Any) -> str:
    """The comparable form of a name: NFKC, no invisible characters, no whitespace, case-folded."""
    s = unicodedata.normalize("NFKC", "" if text is None else str(text))
    s = "".join(ch for ch in s if unicodedata.category(ch) not in ("Cf", "Cc", "Zl", "Zp"))
    return _SPACE.sub("", s).casefold()


@dataclass(frozen=True)
class Person:
    """One person of the staff list."""

    id: str
    name: str
    department: str | None = None


@dataclass(frozen=True)
class Directory:
    """The staff list as people: clean name or alias or id -> Person."""

    people: Mapping[str, Person]  # id -> Person
    index: Mapping[str, str]  # clean name / alias / id -> id

    @classmethod
    def from_config(cls, config: Config) -> Directory:
        """The staff reference list of `config` (rules/staff.yaml or a sheet given with --reference)."""
        ref = config.references.get(STAFF_LIST)
        people: dict[str, Person] = {}
        index: dict[str, str] = {}
        for rec in ref.records if ref else ():
            name = str(rec.get("name", "")).strip()
            if not clean_name(name):
                continue
            pid = str(next((rec[k] for k in ID_KEYS if rec.get(k) not in (None, "")), name)).strip()
            people[pid] = Person(pid, name, None if rec.get("department") is None else str(rec["department"]))
            for alias in (name, pid, *(rec.get("aliases") or ())):
                index.setdefault(clean_name(alias), pid)
        return cls(people, index)

    def find(self, text: Any) -> Person | None:
        """The person `text` names (id, name or alias); None when nobody."""
        pid = self.index.get(clean_name(text))
        return self.people[pid] if pid else None

    def person(self, text: Any, what: str = "person") -> Person:
        """The person `text` names; PersonError (exit 2) naming the text when nobody or blank."""
        if not clean_name(text):
            raise PersonError("people.blank", what=_WHAT.get(what, what))
        found = self.find(text)
        if found is None:
            raise PersonError("people.unknown", what=_WHAT.get(what, what), name=_visible(text))
        return found


def _visible(text: Any) -> str:
    """The text with invisible characters shown as <U+200B>, so a message shows what was typed."""
    return "".join(ch if unicodedata.category(ch) not in ("Cf", "Cc") else f"<U+{ord(ch):04X}>" for ch in str(text))
