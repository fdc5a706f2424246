"""dq learn: a company's own conventions learned from its clean master, written for review; the
master passes its own schemas, and a new file with planted defects gets exactly those."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dq_cli import run_dq

from dataquality.checks.conventions import pattern_for
from dataquality.config import Config
from dataquality.learn import learn, write
from dataquality.load.mapping import read_mappings
from dataquality.pipeline import run


def _ean(body: str) -> str:
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


PRODUCT_HEADER = ["商品编号", "商品名称", "规格", "分类", "单位", "零售价", "进价", "状态", "条码"]
CATEGORIES = ["饮料", "零食", "日用品", "粮油"]
UNITS = ["瓶", "袋", "个", "箱"]


def _products(n: int = 60) -> list[list[object]]:
    return [[f"SKU-{i:05d}", f"商品{i}", f"{i * 10}ml", CATEGORIES[i % 4], UNITS[i % 4], round(5 + i * 0.5, 2),
             round(3 + i * 0.3, 2), "在售" if i % 7 else "停售", _ean(f"690{i:09d}")] for i in range(1, n + 1)]


CUSTOMER_HEADER = ["客户编号", "客户名称", "业务员", "部门", "客户级别", "联系电话", "地址", "付款方式", "信用额度"]
SALES = ["周一", "吴二", "郑三"]
DEPARTMENTS = ["华东大区", "华南大区"]
GRADES = ["VIP", "普通", "重点"]


def _customers(n: int = 40) -> list[list[object]]:
    return [[f"KH{i:04d}", f"客户{i}有限公司", SALES[i % 3], DEPARTMENTS[i % 2], GRADES[i % 3], f"1380000{i:04d}",
             f"上海市{i}号", ["月结30天", "现金", "季结"][i % 3], 10000 * (i % 5)] for i in range(1, n + 1)]


@pytest.fixture
def learned(tmp_path: Path, write_xlsx, config: Config) -> tuple[Path, Path, Path]:
    master = write_xlsx("master.xlsx", {"商品资料": [PRODUCT_HEADER, *_products()], "客户资料": [CUSTOMER_HEADER, *_customers()]})
    out = tmp_path / "learned"
    write(learn([master], config, "en"), out, config, "en")
    return master, out, out / "mapping.yaml"


def _found(path: Path, folder: Path) -> list[tuple[int | None, str | None, str]]:
    config = Config.load(folder / "schemas", folder / "rules")
    result = run(config, [path], mappings=read_mappings([folder / "mapping.yaml"], config))
    return sorted((i.row, i.field, i.rule) for i in result.issues if i.severity.value != "info")


def test_the_clean_master_passes_its_own_learned_schemas(learned) -> None:
    master, folder, _ = learned
    assert _found(master, folder) == []


def test_a_new_file_with_planted_defects_gets_exactly_those(learned, write_xlsx) -> None:
    _, folder, _ = learned
    products = _products()
    products[3][0] = "SKU12"           # row 5: another code format
    products[4][1] = None              # row 6: the name missing
    products[5][3] = "玩具"             # row 7: a category the company does not have
    products[6][5] = -3                # row 8: a negative price
    products[7][8] = "6901234567890"   # row 9: a broken EAN check digit
    products[8][0] = products[9][0]    # rows 10 and 11: one code twice
    products[10][5] = 900              # row 12: a price far above anything the company sells at
    customers = _customers()
    customers[2][2] = "王五"            # row 4: a salesperson not among the company's staff
    customers[3][4] = "黄金"            # row 5: a grade the company does not use
    customers[4][0] = "K5"             # row 6: a customer code of another format
    new = write_xlsx("new_2024-05.xlsx", {"商品资料": [PRODUCT_HEADER, *products], "客户资料": [CUSTOMER_HEADER, *customers]})
    assert _found(new, folder) == sorted([
        (5, "internal_code", "FMT001"), (6, "product_name", "REQ001"), (7, "category", "ENM001"),
        (8, "list_price", "RNG001"), (9, "barcode", "IDN002"), (10, "internal_code", "UNQ001"),
        (11, "internal_code", "UNQ001"), (12, "list_price", "RNG002"),
        (4, "salesperson", "REF001"), (5, "grade", "ENM001"), (6, "customer_code", "FMT001"),
    ])


def test_what_is_written_is_readable_and_says_why(learned) -> None:
    _, folder, mapping = learned
    product = yaml.safe_load((folder / "schemas" / "product.yaml").read_text(encoding="utf-8"))
    assert product["conventions"] == "own"
    assert product["fields"]["internal_code"]["pattern"] == "^SKU-[0-9]{5}$"
    assert "'SKU' + '-' + 5 digits" in product["fields"]["internal_code"]["format"]["en"]
    assert set(product["fields"]["category"]["values"]) == set(CATEGORIES)
    assert product["fields"]["list_price"]["min"] == {"value": 0, "exclusive": True}  # the shipped > 0 holds
    assert product["fields"]["cost_price"]["min"] == 0 and product["fields"]["list_price"]["max"] == 500
    staff = yaml.safe_load((folder / "rules" / "staff.yaml").read_text(encoding="utf-8"))["staff"]
    assert {s["name"] for s in staff} == set(SALES)  # the example staff list knew none of them: replaced
    layout = yaml.safe_load(mapping.read_text(encoding="utf-8"))["sheets"]
    assert {s["file"] for s in layout} == {"*"} and all(s["headers"] for s in layout)  # matched by layout
    summary = (folder / "LEARNED.md").read_text(encoding="utf-8")
    assert "SKU-[0-9]{5}" in summary and "季结" in summary


def test_dq_learn_command_and_init_from(tmp_path: Path, write_xlsx) -> None:
    master = write_xlsx("master.xlsx", {"商品资料": [PRODUCT_HEADER, *_products()]})
    done = run_dq("learn", master, "-o", tmp_path / "out", "--lang", "zh")
    assert done.returncode == 0, done.stderr
    assert "product.internal_code" in done.stdout and (tmp_path / "out" / "LEARNED.md").is_file()
    project = tmp_path / "proj"
    done = run_dq("init", project, "--from", master, "--lang", "en", input="\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mappings: [mapping.yaml]" in (project / "dq.yaml").read_text(encoding="utf-8")
    learned = yaml.safe_load((project / "schemas" / "product.yaml").read_text(encoding="utf-8"))
    assert learned["fields"]["internal_code"]["pattern"] == "^SKU-[0-9]{5}$"


def test_nothing_to_learn_is_a_clear_error(tmp_path: Path, write_xlsx) -> None:
    empty = write_xlsx("notes.xlsx", {"Sheet1": [["备注"], ["随便写写"]]})
    done = run_dq("learn", empty, "-o", tmp_path / "out", "--lang", "en")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "notes.xlsx" in done.stderr


@pytest.mark.parametrize(("codes", "pattern"), [
    (["SKU-00001", "SKU-00123"], "SKU-[0-9]{5}"),
    (["FG000001", "RM000002"], "[A-Z]{2}[0-9]{6}"),
    (["A.1", "A.22"], "A\\.[0-9]{1,2}"),
    (["物料0001", "物料0002"], "物料[0-9]{4}"),
])
def test_patterns_keep_what_every_code_shares(codes: list[str], pattern: str) -> None:
    import re

    import pandas as pd

    got, _ = pattern_for(pd.Series(codes))
    assert got == pattern and all(re.fullmatch(got, c) for c in codes)
