"""Console views for dq issues list/show and dq history (rich tables; user data escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dataquality.i18n import text
from dataquality.issue import Issue
from dataquality.terminal import narrow, print_records
from dataquality.track.history import IssueEvent

_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def _console() -> Console:
    from dataquality.terminal import console

    return console(highlight=False, soft_wrap=False)


def _col(name: str, lang: str) -> str:
    return text(f"track.col.{name}", lang)


def _where(i: Issue) -> str:
    place = i.cell or (f"{i.sheet}!{i.row}" if i.sheet and i.row else (i.sheet or ""))
    key = f" [{i.key}]" if i.key else ""
    return f"{i.file} {place}{key}".strip()


def _due(i: Issue, lang: str) -> str:
    due = i.tracking.get("due") or ""
    if i.tracking.get("overdue"):
        return f"[bold red]{escape(due)} {escape(text('track.overdue_mark', lang))}[/]"
    return escape(due)


def _sev(severity: str, lang: str) -> str:
    return f"[{_STYLE.get(severity, '')}]{escape(text('severity.' + severity, lang))}[/]"


# Below these widths (or when the output is no terminal: a CI log, a pipe) a table would fold its
# headers and dates, so each record is printed as a line and indented details instead.
ISSUES_TABLE_WIDTH = 130
HISTORY_TABLE_WIDTH = 120


def _status(i: Issue, lang: str) -> str:
    if i.tracking.get("resolution"):
        return text("track.status.fixed_by_department", lang)
    return text(f"track.status.{i.status.value}", lang)


def _when(stamp: str | None) -> str:
    """A stored timestamp as a person reads it: local date and time to the minute (its own offset)."""
    return (stamp or "")[:16].replace("T", " ")


def issues_table(issues: Sequence[Issue], lang: str) -> None:
    """One line per issue: number, status, severity, department, where, problem, seen, age, due."""
    console = _console()
    title = text("track.list_title", lang, n=len(issues))
    if narrow(console, ISSUES_TABLE_WIDTH):
        records = []
        for i in issues:
            head = (f"[bold]{escape(str(i.tracking.get('issue_number', '')))}[/]  {escape(_status(i, lang))}  "
                    f"{_sev(i.severity.value, lang)}  {escape(i.department or '-')}  "
                    f"{_col('age', lang)} {i.tracking.get('age_days', '')}  {_col('due', lang)} {_due(i, lang) or '-'}")
            records.append((head, [_where(i), f"{i.rule} {i.message(lang)}"]))
        print_records(console, title, records)
        return
    table = Table(title=title)
    for name in ("number", "status", "severity", "department", "where", "message", "age", "due"):
        short = name not in ("where", "message")
        table.add_column(_col(name, lang), overflow="fold", no_wrap=short, ratio=None if short else 1)
    for i in issues:
        table.add_row(
            escape(str(i.tracking.get("issue_number", ""))), escape(_status(i, lang)),
            _sev(i.severity.value, lang), escape(i.department or "-"), escape(_where(i)),
            f"[dim]{i.rule}[/] {escape(i.message(lang))}", str(i.tracking.get("age_days", "")), _due(i, lang),
        )
    console.print(table)


def issue_view(issue: Issue, events: Sequence[IssueEvent], lang: str) -> None:
    """One issue in full, then its history run by run."""
    t = issue.tracking
    lines = [
        f"[bold]{escape(str(t.get('issue_number')))}[/]  {escape(_status(issue, lang))}  "
        f"{_sev(issue.severity.value, lang)}  {issue.rule}",
        escape(issue.message(lang)),
    ]
    hint = issue.hint(lang)
    if hint:
        lines.append(f"[dim]→ {escape(hint)}[/]")
    lines += [
        f"{_col('where', lang)}: {escape(_where(issue))}",
        f"{_col('department', lang)}: {escape(issue.department or '-')}",
        f"{_col('first_seen', lang)}: {escape(issue.first_seen or '')}   {_col('last_seen', lang)}: {escape(str(t.get('last_seen', '')))}"
        f"   {_col('times_seen', lang)}: {t.get('times_seen', '')}",
        f"{_col('age', lang)}: {t.get('age_days', '')}   {_col('due', lang)}: {_due(issue, lang) or '-'}",
    ]
    if t.get("resolution"):
        lines.append(escape(text("track.fixed_by", lang, department=t.get("fixed_department") or "-",
                                 by=t.get("fixed_by") or "-", on=t.get("fixed_on") or "-")))
    console = _console()
    for line in lines:
        console.print(line)
    table = Table(title=text("track.events_title", lang))
    for name in ("run", "at", "status", "severity", "department", "where", "value"):
        table.add_column(_col(name, lang), overflow="fold")
    for e in events:
        where = f"{e.file or ''} {e.sheet or ''}!{e.row}" if e.row else (e.file or "")
        table.add_row(str(e.run), escape(e.at), escape(text(f"track.status.{e.status}", lang)), _sev(e.severity, lang),
                      escape(e.department or "-"), escape(where), escape(e.value or ""))
    console.print(table)


def history_table(runs: Sequence[dict[str, Any]], lang: str) -> None:
    """One line per run: counts by severity, new/reopened/resolved/overdue, and by department."""
    console = _console()
    title = text("track.history_title", lang)
    counts = ("errors", "warnings", "infos", "new", "reopened", "resolved", "overdue")
    keys = {"errors": "error", "warnings": "warning", "infos": "info"}
    if narrow(console, HISTORY_TABLE_WIDTH):
        records = []
        for r in runs:
            said = "  ".join(f"{_col(name, lang)} {r[keys.get(name, name)]}" for name in counts)
            lines = [said]
            if r["by_department"]:
                lines.append(f"{_col('departments', lang)}: {_departments(r)}")
            records.append((f"[bold]{_col('run', lang)} {r['run']}[/]  {escape(_when(r['run_at']))}", lines))
        print_records(console, title, records)
        return
    table = Table(title=title)
    for name in ("run", "at", *counts, "departments"):
        table.add_column(_col(name, lang), justify="right" if name not in ("at", "departments") else "left",
                         no_wrap=name != "departments", overflow="fold")
    for r in runs:
        table.add_row(str(r["run"]), escape(_when(r["run_at"])), *(str(r[keys.get(name, name)]) for name in counts),
                      escape(_departments(r)))
    console.print(table)


def _departments(run: dict[str, Any]) -> str:
    return ", ".join(f"{d} {n}" for d, n in sorted(run["by_department"].items(), key=lambda kv: -kv[1]))
