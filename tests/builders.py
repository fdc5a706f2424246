"""Builders of valid master records for tests: every field passes every default rule of the spec."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stdnum import ean
from stdnum.cn import uscc

CUSTOMER_HEADERS_ZH = {
    "customer_code": "客户编码", "customer_name": "客户名称", "customer_type": "客户类型", "uscc": "统一社会信用代码",
    "grade": "客户等级", "salesperson": "业务员", "department": "所属部门", "phone": "联系电话", "email": "电子邮箱",
    "province": "省份", "address": "详细地址", "credit_limit": "信用额度", "payment_terms": "付款条件",
    "bank_account": "银行账号", "status": "状态", "created_on": "创建日期",
}
PRODUCT_HEADERS_ZH = {
    "internal_code": "内部编码", "product_name": "品名", "specification": "规格型号", "category": "类别", "unit": "单位",
    "customer_code": "客户编码", "customer_part_no": "客户料号", "barcode": "条形码", "list_price": "标准售价",
    "cost_price": "标准成本", "currency": "币种", "owner_department": "负责部门", "status": "状态",
}
_NAMES = ["华东机电", "恒信精密", "东方配件", "联创自动化", "瑞丰包装", "金桥五金", "宏达塑胶", "新锐电子", "博远科技",
          "天成贸易", "安泰物流", "永鑫模具", "华宇照明", "正泰元件", "德力传动", "汇通仪表", "鼎盛化工", "明珠纺织",
          "长风航运", "青山食品"]
_STAFF = ["张伟", "王芳", "李娜", "刘洋", "孙丽", "郑浩"]
_PROVINCES = ["上海市", "江苏", "浙江省", "广东省", "北京", "山东省"]


def make_uscc(n: int) -> str:
    """A valid unified social credit code, different for each n."""
    body = f"91310000{n:09d}"
    return body + uscc.calc_check_digit(body)


def make_gtin13(n: int) -> str:
    """A valid GTIN-13, different for each n."""
    body = f"690{n:09d}"
    return body + ean.calc_check_digit(body)


def customer(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid customer record (field name -> cell value); `overrides` replace fields."""
    rec: dict[str, Any] = {
        "customer_code": f"C{100000 + i:06d}",
        "customer_name": f"上海{_NAMES[i % len(_NAMES)]}{i}号有限公司",
        "customer_type": "企业",
        "uscc": make_uscc(i),
        "grade": "B",
        "salesperson": _STAFF[i % len(_STAFF)],
        "department": "销售部",
        "phone": f"1381234{i:04d}",
        "email": f"buyer{i}@example.cn",
        "province": _PROVINCES[i % len(_PROVINCES)],
        "address": f"浦东新区张江路{i}号",
        "credit_limit": 500000,
        "payment_terms": "月结30天",
        "bank_account": f"62220212345{i:06d}",
        "status": "启用",
        "created_on": dt.date(2023, 1, 1) + dt.timedelta(days=i),
    }
    rec.update(overrides)
    return rec


def product(i: int, **overrides: Any) -> dict[str, Any]:
    """A valid product record; `overrides` replace fields."""
    cat = ["FG", "SF", "RM"][i % 3]
    rec: dict[str, Any] = {
        "internal_code": f"{cat}{300000 + i:06d}",
        "product_name": f"不锈钢螺栓{i}",
        "specification": f"M{i % 20 + 4}×{i + 10}",
        "category": {"FG": "成品", "SF": "半成品", "RM": "原材料"}[cat],
        "unit": "个",
        "customer_code": None,
        "customer_part_no": None,
        "barcode": make_gtin13(i),
        "list_price": 12.5 + i,
        "cost_price": 8 + i,
        "currency": "CNY",
        "owner_department": "生产部",
        "status": "启用",
    }
    rec.update(overrides)
    return rec


def sheet_rows(records: list[dict[str, Any]], headers: dict[str, str], order: list[str] | None = None,
               title_rows: list[list[Any]] | None = None, extra: dict[str, list[Any]] | None = None) -> list[list[Any]]:
    """Title rows, then a header row in `order` (default: `headers` order), then one row per record.

    `extra` adds unknown columns: header -> values per record.
    """
    order = order or list(headers)
    extra = extra or {}
    rows: list[list[Any]] = [list(r) for r in (title_rows or [])]
    rows.append([headers[f] for f in order] + list(extra))
    for n, rec in enumerate(records):
        rows.append([rec.get(f) for f in order] + [vals[n] for vals in extra.values()])
    return rows


def customer_workbook(path: Any, n: int = 1) -> Any:
    """A valid customer master of `n` records on a sheet named 客户, saved at `path` (openpyxl)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in sheet_rows([customer(i) for i in range(1, n + 1)], CUSTOMER_HEADERS_ZH):
        ws.append(row)
    wb.save(path)
    return path


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def with_sheet_xml(base: Any, out: Any, write_sheet: Any) -> Any:
    """A copy of workbook `base` at `out` whose first sheet's XML is written by write_sheet(fh)
    (streamed into the zip, never held in memory: for bombs)."""
    return with_part_xml(base, out, "xl/worksheets/sheet1.xml", write_sheet)


def with_part_xml(base: Any, out: Any, part: str, write_part: Any) -> Any:
    """A copy of workbook `base` at `out` whose `part` (a sheet, the shared strings) is written by
    write_part(fh) in its place, or last when `base` has none: streamed into the zip, so a bomb is
    never held in memory."""
    import zipfile

    with zipfile.ZipFile(base) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        names = [info.filename for info in src.infolist()]
        for info in src.infolist():
            if info.filename == part:
                with dst.open(info.filename, "w", force_zip64=True) as fh:
                    write_part(fh)
            else:
                dst.writestr(info, src.read(info))
        if part not in names:
            with dst.open(part, "w", force_zip64=True) as fh:
                write_part(fh)
    return out


def error_cells_workbook(path: Any, rows: int = 40) -> Any:
    """Two sheets (xlsxwriter); the first starts at C3 with `rows` products (codes, names, units,
    numbers) and holds #N/A at F8 and #DIV/0! at E10, cached as t="e"."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("产品")
    ws.write_row(2, 2, ["物料编码", "物料名称", "计量单位", "标准成本"])
    for i in range(rows):
        ws.write_row(3 + i, 2, [f"P{i:05d}", f"螺栓 {i}", "PCS"])
        ws.write_number(3 + i, 5, 10.5 + i)
    ws.write_formula(7, 5, "=NA()", None, "#N/A")
    ws.write_formula(9, 4, "=1/0", None, "#DIV/0!")
    wb.add_worksheet("说明").write(0, 0, "填表说明")
    wb.close()
    return path
