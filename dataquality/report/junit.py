"""JUnit XML for CI: the exit code's verdict, case by case.

A suite per entity. A rule that found nothing there is one passed test case (`FMT001 Wrong
format`). A rule that found something has a test case per issue, named by its issue number (the
DQ number `dq check` gives, stable from run to run) and carrying its status (new, open, reopened),
severity and department as properties (the rule is its class name) and in its text. An issue that fails the run under
`--fail-on` (`result.failing_issues`, the test the exit code makes) is a failed test case; any
other (an open error under new-error, a warning under error) is a skipped one saying why. So a CI
dashboard shows exactly as many failures as the issues that turned the job red, and none when it
is green.

The XML is written as text, every value escaped in one pass (`safe_text.xml_escaped_cells`): a run
with 100,000 issues has 100,000 test cases.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import repeat
from pathlib import Path

from dataquality.checks.registry import active_rules
from dataquality.fileio import atomic_open
from dataquality.i18n import has, text
from dataquality.issue import Issue, texts_of
from dataquality.report import ReportOptions
from dataquality.report.columns import issue_numbers, places
from dataquality.result import Result, failing_issues
from dataquality.safe_text import xml_escaped_cells

FILE_NAME = "junit.xml"


def write(result: Result, options: ReportOptions) -> Path | None:
    """Write junit.xml into the output folder."""
    from dataquality.report.common import out_dir

    path = out_dir(options.out) / FILE_NAME
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(xml(result, options.lang, options.fail_on))
    return path


def _rules_for(entity: str, found: set[str]) -> list[str]:
    """Rules that check `entity` (field and file rules, its record rules), plus any that found something."""
    codes = []
    for rule in active_rules():
        applies = rule.scope in ("field", "file") or (rule.scope == "record" and rule.entity in (None, entity))
        if applies or rule.code in found:
            codes.append(rule.code)
    return codes + sorted(found - set(codes))


def _title(code: str, lang: str) -> str:
    return text(f"rules.{code}.title", lang) if has(f"rules.{code}.title") else code


def xml(result: Result, lang: str, fail_on: str = "error") -> str:
    """The whole report: <testsuites>, a suite per entity; per rule a passed case, or a case per issue."""
    issues = result.issues
    cases = _cases(issues, lang, fail_on)
    grouped: dict[str, dict[str, list[_Case]]] = defaultdict(lambda: defaultdict(list))
    for case in cases:
        grouped[case.entity][case.rule].append(case)
    entities = list(dict.fromkeys([t.entity for t in result.tables] + list(grouped)))
    stamp = result.started_at.isoformat(timespec="seconds")
    suites, totals = [], {"tests": 0, "failures": 0, "skipped": 0}
    for entity in entities:
        by_rule = grouped.get(entity, {})
        body, counts = [], {"tests": 0, "failures": 0, "skipped": 0}
        passed = [code for code in _rules_for(entity, set(by_rule)) if not by_rule.get(code)]
        names = xml_escaped_cells([f"{code} {_title(code, lang)}" for code in passed], attribute=True)
        classes = xml_escaped_cells([f"dataquality.{entity}.{code}" for code in passed], attribute=True)
        body += [f'    <testcase classname="{c}" name="{n}" time="0" />\n' for c, n in zip(classes, names, strict=True)]
        counts["tests"] += len(passed)
        for found in by_rule.values():
            body += [case.xml for case in found]
            counts["tests"] += len(found)
            counts["failures"] += sum(1 for case in found if case.fails)
            counts["skipped"] += sum(1 for case in found if not case.fails)
        [name] = xml_escaped_cells([text("junit.suite", lang, entity=entity)], attribute=True)
        suites.append(f'  <testsuite name="{name}" timestamp="{stamp}" tests="{counts["tests"]}" '
                      f'failures="{counts["failures"]}" errors="0" skipped="{counts["skipped"]}">\n'
                      + "".join(body) + "  </testsuite>\n")
        for key, n in counts.items():
            totals[key] += n
    return ("<?xml version='1.0' encoding='utf-8'?>\n"
            f'<testsuites name="dataquality" tests="{totals["tests"]}" failures="{totals["failures"]}" errors="0" '
            f'skipped="{totals["skipped"]}">\n' + "".join(suites) + "</testsuites>\n")


class _Case:
    """The test case of one issue number (both rows of a duplicate pair are one tracked issue)."""

    __slots__ = ("entity", "rule", "fails", "xml", "members")

    def __init__(self, entity: str, rule: str) -> None:
        self.entity, self.rule, self.fails, self.xml = entity, rule, False, ""
        self.members: list[int] = []  # positions in the issue list


def _cases(issues: list[Issue], lang: str, fail_on: str) -> list[_Case]:
    """One case per entity, rule and issue number, its XML made with every value escaped at once."""
    numbers = issue_numbers(issues)
    failing = list(map(failing_issues(fail_on), issues))
    by_key: dict[tuple[str, str, str], _Case] = {}
    for at, issue in enumerate(issues):
        key = (issue.entity or "file", issue.rule, numbers[at])
        case = by_key.get(key)
        if case is None:
            case = by_key[key] = _Case(key[0], issue.rule)
        case.members.append(at)
        if failing[at]:
            case.fails = True
    cases = list(by_key.values())
    if cases:
        _write_cases(cases, issues, numbers, lang, fail_on)
    return cases


def _said(cases: list[_Case], issues: list[Issue], numbers: list[str], texts: list, where: list[str], lang: str,
          fail_on: str) -> tuple[list[str], list[str]]:
    """Each case's name and message (a case that does not fail says so), not yet escaped."""
    first = [c.members[0] for c in cases]
    heads = [issues[at] for at in first]
    said = {s: text(f"track.status.{s}", lang) for s in ("new", "open", "reopened", "resolved")}
    severity = {s: text(f"severity.{s}", lang) for s in ("error", "warning", "info")}
    titles = {c.rule: _title(c.rule, lang) for c in cases}
    case_said = text("junit.case", lang, number="\x01", status="\x02", severity="\x03", message="\x04")
    not_failing = text("junit.not_failing", lang, said="\x01", fail_on=fail_on)
    messages = []
    for c, at, h in zip(cases, first, heads, strict=True):
        m = (case_said.replace("\x01", numbers[at]).replace("\x02", said[h.status])
             .replace("\x03", severity[h.severity]).replace("\x04", texts[at][0]))
        messages.append(m if c.fails else not_failing.replace("\x01", m))
    names = [f"{numbers[at]} {c.rule} {titles[c.rule]}" if h.tracking.get("issue_number") else f"{c.rule} {where[at]} {titles[c.rule]}"
             for c, at, h in zip(cases, first, heads, strict=True)]
    return names, messages


def _write_cases(cases: list[_Case], issues: list[Issue], numbers: list[str], lang: str, fail_on: str) -> None:
    """Each case's XML (`case.xml`), every value escaped at once."""
    texts = texts_of(issues, lang)
    where = places(issues)
    first = [c.members[0] for c in cases]
    heads = [issues[at] for at in first]
    names, messages = _said(cases, issues, numbers, texts, where, lang, fail_on)
    classes, names, messages = (xml_escaped_cells(v, attribute=True) for v in (
        [f"dataquality.{c.entity}.{c.rule}" for c in cases], names, messages))
    numbers_x, status_x, severity_x, department_x = (xml_escaped_cells(v, attribute=True) for v in (
        # Status and Severity are StrEnums: each member is its value's text.
        [numbers[at] for at in first], [h.status for h in heads], [h.severity for h in heads],
        [h.department or "" for h in heads]))
    # The detail under the message: where each finding of the issue is, and how to fix it.
    lines = [_line(i, w, h) for i, w, (_m, h) in zip(issues, where, texts, strict=True)]
    bodies = xml_escaped_cells([lines[c.members[0]] if len(c.members) == 1 else "\n".join(lines[m] for m in c.members)
                                for c in cases])
    # Each case's text joined from its pieces in C (a run may have 100,000 cases).
    opens = ['><failure message="' if c.fails else '><skipped message="' for c in cases]
    mids = [f'" type="{s}">' if c.fails else '">' for c, s in zip(cases, severity_x, strict=True)]
    closes = ["</failure></testcase>\n" if c.fails else "</skipped></testcase>\n" for c in cases]
    texts_x = map("".join, zip(
        repeat('    <testcase classname="'), classes, repeat('" name="'), names,
        repeat('" time="0"><properties><property name="issue_number" value="'), numbers_x,
        repeat('" /><property name="status" value="'), status_x, repeat('" /><property name="severity" value="'), severity_x,
        repeat('" /><property name="department" value="'), department_x, repeat('" /></properties'),
        opens, messages, mids, bodies, closes, strict=False))
    for case, said_x in zip(cases, texts_x, strict=True):
        case.xml = said_x


def _line(issue: Issue, where: str, hint: str) -> str:
    key = f" [{issue.key}]" if issue.key else ""
    return f"{issue.file} {where}{key}" + (f" → {hint}" if hint else "")
