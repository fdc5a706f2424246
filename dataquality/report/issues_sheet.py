"""The Issues sheet of the annotated workbook: one row per issue, a link from each to its cell."""

from __future__ import annotations

from dataquality.i18n import text
from dataquality.issue import Issue, Severity
from dataquality.ooxml.cells import Column, new_sheet, rows_xml
from dataquality.ooxml.styles import Styles
from dataquality.report.marks import FILLS, HEADER_FILL, Said, issue_columns
from dataquality.safe_text import xml_escaped_cells
from dataquality.xlsx import column_letter

WIDTHS = (16, 8, 9, 8, 10, 20, 14, 14, 22, 60, 50)
_SEVERITY_COL, _CELL_COL = 1, 5


def issues_sheet(issues: list[Issue], lang: str, styles: Styles, cache: Said) -> list[bytes]:
    """The sheet's part (its pieces): header, rows, filter and links; formats added to `styles`."""
    header, values_of = issue_columns(issues, lang, cache)
    bold = styles.font(bold=True, color="FFFFFFFF")
    link = styles.font(underline=True, color="FF0563C1")
    head_xf = styles.xf(font=bold, fill=styles.fill(HEADER_FILL))
    link_xf = styles.xf(font=link)
    severity_xf = {s: styles.with_fill(0, FILLS[s]) for s in Severity}
    linked = [issue.row is not None and bool(issue.sheet) for issue in issues]
    cell_styles: dict[int, list[int | None]] = {
        _SEVERITY_COL: [severity_xf[issue.severity] for issue in issues],
        _CELL_COL: [link_xf if on else None for on in linked],
    }
    # Inline strings are always text: a value like =HYPERLINK(...) from the data is never a formula.
    columns = [Column(values if set(map(type, values)) <= {str, type(None)} else [v if v is None else str(v) for v in values],
                      cell_styles.get(c)) for c, values in enumerate(values_of)]
    numbers = range(2, len(issues) + 2)
    rows = rows_xml([1], [Column([h], head_xf) for h in header]) + rows_xml(numbers, columns)
    if not issues:
        rows += rows_xml([2], [Column([text("xlsx.no_issues", lang)])])
    after = ""
    if issues:
        after = f'<autoFilter ref="A1:{column_letter(len(header) - 1)}{len(issues) + 1}"/>' + _links(issues, linked, values_of[_CELL_COL], lang)
    return new_sheet(rows, WIDTHS, after_data=after)


def _links(issues: list[Issue], linked: list[bool], shown_cells: list[object], lang: str) -> str:
    """<hyperlinks>: each linked row's cell column goes to the issue's cell."""
    targets = [(n, issue, at) for n, issue, on, at in zip(range(2, len(issues) + 2), issues, linked, shown_cells, strict=True) if on]
    if not targets:
        return ""
    locations = xml_escaped_cells(["'" + issue.sheet.replace("'", "''") + f"'!{issue.column or 'A'}{issue.row}"  # type: ignore[union-attr]
                                   for _, issue, _ in targets], attribute=True)
    go_to = text("xlsx.go_to", lang, cell="\x00")  # formatted once; each link puts its cell in
    shown = xml_escaped_cells([go_to.replace("\x00", str(at)) for _, _, at in targets], attribute=True)
    col = column_letter(_CELL_COL)
    return "<hyperlinks>" + "".join(f'<hyperlink ref="{col}{n}" location="{loc}" display="{disp}"/>'
                                    for (n, _, _), loc, disp in zip(targets, locations, shown, strict=True)) + "</hyperlinks>"
