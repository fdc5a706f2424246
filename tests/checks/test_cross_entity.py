"""Cross-entity checks: products against the customer master, only when both are validated together."""

from __future__ import annotations

from dataquality.pipeline import run

CUSTOMERS = [["客户编码", "客户名称", "客户类型", "业务员", "联系电话", "详细地址"],
             ["C000001", "甲公司", "个人", "张伟", "13812345678", "上海"]]
PRODUCTS = [["内部编码", "品名", "规格型号", "类别", "单位", "客户编码"],
            ["FG000001", "螺栓", "M8", "FG", "PCS", "C000001"],
            ["FG000002", "螺母", "M8", "FG", "PCS", "C000002"],
            ["FG000003", "垫片", "M8", "FG", "PCS", None]]


def test_unknown_customer_only_when_the_customer_master_is_checked_too(write_xlsx, config) -> None:
    customers = write_xlsx("customers.xlsx", {"客户": CUSTOMERS})
    products = write_xlsx("products.xlsx", {"产品": PRODUCTS})
    assert run(config, [products]).issues == []
    together = run(config, [products, customers])
    assert together.flatten("file", "row", "field", "rule") == [("products.xlsx", 3, "customer_code", "PRD005")]


def test_both_masters_in_one_workbook_and_customers_across_files(write_xlsx, config) -> None:
    more = [CUSTOMERS[0], ["C000002", "乙公司", "个人", "张伟", "13812345678", "上海"]]
    book = write_xlsx("master.xlsx", {"产品": PRODUCTS, "客户": CUSTOMERS})
    other = write_xlsx("more-customers.xlsx", {"客户": more})
    assert run(config, [book]).flatten("row", "rule") == [(3, "PRD005")]
    assert run(config, [book, other]).issues == []
