"""dq.yaml -> Project, a frozen dataclass; a bad key is named with its file and dotted key.

The file is validated once, by the pydantic model `project_file.ProjectFile` (sections, keys and
values: paths relative to dq.yaml, dates, choices, with the project.* messages); `Project` is
what it found, as the rest of dq uses it.

Paths in dq.yaml are relative to the folder holding dq.yaml, so a project folder can be moved or
checked out anywhere (a CI runner, a colleague's laptop) and still work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from dataquality.config import Config, _parse_references, _read_yaml
from dataquality.errors import ConfigError, InputError
from dataquality.track.discovery import CONFIG_NAME
from dataquality.track.project_file import DEFAULT_SLA, ProjectFile, read_project_file
from dataquality.track.workdays import WorkCalendar

if TYPE_CHECKING:
    from dataquality.store import Store

DATA_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")


@dataclass(frozen=True)
class Project:
    """A `dq check` project: where the data, the rules, the state database and the reports live."""

    path: Path
    entities: Mapping[str, tuple[Path, ...]]
    # Entities checked where they live (dq.yaml `entity: {url: ..., table: ...}`): entity -> 'URL#table'.
    sources: Mapping[str, str] = field(default_factory=dict)
    schemas_dir: Path | None = None
    rules_dir: Path | None = None
    references: Mapping[str, str] = field(default_factory=dict)
    baseline: Path | None = None
    state_url: str | None = None
    state_dir: Path = Path(".dq")
    reports_dir: Path = Path("reports")
    formats: tuple[str, ...] | None = None  # None: every available format except console
    lang: str | None = None
    fail_on: str = "new-error"
    sla: Mapping[str, int | None] = field(default_factory=lambda: dict(DEFAULT_SLA))
    timezone: str = "Asia/Shanghai"
    holidays: tuple[dt.date, ...] = ()
    workdays: tuple[dt.date, ...] = ()
    outside_range: str = "weekdays"
    lock_wait_seconds: float = 60.0
    lock_stale_after_minutes: float = 360.0
    issue_prefix: str = "DQ"
    desk_expire_hours: float = 72.0  # dq.yaml desk.expire_hours: imports of the desk are removed after this
    mappings: tuple[Path, ...] = ()  # mapping files (dq map -o): a company's export layouts
    engine_settings: Mapping[str, str] = field(default_factory=dict)  # dq.yaml `engine:` (docs/scale.md)

    @property
    def root(self) -> Path:
        return self.path.parent

    @classmethod
    def load(cls, path: Path | str) -> Project:
        """Read and check dq.yaml; raise ConfigError naming the file and key on anything wrong."""
        path = Path(path)
        if path.is_dir():
            path = path / CONFIG_NAME
        if not path.is_file():
            raise ConfigError("project.not_found", file=str(path))
        path = path.resolve()
        return _project(path, read_project_file(path, _read_project_yaml(path)))

    def calendar(self) -> WorkCalendar:
        """The working-day calendar with this project's extra holidays and make-up days."""
        return WorkCalendar(self.holidays, self.workdays, self.outside_range)

    def config(self) -> Config:
        """Schemas and rules (the project's copies, or the shipped ones) plus its reference lists."""
        config = Config.load(self.schemas_dir, self.rules_dir)
        if self.engine_settings:
            from dataclasses import replace

            config = replace(config, engine_settings=self.engine_settings)
        for name, spec in self.references.items():
            config = config.with_reference(_read_reference(self, name, spec))
        return config

    def baseline_files(self) -> list[Path]:
        """The approved master's files: the baseline file, or the data files in the baseline folder."""
        if self.baseline is None:
            return []
        if self.baseline.is_dir():
            return _data_files(self.baseline)
        if not self.baseline.is_file():
            raise InputError("project.missing_baseline", file=str(self.baseline), key="baseline", config=str(self.path))
        return [self.baseline]

    def input_files(self) -> dict[str, list[Path]]:
        """Entity -> the data files to load for it; a missing file or empty folder is an InputError."""
        out: dict[str, list[Path]] = {}
        for entity, paths in self.entities.items():
            files: list[Path] = []
            for i, p in enumerate(paths):
                key = f"entities.{entity}" if len(paths) == 1 else f"entities.{entity}[{i}]"
                if p.is_dir():
                    found = _data_files(p)
                    if not found:
                        raise InputError("project.empty_folder", folder=str(p), entity=entity, key=key, config=str(self.path))
                    files.extend(found)
                elif p.is_file():
                    files.append(p)
                else:
                    raise InputError("project.missing_input", file=str(p), entity=entity, key=key, config=str(self.path))
            out[entity] = files
        return out


class _Loader(yaml.SafeLoader):
    """Dates stay text, so a bad one (2026-13-01) is reported with its key, not as broken YAML."""


_Loader.add_constructor("tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def _data_files(folder: Path) -> list[Path]:
    """The workbooks and CSV files in `folder`, without Excel's ~$ lock files and hidden files."""
    return sorted(
        f for f in folder.iterdir()
        if f.is_file() and f.suffix.lower() in DATA_SUFFIXES and not f.name.startswith(("~$", "."))
    )


def _read_project_yaml(path: Path) -> Any:
    return _read_yaml(path, _Loader)


def _project(path: Path, f: ProjectFile) -> Project:
    """The Project of a validated dq.yaml (every value already checked and made absolute)."""
    return Project(
        path=path, entities=f.entities, sources=f.sources, schemas_dir=f.schemas, rules_dir=f.rules,
        references=f.references, baseline=f.baseline, state_url=f.state.url, state_dir=f.state.dir or path.parent / ".dq",
        reports_dir=f.reports.dir or path.parent / "reports", formats=f.reports.formats, lang=f.lang, fail_on=f.fail_on,
        sla=f.sla.model_dump(), timezone=f.timezone, holidays=f.calendar.holidays, workdays=f.calendar.workdays,
        outside_range=f.calendar.outside_range, lock_wait_seconds=f.lock.wait_seconds,
        lock_stale_after_minutes=f.lock.stale_after_minutes, issue_prefix=f.issue_prefix, mappings=f.mappings,
        desk_expire_hours=f.desk.expire_hours,
        engine_settings={k: str(v) for k, v in f.engine.model_dump().items() if v is not None},
    )


def _bad(path: Path, key: str, message: str, **params: Any) -> ConfigError:
    return ConfigError(message, file=str(path), key=key, **params)


def _rel(path: Path, raw: str, key: str) -> Path:
    """A reference list's file, relative to dq.yaml (dq.yaml's validation checked it is text)."""
    p = Path(raw).expanduser()
    return p if p.is_absolute() else (path.parent / p)


def _read_reference(project: Project, name: str, spec: str):  # type: ignore[no-untyped-def]
    """A reference list from a YAML file, or from `FILE.xlsx#Sheet` when a workbook reader exists."""
    where = f"references.{name}"
    if "#" in spec:
        # Reference lists from a workbook sheet are read by dataquality.references when that module
        # is present (another issue adds it); without it only the YAML form is available.
        import importlib

        try:
            module = importlib.import_module("dataquality.references")
        except ModuleNotFoundError:
            module = None
        reader = getattr(module, "read_reference", None)
        if reader is None:
            raise _bad(project.path, where, "project.sheet_reference_unsupported", value=spec)
        book, sheet = spec.rsplit("#", 1)
        return reader(name, _rel(project.path, book, where), sheet)
    file = _rel(project.path, spec, where)
    if not file.is_file():
        raise _bad(project.path, where, "project.reference_missing", value=str(file))
    lists = {ref.name: ref for ref in _parse_references(file, _read_yaml(file))}
    if name in lists:
        return lists[name]
    if len(lists) == 1:
        # A file holding one list is that list, whatever its top-level name.
        ref = next(iter(lists.values()))
        from dataclasses import replace

        return replace(ref, name=name)
    raise _bad(project.path, where, "project.reference_not_in_file", value=str(file), name=name)


def open_project_store(project: Project) -> Store:
    """The project's state database (the same one the approvals use)."""
    from dataquality.store import (
        open_store,  # SQLAlchemy only for the commands that use the database
    )

    return open_store(project.state_url, project.state_dir)
