"""The HTML report as a person sees it: opened in headless Chromium, filtered, searched, paged."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_helpers import demo_result, many_issues

from dataquality.pipeline import Result
from dataquality.report import ReportOptions
from dataquality.report import html as html_report

pytestmark = pytest.mark.browser




class Page:
    """A report opened in a fresh page, recording console errors, page errors and network requests."""

    def __init__(self, browser, path: Path) -> None:
        self.errors: list[str] = []
        self.remote: list[str] = []
        self.page = browser.new_page(viewport={"width": 1400, "height": 1000})
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("request", lambda req: self.remote.append(req.url) if req.url.startswith(("http:", "https:")) else None)
        self.page.goto(path.as_uri())
        # wait_for_selector, not wait_for_function: the report's CSP forbids eval, which a polled
        # predicate needs when the table is not there at the first look (a loaded machine).
        self.page.wait_for_selector('#dq-table tbody tr', state='attached')

    def rows(self) -> list[list[str]]:
        return self.page.eval_on_selector_all(
            "#dq-table tbody tr", "trs => trs.map(tr => Array.from(tr.cells).map(td => td.innerText.trim()))")

    def column(self, name: str) -> list[str]:
        return self.page.eval_on_selector_all(f"#dq-table tbody td.{name}", "tds => tds.map(td => td.innerText.trim())")

    def count(self) -> str:
        return self.page.inner_text("#dq-count")

    def settle(self) -> None:
        self.page.wait_for_timeout(250)  # the search box waits 120 ms after the last key


def test_demo_report_filters_and_searches_without_console_errors(browser, tmp_path: Path, config) -> None:
    result = demo_result(tmp_path / "demo", config, "zh")
    path = html_report.write(result, ReportOptions(lang="zh", out=tmp_path / "out"))
    p = Page(browser, path)
    total = len(result.issues)
    assert len(p.rows()) == total
    assert p.page.inner_text("[data-count=error]") == str(result.count("error"))

    p.page.select_option("#f-severity", "warning")
    assert set(p.column("severity")) == {"警告"}
    assert len(p.rows()) == result.count("warning")

    p.page.select_option("#f-severity", "")
    p.page.select_option("#f-rule", "ENM001")
    cells = p.column("cell")
    assert sorted(cells) == sorted(i.cell for i in result.issues if i.rule == "ENM001")
    assert "客户主数据!E15" in cells

    p.page.select_option("#f-rule", "")
    p.page.select_option("#f-department", "财务部")
    assert set(p.column("department")) == {"财务部"}
    p.page.select_option("#f-entity", "产品")
    assert set(p.column("entity")) == {"产品"} and set(p.column("department")) == {"财务部"}

    p.page.click("#f-reset")
    p.page.fill("#f-search", "五十万")
    p.settle()
    rows = p.rows()
    assert len(rows) == 1 and "TYP001" in rows[0] and "客户主数据!L29" in rows[0]
    assert p.count() == f"符合条件的问题 1 个（共 {total} 个）"

    p.page.fill("#f-search", "no such thing at all")
    p.settle()
    assert p.column("cell") == []

    assert p.errors == [] and p.remote == []


def test_sorting_by_cell_is_natural(browser, tmp_path: Path, config) -> None:
    result = demo_result(tmp_path / "demo", config, "en")
    p = Page(browser, html_report.write(result, ReportOptions(lang="en", out=tmp_path / "out")))
    p.page.select_option("#f-entity", "Customer")
    p.page.click("th[data-col=cell]")
    cells = p.column("cell")
    # Natural order: A8 before A20 (not "A20" < "A8" as plain text would have it), then column D.
    natural = lambda c: (c.split("!")[1].rstrip("0123456789"), int(c.split("!")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")))  # noqa: E731
    assert len(cells) > 5 and cells == sorted(cells, key=natural)
    assert cells.index("客户主数据!A8") < cells.index("客户主数据!A20")
    p.page.click("th[data-col=cell]")
    assert p.column("cell") == cells[::-1]
    assert p.errors == []


def test_clicking_a_chart_bar_filters_the_table(browser, tmp_path: Path, config) -> None:
    result = demo_result(tmp_path / "demo", config, "en")
    p = Page(browser, html_report.write(result, ReportOptions(lang="en", out=tmp_path / "out")))
    p.page.click("#chart-rule g.bar[data-value=UNQ001]")
    assert set(p.column("rule")) == {"UNQ001"}
    assert p.page.input_value("#f-rule") == "UNQ001"
    assert p.errors == []


def test_100k_issues_load_page_and_filter(browser, tmp_path: Path) -> None:
    path = html_report.write(Result(many_issues(100_000)), ReportOptions(lang="en", out=tmp_path))
    p = Page(browser, path)
    assert len(p.rows()) == 100  # one page, not 100,000 rows in the DOM
    assert p.count() == "100000 of 100000 issues match"
    p.page.click("#p-next")
    assert p.column("key")[0] == "C000100"
    p.page.select_option("#f-department", "财务部")
    assert p.count().startswith("33333 of")
    p.page.fill("#f-search", "c099997")
    p.settle()
    assert p.column("key") == ["C099997"]
    assert p.errors == [] and p.remote == []


def test_trend_and_tracking_columns_render_without_errors(browser, tmp_path: Path) -> None:
    issues = [i.with_tracking(tracking={"issue_number": f"DQ-{n:06d}", "age_days": n, "due": "2026-12-01", "overdue": n > 3})
              for n, i in enumerate(many_issues(6), start=1)]
    history = [{"run_at": f"2026-11-{d:02d}T08:00:00", "error": 12 - d, "warning": 4, "info": 1, "by_department": {}} for d in range(1, 9)]
    p = Page(browser, html_report.write(Result(issues, history=history), ReportOptions(lang="zh", out=tmp_path)))
    assert p.page.locator("#chart-trend polyline").count() == 3
    p.page.click("th[data-col=age_days]")  # the oldest first
    assert p.column("issue_number")[0] == "DQ-000006"
    assert p.column("overdue")[0] == "是"
    assert p.errors == []


def test_a_clean_run_says_so(browser, tmp_path: Path) -> None:
    p = Page(browser, html_report.write(Result([]), ReportOptions(lang="en", out=tmp_path)))
    assert "No issues found" in p.page.inner_text("main")
    assert p.page.inner_text("[data-count=total]") == "0"
    assert p.errors == []


def test_codes_are_never_broken_across_lines_in_a_narrow_window(browser, tmp_path: Path, config) -> None:
    """A code (C100017, 客户主数据!A8, a phone number in full-width digits) stays on one line even when
    the window is narrow; only text with spaces, or Chinese text, wraps (issue 25)."""
    result = demo_result(tmp_path / "demo", config, "zh")
    path = html_report.write(result, ReportOptions(lang="zh", out=tmp_path / "out"))
    page = browser.new_page(viewport={"width": 800, "height": 900})
    page.goto(path.as_uri())
    page.wait_for_selector("#dq-table tbody tr", state="attached")
    lines = page.eval_on_selector_all("#dq-table tbody td.value, #dq-table tbody td.cell, #dq-table tbody td.key", """tds =>
        tds.map(td => { const r = document.createRange(); r.selectNodeContents(td);
                        const tops = new Set(Array.from(r.getClientRects()).filter(x => x.width > 0).map(x => Math.round(x.top)));
                        return [td.innerText.trim(), tops.size]; })""")
    codes = [(said, n) for said, n in lines if said and not any(ch.isspace() for ch in said) and said.isascii()
             or said.startswith("１")]
    assert len(codes) > 30
    assert [said for said, n in codes if n > 1] == []
    page.close()
