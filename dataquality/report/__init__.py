"""Report writers: one module per format, and one table mapping format name -> writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dataquality.pipeline import Result


@dataclass(frozen=True)
class ReportOptions:
    """How reports are written: language, output folder (None = standard output), console detail."""

    lang: str = "en"
    out: Path | None = None
    limit: int = 50
    quiet: bool = False


Writer = Callable[[Result, ReportOptions], Path | None]


def _writers() -> dict[str, Writer]:
    from dataquality.report import console, json_report

    return {
        "console": console.write,
        "json": json_report.write,
    }


def writers() -> dict[str, Writer]:
    """Format name -> writer; a writer returns the file it wrote, or None for standard output."""
    return _writers()


def write_reports(result: Result, formats: list[str], options: ReportOptions) -> list[Path]:
    """Write every requested format; returns the files written."""
    table = writers()
    written = []
    for name in formats:
        path = table[name](result, options)
        if path is not None:
            written.append(path)
    return written
