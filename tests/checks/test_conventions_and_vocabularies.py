"""A convention that fails a whole column is one finding (CNV001) and the column is checked against
its own bulk (CNV002); the shipped vocabularies take the words real data uses (issue 22)."""

from __future__ import annotations

from dataquality.config import Config
from dataquality.pipeline import run

PRODUCT_HEADER = ["物料编码", "品名", "规格型号", "类别", "单位", "状态"]


def test_another_companys_code_format_is_one_finding_and_its_odd_code_is_named(write_xlsx, config: Config) -> None:
    rows = [[f"SKU-{i:05d}", f"螺栓{i}", f"M{i}", "成品", "PCS", "启用"] for i in range(1, 31)]
    rows[9][0] = "SKU10"  # row 11: unlike the rest of its column
    path = write_xlsx("p.xlsx", {"产品": [PRODUCT_HEADER, *rows]})
    issues = run(config, [path]).issues
    assert {(i.row, i.field, i.rule) for i in issues if i.rule != "RUL001"} == {
        (1, "internal_code", "CNV001"), (11, "internal_code", "CNV002")}
    [convention] = [i for i in issues if i.rule == "CNV001"]
    said = convention.message("en")
    assert "30 of 30 values" in said and "FMT001" in said and "'SKU' + '-' + 5 digits (29 values" in said
    assert "dq learn p.xlsx" in convention.hint("en") and "fields.internal_code.pattern" in convention.hint("en")
    assert "dq learn p.xlsx" in convention.hint("zh")


def test_most_of_a_large_column_is_a_convention_even_in_a_companys_own_schema(write_xlsx, config: Config) -> None:
    from dataclasses import replace

    own = replace(config, schemas={n: replace(s, conventions="own") for n, s in config.schemas.items()})
    rows = [[f"FG{i:06d}", f"螺栓{i}", f"M{i}", "饮料", "PCS", "启用"] for i in range(1, 26)]
    rows[0][3] = "成品"
    path = write_xlsx("p.xlsx", {"产品": [PRODUCT_HEADER, *rows]})
    assert {(i.row, i.field, i.rule) for i in run(own, [path]).issues} == {(1, "category", "CNV001")}
    small = write_xlsx("small.xlsx", {"产品": [PRODUCT_HEADER, *rows[:5]]})  # few rows: each cell is judged
    assert {(i.row, i.rule) for i in run(own, [small]).issues} == {(r, "ENM001") for r in range(3, 7)}


def test_units_statuses_and_payment_terms_as_companies_write_them(write_xlsx, config: Config) -> None:
    units = ["桶", "PCS", "KGM", "件", "台", "双", "打", "卷", "盒", "EA", "米", "吨", "批", "托"]
    statuses = ["1", "0", "Y", "N", "是", "否", "正常", "冻结", "active", "Blocked", "TRUE", "false", "在售", "停用"]
    rows = [[f"FG{i:06d}", f"物{i}", f"S{i}", "FG", u, s] for i, (u, s) in enumerate(zip(units, statuses, strict=True), 1)]
    path = write_xlsx("p.xlsx", {"产品": [PRODUCT_HEADER, *rows]})
    assert [i.rule for i in run(config, [path]).issues if i.rule.startswith(("ENM", "CNV"))] == []
    terms = ["月结45天", "30天", "Net 60", "电汇", "T/T", "COD", "款到发货", "预付", "N30", "货到付款", "现金", "月结"]
    header = ["客户编码", "客户名称", "业务员", "联系电话", "详细地址", "付款条件"]
    rows = [[f"C{i:06d}", f"公司{i}", "张伟", "13812345678", "上海", t] for i, t in enumerate(terms, 1)]
    path = write_xlsx("c.xlsx", {"客户": [header, *rows]})
    result = run(config, [path])
    assert [i.rule for i in result.issues if i.field == "payment_terms"] == []
    from dataquality.checks.values import TableValues

    [table] = result.tables
    canonical = TableValues(table, config.schemas["customer"], config)["payment_terms"].canonical.tolist()
    assert canonical[:4] == ["NET45", "NET30", "NET60", "TT"]
