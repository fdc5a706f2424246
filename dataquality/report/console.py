"""The console report: counts by severity and rule, then the first issues as a table."""

from __future__ import annotations

from collections import Counter
from operator import attrgetter
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from dataquality.i18n import text
from dataquality.issue import Severity
from dataquality.report import ReportOptions
from dataquality.report.common import entity_label
from dataquality.result import Result
from dataquality.terminal import wrap

_RULE, _SEVERITY = attrgetter("rule"), attrgetter("severity")  # read in C: 100,000s of issues
_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def make_console() -> Console:
    """A console that colours on a terminal and stays plain in CI or when piped."""
    from dataquality.terminal import console

    return console(highlight=False, soft_wrap=False)


def write(result: Result, options: ReportOptions, console: Console | None = None) -> Path | None:
    """Print the summary and the first `options.limit` issues."""
    console = console or make_console()
    lang = options.lang
    t = lambda key, **p: text(f"console.{key}", lang, **p)  # noqa: E731
    for table in result.tables:
        console.print(
            escape(t("loaded", file=table.file, sheet=table.sheet or "-", entity=entity_label(table.entity, lang).lower(), records=len(table), header_row=table.header_row))
        )
    counts = {s: result.count(s) for s in Severity}
    headline = t("headline", errors=counts[Severity.ERROR], warnings=counts[Severity.WARNING], infos=counts[Severity.INFO])
    style = "bold red" if counts[Severity.ERROR] else ("yellow" if counts[Severity.WARNING] else "bold green")
    console.print(f"[{style}]{escape(headline)}[/]")
    if not result.issues:
        return None
    by_rule = Table(title=t("by_rule"), show_lines=False)
    by_rule.add_column(t("col_rule"))
    by_rule.add_column(t("col_severity"))
    by_rule.add_column(t("col_count"), justify="right")
    by_rule.add_column(t("col_title"))
    severities = dict(zip(map(_RULE, result.issues), map(_SEVERITY, result.issues), strict=True))  # the last of each rule
    for code, n in sorted(Counter(map(_RULE, result.issues)).items(), key=lambda kv: (-severities[kv[0]].rank, -kv[1])):
        sev = severities[code]
        by_rule.add_row(code, f"[{_STYLE[sev]}]{text('severity.' + sev.value, lang)}[/]", str(n), escape(text(f"rules.{code}.title", lang)))
    console.print(by_rule)
    shown = result.issues[: options.limit]
    places = []
    for i in shown:
        cell = i.cell or (f"{i.sheet}!{i.row}" if i.row else i.file)
        number = i.tracking.get("issue_number")  # set when issues are tracked across runs (dq check)
        places.append(f"{number}\n{i.file}\n{cell}" if number else f"{i.file}\n{cell}")
    # The problem column gets what the place and rule columns leave; its text is broken here, between
    # Chinese characters and at spaces, so a code (C000123, 客户主数据!A8) is never cut in two.
    place_width = max(cell_len(line) for place in places for line in place.split("\n"))
    rule_width = max(len(i.rule) for i in shown)
    width = max(24, console.width - place_width - rule_width - 10)
    issues = Table(title=t("first_issues", shown=len(shown), total=len(result.issues)), show_lines=False)
    issues.add_column(t("col_cell"), no_wrap=True)
    issues.add_column(t("col_rule"), no_wrap=True)
    issues.add_column(t("col_message"), overflow="fold", width=width)
    for i, where in zip(shown, places, strict=True):
        message, hint = i.texts(lang)
        problem = escape(wrap(message, width))
        if hint:
            problem += f"\n[dim]{escape(wrap('→ ' + hint, width))}[/]"
        issues.add_row(escape(where), f"[{_STYLE[i.severity]}]{i.rule}[/]", problem)
    console.print(issues)
    if len(result.issues) > len(shown):
        console.print(escape(t("more", n=len(result.issues) - len(shown))))
    return None

