"""Reference rules (REF): a value must be one of a reference list (staff, departments, provinces).

Lists come from rules/*.yaml or a workbook sheet (`dq validate --reference staff=FILE.xlsx#Sheet`);
a name matches after NFKC, case-folding and removing whitespace, and aliases are accepted.
"""

from __future__ import annotations

import pandas as pd

from dataquality.checks.registry import field_rule
from dataquality.checks.values import FieldValues, TableValues
from dataquality.config import EntitySchema, FieldSpec
from dataquality.i18n import has, text


def list_label(name: str) -> dict[str, str]:
    """The display name of a reference list in both languages (the list's own name when unknown)."""
    key = f"references.lists.{name}"
    if has(key):
        return {"en": text(key, "en"), "zh": text(key, "zh")}
    return {"en": name, "zh": name}


def _params(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {"labels": dict(spec.labels), "list": list_label(spec.reference or "")}


@field_rule("REF001", "not-in-reference-list", applies=lambda f: f.reference is not None, params=_params,
            convention="rules/{reference}.yaml")
def not_in_reference_list(v: FieldValues, t: TableValues) -> pd.Series:
    """A value is not in its reference list: a salesperson not on the staff list, an unknown department or province.

    Why: an order booked to a salesperson who has left, or a department that does not exist, is never followed up and breaks commission and cost reports.
    Bad: salesperson = 张三 (not in the staff list); province = 江南省.
    Good: salesperson = 张伟; department = 销售部 (or Sales); province = 上海 (or 上海市).
    """
    # Config.load has checked that the list exists, so an unknown name here is a real finding.
    return (v.present & v.referenced.isna()).astype(bool)
