"""What a text file holds, judged from its bytes: its encoding, Excel's `sep=` hint and its delimiter.

Encodings, in the order they are tried:

- a byte-order mark: UTF-8, UTF-16 LE (Excel's "Unicode text") or UTF-16 BE;
- UTF-16 without a mark, told by its zero bytes (ASCII letters, digits, delimiters and line ends
  have a zero high byte; UTF-8, GBK and Big5 text never holds a zero byte);
- UTF-8;
- GB18030 (GBK, GB2312) or Big5 (cp950): when both read the bytes, charset-normalizer decides
  which reads as Chinese text.

Binary content (zero bytes or control characters that no text holds) is refused, never read as
rows. Excel's delimiter hint, a first line `sep=;` (also `sep=,`, `sep=|` or a tab), sets the
delimiter and is not a row: Excel hides it, so the line under it is row 1 (see load/grid.py).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from dataquality.errors import InputError

_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_CJK = ("gb18030", "cp950")
_SAMPLE = 1 << 16  # what is looked at to judge (a text file's first 64 KiB)
# C0 controls no text table holds (tab, line ends, form feed and Ctrl-Z, DOS's end of file, are fine).
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x19\x1b-\x1f]")
# Excel's hint: `sep=;` alone on the first line (some tools quote it, or repeat the delimiter).
_HINT = re.compile(r'\A"?sep=(\\t|[^\r\n"])"?[^\r\n]{0,3}(\r\n|\n|\r|\Z)', re.I)
DELIMITERS = ",;\t|"


@dataclass(frozen=True)
class Decoded:
    """A text file's characters and how its bytes were written."""

    text: str  # without the byte-order mark
    encoding: str  # the codec that writes the text back ('utf-8', 'utf-16-le', 'gb18030' ...)
    bom: str = ""  # '\ufeff' when the file starts with a byte-order mark (written back with the text)


@dataclass(frozen=True)
class CsvText:
    """A CSV/TSV file as text: the table's lines, how to write them back, and the delimiter."""

    text: str  # the table: after the byte-order mark and Excel's sep= line
    encoding: str
    bom: str
    delimiter: str
    hint: str = ""  # Excel's `sep=;` line as written (with its line end); '' when there is none

    @property
    def prefix(self) -> str:
        """What comes before the table when the file is written back: the mark and the hint."""
        return self.bom + self.hint


def decode(raw: bytes, path: Path) -> Decoded:
    """The text of a file's bytes; InputError when they are not text or in no encoding dq reads."""
    for mark, encoding in _BOMS:
        if raw.startswith(mark):
            return _checked(_strict(raw[len(mark):], encoding, path), encoding, "\ufeff", path)
    if b"\x00" in raw[:_SAMPLE]:
        order = _utf16_order(raw[:_SAMPLE])
        if order is None:
            raise InputError("load.binary_as_csv", file=str(path))
        return _checked(_strict(raw, order, path, binary=True), order, "", path)
    try:
        return _checked(raw.decode("utf-8"), "utf-8", "", path)
    except UnicodeDecodeError:
        pass
    # GB18030 or Big5: judged on whole lines of a sample, then the file is decoded once (the other
    # encoding is tried only when the rest of the file does not read in the first).
    sample = _whole_lines(raw[: 1 << 18], len(raw))
    readable = [e for e in _CJK if _reads(sample, e)]
    order = [_chinese(sample) if len(readable) > 1 else readable[0]] if readable else []
    for encoding in [*order, *(e for e in _CJK if e not in order)]:
        try:
            return _checked(raw.decode(encoding), encoding, "", path)
        except UnicodeDecodeError:
            continue
    raise InputError("load.csv_encoding", file=str(path))


def _whole_lines(sample: bytes, size: int) -> bytes:
    """`sample` cut after its last line end when the file goes on (no character cut in two)."""
    if size > len(sample) and b"\n" in sample:
        return sample[: sample.rindex(b"\n") + 1]
    return sample


def _reads(sample: bytes, encoding: str) -> bool:
    try:
        sample.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def peek(raw: bytes, path: Path) -> str:
    """The text of a file's first bytes (a character cut at the end is left out), to judge what it is."""
    for mark, encoding in _BOMS:
        if raw.startswith(mark):
            return _partial(raw[len(mark):], encoding, path)
    if b"\x00" in raw:
        order = _utf16_order(raw)
        if order is None:
            raise InputError("load.binary_as_csv", file=str(path))
        return _partial(raw, order, path)
    for encoding in ("utf-8", *_CJK):
        try:
            return _partial(raw, encoding, path)
        except InputError:
            continue
    raise InputError("load.csv_encoding", file=str(path))


def _partial(raw: bytes, encoding: str, path: Path) -> str:
    try:
        text = codecs.getincrementaldecoder(encoding)("strict").decode(raw, final=False)
    except UnicodeDecodeError:
        raise InputError("load.csv_encoding", file=str(path)) from None
    return _checked(text, encoding, "", path).text


def _strict(raw: bytes, encoding: str, path: Path, binary: bool = False) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise InputError("load.binary_as_csv" if binary else "load.csv_encoding", file=str(path)) from None


def _checked(text: str, encoding: str, bom: str, path: Path) -> Decoded:
    head = text[:4096]
    # Binary content holds controls everywhere; a text may hold a few (an escape sequence typed or
    # pasted into a cell is data to report, not a reason to refuse the file).
    if "\x00" in head or len(_CONTROLS.findall(head)) > max(16, len(head) // 20):
        raise InputError("load.binary_as_csv", file=str(path))
    return Decoded(text, encoding, bom)


def _utf16_order(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the zero bytes sit on one side of the code units."""
    units = len(head) // 2
    if units < 2:
        return None
    low_zeros = head[0 : 2 * units : 2].count(0)  # first byte of each unit
    high_zeros = head[1 : 2 * units : 2].count(0)
    # Zero high bytes come from ASCII (tabs, line ends, digits); a zero low byte only from the rare
    # character U+xx00 (一 is U+4E00): one side dominates. In binary data zeros fall on both sides.
    if high_zeros >= units // 10 and low_zeros * 4 <= high_zeros:
        return "utf-16-le"
    if low_zeros >= units // 10 and high_zeros * 4 <= low_zeros:
        return "utf-16-be"
    return None


def _chinese(sample: bytes) -> str:
    """GB18030 or cp950 for bytes both read: which reads as Chinese text (charset-normalizer)."""
    from charset_normalizer import from_bytes

    best = from_bytes(sample, cp_isolation=["gb18030", "big5"]).best()
    return "cp950" if best is not None and best.encoding == "big5" else "gb18030"


def read_csv_text(path: Path) -> CsvText:
    """A CSV/TSV file's table text, encoding and delimiter (Excel's sep= hint, else sniffed)."""
    decoded = decode(path.read_bytes(), path)
    text, hint = decoded.text, ""
    found = _HINT.match(text)
    if found:
        hint, text = found.group(0), text[found.end():]
        delimiter = "\t" if found.group(1) == "\\t" else found.group(1)
    else:
        delimiter = sniff_delimiter(text)
    return CsvText(text, decoded.encoding, decoded.bom, delimiter, hint)


def sniff_delimiter(content: str) -> str:
    """The CSV delimiter (, ; tab or |), comma when unsure.

    The delimiter is the one that splits the lines into the same number of fields (as a csv reader
    counts them, quotes respected) most consistently, more than one field: 'Address 1;Company' over
    a comma that only appears inside values ('360W, 42nd Street'). csv.Sniffer, which guesses from
    character frequencies, decides only between candidates that are equally consistent."""
    # Judge from whole lines of a bounded sample (the sniffer's regexes are slow on very long lines).
    sample = content[:_SAMPLE]
    if len(content) > len(sample) and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]
    scores: dict[str, tuple[int, int]] = {}
    with csv_field_limit(len(sample)):
        for delimiter in DELIMITERS:
            try:
                widths = [len(row) for row in csv.reader(io.StringIO(sample), delimiter=delimiter, strict=False) if row][:200]
            except csv.Error:
                continue
            if not widths:
                continue
            common = max(set(widths), key=widths.count)
            if common > 1:
                scores[delimiter] = (widths.count(common), common)
        if scores:
            best = max(scores.values())
            tied = [d for d, v in scores.items() if v == best]
            if len(tied) == 1:
                return tied[0]
        try:
            return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
        except csv.Error:
            return ","


class csv_field_limit:  # noqa: N801 - a context manager, named like one
    """Lift the csv module's 131,072-character field limit to the size of the text being read."""

    def __init__(self, size: int) -> None:
        self.size = max(size, csv.field_size_limit())
        self.before = csv.field_size_limit()

    def __enter__(self) -> None:
        csv.field_size_limit(min(self.size, sys.maxsize))

    def __exit__(self, *exc: object) -> None:
        csv.field_size_limit(self.before)


def csv_lines(content: str) -> str:
    """Line endings made uniform: a file saved with lone CRs (old Mac Excel) reads as lines too."""
    return content.replace("\r\n", "\n").replace("\r", "\n") if "\r" in content else content
