"""Bad input: one clear line naming the file and what to do, exit code 2, never a traceback."""

from __future__ import annotations

import pytest
from builders import CUSTOMER_HEADERS_ZH, customer, customer_workbook, sheet_rows
from dq_cli import assert_one_line_error, dq
from openpyxl import Workbook


def test_truncated_workbook(tmp_path):
    good = customer_workbook(tmp_path / "good.xlsx")
    bad = tmp_path / "truncated.xlsx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    assert_one_line_error(dq("validate", str(bad)), bad, "damaged or truncated")


def test_corrupt_workbook_member(tmp_path):
    good = customer_workbook(tmp_path / "good.xlsx")
    data = bytearray(good.read_bytes())
    # Flip bytes in the middle of the compressed sheet data: the zip's CRC check fails.
    mid = len(data) // 2
    data[mid : mid + 64] = bytes(64)
    bad = tmp_path / "corrupt.xlsx"
    bad.write_bytes(bytes(data))
    proc = dq("validate", str(bad))
    assert_one_line_error(proc, bad)
    assert "Excel" in proc.stderr


def test_empty_workbook(tmp_path):
    path = tmp_path / "empty.xlsx"
    Workbook().save(path)
    assert_one_line_error(dq("validate", str(path)), path, "no data")


def test_empty_file(tmp_path):
    path = tmp_path / "zero.xlsx"
    path.write_bytes(b"")
    assert_one_line_error(dq("validate", str(path)), path, "empty")


def test_header_only(tmp_path):
    """A header and no records is read (0 records) and said once as FIL009, not a stop."""
    import json

    path = tmp_path / "header.xlsx"
    wb = Workbook()
    wb.active.title = "客户"
    wb.active.append(list(CUSTOMER_HEADERS_ZH.values()))
    wb.save(path)
    proc = dq("validate", str(path), "--format", "json", "--out", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    found = [(i["rule"], i["row"]) for i in report["issues"]]
    assert found == [("FIL009", 1)]
    assert "Only a header (row 1)" in report["issues"][0]["message"]


def test_required_column_missing(tmp_path):
    path = tmp_path / "missing.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    headers = {k: v for k, v in CUSTOMER_HEADERS_ZH.items() if k not in ("phone", "address")}
    for row in sheet_rows([customer(1)], headers):
        ws.append(row)
    wb.save(path)
    out = tmp_path / "out"
    proc = dq("validate", str(path), "--format", "json", "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    import json

    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    missing = {(i["rule"], i["field"], i["row"], i["severity"]) for i in report["issues"] if i["rule"] == "FIL004"}
    assert missing == {("FIL004", "phone", None, "error"), ("FIL004", "address", None, "error")}
    assert report["summary"]["records"] == {"customer": 1}


def test_encrypted_workbook(tmp_path):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml", reason="msoffcrypto-tool (test extra) encrypts the workbook")
    plain = customer_workbook(tmp_path / "plain.xlsx")
    path = tmp_path / "locked.xlsx"
    with plain.open("rb") as src, path.open("wb") as out:
        ooxml.OOXMLFile(src).encrypt("secret", out)
    assert_one_line_error(dq("validate", str(path)), path, "password")


def test_sheet_without_recognisable_header(tmp_path):
    """A readable file in which nothing names or reveals a master is not an unreadable input (exit 2):
    it is one error saying nothing was checked, and how to map it (exit 1)."""
    path = tmp_path / "noheader.xlsx"
    wb = Workbook()
    ws = wb.active
    for row in (["月度报表"], ["甲", "乙", "丙"], [1, 2, 3]):
        ws.append(row)
    wb.save(path)
    res = dq("validate", str(path), "-f", "json", "-o", tmp_path / "out", "--lang", "en")
    assert res.returncode == 1 and "Traceback" not in res.stderr
    import json

    [issue] = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["issues"]
    assert issue["rule"] == "FIL013" and "nothing was checked" in issue["message"]
    assert "dq map noheader.xlsx -o mapping.yaml" in issue["hint"]


def test_customer_sheet_without_header(tmp_path):
    path = tmp_path / "named.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "客户主数据"
    ws.append(["甲", "乙"])
    wb.save(path)
    res = dq("validate", str(path))
    said = " ".join((res.stdout + res.stderr).split())
    assert res.returncode == 1 and "Traceback" not in said
    assert "named.xlsx, sheet 客户主数据" in said and "nothing was checked" in said


def test_missing_file(tmp_path):
    path = tmp_path / "nope.xlsx"
    assert_one_line_error(dq("validate", str(path)), path, "not found")


def test_messages_in_chinese(tmp_path):
    path = tmp_path / "zero.xlsx"
    path.write_bytes(b"")
    proc = dq("validate", str(path), "--lang", "zh")
    assert proc.returncode == 2
    assert "文件为空" in proc.stderr


def test_bad_schema_yaml_names_file_and_key(tmp_path):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "customer.yaml").write_text("entity: customer\nkey: code\nfields:\n  code:\n    type: number\n", encoding="utf-8")
    good = customer_workbook(tmp_path / "good.xlsx")
    proc = dq("validate", str(good), "--schemas", str(schemas))
    assert proc.returncode == 2
    assert "customer.yaml" in proc.stderr and "fields.code.type" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_broken_yaml_names_line(tmp_path):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    (schemas / "customer.yaml").write_text("entity: customer\nfields: [unclosed\n", encoding="utf-8")
    good = customer_workbook(tmp_path / "good.xlsx")
    proc = dq("validate", str(good), "--schemas", str(schemas))
    assert proc.returncode == 2
    assert "customer.yaml, line" in proc.stderr


def test_input_file_is_never_modified(tmp_path):
    path = customer_workbook(tmp_path / "good.xlsx")
    before = path.read_bytes(), path.stat().st_mtime_ns
    proc = dq("validate", str(path), "--format", "json", "--out", str(tmp_path / "out"))
    assert proc.returncode in (0, 1), proc.stderr
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
