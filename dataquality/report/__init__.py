"""Report writers: one module per format, and one table mapping format name -> writer."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dataquality.result import Result
from dataquality.thresholds import REPORT_FORMATS


@dataclass(frozen=True)
class ReportOptions:
    """How reports are written: language, output folder (None = standard output), console detail."""

    lang: str = "en"
    out: Path | None = None
    limit: int = 50
    quiet: bool = False
    fail_on: str = "error"  # which issues fail the run: the JUnit report fails exactly those test cases


# A writer returns the file it wrote, the files (one per input workbook or department), or None
# when it wrote to standard output.
Writer = Callable[[Result, ReportOptions], "Path | list[Path] | None"]


# Format -> the module whose `write` writes it (imported when that format is written: a JSON-only
# run does not import Jinja2, XlsxWriter or the workbook annotator).
_MODULES = {"console": "console", "json": "json_report", "html": "html", "xlsx": "annotated_xlsx",
            "junit": "junit", "corrections": "corrections"}


def _writer(module: str) -> Writer:
    def write(result: Result, options: ReportOptions) -> Path | list[Path] | None:
        from importlib import import_module

        return import_module(f"dataquality.report.{module}").write(result, options)

    return write


def _writers() -> dict[str, Writer]:
    return {name: _writer(module) for name, module in _MODULES.items()}


def writers() -> dict[str, Writer]:
    """Format name -> writer (thresholds.REPORT_FORMATS, in that order); a writer returns the file(s)
    it wrote, or None for standard output."""
    table = _writers()
    return {name: table[name] for name in REPORT_FORMATS}


def write_reports(result: Result, formats: list[str], options: ReportOptions,
                  progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write every requested format; returns the files written."""
    from dataquality.i18n import text

    table = writers()
    written: list[Path] = []
    for name in formats:
        if progress:
            progress(text("progress.writing", options.lang, format=name))
        path = table[name](result, options)
        if isinstance(path, list):
            written.extend(path)
        elif path is not None:
            written.append(path)
    return written
