"""The approver's pages in the reader's words (issue 25, must-have 7), in real Chromium: every page of
the inbox walked in Chinese without an English word or a catalogue key on it; labels from the
schemas, the record's name beside its code, amounts as amounts, local times to the minute; decided
requests without forms; a rejection confirmed on a page of its own; a sign-out one can see."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from served import Served

from dataquality.approve import accounts, audit, workflow
from dataquality.approve.db import audit_log
from dataquality.approve.sheet import import_sheet
from dataquality.i18n import catalogue
from dataquality.web.app import WebSettings, create_app

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

# Latin words a Chinese page may show: data (file names of the sheet), the product's name, and the
# language switch's own name for English.
_DATA_WORDS = {"dq", "approvals", "xlsx"}  # approvals.xlsx: the sheet's file name
_KEY = re.compile(r"\b[a-z_]+\.[a-z_]+(?:\.[a-z_]+)*\b")  # a catalogue key shown as it is (web.title)


@pytest.fixture
def shanghai_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The server's local time zone is Shanghai (UTC+8): a UTC time shown as it is stored is wrong."""
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def inbox(scenario_store, policy, config, shanghai_time, write_xlsx) -> Iterator[dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The scenario's requests served in-process (default language zh), with two sheet lines naming
    赵敏 and one request decided (C000004's bank account rejected by 杨磊)."""
    from approve.scenario import APPROVALS_HEADER, TODAY

    store, _, ids = scenario_store
    sheet = write_xlsx("approvals.xlsx", {"审批": [
        APPROVALS_HEADER, ["customer", "C000002", "credit_limit", "700000", "赵敏", "L1", "", "approved", TODAY],
        ["customer", "C000001", "credit_limit", "150000", "赵敏", "L1", "", "approved", TODAY]]})
    importer = accounts.authenticate(store, policy, "杨磊", PASSWORD)
    assert all(o.ok for o in import_sheet(store, policy, config, sheet, importer=importer))
    workflow.reject(store, policy, ids[("C000004", "bank_account")], "杨磊", "开户人不明", "L2")
    served = Served(create_app(store, policy, config, WebSettings(lang="zh")))
    try:
        yield {"url": served.url, "ids": ids, "store": store}
    finally:
        served.stop()


def _sign_in(browser, url: str, name: str, lang: str = "zh"):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/login?lang={lang}")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(url + "/")
    return context, page


def _english_on(page) -> list[str]:  # type: ignore[no-untyped-def]
    """The Latin words and catalogue keys a Chinese page shows (the language switch aside)."""
    shown = page.locator("body").inner_text().replace(page.locator("#languages").inner_text(), "")
    shown += " " + page.title()
    words = set(re.findall(r"(?<![\w.])[A-Za-z]{2,}(?![\w])", shown)) - _DATA_WORDS
    keys = {k for k in _KEY.findall(shown) if any(c == k or c.startswith(k + ".") for c in catalogue())}
    return sorted(words | keys)


def test_every_page_in_chinese_speaks_chinese(browser, inbox, config) -> None:
    url, ids = inbox["url"], inbox["ids"]
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/login?lang=zh")
    seen = {"sign-in": _english_on(page)}
    page.fill("#name", "赵敏")
    page.fill("#password", "wrong password")
    page.click("#sign-in")
    seen["sign-in refused"] = _english_on(page)
    page.fill("#name", "赵敏")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_url(url + "/")
    seen["inbox"] = _english_on(page)
    for (key, field), rid in sorted(ids.items()):  # every request: open, approved, rejected, own, created, deleted
        page.goto(f"{url}/requests/{rid}")
        seen[f"request {rid} ({key} {field})"] = _english_on(page)
    page.goto(f"{url}/requests/{ids[('C000002', 'credit_limit')]}")
    page.fill("#reason", "额度过高")
    page.click("#reject")
    seen["reject confirmation"] = _english_on(page)
    page.goto(f"{url}/requests/{ids[('C000002', 'credit_limit')]}")
    page.click("#approve")
    seen["after an approval"] = _english_on(page)
    page.goto(f"{url}/requests/99999999")
    seen["not found"] = _english_on(page)
    page.goto(f"{url}/requests/abc")
    seen["not a request"] = _english_on(page)
    res = context.request.post(f"{url}/requests/{ids[('C000001', 'credit_limit')]}/approve", form={"csrf": "forged"},
                               headers={"Origin": url})
    page.set_content(res.text())
    seen["refused form"] = _english_on(page)
    found = {where: words for where, words in seen.items() if words}
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert len(seen) == 8 + len(ids)
    context.close()


def test_a_request_in_the_readers_words(browser, inbox) -> None:
    url, ids, store = inbox["url"], inbox["ids"], inbox["store"]
    c2 = ids[("C000002", "credit_limit")]
    for lang, expected in {
        "zh": {"entity": "客户", "field": "信用额度", "values": "¥200,000.00 → ¥700,000.00 (+250%)", "tier": "修改，2 级",
               "who": "赵敏（部门经理）", "missing": "部门经理、财务总监", "status": "待审批"},
        "en": {"entity": "Customer", "field": "Credit limit", "values": "CN¥200,000.00 → CN¥700,000.00 (+250%)",
               "tier": "change, tier 2", "who": "赵敏 (department manager)", "missing": "department manager, finance director",
               "status": "pending"},
    }.items():
        context, page = _sign_in(browser, url, "赵敏", lang)
        assert expected["who"] in page.locator("#signed-in").inner_text()
        row = page.locator(f"#waiting #req-{c2}").inner_text()
        for part in ("entity", "field", "values", "missing", "status"):
            assert expected[part] in row, (part, row)
        assert "C000002 上海乙公司" in row  # the record's name beside its code
        entries = page.locator("#entries").inner_text()
        assert "¥700,000.00" in entries and "上海乙公司" in entries and expected["field"] in entries
        page.goto(f"{url}/requests/{c2}")
        summary = page.locator("#summary").inner_text()
        for part in ("entity", "field", "values", "tier", "status"):
            assert expected[part] in summary, (part, summary)
        assert page.locator("#record").inner_text() == "C000002 上海乙公司"
        # Times in the server's local time zone (Shanghai here), to the minute: the request's UTC time + 8 h.
        with store.transaction() as conn:
            at = conn.execute(audit_log.select().where(audit_log.c.request_id == c2).order_by(audit_log.c.seq)).first().at
        local = dt.datetime.fromisoformat(at).astimezone(dt.timezone(dt.timedelta(hours=8)))
        history = page.locator("#history").inner_text()
        assert local.strftime("%H:%M") in history and not re.search(r"\d\d:\d\d:\d\d", history), history
        assert str(local.year) in history and ("年" in history if lang == "zh" else local.strftime("%b") in history)
        assert ("提出申请" if lang == "zh" else "requested") in history
        assert ("修改，2 级" if lang == "zh" else "change, tier 2") in history  # not the sealed "change, tier 2" in zh
        context.close()


def test_product_prices_and_created_records_in_words(browser, inbox) -> None:
    url, ids = inbox["url"], inbox["ids"]
    context, page = _sign_in(browser, url, "赵敏", "en")
    page.goto(f"{url}/requests/{ids[('FG000002', 'list_price')]}")
    assert page.locator("#values").inner_text() == "100.00 → 112.00 (+12%)"  # decimals: 2; the currency is the record's
    assert page.locator("#record").inner_text() == "FG000002 螺母" and page.locator("#field").inner_text() == "List price"
    page.goto(f"{url}/requests/{ids[('C000007', '*')]}")
    assert page.locator("#field").inner_text() == "Whole record" and "deleted record" in page.locator("#summary").inner_text()
    assert page.locator("#record").inner_text() == "C000007 上海庚公司"  # a deleted record is named from the baseline
    page.goto(f"{url}/requests/{ids[('C000008', 'credit_limit')]}")
    assert page.locator("#values").inner_text().strip() == "→ CN¥50,000.00"
    context.close()


def test_decided_requests_show_no_forms(browser, inbox) -> None:
    url, ids = inbox["url"], inbox["ids"]
    context, page = _sign_in(browser, url, "赵敏", "en")
    rejected = ids[("C000004", "bank_account")]
    page.goto(f"{url}/requests/{rejected}")
    assert "rejected" in page.locator("#decided").inner_text()
    assert page.locator("form#approve-form, form#reject-form").count() == 0
    assert "杨磊: 开户人不明" in page.locator("#summary").inner_text()
    # One he approved already waits for the others, without a form for him.
    c2 = ids[("C000002", "credit_limit")]
    page.goto(f"{url}/requests/{c2}")
    page.click("#approve")
    page.goto(f"{url}/requests/{c2}")
    assert page.locator("#decided").is_visible() and page.locator("#approve").count() == 0
    # Approved by every role it needs: decided for everyone.
    director, p2 = _sign_in(browser, url, "杨磊", "en")
    p2.goto(f"{url}/requests/{c2}")
    p2.click("#approve")
    p2.goto(f"{url}/requests/{c2}")
    assert p2.locator("#status").inner_text() == "approved" and p2.locator("#approve, #reject").count() == 0
    assert "approved" in p2.locator("#decided").inner_text()
    director.close()
    context.close()
    # A request none of his roles decides on (tier 1 for the general manager): said so, no form.
    manager, p3 = _sign_in(browser, url, "吴刚", "en")
    p3.goto(f"{url}/requests/{ids[('C000001', 'credit_limit')]}")
    assert "department manager" in p3.locator("#not-yours").inner_text() and p3.locator("#approve, #reject").count() == 0
    manager.close()


def test_a_rejection_the_rules_refuse_is_refused_before_the_confirmation(browser, inbox, policy) -> None:
    """The confirmation page is shown only for a rejection that would be recorded: asked twice for
    something that then fails would be worse than not asking."""
    url, ids, store = inbox["url"], inbox["ids"], inbox["store"]
    context, page = _sign_in(browser, url, "吴刚", "en")
    c1 = ids[("C000001", "credit_limit")]
    csrf = page.locator('#sign-out-form input[name="csrf"]').get_attribute("value")
    with store.transaction() as conn:
        before = audit.verify(conn)[0]
    res = context.request.post(f"{url}/requests/{c1}/reject", form={"csrf": csrf, "reason": "no"}, headers={"Origin": url})
    assert res.status == 409 and "is not one of them" in res.text() and "Reject for good" not in res.text()
    with store.transaction() as conn:
        assert audit.verify(conn) == (before, [])  # the rehearsal left nothing behind
    [v] = [v for v in workflow.list_requests(store, policy) if v.id == c1]
    assert v.status == "pending" and v.rejected_by is None
    context.close()


def test_reject_asks_for_confirmation_without_script(browser, inbox, policy) -> None:
    url, ids, store = inbox["url"], inbox["ids"], inbox["store"]
    context = browser.new_context(java_script_enabled=False)  # the pages work without JavaScript
    page = context.new_page()
    page.goto(f"{url}/login?lang=en")
    page.fill("#name", "赵敏")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    c1 = ids[("C000001", "credit_limit")]

    def status() -> str:
        [v] = [v for v in workflow.list_requests(store, policy) if v.id == c1]
        return v.status

    page.goto(f"{url}/requests/{c1}")
    page.fill("#reason", "credit history too short")
    page.click("#reject")
    assert "Reject change request" in page.locator("h1").inner_text()
    assert page.locator("#confirm-reason").inner_text() == "credit history too short"
    assert "final" in page.locator("#final").inner_text() and status() == "pending"  # nothing recorded yet
    page.click("#cancel")
    assert page.url == f"{url}/requests/{c1}" and status() == "pending"
    page.fill("#reason", "credit history too short")
    page.click("#reject")
    page.click("#confirm-reject")
    assert page.url.startswith(f"{url}/?done=reject") and status() == "rejected"
    assert page.locator("#flash").inner_text() == f"Request {c1} is rejected."
    with store.transaction() as conn:
        assert audit.verify(conn)[1] == []
    context.close()


def test_sign_out_is_visible_on_every_signed_in_page(browser, inbox) -> None:
    url, ids = inbox["url"], inbox["ids"]
    context, page = _sign_in(browser, url, "赵敏", "zh")
    for path in ("/", f"/requests/{ids[('C000002', 'credit_limit')]}", "/requests/99999999"):
        page.goto(url + path)
        button = page.locator("#sign-out")
        assert button.is_visible() and button.inner_text() == "退出"
        box = button.bounding_box()
        assert box is not None and box["width"] >= 40 and box["height"] >= 24
        colours = button.evaluate("b => [getComputedStyle(b).color, getComputedStyle(b).backgroundColor]")
        header = page.locator("header").evaluate("h => getComputedStyle(h).backgroundColor")
        assert colours[0] != colours[1] and colours[1] != header, (colours, header)  # a button, not a grey smudge
    page.click("#sign-out")
    assert page.url == url + "/login"
    context.close()


def test_serve_outside_a_project_without_accounts_says_so_at_start_and_on_the_sign_in_page(browser, tmp_path) -> None:
    """`dq serve` started in a folder without dq.yaml, on a new database: one line each at start, in the
    language asked for, and the same on the sign-in page (no one could pass it otherwise unaware)."""
    import os
    import subprocess
    import sys

    from .conftest import ROOT, free_port, wait_for

    for lang, project, accounts_line in (("zh", "此处没有项目", "此数据库尚无账号"), ("en", "No project here", "no accounts yet")):
        port = free_port()
        folder = tmp_path / lang
        folder.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("DQ_DB", "DQ_AUDIT_KEY_FILE", "DQ_USER", "DQ_LANG")}
        server = subprocess.Popen([sys.executable, "-m", "dataquality", "serve", "--port", str(port), "--lang", lang],
                                  cwd=folder, env={**env, "PYTHONPATH": str(ROOT)}, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True)
        try:
            wait_for(port, server)
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/login")
            notices = page.locator(".notice").all_inner_texts()
            assert len(notices) == 2 and project in notices[0] and accounts_line in notices[1], notices
            if lang == "zh":
                assert page.locator("#sign-in").inner_text() == "登录"
            context.close()
        finally:
            server.terminate()
            _, err = server.communicate(timeout=60)
        lines = [line for line in err.splitlines() if line.strip()]
        said = [line for line in lines if project in line or accounts_line in line]
        assert len(said) == 2 and said[0].count(project) == 1, lines  # one line each, before the address line
        assert lines.index(said[1]) < next(i for i, line in enumerate(lines) if f":{port}/" in line), lines
