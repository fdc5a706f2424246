"""Reference lists read from a workbook sheet: the function, and `dq validate --reference`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from dq_cli import run_dq

from dataquality.config import Config
from dataquality.errors import ConfigError, InputError
from dataquality.pipeline import run
from dataquality.references import (
    parse_reference_option,
    read_reference_sheet,
    with_reference_sheets,
)

ROOT = Path(__file__).resolve().parents[2]
CUSTOMERS = [["客户编码", "客户名称", "客户类型", "业务员", "联系电话", "详细地址"],
             ["C000001", "甲公司", "个人", "赵六", "13812345678", "上海"],
             ["C000002", "乙公司", "个人", "Zhou Qi", "13812345678", "上海"],
             ["C000003", "丙公司", "个人", "张伟", "13812345678", "上海"]]
HR = {"说明": [["仅供测试"]],
      "在职员工": [["人事部导出"], [], ["工号", "姓名", "别名", "部门"],
                  ["E01", "赵六", None, "销售部"], ["E02", "周七", "Zhou Qi、小周", "销售部"], [None, None, None, None]]}


def test_read_reference_sheet_finds_header_names_and_aliases(write_xlsx) -> None:
    ref = read_reference_sheet("staff", write_xlsx("hr.xlsx", HR), "在职员工")
    assert ref.names == ("赵六", "周七")
    assert ref.canonical["zhouqi"] == "周七" and ref.canonical["小周"] == "周七"
    assert ref.records[0]["部门"] == "销售部" and ref.source.endswith("hr.xlsx#在职员工")


def test_reference_sheet_replaces_the_yaml_list(write_xlsx) -> None:
    customers = write_xlsx("c.xlsx", {"客户": CUSTOMERS})
    config = with_reference_sheets(Config.load(), [f"staff={write_xlsx('hr.xlsx', HR)}#在职员工"])
    found = [(i.row, i.field, i.rule) for i in run(config, [customers]).issues]
    assert found == [(4, "salesperson", "REF001")]  # 张伟 is in rules/staff.yaml but not in HR's sheet


@pytest.mark.parametrize("spec", ["staff", "=x.xlsx", "staff="])
def test_bad_reference_option(spec: str) -> None:
    with pytest.raises(ConfigError):
        parse_reference_option(spec)


def test_reference_errors_are_user_errors(write_xlsx) -> None:
    hr = write_xlsx("hr.xlsx", HR)
    with pytest.raises(InputError, match="no sheet named 员工"):
        read_reference_sheet("staff", hr, "员工")
    with pytest.raises(InputError, match="name / 姓名"):
        read_reference_sheet("staff", hr, "说明")
    with pytest.raises(ConfigError, match="no field uses a list"):
        with_reference_sheets(Config.load(), [f"suppliers={hr}#在职员工"])


def _dq(*args: str) -> subprocess.CompletedProcess:
    return run_dq(*args)


def test_cli_reference_option(write_xlsx, tmp_path: Path) -> None:
    customers = write_xlsx("c.xlsx", {"客户": CUSTOMERS})
    hr = write_xlsx("hr.xlsx", HR)
    proc = _dq("validate", str(customers), "--reference", f"staff={hr}#在职员工", "--format", "json", "--lang", "en")
    assert proc.returncode == 1, proc.stderr
    issues = json.loads(proc.stdout)["issues"]
    assert [(i["row"], i["rule"], i["value"]) for i in issues] == [(4, "REF001", "张伟")]
    assert issues[0]["message"] == "Salesperson '张伟' is not in the staff list."
    bad = _dq("validate", str(customers), "--reference", "staff", "--lang", "en")
    assert bad.returncode == 2 and bad.stderr.startswith("dq: --reference staff: write LIST=FILE.xlsx#SHEET")
    assert "Traceback" not in bad.stderr
