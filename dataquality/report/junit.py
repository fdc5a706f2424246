"""JUnit XML for CI: the exit code's verdict, case by case.

A suite per entity. A rule that found nothing there is one passed test case (`FMT001 Wrong
format`). A rule that found something has a test case per issue, named by its issue number (the
DQ number `dq check` gives, stable from run to run) and carrying its status (new, open, reopened),
severity and place as properties and in its text. An issue that fails the run under `--fail-on`
(`result.failing_issues`, the test the exit code makes) is a failed test case; any other (an open
error under new-error, a warning under error) is a skipped one saying why. So a CI dashboard shows
exactly as many failures as the issues that turned the job red, and none when it is green.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from dataquality.checks.registry import active_rules
from dataquality.fileio import atomic_path
from dataquality.i18n import has, text
from dataquality.issue import Issue, texts_of
from dataquality.report import ReportOptions
from dataquality.report.columns import issue_numbers
from dataquality.report.common import where
from dataquality.result import Result, failing_issues

FILE_NAME = "junit.xml"
# Characters XML 1.0 cannot carry; data from a workbook may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write(result: Result, options: ReportOptions) -> Path | None:
    """Write junit.xml into the output folder."""
    from dataquality.report.common import out_dir

    path = out_dir(options.out) / FILE_NAME
    tree = ET.ElementTree(build(result, options.lang, options.fail_on))
    ET.indent(tree)
    with atomic_path(path) as tmp:
        tree.write(tmp, encoding="utf-8", xml_declaration=True)
    return path


def _clean(value: object) -> str:
    return _NOT_XML.sub("\ufffd", "" if value is None else str(value))


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


class _Case:
    """The issues of one number (both rows of a duplicate pair are one tracked issue)."""

    def __init__(self, number: str, tracked: bool) -> None:
        self.number = number
        self.tracked = tracked
        self.issues: list[tuple[Issue, str, str]] = []  # (issue, message, hint)


def _line(issue: Issue, message: str, hint: str) -> str:
    key = f" [{issue.key}]" if issue.key else ""
    return _clean(f"{issue.file} {where(issue)}{key}: {message}" + (f" → {hint}" if hint else ""))


def _add_case(suite: ET.Element, entity: str, code: str, case: _Case, lang: str, fails: bool, fail_on: str) -> None:
    head, message, _hint = case.issues[0]
    status = head.status.value
    name = f"{case.number} {code} {_title(code, lang)}" if case.tracked else f"{code} {where(head)} {_title(code, lang)}"
    element = ET.SubElement(suite, "testcase", classname=f"dataquality.{entity}.{code}", name=_clean(name), time="0")
    props = ET.SubElement(element, "properties")
    for prop, value in (("issue_number", case.number), ("status", status), ("severity", head.severity.value),
                        ("rule", code), ("department", head.department or "")):
        ET.SubElement(props, "property", name=prop, value=_clean(value))
    said = text("junit.case", lang, number=case.number, status=text(f"track.status.{status}", lang),
                severity=text(f"severity.{head.severity.value}", lang), message=message)
    body = "\n".join(_line(i, m, h) for i, m, h in case.issues)
    if fails:
        failure = ET.SubElement(element, "failure", message=_clean(said), type=head.severity.value)
        failure.text = body
    else:
        skipped = ET.SubElement(element, "skipped", message=_clean(text("junit.not_failing", lang, said=said, fail_on=fail_on)))
        skipped.text = body


def build(result: Result, lang: str, fail_on: str = "error") -> ET.Element:
    """The <testsuites> element: a suite per entity; per rule a passed case, or a case per issue."""
    fails = failing_issues(fail_on)
    numbers = issue_numbers(result.issues)
    texts = texts_of(result.issues, lang)
    grouped: dict[str, dict[str, dict[str, _Case]]] = defaultdict(lambda: defaultdict(dict))
    for issue, number, (message, hint) in zip(result.issues, numbers, texts, strict=True):
        by_number = grouped[issue.entity or "file"][issue.rule]
        case = by_number.get(number)
        if case is None:
            case = by_number[number] = _Case(number, bool(issue.tracking.get("issue_number")))
        case.issues.append((issue, message, hint))
    entities = list(dict.fromkeys([t.entity for t in result.tables] + list(grouped)))
    root = ET.Element("testsuites", name="dataquality")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    stamp = result.started_at.isoformat(timespec="seconds")
    for entity in entities:
        by_rule = grouped.get(entity, {})
        suite = ET.SubElement(root, "testsuite", name=_clean(text("junit.suite", lang, entity=entity)), timestamp=stamp)
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for code in _rules_for(entity, set(by_rule)):
            cases = by_rule.get(code)
            if not cases:
                ET.SubElement(suite, "testcase", classname=f"dataquality.{entity}.{code}",
                              name=_clean(f"{code} {_title(code, lang)}"), time="0")
                counts["tests"] += 1
                continue
            for case in cases.values():
                failed = any(fails(i) for i, _m, _h in case.issues)
                _add_case(suite, entity, code, case, lang, failed, fail_on)
                counts["tests"] += 1
                counts["failures" if failed else "skipped"] += 1
        for name, n in counts.items():
            suite.set(name, str(n))
            totals[name] += n
        suite.set("errors", "0")
    for name, n in totals.items():
        root.set(name, str(n))
    root.set("errors", "0")
    return root
