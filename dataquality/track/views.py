"""Console views for dq issues list/show and dq history (rich tables; user data escaped)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dataquality.i18n import text
from dataquality.issue import Issue
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


def issues_table(issues: Sequence[Issue], lang: str) -> None:
    """One line per issue: number, status, severity, department, where, problem, seen, age, due."""
    table = Table(title=text("track.list_title", lang, n=len(issues)))
    for name in ("number", "status", "severity", "department", "where", "message", "age", "due"):
        table.add_column(_col(name, lang), overflow="fold", no_wrap=name in ("number", "status"))
    for i in issues:
        table.add_row(
            escape(str(i.tracking.get("issue_number", ""))), escape(text(f"track.status.{i.status.value}", lang)),
            _sev(i.severity.value, lang), escape(i.department or "-"), escape(_where(i)),
            f"[dim]{i.rule}[/] {escape(i.message(lang))}", str(i.tracking.get("age_days", "")), _due(i, lang),
        )
    _console().print(table)


def issue_view(issue: Issue, events: Sequence[IssueEvent], lang: str) -> None:
    """One issue in full, then its history run by run."""
    t = issue.tracking
    lines = [
        f"[bold]{escape(str(t.get('issue_number')))}[/]  {escape(text(f'track.status.{issue.status.value}', lang))}  "
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
    table = Table(title=text("track.history_title", lang))
    for name in ("run", "at", "errors", "warnings", "infos", "new", "reopened", "resolved", "overdue", "departments"):
        table.add_column(_col(name, lang), justify="right" if name not in ("at", "departments") else "left", overflow="fold")
    for r in runs:
        depts = ", ".join(f"{d} {n}" for d, n in sorted(r["by_department"].items(), key=lambda kv: -kv[1]))
        table.add_row(str(r["run"]), escape(r["run_at"]), str(r["error"]), str(r["warning"]), str(r["info"]),
                      str(r["new"]), str(r["reopened"]), str(r["resolved"]), str(r["overdue"]), escape(depts))
    _console().print(table)
