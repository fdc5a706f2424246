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
