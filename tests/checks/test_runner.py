"""The runner: a rule that raises is a bug (exit 3 naming the rule); a rule that cannot run says so once (RUL001)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from dataquality.checks import registry
from dataquality.checks.runner import RuleError
from dataquality.config import Config
from dataquality.pipeline import run

HEADER = ["客户编码", "客户名称", "客户类型", "业务员", "联系电话", "详细地址"]
ROW = ["C000001", "甲公司", "个人", "张伟", "13812345678", "上海"]


@pytest.fixture
def broken_rule():
    """A company rule with a bug: it compares text with a number. Unregistered afterwards."""

    @registry.record_rule("ZZZ901", "broken-rule", entity="customer", fields=("customer_name",),
                          texts={part: {"en": f"{part} of ZZZ901", "zh": f"ZZZ901 的{part}"} for part in registry.TEXT_PARTS})
    def broken(t, ctx) -> pd.DataFrame:
        """Broken on purpose.

        Why: tests. Bad: raises. Good: does not.
        """
        return int(None)  # type: ignore[call-overload]

    yield "ZZZ901"
    registry.unregister("ZZZ901")


def test_a_rule_that_raises_is_a_rule_error_naming_its_code(broken_rule, write_xlsx, config: Config) -> None:
    path = write_xlsx("c.xlsx", {"客户": [HEADER, ROW]})
    with pytest.raises(RuleError, match=r"rule ZZZ901 \(dataquality\) failed: TypeError") as err:
        run(config, [path])
    assert err.value.code == "ZZZ901"


def test_dq_validate_exits_3_naming_the_rule_and_saves_the_traceback(broken_rule, write_xlsx, tmp_path: Path, monkeypatch) -> None:
    from dataquality.cli import main

    crashes = tmp_path / "crashes"
    monkeypatch.setenv("DQ_CRASH_DIR", str(crashes))
    path = write_xlsx("c.xlsx", {"客户": [HEADER, ROW]})
    done = CliRunner().invoke(main, ["validate", str(path), "--lang", "en"])
    assert done.exit_code == 3
    assert "ZZZ901" in done.output and "CHECK_ERROR" not in done.output
    saved = list(crashes.glob("dq-crash-*.txt"))
    assert len(saved) == 1 and "RuleError: rule ZZZ901" in saved[0].read_text(encoding="utf-8")


def test_a_record_rule_that_cannot_run_says_so_once(write_xlsx, config: Config) -> None:
    # Credit limits but no grade column: the cap by grade (CUS001) cannot be checked.
    rows = [HEADER + ["信用额度"], ROW + [300000], ["C000002", "乙公司", "个人", "张伟", "13812345678", "上海", 1]]
    issues = run(config, [write_xlsx("c.xlsx", {"客户": rows})]).issues
    said = [i for i in issues if i.rule == "RUL001"]
    assert [(i.row, i.severity.value, i.params["rule"], i.params["fields"]) for i in said] == [(1, "info", "CUS001", ["grade"])]
    assert said[0].message("en") == "Rule CUS001 did not run on this sheet: it needs Grade, which has no column."
    assert said[0].message("zh") == "规则 CUS001 未在此工作表上执行：它需要客户等级，但该列不存在。"


def test_a_sheet_with_nothing_a_rule_reads_is_not_told_about_it(write_xlsx, config: Config) -> None:
    # Neither credit limits nor grades: there is nothing CUS001 could check, and nothing to say.
    issues = run(config, [write_xlsx("c.xlsx", {"客户": [HEADER, ROW]})]).issues
    assert [i for i in issues if i.rule == "RUL001"] == []


def test_rul001_can_be_switched_off_in_rules_yaml(write_xlsx, config: Config) -> None:
    from dataclasses import replace

    from dataquality.config import RuleSetting

    off = replace(config, rule_settings={"RUL001": RuleSetting(enabled=False)})
    rows = [HEADER + ["信用额度"], ROW + [300000]]
    assert [i for i in run(off, [write_xlsx("c.xlsx", {"客户": rows})]).issues if i.rule == "RUL001"] == []


def test_validate_does_not_import_pandera(write_xlsx, tmp_path: Path) -> None:
    import subprocess
    import sys

    path = write_xlsx("c.xlsx", {"客户": [HEADER, ROW]})
    code = (
        "import sys\nfrom dataquality.cli import main\n"
        "try:\n    main(['validate', sys.argv[1], '--quiet'])\nexcept SystemExit:\n    pass\n"
        "print('pandera' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=tmp_path)
    assert done.stdout.strip().splitlines()[-1] == "False", done.stderr


def test_a_rule_of_the_entity_its_schema_does_not_configure_says_so_once(write_xlsx, config: Config) -> None:
    """A company customer schema without record_rules.one_code_per_uscc: CUS003 cannot run (RUL002)."""
    from dataclasses import replace

    customer = config.schemas["customer"]
    settings = {k: v for k, v in customer.record_rules.items() if k != "one_code_per_uscc"}
    bare = replace(config, schemas={**config.schemas, "customer": replace(customer, record_rules=settings)})
    rows = [HEADER, ROW, ["C000002", "乙公司", "个人", "张伟", "13812345678", "上海"]]
    issues = run(bare, [write_xlsx("c.xlsx", {"客户": rows, "客户2": rows})]).issues
    said = [i for i in issues if i.rule == "RUL002"]
    assert [(i.sheet, i.row, i.severity.value, i.params["rule"]) for i in said] == [("客户", 1, "info", "CUS003"), ("客户2", 1, "info", "CUS003")]
    assert said[0].message("en") == "Rule CUS003 did not run on this sheet: the Customer schema does not set record_rules.one_code_per_uscc."
    assert said[0].message("zh") == "规则 CUS003 未在此工作表上执行：客户模式未设置 record_rules.one_code_per_uscc。"
    # The shipped schema configures every customer rule: nothing to say.
    assert [i for i in run(config, [write_xlsx("d.xlsx", {"客户": rows})]).issues if i.rule == "RUL002"] == []


def test_a_rule_that_raises_on_a_rule_thread_is_the_same_rule_error(broken_rule, write_xlsx, config: Config, monkeypatch) -> None:
    from dataquality.checks import runner

    monkeypatch.setattr(runner, "THREADED_ROWS", 1)  # every table on the rule threads
    path = write_xlsx("c.xlsx", {"客户": [HEADER, ROW]})
    with pytest.raises(RuleError, match=r"rule ZZZ901 \(dataquality\) failed: TypeError") as err:
        run(config, [path])
    assert err.value.code == "ZZZ901"


def test_rules_on_threads_find_the_same_issues_in_the_same_order(write_xlsx, config: Config, monkeypatch) -> None:
    from dataquality.checks import runner

    rows = [HEADER + ["信用额度", "邮箱"]]
    for i in range(600):  # duplicates, bad phones and e-mails, untidy names: field and record rules fire
        rows.append([f"C{i % 500:06d}", f" 甲公司{i % 300}  ", ["个人", "企业", "gov"][i % 3], "张伟",
                     ["13812345678", "1381234567", "+86 138 1234 5678"][i % 3], "上海", i * 100,
                     ["a@b.cn", "a@@b.cn", "x@y"][i % 3]])
    path = write_xlsx("c.xlsx", {"客户": rows})
    monkeypatch.setattr(runner, "THREADED_ROWS", 10**9)
    serial = [{**i.to_dict(), "first_seen": None} for i in run(config, [path]).issues]
    monkeypatch.setattr(runner, "THREADED_ROWS", 1)
    threaded = [{**i.to_dict(), "first_seen": None} for i in run(config, [path]).issues]
    assert len(serial) > 500 and {i["rule"] for i in serial} >= {"UNQ001", "IDN003", "IDN005"}
    assert threaded == serial
