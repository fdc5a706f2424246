"""The real-world regression folder, judged by a person: every file is read as a person reads it
(entity, header row, records, and for every header cell the field a person reads it as), and dq
finds exactly the findings a person agrees with (by rule and count: errors and warnings, per sheet).

The judgement is data, tests/load/realworld_judged.yaml, with the reason for every call a person
might make differently. The files are read from ../shared/realworld/files/ (never copied here).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from dq_cli import run_dq
from shared_files import REALWORLD, needs_realworld

from dataquality.config import Config
from dataquality.issue import column_letter
from dataquality.load import read_file
from dataquality.load.cells import col_index
from dataquality.load.columns import base_field
from dataquality.pipeline import run

FOLDER = REALWORLD

pytestmark = needs_realworld

# file -> null (no reader opens it), or {tables: [{sheet, entity, header_row, records, columns: {letter:
# field or null}, findings: {rule: count}}], file_findings: {rule: count}}
JUDGED = yaml.safe_load((Path(__file__).resolve().parent / "realworld_judged.yaml").read_text(encoding="utf-8"))
# Said about every sheet and shown in the column table already, or about the rules themselves.
NOT_JUDGED = {"FIL001", "RUL001", "RUL002"}


@pytest.fixture(scope="module")
def config() -> Config:
    return Config.load()


def test_the_judgement_covers_the_whole_folder() -> None:
    assert sorted(p.name for p in FOLDER.iterdir()) == sorted(JUDGED)


def _columns(table) -> dict[str, str | None]:
    """Column letter -> the field dq reads it as (a second column or a part as its field), or None."""
    out: dict[str, str | None] = {}
    for m in table.matches:
        for col in m.parts or (m.column,):
            out[column_letter(col)] = base_field(m.field)
    for letter, _ in (*table.unknown_columns, *((c, h) for c, h, _ in table.duplicate_columns)):
        out.setdefault(letter, None)
    for f in table.findings:
        if f.rule == "FIL007" and f.column:
            out.setdefault(f.column, None)
    return dict(sorted(out.items(), key=lambda kv: col_index(kv[0])))


@pytest.mark.parametrize("name", sorted(JUDGED))
def test_each_file_is_read_as_a_person_reads_it(name: str, config: Config) -> None:
    judged = JUDGED[name]
    if judged is None:
        from dataquality.errors import InputError

        with pytest.raises(InputError):
            read_file(FOLDER / name, config)
        return
    read = read_file(FOLDER / name, config)
    got = [(t.sheet, t.entity, t.header_row, len(t)) for t in read.tables]
    assert got == [(t["sheet"], t["entity"], t["header_row"], t["records"]) for t in judged["tables"]]
    for table, want in zip(read.tables, judged["tables"], strict=True):
        assert _columns(table) == {str(k): v for k, v in want["columns"].items()}, table.sheet


@pytest.mark.parametrize("name", sorted(n for n, j in JUDGED.items() if j is not None))
def test_the_findings_are_the_ones_a_person_agrees_with(name: str, config: Config) -> None:
    judged = JUDGED[name]
    issues = [i for i in run(config, [FOLDER / name]).issues if i.rule not in NOT_JUDGED and i.severity.value != "info"]
    sheets = [t["sheet"] for t in judged["tables"]]
    for t in judged["tables"]:
        assert dict(Counter(i.rule for i in issues if i.sheet == t["sheet"])) == t["findings"], t["sheet"]
    assert dict(Counter(i.rule for i in issues if i.sheet not in sheets)) == judged["file_findings"]


def test_vendor_lists_are_never_taken_for_customers(config: Config) -> None:
    for name in ("akaunting_vendors.xlsx", "jshERP_vendor_template.xls", "greaterwms_supplier_cn.xlsx",
                 "northwind_suppliers.csv", "fmis_合格供方名录.xlsx"):
        assert {t.entity for t in read_file(FOLDER / name, config).tables} == {"supplier"}, name


def test_a_shops_own_categories_are_one_finding_and_its_shop_codes_no_barcodes(config: Config) -> None:
    """分类 holding 时令蔬菜 is the category, in the shop's own words (one CNV001 for the column, not 822
    errors); 条码 holding 7-digit shop codes is not a GTIN column (one FIL007, its cells not checked)."""
    result = run(config, [FOLDER / "oms2_商品资料.xlsx"])
    assert {(i.rule, i.field, i.column) for i in result.issues if i.rule in ("CNV001", "FIL007")} >= {
        ("CNV001", "category", "B"), ("FIL007", "barcode", "C")}
    assert not [i for i in result.issues if i.rule in ("ENM001", "IDN002") and i.field in ("category", "barcode")]


def test_sign_off_rows_inside_and_under_the_table_are_not_records(config: Config) -> None:
    [table] = read_file(FOLDER / "fmis_合格供方名录.xlsx", config).tables
    signoff = sorted(f.row for f in table.findings if f.rule == "FIL008")
    assert signoff == [28, 55, 82, 109, 118]  # one under each printed page, one at the end
    assert 109 not in table.data.index and 110 in table.data.index
    assert table.data.loc[4, "supplier_name"] == "山西好利阀机械制造有限公司"


def test_a_note_ends_the_table(config: Config) -> None:
    [table] = read_file(FOLDER / "fmis_产品价格表.xlsx", config).tables
    assert [(f.rule, f.row) for f in table.findings if f.rule == "FIL008"] == [("FIL008", 75)]
    assert table.data.index.max() == 71


def test_the_whole_folder_in_one_run_checks_every_readable_file(tmp_path: Path) -> None:
    """One command over all 30 files: the unreadable one is a FIL005 issue, every other file is checked
    and the reports are written; the exit code still says 2."""
    files = sorted(str(p) for p in FOLDER.iterdir())
    proc = run_dq("validate", *files, "--format", "json", "--out", tmp_path, "--quiet", env={"DQ_LANG": "en"})
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert [line for line in proc.stderr.splitlines() if line.strip()] == [
        line for line in proc.stderr.splitlines() if "odoo18_product_template.xls" in line]
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    unreadable = [i for i in report["issues"] if i["rule"] == "FIL005"]
    assert [(i["file"], i["severity"], i["row"]) for i in unreadable] == [("odoo18_product_template.xls", "error", None)]
    checked = {i["file"] for i in report["issues"]}
    assert checked >= {n for n, j in JUDGED.items() if j and any(t["records"] for t in j["tables"])}
    records: dict[str, int] = {}
    for judged in JUDGED.values():
        for t in (judged or {}).get("tables", []):
            records[t["entity"]] = records.get(t["entity"], 0) + t["records"]
    assert report["summary"]["records"] == records
