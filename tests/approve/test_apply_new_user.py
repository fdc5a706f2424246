"""dq apply as a new user meets it (issue 11): the rejection reason in the held-back sheet, real dates
in the master, a key twice refused instead of a record silently dropped, a wrong-entity baseline.
Since issue 23 the change set is submitted (and decided) by signed-in people through dq serve, and
dq apply applies only submitted files."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from builders import CUSTOMER_HEADERS_ZH, PRODUCT_HEADERS_ZH, customer, product, sheet_rows
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook
from served import PASSWORD, service

from dataquality.cli import main


def _book(path: Path, title: str, records: list[dict], headers: dict[str, str]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in sheet_rows(records, headers):
        ws.append(row)
    wb.save(path)
    return path


def _dq(tmp_path: Path, *args: str, input: str | None = None, server: str | None = None):
    return CliRunner().invoke(main, [*args, "--lang", "en"], catch_exceptions=False, input=input,
                              env={"DQ_SERVER": server})


@contextmanager
def _service(state: Path, people: dict[str, tuple[str, ...]]) -> Iterator[str]:
    from dataquality.approve.tiers import ApprovalPolicy
    from dataquality.config import Config

    config = Config.load()
    with service(f"sqlite:///{state / 'dq.db'}", state, config, ApprovalPolicy.load(config=config), people) as url:
        yield url


def _submit(tmp_path: Path, inc: Path, base: Path, state: Path) -> None:
    """The change set submitted by 王芳 through the service (apply applies only what was submitted)."""
    with _service(state, {"王芳": ()}) as url:
        res = _dq(tmp_path, "changes", "submit", str(inc), "-b", str(base), "--requested-by", "张伟", "--user", "王芳",
                  server=url, input=PASSWORD + "\n")
        assert res.exit_code == 0, res.output


def test_held_back_sheet_gives_the_rejection_reason_and_dates_stay_dates(tmp_path):
    base = _book(tmp_path / "base.xlsx", "客户", [customer(1), customer(2)], CUSTOMER_HEADERS_ZH)
    inc = _book(tmp_path / "inc.xlsx", "客户", [customer(1, bank_account="6222020000000001"), customer(2)], CUSTOMER_HEADERS_ZH)
    state = tmp_path / "state"
    state.mkdir()
    with _service(state, {"王芳": ()}) as url:
        res = _dq(tmp_path, "changes", "submit", str(inc), "-b", str(base), "--requested-by", "张伟", "--user", "王芳",
                  server=url, input=PASSWORD + "\n")
        assert res.exit_code == 0, res.output
        res = _dq(tmp_path, "users", "add", "吴刚", "--role", "L1", "--user", "王芳", server=url,
                  input=f"{PASSWORD}\n{PASSWORD}\n{PASSWORD}\n")
        assert res.exit_code == 0, res.output
        res = _dq(tmp_path, "reject", "1", "--user", "吴刚", "--reason", "账号与开户许可证不符", server=url,
                  input=f"{PASSWORD}\n")
        assert res.exit_code == 0, res.output
    out = tmp_path / "master.xlsx"
    res = _dq(tmp_path, "apply", str(inc), "-b", str(base), "-o", str(out), "--state-dir", str(state))
    assert res.exit_code == 0, res.output
    wb = load_workbook(out)
    held = wb.worksheets[-1]
    reasons = [str(c.value) for c in held[2] if c.value is not None]
    assert any("账号与开户许可证不符" in r and "吴刚" in r for r in reasons), reasons
    master = wb.worksheets[0]
    header = [c.value for c in master[1]]
    created = header.index(CUSTOMER_HEADERS_ZH["created_on"]) + 1
    value = master.cell(row=2, column=created).value
    assert isinstance(value, dt.datetime) and value.date() == customer(1)["created_on"]


def test_a_key_twice_is_refused_not_dropped(tmp_path):
    base = _book(tmp_path / "base.xlsx", "客户", [customer(1), customer(2)], CUSTOMER_HEADERS_ZH)
    twice = customer(2, customer_name="另一家公司")
    inc = _book(tmp_path / "inc.xlsx", "客户", [customer(1), customer(2), twice], CUSTOMER_HEADERS_ZH)
    state = tmp_path / "state"
    state.mkdir()
    _submit(tmp_path, inc, base, state)
    out = tmp_path / "master.xlsx"
    res = CliRunner().invoke(main, ["apply", str(inc), "-b", str(base), "-o", str(out), "--state-dir", str(state), "--lang", "en"])
    assert res.exit_code == 2, res.output
    assert "C100002" in res.output and "more than once" in res.output
    assert not out.exists()


def test_products_as_the_customers_baseline_is_refused(tmp_path):
    base = _book(tmp_path / "products.xlsx", "产品", [product(1), product(2)], PRODUCT_HEADERS_ZH)
    inc = _book(tmp_path / "customers.xlsx", "客户", [customer(1)], CUSTOMER_HEADERS_ZH)
    for args in (["changes", str(inc), "-b", str(base)], ["validate", str(inc), "--baseline", str(base)]):
        res = CliRunner().invoke(main, [*args, "--lang", "en"])
        assert res.exit_code == 2, (args, res.output)
        assert "products.xlsx" in res.output and "Product" in res.output and "Customer" in res.output


def test_master_keeps_title_rows_and_unknown_columns(tmp_path):
    title = [["客户主数据（已批准）"], ["导出日期：2026-11-20"]]
    base_rows = sheet_rows([customer(1), customer(2)], CUSTOMER_HEADERS_ZH, title_rows=title,
                           extra={"备注": ["老客户", "@SUM(1)"]})
    inc_rows = sheet_rows([customer(1), customer(2), customer(3)], CUSTOMER_HEADERS_ZH, title_rows=title,
                          extra={"备注": ["改过的备注", None, "新客户"]})
    base, inc = tmp_path / "base.xlsx", tmp_path / "inc.xlsx"
    for path, rows in ((base, base_rows), (inc, inc_rows)):
        wb = Workbook()
        ws = wb.active
        ws.title = "客户"
        for row in rows:
            ws.append(row)
        wb.save(path)
    state = tmp_path / "state"
    state.mkdir()
    _submit(tmp_path, inc, base, state)
    out = tmp_path / "master.xlsx"
    res = CliRunner().invoke(main, ["apply", str(inc), "-b", str(base), "-o", str(out), "--state-dir", str(state), "--lang", "en"])
    assert res.exit_code == 0, res.output
    ws = load_workbook(out).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0][0] == "客户主数据（已批准）" and rows[1][0] == "导出日期：2026-11-20"
    header = rows[2]
    assert header[-1] == "备注"
    by_code = {r[header.index("客户编码")]: r for r in rows[3:]}
    assert set(by_code) == {"C100001", "C100002", "C100003"}
    assert by_code["C100001"][-1] == "老客户"  # the approved master's value
    assert by_code["C100002"][-1] == "@SUM(1)"  # kept as text, never a formula
    assert ws.cell(row=5, column=len(header)).data_type == "s"
    assert by_code["C100003"][-1] == "新客户"  # a new record brings its own
