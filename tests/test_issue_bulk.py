"""Issues in bulk (issue 12): Issue.many, the JSON contract of many issues at once, one sort, first_seen
stamped in place, the counts of a Result: the same issues and the same report as one at a time."""

from __future__ import annotations

import dataclasses
import gc
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from builders import PRODUCT_HEADERS_ZH, product, sheet_rows
from click.testing import CliRunner

from dataquality.issue import (
    Issue,
    Severity,
    Status,
    fingerprints,
    paused_gc,
    sort_issues,
    sort_key,
    stamp_first_seen,
    to_dicts,
)
from dataquality.pipeline import run
from dataquality.result import Result

COMMON = {"rule": "FMT002", "severity": Severity.WARNING, "entity": "customer", "file": "c.xlsx", "sheet": "客户"}


def _one_by_one(issue: Issue) -> Issue:
    """The same issue made by the constructor, field by field."""
    return Issue(**{f.name: getattr(issue, f.name) for f in dataclasses.fields(Issue)})


@pytest.fixture
def defective(write_xlsx) -> Path:
    """Products with field problems, fixable ones, duplicates (partner rows), record problems and an unknown column."""
    recs = [product(i) for i in range(1, 41)]
    recs[0].update(product_name="  不锈钢螺栓1 ")  # FMT002, fixable
    recs[1].update(internal_code=recs[2]["internal_code"])  # UNQ001 on two rows, each naming the other
    recs[3].update(list_price=1, cost_price=100)  # list price below cost: a record rule
    recs[4].update(owner_department="不存在的部门")  # REF001
    recs[5].update(product_name=None)  # REQ001
    recs[6].update(barcode="6901234567891")  # bad check digit
    rows = sheet_rows(recs, PRODUCT_HEADERS_ZH, extra={"备注": ["x"] * len(recs)})
    return write_xlsx("p.xlsx", {"产品": rows})


def test_many_makes_the_issues_the_constructor_makes() -> None:
    made = Issue.many(COMMON, row=[3, 4], key=["C1", None], field=["customer_name", "customer_name"],
                      value=[" 甲 ", "乙 "], column=["B", "B"], fixable=[True, True], fixed_value=["甲", "乙"],
                      related_rows=[(), (9, 12)], params=[{"labels": {"en": "Name", "zh": "名称"}}] * 2)
    alone = [Issue(**COMMON, row=3, key="C1", field="customer_name", value=" 甲 ", column="B", fixable=True,
                   fixed_value="甲", params={"labels": {"en": "Name", "zh": "名称"}}),
             Issue(**COMMON, row=4, field="customer_name", value="乙 ", column="B", fixable=True, fixed_value="乙",
                   related_rows=(9, 12), params={"labels": {"en": "Name", "zh": "名称"}})]
    assert made == alone
    for a, b in zip(made, alone, strict=True):
        assert type(a) is Issue
        assert (a.fingerprint, a.cell, a.status, a.first_seen, a.tracking) == (b.fingerprint, b.cell, Status.NEW, None, {})
        for lang in ("en", "zh"):
            assert a.to_dict(lang) == b.to_dict(lang) and a.texts(lang) == b.texts(lang)
    # Still a frozen dataclass: replace, with_tracking and the frozen check work on issues made in bulk.
    assert dataclasses.replace(made[0], row=5).row == 5 and made[0].row == 3
    assert made[1].with_tracking(status=Status.OPEN, tracking={"issue_number": "DQ-1"}).to_dict()["issue_number"] == "DQ-1"
    with pytest.raises(dataclasses.FrozenInstanceError):
        made[0].row = 7  # type: ignore[misc]


def test_many_takes_defaults_and_refuses_what_the_constructor_refuses() -> None:
    [only] = Issue.many({"rule": "FIL001", "severity": Severity.INFO, "entity": None, "file": "c.xlsx"}, value=["备注"])
    assert only == Issue(rule="FIL001", severity=Severity.INFO, entity=None, file="c.xlsx", value="备注")
    assert Issue.many(COMMON) == []
    with pytest.raises(TypeError, match="unknown fields \\['colour'\\]"):
        Issue.many(COMMON, colour=["red"])
    with pytest.raises(TypeError, match="missing \\['rule'\\]"):
        Issue.many({k: v for k, v in COMMON.items() if k != "rule"}, row=[1])
    with pytest.raises(ValueError):  # columns of different lengths
        Issue.many(COMMON, row=[1, 2], key=["a"])


def test_a_run_builds_the_issues_the_constructor_builds(defective, config) -> None:
    issues = run(config, [defective]).issues
    rules = {i.rule for i in issues}
    assert {"FMT002", "UNQ001", "REF001", "REQ001", "FIL001"} <= rules and any(i.related_rows for i in issues)
    assert any(i.fixable for i in issues)
    assert [_one_by_one(i) for i in issues] == issues
    assert [i.fingerprint for i in issues] == [_one_by_one(i).fingerprint for i in issues]


def test_to_dicts_is_to_dict_of_each_issue(defective, config) -> None:
    issues = run(config, [defective]).issues
    tracked = [issues[0].with_tracking(status=Status.OPEN, tracking={"issue_number": "DQ-000001", "age_days": 3}), *issues[1:]]
    for lang in ("en", "zh"):
        fresh = [_one_by_one(i) for i in tracked]  # nothing worked out yet
        many = to_dicts(fresh, lang)
        assert many == [i.to_dict(lang) for i in tracked]
        assert [list(d) for d in many] == [list(i.to_dict(lang)) for i in tracked]  # same keys, same order
    assert list(many[0])[-2:] == ["issue_number", "age_days"]


def test_fingerprints_in_one_pass_are_the_property() -> None:
    issues = Issue.many(COMMON, row=[3, 4, 5], key=["C1", "", None], field=["customer_name", None, None],
                        value=[None, "备注", None])
    expected = [_one_by_one(i).fingerprint for i in issues]
    assert fingerprints(issues) == expected
    assert [i.fingerprint for i in issues] == expected  # kept on the issues


def test_one_sort_orders_as_sort_key_and_keeps_ties_in_order(defective, config) -> None:
    issues = run(config, [defective]).issues
    assert issues == sorted(issues, key=sort_key)
    ties = Issue.many(COMMON, row=[2, 1, 2, None], value=["a", "b", "c", "d"])
    warn_first = [*ties, Issue(**{**COMMON, "severity": Severity.ERROR}, row=9)]
    assert [(i.row, i.value) for i in sort_issues(warn_first)] == [(9, None), (None, "d"), (1, "b"), (2, "a"), (2, "c")]


def test_dq_validate_json_every_issue_first_seen_at_the_run(defective, tmp_path) -> None:
    from dataquality.cli import main

    out = tmp_path / "out"
    done = CliRunner().invoke(main, ["validate", str(defective), "--format", "json", "--out", str(out), "--quiet"])
    assert done.exit_code == 1, done.output
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["issues"] and {i["first_seen"] for i in report["issues"]} == {report["generated_at"]}
    assert report["summary"]["total"] == len(report["issues"])


def test_stamp_first_seen_sets_it_in_place() -> None:
    issues = Issue.many(COMMON, row=[1, 2])
    fp = issues[0].fingerprint
    stamp_first_seen(issues, "2026-01-02T03:04:05+08:00")
    assert [i.first_seen for i in issues] == ["2026-01-02T03:04:05+08:00"] * 2
    assert issues[0].fingerprint == fp and issues[0].to_dict("en")["first_seen"] == "2026-01-02T03:04:05+08:00"


def test_result_counts_are_the_plain_counts() -> None:
    # Departments tie (2 each) with missing ones in between: '-' takes the place of its first appearance.
    issues = Issue.many(COMMON, department=["销售部", None, "", "采购部", "采购部", "销售部"],
                        severity=[Severity.ERROR, Severity.WARNING, Severity.WARNING, Severity.INFO, Severity.ERROR, Severity.ERROR])
    result = Result(issues)
    summary = result.summary()
    assert summary["by_severity"] == {"error": 3, "warning": 2, "info": 1}
    assert list(summary["by_department"].items()) == list(Counter(i.department or "-" for i in issues).most_common())
    assert list(summary["by_department"]) == ["销售部", "-", "采购部"]
    assert summary["by_entity"] == {"customer": 6} and summary["by_rule"] == {"FMT002": 6}
    assert [result.count(s) for s in ("error", Severity.WARNING, "info")] == [3, 2, 1]


def test_texts_of_a_text_column_in_one_go() -> None:
    from dataquality.checks.runner import _texts

    text = pd.Series(["a", None, "", " b "], dtype="str")
    assert _texts(text, 4) == ["a", None, "", " b "]
    numbers = pd.Series([1.5, None, 3.0])
    assert _texts(numbers, 3) == ["1.5", None, "3.0"]
    assert _texts(None, 2) == [None, None]


def test_paused_gc_gives_back_the_collector_as_it_was() -> None:
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with paused_gc():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_json_report_encoded_issue_by_issue_is_the_plain_data_encoded(defective, config) -> None:
    from dataquality.report.json_report import as_dict, encode, encode_report

    result = run(config, [defective])
    tracked = [result.issues[0].with_tracking(status=Status.REOPENED, tracking={"issue_number": "DQ-000007", "overdue": True}),
               *result.issues[1:]]
    result.issues = tracked
    result.resolved = [result.issues[1].with_tracking(status=Status.RESOLVED)]
    result.history = [{"run": 1, "run_at": "2026-01-01T00:00:00+08:00", "error": 3}]
    for lang in ("en", "zh"):
        assert encode_report(result, lang) == encode(as_dict(result, lang))
    report = json.loads(encode_report(result, "zh"))
    assert [i["rule"] for i in report["issues"]] == [i.rule for i in tracked]
    assert report["issues"][0]["issue_number"] == "DQ-000007" and report["resolved"][0]["status"] == "resolved"
