"""The HTML report as a file: self-contained, escaped, both languages, small at 100,000 issues."""

from __future__ import annotations

import base64
import gzip
import json
import re
from pathlib import Path

from report_helpers import demo_result, many_issues

from dataquality.issue import Issue, Severity
from dataquality.pipeline import Result
from dataquality.report import ReportOptions
from dataquality.report import html as html_report


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="dq-data" data-encoding="([\w-]+)">(.*?)</script>', page, re.S)
    assert m is not None
    if m.group(1) == "gzip-base64":
        return json.loads(gzip.decompress(base64.b64decode(m.group(2))))
    return json.loads(m.group(2))


def test_demo_report_is_one_self_contained_file(tmp_path: Path, config) -> None:
    result = demo_result(tmp_path / "demo", config, "zh")
    path = html_report.write(result, ReportOptions(lang="zh", out=tmp_path / "out"))
    page = path.read_text(encoding="utf-8")
    # Nothing is fetched: no src/href pointing anywhere but data: or #anchors, no CSS imports.
    assert not re.search(r'(?:src|href)\s*=\s*["\'](?!data:|#)', page)
    assert "@import" not in page and "url(" not in page
    assert "数据质量报告" in page and "按规则统计" in page and "按部门统计" in page
    data = _data(page)
    cells = {data["strings"][row[5]] for row in data["rows"]}
    assert "客户主数据!E15" in cells  # the planted grade "E"
    assert len(data["rows"]) == len(result.issues)


def test_english_report_uses_english_texts(tmp_path: Path, config) -> None:
    result = demo_result(tmp_path / "demo", config, "en")
    page = html_report.render(result, "en")
    assert "Data quality report" in page and "Issues by department" in page
    assert "数据质量报告" not in page


def test_data_cannot_close_the_script_block_or_inject_markup() -> None:
    evil = "</script><script>alert(1)</script><!--"
    issue = Issue(rule="FMT001", severity=Severity.ERROR, entity="customer", file="<b>x</b>.xlsx", sheet="S",
                  row=2, key=evil, field="customer_code", value=evil, column="A", department="<i>部</i>")
    page = html_report.render(Result([issue]), "en")
    assert "<script>alert(1)" not in page
    assert "<b>x</b>" not in page and "<i>部</i>" not in page  # the department chart label is escaped
    assert _data(page)["strings"].count(evil) == 1  # the value survives intact as data


def test_trend_chart_only_with_history() -> None:
    issues = many_issues(5)
    assert 'id="chart-trend"' not in html_report.render(Result(issues), "en")
    history = [{"run_at": f"2026-11-{d:02d}T08:00:00", "error": 10 - d, "warning": 3, "info": 1, "by_department": {}} for d in range(1, 6)]
    page = html_report.render(Result(issues, history=history), "en")
    assert 'id="chart-trend"' in page and page.count("<polyline") == 3


def test_tracking_columns_appear_when_present() -> None:
    issue = many_issues(1)[0].with_tracking(tracking={"issue_number": "DQ-000123", "age_days": 4, "due": "2026-12-01", "overdue": False})
    page = html_report.render(Result([issue]), "zh")
    assert 'data-col="issue_number"' in page and 'data-col="overdue"' in page
    assert "DQ-000123" in _data(page)["strings"]
    assert 'data-col="issue_number"' not in html_report.render(Result(many_issues(1)), "zh")


def test_100k_issues_stay_a_sensible_size() -> None:
    page = html_report.render(Result(many_issues(100_000)), "zh")
    assert 'data-encoding="gzip-base64"' in page
    assert len(page.encode("utf-8")) < 8_000_000, len(page)
    assert len(_data(page)["rows"]) == 100_000
