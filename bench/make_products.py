"""Write a large product workbook for benchmarks: python bench/make_products.py ROWS OUT.xlsx."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import xlsxwriter

HEADERS = ["内部编码", "品名", "规格型号", "类别", "单位", "客户编码", "客户料号", "条形码", "标准售价", "标准成本", "币种", "负责部门", "状态", "备注"]
UNITS = ["PCS", "SET", "KG", "个", "套", "箱"]


def main(rows: int, out: Path) -> None:
    """Write `rows` product records (about 1% with planted problems) to `out`."""
    rng = random.Random(7)
    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    ws = wb.add_worksheet("产品主数据")
    ws.write_row(0, 0, ["产品主数据"])
    ws.write_row(1, 0, HEADERS)
    cats = ["FG", "SF", "RM"]
    for i in range(rows):
        cat = cats[i % 3]
        code = f"{cat}{i % 1000000:06d}"
        if i % 997 == 0:
            code = code.lower()
        cost = round(rng.uniform(1, 500), 2)
        ws.write_row(i + 2, 0, [
            code, f"产品{i % 50000}", f"规格-{i}", {"FG": "成品", "SF": "半成品", "RM": "原材料"}[cat],
            UNITS[i % len(UNITS)] if i % 1009 else "盒子", f"C{i % 5000:06d}" if i % 4 == 0 else None, None, None,
            round(cost * 1.3, 2) if i % 1013 else 0, cost, "CNY", "生产部", "启用", None,
        ])
    wb.close()


if __name__ == "__main__":
    main(int(sys.argv[1]), Path(sys.argv[2]))
