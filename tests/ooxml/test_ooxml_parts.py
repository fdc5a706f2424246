"""The workbook's own parts (ooxml.styles, ooxml.parts, ooxml.package): formats added without
changing the workbook's, relationships and content types edited as XML, zips written with
public zipfile calls only."""

from __future__ import annotations

import ast
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from dataquality.ooxml.package import BIG_PART, Package, PackageWriter, write_part
from dataquality.ooxml.parts import ContentTypes, Relationships, resolve
from dataquality.ooxml.styles import Styles

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
ROOT = Path(__file__).resolve().parents[2]
STYLES = (f'<x:styleSheet xmlns:x="{NS}"><x:numFmts count="1"><x:numFmt numFmtId="164" formatCode="0.000"/></x:numFmts>'
          '<x:fonts count="1"><x:font><x:b/></x:font></x:fonts><x:fills count="2"><x:fill><x:patternFill patternType="none"/></x:fill>'
          '<x:fill><x:patternFill patternType="gray125"/></x:fill></x:fills><x:borders count="1"><x:border/></x:borders>'
          '<x:cellXfs count="3"><x:xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
          '<x:xf numFmtId="49" fontId="0" fillId="0" borderId="3" xfId="0" applyNumberFormat="1"><x:alignment wrapText="1"/></x:xf>'
          '<x:xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></x:cellXfs></x:styleSheet>').encode()


def test_a_fill_is_added_to_a_cells_own_format_which_keeps_the_rest() -> None:
    styles = Styles(STYLES)
    assert [styles.number_format(i) for i in (0, 1, 2, 99)] == ["General", "@", "0.000", "General"]
    red = styles.with_fill(1, "FFFF9999")
    assert styles.with_fill(1, "FFFF9999") == red == 3  # made once
    dated = styles.with_fill(1, "FFFF9999", "yyyy-mm-dd")
    root = etree.fromstring(styles.to_bytes())
    xfs = root.find(f"{{{NS}}}cellXfs")
    assert xfs.get("count") == "5" and len(xfs) == 5
    new = xfs[red]
    assert (new.get("borderId"), new.get("numFmtId"), new.get("applyFill")) == ("3", "49", "1")
    assert new.find(f"{{{NS}}}alignment").get("wrapText") == "1"  # alignment kept
    fill = root.find(f"{{{NS}}}fills")[int(new.get("fillId"))]
    assert fill.find(f".//{{{NS}}}fgColor").get("rgb") == "FFFF9999" and root.find(f"{{{NS}}}fills").get("count") == "3"
    assert styles.number_format(dated) == "yyyy-mm-dd" and xfs[dated].get("numFmtId") == "165"
    assert [el.get("formatCode") for el in root.find(f"{{{NS}}}numFmts")] == ["0.000", "yyyy-mm-dd"]
    assert all(etree.QName(el).namespace == NS for el in root.iter())  # new elements in the part's namespace, with its prefix
    assert b"<x:xf " in styles.to_bytes() and b"<xf " not in styles.to_bytes()


def test_a_workbook_without_styles_gets_a_minimal_part_and_missing_sections_are_made_in_order() -> None:
    styles = Styles(None)
    bold = styles.xf(font=styles.font(bold=True), number_format="@")
    assert bold == 1 and styles.changed and styles.number_format(bold) == "@"
    bare = Styles(f'<styleSheet xmlns="{NS}"><cellXfs count="1"><xf numFmtId="0"/></cellXfs><dxfs count="0"/></styleSheet>'.encode())
    bare.with_fill(0, "FF00FF00", "0.0%")
    names = [etree.QName(el).localname for el in etree.fromstring(bare.to_bytes())]
    assert names == ["numFmts", "fills", "cellXfs", "dxfs"]


def test_relationships_and_content_types_are_edited_as_xml() -> None:
    rels = Relationships("xl/worksheets/sheet1.xml", b'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                         b'package/2006/relationships"><Relationship Id="rId1" Type="http://x/drawing" Target="../drawings/d1.xml"/>'
                         b'<Relationship Id="rId2" Type="http://x/hyperlink" Target="http://e.com" TargetMode="External"/></Relationships>')
    assert rels.name == "xl/worksheets/_rels/sheet1.xml.rels"
    assert rels.targets("drawing") == [("rId1", "xl/drawings/d1.xml")] and rels.target("rId2") is None
    new = rels.add("http://x/comments", "xl/comments_dq1.xml", "rId")
    assert new == "rId3" and rels.target(new) == "xl/comments_dq1.xml"
    rels.remove("rId1")
    assert [el.get("Id") for el in etree.fromstring(rels.to_bytes())] == ["rId2", "rId3"]
    types = ContentTypes(b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                         b'<Override PartName="/xl/calcChain.xml" ContentType="c"/></Types>')
    types.add_default("vml", "v")
    types.add_default("VML", "v")
    types.add_override("xl/comments_dq1.xml", "k")
    types.remove_override("xl/calcChain.xml")
    root = etree.fromstring(types.to_bytes())
    assert [(etree.QName(el).localname, el.get("Extension") or el.get("PartName")) for el in root] == \
        [("Default", "vml"), ("Override", "/xl/comments_dq1.xml")]
    assert resolve("xl/workbook.xml", "../customXml/item1.xml") == "customXml/item1.xml"
    assert resolve("xl/workbook.xml", "/xl/styles.xml") == "xl/styles.xml"


def test_written_parts_read_back_and_copied_parts_keep_their_date_attributes_and_method(tmp_path: Path) -> None:
    big = b"<row><c><v>1234</v></c></row>" * 200_000
    pieces = [memoryview(big)[i:i + 70_000] for i in range(0, len(big), 70_000)]
    source = tmp_path / "in.zip"
    with zipfile.ZipFile(source, "w", zipfile.ZIP_DEFLATED) as zf:
        kept = zipfile.ZipInfo("xl/media/kept.xml", (2020, 5, 17, 8, 30, 0))
        kept.external_attr = 0o644 << 16
        kept.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(kept, b"<kept/>" * 300_000)
        zf.writestr("xl/media/image.png", b"\x89PNG" * 100, compress_type=zipfile.ZIP_STORED)
        zf.writestr("old.xml", b"<old/>")
    target = tmp_path / "out.zip"
    with Package(source) as package, PackageWriter(package, target) as out:
        out.put("big.xml", big)
        out.put("pieces.xml", pieces)
        out.put("small.xml", b"<a/>")
        out.drop("old.xml")
        with pytest.raises(ValueError, match="twice"):
            out.put("small.xml", b"<b/>")
    with zipfile.ZipFile(target) as zf:
        assert zf.testzip() is None
        assert sorted(zf.namelist()) == ["big.xml", "pieces.xml", "small.xml", "xl/media/image.png", "xl/media/kept.xml"]
        assert zf.read("big.xml") == big == zf.read("pieces.xml") and zf.read("small.xml") == b"<a/>"
        info = zf.getinfo("xl/media/kept.xml")
        assert (info.date_time, info.external_attr, info.compress_type) == ((2020, 5, 17, 8, 30, 0), 0o644 << 16, zipfile.ZIP_DEFLATED)
        assert zf.getinfo("xl/media/image.png").compress_type == zipfile.ZIP_STORED
        assert all(i.compress_size < i.file_size / 10 for i in zf.infolist() if i.filename.endswith(".xml") and i.file_size > BIG_PART)


def test_the_writer_stops_cleanly_on_an_error(tmp_path: Path) -> None:
    source = tmp_path / "in.zip"
    with zipfile.ZipFile(source, "w") as zf:
        zf.writestr("a.xml", b"<a/>")
    with Package(source) as package:
        with pytest.raises(ValueError, match="half-way"), PackageWriter(package, tmp_path / "broken.zip") as out:
            out.put("b.xml", b"<b/>")
            raise ValueError("half-way")
        with pytest.raises(TypeError), PackageWriter(package, tmp_path / "bad.zip") as out:
            out.put("c.xml", [b"<c/>", 7])  # type: ignore[list-item]  # the worker's error comes out where the writer is closed


def test_a_large_part_is_streamed_in_blocks(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "z.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        write_part(zf, "p.xml", [b"x" * 10] * (BIG_PART // 5))
    with zipfile.ZipFile(tmp_path / "z.zip") as zf:
        assert zf.read("p.xml") == b"x" * (BIG_PART // 5 * 10)


# Attributes of another library's objects dq may use although they start with "_": the public API
# of named tuples, and lxml's element class (documented under that name, used in type hints).
_PUBLIC_UNDERSCORED = {"_replace", "_make", "_asdict", "_fields", "_Element"}


def test_the_writers_use_no_private_attribute_of_a_library() -> None:
    """zipfile's compressor, XlsxWriter's format numbers ...: only names a library documents.
    (An attribute starting with "_" on anything but the writers' own objects fails here.)"""
    found = []
    # ooxml/deflate.py is the one adapter (zipfile's compressor, for speed only), tested below.
    files = [*sorted(p for p in (ROOT / "dataquality" / "ooxml").glob("*.py") if p.name != "deflate.py"),
             *sorted((ROOT / "dataquality" / "report").glob("*.py")), ROOT / "dataquality" / "fix.py"]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__") \
                    and node.attr not in _PUBLIC_UNDERSCORED:
                owner = node.value
                if isinstance(owner, ast.Name) and owner.id in ("self", "cls"):
                    continue
                found.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert found == []


@pytest.mark.parametrize("isal", [True, False], ids=["isal", "zlib"])
def test_large_parts_are_deflated_by_isal_through_the_one_adapter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isal: bool) -> None:
    """Fails when zipfile stops taking the compressor dq gives it (Python changed its internals):
    then large parts are deflated by zlib, correctly but several times slower; see ooxml/deflate.py."""
    import sys

    from dataquality.ooxml.deflate import deflated_by_isal, open_deflated

    if not isal:
        monkeypatch.setitem(sys.modules, "isal", None)  # import isal now raises ImportError
    data = b"<row><c><v>1234</v></c></row>" * 100_000
    with zipfile.ZipFile(tmp_path / "z.zip", "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        kept = zipfile.ZipInfo("kept.xml", (2020, 5, 17, 8, 30, 0))
        kept.compress_type = zipfile.ZIP_DEFLATED
        for member in ("new.xml", kept):
            with open_deflated(zf, member, force_zip64=False) as fh:
                assert deflated_by_isal(fh) is isal
                fh.write(data)
    with zipfile.ZipFile(tmp_path / "z.zip") as zf:
        assert zf.testzip() is None and zf.read("new.xml") == data == zf.read("kept.xml")
        assert zf.getinfo("kept.xml").date_time == (2020, 5, 17, 8, 30, 0)
        assert all(i.compress_type == zipfile.ZIP_DEFLATED and i.compress_size < i.file_size / 10 for i in zf.infolist())
