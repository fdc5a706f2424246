"""The issue's acceptance scenario as data: a baseline master, an incoming file and an approvals sheet.

Prices change by 3 %, 12 % and 40 %; credit limits rise by 50k, 500k and 2M; a bank account and a
salesperson change; some values are only reformatted; records are created and deleted. The
approvals sheet holds a self-approval, one person on two levels and a rejection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

CUSTOMER_HEADER = ["客户编码", "客户名称", "客户类型", "客户等级", "业务员", "所属部门", "联系电话", "详细地址", "信用额度", "付款条件", "银行账号", "申请人"]
PRODUCT_HEADER = ["内部编码", "品名", "规格型号", "类别", "单位", "标准售价", "标准成本", "币种", "申请人"]

BASE_CUSTOMERS = [
    ["C000001", "上海甲公司", "企业", "B", "张伟", "销售部", "13800000001", "上海市浦东新区1号", "100000", "NET30", "6222000000000001", ""],
    ["C000002", "上海乙公司", "企业", "B", "张伟", "销售部", "13800000002", "上海市浦东新区2号", "200000", "NET30", "6222000000000002", ""],
    ["C000003", "上海丙公司", "企业", "A", "张伟", "销售部", "13800000003", "上海市浦东新区3号", "300000", "NET30", "6222000000000003", ""],
    ["C000004", "上海丁公司", "企业", "B", "王芳", "销售部", "13800000004", "上海市浦东新区4号", "400000", "NET30", "6222000000000004", ""],
    ["C000005", "上海戊公司", "企业", "B", "王芳", "销售部", "13800000005", "上海市浦东新区5号", "500000", "NET30", "6222000000000005", ""],
    ["C000006", "上海己公司", "企业", "B", "王芳", "销售部", "13800000006", "上海市浦东新区6号", "1000000", "NET30", "6222000000000006", ""],
    ["C000007", "上海庚公司", "企业", "C", "李娜", "销售部", "13800000007", "上海市浦东新区7号", "50000", "NET30", "6222000000000007", ""],
]
NEW_CUSTOMERS = [
    ["C000001", "上海甲公司", "企业", "B", "张伟", "销售部", "13800000001", "上海市浦东新区1号", "150000", "NET30", "6222000000000001", "李娜"],
    ["C000002", "上海乙公司", "企业", "B", "张伟", "销售部", "13800000002", "上海市浦东新区2号", "700000", "NET30", "6222000000000002", "李娜"],
    ["C000003", "上海丙公司", "企业", "A", "张伟", "销售部", "13800000003", "上海市浦东新区3号", "2,300,000", "NET30", "6222000000000003", "李娜"],
    ["C000004", "上海丁公司", "企业", "B", "王芳", "销售部", "13800000004", "上海市浦东新区4号", "400000", "NET30", "6222999999999999", "李娜"],
    ["C000005", "上海戊公司", "企业", "B", "孙丽", "销售部", "13800000005", "上海市闵行区5号", "500000", "NET30", "6222000000000005", "李娜"],
    # only reformatted: thousands separators, full-width digits and spaces, a synonym of the enum
    ["C000006", " 上海己公司 ", "公司", "B", "王芳", "销售部", "１３８０００００００６", "上海市浦东新区6号", "1,000,000.00", "月结30天", "6222 0000 0000 0006", "李娜"],
    ["C000008", "上海辛公司", "企业", "C", "李娜", "销售部", "13800000008", "上海市浦东新区8号", "50000", "NET30", "6222000000000008", "李娜"],
]
BASE_PRODUCTS = [
    ["FG000001", "螺丝", "M3x10", "FG", "PCS", "100", "50", "CNY", ""],
    ["FG000002", "螺母", "M3", "FG", "PCS", "100", "50", "CNY", ""],
    ["FG000003", "垫片", "M3", "FG", "PCS", "100", "50", "CNY", ""],
    ["FG000004", "弹簧", "S1", "FG", "PCS", "1000", "500", "CNY", ""],
]
NEW_PRODUCTS = [
    ["FG000001", "螺丝", "M3x10", "FG", "PCS", "103", "50", "CNY", "刘洋"],
    ["FG000002", "螺母", "M3", "FG", "PCS", "112", "50", "CNY", "刘洋"],
    ["FG000003", "垫片", "M3", "FG", "PCS", "140", "50", "CNY", "刘洋"],
    ["FG000004", "弹簧", "S1", "FG", "PCS", "1,000.00", "500.00", "CNY", "刘洋"],
    ["FG000005", "轴承", "B6", "FG", "PCS", "80", "40", "CNY", "刘洋"],
]
APPROVALS_HEADER = ["entity", "key", "field", "new value", "approver", "role", "role_name", "decision", "date"]
# Sheet lines are dated today: a date before the request (made today) or in the future is refused.
TODAY = dt.datetime.now(dt.UTC).date().isoformat()
APPROVALS = [
    ["customer", "C000001", "credit_limit", "150000", "李娜", "L1", "", "approved", TODAY],  # self-approval: refused
    ["customer", "C000002", "credit_limit", "700000", "陈静", "L1", "", "approved", TODAY],
    ["customer", "C000002", "credit_limit", "700000", "陈静", "L2", "", "approved", TODAY],  # same person, 2nd level
    ["customer", "C000003", "credit_limit", "2300000", "赵敏", "", "部门经理", "approved", TODAY],
    ["customer", "C000003", "credit_limit", "2300000", "陈静", "", "财务总监", "approved", TODAY],
    ["customer", "C000003", "credit_limit", "2300000", "吴刚", "", "总经理", "approved", TODAY],
    ["customer", "C000004", "bank_account", "6222999999999999", "赵敏", "L1", "", "rejected", TODAY],  # rejection
    ["customer", "C000004", "bank_account", "6222999999999999", "陈静", "L2", "", "approved", TODAY],  # after it: refused
    ["客户", "C000005", "业务员", "孙丽", "赵敏", "L1", "", "同意", TODAY],
    ["customer", "C000005", "salesperson", "孙丽", "杨磊", "L2", "", "approved", TODAY],
    ["customer", "C000007", "*", "", "赵敏", "L1", "", "approved", TODAY],
    ["customer", "C000007", "*", "", "杨磊", "L2", "", "approved", TODAY],
    ["customer", "C000008", "*", "", "赵敏", "L1", "", "approved", TODAY],
    ["product", "FG000001", "list_price", "103", "赵敏", "", "部门经理", "approved", TODAY],
    ["product", "FG000002", "list_price", "112", "赵敏", "L1", "", "approved", TODAY],
    ["product", "FG000003", "list_price", "140", "赵敏", "L1", "", "approved", TODAY],
    ["product", "FG000003", "list_price", "140", "杨磊", "L2", "", "approved", TODAY],
    ["product", "FG000003", "list_price", "140", "吴刚", "L3", "", "approved", TODAY],
]

# (entity, key, field) -> (kind, tier, status after the sheet, missing roles): the spec's table.
EXPECTED = {
    ("customer", "C000001", "credit_limit"): ("change", 1, "pending", ("L1",)),
    ("customer", "C000002", "credit_limit"): ("change", 2, "pending", ("L2",)),
    ("customer", "C000003", "credit_limit"): ("change", 3, "approved", ()),
    ("customer", "C000004", "bank_account"): ("change", 3, "rejected", ("L1", "L2", "L3")),
    ("customer", "C000005", "salesperson"): ("change", 2, "approved", ()),
    ("customer", "C000007", "*"): ("delete", 2, "approved", ()),
    ("customer", "C000008", "credit_limit"): ("create", 1, "approved", ()),
    ("customer", "C000008", "salesperson"): ("create", 2, "pending", ("L2",)),
    ("customer", "C000008", "bank_account"): ("create", 3, "pending", ("L2", "L3")),
    ("customer", "C000008", "grade"): ("create", 1, "approved", ()),
    ("customer", "C000008", "payment_terms"): ("create", 2, "pending", ("L2",)),
    ("product", "FG000001", "list_price"): ("change", 1, "approved", ()),
    ("product", "FG000002", "list_price"): ("change", 2, "pending", ("L2",)),
    ("product", "FG000003", "list_price"): ("change", 3, "approved", ()),
    ("product", "FG000005", "list_price"): ("create", 3, "pending", ("L1", "L2", "L3")),
    ("product", "FG000005", "cost_price"): ("create", 2, "pending", ("L1", "L2")),
}
# Tier-0 changes: reported, applied without approval.
FREE = {("customer", "C000005", "address"), ("customer", "C000008", "*"), ("product", "FG000005", "*")}


# Deleted records have no requester in the file: the person submitting stands for them.
SUBMITTER = "王芳"


def write_scenario(write_xlsx: Callable[..., Path]) -> tuple[Path, Path, Path]:
    """(baseline, incoming, approvals sheet) as real workbooks."""
    baseline = write_xlsx("master.xlsx", {"客户主数据": [CUSTOMER_HEADER, *BASE_CUSTOMERS], "产品主数据": [PRODUCT_HEADER, *BASE_PRODUCTS]})
    incoming = write_xlsx("incoming.xlsx", {"客户主数据": [CUSTOMER_HEADER, *NEW_CUSTOMERS], "产品主数据": [PRODUCT_HEADER, *NEW_PRODUCTS]})
    sheet = write_xlsx("approvals.xlsx", {"审批": [APPROVALS_HEADER, *APPROVALS]})
    return baseline, incoming, sheet


# The approvers the sheet names, with the roles their accounts hold: each confirms his own lines.
APPROVERS = {"赵敏": ("L1",), "陈静": ("L1", "L2"), "杨磊": ("L2",), "吴刚": ("L3",)}


def confirm_entries(store, policy) -> dict[int, str]:  # type: ignore[no-untyped-def]
    """Every entered sheet line confirmed by the approver it names, signed in (issue 23: a line counts
    only then); returns entry id -> the rule that refused the confirmation."""
    from served import PASSWORD, add_accounts

    from dataquality.approve import accounts, entries
    from dataquality.errors import DQError

    add_accounts(store, policy, {n: r for n, r in APPROVERS.items() if accounts.account_for_person(store, policy, n) is None})
    refused = {}
    for entry in entries.list_entries(store):
        approver = accounts.authenticate(store, policy, entry.approver, PASSWORD)
        try:
            entries.confirm(store, policy, approver, entry.id)
        except DQError as exc:
            refused[entry.id] = exc.key
    return refused
