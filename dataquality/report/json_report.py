"""The JSON report: the spec's issue contract plus a summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import orjson

from dataquality import __version__
from dataquality.fileio import atomic_open
from dataquality.issue import to_dicts
from dataquality.report import ReportOptions
from dataquality.result import Result

FILE_NAME = "report.json"


def as_dict(result: Result, lang: str) -> dict[str, Any]:
    """The whole report as plain data."""
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
        "issues": to_dicts(result.issues, lang),
        # Filled when issues are tracked across runs (dq check): what was fixed, and the trend.
        **({"resolved": [i.to_dict(lang) for i in result.resolved]} if result.resolved else {}),
        **({"history": result.history} if result.history else {}),
    }


def encode(data: Any) -> bytes:
    """UTF-8 JSON indented by two spaces, characters kept as they are (orjson: C speed with 100,000s of issues)."""
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY, default=str)


def write(result: Result, options: ReportOptions) -> Path | None:
    """Write report.json into the output folder, or to standard output when there is none."""
    data = encode(as_dict(result, options.lang))
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
