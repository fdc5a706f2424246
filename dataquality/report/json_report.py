"""The JSON report: the spec's issue contract plus a summary."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from dataquality import __version__
from dataquality.fileio import atomic_open
from dataquality.pipeline import Result
from dataquality.report import ReportOptions

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
        "issues": [i.to_dict(lang) for i in result.issues],
        # Filled when issues are tracked across runs (dq check): what was fixed, and the trend.
        **({"resolved": [i.to_dict(lang) for i in result.resolved]} if result.resolved else {}),
        **({"history": result.history} if result.history else {}),
    }


def write(result: Result, options: ReportOptions) -> Path | None:
    """Write report.json into the output folder, or to standard output when there is none."""
    data = as_dict(result, options.lang)
    if options.out is None:
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return None
    path = options.out / FILE_NAME
    with atomic_open(path) as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2)
    return path
