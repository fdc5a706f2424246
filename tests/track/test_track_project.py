"""dq.yaml: defaults, paths relative to the file, and bad keys named with file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataquality.errors import ConfigError, InputError
from dataquality.track.project import Project
from dataquality.track.scaffold import init_project


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "dq.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    config = init_project(tmp_path / "proj", lang="zh")
    project = Project.load(tmp_path / "proj")
    assert project.path == config.resolve()
    assert project.entities["customer"] == (tmp_path.resolve() / "proj" / "data" / "customers.xlsx",)
    assert project.sla == {"error": 2, "warning": 5, "info": None}
    assert project.fail_on == "new-error" and project.lang == "zh"
    assert (tmp_path / "proj" / "schemas" / "customer.yaml").is_file()
    assert (tmp_path / "proj" / "rules" / "departments.yaml").is_file()
    assert set(project.config().schemas) == {"customer", "product", "supplier"}
    with pytest.raises(ConfigError) as err:
        init_project(tmp_path / "proj")
    assert "--force" in err.value.message("en")


@pytest.mark.parametrize(
    ("body", "key", "fragment"),
    [
        ("entities: {customer: [a.xlsx]}\nsla: {eror: 2}\n", "sla.eror", "allowed here"),
        ("entities: {customer: [a.xlsx]}\nsla: {error: two}\n", "sla.error", "whole number"),
        ("entities: {customer: [a.xlsx]}\nfail_on: new_error\n", "fail_on", "new-error"),
        ("entities: {customer: [a.xlsx]}\ncalendar: {holidays: [2026-13-01]}\n", "calendar.holidays[0]", "YYYY-MM-DD"),
        ("entities: {customer: [a.xlsx]}\nreports: {formats: [pdf]}\n", "reports.formats[0]", "json"),
        ("entities: {customer: [a.xlsx]}\ntimezone: Mars/Olympus\n", "timezone", "Asia/Shanghai"),
        ("entity: {customer: [a.xlsx]}\n", "entity", "allowed here"),
        ("lang: en\n", "entities", "customer"),
    ],
)
def test_bad_keys_are_named(tmp_path: Path, body: str, key: str, fragment: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        Project.load(path)
    message = err.value.message("en")
    assert str(path.resolve()) in message and f"key {key}:" in message and fragment in message
    assert key in err.value.message("zh")


def test_reference_list_from_a_yaml_file(tmp_path: Path) -> None:
    (tmp_path / "staff.yaml").write_text("people:\n  - 张伟\n  - {name: 王芳, aliases: [Fang Wang]}\n", encoding="utf-8")
    path = write(tmp_path, "entities: {customer: [a.xlsx]}\nreferences: {staff: staff.yaml}\n")
    staff = Project.load(path).config().references["staff"]
    assert staff.names == ("张伟", "王芳")
    bad = write(tmp_path, "entities: {customer: [a.xlsx]}\nreferences: {staff: missing.yaml}\n")
    with pytest.raises(ConfigError, match="references.staff"):
        Project.load(bad).config()


def test_missing_input_is_an_input_error(tmp_path: Path) -> None:
    project = Project.load(write(tmp_path, "entities: {customer: [data/customers.xlsx]}\n"))
    with pytest.raises(InputError) as err:
        project.input_files()
    assert "customers.xlsx" in err.value.message("en") and "entities" in err.value.message("en")


def test_folders_and_a_workbook_holding_two_entities(tmp_path: Path, write_xlsx) -> None:  # type: ignore[no-untyped-def]
    import random

    from dataquality.check import run_check
    from dataquality.demo import customer_rows

    rows = customer_rows(random.Random(3), 4)
    header = list(rows[0])
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "~$customers.xlsx").write_bytes(b"Excel's lock file, not a workbook")
    write_xlsx("exports/customers.xlsx", {"客户主数据": [header] + [[r[h] for h in header] for r in rows]})
    both = write_xlsx("both.xlsx", {
        "客户": [header] + [[r[h] for h in header] for r in rows[:1]],
        "产品": [["内部编码", "品名", "规格型号", "类别", "单位", "标准售价", "标准成本", "币种", "负责部门", "状态"],
                 ["FG000001", "轴承", "6204", "FG", "PCS", 10, 5, "CNY", "生产部", "启用"]],
    })
    path = tmp_path / "dq.yaml"
    path.write_text("entities:\n  customer: [exports]\n  product: [both.xlsx]\nreports: {formats: [json]}\n", encoding="utf-8")
    outcome = run_check(Project.load(path), now=__import__("datetime").datetime(2026, 11, 23, 2))
    # The folder's workbook gives the customers; both.xlsx is listed for products only, so its
    # customer sheet is not loaded a second time (that would make every customer a duplicate).
    assert sorted((t.entity, Path(t.file).name, len(t)) for t in outcome.result.tables) == [
        ("customer", "customers.xlsx", 4), ("product", "both.xlsx", 1)]
    assert both.exists() and outcome.exit_code == 0, [i.to_dict() for i in outcome.result.issues]


def test_a_misspelt_key_names_the_nearest_one(tmp_path: Path) -> None:
    path = write(tmp_path, "entities: {customer: [a.xlsx]}\ncalender: {holidays: [2026-10-09]}\n")
    with pytest.raises(ConfigError) as err:
        Project.load(path)
    assert "key calender:" in err.value.message("en") and "did you mean calendar?" in err.value.message("en")
    assert "是否想写 calendar" in err.value.message("zh")
