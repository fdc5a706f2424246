"""Files read by what they are, never by their extension alone, each with the exact (row, field, rule)
set found and the records read: an HTML table saved as .xls, an xlsx saved as .xls, an .xls saved as
.xlsx, CSV under .xls/.txt/.dat/no extension, UTF-16 LE/BE with and without a byte-order mark
(Excel's "Unicode text"), GB18030 and Big5, Excel's `sep=;` first line, an XML Spreadsheet 2003.
Only what no reader opens stops with exit 2, one line naming the file.
"""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import pytest
from builders import CUSTOMER_HEADERS_ZH, customer
from dq_cli import assert_one_line_error, dq
from openpyxl import Workbook

from dataquality.config import Config
from dataquality.load import read_file
from dataquality.load.grid import sniff_kind
from dataquality.pipeline import run

FIELDS = list(CUSTOMER_HEADERS_ZH)
REALWORLD = Path(__file__).resolve().parents[2].parent / "shared" / "realworld" / "files"


@pytest.fixture(scope="module")
def config() -> Config:
    return Config.load()


def found(config: Config, path: Path) -> set[tuple]:
    result = run(config, [path])
    return {(i.row, i.field, i.rule) for i in result.issues if i.rule != "RUL001"}


def _records(bad_phone_at: int | None = 2) -> list[list[str]]:
    """The header and three customers; the record on row `bad_phone_at` has the phone 12345 (IDN003)."""
    rows = [[CUSTOMER_HEADERS_ZH[f] for f in FIELDS]]
    for i in range(1, 4):
        rec = customer(i, **({"phone": "12345"} if i + 1 == bad_phone_at else {}))
        rows.append([str(rec[f]) for f in FIELDS])
    return rows


def _text(rows: list[list[str]], sep: str = ",", newline: str = "\r\n") -> str:
    return newline.join(sep.join(r) for r in rows) + newline


def _read(config: Config, path: Path) -> list[tuple]:
    """(sheet, header row, rows read, customer codes) of each table read."""
    return [(t.sheet, t.header_row, list(t.data.index), list(t.data["customer_code"])) for t in read_file(path, config).tables]


CODES = ["C100001", "C100002", "C100003"]


@pytest.mark.parametrize("name", ["customers.xls", "customers.txt", "customers.dat", "customers", "customers.xlsx"])
def test_csv_under_any_extension_is_read_as_csv(tmp_path: Path, config: Config, name: str) -> None:
    path = tmp_path / name
    path.write_text(_text(_records()), encoding="utf-8")
    assert sniff_kind(path) == "csv"
    assert _read(config, path) == [(None, 1, [2, 3, 4], CODES)]
    assert found(config, path) == {(2, "phone", "IDN003")}


@pytest.mark.parametrize(("encoding", "bom"), [
    ("utf-16-le", True), ("utf-16-le", False), ("utf-16-be", True), ("utf-16-be", False)])
def test_utf16_tab_separated_text_with_and_without_a_byte_order_mark(tmp_path: Path, config: Config, encoding: str,
                                                                   bom: bool) -> None:
    """Excel's "Unicode text" (.txt): UTF-16 LE with a mark, tab-separated; the other three forms too."""
    path = tmp_path / "unicode.txt"
    mark = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}[encoding] if bom else b""
    path.write_bytes(mark + _text(_records(3), sep="\t").encode(encoding))
    assert _read(config, path) == [(None, 1, [2, 3, 4], CODES)]
    assert found(config, path) == {(3, "phone", "IDN003")}


def test_an_all_chinese_utf16_file_without_a_mark(tmp_path: Path, config: Config) -> None:
    """Few ASCII characters (only tabs, line ends and digits): still told from its zero bytes."""
    rows = [["客户编码", "客户名称", "省份"], ["甲一", "上海甲公司", "上海市"], ["乙二", "北京乙公司", "北京"]]
    path = tmp_path / "zh.txt"
    path.write_bytes(_text(rows, sep="\t").encode("utf-16-le"))
    [table] = read_file(path, config).tables
    assert list(table.data["customer_name"]) == ["上海甲公司", "北京乙公司"]


def test_a_csv_whose_first_cell_starts_with_a_bracket_is_csv(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("<序号>,客户编码,客户名称\n1,C100001,上海甲公司\n", encoding="utf-8")
    assert sniff_kind(path) == "csv"
    assert _read(config, path) == [(None, 1, [2], ["C100001"])]


@pytest.mark.parametrize("encoding", ["gb18030", "cp950"])
def test_gbk_and_big5_text_is_decoded_by_what_the_bytes_say(tmp_path: Path, config: Config, encoding: str) -> None:
    names = {"gb18030": ["上海华东机电有限公司", "北京恒信精密有限公司"], "cp950": ["臺北華東機電有限公司", "高雄恆信精密有限公司"]}[encoding]
    rows = [["Customer Code", "Customer Name", "Phone", "Salesperson", "Address"],
            ["C100001", names[0], "13812340001", "王芳", "浦東新區張江路1號" if encoding == "cp950" else "浦东新区张江路1号"],
            ["C100002", names[1], "12345", "王芳", "浦東新區張江路2號" if encoding == "cp950" else "浦东新区张江路2号"]]
    path = tmp_path / "legacy.csv"
    path.write_bytes(_text(rows).encode(encoding))
    [table] = read_file(path, config).tables
    assert list(table.data["customer_name"]) == names
    assert found(config, path) == {(3, "phone", "IDN003")}


@pytest.mark.parametrize(("hint", "sep"), [("sep=;", ";"), ("sep=,", ","), ("sep=\t", "\t"), ('"sep=|"', "|")])
def test_excel_sep_hint_sets_the_delimiter_and_is_not_a_row(tmp_path: Path, config: Config, hint: str, sep: str) -> None:
    """Excel hides the `sep=` line: the header under it is row 1, the records rows 2-4 (a person sees
    these numbers in Excel; a text editor shows them one line lower)."""
    path = tmp_path / "hinted.csv"
    # A comma inside the values: only the hint says the delimiter is not the comma.
    rows = _records(4)
    rows[1][FIELDS.index("address")] = "浦东新区张江路1号,2幢"
    if sep == ",":
        rows[1][FIELDS.index("address")] = '"浦东新区张江路1号,2幢"'
    path.write_text(hint + "\r\n" + _text(rows, sep=sep), encoding="utf-8-sig")
    [table] = read_file(path, config).tables
    assert (table.header_row, list(table.data.index), list(table.data["customer_code"])) == (1, [2, 3, 4], CODES)
    assert table.data.loc[2, "address"] == "浦东新区张江路1号,2幢"
    assert found(config, path) == {(4, "phone", "IDN003")}


def test_fix_writes_a_hinted_utf16_csv_back_as_it_came(tmp_path: Path) -> None:
    """dq fix on a UTF-16 file with a sep= line: the same encoding, mark and hint; the fixed cell is
    on the row dq reported (the line under the hint is row 1)."""
    from click.testing import CliRunner

    from dataquality.cli import main

    rows = _records(None)
    rows[2][FIELDS.index("customer_name")] = "  上海 华东机电 有限公司 "
    src, out = tmp_path / "hinted.csv", tmp_path / "fixed.csv"
    src.write_bytes(codecs.BOM_UTF16_LE + ("sep=;\r\n" + _text(rows, sep=";")).encode("utf-16-le"))
    res = CliRunner().invoke(main, ["fix", str(src), "-o", str(out), "--lang", "en"])
    assert res.exit_code in (0, 1), res.output
    raw = out.read_bytes()
    assert raw.startswith(codecs.BOM_UTF16_LE)
    lines = raw[2:].decode("utf-16-le").split("\r\n")
    assert (lines[0], lines[1], len(lines)) == ("sep=;", ";".join(rows[0]), len(rows) + 2)
    assert [line.split(";")[FIELDS.index("customer_code")] for line in lines[2:5]] == CODES
    assert lines[3].split(";")[FIELDS.index("customer_name")] == "上海 华东机电 有限公司"


def test_xlsx_saved_as_xls_is_read_as_the_workbook_it_is(tmp_path: Path, config: Config) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    for row in _records(3):
        ws.append(row)
    ws.merge_cells("P2:P4")  # one creation date merged over the three records: read from the zip
    path = tmp_path / "export.xls"
    wb.save(path)
    assert sniff_kind(path) == "xlsx"
    assert _read(config, path) == [("客户", 1, [2, 3, 4], CODES)]
    [table] = read_file(path, config).tables
    assert list(table.data["created_on"]) == [str(customer(1)["created_on"])] * 3
    assert found(config, path) == {(3, "phone", "IDN003")}


@pytest.mark.skipif(not REALWORLD.is_dir(), reason=f"{REALWORLD} is not here")
@pytest.mark.parametrize("name", ["customer_template.xlsx", "customer_template.dat", "customer_template"])
def test_xls_saved_under_another_extension_is_read_as_xls(tmp_path: Path, config: Config, name: str) -> None:
    """jshERP's customer template (a real .xls) copied to the test's folder under another name."""
    path = tmp_path / name
    shutil.copyfile(REALWORLD / "jshERP_customer_template.xls", path)
    assert sniff_kind(path) == "xls"
    original = read_file(REALWORLD / "jshERP_customer_template.xls", config).tables
    assert [(t.sheet, t.header_row, t.data.to_dict()) for t in read_file(path, config).tables] == [
        (t.sheet, t.header_row, t.data.to_dict()) for t in original]


_HTML = """<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset={charset}"><style>td {{ mso-number-format:"\\@"; }}</style>
<script>var rows = "<tr><td>not a cell</td></tr>";</script></head>
<body><h2>客户导出</h2>
<table border="1">
{rows}
</table></body></html>"""


def _html_rows(rows: list[list[str]]) -> str:
    head = "<tr>" + "".join(f"<th>{c}</th>" for c in rows[0]) + "</tr>"
    return head + "\n".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows[1:])


@pytest.mark.parametrize("charset", ["utf-8", "gb2312"])
def test_html_table_saved_as_xls_is_read(tmp_path: Path, config: Config, charset: str) -> None:
    """An ERP web export: an HTML page with one table, saved as .xls, in the charset it declares.
    Row 1 is the table's first row (the heading above the table is not a row)."""
    path = tmp_path / "erp_export.xls"
    path.write_bytes(_HTML.format(charset=charset, rows=_html_rows(_records(3))).encode("gb18030" if charset == "gb2312" else charset))
    assert sniff_kind(path) == "html"
    assert _read(config, path) == [(None, 1, [2, 3, 4], CODES)]
    assert found(config, path) == {(3, "phone", "IDN003")}


def test_html_cells_read_as_a_browser_shows_them(tmp_path: Path, config: Config) -> None:
    """Spaces collapsed, <br> a line break, &nbsp; alone an empty cell, a rowspan belongs to each
    row it covers, a colspan's text sits in its first column, a table in a cell is the cell's text."""
    page = """<table>
<tr><td>客户编码</td><td>客户名称</td><td>所属部门</td><td colspan="2">联系方式</td><td>备注</td></tr>
<tr><td>C100001</td><td>上海   华东
 机电<br/>有限公司</td><td rowspan="2">销售部</td><td>13812340001</td><td>a@example.cn</td><td>&nbsp;</td></tr>
<tr><td>C100002</td><td><b>北京</b>恒信</td><td>13812340002</td><td>b@example.cn</td><td><table><tr><td>内</td></tr></table></td></tr>
<tr><td>C100003</td><td colspan="2">广州东方</td><td>13812340003</td></tr>
</table>"""
    path = tmp_path / "cells.htm"
    path.write_text(page, encoding="utf-8")
    [table] = read_file(path, config).tables
    assert list(table.data.index) == [2, 3, 4]
    assert list(table.data["customer_name"]) == ["上海 华东 机电\n有限公司", "北京恒信", "广州东方"]
    assert list(table.data["department"].fillna("-")) == ["销售部", "销售部", "-"]
    assert table.columns["department"] == "C"


def test_two_html_tables_are_two_tables_of_one_sheet(tmp_path: Path, config: Config) -> None:
    """Active customers, then a second table with its own title and header: read as its own table."""
    second = _records(None)
    second[1:] = [[str(customer(i, phone="12345" if i == 5 else customer(i)["phone"])[f]) for f in FIELDS] for i in (4, 5)]
    page = (f"<table>{_html_rows(_records(3))}</table>"
            f"<table><caption>停用客户</caption>{_html_rows(second)}</table>")
    path = tmp_path / "two.html"
    path.write_text(page, encoding="utf-8")
    assert _read(config, path) == [(None, 1, [2, 3, 4], CODES), (None, 6, [7, 8], ["C100004", "C100005"])]
    assert found(config, path) == {(3, "phone", "IDN003"), (8, "phone", "IDN003")}


_SPREADSHEET_XML = """<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="客户"><Table>
  <Row><Cell ss:MergeAcross="3"><Data ss:Type="String">客户资料</Data></Cell></Row>
  <Row ss:Index="3">{header}</Row>
  {rows}
 </Table></Worksheet>
 <Worksheet ss:Name="说明"><Table><Row><Cell><Data ss:Type="String">导出说明</Data></Cell></Row></Table></Worksheet>
</Workbook>"""


def test_xml_spreadsheet_2003_saved_as_xls(tmp_path: Path, config: Config) -> None:
    """Row and cell ss:Index place them as Excel does; MergeDown belongs to each row; dates read as dates."""
    cols = ["客户编码", "客户名称", "联系电话", "创建日期", "所属部门"]

    def cell(value: str, kind: str = "String", extra: str = "") -> str:
        return f'<Cell{extra}><Data ss:Type="{kind}">{value}</Data></Cell>'

    rows = [
        "<Row>" + cell("C100001") + cell("上海甲公司") + cell("13812340001", "Number")
        + cell("2024-03-05T00:00:00.000", "DateTime") + cell("销售部", extra=' ss:MergeDown="1"') + "</Row>",
        "<Row>" + cell("C100002") + cell("北京乙公司") + cell("12345", "Number")
        + cell("2024-03-06T00:00:00.000", "DateTime") + "</Row>",
        '<Row ss:Index="7">' + cell("C100003") + cell("15812340003", "Number", ' ss:Index="3"') + "</Row>",
    ]
    path = tmp_path / "report.xls"
    path.write_text(_SPREADSHEET_XML.format(header="".join(cell(c) for c in cols), rows="\n".join(rows)), encoding="utf-8")
    assert sniff_kind(path) == "xml"
    [table] = read_file(path, config).tables
    assert (table.sheet, table.header_row, list(table.data.index)) == ("客户", 3, [4, 5, 7])
    assert list(table.data["created_on"].fillna("-")) == ["2024-03-05", "2024-03-06", "-"]
    assert list(table.data["department"].fillna("-")) == ["销售部", "销售部", "-"]
    assert table.data.loc[7, "phone"] == "15812340003"
    assert found(config, path) == {(5, "phone", "IDN003"), (7, "customer_name", "REQ001"),
                                   (None, "address", "FIL004"), (None, "salesperson", "FIL004")}


@pytest.mark.parametrize(("name", "content", "said"), [
    ("junk.xls", bytes(range(256)) * 64, "neither a workbook nor a text table"),
    ("junk.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 16, "neither a workbook nor a text table"),
    ("broken.xls", b"PK\x03\x04" + b"\x00" * 200, "damaged or truncated"),
    ("config.xls", b'<?xml version="1.0"?><settings><a>1</a></settings>', "without a table"),
])
def test_what_no_reader_opens_is_exit_2_naming_the_file(tmp_path: Path, name: str, content: bytes, said: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert_one_line_error(dq("validate", str(path)), path, said)


def test_csv_renamed_to_xlsx_is_read(tmp_path: Path) -> None:
    path = tmp_path / "renamed.xlsx"
    path.write_text("客户编码,客户名称\nC000001,甲\n", encoding="utf-8")
    proc = dq("validate", str(path), "--lang", "en")
    assert proc.returncode in (0, 1), proc.stderr
    assert "Traceback" not in proc.stderr
