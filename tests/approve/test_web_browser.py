"""`dq serve` as approvers use it: the web inbox in real headless Chromium (Playwright), served by
uvicorn in a thread on a free loopback port, over a real SQLite store with its audit key."""

from __future__ import annotations

import pytest
from served import Served, add_accounts

from dataquality.approve import accounts, audit, workflow
from dataquality.approve.apply import apply, sha256_of
from dataquality.approve.changes import load_change_set
from dataquality.store import open_store
from dataquality.web.app import WebSettings, create_app

from .conftest import TEST_KEY
from .scenario import SUBMITTER, write_scenario

PASSWORD = "correct horse battery"

pytestmark = pytest.mark.browser




@pytest.fixture
def scenario(tmp_path, config, policy, write_xlsx):  # type: ignore[no-untyped-def]
    """The scenario's change set submitted, three accounts, and the app served."""
    store = open_store(f"sqlite:///{tmp_path / 'state' / 'dq.db'}")
    audit.bind_key(store.engine, TEST_KEY)
    baseline, incoming, _ = write_scenario(write_xlsx)
    changes, _, _ = load_change_set(incoming, baseline, config, policy)
    workflow.submit(store, changes, {"incoming_path": str(incoming), "incoming_sha256": sha256_of(incoming),
                                     "baseline_path": str(baseline), "baseline_sha256": sha256_of(baseline)},
                    by=SUBMITTER, directory=policy.people)
    add_accounts(store, policy, {"赵敏": ("L1",), "杨磊": ("L2",), "李娜": ("L1",)})
    ids = {(v.key, v.field): v.id for v in workflow.list_requests(store, policy)}
    served = Served(create_app(store, policy, config, WebSettings(lang="en")))
    try:
        yield store, served.url, ids, (baseline, incoming)
    finally:
        served.stop()
        store.close()


def sign_in(browser, url: str, name: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#sign-in")
    page.wait_for_url(url + "/")  # the inbox, before anyone counts what it shows
    return context, page


def test_unauthenticated_pages_redirect_and_wrong_password_is_refused(browser, scenario) -> None:
    store, url, ids, _ = scenario
    context = browser.new_context()
    page = context.new_page()
    for path in ("/", f"/requests/{ids[('C000002', 'credit_limit')]}"):
        page.goto(url + path)
        assert page.url == url + "/login" and page.locator("#sign-in").is_visible()
    # A decision posted without a session goes to the sign-in page too, and records nothing.
    res = context.request.post(f"{url}/requests/{ids[('C000002', 'credit_limit')]}/approve", form={"role": "L1"},
                               headers={"Origin": url}, max_redirects=0)
    assert res.status == 303 and res.headers["location"] == "/login"
    page.fill("#name", "赵敏")
    page.fill("#password", "not the password")
    page.click("#sign-in")
    assert "Wrong name or password" in page.locator("#error").inner_text()
    assert page.locator("#signed-in").count() == 0
    page.goto(url + "/login?lang=zh")
    assert page.locator("#sign-in").inner_text() == "登录"
    context.close()


def test_sign_in_inbox_approve_reject_sign_out(browser, scenario, policy) -> None:
    store, url, ids, _ = scenario
    context, page = sign_in(browser, url, "赵敏")
    assert page.url == url + "/" and "赵敏 (department manager)" in page.locator("#signed-in").inner_text()
    waiting = page.locator("#waiting").inner_text()
    # Requests missing L1, requested by someone else: C000001 (tier 1) and C000002 (tier 2) among them.
    c1, c2 = ids[("C000001", "credit_limit")], ids[("C000002", "credit_limit")]
    assert page.locator(f"#req-{c1}").count() == 1 and page.locator(f"#req-{c2}").count() == 1
    assert "CN¥150,000.00" in waiting and "李娜" in waiting
    # Approve C000002 at L1 with a comment.
    page.click(f"#req-{c2} a")
    assert "CN¥200,000.00 → CN¥700,000.00 (+250%)" in page.locator("#values").inner_text()
    page.fill("#comment", "customer reviewed")
    page.click("#approve")
    assert page.url.startswith(url + "/?done=approve") and page.locator(f"#waiting #req-{c2}").count() == 0
    [v] = [v for v in workflow.list_requests(store, policy) if v.id == c2]
    assert v.present == (("赵敏", "L1"),) and v.missing == ("L2",)
    # Reject C000001 with a reason; an empty reason is refused first.
    page.goto(f"{url}/requests/{c1}")
    page.click("#reject")  # the browser itself asks for the required reason: nothing is sent
    assert page.url == f"{url}/requests/{c1}"
    page.fill("#reason", "credit history too short")
    page.click("#reject")
    page.click("#confirm-reject")  # a rejection is final: asked once more (tests/web/test_inbox_words_browser.py)
    page.goto(f"{url}/requests/{c1}")
    history = page.locator("#history").inner_text()
    assert "rejected" in history and "credit history too short" in history and "赵敏" in history
    assert page.locator("#approve").count() == 0  # a rejected request takes no more decisions
    # Sign out: the session is gone on the server too.
    page.click("#sign-out")
    assert page.url == url + "/login"
    page.goto(url + "/")
    assert page.url == url + "/login"
    context.close()


def test_requester_cannot_approve_own_request(browser, scenario) -> None:
    store, url, ids, _ = scenario
    context, page = sign_in(browser, url, "李娜")  # she requested every customer change
    c1 = ids[("C000001", "credit_limit")]
    assert page.locator(f"#waiting #req-{c1}").count() == 0 and page.locator(f"#mine #req-{c1}").count() == 1
    page.goto(f"{url}/requests/{c1}")
    assert page.locator("#own").is_visible()
    assert page.locator("#approve").count() == 0 and page.locator("#reject").count() == 0  # no form to tempt her
    # The form posted anyway (from the inbox's own origin, with her session's token) is refused by the workflow.
    csrf = page.locator('#sign-out-form input[name="csrf"]').get_attribute("value")
    res = context.request.post(f"{url}/requests/{c1}/approve", form={"csrf": csrf, "role": "L1"},
                               headers={"Origin": url}, max_redirects=0)
    assert res.status == 409 and "cannot approve" in res.text()
    context.close()


def test_form_without_csrf_token_is_refused(browser, scenario, policy) -> None:
    store, url, ids, _ = scenario
    context, page = sign_in(browser, url, "赵敏")
    c2 = ids[("C000002", "credit_limit")]
    # The session cookie goes along (from this very origin), but no (or a wrong) token: refused, nothing recorded.
    same_origin = {"Origin": url}
    for form in ({"role": "L1"}, {"role": "L1", "csrf": "forged"}):
        res = context.request.post(f"{url}/requests/{c2}/approve", form=form, headers=same_origin, max_redirects=0)
        assert res.status == 403 and "CSRF" in res.text()
    res = context.request.post(f"{url}/logout", form={}, headers=same_origin, max_redirects=0)
    assert res.status == 403
    res = context.request.post(f"{url}/login", form={"name": "赵敏", "password": PASSWORD}, headers=same_origin,
                               max_redirects=0)
    assert res.status == 403  # the sign-in form has its own token
    [v] = [v for v in workflow.list_requests(store, policy) if v.id == c2]
    assert v.present == ()
    context.close()


def test_two_approvers_signed_in_at_once_then_apply(browser, scenario, policy, config, tmp_path) -> None:
    store, url, ids, (baseline, incoming) = scenario
    c2 = ids[("C000002", "credit_limit")]
    manager, p1 = sign_in(browser, url, "赵敏")
    director, p2 = sign_in(browser, url, "杨磊")
    # The finance director sees C000002 too, missing L1 and L2; he approves first, then she does.
    assert p2.locator(f"#waiting #req-{c2}").count() == 1
    p2.goto(f"{url}/requests/{c2}")
    p2.click("#approve")
    p1.goto(f"{url}/requests/{c2}")
    p1.click("#approve")
    for page in (p1, p2):
        page.goto(f"{url}/requests/{c2}")
        assert page.locator("#status").inner_text() == "approved"
        assert page.locator("#approve").count() == 0  # decided: no forms
        assert page.locator("#signed-in").count() == 1  # both sessions still live
    with store.transaction() as conn:
        assert audit.verify(conn)[1] == []
    res = apply(store, policy, config, tmp_path / "new-master.xlsx", incoming, baseline, by="王芳")
    assert c2 in res.applied
    from openpyxl import load_workbook

    master = {r[0]: r for r in load_workbook(tmp_path / "new-master.xlsx")["客户主数据"].iter_rows(min_row=2, values_only=True)}
    assert master["C000002"][8] == 700000
    manager.close()
    director.close()


def test_trusted_proxy_header_is_off_by_default_and_works_when_enabled(browser, scenario, policy, config) -> None:
    store, url, ids, _ = scenario
    context = browser.new_context(extra_http_headers={"X-Remote-User": "杨磊"})
    page = context.new_page()
    page.goto(url + "/")
    assert page.url == url + "/login"  # not enabled: the header is ignored
    context.close()
    proxied = Served(create_app(store, policy, config, WebSettings(lang="zh", trusted_header="X-Remote-User",
                                                                   trusted_proxies=("127.0.0.1",))))
    try:
        context = browser.new_context(extra_http_headers={"X-Remote-User": "杨磊"})
        page = context.new_page()
        page.goto(proxied.url + "/")
        assert page.url == proxied.url + "/" and "杨磊" in page.locator("#signed-in").inner_text()
        assert "等待您审批" in page.content()
        context.close()
        context = browser.new_context(extra_http_headers={"X-Remote-User": "Mallory"})
        page = context.new_page()
        page.goto(proxied.url + "/")
        assert page.url == proxied.url + "/login"  # a name without an account gets nothing
        context.close()
    finally:
        proxied.stop()


def test_sheet_lines_wait_for_the_named_approver_in_the_inbox(browser, scenario, policy, config, write_xlsx) -> None:
    """Attack 3 of issue 23 in the web: a line of an approvals sheet counts only once the approver it
    names confirms it, signed in; declined, it never counts."""
    from dataquality.approve import entries
    from dataquality.approve.sheet import import_sheet

    from .scenario import APPROVALS_HEADER, TODAY

    store, url, ids, _ = scenario
    c1, c2 = ids[("C000001", "credit_limit")], ids[("C000002", "credit_limit")]
    sheet = write_xlsx("approvals.xlsx", {"审批": [
        APPROVALS_HEADER, ["customer", "C000002", "credit_limit", "700000", "赵敏", "L1", "", "approved", TODAY],
        ["customer", "C000001", "credit_limit", "150000", "赵敏", "L1", "", "approved", TODAY]]})
    importer = accounts.authenticate(store, policy, "杨磊", PASSWORD)
    assert all(o.ok for o in import_sheet(store, policy, config, sheet, importer=importer))
    assert {v.id: v.present for v in workflow.list_requests(store, policy) if v.id in (c1, c2)} == {c1: (), c2: ()}
    context, page = sign_in(browser, url, "杨磊")  # the importer: not named, nothing to confirm
    assert page.locator("#entries").count() == 0
    context.close()
    context, page = sign_in(browser, url, "赵敏")
    rows = page.locator("#entries tr[id^='entry-']")
    assert rows.count() == 2 and "CN¥700,000.00" in page.locator("#entries").inner_text()
    by_request = {e.request_id: e.id for e in entries.awaiting(store, accounts.authenticate(store, policy, "赵敏", PASSWORD))}
    page.click(f"#confirm-{by_request[c2]}")
    assert page.url.startswith(url + "/?done=confirm") and page.locator(f"#entry-{by_request[c2]}").count() == 0
    page.click(f"#decline-{by_request[c1]}")
    assert page.locator("#entries").count() == 0
    context.close()
    present = {v.id: v.present for v in workflow.list_requests(store, policy) if v.id in (c1, c2)}
    assert present == {c2: (("赵敏", "L1"),), c1: ()}
    with store.transaction() as conn:
        assert audit.verify(conn)[1] == []


def test_sign_in_page_says_when_nobody_can_sign_in(browser, tmp_path, config, policy) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'empty' / 'dq.db'}")
    audit.bind_key(store.engine, TEST_KEY)
    served = Served(create_app(store, policy, config, WebSettings(lang="en", notices=("serve.no_project",))))
    try:
        context = browser.new_context()
        page = context.new_page()
        page.goto(served.url + "/login")
        notices = page.locator(".notice").all_inner_texts()
        assert any("No project here" in n for n in notices) and any("no accounts yet" in n for n in notices)
        page.goto(served.url + "/login?lang=zh")
        assert "尚无账号" in page.locator(".notice").last.inner_text()
        context.close()
    finally:
        served.stop()
        store.close()
