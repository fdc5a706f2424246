"""The base of every configuration model, and how pydantic's errors become one ConfigError.

Configuration files are parsed into frozen pydantic v2 models (`Settings` subclasses). A
validation error names the file and the key path (`record_rules.credit_cap_by_grade.caps.B`),
and says what is wrong in zh and en from the catalogue (`config_problem.*`), with a "did you
mean" for a misspelt key.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from difflib import get_close_matches
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from dataquality.errors import ConfigError
from dataquality.i18n import LANGUAGES, has, text

# pydantic's own error types -> a problem in the catalogue (config_problem.<name>).
_PROBLEMS = {
    "missing": "required",
    "dict_type": "mapping",
    "mapping_type": "mapping",
    "list_type": "list",
    "tuple_type": "list",
    "set_type": "list",
    "string_type": "text",
    "bool_type": "boolean",
    "bool_parsing": "boolean",
    "float_type": "number",
    "float_parsing": "number",
    "int_type": "whole_number",
    "int_parsing": "whole_number",
    "int_from_float": "whole_number",
    "greater_than_equal": "number_not_negative",
    "too_short": "not_empty",
    "literal_error": "one_of",
    "enum": "one_of",
}


def unknown_key(key: str, allowed: Iterable[str]) -> PydanticCustomError:
    """The error for a key no model or rule declares, with the nearest allowed key."""
    allowed = sorted(allowed)
    near = get_close_matches(key, allowed, n=1, cutoff=0.6)
    params = {"key": key, "allowed": ", ".join(allowed)}
    if near:
        return PydanticCustomError("unknown_setting_near", "unknown setting {key}", {**params, "near": near[0]})
    return PydanticCustomError("unknown_setting", "unknown setting {key}", params)


class Settings(BaseModel):
    """A frozen configuration model; an unknown key is an error that names the allowed ones."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        return known_keys(cls, data)


def known_keys(cls: type[BaseModel], data: Any) -> Any:
    """`data` unchanged when every key is a field of `cls`; else the error naming the nearest one."""
    if isinstance(data, Mapping):
        allowed = {f.alias or n for n, f in cls.model_fields.items() if not n.startswith("_")}
        for key in data:
            if str(key) not in allowed:
                raise unknown_key(str(key), allowed)
    return data


def key_path(prefix: str, loc: Iterable[Any]) -> str:
    """`prefix` and a pydantic location as one dotted key: fields.phone.clean[1]."""
    out = prefix
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "model-")):
            continue  # validator frames, not keys
        else:
            out = f"{out}.{part}" if out else str(part)
    return out or "(top level)"


def problem(path: Path | str, key: str, problem_name: str, /, **params: Any) -> ConfigError:
    """A ConfigError naming file and key; `problem_name` is a key under `config_problem.` in the catalogue."""
    said = {lang: text(f"config_problem.{problem_name}", lang, **params) for lang in LANGUAGES}
    return ConfigError("config.bad_key", file=str(path), key=key, problem=said)


def config_error(path: Path | str, prefix: str, exc: ValidationError) -> ConfigError:
    """The first error of a pydantic ValidationError as a ConfigError naming file and key path."""
    err = exc.errors(include_url=False)[0]
    ctx = dict(err.get("ctx") or {})
    loc = list(err.get("loc", ()))
    kind = err["type"]
    if "key" in ctx:  # our own errors name the key they are about
        loc.append(ctx.pop("key"))
    name = kind if has(f"config_problem.{kind}") else _PROBLEMS.get(kind)
    if kind in ("literal_error", "enum"):
        ctx = {"allowed": str(ctx.get("expected", "")).replace("'", "")}
    if name is None:
        name, ctx = "invalid", {"error": err.get("msg", kind)}
    return problem(path, key_path(prefix, loc), name, **{k: _shown(v) for k, v in ctx.items()})


def _shown(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return value


def validate(model: Any, raw: Any, path: Path | str, prefix: str = "", context: Mapping[str, Any] | None = None) -> Any:
    """`raw` validated as `model` (a Settings class or any type pydantic knows); ConfigError when wrong."""
    from pydantic import TypeAdapter

    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate(raw, context=dict(context or {}))
        return TypeAdapter(model).validate_python(raw, context=dict(context or {}))
    except ValidationError as exc:
        raise config_error(path, prefix, exc) from None
