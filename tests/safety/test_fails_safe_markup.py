"""Hostile HTML tables and XML Spreadsheets (a new reader is a new attack surface): nothing the file
refers to is fetched or read, entities are never expanded into a bomb, deep nesting and huge
attributes or texts neither crash nor hang, and a table past the limits is refused while it is read
(exit 2, one line naming the file and the limit)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from dq_cli import assert_one_line_error, dq

from dataquality.config import Config
from dataquality.errors import InputError
from dataquality.load import read_file

HEADER = "<tr><th>客户编码</th><th>客户名称</th></tr>"


@pytest.fixture(scope="module")
def config() -> Config:
    return Config.load()


@pytest.fixture
def server() -> Iterator[tuple[int, list[str]]]:
    """A local HTTP server that records every request (none may arrive)."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the handler's API
            asked.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"<!ENTITY fetched 'FETCHED'>")

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], asked
    finally:
        httpd.shutdown()
        httpd.server_close()


def _workbook_xml(doctype: str, value: str, row: str = "<Row>", cell: str = "<Cell>") -> str:
    return ('<?xml version="1.0"?>\n' + doctype
            + '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
              'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="客户"><Table>'
              '<Row><Cell><Data ss:Type="String">客户编码</Data></Cell><Cell><Data ss:Type="String">客户名称</Data></Cell></Row>'
              f'{row}{cell}<Data ss:Type="String">C100001</Data></Cell><Cell><Data ss:Type="String">{value}</Data></Cell></Row>'
              '</Table></Worksheet></Workbook>')


def _names(config: Config, path: Path) -> list[str]:
    [table] = read_file(path, config).tables
    return list(table.data["customer_name"].fillna(""))


def test_nothing_an_html_page_refers_to_is_fetched(tmp_path: Path, config: Config, server) -> None:
    port, asked = server
    url = f"http://127.0.0.1:{port}"
    page = (f'<!DOCTYPE html SYSTEM "{url}/page.dtd"><html><head><link rel="stylesheet" href="{url}/s.css">'
            f'<script src="{url}/s.js"></script><meta http-equiv="refresh" content="0; url={url}/r"></head>'
            f'<body><iframe src="{url}/f"></iframe><table>{HEADER}'
            f'<tr><td>C100001</td><td><img src="{url}/i.png">上海甲公司<object data="{url}/o"></object></td></tr></table></body></html>')
    path = tmp_path / "export.xls"
    path.write_text(page, encoding="utf-8")
    assert _names(config, path) == ["上海甲公司"]
    assert asked == []


def test_external_entities_of_an_xml_spreadsheet_are_never_read_or_fetched(tmp_path: Path, config: Config, server) -> None:
    port, asked = server
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    doctypes = [
        f'<!DOCTYPE Workbook [<!ENTITY xxe SYSTEM "file://{secret}">]>',
        f'<!DOCTYPE Workbook [<!ENTITY xxe SYSTEM "http://127.0.0.1:{port}/entity">]>',
        f'<!DOCTYPE Workbook SYSTEM "http://127.0.0.1:{port}/workbook.dtd">',
        f'<!DOCTYPE Workbook [<!ENTITY % remote SYSTEM "http://127.0.0.1:{port}/p"> %remote;]>',
    ]
    for n, doctype in enumerate(doctypes):
        path = tmp_path / f"xxe{n}.xls"
        path.write_text(_workbook_xml(doctype, "&xxe;"), encoding="utf-8")
        assert "TOPSECRET" not in "".join(_names(config, path))
    assert asked == []


def test_an_entity_bomb_is_refused_not_expanded(tmp_path: Path) -> None:
    levels = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 9))
    path = tmp_path / "lol.xls"
    path.write_text(_workbook_xml(f'<!DOCTYPE Workbook [<!ENTITY e0 "lollollollol">{levels}]>', "&e8;&e8;"), encoding="utf-8")
    assert_one_line_error(dq("validate", str(path)), path, "cannot be parsed")


def test_an_entity_bomb_in_html_stays_text(tmp_path: Path, config: Config) -> None:
    levels = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 9))
    path = tmp_path / "lol.html"
    path.write_text(f'<!DOCTYPE html [<!ENTITY e0 "lol">{levels}]><table>{HEADER}<tr><td>C100001</td><td>&e8;</td></tr></table>',
                    encoding="utf-8")
    assert _names(config, path) == ["&e8;"]


def test_deep_nesting_neither_crashes_nor_hangs(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "deep.html"
    path.write_text("<div>" * 200_000 + f"<table>{HEADER}<tr><td>C100001</td><td>甲</td></tr></table>" + "</div>" * 200_000,
                    encoding="utf-8")
    assert _names(config, path) == ["甲"]
    tables = tmp_path / "tables.html"
    tables.write_text(f"<table>{HEADER}<tr><td>C100001</td><td>" + "<table><tr><td>" * 5000 + "乙"
                      + "</td></tr></table>" * 5000 + "</td></tr></table>", encoding="utf-8")
    assert _names(config, tables) == ["乙"]


def test_huge_attributes_and_texts_are_read_or_refused_never_a_crash(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "attr.html"
    path.write_text(f'<table><tr><th title="{"A" * 20_000_000}">客户编码</th><th>客户名称</th></tr>'
                    "<tr><td>C100001</td><td>甲</td></tr></table>", encoding="utf-8")
    assert _names(config, path) == ["甲"]
    text = tmp_path / "text.html"
    text.write_text(f"<table>{HEADER}<tr><td>C100001</td><td>{'乙' * 5_000_000}</td></tr></table>", encoding="utf-8")
    assert [len(n) for n in _names(config, text)] == [5_000_000]


@pytest.mark.parametrize(("name", "page"), [
    ("wide.html", "<table><tr>" + "<td>x</td>" * 20_000 + "</tr></table>"),
    ("colspans.html", "<table><tr>" + '<td colspan="1000">x</td>' * 17 + "</tr></table>"),
    ("far.xls", _workbook_xml("", "x", cell='<Cell ss:Index="99999999999999999999">')),
    ("merged.xls", _workbook_xml("", "x", cell='<Cell ss:MergeAcross="4294967296">')),
])
def test_a_table_past_the_column_limit_is_refused_while_read(tmp_path: Path, name: str, page: str) -> None:
    path = tmp_path / name
    path.write_text(page, encoding="utf-8")
    assert_one_line_error(dq("validate", str(path)), path, "columns, over the limit of 16,384", "--max-columns")


def test_a_table_past_the_cell_limit_is_refused_while_read(tmp_path: Path) -> None:
    path = tmp_path / "rows.html"
    path.write_text("<table>" + HEADER + "<tr><td>C1</td><td>甲</td></tr>" * 600 + "</table>", encoding="utf-8")
    assert_one_line_error(dq("--max-cells", "1000", "validate", str(path)), path, "cells, over the limit of 1,000")
    far = tmp_path / "far_row.xls"
    far.write_text(_workbook_xml("", "x", row='<Row ss:Index="999999999999">'), encoding="utf-8")
    assert_one_line_error(dq("validate", str(far)), far, "cells, over the limit of 20,000,000")


def test_spans_reach_only_rows_that_exist(tmp_path: Path, config: Config) -> None:
    """rowspan=65534 on a 3-row table fills 2 rows, not 65,534; MergeDown past the sheet likewise."""
    path = tmp_path / "spans.html"
    path.write_text(f'<table>{HEADER}<tr><td>C100001</td><td rowspan="0">甲</td></tr><tr><td>C100002</td></tr></table>'
                    f'<table><tr><td rowspan="65534">x</td></tr></table>', encoding="utf-8")
    [table] = read_file(path, config).tables
    assert list(table.data.index) == [2, 3, 4] and list(table.data["customer_name"].fillna("")) == ["甲", "甲", ""]
    xml = tmp_path / "down.xls"
    xml.write_text(_workbook_xml("", "x", cell='<Cell ss:MergeDown="999999999999">'), encoding="utf-8")
    assert list(read_file(xml, config).tables[0].data.index) == [2]


def test_a_markup_reader_error_is_an_input_error(tmp_path: Path, config: Config) -> None:
    path = tmp_path / "truncated.xls"
    path.write_text(_workbook_xml("", "x")[:300], encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_file(path, config)
    assert caught.value.key == "load.markup_unreadable"
