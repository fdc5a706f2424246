"""Where things are in a worksheet part, for the cell editor (ooxml.worksheet): the plain form the
editor relies on, the stretch of <sheetData>, what lies before and after it, and the tags in it.

The plain form: UTF-8; no comments, CDATA sections, processing instructions or document type (so
that a '<' always starts markup, and a tag ends at the first '>' outside its quoted attribute
values); the main namespace bound once, on the root, to the prefix the part's elements use, and
never again inside <sheetData>. Excel, LibreOffice and every library write worksheets that way; a
part written otherwise is rewritten by lxml into it first (`plain`): the same elements and text,
comments and processing instructions dropped, CDATA as escaped text.
"""

from __future__ import annotations

import html
import re
from functools import cache

from lxml import etree

from dataquality.ooxml import OoxmlError
from dataquality.ooxml.names import MAIN
from dataquality.xlsx import column_index

FRAGMENT_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False)
PLAIN_PARSER = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True, load_dtd=False,
                                remove_comments=True, remove_pis=True, strip_cdata=True)

_DECL = re.compile(rb"\s*<\?xml\b[^>]*\?>")
_UTF8 = re.compile(rb"encoding\s*=\s*[\"']utf-?8[\"']", re.I)
# A start tag: name, attributes (quoted values may hold '>'), '/' when it closes itself.
TAG = re.compile(rb"<([^\s>/!?]+)((?:\s+[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
ANY_TAG = re.compile(rb"<(/?)([^\s>/!?]+)((?:\s+[^\s=>/]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>")
ATTR = re.compile(rb"([^\s=>/]+)\s*=\s*(\"[^\"]*\"|'[^']*')")
REF = re.compile(r"([A-Za-z]{1,3})(\d+)")


def attributes(raw: bytes) -> dict[bytes, bytes]:
    """A start tag's attributes, name -> value as written (quotes removed, references kept)."""
    return {name: value[1:-1] for name, value in ATTR.findall(raw)}


def unescaped(value: bytes | None) -> str:
    """An attribute value or character data as text (character and entity references resolved)."""
    if value is None:
        return ""
    text = value.decode("utf-8")
    return html.unescape(text) if "&" in text else text


def integer(value: bytes | None, default: int = 0) -> int:
    text = unescaped(value).strip()
    return int(text) if text.isdigit() else default


@cache
def end_tag(p: bytes, name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"</" + re.escape(p + name) + rb"\s*>")


@cache
def start_tag(p: bytes, name: bytes) -> re.Pattern[bytes]:
    return re.compile(rb"<" + re.escape(p + name) + rb"(?=[\s/>])")


# ---------------------------------------------------------------------------------- the part's layout


class NotPlain(Exception):
    """The part is not in the plain form (see Layout): lxml rewrites it first."""


def plain(xml: bytes) -> bytes:
    """The part rewritten by lxml into the plain form the byte editor relies on (see the module's doc)."""
    try:
        tree = etree.ElementTree(etree.fromstring(xml, PLAIN_PARSER))
    except etree.XMLSyntaxError as exc:
        raise OoxmlError(f"the worksheet is not well-formed XML: {exc}") from None
    if tree.docinfo.doctype:
        raise OoxmlError("the worksheet declares a document type (not allowed in a workbook)")
    root = tree.getroot()
    etree.cleanup_namespaces(root, top_nsmap={root.prefix: etree.QName(root).namespace or MAIN})
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _markup_start(xml: bytes) -> int:
    """Where the markup after the XML declaration starts; NotPlain for a part not in UTF-8 or holding
    comments, CDATA, a document type or processing instructions."""
    decl = _DECL.match(xml)
    if (decl is not None and b"encoding" in decl.group(0) and not _UTF8.search(decl.group(0))) \
            or xml[:2] in (b"\xff\xfe", b"\xfe\xff", b"\xef\xbb") or b"\x00" in xml[:4]:
        raise NotPlain("not UTF-8, or a byte order mark")
    start = decl.end() if decl is not None else 0
    # '!' and '?' are rare in a worksheet: the searches for what they start run only when they occur.
    if (xml.find(b"!") >= 0 and b"<!" in xml) or (xml.find(b"?", start) >= 0 and xml.find(b"<?", start) >= 0):
        raise NotPlain("comments, CDATA, a document type or processing instructions")
    return start


class Layout:
    """Where things are in a plain worksheet part: the root's start tag, <sheetData>, what lies
    before it (head) and after it (tail). Raises NotPlain for a part that is not in plain form."""

    def __init__(self, xml: bytes) -> None:
        root = re.compile(rb"<([A-Za-z_][\w.-]*:)?worksheet(?=[\s/>])").search(xml, _markup_start(xml))
        tag = TAG.match(xml, root.start()) if root is not None else None
        if root is None or tag is None or tag.group(3):
            raise OoxmlError("the worksheet part has no <worksheet>")
        self.p = root.group(1) or b""
        self.root_open = tag.group(0)
        self.head_start = tag.end()
        opened = start_tag(self.p, b"sheetData").search(xml, tag.end())
        data = TAG.match(xml, opened.start()) if opened is not None else None
        if data is None:
            raise OoxmlError("the worksheet has no <sheetData>")
        self.head_end = data.start()
        self.self_closing = bool(data.group(3))
        self.data_start = self.data_end = self.tail_start = data.end()
        if not self.self_closing:
            closed = end_tag(self.p, b"sheetData").search(xml, data.end())
            if closed is None:
                raise OoxmlError("the worksheet's <sheetData> is not closed")
            self.data_end, self.tail_start = closed.start(), closed.end()
        root_close = list(end_tag(self.p, b"worksheet").finditer(xml, self.tail_start))
        if not root_close:
            raise OoxmlError("the worksheet is not closed")
        self.tail_end = root_close[-1].start()
        self._check_namespaces(xml)

    def _check_namespaces(self, xml: bytes) -> None:
        """The root's namespace is bound once, on the root, to the prefix its elements use, and
        nothing inside <sheetData> binds that prefix or that namespace again."""
        binding = b"xmlns:" + self.p[:-1] if self.p else b"xmlns"
        uri = attributes(self.root_open).get(binding)
        if uri is None or self.root_open.count(uri) != 1:
            raise NotPlain("the main namespace is bound more than once")
        if xml.find(b"xmlns", self.head_end, self.data_end) >= 0:  # from <sheetData ...> on
            again = re.compile(rb"\s" + re.escape(binding) + rb"\s*=")
            if again.search(xml, self.head_end, self.data_end) or xml.find(uri, self.head_end, self.data_end) >= 0:
                raise NotPlain("the main namespace is bound inside <sheetData>")


def tag_end(xml: bytes, start: int, what: str) -> tuple[int, bool]:
    """Where the start tag at `start` ends (after its '>'), and whether it closes itself (`/>`).
    The first '>' ends the tag unless a quote before it is open; then the full pattern decides."""
    gt = xml.find(b">", start)
    head = xml[start:gt] if gt >= 0 else b"'"
    if b"'" in head or head.count(b'"') % 2:
        m = TAG.match(xml, start)
        if m is None:
            raise OoxmlError(f"{what} has a malformed start tag")
        return m.end(), bool(m.group(3))
    return gt + 1, head.endswith(b"/")


def element_end(xml: bytes, end_of_tag: int, closed: bool, p: bytes, name: bytes, bound: int, what: str) -> int:
    """Where the element whose start tag ends at `end_of_tag` ends (after its end tag, before `bound`)."""
    if closed:
        return end_of_tag
    close, pattern = b"</" + p + name, end_tag(p, name)
    at = xml.find(close, end_of_tag, bound)
    while at >= 0:
        found = pattern.match(xml, at)
        if found is not None:
            return found.end()
        at = xml.find(close, at + 1, bound)
    raise OoxmlError(f"{what} is not closed")


# ---------------------------------------------------------------------------------- head and tail


class Fragment:
    """Elements of the part (what lies before or after <sheetData>) parsed under a copy of the
    root's start tag (its namespaces in scope), edited with lxml and written back."""

    def __init__(self, root_open: bytes, p: bytes, body: bytes) -> None:
        close = b"</" + p + b"worksheet>"
        try:
            self.root = etree.fromstring(root_open + body + close, FRAGMENT_PARSER)
            shell = etree.fromstring(root_open + close, FRAGMENT_PARSER)
        except etree.XMLSyntaxError as exc:
            raise OoxmlError(f"the worksheet is not well-formed XML: {exc}") from None
        self._open = etree.tostring(shell).rsplit(b"/>", 1)[0] + b">"
        self._close = close
        self.changed = False

    def q(self, name: str) -> str:
        ns = etree.QName(self.root).namespace
        return f"{{{ns}}}{name}" if ns else name

    def children(self, name: str) -> list[etree._Element]:
        return [el for el in self.root if isinstance(el.tag, str) and etree.QName(el).localname == name]

    def render(self) -> bytes:
        out = etree.tostring(self.root, encoding="UTF-8", xml_declaration=False)
        if len(self.root) == 0 and out.endswith(b"/>"):
            return b""
        if not out.startswith(self._open) or not out.endswith(self._close):
            raise OoxmlError("unexpected serialisation of the worksheet's root")
        return out[len(self._open): -len(self._close)]


def ranges(refs: list[str]) -> list[tuple[int, int, int, int]]:
    """(first row, first col, last row, last col) of A1:B2-style references (0-based columns)."""
    out = []
    for ref in refs:
        a, _, b = ref.partition(":")
        first, last = REF.fullmatch(a.replace("$", "")), REF.fullmatch((b or a).replace("$", ""))
        if first is not None and last is not None:
            out.append((int(first.group(2)), column_index(first.group(1)), int(last.group(2)), column_index(last.group(1))))
    return out


