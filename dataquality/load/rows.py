"""Where a table's records are: the rows under the header that are records, and where the table ends.

A person reads past what is not a record:

- a totals line (合计, Total) and a subtotal line (小计, 华东区小计, 分类小计, Subtotal, Sub-total,
  Total for East, East Total; also when the label sits beside the group's name: 华东区 | 小计 |
  | 1,200): a totals label followed by more records is a subtotal;
- the header repeated on every printed page (a row with the same labels as a header or title row
  above the table; spaces, case and required marks do not count);
- a template's description and example rows under its header (必填, 选填, 最多255字符, 2位小数,
  格式：YYYY-MM-DD, 示例, required, optional, max 50 characters, e.g. ...): a row whose filled
  cells are mostly such descriptions, or one marked as an example (示例, 例：, Example:);
- a sign-off line (制表人：… 审核：… 批准：…) and a note under the table (注：…, 说明：…), and the
  lines under a note;
- another table on the same sheet: a header row of its own under the records, with the title rows
  above it (停用客户 over the inactive customers). `tables` finds where each table starts; the
  loader reads a table whose header it recognises as its own table, and leaves any other out.

A blank row inside the data does not end the table; rows hidden by a filter are records.

Vectorised: the first (and second) filled cell of every row is gathered into one Arrow array and
tested against the labels in Arrow's kernels; only the few rows that match are looked at one by
one. No Python loop runs over the rows of a sheet.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from dataquality.config import Config, header_key

_TOTAL_WORDS = (r"合\s*计|总\s*计|小\s*计|汇\s*总|合計|總計|小計|total|totals|sub[\s-]?totals?|grand\s*total|sum|"
                r"分类小计|分类合计")
_SIGNOFF_WORDS = (
    r"制表人|制表|制单人|制单|审核人|审核|审批人|审批|批准人|批准|编制人|编制|复核人|复核|核准|经办人|经手人|"
    r"填表人|填报人|填表日期|填报日期|制表日期|日期|签字|签名|签章|盖章|prepared\s*by|checked\s*by|"
    r"approved\s*by|reviewed\s*by|signature"
)
_NOTE_WORDS = r"注|注意|注释|说明|备注|附注|填表说明|温馨提示|提示|note|notes|remark|remarks"

TOTAL = re.compile(rf"^\s*(?:{_TOTAL_WORDS})\s*[:：]?\s*$", re.I)
SIGNOFF_CELL = re.compile(rf"^\s*(?:{_SIGNOFF_WORDS})\s*(?:[:：].*)?$", re.I | re.S)
SIGNOFF_COLON = re.compile(rf"^\s*(?:{_SIGNOFF_WORDS})\s*[:：]", re.I)
NOTE = re.compile(rf"^\s*(?:(?:{_NOTE_WORDS})\s*[:：]|注\s*\d*\s*[、.．])", re.I)

# A subtotal's label with its group: 华东区小计, A类 合计, Total for East, Subtotal - East, East Total.
_GROUP_WORDS_ZH = r"小\s*计|合\s*计|总\s*计|汇\s*总|小計|合計|總計"
_GROUP_WORDS_EN = r"sub[\s-]?totals?|totals?"
SUBTOTAL = re.compile(
    rf"^\s*(?:[^\d\s:：][^:：\n]{{0,19}}?\s*[-—:：]?\s*(?:{_GROUP_WORDS_ZH})"
    rf"|(?:{_GROUP_WORDS_EN})\s*(?:[:：\-–—]\s*|\s+(?:for|of)\s+)[^\n]{{1,40}}?"
    rf"|[^\n]{{1,40}}?\s+(?:{_GROUP_WORDS_EN}))\s*[:：]?\s*$", re.I)
# What a totals row holds besides its labels: amounts and counts (digits, signs, currency, units).
_WORDS = re.compile(r"[A-Za-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_UNITS = re.compile(r"万元|元|件|个|pcs|%|rmb|cny|usd", re.I)

# A template's description of a column, and an example row's mark.
DESCRIPTION = re.compile(
    r"必填|选填|非必填|可选填|必输|选输|可不填|可为空|不可为空|不能为空|必须填写|"
    r"(?:最多|最长|最大|不超过|不得超过|限|长度)\s*\d+\s*个?(?:字符|字节|字|位)|\d+\s*个?(?:字符|字)以内|"
    r"\d+\s*位(?:小数|数字|整数)|保留\s*\d+\s*位|格式\s*[:：为]|填写(?:说明|格式|规则)|请(?:填写|输入|选择)|"
    r"下拉(?:选择|框|列表)|如[:：]|例[:：如]|示例|样例|举例|"
    r"y{2,4}\s*[-/.年]\s*m{1,2}\s*[-/.月]\s*d{1,2}|d{1,2}\s*[-/.]\s*m{1,2}\s*[-/.]\s*y{2,4}|"
    r"\brequired\b|\boptional\b|\bmandatory\b|\be\.g\.|\bformat\s*[:：]|"
    r"(?:^|[\s(（])(?:example|sample)(?:$|[\s:：)）])|"  # not example.com in an address
    r"\b(?:max(?:imum)?|up\s+to|at\s+most|no\s+more\s+than)\s*\.?\s*\d+\s*(?:characters?|chars?|digits?|letters?)\b|"
    r"\d+\s*decimals?\b|\d+\s*decimal\s+places?\b|\bleave\s+(?:it\s+)?blank\b",
    re.I)
EXAMPLE = re.compile(
    r"^\s*[(（【\[]?\s*(?:(?:示例|样例|举例|范例|例子|例如|例|example|sample)\s*\d*\s*[)）】\]]?\s*(?:[:：.、)）]|$)"
    r"|(?:e\.g\.|eg\.)(?:\s|$))", re.I)
_DESCRIPTION_LENGTH = 120  # a longer cell is data (a remark), not a template's description
_LABEL_LENGTH = 200  # what of a cell is looked at to tell what its row is
TEMPLATE_ROWS = 3  # rows under a header where a template's descriptions are looked for in every cell

# Row-number headers: not a field, but part of a header row (序号 | 客户编码 | ...).
_ROW_NUMBER_HEADERS = frozenset(header_key(h) for h in ("序号", "行号", "No.", "No", "#", "S/N", "Sr. No.", "Seq"))

# Candidate tests in the form pyarrow's RE2 runs (case-insensitive, \s spelled out as the characters
# Python's \s matches): pandas would otherwise call Python's re once per row.
_SPACES = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())


def _re2(pattern: str) -> str:
    """`pattern` with \\s spelled out as Python's whitespace (inside a character class, and as one)."""
    out, in_class, i = [], False, 0
    while i < len(pattern):
        two = pattern[i:i + 2]
        if two == r"\s":
            out.append(_SPACES if in_class else f"[{_SPACES}]")
            i += 2
            continue
        if pattern[i] == "\\":
            out.append(two)
            i += 2
            continue
        if pattern[i] == "[" and not in_class:
            in_class = True
            out.append(two if two == "[^" else "[")
            i += len(out[-1])
            if pattern[i:i + 1] == "]":  # a ] first in a class is a character
                out.append("]")
                i += 1
            continue
        if pattern[i] == "]" and in_class:
            in_class = False
        out.append(pattern[i])
        i += 1
    return "".join(out)


_STARTS = rf"^\s*(?:(?:{_TOTAL_WORDS})|(?:{_SIGNOFF_WORDS})|(?:{_NOTE_WORDS})|注)"
_LABEL_ANYWHERE = rf"(?:{_GROUP_WORDS_ZH}|sub[\s-]?total|total)"
_FIRST_RE2 = _re2("|".join(f"(?:{p})" for p in (_STARTS, _LABEL_ANYWHERE, DESCRIPTION.pattern, EXAMPLE.pattern)))
_SECOND_RE2 = _re2(_LABEL_ANYWHERE)
# What header_key leaves out of a header, for Arrow (see _Rows.keys).
_KEY_NOISE = (" ", "\t", "\u3000", "\xa0", "*", "＊")
_TRAILING_NOTE = r"[(（\[【][^)）\]】]*[)）\]】]$"


@dataclass(frozen=True)
class NotARecord:
    """A row under the header that is not a record.

    kind: total, subtotal, header (repeated), template (description or example), signoff, note,
    below_note (a row under a note), table (the first row of another table that is not read) or
    in_table (a further row of it)."""

    row: int
    kind: str
    label: str
    below: int = 0  # for a note or another table: how many filled rows under it were left out with it


@dataclass(frozen=True)
class Part:
    """One table of a sheet: its header (a load.detect.HeaderMatch), its last row (None: the sheet's
    last), the first of its header and title rows, and the rows under its header that are not
    records (with another table under it that is not read)."""

    match: Any
    end: int | None
    top: int = 1
    skipped: tuple[NotARecord, ...] = ()


_NAMES: dict[int, tuple[Config, frozenset[str]]] = {}


def header_names(config: Config) -> frozenset[str]:
    """Every header name of every entity (normalised) and the row-number headers: what a header
    row of another table is made of."""
    hit = _NAMES.get(id(config))
    if hit is None or hit[0] is not config:
        names = {n for s in config.schemas.values() for f in s.fields.values() for n in f.header_names}
        hit = (config, frozenset(names | _ROW_NUMBER_HEADERS))
        _NAMES[id(config)] = hit
    return hit[1]


class _Rows:
    """The filled cells of a block of rows, and each row's first filled cell as Arrow text (computed
    once, shared by the tables of a sheet: `part` is a block of these rows without a copy)."""

    def __init__(self, body: pd.DataFrame, shared: tuple | None = None) -> None:
        self.body = body
        self.index = body.index.to_numpy()
        if shared is None:
            self.filled = body.notna().to_numpy()
            self.any = self.filled.any(axis=1)
            self.first = self.filled.argmax(axis=1)
            self._first_text = self._keys = None
        else:
            self.filled, self.any, self.first, self._first_text, self._keys = shared

    def part(self, start: int, stop: int) -> _Rows:
        """Rows at positions start..stop-1, sharing what was computed."""
        cut = slice(start, stop)
        first_text = self._first_text.slice(start, stop - start) if self._first_text is not None else None
        keys = self._keys.slice(start, stop - start) if self._keys is not None else None
        return _Rows(self.body.iloc[cut], (self.filled[cut], self.any[cut], self.first[cut], first_text, keys))

    @property
    def first_text(self) -> Any:
        if self._first_text is None:
            self._first_text = self.text(self.first, self.any)
        return self._first_text

    @property
    def keys(self) -> Any:
        """The first cells as header keys, as header_key makes them: without spaces and required
        marks, lower case, a trailing note in brackets left out (looked for only in the cells that
        end with a bracket: Arrow's literal kernels are many times faster than a pattern)."""
        if self._keys is None:
            import pyarrow as pa
            import pyarrow.compute as pc

            keys = self.first_text
            for noise in _KEY_NOISE:
                if pc.any(pc.match_substring(keys, noise)).as_py():  # finding is cheaper than replacing
                    keys = pc.replace_substring(keys, noise, "")
            keys = pc.utf8_lower(keys)
            noted = None
            for bracket in ")）]】":
                ends = pc.fill_null(pc.ends_with(keys, bracket), False)
                noted = ends if noted is None else pc.or_(noted, ends)
            if pc.any(noted).as_py():
                mask = np.asarray(noted.to_numpy(zero_copy_only=False), dtype=bool)
                bare = pc.replace_substring_regex(keys.filter(pa.array(mask)), _TRAILING_NOTE, "")
                keys = pc.replace_with_mask(keys, pa.array(mask), bare)
            self._keys = keys
        return self._keys

    def second_text(self) -> Any:
        """Each row's second filled cell, for the rows with few cells (a subtotal's label beside its
        group's name: such a row holds a label, a name and a few amounts, not a record's fields)."""
        counts = self.filled.sum(axis=1)
        few = (counts >= 2) & (counts <= max(3, int(np.median(counts[self.any])) * 2 // 3)) if self.any.any() else self.any
        at = np.flatnonzero(few)
        rest = self.filled[at]
        rest[np.arange(len(at)), self.first[at]] = False
        which = np.zeros(len(self.body), dtype=np.int64)
        which[at] = rest.argmax(axis=1)
        return self.text(which, few)

    def text(self, which: np.ndarray, mask: np.ndarray) -> Any:
        """The cell at column position `which` of each row where `mask` holds (null elsewhere)."""
        import pyarrow as pa

        chunks, order = [], []
        for col in np.unique(which[mask]):  # a loop over columns, not rows
            idx = np.flatnonzero(mask & (which == col))
            chunks.append(_arrow(self.body.iloc[:, int(col)]).take(pa.array(idx)))
            order.append(idx)
        if not chunks:
            return pa.nulls(len(self.body), pa.large_string())
        values = pa.concat_arrays([c.combine_chunks() if isinstance(c, pa.ChunkedArray) else c for c in chunks])
        at = np.full(len(self.body), -1, dtype=np.int64)
        at[np.concatenate(order)] = np.arange(len(values))
        return values.take(pa.array(at, mask=at < 0))

    def cells(self, pos: int) -> list[tuple[int, str]]:
        """(column position, text) of the filled cells of row `pos`; a long text is cut (labels are
        short: what follows cannot change what a row is)."""
        values = self.body.iloc[pos].tolist()
        return [(i, str(v)[:_LABEL_LENGTH]) for i, v in enumerate(values) if isinstance(v, str) and v.strip()]


def _arrow(column: pd.Series) -> Any:
    import pyarrow as pa

    if hasattr(column.array, "_pa_array"):
        return column.array._pa_array.cast(pa.large_string())
    return pa.chunked_array([pa.array(column.astype(object).where(column.notna(), None), pa.large_string())])


def _matches(text: Any, pattern: str) -> np.ndarray:
    import pyarrow.compute as pc

    hit = pc.match_substring_regex(text, pattern, ignore_case=True)
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


def _in(keys: Any, wanted: Iterable[str]) -> np.ndarray:
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = sorted(set(wanted))
    if not wanted:
        return np.zeros(len(keys), dtype=bool)
    hit = pc.is_in(keys, value_set=pa.array(wanted, pa.large_string()))
    return np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)


class _Top:
    """The header and title rows above a table, as normalised labels by column position."""

    def __init__(self, top: pd.DataFrame | None) -> None:
        self.rows: list[dict[int, str]] = []
        if top is not None:
            for pos in range(len(top)):  # at most the first rows of a sheet
                values = top.iloc[pos].tolist()
                cells = {i: header_key(v[:_LABEL_LENGTH]) for i, v in enumerate(values) if isinstance(v, str) and v.strip()}
                if cells:
                    self.rows.append(cells)
        self.labels = {label for row in self.rows for label in row.values()}

    def repeats(self, cells: list[tuple[int, str]]) -> bool:
        """Whether a row shows the same labels as a header or title row (nearly: 4 in 5 of the cells)."""
        if not cells:
            return False
        keys = {i: header_key(v) for i, v in cells}
        for row in self.rows:
            same = sum(1 for i, k in keys.items() if row.get(i) == k)
            if same and same >= 0.8 * len(set(keys) | set(row)):
                return True
        return False


def _known(cells: list[tuple[int, str]], names: frozenset[str], top: _Top) -> bool:
    """Whether a row reads as a header row: two or more header names, at least half of its cells."""
    known = sum(1 for _, v in cells if (k := header_key(v)) in names or k in top.labels)
    return known >= 2 and 2 * known >= len(cells)


def tables(grid: pd.DataFrame, first: Any, names: frozenset[str], recognise: Callable[[pd.DataFrame], Any]) -> list[Part]:
    """The tables of a sheet from the first header `first` down, each with the rows under its header
    that are not records. `recognise(rows)` is the loader's header search over a few rows (the title
    rows, a header row and the row under it); a header row it does not recognise starts a table
    that is left out, up to the next table or the sheet's end."""
    below = _Rows(grid.loc[first.row + 1:])  # looked at once for every table of the sheet
    parts: list[Part] = []
    match, top_start = first, 1
    while True:
        at = int(np.searchsorted(below.index, match.row + 1))
        rows = below.part(at, len(below.index))
        top = _Top(grid.loc[top_start:match.row])
        end, following, left_out = None, None, None
        for row, start in _header_rows(rows, top, names):
            found = recognise(grid.loc[start:row + 1])
            if found is not None and found.row >= row:
                following = (start, found)
                break
            if left_out is None:  # a table whose header is not recognised: left out up to the next one
                left_out = start
        if left_out is not None or following is not None:
            end = (left_out if left_out is not None else following[0]) - 1  # type: ignore[index]
        stop = len(rows.index) if end is None else int(np.searchsorted(rows.index, end + 1))
        skipped = _non_records(rows.part(0, stop), top) + _left_out(grid, left_out, following)
        parts.append(Part(match, end, top_start, tuple(skipped)))
        if following is None:
            return parts
        top_start, match = following


def _header_rows(rows: _Rows, top: _Top, names: frozenset[str]) -> list[tuple[int, int]]:
    """(header row, first title row above it) of each table under the records: a row reading as a
    header, not a repeat of the table's own header unless it has a title of its own above it."""
    if not len(rows.index):
        return []
    out = []
    for pos in np.flatnonzero(_in(rows.keys, names | top.labels)):  # rows whose first cell is a header name
        cells = rows.cells(int(pos))
        if not _known(cells, names, top):
            continue
        start = _title_start(rows, int(pos), top)
        if start == pos and top.repeats(cells):
            continue  # the header repeated on a new page: not a new table
        out.append((int(rows.index[pos]), int(rows.index[start])))
    return out


def _title_start(rows: _Rows, pos: int, top: _Top) -> int:
    """The first of the title rows (one filled cell, not a repeat of the title above the table)
    directly above row position `pos`, blank rows between allowed; `pos` when there is none."""
    start = pos
    at = pos - 1
    while at >= 0:
        count = int(rows.filled[at].sum())
        if count == 0:
            at -= 1
            continue
        if count != 1 or top.repeats(rows.cells(at)):
            break
        start = at
        at -= 1
    return start


def _left_out(grid: pd.DataFrame, start: int | None, following: tuple[int, Any] | None) -> list[NotARecord]:
    if start is None:
        return []
    stop = following[0] - 1 if following else None
    block = grid.loc[start:stop]
    filled = block.index[block.notna().to_numpy().any(axis=1)]
    first = [str(v)[:_LABEL_LENGTH] for v in block.loc[start].tolist() if isinstance(v, str) and v.strip()]
    label = _label(first[0]) if first else ""
    head = NotARecord(int(start), "table", label, len(filled) - 1)
    return [head, *(NotARecord(int(r), "in_table", label) for r in filled[1:])]


def non_records(body: pd.DataFrame, top: pd.DataFrame | None = None) -> list[NotARecord]:
    """The rows of `body` (every column of the sheet, the rows under the header down to the table's
    end) that are not records; `top` holds the header and title rows above (for repeated headers).

    Everything under a note row is left out with it (a legend or a second note follows a note).
    """
    return _non_records(_Rows(body), _Top(top))


def _non_records(rows: _Rows, above: _Top) -> list[NotARecord]:
    if not len(rows.index):
        return []
    first = rows.first_text
    candidates = _matches(first, _FIRST_RE2) | _matches(rows.second_text(), _SECOND_RE2) | _in(rows.keys, above.labels)
    candidates[:TEMPLATE_ROWS] |= rows.any[:TEMPLATE_ROWS]
    found: list[NotARecord] = []
    index = rows.index
    for pos in np.flatnonzero(candidates):  # only the rows whose first cells are such labels
        cells = rows.cells(int(pos))
        kind = _kind(cells, above)
        if kind is None:
            continue
        row = int(index[pos])
        label = _label(cells[0][1])
        if kind == "note":
            below = int(rows.any[pos + 1:].sum())
            found.append(NotARecord(row, kind, label, below))
            found.extend(NotARecord(int(r), "below_note", label) for r in index[pos + 1:][rows.any[pos + 1:]])
            break
        found.append(NotARecord(row, kind, label))
    return _subtotals(found, index, rows.any)


def _label(text: str) -> str:
    return (text.splitlines() or [text])[0][:40]


def _subtotals(found: list[NotARecord], index: np.ndarray, filled: np.ndarray) -> list[NotARecord]:
    """A totals row with records under it is a subtotal (of the group above it)."""
    if not any(f.kind == "total" for f in found):
        return found
    records = filled & ~np.isin(index, [f.row for f in found])
    last = int(index[records].max()) if records.any() else 0
    return [NotARecord(f.row, "subtotal", f.label) if f.kind == "total" and f.row < last else f for f in found]


def _kind(cells: list[tuple[int, str]], top: _Top) -> str | None:
    values = [v for _, v in cells]
    first = values[0]
    if top.repeats(cells):
        return "header"
    if _is_total(values):
        return "total"
    if all(SIGNOFF_CELL.match(v) for v in values) and (len(values) >= 2 or SIGNOFF_COLON.match(first)):
        return "signoff"
    if NOTE.match(first) and len(values) <= 2:
        return "note"
    if _is_template(values):
        return "template"
    return None


def _is_total(values: list[str]) -> bool:
    """A totals label in the first filled cell (合计, 小计, Total ...), or a subtotal label with its
    group (华东区小计, Total for East; or 华东区 | 小计) followed by amounts only."""
    if TOTAL.match(values[0]):
        return True
    for at in (0, 1):  # the label, or the label beside the group's name
        if at >= len(values) or not (TOTAL.match(values[at]) or SUBTOTAL.match(values[at])):
            continue
        if at == 1 and len(values[0]) > 30:  # beside a group's name or a row number, not a record's text
            return False
        return all(not _WORDS.search(_UNITS.sub("", v)) for v in values[at + 1:])
    return False


def _is_template(values: list[str]) -> bool:
    """A template's description row (mostly descriptions of the columns) or an example row."""
    if EXAMPLE.match(values[0]):
        return True
    described = sum(1 for v in values if len(v) <= _DESCRIPTION_LENGTH and DESCRIPTION.search(v))
    return 2 * described > len(values)
