"""A workbook opened for editing (ooxml.workbook, ooxml.notes): the parts dq adds, the parts it keeps."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from report_helpers import rewritten

from dataquality.ooxml.workbook import NoteStyle, WorkbookEdit
from dataquality.ooxml.worksheet import CellEdit

VML_CONTROL = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
               b'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="1"/>'
               b'</o:shapelayout><v:shapetype id="_x0000_t201" coordsize="21600,21600" o:spt="201" path="m,l,21600r21600,l21600,xe"/>'
               b'<v:shape id="_x0000_s1025" type="#_x0000_t201"><v:textbox><div><font>Button 1<br></font></div></v:textbox>'
               b'<x:ClientData ObjectType="Button"><x:Anchor>1, 0, 1, 0, 2, 0, 3, 0</x:Anchor></x:ClientData></v:shape></xml>')


def _book(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    for r in range(1, 6):
        ws.append([f"a{r}", r])
    wb.save(path)
    return path


def _mark(book: WorkbookEdit, name: str, cells: list[tuple[int, int]], texts: list[str]) -> None:
    sheet = book.worksheet(name)
    sheet.edit({r: {c: CellEdit(lambda base: book.styles.with_fill(base, "FFFF0000"))} for r, c in cells})
    book.add_notes(name, sheet, cells, texts, NoteStyle("dq"))
    book.put_worksheet(name, sheet)


def test_notes_join_the_sheets_own_and_their_boxes_join_a_drawing_with_form_controls(tmp_path: Path) -> None:
    source = _book(tmp_path / "in.xlsx")
    rels = (b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing" '
            b'Target="../drawings/vmlDrawing1.vml"/></Relationships>')
    edits = {"xl/worksheets/sheet1.xml": (b"</worksheet>", b'<legacyDrawing xmlns:r="http://schemas.openxmlformats.org/officeDocument/'
                                                           b'2006/relationships" r:id="rId1"/></worksheet>'),
             "[Content_Types].xml": (b"</Types>", b'<Default Extension="vml" ContentType="application/vnd.openxmlformats-officedocument.'
                                                  b'vmlDrawing"/></Types>')}
    button = rewritten(source, tmp_path / "button.xlsx", lambda name, data: data.replace(*edits[name]) if name in edits else data,
                       add={"xl/drawings/vmlDrawing1.vml": VML_CONTROL, "xl/worksheets/_rels/sheet1.xml.rels": rels})
    out = tmp_path / "out.xlsx"
    with WorkbookEdit(button, out) as book:
        _mark(book, "data", [(2, 0), (3, 1)], ["first", "second"])
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        vml = zf.read("xl/drawings/vmlDrawing1.vml")
        sheet = zf.read("xl/worksheets/sheet1.xml")
    assert [n for n in names if n.endswith(".vml")] == ["xl/drawings/vmlDrawing1.vml"]  # no second drawing for the sheet
    assert sheet.count(b"legacyDrawing") == 1 and b"Button 1<br>" in vml  # the control is still there, untouched
    assert re.findall(rb'id="(_x0000_s\d+)"', vml) == [b"_x0000_s1025", b"_x0000_s2049", b"_x0000_s2050"]  # block 2: block 1 is taken
    assert b'data="1,2"' in vml and b'id="_x0000_t202"' in vml
    ws = load_workbook(out)["data"]
    assert (ws["A2"].comment.text, ws["B3"].comment.text) == ("first", "second")
    assert ws["A2"].fill.fgColor.rgb == "FFFF0000"

    again = tmp_path / "again.xlsx"  # a second run: a noted cell gets the new note below, a new one its box
    with WorkbookEdit(out, again) as book:
        _mark(book, "data", [(2, 0), (4, 0)], ["later", "fourth"])
    ws = load_workbook(again)["data"]
    assert (ws["A2"].comment.text, ws["B3"].comment.text, ws["A4"].comment.text) == ("first\nlater", "second", "fourth")
    with zipfile.ZipFile(again) as zf:
        assert len(re.findall(rb"<v:shape ", zf.read("xl/drawings/vmlDrawing1.vml"))) == 4
        assert sum(n.startswith("xl/comments") for n in zf.namelist()) == 1


def test_notes_with_plain_text_are_extended(tmp_path: Path) -> None:
    wb = load_workbook(_book(tmp_path / "in.xlsx"))
    wb["data"]["A1"].comment = Comment("by hand", "Li")  # openpyxl writes the text as runs; Excel often as one <t>
    wb.save(tmp_path / "in.xlsx")
    plain = rewritten(tmp_path / "in.xlsx", tmp_path / "plain.xlsx", lambda name, data: re.sub(
        rb"<text>.*?</text>", b"<text><t>by hand</t></text>", data) if name.startswith("xl/comments") else data)
    out = tmp_path / "out.xlsx"
    with WorkbookEdit(plain, out) as book:
        _mark(book, "data", [(1, 0)], ["dq says"])
    assert load_workbook(out)["data"]["A1"].comment.text == "by hand\ndq says"


def test_a_workbook_elsewhere_without_styles_keeps_every_other_part_byte_for_byte(tmp_path: Path) -> None:
    source = _book(tmp_path / "in.xlsx")

    def moved(name: str, data: bytes) -> bytes | None:
        if name == "xl/styles.xml":
            return None
        data = data.replace(b"xl/workbook.xml", b"xl/book.xml").replace(b'Target="styles.xml"', b'Target="gone.xml"')
        return re.sub(rb' s="\d+"', b"", data) if name.startswith("xl/worksheets/") else data  # without styles no cell has a format

    odd = rewritten(source, tmp_path / "odd.xlsx", moved, add={"xl/vbaProject.bin": b"\x00macro bytes\xff"},
                    rename={"xl/workbook.xml": "xl/book.xml", "xl/_rels/workbook.xml.rels": "xl/_rels/book.xml.rels"})
    out = tmp_path / "out.xlsx"
    with WorkbookEdit(odd, out) as book:
        assert book.workbook_part == "xl/book.xml"
        _mark(book, "data", [(2, 1)], ["n"])
        assert book.add_sheet("DATA", [b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
                                       b'2006/main"><sheetData/></worksheet>']) == "DATA (2)"
    with zipfile.ZipFile(odd) as before, zipfile.ZipFile(out) as after:
        assert after.read("xl/vbaProject.bin") == before.read("xl/vbaProject.bin")
        assert after.read("docProps/core.xml") == before.read("docProps/core.xml")
        styles = [n for n in after.namelist() if n.startswith("xl/styles")]
        assert len(styles) == 1 and styles[0].encode() in after.read("xl/_rels/book.xml.rels")
    wb = load_workbook(out)
    assert wb.sheetnames == ["data", "DATA (2)"] and wb["data"]["B2"].fill.fgColor.rgb == "FFFF0000"


def test_a_damaged_part_is_an_error_of_the_workbook_not_a_crash(tmp_path: Path) -> None:
    import pytest

    from dataquality.ooxml import OoxmlError

    source = _book(tmp_path / "in.xlsx")
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as zf:
        info = zf.getinfo("docProps/app.xml")  # a part no writer changes: copied when the copy is saved
    at = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra) + 2
    data[at: at + 8] = b"\xff" * 8
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(data))
    with pytest.raises(OoxmlError, match="docProps/app.xml"), WorkbookEdit(damaged, tmp_path / "out.xlsx") as book:
        _mark(book, "data", [(1, 0)], ["n"])
    text = tmp_path / "text.xlsx"
    text.write_text("not a zip")
    with pytest.raises(OoxmlError, match="not a readable zip"):
        WorkbookEdit(text, tmp_path / "x.xlsx")
