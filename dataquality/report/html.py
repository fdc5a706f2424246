"""The HTML report: one self-contained file (inline CSS, JS, SVG and data) rendered with Jinja2.

The issue table is drawn in the browser from a JSON block, a page at a time, so a report with
100,000 issues stays quick; above COMPRESS_ABOVE issues the block is gzip + base64 to keep the
file small enough to mail.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from dataquality import __version__
from dataquality.fileio import atomic_open
from dataquality.i18n import catalogue, normalise_lang, text
from dataquality.issue import Issue
from dataquality.paths import default_reports_dir
from dataquality.report import ReportOptions
from dataquality.report.common import (
    department_label,
    entity_label,
    field_label,
    out_dir,
    tracking_columns,
    where,
)
from dataquality.result import Result

FILE_NAME = "report.html"
TEMPLATE = "report.html.j2"
COMPRESS_ABOVE = 2000
SEVERITIES = ("error", "warning", "info")
# Issue fields sent to the browser, in row order; string fields go through one string table.
ROW_FIELDS = ("severity", "rule", "entity", "department", "file", "cell", "key", "field", "value",
              "message", "hint", "fixed_value", "status", "issue_number", "age_days", "due", "overdue")


def write(result: Result, options: ReportOptions) -> Path | None:
    """Write report.html into the output folder."""
    path = out_dir(options.out) / FILE_NAME
    html = render(result, options.lang)
    with atomic_open(path) as fh:
        fh.write(html)
    return path


def render(result: Result, lang: str, templates: Path | None = None) -> str:
    """The report as one HTML string."""
    lang = normalise_lang(lang)
    env = Environment(
        loader=FileSystemLoader(str(templates or default_reports_dir())),
        autoescape=select_autoescape(["html", "j2", "html.j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template(TEMPLATE).render(**context(result, lang))


def context(result: Result, lang: str) -> dict[str, Any]:
    """Everything the template shows, computed here so the template stays a layout."""
    t = lambda key, **p: text(key, lang, **p)  # noqa: E731
    issues = result.issues
    counts = {s: result.count(s) for s in SEVERITIES}
    records: dict[str, int] = {}
    for table in result.tables:
        records[table.entity] = records.get(table.entity, 0) + len(table)
    detail = ", ".join(t("html.records_part", entity=entity_label(e, lang), n=n) for e, n in records.items())
    track = tracking_columns(issues)
    columns = ["severity", "rule", "entity", "department", "file", "cell", "key", "field", "value", "message", "hint"]
    columns[1:1] = track[:1]  # the issue number sits next to the severity when there is one
    columns += [c for c in track if c != "issue_number"]
    if track:  # issues carry a status (new, open, reopened) once the tracking stage has run
        columns.append("status")
    blob, encoding = _data_block(issues, lang)
    return {
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "t": t,
        "title": t("html.title"),
        "generated": t("html.generated", when=result.started_at.strftime("%Y-%m-%d %H:%M"),
                       files=", ".join(p.name for p in result.files)),
        "records": t("html.records", records=sum(records.values()), detail=detail) if records else "",
        "counts": counts,
        "total": len(issues),
        "rule_chart": _rule_chart(issues, lang),
        "department_chart": _department_chart(issues, lang),
        "trend": _trend(result.history),
        "columns": columns,
        "data_block": blob,
        "data_encoding": encoding,
        "ui": Markup(_script_json(_ui_strings(lang, columns))),
        "version": __version__,
    }


def _ui_strings(lang: str, columns: list[str]) -> dict[str, Any]:
    """The texts the table's script needs, from the catalogue."""
    keys = [k for k in catalogue() if k.startswith(("html.", "severity.", "report.status."))]
    strings = {k: text(k, lang) for k in keys}
    strings.update({f"col.{c}": text(f"report.col.{c}", lang) for c in [*columns, "fixed_value"]})
    strings["yes"] = text("report.yes", lang)
    strings["no"] = text("report.no", lang)
    return {"lang": lang, "columns": columns, "fields": list(ROW_FIELDS), "t": strings}


def _data_block(issues: list[Issue], lang: str) -> tuple[Markup, str]:
    """The issues as {strings, rows}: each row holds indexes into one shared string table."""
    strings: list[str] = []
    index: dict[str, int] = {}

    def s(value: Any) -> int:
        value = "" if value is None else str(value)
        found = index.get(value)
        if found is None:
            found = index[value] = len(strings)
            strings.append(value)
        return found

    titles: dict[str, str] = {}
    rows = []
    for issue in issues:
        tr = issue.tracking
        overdue = tr.get("overdue")
        message, hint = issue.texts(lang)
        rows.append([
            issue.severity.rank, s(issue.rule), s(entity_label(issue.entity, lang)),
            s(department_label(issue.department, lang)), s(issue.file), s(where(issue)), s(issue.key),
            s(field_label(issue, lang)), s(issue.value), s(message), s(hint),
            s(issue.fixed_value if issue.fixable else None), s(text(f"report.status.{issue.status.value}", lang)),
            s(tr.get("issue_number")), tr.get("age_days"), s(tr.get("due")),
            None if overdue is None else bool(overdue),
        ])
        titles.setdefault(issue.rule, text(f"rules.{issue.rule}.title", lang))
    data = {"strings": strings, "rows": rows, "rules": titles}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    if len(issues) > COMPRESS_ABOVE:
        packed = base64.b64encode(gzip.compress(raw.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")
        return Markup(packed), "gzip-base64"
    return Markup(_escape_script(raw)), "json"


def _escape_script(raw: str) -> str:
    """JSON that cannot end its <script> block or open a comment: every < becomes \\u003c."""
    return raw.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script_json(data: Any) -> str:
    return _escape_script(json.dumps(data, ensure_ascii=False, separators=(",", ":")))


def _bars(items: list[tuple[str, str, dict[str, int]]], filter_key: str) -> dict[str, Any]:
    """Horizontal stacked bars (error, warning, info) laid out for an inline SVG."""
    top = max((sum(c.values()) for _, _, c in items), default=0) or 1
    label_w, bar_w, row_h = 230, 300, 26
    rows = []
    for i, (value, label, c) in enumerate(items):
        x = float(label_w)
        segments = []
        for sev in SEVERITIES:
            w = c.get(sev, 0) / top * bar_w
            if w > 0:
                segments.append({"x": round(x, 1), "w": round(max(w, 1.5), 1), "severity": sev, "n": c[sev]})
                x += w
        rows.append({"y": i * row_h, "value": value, "label": label, "total": sum(c.values()),
                     "segments": segments, "end": round(x, 1)})
    return {"rows": rows, "height": max(len(rows), 1) * row_h + 4, "width": label_w + bar_w + 50,
            "label_w": label_w, "filter": filter_key}


def _rule_chart(issues: list[Issue], lang: str) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {}
    for i in issues:
        counts.setdefault(i.rule, Counter())[i.severity.value] += 1
    order = sorted(counts, key=lambda r: (-sum(counts[r].values()), r))
    items = [(r, f"{r} {text(f'rules.{r}.title', lang)}", dict(counts[r])) for r in order]
    return _bars(items, "rule")


def _department_chart(issues: list[Issue], lang: str) -> dict[str, Any]:
    counts: dict[str, Counter[str]] = {}
    for i in issues:
        counts.setdefault(department_label(i.department, lang), Counter())[i.severity.value] += 1
    order = sorted(counts, key=lambda d: (-sum(counts[d].values()), d))
    return _bars([(d, d, dict(counts[d])) for d in order], "department")


def _trend(history: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Lines of errors and warnings over past runs (oldest left), or None without history."""
    runs = [h for h in history if isinstance(h, dict)]
    if not runs:
        return None
    width, height, left, bottom = 640, 180, 40, 30
    top = max((int(h.get(s) or 0) for h in runs for s in SEVERITIES), default=0) or 1
    step = (width - left - 50) / max(len(runs) - 1, 1)  # room on the right for the last date label

    def y(n: Any) -> float:
        return round(10 + (height - bottom - 10) * (1 - int(n or 0) / top), 1)

    lines = {}
    for sev in SEVERITIES:
        pts = [(round(left + i * step, 1), y(h.get(sev))) for i, h in enumerate(runs)]
        lines[sev] = {"points": " ".join(f"{a},{b}" for a, b in pts), "dots": pts,
                      "values": [int(h.get(sev) or 0) for h in runs]}
    labels = [{"x": round(left + i * step, 1), "text": str(h.get("run_at", ""))[:10]} for i, h in enumerate(runs)]
    every = max(1, len(labels) // 8)  # at most about eight date labels so they never overlap
    return {"width": width, "height": height, "lines": lines, "labels": labels[::every], "top": top,
            "axis_y": height - bottom, "left": left, "runs": len(runs)}

