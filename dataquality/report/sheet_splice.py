"""Edit a few rows of a large worksheet part without parsing the rest of it.

A worksheet is mostly <sheetData>, one <row> after another. The rows to change are found by a
byte scan for their start tags, and only those rows (plus the small part after <sheetData>:
merged ranges, drawings) are parsed by lxml, edited as elements and serialised back; every other
byte of the part is copied as it was. That makes a sheet with a few thousand corrections cost one
scan of the part instead of a parse and re-serialisation of every cell.

The scan is sound because in well-formed XML a '<' never occurs in character data or attribute
values: only markup starts with '<', except inside comments, CDATA sections and processing
instructions. A part that holds any of those, is not UTF-8, or numbers its rows implicitly raises
SpliceUnsupported, and the caller uses the whole-tree editor instead (sheet_tree).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from lxml import etree

_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False)
_ROOT = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_DECL = re.compile(rb"^\s*<\?xml\b[^>]*\?>", re.S)
# Wanted rows at most this many rows apart are parsed as one fragment (fewer lxml calls).
_GAP = 3


class SpliceUnsupported(Exception):
    """The part cannot be edited by splicing; use the whole-tree editor."""


@dataclass
class Fragment:
    """Some elements of the part, parsed under a copy of the root element (its namespaces in scope)."""

    root: etree._Element

    def children(self) -> list[etree._Element]:
        return [el for el in self.root if isinstance(el.tag, str)]


class Sheet:
    """A worksheet part located: its root tag, <sheetData> and the row start offsets."""

    def __init__(self, xml: bytes) -> None:
        self.xml = xml
        m = _DECL.match(xml)
        if m is not None and re.search(rb"encoding\s*=\s*[\"'](?!utf-?8[\"'])", m.group(0), re.I):
            raise SpliceUnsupported("not UTF-8")
        start = m.end() if m is not None else 0
        # A one-byte search runs at memory speed and '!', '?' are rare in a worksheet: the slower
        # searches for the tokens (whose '<' is everywhere) only run when the byte is there.
        for token in (b"<![CDATA[", b"<!--", b"<!DOCTYPE", b"<!ENTITY") if b"!" in xml else ():
            if token in xml:
                raise SpliceUnsupported(f"part holds {token!r}")
        if xml.find(b"?", start) >= 0 and xml.find(b"<?", start) >= 0:
            raise SpliceUnsupported("processing instruction")
        root = _ROOT.search(xml, start)
        if root is None or root.group(0).endswith(b"/>"):
            raise SpliceUnsupported("no <worksheet>")
        self.root_start = root.group(0)
        self.p = root.group(1) or b""
        self.root_end = b"</" + self.p + b"worksheet>"
        data_open = re.compile(rb"<" + re.escape(self.p) + rb"sheetData(?=[\s/>])(?:[^>\"']|\"[^\"]*\"|'[^']*')*>").search(xml, root.end())
        if data_open is None or data_open.group(0).endswith(b"/>"):
            raise SpliceUnsupported("no <sheetData> with rows")
        close = b"</" + self.p + b"sheetData>"
        data_close = xml.find(close, data_open.end())
        if data_close < 0 or not xml.rstrip().endswith(self.root_end):
            raise SpliceUnsupported("no </sheetData>")
        self.data_start, self.data_end = data_open.end(), data_close
        self.tail_start = data_close + len(close)
        self.tail_end = len(xml.rstrip()) - len(self.root_end)
        self._rows: tuple[list[int], list[int], list[int]] | None = None
        # How lxml writes the root's start tag: serialised fragments are cut out of it.
        shell = etree.fromstring(self.root_start + self.root_end, _PARSER)
        self._shell = shell
        self._open = etree.tostring(shell).rsplit(b"/>", 1)[0] + b">"
        self._close = b"</" + self.p + b"worksheet>"

    # ------------------------------------------------------------------ rows

    def rows(self) -> tuple[list[int], list[int], list[int]]:
        """Row numbers, start and end offsets of every <row>, in file order (scanned once, in C).

        A row runs to the next row's start (or </sheetData>): only whitespace lies between rows.
        Whatever the scan believes is checked again when a row is parsed (Sheet.edit).
        """
        if self._rows is None:
            p = re.escape(self.p)
            xml, a, b = self.xml, self.data_start, self.data_end
            body = xml[a:b]
            found = [(m.start() + a, int(m.group(1)))
                     for m in re.finditer(rb"<" + p + rb"row\s[^>]*?(?<=\s)r\s*=\s*[\"'](\d+)[\"']", body)]
            if len(found) != len(re.findall(rb"<" + p + rb"row[\s/>]", body)):
                raise SpliceUnsupported("a row without its number")
            numbers = [n for _, n in found]
            starts = [s for s, _ in found]
            ends = [*starts[1:], b]
            if any(y <= x for x, y in zip(numbers, numbers[1:], strict=False)):
                raise SpliceUnsupported("rows out of order")
            self._rows = (numbers, starts, ends)
        return self._rows

    def last_row(self) -> int:
        numbers = self.rows()[0]
        return numbers[-1] if numbers else 0

    def parse(self, body: bytes) -> Fragment:
        try:
            return Fragment(etree.fromstring(self.root_start + body + self.root_end, _PARSER))
        except etree.XMLSyntaxError as exc:
            raise SpliceUnsupported(str(exc)) from None

    def render(self, fragment: Fragment) -> bytes:
        out = etree.tostring(fragment.root, encoding="UTF-8", xml_declaration=False)
        if not out.startswith(self._open):
            raise SpliceUnsupported("unexpected serialisation of the root")
        if out.endswith(b"/>") and len(fragment.root) == 0:
            return b""
        if not out.endswith(self._close):
            raise SpliceUnsupported("unexpected end of the root")
        return out[len(self._open): -len(self._close)]

    def element(self, tag: str, **attrs: str) -> etree._Element:
        """A new element in the part's main namespace."""
        ns = etree.QName(self._shell).namespace
        return etree.Element(f"{{{ns}}}{tag}" if ns else tag, **attrs)

    def qname(self, tag: str) -> str:
        ns = etree.QName(self._shell).namespace
        return f"{{{ns}}}{tag}" if ns else tag

    def tail(self) -> Fragment:
        """What follows </sheetData> (merged ranges, hyperlinks, drawings ...) as elements."""
        return self.parse(self.xml[self.tail_start: self.tail_end])

    def edit(self, wanted: Iterable[int], edit_row: Callable[[etree._Element, int], None],
             tail: Fragment | None = None, append: list[etree._Element] | None = None, append_xml: bytes = b"",
             fast_row: Callable[[bytes, int], bytes | None] | None = None) -> bytes:
        """The part with each wanted row edited in place by `edit_row(row element, number)`.

        Every wanted row must exist (raises SpliceUnsupported otherwise: the tree editor creates rows).
        `fast_row(row bytes, number)`, when given, may return the edited row without parsing it
        (None: parse it and use `edit_row`).
        `tail`, when given, replaces what follows </sheetData>; `append` rows (elements, or `append_xml`,
        rows already serialised in the part's main namespace without a prefix) go at the end of the data.
        """
        numbers, starts, ends = self.rows()
        index = {n: i for i, n in enumerate(numbers)}
        want = sorted(set(wanted))
        missing = [n for n in want if n not in index]
        if missing:
            raise SpliceUnsupported(f"row {missing[0]} is not in the part")
        xml = self.xml
        out: list[bytes] = []
        pos = 0
        pending: list[int] = []

        def flush() -> None:
            nonlocal pos
            if not pending:
                return
            first, last = index[pending[0]], index[pending[-1]]
            a, b = starts[first], ends[last]
            fragment = self.parse(xml[a:b])
            rows = {}
            for el in fragment.children():
                r = el.get("r")
                rows[int(r) if r is not None and r.isdigit() else -1] = el
            if list(rows) != numbers[first: last + 1]:
                raise SpliceUnsupported("the rows parsed are not the rows scanned")
            for n in pending:
                edit_row(rows[n], n)
            out.append(xml[pos:a])
            out.append(self.render(fragment))
            pos = b
            pending.clear()

        for n in want:
            i = index[n]
            if fast_row is not None:
                done = fast_row(xml[starts[i]:ends[i]], n)
                if done is not None:
                    flush()
                    out.append(xml[pos:starts[i]])
                    out.append(done)
                    pos = ends[i]
                    continue
            if pending and i - index[pending[-1]] > _GAP:
                flush()
            pending.append(n)
        flush()
        if append_xml:
            if self.p:
                raise SpliceUnsupported("rows given as XML need the main namespace as the default")
            out.append(xml[pos: self.data_end])
            out.append(append_xml)
            pos = self.data_end
        if append:
            out.append(xml[pos: self.data_end])
            shell = Fragment(etree.fromstring(self.root_start + self.root_end, _PARSER))
            for el in append:
                shell.root.append(el)
            out.append(self.render(shell))
            pos = self.data_end
        if tail is not None:
            out.append(xml[pos: self.tail_start])
            out.append(self.render(tail))
            pos = self.tail_end
        out.append(xml[pos:])
        return b"".join(out)
