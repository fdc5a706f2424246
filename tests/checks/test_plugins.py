"""Company rules as plugins: a package registering rules under the entry point group `dataquality.rules`.

The test writes a small plugin package (pyproject, module, texts, cases), installs it with pip into
a folder of its own (never the test's environment), and runs `dq` with that folder on PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

RULES_PY = '''
"""ACME's own rule: a grade A customer must have an e-mail address."""

import pandas as pd

from dataquality.checks.findings import findings, no_findings
from dataquality.checks.registry import record_rule
from dataquality.checks.settings import RuleSettings, FieldName


class NeedsEmail(RuleSettings):
    grade: FieldName
    email: FieldName
    grades: tuple[str, ...] = ("A",)


@record_rule("ACM001", "key-account-without-email", entity="customer", settings=NeedsEmail, key="key_account_email")
def key_account_without_email(t, ctx, setting: NeedsEmail) -> pd.DataFrame:
    """A key-account customer (grade A by default) has no e-mail address.

    Why: statements for key accounts go out by e-mail.
    Bad: grade = A, email empty.
    Good: grade = A, email = buyer@example.com.
    """
    failing = t[setting.grade].canonical.isin(list(setting.grades)).fillna(False).astype(bool) & ~t[setting.email].present
    return findings(failing, setting.email) if failing.any() else no_findings()
'''

MESSAGES = """\
rules:
  ACM001:
    title: {en: Key account without e-mail, zh: 重点客户缺少邮箱}
    message: {en: "{field} is empty for a key-account customer.", zh: "重点客户的{field}为空。"}
    hint: {en: "Ask the buyer for an e-mail address.", zh: "请向采购员索取邮箱地址。"}
"""

CASES = """\
rule: ACM001
entity: customer
record_rules:
  key_account_email: {grade: grade, email: email}
cases:
  - name: grade A without e-mail
    rows: [{grade: A, credit_limit: 1, email: null}, {grade: A, credit_limit: 1, email: a@example.com}, {grade: B, credit_limit: 1, email: null}]
    expect: [[1, email]]
"""

PYPROJECT = """\
[build-system]
requires = ["setuptools>=70.1"]
build-backend = "setuptools.build_meta"

[project]
name = "acme-dq-rules"
version = "1.0"

[project.entry-points."dataquality.rules"]
acme = "acme_dq_rules.rules"

[tool.setuptools]
packages = ["acme_dq_rules"]

[tool.setuptools.package-data]
acme_dq_rules = ["messages.yaml", "cases/*.yaml"]
"""


def _package(root: Path, rules_py: str = RULES_PY, messages: str = MESSAGES) -> Path:
    pkg = root / "acme-dq-rules"
    mod = pkg / "acme_dq_rules"
    (mod / "cases").mkdir(parents=True)
    (pkg / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (mod / "__init__.py").write_text("", encoding="utf-8")
    (mod / "rules.py").write_text(textwrap.dedent(rules_py), encoding="utf-8")
    (mod / "messages.yaml").write_text(messages, encoding="utf-8")
    (mod / "cases" / "ACM001.yaml").write_text(CASES, encoding="utf-8")
    return pkg


def _install(pkg: Path, site: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(site), str(pkg)],
        check=True, capture_output=True, cwd=pkg.parent,
    )


def _dq(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site), "COLUMNS": "250", "DQ_LANG": "en"}
    return subprocess.run([sys.executable, "-m", "dataquality", *args], capture_output=True, text=True, env=env, cwd=cwd)


def _customers(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "客户"
    ws.append(["客户编码", "客户名称", "客户类型", "业务员", "联系电话", "详细地址", "客户等级", "信用额度", "电子邮箱"])
    ws.append(["C000001", "甲公司", "个人", "张伟", "13812345678", "上海", "A", 1, None])
    ws.append(["C000002", "乙公司", "个人", "张伟", "13812345678", "上海", "A", 1, "a@example.com"])
    path = tmp_path / "c.xlsx"
    wb.save(path)
    return path


def _project_schemas(tmp_path: Path) -> tuple[Path, Path]:
    """The shipped schemas and rules, with the plugin's rule configured for customers."""
    import shutil

    import yaml

    from dataquality.paths import default_rules_dir, default_schemas_dir

    schemas, rules = tmp_path / "schemas", tmp_path / "rules"
    shutil.copytree(default_schemas_dir(), schemas)
    shutil.copytree(default_rules_dir(), rules)
    data = yaml.safe_load((schemas / "customer.yaml").read_text(encoding="utf-8"))
    data["record_rules"]["key_account_email"] = {"grade": "grade", "email": "email"}
    (schemas / "customer.yaml").write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return schemas, rules


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("plugin")
    site = root / "site"
    _install(_package(root), site)
    return site


def test_dq_rules_lists_the_plugin_rule_with_its_origin(site: Path, tmp_path: Path) -> None:
    listed = _dq(site, "rules", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()  # not a terminal: a line per rule, then its details
    at = next(i for i, li in enumerate(lines) if li.startswith("ACM001"))
    assert "Key account without e-mail" in lines[at] and "From: acme-dq-rules" in lines[at + 1]
    at = next(i for i, li in enumerate(lines) if li.startswith("CUS001"))
    assert "From: dataquality" in lines[at + 1]
    one = _dq(site, "rules", "ACM001", "--lang", "zh", cwd=tmp_path)
    assert one.returncode == 0 and "重点客户缺少邮箱" in one.stdout and "acme-dq-rules" in one.stdout


def test_dq_validate_reports_the_plugin_rule_in_both_languages(site: Path, tmp_path: Path) -> None:
    schemas, rules = _project_schemas(tmp_path)
    path = _customers(tmp_path)
    out = tmp_path / "out"
    done = _dq(site, "validate", str(path), "--schemas", str(schemas), "--rules", str(rules),
               "--format", "json", "--out", str(out), "--quiet", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    found = [i for i in report["issues"] if i["rule"] == "ACM001"]
    assert [(i["row"], i["field"]) for i in found] == [(2, "email")]
    for lang, said in (("en", "Email is empty for a key-account customer."), ("zh", "重点客户的电子邮箱为空。")):
        done = _dq(site, "validate", str(path), "--schemas", str(schemas), "--rules", str(rules), "--lang", lang, cwd=tmp_path)
        assert said in done.stdout, done.stdout


def test_a_plugin_setting_typo_is_a_config_error_naming_file_and_key(site: Path, tmp_path: Path) -> None:
    schemas, rules = _project_schemas(tmp_path)
    text = (schemas / "customer.yaml").read_text(encoding="utf-8").replace("email: email", "emial: email")
    (schemas / "customer.yaml").write_text(text, encoding="utf-8")
    done = _dq(site, "validate", str(_customers(tmp_path)), "--schemas", str(schemas), "--rules", str(rules), cwd=tmp_path)
    assert done.returncode == 2
    assert "customer.yaml" in done.stderr and "record_rules.key_account_email.emial" in done.stderr
    assert "did you mean email" in done.stderr and "Traceback" not in done.stderr


def test_the_plugin_cases_run_with_dataqualitys_own(site: Path, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", str(ROOT / "tests" / "checks" / "test_cases.py"), "-q", "-p", "no:cacheprovider",
         "-k", "ACM001", "--rootdir", str(ROOT)],
        capture_output=True, text=True, env=env, cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


@pytest.mark.parametrize(
    ("rules_py", "said"),
    [
        (RULES_PY.replace('"ACM001"', '"CUS001"'), "CUS001 registered twice"),
        (RULES_PY.replace('"ACM001"', '"acme-1"'), "must look like ABC123"),
        ("raise ImportError('no module named acme_internal')\n", "ImportError: no module named acme_internal"),
    ],
    ids=["duplicate-code", "bad-code", "import-fails"],
)
def test_a_broken_plugin_is_exit_2_naming_the_package(tmp_path: Path, rules_py: str, said: str) -> None:
    site = tmp_path / "site"
    _install(_package(tmp_path, rules_py), site)
    done = _dq(site, "rules", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "acme-dq-rules" in done.stderr and said in done.stderr and "Traceback" not in done.stderr
