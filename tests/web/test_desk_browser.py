"""The import desk's "Done when" in headless Chromium, in Chinese and in English: a clerk signs in,
uploads an ERP export with a title row and bilingual headers, confirms the mapping, maps an unknown
enumeration value, sees the USCC error on its cell with its explanation, edits a cell and sees the
row checked again (and undoes it), applies the one-click fixes, downloads the workbook and compares
it with dq fix's output cell by cell, uploads the same layout again (the columns step is skipped),
submits the bank-account change and sees it in an approver's inbox with its tier; the clerk cannot
approve it. No request of the browser leaves 127.0.0.1."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from desk.conftest import BAD_USCC, CLERK, USCC_ROW, baseline_file, erp_export
from dq_cli import dq
from openpyxl import load_workbook
from playwright.sync_api import expect
from served import PASSWORD, Served, add_accounts

from dataquality.approve import accounts, audit, workflow
from dataquality.store import open_store
from dataquality.web.app import WebSettings, create_app

pytestmark = pytest.mark.browser
L1 = "赵敏"
BOTH = "陈静"  # a clerk who also approves at L2
TEXTS = {
    "zh": {"confirm": "确认列映射", "remembered": "跳过了列映射步骤", "fixed": "已修正单元格", "submitted": "已提交"},
    "en": {"confirm": "Confirm the columns", "remembered": "the columns step was skipped", "fixed": "Cells fixed",
           "submitted": "Submitted"},
}


@pytest.fixture
def desk(tmp_path: Path, config: Any, write_xlsx: Any) -> Any:
    from approve.conftest import TEST_KEY

    from dataquality.approve.tiers import ApprovalPolicy

    policy = ApprovalPolicy.load(config=config)
    store = open_store(f"sqlite:///{tmp_path / 'state' / 'dq.db'}")
    audit.bind_key(store.engine, TEST_KEY)
    add_accounts(store, policy, {CLERK: ("clerk",), L1: ("L1",), BOTH: ("clerk", "L2")})
    baseline = baseline_file(write_xlsx)
    served = Served(create_app(store, policy, config, WebSettings(lang="zh", baseline=baseline), state_dir=tmp_path / "state"))
    try:
        yield served.url, store, policy
    finally:
        served.stop()
        store.close()


def sign_in(browser: Any, url: str, name: str, lang: str, seen: list[str]) -> tuple[Any, Any]:
    context = browser.new_context(accept_downloads=True)
    context.on("request", lambda request: seen.append(request.url))
    page = context.new_page()
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_load_state()
    return context, page


def grid_cell(page: Any, row: int, field: str) -> Any:
    """The grid's cell of Excel row `row` (the first data row is 3) and `field`."""
    return page.locator(".tabulator-row").nth(row - 3).locator(f'.tabulator-cell[tabulator-field="{field}"]')


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_clerk_checks_fixes_and_submits_an_import(browser: Any, desk: Any, lang: str, tmp_path: Path,
                                                     write_xlsx: Any) -> None:
    url, store, policy = desk
    export = erp_export(write_xlsx)
    seen: list[str] = []
    context, page = sign_in(browser, url, CLERK, lang, seen)
    assert page.url == url + "/desk"  # a clerk's home is his imports
    page.set_input_files("#file", str(export))
    page.click("#upload")
    page.wait_for_url(f"{url}/desk/*/sheet")
    job = page.url.split("/")[-2]
    assert "2" in page.locator("#choice").inner_text() and page.locator("#preview tr.header-row").count() == 1
    assert "客户资料导出" in page.locator("#preview").inner_text()  # the title row above the headers
    page.click("#next")
    page.wait_for_url(f"{url}/desk/{job}/columns")
    assert page.locator("#field-K").input_value() == "bank_account"
    assert page.locator("#field-M").input_value() == "uscc"
    assert page.locator("#confirm-columns").inner_text() == TEXTS[lang]["confirm"]
    page.click("#confirm-columns")
    page.wait_for_url(f"{url}/desk/{job}/values")
    assert "合伙企业" in page.locator("#values").inner_text()
    page.select_option("#map-0", "enterprise")
    page.click("#map-values")
    page.wait_for_url(f"{url}/desk/{job}/review")
    page.wait_for_selector(".tabulator-row")
    assert grid_cell(page, 4, "customer_type").inner_text() == "enterprise"

    # The USCC error on its cell, with its explanation beside it.
    uscc = grid_cell(page, USCC_ROW, "uscc")
    assert uscc.inner_text() == BAD_USCC and "sev-error" in (uscc.get_attribute("class") or "")
    uscc.click()
    side = page.locator("#cell-issues")
    assert "uscc" in side.inner_text().lower() or BAD_USCC in side.inner_text()
    assert side.locator(".issue.sev-error .hint").count() >= 1

    # Edit a cell: the row (and the row it now duplicates) is checked again at once; then undo.
    name = grid_cell(page, 4, "customer_name")
    name.click()
    editor = name.locator("input")
    editor.fill("上海甲公司")
    editor.press("Enter")
    expect(page.locator("#status.ok")).to_be_visible()
    expect(side).to_contain_text("CUS002")
    page.click("#undo")
    expect(page.locator("#status")).to_contain_text(" 1")
    page.wait_for_selector(".tabulator-row")

    # One-click fixes: shown first, then applied.
    page.click("#fix-all")
    page.wait_for_selector("#apply-fixes")
    assert page.locator("#fix-preview table.fixes tr").count() > 3
    page.click("#apply-fixes")
    expect(page.locator("#status")).to_contain_text(TEXTS[lang]["fixed"])
    if lang == "en" and os.environ.get("DQ_DESK_SCREENSHOT"):
        uscc = grid_cell(page, USCC_ROW, "uscc")
        uscc.click()
        page.set_viewport_size({"width": 1400, "height": 800})
        page.screenshot(path=os.environ["DQ_DESK_SCREENSHOT"])

    # Download the workbook and compare it with dq fix's output, cell by cell.
    page.click("#to-finish")
    page.wait_for_url(f"{url}/desk/{job}/finish")
    with page.expect_download() as caught:
        page.click("#download-fixed")
    ours = tmp_path / f"ours-{lang}.xlsx"
    caught.value.save_as(ours)
    theirs = tmp_path / f"dq-fix-{lang}.xlsx"
    assert dq("fix", export, "-o", theirs).returncode in (0, 1)
    a, b = load_workbook(ours)["客户"], load_workbook(theirs)["客户"]
    differ = {(c.row, c.column_letter) for row_a, row_b in zip(a.iter_rows(), b.iter_rows(), strict=True)
              for c, d in zip(row_a, row_b, strict=True) if c.value != d.value}
    assert differ == {(4, "C")}  # only the value the clerk mapped (合伙企业 -> enterprise)

    # The approval routing before submitting: the bank account change, tier 3, L1 L2 L3.
    routing = page.locator("#routing").inner_text()
    assert "C000004" in routing and "bank_account" in routing
    bank = page.locator("tr.routed", has_text="bank_account").filter(has_text="C000004")
    assert bank.locator("td.tier").inner_text() == "3" and "L3" in bank.inner_text()
    page.click("#submit")
    assert TEXTS[lang]["submitted"] in page.locator("#submitted").inner_text()

    # The same layout again: the columns step is skipped, and the page says so.
    page.goto(url + "/desk")
    page.set_input_files("#file", str(erp_export(write_xlsx, "customers_2027-01.xlsx")))
    page.click("#upload")
    page.wait_for_url(f"{url}/desk/*/review?remembered=1")
    assert TEXTS[lang]["remembered"] in page.locator("#remembered").inner_text()
    page.wait_for_selector(".tabulator-row")
    assert grid_cell(page, 4, "customer_type").inner_text() == "enterprise"  # the value mapping remembered

    # The approver sees it in the inbox with its tier; the clerk cannot approve it.
    [request] = [v for v in workflow.list_requests(store, policy) if v.key == "C000004" and v.field == "bank_account"]
    clerk = accounts.authenticate(store, policy, CLERK, PASSWORD)
    assert request.submitted_by in (clerk.person_id, clerk.name) and request.status == "pending"
    approver, inbox = sign_in(browser, url, L1, lang, seen)
    row = inbox.locator(f'#waiting tr:has(a[href="/requests/{request.id}"])')
    shown = row.inner_text()
    assert "C000004" in shown and "6222999999999999" in shown and ("Bank account" in shown or "银行账号" in shown)
    assert ("tier 3" in shown) if lang == "en" else ("3" in shown)
    token = accounts.issue_token(store, policy, clerk)
    refused = httpx.post(f"{url}/api/v1/requests/{request.id}/approve", json={"role": "L1"},
                         headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code in (403, 409) and workflow.request_view(store, policy, request.id).status == "pending"
    approver.close()
    context.close()
    assert seen and all(u.startswith(url + "/") for u in seen), [u for u in seen if not u.startswith(url)]


def test_without_javascript_the_issue_list_is_plain_pages_and_upload_text_stays_text(browser: Any, desk: Any,
                                                                                     write_xlsx: Any) -> None:
    from desk.conftest import export_rows

    url, store, policy = desk
    rows = [list(r) for r in erp_rows()]
    rows[0][1] = '<img src=x onerror="document.title=1">'  # a customer name that is markup
    export = write_xlsx("markup.xlsx", {"客户": export_rows(rows)})
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{url}/login?lang=en")
    page.fill("#name", CLERK)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.set_input_files("#file", str(export))
    page.click("#upload")
    page.click("#next")
    page.click("#confirm-columns")
    page.wait_for_url(f"{url}/desk/*/review")
    assert page.locator("img").count() == 0
    page.click("#plain-list")
    issues = page.locator("#issues")
    assert "FMT003" in issues.inner_text()
    page.click("#plain-fix-all")
    assert "cells fixed" in page.locator("#flash").inner_text()
    assert "FMT003" not in page.locator("#issues").inner_text()
    page.goto(page.url.split("/issues")[0] + "/columns")
    assert page.locator("img").count() == 0 and '<img src=x' in page.locator("#columns").inner_text()
    context.close()


def test_a_desk_form_without_the_csrf_token_is_refused_and_changes_nothing(browser: Any, desk: Any, write_xlsx: Any) -> None:
    url, store, policy = desk
    seen: list[str] = []
    context, page = sign_in(browser, url, CLERK, "en", seen)
    page.set_input_files("#file", str(erp_export(write_xlsx)))
    page.click("#upload")
    page.wait_for_url(f"{url}/desk/*/sheet")
    job = page.url.split("/")[-2]
    for path, form in ((f"/desk/{job}/fix", {"scope": "all"}), (f"/desk/{job}/submit", {}), (f"/desk/{job}/undo", {}),
                       (f"/desk/{job}/columns", {"col_A": "customer_code"})):
        res = context.request.post(url + path, form=form, headers={"Origin": url}, max_redirects=0)
        assert res.status == 403, path
    res = context.request.post(f"{url}/desk/{job}/cell", data={"row": 3, "field": "grade", "value": "A"},
                               headers={"Origin": url})
    assert res.status == 403
    assert not workflow.list_requests(store, policy)
    from sqlalchemy import func, select

    from dataquality.desk.db import edits

    with store.transaction() as conn:
        assert conn.execute(select(func.count()).select_from(edits)).scalar() == 0
    context.close()


def erp_rows() -> list[list[str]]:
    from approve.scenario import NEW_CUSTOMERS

    return [list(r) for r in NEW_CUSTOMERS]


def test_a_person_may_be_clerk_and_approver_and_an_approver_has_no_desk(browser: Any, desk: Any) -> None:
    url, _, _ = desk
    seen: list[str] = []
    context, page = sign_in(browser, url, BOTH, "en", seen)
    assert page.url == url + "/" and page.locator("#desk-link").is_visible()  # the inbox, and the desk beside it
    page.click("#desk-link")
    assert page.url == url + "/desk" and page.locator("#upload").is_visible()
    context.close()
    context, page = sign_in(browser, url, L1, "en", seen)
    assert page.url == url + "/" and page.locator("#desk-link").count() == 0
    page.goto(url + "/desk")
    assert "clerk" in page.locator("#error").inner_text()
    context.close()
