"""Cell notes: a comments part (the texts) and a VML drawing (the boxes Excel shows them in).

A sheet without notes gets both parts new, built as bytes in one pass (a hundred thousand notes in
a blink). A sheet with notes of its own keeps them: a note on a cell that already has one is added
below the old text, other notes join the sheet's comments part, and their boxes join the sheet's
drawing (which may also hold form controls).
"""

from __future__ import annotations

import re
from itertools import repeat

from lxml import etree

from dataquality.ooxml.parts import parse, serialise
from dataquality.safe_text import excel_text, xml_escaped_cells
from dataquality.xlsx import column_letter

_NOTE_RUN = '<r><rPr><sz val="9"/><rFont val="Tahoma"/></rPr><t xml:space="preserve">'
_SHAPE_TYPE = (b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
               b'<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')
_SHAPE_IDS = re.compile(rb"_x0000_s(\d+)")
_IDMAP = re.compile(rb"(<[\w]*:?idmap\b[^>]*?\bdata\s*=\s*[\"'])([^\"']*)([\"'])")


def ref(row: int, col: int) -> str:
    return f"{column_letter(col)}{row}"


def comments_xml(refs: list[str], notes: list[str], author: str, ns: str) -> bytes:
    """A new comments part: one note per cell reference, all by `author`."""
    if len(refs) != len(notes):
        raise ValueError("one note per cell reference")
    head = '<comment ref="'
    body = '" authorId="0"><text>' + _NOTE_RUN
    tail = "</t></r></text></comment>"
    # Escaped in one pass, joined as one list: no call per note.
    items = "".join(map("".join, zip(repeat(head), refs, repeat(body), xml_escaped_cells(notes), repeat(tail), strict=False)))
    [who] = xml_escaped_cells([author])
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{ns}">'
            f"<authors><author>{who}</author></authors><commentList>{items}</commentList></comments>").encode()


def merge_comments(data: bytes, refs: list[str], notes: list[str], author: str) -> tuple[bytes, list[int]]:
    """The sheet's comments part with `notes` added: below the old text on a cell that has a note,
    as a new note elsewhere. Returns the part and the indices of the notes that are new."""
    root = parse(data, "the comments part")
    ns = etree.QName(root).namespace
    q = (lambda name: f"{{{ns}}}{name}") if ns else (lambda name: name)
    authors = root.find(q("authors"))
    if authors is None:
        authors = etree.Element(q("authors"))
        root.insert(0, authors)
    names = [el.text or "" for el in authors.iterchildren(q("author"))]
    if author not in names:
        etree.SubElement(authors, q("author")).text = excel_text(author)
        names.append(author)
    listed = root.find(q("commentList"))
    if listed is None:
        listed = etree.SubElement(root, q("commentList"))
    existing = {el.get("ref"): el for el in listed.iterchildren(q("comment"))}
    added = []
    for i, (cell, note) in enumerate(zip(refs, notes, strict=True)):
        comment = existing.get(cell)
        if comment is None:
            comment = etree.SubElement(listed, q("comment"), ref=cell, authorId=str(names.index(author)))
            etree.SubElement(comment, q("text"))
            added.append(i)
            _append_text(comment.find(q("text")), note, q)
        else:
            _append_text(comment.find(q("text")), "\n" + note, q)
    return serialise(root), added


def _append_text(text: etree._Element | None, note: str, q) -> None:  # noqa: ANN001
    """Add `note` at the end of a comment's text (a run of its own, or the plain text extended)."""
    if text is None:
        return
    runs = list(text.iterchildren(q("r")))
    plain = text.find(q("t"))
    if plain is not None and not runs:
        plain.text = excel_text((plain.text or "") + note)
        plain.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
        return
    ns = etree.QName(text).namespace
    run = etree.fromstring(_NOTE_RUN.replace("<r>", f'<r xmlns="{ns}">' if ns else "<r>", 1) + xml_escaped_cells([note])[0] + "</t></r>")
    after = next(iter(text.iterchildren(q("rPh"), q("phoneticPr"))), None)
    if after is not None:
        after.addprevious(run)
    else:
        text.append(run)


def _note_height(note: str) -> int:
    """About 30 characters a line in a 240pt box: tall enough to read without resizing."""
    lines = sum(1 + len(line) // 30 for line in note.split("\n"))
    return min(20 + 12 * lines, 400)


def vml_shapes(cells: list[tuple[int, int]], notes: list[str], first_block: int, width: int = 240,
               height: int | None = None) -> tuple[bytes, int]:
    """The note boxes on `cells` ((row, 0-based column) each) as VML shapes numbered from id block
    `first_block` (1,024 ids each); returns them and the next free block. Without `height` each
    box is as tall as its note."""
    if len(cells) != len(notes):
        raise ValueError("one note per cell")
    if height is None:  # one measurement per distinct note text
        tall_of = {note: _note_height(note) for note in dict.fromkeys(notes)}
        heights = list(map(tall_of.__getitem__, notes))
    else:
        heights = [height] * len(notes)
    # One template, filled per shape with %: the constant XML is written once here.
    template = (
        b'<v:shape id="_x0000_s%d" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;margin-top:1.5pt;'
        b"width:" + str(int(width)).encode() + b'pt;height:%dpt;z-index:%d;visibility:hidden" fillcolor="#ffffe1" o:insetmode="auto">'
        b'<v:fill color2="#ffffe1"/><v:shadow on="t" color="black" obscured="t"/><v:path o:connecttype="none"/>'
        b'<v:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></v:textbox>'
        b'<x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
        b"<x:Anchor>%d, 15, %d, 10, %d, 15, %d, 4</x:Anchor>"
        b"<x:AutoFill>False</x:AutoFill><x:Row>%d</x:Row><x:Column>%d</x:Column></x:ClientData></v:shape>"
    )
    base = first_block * 1024 + 1
    shapes = [template % (base + i, tall, i + 1, col + 1, max(row - 2, 0), col + 5, row + 6, row - 1, col)
              for i, ((row, col), tall) in enumerate(zip(cells, heights, strict=True))]
    return b"".join(shapes), first_block + _blocks(len(cells))


def _blocks(n: int) -> int:
    return max(1, -(-n // 1024))


def vml_part(shapes: bytes, first_block: int, blocks: int) -> list[bytes]:
    """A new VML drawing holding `shapes`, which use id blocks first_block .. first_block + blocks - 1
    (its pieces: the shapes are not copied once more)."""
    ids = ",".join(str(b) for b in range(first_block, first_block + blocks)).encode()
    return [b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
            b'xmlns:x="urn:schemas-microsoft-com:office:excel">'
            b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="' + ids + b'"/></o:shapelayout>' + _SHAPE_TYPE,
            shapes, b"</xml>"]


def vml_with_shapes(data: bytes, shapes: bytes, first_block: int, blocks: int) -> bytes:
    """The sheet's own VML drawing with `shapes` added (VML is often not well-formed XML, so it is
    extended where its root closes); its id map gains the shapes' blocks."""
    end = data.rfind(b"</xml>")
    if end < 0:
        return b"".join(vml_part(shapes, first_block, blocks))
    ids = b",".join(b"%d" % b for b in range(first_block, first_block + blocks))
    head = _IDMAP.sub(lambda m: m.group(1) + (m.group(2) + b"," if m.group(2).strip() else b"") + ids + m.group(3), data[:end], count=1)
    shape_type = b"" if b'id="_x0000_t202"' in data else _SHAPE_TYPE
    return head + shape_type + shapes + data[end:]


def used_blocks(drawings: list[bytes]) -> int:
    """The highest shape id block the workbook's drawings use (0: none)."""
    top = 0
    for data in drawings:
        ids = [int(n) for n in _SHAPE_IDS.findall(data)]
        blocks = [int(b) for m in _IDMAP.finditer(data) for b in re.findall(rb"\d+", m.group(2))]
        top = max([top, *(i // 1024 for i in ids), *blocks])
    return top
