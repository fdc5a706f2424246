"""`dq init`: a project folder with a commented dq.yaml and copies of the schemas and rules to edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from dataquality.errors import ConfigError
from dataquality.fileio import atomic_open
from dataquality.paths import default_rules_dir, default_schemas_dir
from dataquality.track.project import CONFIG_NAME

# Comments are in English and Chinese: dq.yaml is read by the system owner, who may be either.
TEMPLATE = """\
# dq.yaml: the nightly data-quality check of this project (dq check --config dq.yaml).
# 本项目的夜间数据质量检查配置。Paths are relative to this file. 路径相对于本文件。
version: 1

# Which files or folders hold each entity (a folder: every .xlsx/.xls/.csv in it).
# A workbook may hold several entities; list it under each. A table in a database is checked
# where it lives: product: {url: 'postgresql+psycopg://dq:${ERP_PASSWORD}@erp-db/erp', table: public.product_master}
# 每类主数据所在的文件或文件夹；数据库中的表可写成 {url: ..., table: 模式.表}，在数据库中直接检查。
entities:
  customer: [data/customers.xlsx]
  product: [data/products.xlsx]

# Your copies of the schemas and rules: edit them, no Python needed. 可编辑的模式与规则副本。
schemas: schemas
rules: rules

# Reference lists that replace the ones in rules/: a list name -> a YAML file
# (or FILE.xlsx#Sheet where the workbook reader is installed). 参考列表。
references: {}
#  staff: lists/staff.yaml
#  departments: lists/departments.yaml

# The last approved master files, for the approval of sensitive changes. 最近一次审批通过的主数据。
baseline: baseline

# The state database: issue numbers, run history, approvals. Default: SQLite in .dq/dq.db.
# Keep it between nightly runs (CI cache or artifact), or use PostgreSQL:
#   url: postgresql+psycopg://dq@db.example.com/dq
# 状态数据库（问题编号、运行历史、审批记录），夜间运行之间需保留。
state:
  dir: .dq
  # url: sqlite:///.dq/dq.db

# Reports: one folder per run, reports/2026-11-23T020000/, and reports/latest pointing at the
# newest (latest.txt names it where symbolic links are not possible).
# formats: default every format installed except console (json, html, xlsx, junit, ...).
reports:
  dir: reports
  # formats: [json, junit]

lang: {lang}              # zh or en: messages and reports 报告语言

# Exit 1 when: error (any error), warning (any warning or error), new-error (only errors new or
# reopened since the last run: a backlog does not block, a new error does), never.
fail_on: new-error

# Working days allowed to fix an issue, per severity (null: no deadline). Counted on the Chinese
# public-holiday calendar with its make-up working days. 各级别的整改期限（工作日）。
sla:
  error: 2
  warning: 5
  info: null

timezone: Asia/Shanghai   # the day a run belongs to 运行所属日期的时区

# Company holidays and extra working days on top of the public calendar; for a year the installed
# chinese-calendar does not know yet, list its holidays and make-up days here.
# outside_range: weekdays (count Mon-Fri and warn) or error.
calendar:
  holidays: []
  workdays: []
  outside_range: weekdays

# A second dq check on the same state database waits this long, then exits 2.
lock:
  wait_seconds: 60
  stale_after_minutes: 360

issue_prefix: DQ          # issue numbers look like DQ-000123
"""


def init_project(folder: Path, *, lang: str = "zh", force: bool = False) -> Path:
    """Write FOLDER/dq.yaml and copy the default schemas/ and rules/ (existing copies are kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError("project.init_exists", file=str(config))
    for src, name in ((default_schemas_dir(), "schemas"), (default_rules_dir(), "rules")):
        target = folder / name
        if not target.exists():
            shutil.copytree(src, target)
    for name in ("data", "baseline"):
        (folder / name).mkdir(exist_ok=True)
    with atomic_open(config) as fh:
        fh.write(TEMPLATE.replace("{lang}", lang))
    return config
