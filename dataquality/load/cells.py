"""What calamine's cell values leave out: merged ranges, number formats and which cells hold numbers.

A person reads a workbook as Excel shows it: a value merged down over five rows belongs to each
of them, a code stored as 123 with the format 000000 reads 000123, and a 19-digit account typed
as a number shows Excel's 15 significant digits. fastexcel gives the stored values only, so this
module reads the rest:

- .xlsx/.xlsm: the workbook's own XML (the `<mergeCells>` tail of the sheet part, the number
  formats in styles.xml, and, only when a sheet may need it, the cells with those styles);
- .xls/.ods: python-calamine (merged ranges and cell types; such files are small by nature).

Everything here is best effort on top of the values already read: a part that cannot be parsed
leaves the values as calamine read them.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from dataquality.load import zipparts

if TYPE_CHECKING:
    from dataquality.load.limits import SheetScan

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d{1,7})$")
# A number format that pads integers with zeros, optionally with quoted or escaped literals around
# it: 000000, "C"000000, \C000000, 0000000000000. Anything else (dates, decimals, #,##0) is left alone.
_PADDED = re.compile(r'^((?:"[^"]*"|\\.)*)(0{2,})((?:"[^"]*"|\\.)*)$')
_CHUNK = 1 << 20


@dataclass(frozen=True)
class PaddedFormat:
    """A zero-padding number format: prefix + the integer padded to `width` + suffix."""

    prefix: str
    width: int
    suffix: str

    def show(self, number: float) -> str | None:
        if number != int(number) or number < 0:
            return None
        return f"{self.prefix}{int(number):0{self.width}d}{self.suffix}"


@dataclass
class SheetCells:
    """Merged ranges and number-format facts of one sheet."""

    # (first row, first column, last row, last column): rows 1-based as Excel shows, columns 0-based.
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    padded_styles: dict[int, PaddedFormat] = field(default_factory=dict)  # xlsx style index -> format
    member: str | None = None  # xlsx: the sheet's part in the zip
    long_numbers: bool = True  # whether some cell may hold a number of 16+ digits (False: the scan saw none)


def col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _ref(text: str) -> tuple[int, int] | None:
    m = _REF.match(text.strip().upper())
    if not m:
        return None
    return int(m.group(2)), col_index(m.group(1))


def _literal(part: str) -> str:
    return "".join(m.group(1) if m.group(1) is not None else m.group(2)
                   for m in re.finditer(r'"([^"]*)"|\\(.)', part))


def padded_format(code: str) -> PaddedFormat | None:
    """The zero-padding format `code` describes, or None (first section of the format only)."""
    first = code.split(";")[0]
    m = _PADDED.match(first)
    if not m:
        return None
    return PaddedFormat(_literal(m.group(1)), len(m.group(2)), _literal(m.group(3)))


def xlsx_sheet_members(zf: zipfile.ZipFile) -> list[str]:
    """The sheet parts in workbook order (the order calamine lists the sheets in)."""
    book = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG_REL}Relationship")}
    out = []
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
        out.append(member)
    return out


def _xlsx_padded_styles(zf: zipfile.ZipFile) -> dict[int, PaddedFormat]:
    try:
        styles = ET.fromstring(zf.read("xl/styles.xml"))
    except KeyError:
        return {}
    codes = {int(n.get("numFmtId", "-1")): n.get("formatCode", "") for n in styles.iter(f"{_NS_MAIN}numFmt")}
    out: dict[int, PaddedFormat] = {}
    xfs = styles.find(f"{_NS_MAIN}cellXfs")
    if xfs is None:
        return out
    for i, xf in enumerate(xfs.findall(f"{_NS_MAIN}xf")):
        fmt = padded_format(codes.get(int(xf.get("numFmtId", "0")), ""))
        if fmt is not None:
            out[i] = fmt
    return out


def _sheet_tail(zf: zipfile.ZipFile, member: str) -> tuple[bytes, bool]:
    """The part from </sheetData> on (and whether it was found), without holding the part in memory."""
    tail = b""
    found = False
    for chunk in zipparts.chunks(zf, zf.getinfo(member), _CHUNK):
        if found:
            tail += chunk
            continue
        window = tail[-64:] + chunk
        at = window.find(b"</sheetData>")
        if at < 0:
            at = window.find(b"<sheetData/>")
        if at >= 0:
            found = True
            tail = window[at:]
        else:
            tail = window[-64:]
    return tail, found


def _xlsx_merged(zf: zipfile.ZipFile, member: str, tail: bytes | None = None) -> list[tuple[int, int, int, int]]:
    """The `<mergeCells>` of a sheet part, from its tail (`tail`: as the limits scan kept it)."""
    if tail is None:
        tail, found = _sheet_tail(zf, member)
        if not found:
            return []
    start = tail.find(b"<mergeCells")
    if start < 0:
        return []
    end = tail.find(b"</mergeCells>", start)
    if end < 0:
        return []
    xml = tail[start: end + len(b"</mergeCells>")]
    # The fragment carries no namespace declaration: parse it with a neutral one.
    xml = re.sub(rb"^<mergeCells", b'<mergeCells xmlns="urn:x"', xml)
    out = []
    for node in ET.fromstring(xml):
        ref = node.get("ref", "")
        if ":" not in ref:
            continue
        a, b = (_ref(x) for x in ref.split(":", 1))
        if a and b:
            out.append((min(a[0], b[0]), min(a[1], b[1]), max(a[0], b[0]), max(a[1], b[1])))
    return out


def sheet_cells(path: Path, kind: str, index: int, name: str | None,
                scans: Mapping[str, SheetScan] | None = None) -> SheetCells:
    """Merged ranges and number formats of sheet `index`; empty when the file does not tell.
    `scans`: what the limits scan saw of each sheet part (its tail from </sheetData>, whether a
    long number is in it)."""
    try:
        if kind == "xlsx":
            with zipparts.PartsZip(path) as zf:
                members = xlsx_sheet_members(zf)
                if index >= len(members) or members[index] not in zf.namelist():
                    return SheetCells()
                member = members[index]
                # The limits scan already inflated the part once and kept its tail.
                scan = (scans or {}).get(member)
                return SheetCells(_xlsx_merged(zf, member, scan.tail if scan else None), _xlsx_padded_styles(zf), member,
                                  scan.long_numbers if scan else True)
        if kind in ("xls", "ods"):
            sheet = _calamine_book(path).get_sheet_by_index(index)
            merged = [(r0 + 1, c0, r1 + 1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
            return SheetCells(merged)
    except Exception:  # noqa: BLE001 - extras only: the values calamine read stay as they are
        return SheetCells()
    return SheetCells()


def xlsx_number_cells(path: Path, member: str, styles: set[int] | frozenset[int] = frozenset(),
                      long_numbers: bool = False, rows: Iterable[int] | None = None) -> dict[tuple[int, int], tuple[str, int]]:
    """Cells of sheet part `member` that hold numbers with one of `styles` (zero-padding formats) or,
    with `long_numbers`, 16 or more digits: (row, column) -> (stored number text, style index).

    One regular-expression pass over the part's bytes in C: only the matching cells reach Python.
    Cells are written `<c r=".." s=".." t="n"><v>..</v></c>` by Excel, openpyxl and XlsxWriter; a
    cell written another way keeps the value calamine read.
    """
    wanted = []
    if styles:
        ids = "|".join(str(i) for i in sorted(styles))
        wanted.append(rb'<c r="([A-Z]{1,3})(\d+)" s="(' + ids.encode() + rb')"(?: t="n")?><v>([^<]*)</v>')
    if long_numbers:
        wanted.append(rb'<c r="([A-Z]{1,3})(\d+)"(?: s="(\d+)")?(?: t="n")?><v>(-?\d{16,}(?:\.0+)?|-?\d(?:\.\d+)?[Ee]\+?(?:1[5-9]|[2-9]\d))</v>')
    out: dict[tuple[int, int], tuple[str, int]] = {}
    if not wanted:
        return out
    with zipparts.PartsZip(path) as zf:
        data = zipparts.read(zf, member)
    if rows is not None and not styles:
        # Only some rows can hold what is asked (`rows`): look at those rows' elements alone.
        found = _in_rows(data, sorted(set(rows)), re.compile(wanted[0]))
        if found is not None:
            return found
    for pattern in wanted:
        for m in re.finditer(pattern, data):
            ref = (int(m.group(2)), col_index(m.group(1).decode("ascii")))
            out[ref] = (m.group(4).decode("ascii", "replace"), int(m.group(3) or 0))
    return out


def _in_rows(data: bytes, rows: list[int], pattern: re.Pattern[bytes]) -> dict[tuple[int, int], tuple[str, int]] | None:
    """`pattern`'s cells within the <row> elements of `rows` (ascending), found by seeking from one
    row to the next; None when a row is not where rows written in order would put it."""
    out: dict[tuple[int, int], tuple[str, int]] = {}
    at = 0
    for row in rows:
        start = data.find(b'<row r="%d"' % row, at)
        if start < 0:
            return None
        end = data.find(b"</row>", start)
        if end < 0:
            return None
        for m in pattern.finditer(data, start, end):
            if int(m.group(2)) != row:
                return None
            out[(row, col_index(m.group(1).decode("ascii")))] = (m.group(4).decode("ascii", "replace"), int(m.group(3) or 0))
        at = end
    return out


def calamine_number_cells(path: Path, index: int) -> dict[tuple[int, int], tuple[str, int]]:
    """.xls/.ods: cells holding numbers, (row, column) -> (repr of the number, 0)."""
    rows = _calamine_book(path).get_sheet_by_index(index).to_python(skip_empty_area=False)
    out: dict[tuple[int, int], tuple[str, int]] = {}
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row):
            if isinstance(v, float) and not isinstance(v, bool):
                out[(r, c)] = (repr(v), 0)
    return out


def _calamine_book(path: Path) -> Any:
    """An .xls/.ods workbook opened by its content: calamine's from_path goes by the extension,
    and such a workbook may be saved under another one (load/grid.py)."""
    import python_calamine

    with path.open("rb") as fh:
        return python_calamine.CalamineWorkbook.from_filelike(fh)
