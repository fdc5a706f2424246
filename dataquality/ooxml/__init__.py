"""Editing Office Open XML workbooks (.xlsx/.xlsm) part by part: the one cell editor of every workbook writer.

A workbook is a zip of XML parts tied together by relationships and listed in [Content_Types].xml.
dq's writers (the fixed copy of `dq fix`, the annotated workbook, the correction lists) change a
few cells of large sheets and add a few parts; everything else is copied unchanged, so formatting,
formulas, data validations, charts and macros survive.

- `package`: reading parts of a zip and writing a new zip (unchanged parts copied as they were);
- `parts`: relationships and content types, edited through lxml;
- `styles`: styles.xml through lxml (fills, fonts, cell formats, number formats);
- `worksheet`: THE row and cell editor (values and formats of cells, new rows appended, the sheet's
  head and tail), used by every writer;
- `cells`: how a value becomes a cell (text always as text), and rows of new cells;
- `notes`: cell notes (comments and their VML drawing), new or merged into the sheet's own;
- `workbook`: a workbook opened for editing: its sheets, new sheets, the parts that change, the save.
"""

from __future__ import annotations


class OoxmlError(Exception):
    """A workbook whose XML dq cannot edit safely (a document type declaration, a part missing);
    the message says what, in English, for the writer to wrap into a message of the catalogue."""
