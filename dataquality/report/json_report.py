"""The JSON report: the spec's issue contract plus a summary."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import orjson

from dataquality import __version__
from dataquality.fileio import atomic_open
from dataquality.issue import Issue, contract_maker, paused_gc, to_dicts
from dataquality.report import ReportOptions
from dataquality.result import Result

FILE_NAME = "report.json"


def as_dict(result: Result, lang: str) -> dict[str, Any]:
    """The whole report as plain data."""
    return _document(result, lang, to_dicts(result.issues, lang))


def _document(result: Result, lang: str, issues: list[Any]) -> dict[str, Any]:
    """The report with `issues` in its place (the contract's dicts, or the Issues for `encode_report`)."""
    return {
        "tool": "dataquality",
        "version": __version__,
        "generated_at": result.started_at.isoformat(timespec="seconds"),
        "lang": lang,
        "files": [str(p) for p in result.files],
        "tables": [
            {"entity": t.entity, "file": t.file, "sheet": t.sheet, "header_row": t.header_row, "records": len(t)}
            for t in result.tables
        ],
        "summary": result.summary(),
        "issues": issues,
        # Filled when issues are tracked across runs (dq check): what was fixed, and the trend.
        **({"resolved": [i.to_dict(lang) for i in result.resolved]} if result.resolved else {}),
        **({"history": result.history} if result.history else {}),
    }


_OPTIONS = orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def encode(data: Any) -> bytes:
    """UTF-8 JSON indented by two spaces, characters kept as they are (orjson: C speed with 100,000s of issues)."""
    return orjson.dumps(data, option=_OPTIONS, default=str)


def encode_report(result: Result, lang: str) -> bytes:
    """`encode(as_dict(result, lang))`, with each issue turned into its contract only when the encoder
    reaches it (and freed right after): never 100,000s of issue dicts alive at once."""
    contract = contract_maker(lang)

    def default(obj: Any) -> Any:
        if isinstance(obj, Issue):
            return contract(obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):  # as orjson writes other dataclasses
            return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
        return str(obj)

    with paused_gc():
        return orjson.dumps(_document(result, lang, result.issues), option=_OPTIONS | orjson.OPT_PASSTHROUGH_DATACLASS,
                            default=default)


def write(result: Result, options: ReportOptions) -> Path | None:
    """Write report.json into the output folder, or to standard output when there is none."""
    data = encode_report(result, options.lang)
    if options.out is None:
        data += b"\n"
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is not None:
            sys.stdout.flush()
            buffer.write(data)
            buffer.flush()
        else:  # a text-only stream (e.g. click's test runner)
            sys.stdout.write(data.decode("utf-8"))
        return None
    path = options.out / FILE_NAME
    with atomic_open(path, "wb") as fh:
        fh.write(data)
    return path
