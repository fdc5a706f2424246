"""How a value becomes a cell, for every writer: text always as an inline string (a value starting
with = + - @, a tab or CR is never a formula), numbers and dates as numbers, booleans as booleans.

`cell_body` is one value (a corrected cell, written by the worksheet editor); `rows_xml` is many
rows of new cells (an Issues or Changes sheet, a correction list), built column by column: each
distinct (value, format) of a column becomes XML once, rows are joined from those pieces, and the
text of a column is escaped in one pass (safe_text.xml_escaped_cells). New rows' cells carry no
reference (they are positional, ECMA-376 18.3.1.4): every column is written, an empty one as <c/>.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat

from dataquality.ooxml.names import MAIN, RELATIONSHIPS
from dataquality.safe_text import xml_escaped_cells

_EDGE_SPACE = frozenset(" \t\n\r\u3000")
_EPOCH_1900 = dt.datetime(1899, 12, 30)
_EPOCH_1904 = dt.datetime(1904, 1, 1)


def serial(value: dt.datetime | dt.date, date1904: bool = False) -> str:
    """A date as Excel's serial day number."""
    if not isinstance(value, dt.datetime):
        value = dt.datetime(value.year, value.month, value.day)
    delta = value.replace(tzinfo=None) - (_EPOCH_1904 if date1904 else _EPOCH_1900)
    days = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return str(int(days)) if float(days).is_integer() else repr(days)


def _number(value: object) -> str | None:
    """The <v> text of a value written as a number (None: it is written as text)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float) and math.isfinite(value):
        return repr(value)
    return None


def _inline(escaped: str, preserve: bool, p: str) -> str:
    space = ' xml:space="preserve"' if preserve else ""
    return f"<{p}is><{p}t{space}>{escaped}</{p}t></{p}is>"


def _preserve(text: str) -> bool:
    return bool(text) and (text[0] in _EDGE_SPACE or text[-1] in _EDGE_SPACE)


def cell_body(value: object, date1904: bool = False, p: str = "") -> tuple[str, str]:
    """The `t` attribute (or '') and the content of a cell holding `value`; `p` is the part's
    namespace prefix ('' or e.g. 'x:')."""
    if isinstance(value, bool):
        return "b", f"<{p}v>{int(value)}</{p}v>"
    if isinstance(value, dt.datetime | dt.date):
        return "", f"<{p}v>{serial(value, date1904)}</{p}v>"
    number = _number(value)
    if number is not None:
        return "", f"<{p}v>{number}</{p}v>"
    text = "" if value is None else str(value)
    [escaped] = xml_escaped_cells([text])
    return "inlineStr", _inline(escaped, _preserve(text), p)


@dataclass(frozen=True)
class Column:
    """One column of new rows: a value per row, and the cell format of every cell (one for the
    column, one per row, or None)."""

    values: Sequence[object]
    styles: int | Sequence[int | None] | None = None


def _text_cells(texts: list[str], style: str, p: str) -> list[bytes]:
    """Cells holding `texts`, all with format attribute `style`: escaped in one pass and built as one
    string joined and split in C (escaped text holds no NUL); only empty texts and those with
    whitespace at an edge (xml:space) are made one by one."""
    if not texts:
        return []
    start, end = f'<{p}c{style} t="inlineStr"><{p}is><{p}t>', f"</{p}t></{p}is></{p}c>"
    escaped = xml_escaped_cells(texts)
    pieces = (start + (end + "\x00" + start).join(escaped) + end).encode("utf-8").split(b"\x00")
    for i, text in enumerate(texts):
        if not text:
            pieces[i] = f"<{p}c{style}/>".encode()
        elif text[0] in _EDGE_SPACE or text[-1] in _EDGE_SPACE:
            pieces[i] = f'<{p}c{style} t="inlineStr">{_inline(escaped[i], True, p)}</{p}c>'.encode()
    return pieces


def _cells(keys: list[tuple[object, int | None]], p: str) -> list[bytes]:
    """The XML of each distinct (value, format) of a column."""
    out: list[bytes] = [b""] * len(keys)
    texts: dict[int | None, list[int]] = {}
    for i, (value, style) in enumerate(keys):
        attr = "" if style is None else f' s="{style}"'
        if value is None:
            out[i] = f"<{p}c{attr}/>".encode()
        elif isinstance(value, str):
            texts.setdefault(style, []).append(i)
        else:
            t, body = cell_body(value, p=p)
            kind = f' t="{t}"' if t else ""
            out[i] = f"<{p}c{attr}{kind}>{body}</{p}c>".encode()
    for style, at in texts.items():
        attr = "" if style is None else f' s="{style}"'
        for i, cell in zip(at, _text_cells([keys[i][0] for i in at], attr, p), strict=True):  # type: ignore[misc]
            out[i] = cell
    return out


def column_cells(column: Column, n: int, p: str = "") -> list[bytes]:
    """Every cell of `column` (n rows) as bytes: each distinct (value, format) made once."""
    values = column.values
    plain = set(map(type, values)) <= {str, type(None)}  # else 1, 1.0 and True, equal as keys, are told apart by type
    if isinstance(column.styles, Sequence):
        keys: list = list(zip(values, column.styles, strict=True) if plain else zip(values, column.styles, map(type, values), strict=True))
        distinct = list(dict.fromkeys(keys))
        pieces = _cells([(k[0], k[1]) for k in distinct], p)
    elif plain:  # text (or nothing) in one format: the common case, made without a look at each value
        keys = list(values)
        distinct = [v for v in dict.fromkeys(keys) if v is not None]
        attr = "" if column.styles is None else f' s="{column.styles}"'
        pieces = _text_cells(distinct, attr, p)
        if len(distinct) < len(set(keys)):
            distinct.append(None)
            pieces.append(f"<{p}c{attr}/>".encode())
    else:
        keys = list(zip(values, map(type, values), strict=True))
        distinct = list(dict.fromkeys(keys))
        pieces = _cells([(k[0], column.styles) for k in distinct], p)
    if len(keys) != n:
        raise ValueError(f"a column of {len(keys)} values for {n} rows")
    table = dict(zip(distinct, pieces, strict=True))
    return list(map(table.__getitem__, keys))


def rows_xml(numbers: Sequence[int], columns: Sequence[Column], p: str = "") -> bytes:
    """<row> elements numbered `numbers`, the cells of `columns` from column A."""
    cells = [column_cells(c, len(numbers), p) for c in columns]
    heads = [b'<%srow r="%d">' % (p.encode(), n) for n in numbers]
    return b"".join(chain.from_iterable(zip(heads, *cells, repeat(f"</{p}row>".encode()))))


def new_sheet(rows: bytes, widths: Sequence[float], frozen_rows: int = 1, after_data: str = "",
              dimension: str | None = None) -> list[bytes]:
    """A new worksheet part (its pieces): `rows`, column `widths`, the first `frozen_rows` rows
    frozen, and `after_data` (an autoFilter, hyperlinks) in its place after the data."""
    cols = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, start=1))
    pane = (f'<pane ySplit="{frozen_rows}" topLeftCell="A{frozen_rows + 1}" activePane="bottomLeft" state="frozen"/>'
            if frozen_rows else "")
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{MAIN}" xmlns:r="{RELATIONSHIPS}">'
            + (f'<dimension ref="{dimension}"/>' if dimension else "")
            + f'<sheetViews><sheetView workbookViewId="0">{pane}</sheetView></sheetViews>'
            + (f"<cols>{cols}</cols>" if cols else "") + "<sheetData>")
    tail = (f"</sheetData>{after_data}"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    return [head.encode("utf-8"), rows, tail.encode("utf-8")]
