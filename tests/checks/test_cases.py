"""Rule behaviour as data: tests/cases/<CODE>.yaml holds pass/fail cases, run here by one runner.

A case lists rows (only the fields that matter; the rest come from a clean base record), and the
findings of its rule it expects as [row, field] or [row, field, fixed_value], where row 1 is the
case's first row (Excel row 2: the header is on row 1). Only the case's own rule is compared.
A file may set `record_rules:` for its entity (the settings a plugin rule needs, merged into the
shipped schema). Installed rule plugins' cases (their package's cases/*.yaml) run here too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from dataquality.pipeline import run

CASES_DIR = Path(__file__).resolve().parent.parent / "cases"
BASE = {
    "customer": lambda n: {
        "customer_code": f"C{700000 + n:06d}", "customer_name": f"用例客户{n}", "customer_type": "individual",
        "salesperson": "张伟", "phone": "13800138000", "address": "上海市浦东新区",
    },
    "product": lambda n: {
        "internal_code": f"FG{700000 + n:06d}", "product_name": f"用例产品{n}", "specification": f"S-{n}",
        "category": "FG", "unit": "PCS",
    },
}
SHEETS = {"customer": "customers", "product": "products"}


def _case_files() -> list[Path]:
    from dataquality.checks.plugins import load_plugins

    return sorted(CASES_DIR.glob("*.yaml")) + [path for plugin in load_plugins() for path in plugin.cases]


def _cases() -> list[Any]:
    out = []
    for path in _case_files():
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in data["cases"]:
            out.append(pytest.param(data["rule"], data["entity"], case, data.get("record_rules") or {},
                                    data.get("conventions", "own"), id=f"{data['rule']}-{case['name']}"))
    return out


def _with_record_rules(config, entity: str, settings: dict[str, Any], conventions: str = "own"):
    """`config` with extra record-rule settings for `entity`, validated like a schema's own.

    A case shows its rule's own behaviour on a few rows: the schemas are a company's own
    (`conventions: own`), unless the case file says `conventions: example` (the CNV cases)."""
    from dataclasses import replace

    from dataquality.checks.settings import validate

    schemas = {n: replace(s, conventions=conventions) for n, s in config.schemas.items()}
    schema = schemas[entity]
    raw = {**schema.record_rules, **settings}
    plain = replace(config, schemas={**schemas, entity: replace(schema, record_rules=raw)}, rules_checked=False)
    return validate(plain)


def _sheet(entity: str, rows: list[dict[str, Any]]) -> list[list[Any]]:
    records = [{**BASE[entity](n), **row} for n, row in enumerate(rows)]
    fields = list(dict.fromkeys(f for r in records for f in r))
    return [fields, *([r.get(f) for f in fields] for r in records)]


@pytest.mark.parametrize(("rule", "entity", "case", "record_rules", "conventions"), _cases())
def test_rule_case(rule: str, entity: str, case: dict[str, Any], record_rules: dict[str, Any], conventions: str,
                   write_xlsx, config) -> None:
    config = _with_record_rules(config, entity, record_rules, conventions)
    files = [write_xlsx(f"{entity}.xlsx", {SHEETS[entity]: _sheet(entity, case["rows"])})]
    if "customers" in case:
        files.append(write_xlsx("customer.xlsx", {"customers": _sheet("customer", case["customers"])}))
    result = run(config, files)
    found = [i for i in result.issues if i.rule == rule and i.entity == entity]
    assert sorted((i.row - 1, i.field) for i in found) == sorted((e[0], e[1]) for e in case["expect"])
    for e in case["expect"]:
        if len(e) > 2:
            issue = next(i for i in found if (i.row - 1, i.field) == (e[0], e[1]))
            assert issue.fixable and issue.fixed_value == str(e[2])
        for issue in found:
            texts = issue.message("en") + issue.message("zh") + issue.hint("en") + issue.hint("zh")
            assert issue.message("en") and issue.message("zh") and "{" not in texts


def test_every_registered_data_rule_has_cases() -> None:
    """Each identifier, reference, record and group rule has its behaviour written down as data."""
    from dataquality.checks.registry import active_rules

    covered = {p.stem for p in CASES_DIR.glob("*.yaml")}
    wanted = {r.code for r in active_rules() if r.code[:3] in ("IDN", "REF", "CUS", "PRD")}
    assert wanted - covered == set()
