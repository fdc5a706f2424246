"""Where records are, each trait in a workbook the test writes, with the exact (row, field, rule) set
found and the records read: headers repeated on every printed page, subtotal rows (小计 beside a
group's name, 华东区小计, Subtotal, Total for X), a second table on the same sheet (read as its own
table when its header is recognised, else left out and said once), a template's description and
example rows under its header.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from builders import CUSTOMER_HEADERS_ZH, customer, product
from openpyxl import Workbook

from dataquality.config import Config
from dataquality.load import read_file
from dataquality.load.rows import non_records
from dataquality.pipeline import run

FIELDS = list(CUSTOMER_HEADERS_ZH)
HEADER = [CUSTOMER_HEADERS_ZH[f] for f in FIELDS]


@pytest.fixture(scope="module")
def config() -> Config:
    return Config.load()


def _customer(i: int, **overrides) -> list:
    rec = customer(i, **overrides)
    return [rec[f] for f in FIELDS]


def _save(tmp_path: Path, rows: list[list], name: str = "客户.xlsx", title: str = "客户") -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    path = tmp_path / name
    wb.save(path)
    return path


def _found(config: Config, path: Path) -> set[tuple]:
    return {(i.row, i.field, i.rule) for i in run(config, [path]).issues if i.rule != "RUL001"}


def _tables(config: Config, path: Path) -> list[tuple]:
    return [(t.header_row, list(t.data.index)) for t in read_file(path, config).tables]


def test_header_repeated_on_every_printed_page(tmp_path: Path, config: Config) -> None:
    """Title and header repeated every 3 records (spaces, case and a required mark differ): one
    FIL008 for all of them; the records stay one table."""
    rows: list[list] = [["客户主数据（2026年）"], HEADER]
    n = 0
    for page in range(3):
        if page:
            rows.append(["客户主数据（2026年）"])
            rows.append([f" {h} " if i % 2 else (h + "*" if i == 0 else h) for i, h in enumerate(HEADER)])
        for _ in range(3):
            n += 1
            rows.append(_customer(n, phone="12345") if n == 8 else _customer(n))
    path = _save(tmp_path, rows)
    # rows: 1 title, 2 header, 3-5 records, 6-7 repeat, 8-10, 11-12 repeat, 13-15
    assert _tables(config, path) == [(2, [3, 4, 5, 8, 9, 10, 13, 14, 15])]
    assert _found(config, path) == {(6, None, "FIL008"), (14, "phone", "IDN003")}
    [table] = read_file(path, config).tables
    [said] = [f for f in table.findings if f.rule == "FIL008"]
    assert said.params["more"]["en"] == "; so are rows 7, 11 and 12"


def test_subtotal_rows_are_said_once_and_the_grand_total_on_its_own(tmp_path: Path, config: Config) -> None:
    rows: list[list] = [HEADER]
    rows += [_customer(1), _customer(2)]
    rows.append(["华东区小计", None, None, None, None, None, None, None, None, None, None, 1000000])  # row 4
    rows += [_customer(3), _customer(4, email="bad@")]
    rows.append(["华南区", "小计", None, None, None, None, None, None, None, None, None, "1,000,000.00元"])  # row 7
    rows.append([_customer(5)[0], *_customer(5)[1:]])
    rows.append(["Subtotal - South", None, None, None, None, None, None, None, None, None, None, 500000])  # row 9
    rows.append(_customer(6))
    rows.append([None, None, "Total for North", None, None, None, None, None, None, None, None, 500000])  # row 11
    rows.append(_customer(7))
    rows.append(["合计", None, None, None, None, None, None, None, None, None, None, 3500000])  # row 13
    path = _save(tmp_path, rows)
    assert _tables(config, path) == [(1, [2, 3, 5, 6, 8, 10, 12])]
    assert _found(config, path) == {(4, None, "FIL003"), (13, None, "FIL003"), (6, "email", "IDN005")}
    [table] = read_file(path, config).tables
    assert table.summary_rows == ((4, "华东区小计"), (7, "华南区"), (9, "Subtotal - South"), (11, "Total for North"), (13, "合计"))


def test_a_record_whose_text_holds_a_totals_word_is_still_a_record(tmp_path: Path, config: Config) -> None:
    """'Total Quartz' is a product name and 合计 a word inside an address: records, not totals."""
    rows = [HEADER, _customer(1, customer_name="Total Quartz 贸易有限公司"), _customer(2, address="合计路8号"),
            _customer(3, customer_name="华东区小计公司")]
    path = _save(tmp_path, rows)
    assert _tables(config, path) == [(1, [2, 3, 4])]
    assert _found(config, path) == set()


def test_second_table_with_its_own_title_and_header_is_its_own_table(tmp_path: Path, config: Config) -> None:
    """停用客户 under the active customers: a title, the same header, the inactive customers."""
    rows: list[list] = [HEADER, _customer(1), _customer(2, phone="12345"), _customer(3), [], ["停用客户"], HEADER,
                        _customer(4, status="停用"), _customer(5, status="停用", email="x@")]
    path = _save(tmp_path, rows)
    assert _tables(config, path) == [(1, [2, 3, 4]), (7, [8, 9])]
    assert _found(config, path) == {(3, "phone", "IDN003"), (9, "email", "IDN005")}


def test_second_table_of_another_entity_on_the_same_sheet(tmp_path: Path, config: Config) -> None:
    """Customers, then a title and a product list with its own header: each read as what it is."""
    product_fields = ["internal_code", "product_name", "specification", "unit", "list_price"]
    names = {"internal_code": "内部编码", "product_name": "品名", "specification": "规格型号", "unit": "单位", "list_price": "标准售价"}
    rows: list[list] = [HEADER, _customer(1), _customer(2), ["客户常购产品"], [names[f] for f in product_fields]]
    rows += [[product(i)[f] for f in product_fields] for i in (1, 2)]
    path = _save(tmp_path, rows, name="往来.xlsx", title="Sheet1")
    read = read_file(path, config).tables
    assert [(t.entity, t.header_row, list(t.data.index)) for t in read] == [("customer", 1, [2, 3]), ("product", 5, [6, 7])]


def test_second_table_whose_header_is_not_recognised_is_left_out_and_said_once(tmp_path: Path, config: Config) -> None:
    """A visit log under the customers (序号 | 联系人 | 拜访日期 | 拜访内容): not a master dq knows;
    its title, header and rows are never records, said once at its title."""
    rows: list[list] = [HEADER, _customer(1), _customer(2, phone="12345"), [], ["拜访记录"],
                        ["序号", "联系人", "拜访日期", "拜访内容"], [1, "张伟", "2026-01-05", "报价"], [2, "王芳", "2026-01-09", "签约"]]
    path = _save(tmp_path, rows)
    assert _tables(config, path) == [(1, [2, 3])]
    assert _found(config, path) == {(3, "phone", "IDN003"), (5, None, "FIL008")}
    [table] = read_file(path, config).tables
    [said] = [f for f in table.findings if f.rule == "FIL008"]
    assert (said.value, said.params["below"]) == ("拜访记录", 3)


def test_template_description_and_example_rows_are_not_records(tmp_path: Path, config: Config) -> None:
    description = {"customer_code": "必填，最多20个字符", "customer_name": "必填", "customer_type": "选填",
                   "uscc": "18位", "credit_limit": "2位小数", "created_on": "格式：YYYY-MM-DD", "email": "选填",
                   "phone": "11位手机号", "address": "最多255字符"}
    rows: list[list] = [HEADER, [description.get(f) for f in FIELDS],
                        ["示例", *_customer(90)[1:]], _customer(1), _customer(2, grade="Z")]
    path = _save(tmp_path, rows)
    assert _tables(config, path) == [(1, [4, 5])]
    assert _found(config, path) == {(2, None, "FIL008"), (5, "grade", "ENM001")}


def test_english_template_descriptions_and_an_example_row(tmp_path: Path, config: Config) -> None:
    header = ["Customer Code", "Customer Name", "Phone", "Email", "Salesperson", "Address"]
    rows: list[list] = [header, ["Required, max 20 characters", "Required", "Optional", "e.g. buyer@example.com", "Required", "Optional"],
                        ["Example:", "Acme Ltd", "13800000000", "buyer@example.com", "张伟", "1 Main St"],
                        ["C100001", "上海甲公司", "13812340001", "a@example.cn", "张伟", "浦东新区张江路1号"],
                        ["C100002", "北京乙公司", "12345", "b@example.cn", "王芳", "浦东新区张江路2号"]]
    path = _save(tmp_path, rows, name="customers.xlsx", title="customers")
    assert _tables(config, path) == [(1, [4, 5])]
    assert _found(config, path) == {(2, None, "FIL008"), (5, "phone", "IDN003")}


def test_subtotals_of_a_long_sheet_and_its_last_total() -> None:
    """50,000 rows with 小计 every 1,000th: subtotals, and the last one (nothing under it) a total."""
    import numpy as np
    import pandas as pd

    from dataquality.load.table import TEXT

    n = 50_000
    codes = pd.Series([f"C{i:06d}" for i in range(n)], dtype=TEXT)
    names = pd.Series([f"客户{i}" for i in range(n)], dtype=TEXT)
    amounts = pd.Series([str(i) for i in range(n)], dtype=TEXT)
    at = np.arange(999, n, 1000)
    codes[at] = "小计"
    names[at] = pd.NA
    body = pd.DataFrame({0: codes, 1: names, 2: amounts})
    body.index = pd.RangeIndex(2, n + 2)
    found = non_records(body)
    assert [(f.row, f.kind) for f in found] == [(int(r) + 2, "subtotal") for r in at[:-1]] + [(int(at[-1]) + 2, "total")]
