"""The import desk over a real SQLite store with its audit key: a clerk, an approver, an admin, and
an ERP export with a title row and bilingual headers (the scenario's customers)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from approve.conftest import TEST_KEY
from approve.scenario import BASE_CUSTOMERS, CUSTOMER_HEADER, NEW_CUSTOMERS
from builders import make_uscc
from served import PASSWORD, add_accounts

from dataquality.approve import accounts, audit
from dataquality.approve.tiers import ApprovalPolicy
from dataquality.config import Config
from dataquality.store import Store, open_store

CLERK, OTHER_CLERK, APPROVER = "李娜", "孙丽", "杨磊"
ENGLISH = {"客户编码": "Customer Code", "客户名称": "Customer Name", "客户类型": "Customer Type", "客户等级": "Grade",
           "业务员": "Salesperson", "所属部门": "Department", "联系电话": "Phone", "详细地址": "Address",
           "信用额度": "Credit Limit", "付款条件": "Payment Terms", "银行账号": "Bank Account", "申请人": "Requester",
           "统一社会信用代码": "USCC"}
HEADER = [*CUSTOMER_HEADER, "统一社会信用代码"]
USCC = {row[0]: make_uscc(n) for n, row in enumerate(BASE_CUSTOMERS + NEW_CUSTOMERS, start=1)}
BAD_USCC = USCC["C000003"][:-1] + ("0" if USCC["C000003"][-1] != "0" else "1")  # a wrong check character
USCC_ROW = 5  # C000003's Excel row in the export (title, header, then C000001...)


@pytest.fixture(scope="session")
def policy(config: Config) -> ApprovalPolicy:
    return ApprovalPolicy.load(config=config)


def export_rows(rows: list[list[str]], title: str = "客户资料导出 Customer export 2026-12") -> list[list[Any]]:
    """An ERP export: a title row, then bilingual headers (客户编码 Customer Code), then the rows."""
    header = [f"{h}\n{ENGLISH[h]}" for h in HEADER]
    return [[title], header, *rows]


def erp_export(write_xlsx: Callable[..., Path], name: str = "customers_2026-12.xlsx") -> Path:
    """The scenario's incoming customers (a bank account change on C000004, values dq fix tidies) with a
    USCC column, an unknown customer type (合伙企业) on row 4 and a wrong USCC on row 5."""
    rows = [[*r, USCC[r[0]]] for r in NEW_CUSTOMERS]
    rows[1][2] = "合伙企业"  # not an allowed customer type: mapped by value
    rows[2][-1] = BAD_USCC
    return write_xlsx(name, {"客户": export_rows(rows)})


def baseline_file(write_xlsx: Callable[..., Path]) -> Path:
    return write_xlsx("baseline.xlsx", {"客户": [HEADER, *([*r, USCC[r[0]]] for r in BASE_CUSTOMERS)]})


@pytest.fixture
def desk_store(tmp_path: Path, policy: ApprovalPolicy) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'state' / 'dq.db'}")
    audit.bind_key(store.engine, TEST_KEY)
    add_accounts(store, policy, {CLERK: ("clerk",), OTHER_CLERK: ("clerk",), APPROVER: ("L2",)})
    try:
        yield store
    finally:
        store.close()


def account(store: Store, policy: ApprovalPolicy, name: str) -> accounts.Account:
    return accounts.authenticate(store, policy, name, PASSWORD)
