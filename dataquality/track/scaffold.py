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
# .dq/ is in .gitignore: never commit it, nor the audit key (in CI: the secret DQ_AUDIT_KEY).
# 状态数据库（问题编号、运行历史、审批记录），夜间运行之间需保留；.dq/ 与审计密钥不提交到 git。
state:
  dir: .dq
  # url: sqlite:///.dq/dq.db

# Reports: one folder per run, reports/2026-11-23T020000/, and reports/latest pointing at the
# newest (latest.txt names it where symbolic links are not possible).
# formats: default every format installed except console (json, html, xlsx, junit, ...).
reports:
  dir: reports
  # formats: [json, junit]

{lang_line}

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


# What a project keeps out of git: what each run makes (the state, the reports) and the secret that
# seals the audit chain. The state lives on in PostgreSQL or a CI cache, the key in a CI secret
# (DQ_AUDIT_KEY), the reports as CI artifacts (docs/nightly.md, docs/ci-example.yml).
GITIGNORE_LINES = (
    "# dq: made by each run, never committed (docs/nightly.md). dq 每次运行生成，不提交到 git。",
    "# The state database, its backups and the run lock: keep them with state.url (PostgreSQL) or a CI cache.",
    ".dq/",
    "# The audit key seals the audit chain: keep it in a CI secret (DQ_AUDIT_KEY), never in git or a cache.",
    "audit.key",
    "*.key",
    "# Reports and correction lists: CI artifacts.",
    "reports/",
    "corrections/",
    "# Excel's lock files while a workbook is open.",
    "~$*",
)
# Git keeps no empty folder: a fresh checkout must still have data/ and baseline/ (dq.yaml names them).
PLACEHOLDER = "README.md"
PLACEHOLDER_TEXT = {
    "data": "# data/\n\nThe exports dq checks every night (dq.yaml, `entities`): .xlsx, .xls or .csv files.\n"
            "每晚检查的导出数据（dq.yaml 的 entities）：.xlsx、.xls 或 .csv 文件。\n",
    "baseline": "# baseline/\n\nThe last approved master files (dq.yaml, `baseline`), for the approval of sensitive\n"
                "changes; empty until the first approved master is put here.\n"
                "最近一次审批通过的主数据文件（dq.yaml 的 baseline），用于敏感变更的审批；放入第一份审批通过的主数据之前可以为空。\n",
}


LANG_LINE = "lang: {lang}              # zh or en: messages and reports 报告语言"
# No language asked for: the environment's (DQ_LANG, LANG) decides, else the data's (Chinese data: zh).
LANG_UNSET = ("# lang: zh              # zh or en; unset: DQ_LANG or LANG, else the language of the data\n"
              "                        # 未设置时：DQ_LANG 或 LANG，否则按数据的语言")


def init_project(folder: Path, *, lang: str | None = "zh", force: bool = False) -> Path:
    """Write FOLDER/dq.yaml, a .gitignore and placeholders that keep data/ and baseline/ in git, and
    copy the default schemas/ and rules/ (existing copies and files are kept)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / CONFIG_NAME
    if config.exists() and not force:
        raise ConfigError("project.init_exists", file=str(config))
    for src, name in ((default_schemas_dir(), "schemas"), (default_rules_dir(), "rules")):
        target = folder / name
        if not target.exists():
            shutil.copytree(src, target)
    for name, said in PLACEHOLDER_TEXT.items():
        (folder / name).mkdir(exist_ok=True)
        placeholder = folder / name / PLACEHOLDER
        if not placeholder.exists():
            with atomic_open(placeholder) as fh:
                fh.write(said)
    write_gitignore(folder)
    with atomic_open(config) as fh:
        fh.write(TEMPLATE.replace("{lang_line}", LANG_LINE.format(lang=lang) if lang else LANG_UNSET))
    return config


def write_gitignore(folder: Path) -> Path:
    """FOLDER/.gitignore with dq's lines; an existing file keeps its lines and gets the missing ones."""
    path = folder / ".gitignore"
    if not path.exists():
        with atomic_open(path) as fh:
            fh.write("\n".join(GITIGNORE_LINES) + "\n")
        return path
    before = path.read_text(encoding="utf-8")
    have = {line.strip() for line in before.splitlines()}
    missing = [line for line in GITIGNORE_LINES if not line.startswith("#") and line not in have]
    if missing:
        with atomic_open(path) as fh:
            fh.write(before + ("" if before.endswith("\n") or not before else "\n")
                     + "\n".join([GITIGNORE_LINES[0], *missing]) + "\n")
    return path
