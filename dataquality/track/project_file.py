"""dq.yaml as a frozen pydantic model, validated once: every section, key and value.

Each value is checked by the type of its field (a path relative to dq.yaml, a whole number of 0 or
more, a date, one of some choices, a time zone ...); a wrong one is a PydanticCustomError whose
type names the message (project.<type>), and `project_error` turns the first into one ConfigError
naming the file and the dotted key (`calendar.holidays[0]`).

Paths are made absolute against the folder holding dq.yaml (the validation context's `base`), so
a project folder can be moved or checked out anywhere and still work.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from dataquality.config.models import Settings, key_path
from dataquality.errors import ConfigError
from dataquality.thresholds import CHECK_FAIL_ON, REPORT_FORMATS
from dataquality.track.workdays import OUTSIDE_RANGE

DEFAULT_SLA: dict[str, int | None] = {"error": 2, "warning": 5, "info": None}


def _fail(kind: str, **ctx: Any) -> PydanticCustomError:
    """An error whose type is the message project.<kind>."""
    return PydanticCustomError(kind, kind, ctx)


def _path(raw: Any, info: ValidationInfo) -> Path:
    """A file or folder, relative to dq.yaml (absolute and ~ paths as written)."""
    if not isinstance(raw, str) or not raw.strip():
        raise _fail("expected_path")
    p = Path(raw).expanduser()
    return p if p.is_absolute() else Path(info.context["base"]) / p


def _count(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or raw < 0:
        raise _fail("expected_number")
    return float(raw)


def _days(raw: Any) -> int | None:
    """Working days of an SLA: a whole number of 0 or more, or null for no deadline."""
    if raw is None:
        return None
    if _count(raw) != int(raw):
        raise _fail("expected_number")
    return int(raw)


def _date(raw: Any) -> dt.date:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise _fail("bad_date", value=raw) from None


def _list(raw: Any) -> Any:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail("expected_list")
    return raw


def _choice(choices: tuple[str, ...]) -> Any:
    def check(raw: Any) -> str:
        if raw not in choices:
            raise _fail("bad_choice", value=raw, choices=", ".join(choices))
        return str(raw)

    return BeforeValidator(check)


def _named(raw: Any) -> str:
    """A reference list's file (FILE.yaml, or FILE.xlsx#Sheet), read when the configuration is."""
    if not isinstance(raw, str) or not raw.strip():
        raise _fail("expected_path")
    return raw


def _one_or_list(raw: Any) -> Any:
    """A list, or one item written without one (mappings: mapping.yaml)."""
    return [raw] if isinstance(raw, str) else _list(raw)


def _version(raw: Any) -> int:
    if raw != 1:
        raise _fail("bad_choice", value=raw, choices="1")
    return 1


def _lang(raw: Any) -> str | None:
    if raw is not None and raw not in ("zh", "en"):
        raise _fail("bad_choice", value=raw, choices="zh, en")
    return raw


RelPath = Annotated[Path, BeforeValidator(_path)]
Count = Annotated[float, BeforeValidator(_count)]
Days = Annotated[int | None, BeforeValidator(_days)]
Date = Annotated[dt.date, BeforeValidator(_date)]
Dates = Annotated[tuple[Date, ...], BeforeValidator(_list)]


def _known(cls: type[Settings], data: Any, internal: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`data` as a mapping of the keys `cls` allows (a missing section is its defaults); a misspelt
    key is an error naming the nearest allowed one."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise _fail("expected_mapping")
    allowed = sorted(n for n in cls.model_fields if n not in internal)
    for key in map(str, data):
        if key not in allowed:
            near = get_close_matches(key, allowed, n=1, cutoff=0.6)
            params = {"key": key, "allowed": ", ".join(allowed)}
            raise PydanticCustomError("unknown_key_near" if near else "unknown_key", "unknown setting",
                                      {**params, "near": near[0]} if near else params)
    return {str(k): v for k, v in data.items()}


class _Section(Settings):
    """A mapping section of dq.yaml."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        return _known(cls, data)


class StateFile(_Section):
    url: str | None = None
    dir: RelPath | None = None

    @field_validator("url", mode="before")
    @classmethod
    def _sqlite_beside_dq_yaml(cls, raw: Any, info: ValidationInfo) -> str | None:
        """A relative SQLite file is relative to dq.yaml, like every other path."""
        if not raw:
            return None
        url, prefix = str(raw), "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            url = prefix + str((Path(info.context["base"]) / url.removeprefix(prefix)).resolve())
        return url


class ReportsFile(_Section):
    dir: RelPath | None = None
    formats: tuple[Annotated[str, _choice(REPORT_FORMATS)], ...] | None = None

    @field_validator("formats", mode="before")
    @classmethod
    def _listed(cls, raw: Any) -> Any:
        if isinstance(raw, str):  # formats: json, html
            return [f.strip() for f in raw.split(",") if f.strip()]
        return None if raw is None else _list(raw)


class CalendarFile(_Section):
    holidays: Dates = ()
    workdays: Dates = ()
    outside_range: Annotated[str, _choice(OUTSIDE_RANGE)] = "weekdays"


class LockFile(_Section):
    wait_seconds: Count = 60.0
    stale_after_minutes: Count = 360.0


class DeskFile(_Section):
    expire_hours: Count = 72.0  # the import desk of dq serve: an import is removed after this long


class SlaFile(_Section):
    error: Days = DEFAULT_SLA["error"]
    warning: Days = DEFAULT_SLA["warning"]
    info: Days = DEFAULT_SLA["info"]


_SIZE = re.compile(r"^\d+(\.\d+)?\s*[KMGT]i?B$")


def _size(raw: Any) -> str:
    """A memory size as DuckDB reads it: 2GB, 512MB, 1.5GiB."""
    if not isinstance(raw, str) or not _SIZE.match(raw.strip()):
        raise _fail("bad_choice", value=raw, choices="a size such as 2GB, 512MB, 1.5GiB")
    return raw.strip()


class EngineFile(_Section):
    """How the database engines run (docs/scale.md): DuckDB's memory limit and spill folder, Spark's master."""

    memory_limit: Annotated[str, BeforeValidator(_size)] = "1GB"
    temp_directory: RelPath | None = None
    spark_master: str | None = None


class ProjectFile(_Section):
    """dq.yaml: every section and key a project may set, each value checked by its type."""

    version: Annotated[int, BeforeValidator(_version)] = 1
    # Entities checked where they live (`entity: {url: ..., table: ...}`): entity -> 'URL#table'.
    # Filled from `entities` (never written in dq.yaml), before the files and folders are checked.
    sources: dict[str, str] = {}
    entities: dict[str, tuple[RelPath, ...]] = Field(default=None, validate_default=True)  # type: ignore[assignment]
    schemas: RelPath | None = None
    rules: RelPath | None = None
    references: dict[str, Annotated[str, BeforeValidator(_named)]] = {}
    baseline: RelPath | None = None
    state: StateFile = StateFile()
    reports: ReportsFile = ReportsFile()
    lang: Annotated[str | None, BeforeValidator(_lang)] = None
    fail_on: Annotated[str, _choice(CHECK_FAIL_ON)] = "new-error"
    sla: SlaFile = SlaFile()
    timezone: str = "Asia/Shanghai"
    calendar: CalendarFile = CalendarFile()
    lock: LockFile = LockFile()
    desk: DeskFile = DeskFile()
    issue_prefix: str = "DQ"
    mappings: Annotated[tuple[RelPath, ...], BeforeValidator(_one_or_list)] = ()
    engine: EngineFile = EngineFile()

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any, info: ValidationInfo) -> Any:
        """The keys dq.yaml may have; entities given as {url, table} are sources, the others files and folders."""
        data = _known(cls, data, frozenset({"sources"}))
        raw = data.get("entities")
        if not isinstance(raw, Mapping):
            return data
        from dataquality.engines.project import parse_source

        files, sources = {}, {}
        for name, spec in raw.items():
            if isinstance(spec, Mapping):
                sources[str(name)] = parse_source(Path(info.context["file"]), f"entities.{name}", spec)
            else:
                files[str(name)] = [spec] if isinstance(spec, str) else spec
        return {**data, "entities": files, "sources": sources}

    @field_validator("entities", mode="before")
    @classmethod
    def _some_entities(cls, raw: Any, info: ValidationInfo) -> Any:
        if not isinstance(raw, Mapping) or (not raw and not info.data.get("sources")):
            if raw == {}:  # every entity is a database table
                return raw
            raise _fail("no_entities")
        for name, paths in raw.items():
            if not isinstance(paths, list) or not paths:
                raise PydanticCustomError("expected_list", "expected_list", {"key": str(name)})
        return raw

    @field_validator("timezone", mode="before")
    @classmethod
    def _known_zone(cls, raw: Any) -> str:
        from dataquality.track.clock import zone

        try:
            zone(str(raw))
        except ValueError:
            raise _fail("bad_timezone", value=raw) from None
        return str(raw)

    @field_validator("issue_prefix", mode="before")
    @classmethod
    def _letters_and_digits(cls, raw: Any) -> str:
        if not str(raw).isalnum():
            raise _fail("bad_prefix", value=str(raw))
        return str(raw)



# pydantic's own error types, for a value no validator above saw first.
_BUILTIN = {"dict_type": "expected_mapping", "model_type": "expected_mapping", "list_type": "expected_list",
            "tuple_type": "expected_list", "int_type": "expected_number", "int_parsing": "expected_number",
            "float_type": "expected_number", "float_parsing": "expected_number", "string_type": "expected_path"}


def read_project_file(path: Path, data: Any) -> ProjectFile:
    """dq.yaml's data validated as ProjectFile; ConfigError naming the file and the dotted key."""
    if not isinstance(data, Mapping):
        raise ConfigError("project.expected_mapping", file=str(path), key="(top level)")
    try:
        return ProjectFile.model_validate(data, context={"base": path.parent, "file": path})
    except ValidationError as exc:
        raise project_error(path, exc) from None


def project_error(path: Path, exc: ValidationError) -> ConfigError:
    """The first error of a dq.yaml validation as the project.* message naming file and key."""
    err = exc.errors(include_url=False)[0]
    ctx = dict(err.get("ctx") or {})
    loc = list(err.get("loc", ()))
    if "key" in ctx:  # errors about a key inside the value name it
        loc.append(ctx.pop("key"))
    kind = err["type"]
    if kind == "unknown_key_near":
        return ConfigError("config.project_unknown_key_near", file=str(path), key=key_path("", loc), **ctx)
    message = kind if kind in _OWN else _BUILTIN.get(kind, "expected_mapping")
    if message == "no_entities":
        return ConfigError("project.no_entities", file=str(path))
    return ConfigError(f"project.{message}", file=str(path), key=key_path("", loc), **ctx)


_OWN = {"expected_mapping", "unknown_key", "expected_path", "expected_number", "expected_list", "bad_choice",
        "bad_date", "no_entities", "bad_prefix", "bad_timezone"}
