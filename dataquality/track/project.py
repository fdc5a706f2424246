"""dq.yaml -> Project, a frozen dataclass; a bad key is named with its file and dotted key.

The file's sections and keys are a frozen pydantic model (`_ProjectFile`); the values are checked
by `_parse` with the project.* messages (paths relative to dq.yaml, dates, choices).

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
from pydantic import ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dataquality.config import Config, _parse_references, _read_yaml
from dataquality.config.models import Settings
from dataquality.errors import ConfigError, InputError
from dataquality.issue import Severity
from dataquality.thresholds import CHECK_FAIL_ON, REPORT_FORMATS
from dataquality.track.discovery import CONFIG_NAME
from dataquality.track.workdays import OUTSIDE_RANGE, WorkCalendar

if TYPE_CHECKING:
    from dataquality.store import Store

DATA_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
DEFAULT_SLA = {"error": 2, "warning": 5, "info": None}


class _Section(Settings):
    """A mapping section of dq.yaml: its keys are checked here, its values by _parse (project.* messages)."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if data is None:
            return {}
        if not isinstance(data, Mapping):
            raise PydanticCustomError("expected_mapping", "must be a mapping")
        allowed = [f.alias or n for n, f in cls.model_fields.items()]
        unknown = sorted(str(k) for k in data if str(k) not in allowed)
        if unknown:
            from difflib import get_close_matches

            near = get_close_matches(unknown[0], allowed, n=1, cutoff=0.6)
            params = {"key": unknown[0], "allowed": ", ".join(sorted(allowed))}
            if near:
                raise PydanticCustomError("unknown_key_near", "unknown setting", {**params, "near": near[0]})
            raise PydanticCustomError("unknown_key", "unknown setting", params)
        return {str(k): v for k, v in data.items()}


class _StateFile(_Section):
    url: Any = None
    dir: Any = None


class _ReportsFile(_Section):
    dir: Any = None
    formats: Any = None


class _CalendarFile(_Section):
    holidays: Any = None
    workdays: Any = None
    outside_range: Any = "weekdays"


class _LockFile(_Section):
    wait_seconds: Any = 60
    stale_after_minutes: Any = 360


class _SlaFile(_Section):
    error: Any = DEFAULT_SLA["error"]
    warning: Any = DEFAULT_SLA["warning"]
    info: Any = DEFAULT_SLA["info"]


class _ProjectFile(_Section):
    """dq.yaml as written: every section and key a project may set (a frozen pydantic model)."""

    version: Any = 1
    entities: Any = None
    schemas: Any = None
    rules: Any = None
    references: Any = None
    baseline: Any = None
    state: _StateFile = _StateFile()
    reports: _ReportsFile = _ReportsFile()
    lang: Any = None
    fail_on: Any = "new-error"
    sla: _SlaFile = _SlaFile()
    timezone: Any = "Asia/Shanghai"
    calendar: _CalendarFile = _CalendarFile()
    lock: _LockFile = _LockFile()
    issue_prefix: Any = "DQ"
    mappings: Any = None


def _project_file(path: Path, data: Any) -> _ProjectFile:
    """dq.yaml validated as _ProjectFile; its errors in the project.* messages, naming file and key."""
    if not isinstance(data, Mapping):
        raise _bad(path, "(top level)", "project.expected_mapping")
    try:
        return _ProjectFile.model_validate(data)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        ctx = dict(err.get("ctx") or {})
        loc = [str(x) for x in err.get("loc", ())]
        if "key" in ctx:
            loc.append(ctx.pop("key"))
        kind = {"unknown_key": "project.unknown_key", "unknown_key_near": "config.project_unknown_key_near"}.get(
            err["type"], "project.expected_mapping")
        raise _bad(path, ".".join(loc) or "(top level)", kind, **ctx) from None


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
    mappings: tuple[Path, ...] = ()  # mapping files (dq map -o): a company's export layouts

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
        return _parse(path.resolve(), _read_project_yaml(path))

    def calendar(self) -> WorkCalendar:
        """The working-day calendar with this project's extra holidays and make-up days."""
        return WorkCalendar(self.holidays, self.workdays, self.outside_range)

    def config(self) -> Config:
        """Schemas and rules (the project's copies, or the shipped ones) plus its reference lists."""
        config = Config.load(self.schemas_dir, self.rules_dir)
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


def _bad(path: Path, key: str, message: str, **params: Any) -> ConfigError:
    return ConfigError(message, file=str(path), key=key, **params)


def _rel(path: Path, raw: Any, key: str) -> Path:
    if not isinstance(raw, str) or not raw.strip():
        raise _bad(path, key, "project.expected_path")
    p = Path(raw).expanduser()
    return p if p.is_absolute() else (path.parent / p)


def _number(path: Path, key: str, raw: Any, *, allow_none: bool = False) -> float | None:
    if raw is None and allow_none:
        return None
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
        raise _bad(path, key, "project.expected_number")
    return raw


def _choice(path: Path, key: str, raw: Any, choices: tuple[str, ...]) -> str:
    if raw not in choices:
        raise _bad(path, key, "project.bad_choice", value=raw, choices=", ".join(choices))
    return str(raw)


def _dates(path: Path, key: str, raw: Any) -> tuple[dt.date, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _bad(path, key, "project.expected_list")
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
            out.append(item)
            continue
        try:
            out.append(dt.date.fromisoformat(str(item)))
        except ValueError:
            raise _bad(path, f"{key}[{i}]", "project.bad_date", value=item) from None
    return tuple(out)


def _parse(path: Path, data: Any) -> Project:
    top = _project_file(path, data)
    if top.version != 1:
        raise _bad(path, "version", "project.bad_choice", value=top.version, choices="1")
    raw_entities = top.entities
    if not isinstance(raw_entities, Mapping) or not raw_entities:
        raise _bad(path, "entities", "project.no_entities")
    entities: dict[str, tuple[Path, ...]] = {}
    sources: dict[str, str] = {}
    for name, raw in raw_entities.items():
        if isinstance(raw, Mapping):
            from dataquality.engines.project import parse_source

            sources[str(name)] = parse_source(path, f"entities.{name}", raw)
            continue
        items = [raw] if isinstance(raw, str) else raw
        if not isinstance(items, list) or not items:
            raise _bad(path, f"entities.{name}", "project.expected_list")
        entities[str(name)] = tuple(_rel(path, p, f"entities.{name}[{i}]") for i, p in enumerate(items))
    references: dict[str, str] = {}
    refs = top.references
    if refs is not None and not isinstance(refs, Mapping):
        raise _bad(path, "references", "project.expected_mapping")
    for name, spec in (refs or {}).items():
        if not isinstance(spec, str) or not spec.strip():
            raise _bad(path, f"references.{name}", "project.expected_path")
        references[str(name)] = spec
    state, reports = top.state, top.reports
    formats = reports.formats
    if formats is not None:
        if isinstance(formats, str):
            formats = [f.strip() for f in formats.split(",") if f.strip()]
        if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
            raise _bad(path, "reports.formats", "project.expected_list")
        known = REPORT_FORMATS
        for i, name in enumerate(formats):
            if name not in known:
                raise _bad(path, f"reports.formats[{i}]", "project.bad_choice", value=name, choices=", ".join(known))
        formats = tuple(formats)
    lang = top.lang
    if lang is not None:
        lang = _choice(path, "lang", lang, ("zh", "en"))
    sla = dict(DEFAULT_SLA)
    for sev in (s.value for s in Severity):
        days = getattr(top.sla, sev)
        value = _number(path, f"sla.{sev}", days, allow_none=True)
        if value is not None and value != int(value):
            raise _bad(path, f"sla.{sev}", "project.expected_number")
        sla[str(sev)] = None if value is None else int(value)
    tz = str(top.timezone)
    _check_timezone(path, tz)
    cal, lock = top.calendar, top.lock
    raw_mappings = top.mappings or []
    raw_mappings = [raw_mappings] if isinstance(raw_mappings, str) else raw_mappings
    if not isinstance(raw_mappings, list):
        raise _bad(path, "mappings", "project.expected_list")
    mappings = tuple(_rel(path, p, f"mappings[{i}]") for i, p in enumerate(raw_mappings))
    prefix = str(top.issue_prefix)
    if not prefix.isalnum():
        raise _bad(path, "issue_prefix", "project.bad_prefix", value=prefix)
    return Project(
        path=path,
        entities=entities,
        sources=sources,
        schemas_dir=_rel(path, top.schemas, "schemas") if top.schemas else None,
        rules_dir=_rel(path, top.rules, "rules") if top.rules else None,
        references=references,
        baseline=_rel(path, top.baseline, "baseline") if top.baseline else None,
        state_url=_state_url(path, state.url),
        state_dir=_rel(path, state.dir or ".dq", "state.dir"),
        reports_dir=_rel(path, reports.dir or "reports", "reports.dir"),
        formats=formats,
        lang=lang,
        fail_on=_choice(path, "fail_on", top.fail_on, CHECK_FAIL_ON),
        sla=sla,
        timezone=tz,
        holidays=_dates(path, "calendar.holidays", cal.holidays),
        workdays=_dates(path, "calendar.workdays", cal.workdays),
        outside_range=_choice(path, "calendar.outside_range", cal.outside_range, OUTSIDE_RANGE),
        lock_wait_seconds=float(_number(path, "lock.wait_seconds", lock.wait_seconds) or 0),
        lock_stale_after_minutes=float(_number(path, "lock.stale_after_minutes", lock.stale_after_minutes) or 0),
        issue_prefix=prefix,
        mappings=mappings,
    )


def _state_url(path: Path, raw: Any) -> str | None:
    """The state database URL; a relative SQLite file is relative to dq.yaml, like every other path."""
    if not raw:
        return None
    url = str(raw)
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str((path.parent / url.removeprefix(prefix)).resolve())
    return url


def _check_timezone(path: Path, tz: str) -> None:
    from dataquality.track.clock import zone

    try:
        zone(tz)
    except ValueError:
        raise _bad(path, "timezone", "project.bad_timezone", value=tz) from None


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
