"""A macro-enabled workbook (.xlsm with a vbaProject.bin part) is read like any other (issue 26.6):
its defects are found, the exit code says so, and no "Exception ignored" (an unclosed zip) is
printed, in a real dq process: through validate with every workbook report, and fix."""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path

from builders import customer_workbook
from dq_cli import spawn_dq
from openpyxl import load_workbook

_MACRO_MAIN = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
_VBA_TYPE = b"http://schemas.microsoft.com/office/2006/relationships/vbaProject"


def _macro_workbook(tmp_path: Path, rows: int = 3) -> Path:
    """A customer master whose row 3 has an invalid e-mail, saved as .xlsm with a VBA project."""
    plain = customer_workbook(tmp_path / "plain.xlsx", n=rows)
    wb = load_workbook(plain)
    wb.active["I3"] = "not-an-email"
    wb.save(plain)
    out = tmp_path / "macros.xlsm"
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "[Content_Types].xml":
                data = data.replace(b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", _MACRO_MAIN)
                data = data.replace(b"<Default ", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/><Default ', 1)
            elif info.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>",
                                    b'<Relationship Id="rIdVBA" Type="%s" Target="vbaProject.bin"/></Relationships>' % _VBA_TYPE)
            dst.writestr(info, data)
        # An OLE compound file, as Excel stores the VBA project (its content is never read).
        dst.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(1 << 16))
    return out


def _clean(stderr: str) -> None:
    assert "Exception ignored" not in stderr and "Traceback" not in stderr, stderr


def test_a_macro_workbook_is_validated_and_its_defect_found(tmp_path: Path) -> None:
    path = _macro_workbook(tmp_path, rows=2000)
    done = spawn_dq("validate", path, "-f", "json,xlsx", "-o", tmp_path / "out", env={"DQ_LANG": "en"})
    _clean(done.stderr)
    assert done.returncode == 1, done.stderr
    issues = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))["issues"]
    assert [(i["rule"], i["cell"]) for i in issues if i["rule"] == "IDN005"] == [("IDN005", "客户!I3")]
    annotated = tmp_path / "out" / "macros.annotated.xlsm"
    with zipfile.ZipFile(annotated) as zf:  # the copy keeps the workbook's kind and its macros
        assert zf.testzip() is None and "xl/vbaProject.bin" in zf.namelist()


def test_a_macro_workbook_is_fixed(tmp_path: Path) -> None:
    path = _macro_workbook(tmp_path)
    done = spawn_dq("fix", path, "-o", tmp_path / "fixed.xlsx", env={"DQ_LANG": "en"})
    _clean(done.stderr)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "fixed.xlsx").exists()
    again = spawn_dq("validate", tmp_path / "fixed.xlsx", env={"DQ_LANG": "en"})
    _clean(again.stderr)
    assert again.returncode == 1 and "I3" in again.stdout  # the e-mail is no certain fix: still reported
