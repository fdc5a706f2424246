"""Issue 22, must-have 5: values as a person reads them, in real files written here.

Each file holds the written forms of one kind of value (amounts, dates, phone numbers); the test
asserts the exact (row, field, rule) set dq finds, nothing else, and the values dq read, on the
pandas engine and on DuckDB alike.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import pandas as pd
import pytest
from builders import CUSTOMER_HEADERS_ZH, PRODUCT_HEADERS_ZH, customer, product, sheet_rows
from engine_data import issue_keys

from dataquality.checks.values import TableValues
from dataquality.engines.runner import check_sources
from dataquality.engines.sources import loaded_source
from dataquality.fix import plan
from dataquality.load import load_file
from dataquality.pipeline import run, validate

# (list price, cost price, currency) -> what dq reads, and the findings on that row.
AMOUNTS = [
    ("¥1,200.00", "800", "CNY", 1200.0, set()),
    ("12.50元", "8.5元", "人民币", 12.5, set()),
    ("1,200 RMB", "(300.00)", "CNY", 1200.0, {("cost_price", "RNG001")}),
    ("USD 30", "US$ 20", "USD", 30.0, set()),
    ("$12.50", "¥8", "CNY", 12.5, {("list_price", "TYP007")}),
    ("15%", "0.1", "CNY", 0.15, set()),
    ("12.5万", "8万元", "CNY", 125000.0, set()),
    ("（300.00）", "5", "CNY", -300.0, {("list_price", "RNG001")}),
    # 5,50 in a column that writes 1,200.00 is not a number; its space is then just a space.
    ("€8", "€ 5,50", "EUR", 8.0, {("cost_price", "TYP001"), ("cost_price", "FMT002")}),
    ("¥1,200", "¥800", "JPY", 1200.0, set()),
    ("12abc", "5", "CNY", None, {("list_price", "TYP001")}),
    ("US$ 4.5", "HK$ 3", "HKD", 4.5, {("list_price", "TYP007")}),
    ("1,200.00-", "5", "CNY", -1200.0, {("list_price", "RNG001")}),
    ("CNY 100", "80", "美元", 100.0, {("list_price", "TYP007")}),
    ("12.5", "8", "CNY", 12.5, set()),
    ("1.2亿", "9000万", "CNY", 1.2e8, set()),
]


def _products(write_xlsx, rows: list[tuple]) -> Path:
    recs = [product(i, list_price=lp, cost_price=cp, currency=cur) for i, (lp, cp, cur, *_rest) in enumerate(rows)]
    return write_xlsx("products.xlsx", {"商品资料": sheet_rows(recs, PRODUCT_HEADERS_ZH)})


def _found(result, rules: set[str] | None = None) -> set[tuple]:
    return {(i.row, i.field, i.rule) for i in result.issues if rules is None or i.rule in rules}


def _duckdb_matches(path: Path, config) -> None:
    tables = load_file(path, config)
    con = ibis.duckdb.connect()
    assert issue_keys(check_sources([loaded_source(con, t) for t in tables], config)) == issue_keys(validate(tables, config))


def test_amounts_with_currencies_units_brackets_and_percent(write_xlsx, config) -> None:
    path = _products(write_xlsx, AMOUNTS)
    result = run(config, [path])
    expected = {(n + 2, field, rule) for n, (*_, found) in enumerate(AMOUNTS) for field, rule in found}
    assert _found(result) - {(1, None, "RUL001")} == expected
    table = result.tables[0]
    read = TableValues(table, config.schemas["product"], config)["list_price"].number.tolist()
    for (text, *_, want, _found_there), got in zip(AMOUNTS, read, strict=True):
        assert (pd.isna(got) if want is None else got == want), (text, got)
    money = {i.row: i for i in result.issues if i.rule == "TYP007"}
    assert money[6].message("en") == "List price '$12.50' is written in $, but the record's currency is CNY."
    assert money[6].message("zh") == "标准售价“$12.50”写的是 $，但该记录的币种是 CNY。"
    _duckdb_matches(path, config)


def test_fix_writes_each_written_amount_as_the_number_dq_read(write_xlsx, config) -> None:
    rows = [r for r in AMOUNTS if not r[4]]
    fixes = {(c.row, c.field): c.new for c in plan(_products(write_xlsx, rows), config).changes if "TYP005" in c.rules}
    for n, (price, _cost, _cur, want, _) in enumerate(rows):
        if price == "12.5":  # a plain number: nothing to fix
            assert (n + 2, "list_price") not in fixes
        else:
            assert float(fixes[(n + 2, "list_price")]) == want, price
    by_price = {price: n + 2 for n, (price, *_) in enumerate(rows)}
    assert fixes[(by_price["12.5万"], "list_price")] == "125000" and fixes[(by_price["12.5万"], "cost_price")] == "80000"
    assert fixes[(by_price["USD 30"], "list_price")] == "30" and fixes[(by_price["15%"], "list_price")] == "0.15"
    assert (by_price["¥1,200.00"], "cost_price") not in fixes  # 800: plain already


def test_a_european_csv_reads_its_decimal_comma(tmp_path: Path, config) -> None:
    lines = ["Item code,Product name,Specification,Unit,Price,Cost,Currency"]
    prices = [("1.200,50", "800"), ("12,5", "8,25"), ("1.200", "1.000"), ("3,75 €", "2"), ("1.234.567,8", "1,5"), ("1,2,3", "1")]
    for n, (price, cost) in enumerate(prices):
        lines.append(f'FG{n + 1:06d},Bolt {n},M{n + 4},PCS,"{price}","{cost}",EUR')
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run(config, [path])
    assert _found(result, {"TYP001", "RNG001", "PRD002", "TYP007"}) == {(7, "list_price", "TYP001")}
    v = TableValues(result.tables[0], config.schemas["product"], config)
    assert v["list_price"].number.tolist()[:5] == [1200.5, 12.5, 1200.0, 3.75, 1234567.8]
    assert v["cost_price"].number.tolist() == [800.0, 8.25, 1000.0, 2.0, 1.5, 1.0]
    assert v["list_price"].numbers.decimal == "," and v["cost_price"].numbers.decimal == ","
    _duckdb_matches(path, config)


DATE_FORMS = ["2024/3/5", "2024.3.5", "2024年3月5日", "20240305", "5-Mar-2024", "5 March 2024", "March 5, 2024", "Mar 5 2024",
              "2024-03-05T10:30:00Z", "2024-03-05T10:30:00+08:00", "2024-03-05 10:30", "05-Mar-24", dt.date(2024, 3, 5),
              dt.datetime(2024, 3, 5, 10, 30), 45356]


def _customers(write_xlsx, dates: list, name: str = "customers.xlsx", headers: dict[str, str] = CUSTOMER_HEADERS_ZH, **more) -> Path:
    recs = [customer(i, created_on=d, **{k: v[i] for k, v in more.items()}) for i, d in enumerate(dates)]
    return write_xlsx(name, {"客户": sheet_rows(recs, headers)})


def test_dates_in_every_written_form(write_xlsx, config) -> None:
    path = _customers(write_xlsx, [*DATE_FORMS, "2024-02-30", "2024/13/5"])
    result = run(config, [path])
    n = len(DATE_FORMS)
    assert _found(result) == {(n + 2, "created_on", "TYP003"), (n + 3, "created_on", "TYP003")}
    dates = TableValues(result.tables[0], config.schemas["customer"], config)["created_on"].date
    assert {d.date() for d in dates[:n]} == {dt.date(2024, 3, 5)}
    _duckdb_matches(path, config)


ENGLISH = {f: h for f, h in {"customer_code": "Customer code", "customer_name": "Customer name", "customer_type": "Customer type",
                             "uscc": "USCC", "grade": "Customer grade", "salesperson": "Salesperson", "department": "Department",
                             "phone": "Phone number", "email": "Email", "address": "Address", "credit_limit": "Credit limit",
                             "payment_terms": "Payment terms", "bank_account": "Bank account", "status": "Customer status",
                             "created_on": "Created on"}.items()}


@pytest.mark.parametrize(("headers", "dates", "read", "found"), [
    # Chinese headers, nothing tells: read month-first, and said once.
    (CUSTOMER_HEADERS_ZH, ["05/03/2024", "07/08/2024", "05/03/2024"], ["2024-05-03", "2024-07-08", "2024-05-03"], {"TYP009"}),
    # English headers: month-first is the file's own convention.
    (ENGLISH, ["05/03/2024", "07/08/2024"], ["2024-05-03", "2024-07-08"], set()),
    # A day above 12 decides the column, whatever the language.
    (ENGLISH, ["05/03/2024", "25/08/2024"], ["2024-03-05", "2024-08-25"], set()),
    (CUSTOMER_HEADERS_ZH, ["3/5/24", "3/25/24"], ["2024-03-05", "2024-03-25"], set()),
    # Both orders proven: the majority reads the undecidable ones, and the column is reported once.
    (ENGLISH, ["25/03/2024", "26/03/2024", "03/27/2024", "05/04/2024"], ["2024-03-25", "2024-03-26", "2024-03-27", "2024-04-05"],
     {"TYP008"}),
])
def test_day_and_month_order_decided_per_column(write_xlsx, config, headers, dates, read, found) -> None:
    path = _customers(write_xlsx, dates, headers=headers)
    result = run(config, [path])
    assert _found(result) == {(1, "created_on", rule) for rule in found}
    got = TableValues(result.tables[0], config.schemas["customer"], config)["created_on"].date
    assert [str(d.date()) for d in got] == read
    for issue in result.issues:
        assert issue.column == result.tables[0].columns["created_on"] and "{" not in issue.message("en") + issue.message("zh")
    _duckdb_matches(path, config)


def test_the_order_finding_names_the_reading(write_xlsx, config) -> None:
    path = _customers(write_xlsx, ["05/03/2024", "07/08/2024"])
    (issue,) = run(config, [path]).issues
    assert issue.rule == "TYP009" and issue.severity == "info"
    assert issue.message("en") == ("创建日期: 2 different dates such as 05/03/2024 could be read day first or month first, and "
                                   "neither the column nor the file's language tells; they are read month first (MM/DD/YYYY).").replace(
        "创建日期", "Created on")
    assert "月在前（月/日/年）" in issue.message("zh")


US_PHONES = ["(206) 555-0100", "(425) 555-0199", "212-555-0143", "(312) 555-0177", "415.555.0122", "(617) 555-0190"]


def test_a_us_file_reads_its_numbers_as_us_numbers(write_xlsx, config) -> None:
    phones = [*US_PHONES, "+86 138 1234 5678", "(206) 555-01", "13812345678"]
    path = _customers(write_xlsx, [dt.date(2024, 1, 1)] * len(phones), headers=ENGLISH, phone=phones)
    result = run(config, [path])
    # Said once: the column is read as US numbers; the one number valid nowhere is invalid; the
    # Chinese numbers stay valid (+86 on a US row is that row's spelling, not re-spelt).
    assert _found(result) == {(1, "phone", "IDN006"), (9, "phone", "IDN003")}
    notes = [i for i in result.issues if i.rule == "IDN006"]
    assert "United States" in notes[0].message("en") and "美国" in notes[0].message("zh")
    bad = next(i for i in result.issues if i.rule == "IDN003")
    assert bad.message("en") == "Phone '(206) 555-01' is not a valid phone number for United States."
    _duckdb_matches(path, config)


def test_a_country_column_says_each_row_s_country(write_xlsx, config) -> None:
    phones = ["(206) 555-0100", "020 7946 0958", "030 1234567", "13812345678", "(206) 555-0100", "555-0100", "555-0100",
              "+44 20 7946 0958", "(206) 555-0100"]
    countries = ["US", "United Kingdom", "德国", "中国", "中国", "USA", None, "美国", "Amerika"]
    path = _customers(write_xlsx, [dt.date(2024, 1, 1)] * len(phones), phone=phones, country=countries,
                      headers={**CUSTOMER_HEADERS_ZH, "country": "国家/地区"})
    result = run(config, [path])
    assert _found(result) == {
        (6, "phone", "IDN003"), (6, "phone", "FMT002"),  # a US number on a Chinese row (spaces: today's Chinese rule)
        (8, "phone", "IDN003"),  # a local US number on a row no country speaks for
        (10, "country", "IDN007"), (10, "phone", "IDN003"), (10, "phone", "FMT002"),  # an unknown country: read as Chinese
    }
    china = next(i for i in result.issues if i.row == 6)
    assert china.message("en").endswith("is not a valid phone number for China.") and "中国电话号码" in china.message("zh")
    _duckdb_matches(path, config)


def test_chinese_numbers_keep_today_s_rules(write_xlsx, config) -> None:
    phones = ["13812345678", "+86 138-1234-5678", "(021)61234567", "１３９１２３４５６７８", "021 6123 4567", "1381234567",
              "+1 650 253 0000", "(206) 555-0100"]
    path = _customers(write_xlsx, [dt.date(2024, 1, 1)] * len(phones), phone=phones)
    result = run(config, [path])
    assert _found(result) == {(3, "phone", "IDN004"), (3, "phone", "FMT002"), (4, "phone", "IDN004"), (5, "phone", "FMT003"),
                              (6, "phone", "FMT002"), (6, "phone", "IDN004"), (7, "phone", "IDN003"), (9, "phone", "IDN003"),
                              (9, "phone", "FMT002")}
    fixed = {(i.row, i.rule): i.fixed_value for i in result.issues if i.fixable}
    assert fixed == {(3, "IDN004"): "13812345678", (3, "FMT002"): "13812345678", (4, "IDN004"): "021-61234567",
                     (5, "FMT003"): "13912345678", (6, "FMT002"): "021-61234567", (6, "IDN004"): "021-61234567",
                     (9, "FMT002"): "(206)555-0100"}
    _duckdb_matches(path, config)


def test_a_price_column_found_by_a_generic_header_is_confirmed_by_its_written_amounts(write_xlsx, config) -> None:
    header = ["商品编码", "商品名称", "规格", "单位", "价格"]
    rows = [[f"FG{n:06d}", f"螺栓{n}", f"M{n + 4}", "个", price] for n, price in
            enumerate(["12.50元", "¥8.00", "1,200元", "（3.00）", "USD 4", "15%"], start=1)]
    path = write_xlsx("goods.xlsx", {"商品": [header, *rows]})
    result = run(config, [path])
    assert _found(result, {"FIL007", "TYP001", "RNG001"}) == {(5, "list_price", "RNG001")}
    got = TableValues(result.tables[0], config.schemas["product"], config)["list_price"].number.tolist()
    assert got == [12.5, 8.0, 1200.0, -3.0, 4.0, 0.15]
