"""A workbook opened for editing: its sheets, the sheets and notes added, the save.

    with WorkbookEdit(source, target) as book:          # target: a temporary name the caller renames
        sheet = book.worksheet("Customers")             # the one cell editor (ooxml.worksheet)
        sheet.edit({7: {2: CellEdit(book.styles.with_fill ...)}})
        book.add_notes("Customers", sheet, [(7, 2)], ["why"], "dq")
        book.put_worksheet("Customers", sheet)
        book.add_sheet("Issues", part_bytes)

Leaving the block writes the workbook's own parts that changed (workbook.xml, relationships,
content types, styles) and copies every other part of `source` unchanged. Leaving it with an
error leaves `target` half-written: the caller discards it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from lxml import etree

from dataquality.ooxml import OoxmlError, notes
from dataquality.ooxml.names import (
    CT_COMMENTS,
    CT_STYLES,
    CT_VML,
    CT_WORKBOOK,
    CT_WORKBOOK_MACROS,
    CT_WORKSHEET,
    REL_COMMENTS,
    REL_STYLES,
    REL_VML,
    REL_WORKSHEET,
    RELATIONSHIPS,
)
from dataquality.ooxml.package import Package, PackageWriter
from dataquality.ooxml.parts import ContentTypes, Relationships, parse, rels_name, serialise
from dataquality.ooxml.styles import Styles
from dataquality.ooxml.worksheet import Worksheet

_DEFAULT_WORKBOOK = "xl/workbook.xml"


@dataclass(frozen=True)
class Sheet:
    """A sheet of the workbook: its name and its worksheet part."""

    name: str
    part: str


@dataclass(frozen=True)
class NoteStyle:
    """How note boxes look: the author shown, the box's width and height (None: as tall as the note)."""

    author: str
    width: int = 240
    height: int | None = None


def _unique_part(taken: set[str], pattern: str) -> str:
    n = 1
    while pattern.format(n) in taken:
        n += 1
    return pattern.format(n)


class WorkbookEdit:
    """An .xlsx/.xlsm being copied from `source` to `target` with some parts changed."""

    def __init__(self, source: Path | BinaryIO, target: Path | BinaryIO) -> None:
        self.package = Package(source)
        try:
            self._open()
            self._writer = PackageWriter(self.package, target)
        except BaseException:
            self.package.close()
            raise
        self._rels: dict[str, Relationships] = {self.workbook_rels.owner: self.workbook_rels}
        self._next_block: int | None = None

    def _open(self) -> None:
        root_rels = Relationships("", self._read("_rels/.rels")) if self.package.has("_rels/.rels") else None
        found = root_rels.targets("officeDocument") if root_rels is not None else []
        self.workbook_part = found[0][1] if found else _DEFAULT_WORKBOOK
        self.workbook = parse(self._read(self.workbook_part), self.workbook_part)
        self.workbook_rels = Relationships(self.workbook_part, self._read(rels_name(self.workbook_part)))
        self.content_types = ContentTypes(self._read(ContentTypes.NAME))
        styles = self.workbook_rels.targets("styles")
        self._styles_part = styles[0][1] if styles and self.package.has(styles[0][1]) else None
        self.styles = Styles(self._read(self._styles_part) if self._styles_part else None)
        self._ns = etree.QName(self.workbook).namespace
        self.sheet_names: list[str] = []
        self.sheets: dict[str, Sheet] = {}
        for el in self._children(self.workbook, "sheets", "sheet"):
            name = el.get("name", "")
            self.sheet_names.append(name)
            part = self.workbook_rels.target(el.get(f"{{{RELATIONSHIPS}}}id", ""))
            if part is not None and self.package.has(part):
                self.sheets[name] = Sheet(name, part)

    def _read(self, name: str) -> bytes:
        if not self.package.has(name):
            raise OoxmlError(f"the workbook has no part {name}")
        return self.package.read(name)

    def _q(self, name: str) -> str:
        return f"{{{self._ns}}}{name}" if self._ns else name

    def _children(self, root: etree._Element, *path: str) -> list[etree._Element]:
        found = [root]
        for name in path:
            found = [child for el in found for child in el.iterchildren(self._q(name))]
        return found

    # ------------------------------------------------------------------ what the workbook says

    @property
    def date1904(self) -> bool:
        return any(el.get("date1904") in ("1", "true") for el in self._children(self.workbook, "workbookPr"))

    @property
    def active_sheet(self) -> str | None:
        """The sheet Excel opens on (where a cell without a sheet name is)."""
        views = self._children(self.workbook, "bookViews", "workbookView")
        tab = views[0].get("activeTab", "0") if views else "0"
        index = int(tab) if tab.isdigit() else 0
        names = self.sheet_names
        return names[index] if index < len(names) else (names[0] if names else None)

    def rels(self, part: str) -> Relationships:
        """The relationships of `part` (made when it has none), kept to be written on leaving."""
        found = self._rels.get(part)
        if found is None:
            name = rels_name(part)
            found = self._rels[part] = Relationships(part, self.package.read(name) if self.package.has(name) else None)
        return found

    # ------------------------------------------------------------------ sheets

    def sheet(self, name: str | None) -> Sheet:
        """The sheet called `name` (None: the active sheet)."""
        found = self.sheets.get(name if name is not None else self.active_sheet or "")
        if found is None:
            raise OoxmlError(f"the workbook has no sheet {name!r}")
        return found

    def worksheet(self, name: str | None) -> Worksheet:
        """The sheet's part, opened in the cell editor."""
        return Worksheet(self.package.read(self.sheet(name).part), self.date1904)

    def put_worksheet(self, name: str | None, sheet: Worksheet) -> None:
        """The edited sheet into the new workbook (deflated while the caller goes on)."""
        self._writer.put(self.sheet(name).part, sheet.to_bytes())  # joined here, in C: no Python loop on the writer's thread

    def add_sheet(self, title: str, data: bytes | list[bytes]) -> str:
        """A new last sheet named `title` (or `title (2)` ... when a sheet has that name, case
        ignored) holding the worksheet part `data`; returns the name it got."""
        taken = {s.casefold() for s in self.sheet_names}
        name, n = title[:31], 2
        while name.casefold() in taken:
            name = f"{title[:31 - len(f' ({n})')]} ({n})"
            n += 1
        part = _unique_part(set(self.package.names) | self._writer_names(), "xl/worksheets/dq_sheet{}.xml")
        rel_id = self.workbook_rels.add(REL_WORKSHEET, part, "rIdDq")
        sheets = self._children(self.workbook, "sheets")
        if not sheets:
            raise OoxmlError("the workbook has no <sheets>")
        ids = [int(el.get("sheetId", "0")) for el in sheets[0] if (el.get("sheetId") or "").isdigit()]
        el = etree.SubElement(sheets[0], self._q("sheet"), name=name, sheetId=str(max(ids, default=0) + 1))
        el.set(f"{{{RELATIONSHIPS}}}id", rel_id)
        self.content_types.add_override(part, CT_WORKSHEET)
        self._writer.put(part, data)
        self.sheet_names.append(name)
        self.sheets[name] = Sheet(name, part)
        return name

    def _writer_names(self) -> set[str]:
        return self._writer.written

    def drop_calc_chain(self) -> None:
        """Leave the calculation chain out (a formula gave way to a value; Excel rebuilds the chain)."""
        for rel_id, part in self.workbook_rels.targets("calcChain"):
            self.workbook_rels.remove(rel_id)
            self.content_types.remove_override(part)
            self._writer.drop(part)

    def set_macros(self, keep: bool) -> None:
        """Make the copy an .xlsm (`keep`: its macros kept) or an .xlsx (macros left out): Excel
        refuses a file whose name and workbook type disagree."""
        if self.content_types.override(self.workbook_part) not in (CT_WORKBOOK, CT_WORKBOOK_MACROS):
            return  # a template or another kind: left as it is
        self.content_types.set_override(self.workbook_part, CT_WORKBOOK_MACROS if keep else CT_WORKBOOK)
        if keep:
            return
        for rel_id, part in self.workbook_rels.targets("vbaProject"):
            self.workbook_rels.remove(rel_id)
            self.content_types.remove_override(part)
            for dropped in (part, rels_name(part), *(p for _, p in self.rels(part).targets("vbaProjectSignature"))):
                if self.package.has(dropped):
                    self._writer.drop(dropped)
            self._rels.pop(part, None)

    # ------------------------------------------------------------------ notes

    def _first_block(self) -> int:
        """The first VML shape-id block no drawing of the workbook uses."""
        if self._next_block is None:
            drawings = [self.package.read(n) for n in self.package.names if n.lower().endswith(".vml")]
            self._next_block = notes.used_blocks(drawings) + 1
        return self._next_block

    def add_notes(self, name: str | None, sheet: Worksheet, cells: list[tuple[int, int]], texts: list[str], style: NoteStyle) -> None:
        """Notes on `cells` ((row, 0-based column)) of sheet `name`, whose part `sheet` is being
        edited (it gains the link to the drawing); the sheet's own notes are kept."""
        if not cells:
            return
        part = self.sheet(name).part
        rels = self.rels(part)
        refs = [notes.ref(r, c) for r, c in cells]
        comments = rels.targets("comments")
        if comments and self.package.has(comments[0][1]):
            merged, added = notes.merge_comments(self.package.read(comments[0][1]), refs, texts, style.author)
            self._writer.put(comments[0][1], merged)
            cells, texts = [cells[i] for i in added], [texts[i] for i in added]
        else:
            comments_part = _unique_part(set(self.package.names) | self._writer_names(), "xl/comments_dq{}.xml")
            self._writer.put(comments_part, notes.comments_xml(refs, texts, style.author, etree.QName(self.workbook).namespace or ""))
            rels.add(REL_COMMENTS, comments_part, "rIdDqComments")
            self.content_types.add_override(comments_part, CT_COMMENTS)
        if cells:
            self._add_boxes(part, sheet, rels, cells, texts, style)

    def _add_boxes(self, part: str, sheet: Worksheet, rels: Relationships, cells: list[tuple[int, int]], texts: list[str],
                   style: NoteStyle) -> None:
        first = self._first_block()
        shapes, self._next_block = notes.vml_shapes(cells, texts, first, style.width, style.height)
        blocks = self._next_block - first
        drawing_id = sheet.legacy_drawing()
        if drawing_id is not None:  # the sheet's own drawing (its notes, form controls) gets the boxes
            drawing = rels.target(drawing_id)
            if drawing is None or not self.package.has(drawing):
                raise OoxmlError(f"the drawing of {part} is missing")
            self._writer.put(drawing, notes.vml_with_shapes(self.package.read(drawing), shapes, first, blocks))
            return
        drawing = _unique_part(set(self.package.names) | self._writer_names(), "xl/drawings/vmlDrawing_dq{}.vml")
        self._writer.put(drawing, notes.vml_part(shapes, first, blocks))
        sheet.add_legacy_drawing(rels.add(REL_VML, drawing, "rIdDqVml"))
        self.content_types.add_default("vml", CT_VML)

    # ------------------------------------------------------------------ the save

    def _finish(self) -> None:
        if self.styles.changed:
            if self._styles_part is None:  # a workbook without styles gets the part with the formats it now needs
                for rel_id, _ in self.workbook_rels.targets("styles"):  # a link to a missing part goes
                    self.workbook_rels.remove(rel_id)
                # Where every reader looks (openpyxl reads no other name), unless a part already has that name.
                taken = set(self.package.names)
                self._styles_part = "xl/styles.xml" if "xl/styles.xml" not in taken else _unique_part(taken, "xl/styles_dq{}.xml")
                self.workbook_rels.add(REL_STYLES, self._styles_part, "rIdDqStyles")
                self.content_types.add_override(self._styles_part, CT_STYLES)
            self._writer.put(self._styles_part, self.styles.to_bytes())
        for rels in self._rels.values():
            if rels.changed:
                self._writer.put(rels.name, rels.to_bytes())
        self._writer.put(self.workbook_part, serialise(self.workbook))
        self._writer.put(ContentTypes.NAME, self.content_types.to_bytes())

    def __enter__(self) -> WorkbookEdit:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if error is None:
                self._finish()
            self._writer.__exit__(kind, error, trace)
        finally:
            self.package.close()
