"""Annotating an .xlsx/.xlsm by editing its XML parts as text (see annotated_xlsx for why).

Only the parts that change are rewritten: the sheets with issues (streamed row by row), styles.xml,
the relationships and content types; a comments part, its VML drawing and an Issues sheet are added.
Anything this editor is not sure about raises Unsupported, and the caller falls back to openpyxl.
"""

from __future__ import annotations

import re
import zipfile
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import chain, repeat
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape, quoteattr

from dataquality.i18n import text
from dataquality.issue import Issue, Severity
from dataquality.load import zipparts
from dataquality.report.marks import (
    FILLS,
    HEADER_FILL,
    Mark,
    Said,
    comment_texts,
    issue_columns,
    letters,
    said,
)
from dataquality.report.sheet_tree import SheetXmlError, restyle
from dataquality.safe_text import excel_text, xml_escaped_cells, xml_text

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_WORKSHEET = _NS_R + "/worksheet"
_REL_COMMENTS = _NS_R + "/comments"
_REL_VML = _NS_R + "/vmlDrawing"
_CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"



# The number formats every workbook has without declaring them (ECMA-376 18.8.30), those dq uses.
_BUILTIN_FORMATS = {0: "General", 1: "0", 2: "0.00", 3: "#,##0", 4: "#,##0.00", 9: "0%", 10: "0.00%", 14: "mm-dd-yy", 49: "@"}


class Unsupported(Exception):
    """The workbook's XML is laid out in a way the direct editor does not handle; use openpyxl."""


def _x(value: object) -> str:
    """Text safe inside XML character data."""
    return escape(excel_text("" if value is None else str(value)))


def _attr(value: object) -> str:
    return quoteattr(xml_text("" if value is None else str(value)))


def _prefix(xml: str, root: str) -> str:
    """The namespace prefix the part uses for its root element ('' or e.g. 'x:')."""
    m = re.search(rf"<(\w+:)?{root}\b", xml)
    if m is None:
        raise Unsupported(f"no <{root}> element")
    return m.group(1) or ""


class Styles:
    """styles.xml, edited as text: new fills and fonts, and cell formats cloned with a fill."""

    def __init__(self, xml: str) -> None:
        self.xml = xml
        self.p = _prefix(xml, "styleSheet")
        self.fills = self._items("fills", "fill")
        self.fonts = self._items("fonts", "font")
        self.xfs = self._items("cellXfs", "xf")
        self._new_fills: list[str] = []
        self._new_fonts: list[str] = []
        self._new_xfs: list[str] = []
        self._clones: dict[tuple[int, str, str | None], int] = {}
        self._fill_ids: dict[str, int] = {}
        self.numfmts = {int(i): _unescape(code) for i, code in re.findall(
            rf'<{self.p}numFmt\b[^>]*?numFmtId="(\d+)"[^>]*?formatCode="([^"]*)"', xml)}
        self._new_numfmts: dict[str, int] = {}

    def _section(self, name: str) -> re.Match[str]:
        m = re.search(rf"<{self.p}{name}\b[^>]*?(?:/>|>(.*?)</{self.p}{name}>)", self.xml, re.S)
        if m is None:
            raise Unsupported(f"styles.xml has no <{name}>")
        return m

    def _items(self, section: str, item: str) -> list[str]:
        body = self._section(section).group(1) or ""
        return re.findall(rf"<{self.p}{item}\b[^>]*?(?:/>|>.*?</{self.p}{item}>)", body, re.S)

    def fill(self, rgb: str) -> int:
        """The id of a solid fill of colour `rgb` (added once)."""
        if rgb not in self._fill_ids:
            p = self.p
            self._new_fills.append(f'<{p}fill><{p}patternFill patternType="solid"><{p}fgColor rgb="{rgb}"/><{p}bgColor indexed="64"/></{p}patternFill></{p}fill>')
            self._fill_ids[rgb] = len(self.fills) + len(self._new_fills) - 1
        return self._fill_ids[rgb]

    def font(self, inner: str) -> int:
        """The id of a new font with the given child elements."""
        self._new_fonts.append(f"<{self.p}font>{inner}</{self.p}font>")
        return len(self.fonts) + len(self._new_fonts) - 1

    def xf(self, xml: str) -> int:
        """The id of a new cell format."""
        self._new_xfs.append(xml)
        return len(self.xfs) + len(self._new_xfs) - 1

    def _base(self, style: int) -> str:
        return self.xfs[style] if 0 <= style < len(self.xfs) else (self.xfs[0] if self.xfs else f'<{self.p}xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>')

    def number_format(self, style: int) -> str:
        """The number format code of cell format `style` ('General', '@', 'yyyy-mm-dd' ...)."""
        m = re.search(r'\snumFmtId="(\d+)"', self._base(style).split(">", 1)[0])
        fmt_id = int(m.group(1)) if m else 0
        return self.numfmts.get(fmt_id) or _BUILTIN_FORMATS.get(fmt_id, "General")

    def numfmt_id(self, code: str) -> int:
        """The id of number format `code`: a built-in one, one the workbook has, or one added."""
        for fmt_id, known in _BUILTIN_FORMATS.items():
            if known == code:
                return fmt_id
        for fmt_id, known in self.numfmts.items():
            if known == code:
                return fmt_id
        if code not in self._new_numfmts:
            self._new_numfmts[code] = max([163, *self.numfmts, *self._new_numfmts.values()]) + 1
        return self._new_numfmts[code]

    def with_fill(self, style: int, rgb: str, number_format: str | None = None) -> int:
        """The cell format `style` with a solid `rgb` fill: the cell keeps font, border and (unless
        `number_format` is given) number format."""
        key = (style, rgb, number_format)
        if key not in self._clones:
            base = self._base(style)
            fill_id = self.fill(rgb)
            head_end = base.index(">")
            head, rest = base[:head_end], base[head_end:]
            drop = "fillId|applyFill|numFmtId|applyNumberFormat" if number_format is not None else "fillId|applyFill"
            head = re.sub(rf'\s({drop})="[^"]*"', "", head)
            extra = f' fillId="{fill_id}" applyFill="1"'
            if number_format is not None:
                extra += f' numFmtId="{self.numfmt_id(number_format)}" applyNumberFormat="1"'
            head = head.rstrip("/").rstrip() + extra + ("/" if base[:head_end + 1].endswith("/>") else "")
            self._clones[key] = self.xf(head + rest)
        return self._clones[key]

    def render(self) -> str:
        xml = self.xml
        if self._new_numfmts:
            p = self.p
            added = "".join(f'<{p}numFmt numFmtId="{i}" formatCode={_attr(code)}/>' for code, i in self._new_numfmts.items())
            m = re.search(rf"<{p}numFmts\b[^>]*?(?:/>|>(.*?)</{p}numFmts>)", xml, re.S)
            if m is None:
                root = re.search(rf"<{p}styleSheet\b[^>]*?>", xml)
                assert root is not None  # checked in __init__
                xml = xml[: root.end()] + f'<{p}numFmts count="{len(self._new_numfmts)}">{added}</{p}numFmts>' + xml[root.end():]
            else:
                body = m.group(1) or ""
                count = len(self.numfmts) + len(self._new_numfmts)
                xml = xml[: m.start()] + f'<{p}numFmts count="{count}">{body}{added}</{p}numFmts>' + xml[m.end():]
        for section, old, new in (("fills", self.fills, self._new_fills),
                                  ("fonts", self.fonts, self._new_fonts),
                                  ("cellXfs", self.xfs, self._new_xfs)):
            if not new:
                continue
            m = re.search(rf"<{self.p}{section}\b[^>]*?(?:/>|>(.*?)</{self.p}{section}>)", xml, re.S)
            assert m is not None
            head = re.sub(r'\scount="\d*"', "", re.match(rf"<{self.p}{section}\b[^>]*?(?=/?>)", m.group(0)).group(0))  # type: ignore[union-attr]
            body = "".join(old) + "".join(new)
            xml = xml[: m.start()] + f'{head} count="{len(old) + len(new)}">{body}</{self.p}{section}>' + xml[m.end():]
        return xml


@dataclass
class _Part:
    name: str  # zip entry name, e.g. xl/worksheets/sheet1.xml
    rels: str  # its relationships part


def _rels_name(part: str) -> str:
    path = PurePosixPath(part)
    return str(path.parent / "_rels" / (path.name + ".rels"))


def _resolve(base_part: str, target: str) -> str:
    """A relationship target as a zip entry name."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts: list[str] = []
    for piece in (str(PurePosixPath(base_part).parent) + "/" + target).split("/"):
        if piece in ("", "."):
            continue
        if piece == "..":
            if parts:
                parts.pop()
        else:
            parts.append(piece)
    return "/".join(parts)


def _relationships(xml: str) -> list[dict[str, str]]:
    out = []
    for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*?)/?>", xml):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        out.append(attrs)
    return out


def _add_relationship(xml: str | None, rel_id: str, rel_type: str, target: str) -> str:
    entry = f'<Relationship Id="{rel_id}" Type="{rel_type}" Target={_attr(target)}/>'
    if xml is None:
        return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_NS_PKG_REL}">{entry}</Relationships>'
    m = re.search(r"</(\w+:)?Relationships>", xml)
    if m is None:
        xml = re.sub(r"<((?:\w+:)?Relationships\b[^>]*?)/>", r"<\1></Relationships>", xml, count=1)
        m = re.search(r"</(\w+:)?Relationships>", xml)
        if m is None:
            raise Unsupported("relationships part without <Relationships>")
    prefix = m.group(1) or ""
    entry = entry.replace("<Relationship ", f"<{prefix}Relationship ")
    return xml[: m.start()] + entry + xml[m.start():]


def _free_id(xml: str | None, stem: str) -> str:
    taken = {r.get("Id") for r in _relationships(xml or "")}
    n = 1
    while f"{stem}{n}" in taken:
        n += 1
    return f"{stem}{n}"


class XlsxEditor:
    """Annotates an .xlsx/.xlsm by rewriting only the parts that change."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def annotate(self, marks: list[Mark], issues: list[Issue], lang: str, target: Path) -> None:
        """Write the annotated copy to `target` (a temporary name: on Unsupported it is half-written)."""
        cache = said(issues, lang)
        with zipfile.ZipFile(self.source) as zin:
            names = zin.namelist()
            read = lambda n: zin.read(n).decode("utf-8")  # noqa: E731
            workbook = read("xl/workbook.xml")
            wb_rels_name = "xl/_rels/workbook.xml.rels"
            wb_rels = read(wb_rels_name) if wb_rels_name in names else None
            if wb_rels is None:
                raise Unsupported("no workbook relationships")
            ctypes = read("[Content_Types].xml")
            styles_name = next((_resolve("xl/workbook.xml", r["Target"]) for r in _relationships(wb_rels) if r.get("Type", "").endswith("/styles")), None)
            if styles_name is None or styles_name not in names:
                raise Unsupported("no styles part")
            styles = Styles(read(styles_name))
            sheets = self._sheets(workbook, wb_rels, names)
            by_sheet: dict[str, list[Mark]] = defaultdict(list)
            for mark in marks:
                by_sheet[mark.sheet].append(mark)
            if set(by_sheet) - set(sheets):
                raise Unsupported(f"issues on sheets not in the workbook: {sorted(set(by_sheet) - set(sheets))}")
            marked = [(n, name, part) for n, (name, part) in enumerate(sheets.items(), start=1) if name in by_sheet]
            issues_part = "xl/worksheets/dq_issues.xml"
            replaced = {wb_rels_name, "xl/workbook.xml", "[Content_Types].xml", styles_name, issues_part}
            for n, _, part in marked:
                replaced |= {part.name, part.rels, f"xl/comments_dq{n}.xml", f"xl/drawings/vmlDrawing_dq{n}.vml"}
            with PartWriter(self.source, target, replaced) as out:
                # The largest parts first, the comments (which deflate fastest) last: each part is
                # compressed by the writer while the next one is made.
                rels_of: dict[str, str | None] = {}
                for _, sheet_name, part in marked:
                    rels = rels_of[part.name] = read(part.rels) if part.rels in names else None
                    if rels and any(r.get("Type") == _REL_COMMENTS for r in _relationships(rels)):
                        raise Unsupported("sheet already has comments")  # merging notes safely is openpyxl's job
                    try:  # the sheet itself is edited as an XML tree, never as text
                        out.put(part.name, restyle(zipparts.read(zin, part.name), by_sheet[sheet_name], styles.with_fill, _free_id(rels, "rIdDqVml")))
                    except SheetXmlError as exc:  # e.g. a legacy drawing already there (form controls): only one is allowed
                        raise Unsupported(str(exc)) from None
                rel_id = _free_id(wb_rels, "rIdDqIssues")
                out.put(issues_part, _issues_sheet(issues, lang, styles, cache))
                block = 1  # VML shape-id blocks (1,024 ids each) stay unique across the workbook
                for n, sheet_name, part in marked:
                    sheet_marks = by_sheet[sheet_name]
                    rels = rels_of[part.name]
                    comments_name, vml_name = f"xl/comments_dq{n}.xml", f"xl/drawings/vmlDrawing_dq{n}.vml"
                    notes = comment_texts(sheet_marks, lang, cache)
                    vml, block = vml_part([(m.row, m.col) for m in sheet_marks], notes, block)
                    out.put(vml_name, vml)
                    out.put(comments_name, comments_xml([m.ref for m in sheet_marks], notes, text("xlsx.comment_author", lang)).encode("utf-8"))
                    rels = _add_relationship(rels, _free_id(rels, "rIdDqVml"), _REL_VML, "/" + vml_name)
                    rels = _add_relationship(rels, _free_id(rels, "rIdDqComments"), _REL_COMMENTS, "/" + comments_name)
                    out.put(part.rels, rels.encode("utf-8"))
                    ctypes = _add_override(ctypes, "/" + comments_name, _CT_COMMENTS)
                ctypes = _add_default(ctypes, "vml", _CT_VML)
                out.put(wb_rels_name, _add_relationship(wb_rels, rel_id, _REL_WORKSHEET, "/" + issues_part).encode("utf-8"))
                out.put("xl/workbook.xml", _add_sheet(workbook, text("xlsx.issues_sheet", lang), rel_id, list(sheets)).encode("utf-8"))
                out.put("[Content_Types].xml", _add_override(ctypes, "/" + issues_part, _CT_WORKSHEET).encode("utf-8"))
                out.put(styles_name, styles.render().encode("utf-8"))

    @staticmethod
    def _sheets(workbook: str, wb_rels: str, names: list[str]) -> dict[str, _Part]:
        targets = {r.get("Id"): _resolve("xl/workbook.xml", r.get("Target", "")) for r in _relationships(wb_rels)}
        out: dict[str, _Part] = {}
        for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*?)/?>", workbook):
            attrs = dict(re.findall(r'([\w:]+)="([^"]*)"', m.group(1)))
            rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
            name = _unescape(attrs.get("name", ""))
            target = targets.get(rid)
            if target and target in names:
                out[name] = _Part(target, _rels_name(target))
        return out


def copy_part(zin: zipfile.ZipFile, info: zipfile.ZipInfo, zout: zipfile.ZipFile) -> None:
    """Part `info` of `zin` into `zout` with its content, date and attributes; deflated as
    zipparts.write deflates (a stored part, such as an image, stays stored)."""
    data = zipparts.read(zin, info)
    if info.compress_type == zipfile.ZIP_DEFLATED:
        zipparts.write(zout, info, data)
    else:
        zout.writestr(info, data, compress_type=info.compress_type)


def copy_parts(source: Path, target: Path, changed: dict[str, bytes | list[bytes]],
               dropped: set[str] | frozenset[str] = frozenset()) -> None:
    """Write `target` as `source`'s zip with the `changed` parts replaced or added and `dropped` left out;
    every other part keeps its content. A changed part may be a list of pieces, streamed into the
    zip one after the other (an edited 90 MB sheet is not joined into one more copy first)."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in changed or info.filename in dropped:
                continue
            copy_part(zin, info, zout)
        for name, data in changed.items():
            zipparts.write(zout, name, data)


class PartWriter:
    """A zip written while its new parts are still being made: one worker thread copies `source`'s
    parts that are not `replaced` (content unchanged), then deflates and writes each part handed to
    `put`, in order. zlib and file writes run without the interpreter lock, so compressing one part
    overlaps building the next. Used as a context manager: leaving it waits for every part (a
    worker's error is raised here); leaving it with an error stops the worker and closes the file,
    which the caller then discards (it writes to a temporary name)."""

    def __init__(self, source: Path, target: Path, replaced: set[str]) -> None:
        self._zout = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="dq-zip")
        self._jobs: list[Future[None]] = [self._pool.submit(self._copy, source, replaced)]

    def _copy(self, source: Path, replaced: set[str]) -> None:
        with zipfile.ZipFile(source) as zin:
            for info in zin.infolist():
                if info.filename not in replaced:
                    copy_part(zin, info, self._zout)

    def put(self, name: str, data: bytes) -> None:
        self._jobs.append(self._pool.submit(zipparts.write, self._zout, name, data))

    def __enter__(self) -> PartWriter:
        return self

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        try:
            if error is not None:
                for job in self._jobs:
                    job.cancel()
            self._pool.shutdown(wait=True)
            if error is None:
                for job in self._jobs:
                    job.result()
        finally:
            self._zout.close()



def _unescape(value: str) -> str:
    return value.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'").replace("&amp;", "&")


def _add_override(ctypes: str, part: str, content_type: str) -> str:
    if f'PartName="{part}"' in ctypes:
        return ctypes
    m = re.search(r"</(\w+:)?Types>", ctypes)
    if m is None:
        raise Unsupported("bad [Content_Types].xml")
    p = m.group(1) or ""
    return ctypes[: m.start()] + f'<{p}Override PartName="{part}" ContentType="{content_type}"/>' + ctypes[m.start():]


def _add_default(ctypes: str, ext: str, content_type: str) -> str:
    if re.search(rf'Extension="{ext}"', ctypes, re.I):
        return ctypes
    m = re.search(r"</(\w+:)?Types>", ctypes)
    if m is None:
        raise Unsupported("bad [Content_Types].xml")
    p = m.group(1) or ""
    return ctypes[: m.start()] + f'<{p}Default Extension="{ext}" ContentType="{content_type}"/>' + ctypes[m.start():]


def _add_sheet(workbook: str, wanted: str, rel_id: str, existing: list[str]) -> str:
    taken = {s.casefold() for s in existing}
    name, n = wanted, 2
    while name.casefold() in taken:
        name = f"{wanted} ({n})"
        n += 1
    ids = [int(x) for x in re.findall(r"<(?:\w+:)?sheet\b[^>]*?\ssheetId=\"(\d+)\"", workbook)]
    m = re.search(r"</(\w+:)?sheets>", workbook)
    if m is None:
        raise Unsupported("workbook without <sheets>")
    p = m.group(1) or ""
    entry = f'<{p}sheet name={_attr(name)} sheetId="{max(ids, default=0) + 1}" xmlns:r="{_NS_R}" r:id="{rel_id}"/>'
    return workbook[: m.start()] + entry + workbook[m.start():]


def comments_xml(refs: list[str], notes: list[str], author: str) -> str:
    """A comments part: one note per cell reference, all by `author`."""
    author = _x(author)
    head = '<comment ref="'
    body = '" authorId="0"><text><r><rPr><sz val="9"/><rFont val="Tahoma"/></rPr><t xml:space="preserve">'
    tail = "</t></r></text></comment>"
    # Escaped in one pass (safe_text.xml_escaped_cells), joined as one list: no call per note.
    items = "".join(map("".join, zip(repeat(head), refs, repeat(body), xml_escaped_cells(notes), repeat(tail), strict=False)))
    if len(refs) != len(notes):
        raise ValueError("one note per cell reference")
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{_NS_MAIN}">'
            f"<authors><author>{author}</author></authors><commentList>{items}</commentList></comments>")


def _note_height(note: str) -> int:
    """About 30 characters a line in a 240pt box: tall enough to read without resizing."""
    lines = sum(1 + len(line) // 30 for line in note.split("\n"))
    return min(20 + 12 * lines, 400)


def vml_xml(cells: list[tuple[int, int]], notes: list[str], first_block: int, width: int = 240,
            height: int | None = None) -> tuple[str, int]:
    """`vml_part` as text."""
    data, block = vml_part(cells, notes, first_block, width, height)
    return data.decode("ascii"), block


def vml_part(cells: list[tuple[int, int]], notes: list[str], first_block: int, width: int = 240,
             height: int | None = None) -> tuple[bytes, int]:
    """The legacy drawing Excel needs to show comments on `cells` ((row, 0-based column) each), as
    the part's bytes (ASCII: built as bytes, never a text to encode); returns it and the next free
    id block. Without `height` each box is as tall as its note."""
    if len(cells) != len(notes):
        raise ValueError("one note per cell")
    blocks = max(1, -(-len(cells) // 1024))
    ids = ",".join(str(b) for b in range(first_block, first_block + blocks))
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
    xml = (b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
           b'xmlns:x="urn:schemas-microsoft-com:office:excel">'
           b'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="' + ids.encode() + b'"/></o:shapelayout>'
           b'<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
           b'<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>'
           + b"".join(shapes) + b"</xml>")
    return xml, first_block + blocks


_EDGE_SPACE = frozenset(" \t\n\r\u3000")


def _t(escaped: str) -> str:
    """A <t> element for escaped text; xml:space only where edge whitespace must survive."""
    if escaped[0] in _EDGE_SPACE or escaped[-1] in _EDGE_SPACE:
        return f'<t xml:space="preserve">{escaped}</t>'
    return f"<t>{escaped}</t>"


def _cell(escaped: str, style: str) -> str:
    """A positional cell holding escaped inline text (or nothing), with an optional s="..." attribute."""
    if escaped:
        return f'<c{style} t="inlineStr"><is>{_t(escaped)}</is></c>'
    return f"<c{style}/>"


def _cell_pieces(escaped: list[str], style: str) -> list[bytes]:
    """`_cell(value, style)` of every escaped value as UTF-8, made as one string joined and split
    in C (escaped text holds no NUL); only empty values and those with edge whitespace go one by one."""
    if not escaped:
        return []
    start, end = f'<c{style} t="inlineStr"><is><t>', "</t></is></c>"
    pieces = (start + (end + "\x00" + start).join(escaped) + end).encode().split(b"\x00")
    for i, value in enumerate(escaped):
        if not value or value[0] in _EDGE_SPACE or value[-1] in _EDGE_SPACE:
            pieces[i] = _cell(value, style).encode()
    return pieces


def _issues_sheet(issues: list[Issue], lang: str, styles: Styles, cache: Said) -> bytes:
    """The Issues sheet part, UTF-8: the rows are joined as bytes from pieces encoded once each."""
    header, values_of = issue_columns(issues, lang, cache)
    p = styles.p
    bold = styles.font(f'<{p}b/><{p}sz val="11"/><{p}color rgb="FFFFFFFF"/><{p}name val="Calibri"/>')
    link = styles.font(f'<{p}u/><{p}sz val="11"/><{p}color rgb="FF0563C1"/><{p}name val="Calibri"/>')
    head_xf = styles.xf(f'<{p}xf numFmtId="0" fontId="{bold}" fillId="{styles.fill(HEADER_FILL)}" borderId="0" xfId="0" applyFont="1" applyFill="1"/>')
    link_xf = styles.xf(f'<{p}xf numFmtId="0" fontId="{link}" fillId="0" borderId="0" xfId="0" applyFont="1"/>')
    sev_xf = {s: styles.with_fill(0, FILLS[s]) for s in Severity}
    widths = [16, 8, 9, 8, 10, 20, 14, 14, 22, 60, 50]
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{_NS_MAIN}" xmlns:r="{_NS_R}">',
           '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>',
           "<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1)) + "</cols>",
           "<sheetData>"]

    # Built column by column from one escaped list of every value: a cell's XML is made once per
    # distinct (value, style) and looked up for the others, rows are joined from those pieces.
    # Data cells carry no r="..." (they are positional, ECMA-376 18.3.1.4): every column is
    # written, an empty one as <c/>, so a row is the same pieces whatever its number.
    # Inline strings are always text: a value like =HYPERLINK(...) from the data is never a formula.
    ncols = len(header)
    col_names = [letters(c) for c in range(ncols)]
    head = "".join(f'<c r="{col_names[c]}1" s="{head_xf}" t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
                   for c, v in enumerate(xml_escaped_cells([str(h) for h in header])))
    out.append(f'<row r="1">{head}</row>')
    cell_col = 5  # the "cell" column
    numbers = range(2, len(issues) + 2)
    linked = [issue.row is not None and bool(issue.sheet) for issue in issues]
    styles_of: dict[int, list[str]] = {
        1: [f' s="{sev_xf[issue.severity]}"' for issue in issues],
        cell_col: [f' s="{link_xf}"' if link else "" for link in linked],
    }
    columns = []
    for c, raw in enumerate(values_of):
        values = raw if set(map(type, raw)) <= {str} else ["" if v is None else v if isinstance(v, str) else str(v) for v in raw]
        keys: list = list(zip(values, styles_of[c], strict=True)) if c in styles_of else values
        distinct = list(dict.fromkeys(keys))
        if c in styles_of:
            by_style: dict[str, list[tuple[str, str]]] = defaultdict(list)
            for key in distinct:
                by_style[key[1]].append(key)
            pieces = {}
            for style, group in by_style.items():
                pieces.update(zip(group, _cell_pieces(xml_escaped_cells([v for v, _ in group]), style), strict=True))
        else:
            pieces = dict(zip(distinct, _cell_pieces(xml_escaped_cells(distinct), ""), strict=True))
        columns.append(list(map(pieces.__getitem__, keys)))
    body = b"".join(chain.from_iterable(zip([b'<row r="%d">' % n for n in numbers], *columns, repeat(b"</row>"))))  # one copy
    columns.clear()
    where_of = values_of[cell_col]
    targets = [(n, issue, at) for n, issue, link, at in zip(numbers, issues, linked, where_of, strict=True) if link]
    locations = xml_escaped_cells(["'" + issue.sheet.replace("'", "''") + f"'!{issue.column or 'A'}{issue.row}"  # type: ignore[union-attr]
                                   for _, issue, _ in targets], attribute=True)
    go_to = text("xlsx.go_to", lang, cell="\x00")  # formatted once; each link puts its cell in
    shown = xml_escaped_cells([go_to.replace("\x00", str(at)) for _, _, at in targets], attribute=True)
    link_col = letters(cell_col)
    links = [f'<hyperlink ref="{link_col}{n}" location="{loc}" display="{disp}"/>'
             for (n, _, _), loc, disp in zip(targets, locations, shown, strict=True)]
    if not issues:
        out.append(f'<row r="2"><c r="A2" t="inlineStr"><is><t xml:space="preserve">{_x(text("xlsx.no_issues", lang))}</t></is></c></row>')
    head_xml = "".join(out).encode()
    out = ["</sheetData>"]
    if issues:
        out.append(f'<autoFilter ref="A1:{letters(len(header) - 1)}{len(issues) + 1}"/>')
    if links:
        out.append("<hyperlinks>" + "".join(links) + "</hyperlinks>")
    out.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    return b"".join((head_xml, body, "".join(out).encode()))
