"""JUnit XML for CI: one testcase per rule and entity, failed when the rule found errors there."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from dataquality.checks.registry import active_rules
from dataquality.fileio import atomic_path
from dataquality.i18n import has, text
from dataquality.issue import Issue, Severity
from dataquality.report import ReportOptions
from dataquality.report.common import out_dir, where
from dataquality.result import Result

FILE_NAME = "junit.xml"
EXAMPLES = 10
# Characters XML 1.0 cannot carry; data from a workbook may hold them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def write(result: Result, options: ReportOptions) -> Path | None:
    """Write junit.xml into the output folder."""
    path = out_dir(options.out) / FILE_NAME
    tree = ET.ElementTree(build(result, options.lang))
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


def _example(issue: Issue, lang: str) -> str:
    key = f" [{issue.key}]" if issue.key else ""
    return _clean(f"{issue.file} {where(issue)}{key}: {issue.message(lang)}")


def build(result: Result, lang: str) -> ET.Element:
    """The <testsuites> element: a suite per entity, a testcase per rule."""
    grouped: dict[str, dict[str, list[Issue]]] = defaultdict(lambda: defaultdict(list))
    for issue in result.issues:
        grouped[issue.entity or "file"][issue.rule].append(issue)
    entities = list(dict.fromkeys([t.entity for t in result.tables] + list(grouped)))
    root = ET.Element("testsuites", name="dataquality")
    total_tests = total_failures = 0
    stamp = result.started_at.isoformat(timespec="seconds")
    for entity in entities:
        by_rule = grouped.get(entity, {})
        suite = ET.SubElement(root, "testsuite", name=_clean(text("junit.suite", lang, entity=entity)), timestamp=stamp)
        tests = failures = 0
        for code in _rules_for(entity, set(by_rule)):
            found = by_rule.get(code, [])
            title = text(f"rules.{code}.title", lang) if has(f"rules.{code}.title") else code
            case = ET.SubElement(suite, "testcase", classname=f"dataquality.{entity}", name=_clean(f"{code} {title}"), time="0")
            tests += 1
            errors = [i for i in found if i.severity == Severity.ERROR]
            others = [i for i in found if i.severity != Severity.ERROR]
            summary = text("junit.failure", lang, rule=code, title=title, errors=len(errors), warnings=sum(1 for i in others if i.severity == Severity.WARNING))
            if errors:
                failures += 1
                lines = [_example(i, lang) for i in errors[:EXAMPLES]]
                if len(errors) > EXAMPLES:
                    lines.append(text("junit.more", lang, n=len(errors) - EXAMPLES))
                failure = ET.SubElement(case, "failure", message=_clean(summary), type="error")
                failure.text = "\n".join(lines)
            if others:
                out = ET.SubElement(case, "system-out")
                lines = [_clean(summary)] + [_example(i, lang) for i in others[:EXAMPLES]]
                if len(others) > EXAMPLES:
                    lines.append(text("junit.more", lang, n=len(others) - EXAMPLES))
                out.text = "\n".join(lines)
        suite.set("tests", str(tests))
        suite.set("failures", str(failures))
        suite.set("errors", "0")
        suite.set("skipped", "0")
        total_tests += tests
        total_failures += failures
    root.set("tests", str(total_tests))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    return root
