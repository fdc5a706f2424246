"""Correction lists are streamed with XlsxWriter: text stays text, the layout is the one people fill in."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from dataquality.issue import Issue, Severity
from dataquality.pipeline import Result
from dataquality.report import corrections


def _issue(row: int, value: str, severity: Severity = Severity.ERROR) -> Issue:
    return Issue(rule="FMT001", severity=severity, entity="customer", file="c.xlsx", sheet="S", row=row,
                 key=f"C{row}", field="customer_code", column="A", value=value, department="销售部")


def test_formula_like_values_stay_text_and_fill_in_columns_are_marked(tmp_path: Path) -> None:
    issues = [_issue(2, "=HYPERLINK(\"http://x\")"), _issue(3, "+1-2", Severity.WARNING), _issue(4, "a\x07b")]
    [path] = corrections.write_lists(Result(issues), tmp_path / "lists", "en")
    ws = load_workbook(path).active
    assert ws.freeze_panes == "C4"
    header = [c.value for c in ws[3]]
    assert header[-3:] == ["Corrected value", "Done by", "Date"]
    rows = list(ws.iter_rows(min_row=4))
    assert len(rows) == 3
    value_col = header.index("Current value")
    cells = [r[value_col] for r in rows]
    # Errors first (rows 2 and 4), then the warning (row 3).
    assert [c.value for c in (cells[0], cells[2])] == ["=HYPERLINK(\"http://x\")", "+1-2"]
    assert all(c.data_type == "s" for c in cells)
    todo = rows[0][len(header) - 1]
    assert todo.value is None and todo.fill.fgColor.rgb.endswith("FFF2CC") and todo.number_format == "yyyy-mm-dd"
    assert rows[0][1].font.color.rgb.endswith("C00000") and rows[0][1].font.b
    assert ws.auto_filter.ref == f"A3:{rows[0][-1].column_letter}6"
