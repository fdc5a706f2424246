"""xlsx_number_cells looks only at the rows asked for when it can: the same cells as a whole scan."""

from __future__ import annotations

from pathlib import Path

import pytest
import xlsxwriter

from dataquality.load.cells import xlsx_number_cells


def _book(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["code", "account", "note"])
    for i in range(1, 400):
        ws.write_string(i, 0, f"C{i:04d}")
        if i % 7 == 0:
            ws.write_number(i, 1, 6222021234567890000 + i * 1000)  # a 19-digit account typed as a number
        else:
            ws.write_string(i, 1, f"62220212345678{i:05d}")
        ws.write_number(i, 2, 1234567890123456 if i % 11 == 0 else i)
    wb.close()
    return path


def test_rows_asked_for_give_the_cells_a_whole_scan_gives(tmp_path: Path) -> None:
    path = _book(tmp_path / "a.xlsx")
    whole = xlsx_number_cells(path, "xl/worksheets/sheet1.xml", long_numbers=True)
    assert whole and all(r % 7 == 1 or r % 11 == 1 for r, _ in whole)  # Excel rows are 1-based
    rows = {8, 15, 12, 100, 57, 400, 3}
    some = xlsx_number_cells(path, "xl/worksheets/sheet1.xml", long_numbers=True, rows=rows)
    assert some == {k: v for k, v in whole.items() if k[0] in rows}
    assert xlsx_number_cells(path, "xl/worksheets/sheet1.xml", long_numbers=True, rows=[]) == {}
    # A row that is not there: the whole scan answers, restricted by the caller as before.
    assert xlsx_number_cells(path, "xl/worksheets/sheet1.xml", long_numbers=True, rows={8, 5000}) == whole


def test_full_width_digits_in_a_digit_field_are_text_not_a_crash(tmp_path: Path, config) -> None:
    # Python's \d matches full-width digits, Arrow's cast to a number does not: a 19-character
    # account typed in full-width digits is text (the validators say what is wrong with it).
    from dataquality.load import load_file

    wb = xlsxwriter.Workbook(str(tmp_path / "fw.xlsx"))
    ws = wb.add_worksheet("客户")
    ws.write_row(0, 0, ["客户编码", "客户名称", "银行账号"])
    ws.write_row(1, 0, ["C000001", "甲公司", "６２２２０２１２３４５６７８９０１２３"])
    ws.write_row(2, 0, ["C000002", "乙公司", "6222021234567890123"])
    wb.close()
    [table] = load_file(tmp_path / "fw.xlsx", config)
    assert table.data["bank_account"].tolist() == ["６２２２０２１２３４５６７８９０１２３", "6222021234567890123"]


def _accounts(path: Path, typed, chunk_filler: int = 0) -> Path:
    """A customer-like sheet whose 19-digit accounts are `typed` (text or numbers) in every row."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["code", "account", "note"])
    for i in range(1, 3000):
        ws.write_string(i, 0, f"C{i:04d}")
        value = typed(i)
        if isinstance(value, str):
            ws.write_string(i, 1, value)
        else:
            ws.write_number(i, 1, value)
        ws.write_string(i, 2, "x" * chunk_filler)
    wb.close()
    return path


@pytest.mark.parametrize("finder", ["re2", "re"])
@pytest.mark.parametrize(("typed", "expected"), [
    (lambda i: f"62220212345678{i:05d}", False),  # digits as text: shared strings
    (lambda i: f"62220212345678{i:05d}" if i != 2999 else 6222021234567890000, True),  # one number, in the last row
    (lambda i: 1234567890123456.0 if i == 1500 else i, True),  # 16 digits as a number
    (lambda i: 1.5e20 if i == 10 else i, True),  # written 1.5E+20
    (lambda i: 999999999999999.0 if i == 10 else i, False),  # 15 digits: a double holds it
])
def test_the_scan_tells_whether_any_cell_holds_a_long_number(tmp_path: Path, monkeypatch, finder, typed, expected) -> None:
    from dataquality.load import limits
    from dataquality.load.source import WorkbookSource

    if finder == "re":
        monkeypatch.setattr(limits, "_re2", lambda: None)
    monkeypatch.setattr(limits, "_CHUNK", 4096)  # many chunks: the number can be in any of them
    path = _accounts(tmp_path / "a.xlsx", typed, chunk_filler=40)
    assert WorkbookSource(path).scan("xl/worksheets/sheet1.xml").long_numbers is expected


def test_text_accounts_are_not_read_again_and_typed_ones_are(tmp_path: Path, monkeypatch, config) -> None:
    """The part is read a second time for the digits as stored only when the scan saw a long number."""
    from dataquality.load import files
    from dataquality.pipeline import run

    asked: list[str] = []
    real = files.xlsx_number_cells
    monkeypatch.setattr(files, "xlsx_number_cells", lambda path, *a, **k: asked.append(path.name) or real(path, *a, **k))
    from builders import CUSTOMER_HEADERS_ZH, customer

    for name, value in (("text.xlsx", "6222021234567891234"), ("typed.xlsx", 6222021234567891234)):
        wb = xlsxwriter.Workbook(str(tmp_path / name))
        ws = wb.add_worksheet("客户")
        fields = list(CUSTOMER_HEADERS_ZH)
        ws.write_row(0, 0, [CUSTOMER_HEADERS_ZH[f] for f in fields])
        for r in range(1, 4):
            row = [customer(r)[f] for f in fields]
            row[fields.index("bank_account")] = value
            for c, v in enumerate(row):
                ws.write(r, c, v)
        wb.close()
    typed = run(config, [tmp_path / "typed.xlsx"])
    text = run(config, [tmp_path / "text.xlsx"])
    assert asked == ["typed.xlsx"]
    assert {i.rule for i in typed.issues if i.field == "bank_account"} >= {"TYP006"}
    assert "TYP006" not in {i.rule for i in text.issues}
