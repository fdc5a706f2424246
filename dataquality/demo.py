"""A realistic sample customer and product workbook, with problems planted, for `dq demo`."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from stdnum import ean
from stdnum.cn import uscc

from dataquality.fileio import atomic_path
from dataquality.xlsx import put

_CITIES = [("上海市", "浦东新区张江路"), ("江苏省", "苏州市工业园区星湖街"), ("浙江省", "杭州市滨江区江南大道"),
           ("广东省", "深圳市南山区科技园"), ("北京市", "海淀区中关村大街"), ("山东省", "青岛市崂山区海尔路")]
_COMPANIES = ["华东机电", "恒信精密", "东方电气配件", "联创自动化", "瑞丰包装", "金桥五金", "宏达塑胶", "新锐电子",
              "博远科技", "天成贸易", "安泰物流", "永鑫模具", "华宇照明", "正泰元件", "德力传动", "汇通仪表"]
_SALES = ["张伟", "王芳", "李娜", "刘洋", "孙丽", "郑浩"]
_GRADE_CAP = {"A": 5_000_000, "B": 1_000_000, "C": 200_000, "D": 0}
_PRODUCTS = [("不锈钢六角螺栓", "M8×30", "PCS"), ("深沟球轴承", "6204-2RS", "PCS"), ("铝合金型材", "6063-T5 40×40", "M"),
             ("电机控制板", "MCB-220V-V3", "PCS"), ("包装纸箱", "600×400×300", "BOX"), ("工业润滑油", "ISO VG46 18L", "L"),
             ("ABS 塑料粒子", "注塑级 本色", "KG"), ("密封圈套件", "NBR 70A", "SET"), ("铜端子", "SC25-8", "PCS"),
             ("气缸", "SC63×100", "PCS"), ("冷轧钢板", "SPCC 1.0mm", "KG"), ("LED 灯珠", "2835 0.2W", "PCS")]


def _uscc(rng: random.Random) -> str:
    body = "91" + f"{rng.choice([310000, 320500, 330100, 440300, 110000])}" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body)


def _phone(rng: random.Random) -> str:
    return rng.choice(["138", "139", "186", "177", "150"]) + f"{rng.randrange(10**8):08d}"


def _header_style(ws, row: int, width: int) -> None:
    for col in range(1, width + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="305496")
        cell.alignment = Alignment(horizontal="center")


def customer_rows(rng: random.Random, n: int = 40) -> list[dict]:
    """Clean customer records; problems are planted afterwards."""
    rows = []
    for i in range(n):
        province, street = _CITIES[i % len(_CITIES)]
        grade = rng.choice("AABBBCCD")
        ctype = "企业" if i % 7 else rng.choice(["个人", "政府"])
        rows.append({
            "客户编码": f"C{100001 + i:06d}",
            "客户名称": f"{province[:2]}{_COMPANIES[i % len(_COMPANIES)]}{'有限公司' if ctype == '企业' else ''}{'' if i < len(_COMPANIES) else f'（{i}）'}",
            "客户类型": ctype,
            "统一社会信用代码": _uscc(rng) if ctype == "企业" else None,
            "客户等级": grade,
            "业务员": rng.choice(_SALES),
            "所属部门": "销售部",
            "联系电话": _phone(rng),
            "电子邮箱": f"purchase{i}@example.com.cn" if i % 3 else None,
            "省份": province,
            "详细地址": f"{province}{street}{rng.randrange(1, 999)}号",
            "信用额度": min(_GRADE_CAP[grade], rng.choice([0, 50_000, 100_000, 200_000, 500_000, 1_000_000])),
            "付款条件": rng.choice(["月结30天", "月结60天", "预付", "货到付款"]),
            "银行账号": "6222" + f"{rng.randrange(10**15):015d}",
            "状态": "启用",
            "创建日期": dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(1500)),
        })
    return rows


def product_rows(rng: random.Random, n: int = 60) -> list[dict]:
    """Clean product records; problems are planted afterwards."""
    rows = []
    for i in range(n):
        name, spec, unit = _PRODUCTS[i % len(_PRODUCTS)]
        cat = ["FG", "SF", "RM"][i % 3]
        cost = round(rng.uniform(0.5, 800), 2)
        body = "69" + f"{rng.randrange(10**10):010d}"
        rows.append({
            "物料编码": f"{cat}{200001 + i:06d}",
            "品名": name,
            "规格型号": f"{spec}-{i // len(_PRODUCTS)}" if i >= len(_PRODUCTS) else spec,
            "类别": {"FG": "成品", "SF": "半成品", "RM": "原材料"}[cat],
            "单位": unit,
            "客户编码": f"C{100001 + i % 40:06d}" if i % 4 == 0 else None,
            "客户料号": f"K-{7000 + i}" if i % 4 == 0 else None,
            "条形码": body + ean.calc_check_digit(body) if i % 2 == 0 else None,
            "标准售价": round(cost * rng.uniform(1.15, 1.8), 2),
            "标准成本": cost,
            "币种": "CNY",
            "负责部门": rng.choice(["生产部", "采购部"]),
            "状态": "启用",
        })
    return rows


def _plant_customers(rows: list[dict]) -> None:
    rows[2]["客户名称"] = " " + rows[2]["客户名称"] + "  "  # stray spaces (warning, fixable)
    rows[4]["客户编码"] = "C12345"  # wrong format
    rows[6]["客户类型"] = "企业"
    rows[6]["统一社会信用代码"] = None  # enterprise without USCC
    rows[9]["联系电话"] = "１３８１２３４５６７８"  # full-width digits (warning, fixable)
    rows[11]["客户等级"] = "E"  # not an allowed grade
    rows[13]["信用额度"] = "-5,000"  # below minimum
    rows[15]["付款条件"] = "看情况"  # not a payment term
    rows[17]["客户编码"] = rows[16]["客户编码"]  # duplicate code
    rows[20]["创建日期"] = "2099-01-01"  # in the future
    rows[22]["业务员"] = None  # required value missing
    rows[25]["信用额度"] = "五十万"  # not a number
    rows[28]["统一社会信用代码"] = rows[27]["统一社会信用代码"] or rows[26]["统一社会信用代码"]  # one USCC, two customers
    rows[30]["业务员"] = "赵六"  # not in the staff list
    rows[33]["客户等级"] = "C"
    rows[33]["信用额度"] = 800_000  # above the C-grade cap


def _plant_products(rows: list[dict]) -> None:
    rows[3]["物料编码"] = "FG20004"  # wrong format
    rows[5]["单位"] = "盒子"  # not an allowed unit
    rows[7]["标准售价"] = 0  # list price must be > 0
    rows[10]["物料编码"] = "rm200011"  # lower case
    rows[12]["品名"], rows[12]["规格型号"], rows[12]["单位"] = rows[0]["品名"], rows[0]["规格型号"], rows[0]["单位"]  # one item, many codes
    rows[14]["条形码"] = "6901234567890"  # wrong check digit
    rows[16]["标准成本"] = rows[16]["标准售价"] * 2  # sold below cost
    rows[18]["物料编码"] = rows[19]["物料编码"]  # duplicate code
    rows[20]["类别"] = "成品"  # prefix SF but category FG
    rows[24]["客户编码"] = "C999999"  # customer not in the customer master
    rows[28]["客户料号"] = rows[29]["物料编码"]  # customer part no used as internal code


def _write(path: Path, sheet: str, title: str, rows: list[dict], extra_column: str | None = None) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    headers = list(rows[0].keys()) + ([extra_column] if extra_column else [])
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"导出日期：{dt.date.today():%Y-%m-%d}    数据来源：ERP 导入准备"])
    ws.append(headers)
    _header_style(ws, 3, len(headers))
    for rec in rows:
        ws.append([None] * len(headers))
        r = ws.max_row
        for c, h in enumerate(headers, start=1):
            put(ws.cell(row=r, column=c), rec.get(h, "备注" if h == extra_column and r % 5 == 0 else None))
    for c, h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=3, column=c).column_letter].width = max(10, min(36, len(str(h)) * 3))
    ws.freeze_panes = "A4"
    with atomic_path(path) as tmp:
        wb.save(tmp)


def write_demo(folder: Path, seed: int = 20261123) -> list[Path]:
    """Write customers.xlsx and products.xlsx into `folder`; returns their paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    customers, products = customer_rows(rng), product_rows(rng)
    _plant_customers(customers)
    _plant_products(products)
    cpath, ppath = folder / "customers.xlsx", folder / "products.xlsx"
    _write(cpath, "客户主数据", "客户主数据导入表", customers, extra_column="内部备注")
    _write(ppath, "产品主数据", "产品主数据导入表", products)
    return [cpath, ppath]
