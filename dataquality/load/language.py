"""The language of a set of input files: Chinese when their text is Chinese (headers, names,
departments), for a run whose environment names no language (LANG unset or C.UTF-8 in a container,
a CI runner, cron) and whose project sets none.

Only a bounded sample of each file is read (the first part of a workbook's shared strings or first
sheet, the first bytes of a CSV), never the whole file: this runs before the limits are checked.
"""

from __future__ import annotations

import html
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

DATA_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
SAMPLE_BYTES = 64 * 1024
FILES = 8  # files looked at, at most (a folder of exports is one language)
# Han characters (CJK Unified Ideographs and Extension A) and full-width CJK punctuation.
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")
_LATIN_WORD = re.compile("[A-Za-z]{2,}")
# Parts of a workbook that hold its text, first found is read.
_TEXT_PARTS = ("xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "content.xml")
_MARKUP = re.compile(r"<[^>]*>")


def data_language(paths: Iterable[Path]) -> str | None:
    """'zh' when the files' text is mostly Chinese, 'en' when it has words and no Chinese, None when
    nothing could be read (no files, unreadable ones)."""
    han = latin = 0
    for path in _files(paths):
        sample = _sample(path)
        if sample is None:
            continue
        han += len(_HAN.findall(sample))
        latin += len(_LATIN_WORD.findall(sample))
    if not han and not latin:
        return None
    # A Chinese header row next to English codes and e-mail addresses is still Chinese data.
    return "zh" if han >= 4 and han * 2 >= latin else "en"


def _files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for path in paths:
        if len(out) >= FILES:
            break
        try:
            if path.is_dir():
                out += sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith((".", "~$")))[:FILES]
            elif path.is_file():
                out.append(path)
        except OSError:
            continue
    return out[:FILES]


def _sample(path: Path) -> str | None:
    """Up to SAMPLE_BYTES of the file's text, markup removed; None when it cannot be read."""
    suffix = path.suffix.lower()
    try:
        if suffix in (".xlsx", ".xlsm", ".ods"):
            with zipfile.ZipFile(path) as zf:
                names = set(zf.namelist())
                part = next((p for p in _TEXT_PARTS if p in names), None)
                if part is None:
                    return None
                with zf.open(part) as fh:
                    raw = fh.read(SAMPLE_BYTES)
            # Text as a person reads it: tags gone, character references (&#23458;) decoded.
            return html.unescape(_MARKUP.sub(" ", raw.decode("utf-8", "ignore")))
        if suffix in (".csv", ".tsv", ".txt"):
            with path.open("rb") as fh:
                raw = fh.read(SAMPLE_BYTES)
            try:
                return raw.decode("utf-8")
            except UnicodeDecodeError:
                return raw.decode("gb18030", "ignore")
    except (OSError, zipfile.BadZipFile, RuntimeError, ValueError):
        return None
    return None  # .xls: binary records; its language is not guessed
