"""xlsx_number_cells looks only at the rows asked for when it can: the same cells as a whole scan."""

from __future__ import annotations

from pathlib import Path

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
