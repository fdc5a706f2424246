"""Interop: dq's rules as a Great Expectations suite, a pandera DataFrameSchema and a Frictionless
Table Schema, and dq's cleaned values as Parquet for them to run on.

Both exports are meant for the *cleaned* values (`dq export cleaned`): a number column holds the
parsed number, an enum column the canonical value it means (or the text when it means none), a
reference column the canonical name, text the tidied text. On those, each exported expectation
fails exactly the rows where dq's rule fails (the pattern expectation also fails what dq reports
as a formatted number, FMT005). Rules that need dq's own parsing, identifier libraries or several
rows and fields are listed as not exported.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from dataquality.checks.registry import get_rule
from dataquality.checks.runner import effective_severity
from dataquality.checks.values import TableValues, today
from dataquality.config import Bound, Config, FieldSpec
from dataquality.errors import DQError, InputError
from dataquality.load.table import Table

ROW_COLUMN = "row"
# Rules an expectation can express on cleaned values, and the ones that cannot be exported.
EXPORTED = ("REQ001", "FMT001", "ENM001", "REF001", "UNQ001", "RNG001", "RNG002")


class ExportError(DQError):
    """An export file that cannot be written, or a library that is not installed."""


def _active(config: Config, code: str, spec: FieldSpec) -> str | None:
    rule = get_rule(code)
    if rule.applies is not None and not rule.applies(spec):
        return None
    severity = effective_severity(rule, config, spec)
    return None if severity is None else severity.value


def _bound(b: Bound | None, spec: FieldSpec) -> Any:
    if b is None:
        return None
    if b.value == "today":
        return today().isoformat()
    return b.value


def _groups(pattern: str) -> list[str]:
    """The text of each capturing group of `pattern`, in order ('月结(\\d+)天' -> ['\\d+'])."""
    out, stack, i = [], [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "(":
            stack.append((i, not pattern.startswith("(?", i)))
        elif ch == ")" and stack:
            start, capturing = stack.pop()
            if capturing:
                out.append((start, pattern[start + 1:i]))
        i += 1
    return [text for _, text in sorted(out)]


def enum_regex(spec: FieldSpec) -> str:
    """A regular expression matching exactly the canonical values of an enum with value patterns."""
    import re

    alternatives = [re.escape(v) for v in spec.values]
    for template, patterns in spec.value_patterns.items():
        for p in patterns:
            groups = _groups(p)
            built = re.sub(r"\{(\d+)\}", lambda m, g=groups: f"(?:{g[int(m.group(1)) - 1]})", re.escape(template).replace("\\{", "{").replace("\\}", "}"))
            alternatives.append(built)
    return "|".join(dict.fromkeys(alternatives))


def _field_constraints(config: Config, spec: FieldSpec) -> list[tuple[str, str, dict[str, Any]]]:
    """(rule code, severity, constraint) for each exported rule active on `spec`."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for code in EXPORTED:
        severity = _active(config, code, spec)
        if severity is None:
            continue
        if code == "REQ001":
            out.append((code, severity, {"required": True}))
        elif code == "FMT001":
            assert spec.pattern is not None
            out.append((code, severity, {"pattern": spec.pattern}))
        elif code == "ENM001":
            if spec.value_patterns:  # NET{1}: a canonical form built from a pattern is checked by a pattern
                out.append((code, severity, {"pattern": enum_regex(spec)}))
            else:
                out.append((code, severity, {"enum": list(spec.values)}))
        elif code == "REF001":
            ref = config.references.get(spec.reference or "")
            if ref is not None:
                out.append((code, severity, {"enum": sorted(set(ref.canonical.values()))}))
        elif code == "UNQ001":
            out.append((code, severity, {"unique": True}))
        elif code in ("RNG001", "RNG002"):
            b = spec.min if code == "RNG001" else spec.max
            if b is not None and b.value != "today":
                word = "minimum" if code == "RNG001" else "maximum"
                out.append((code, severity, {word: _bound(b, spec), "exclusive": b.exclusive}))
    return out


def _skipped(config: Config, entity: str, exported: set[str]) -> list[str]:
    """Active rules of `entity` that do not export (each code once)."""
    from dataquality.checks.registry import active_rules

    schema = config.schemas[entity]
    names: set[str] = set()
    for rule in active_rules():
        if rule.scope == "field":
            if any(rule.applies and rule.applies(s) and effective_severity(rule, config, s) for s in schema.fields.values()):
                names.add(rule.code)
        elif rule.scope == "record" and rule.entity in (None, entity) and effective_severity(rule, config):
            names.add(rule.code)
    return sorted(names - exported)


def gx_suite(config: Config, entity: str) -> tuple[dict[str, Any], list[str]]:
    """(a Great Expectations 1.x ExpectationSuite as JSON, the codes not exported) for `entity`."""
    try:
        import great_expectations as gx
    except ImportError as exc:
        raise ExportError("export.missing_library", target="gx", package="great-expectations") from exc
    E = gx.expectations
    schema = config.schemas[entity]
    expectations = []
    exported: set[str] = set()
    for name, spec in schema.fields.items():
        for code, severity, c in _field_constraints(config, spec):
            common = {"column": name, "meta": {"dq_rule": code, "severity": severity, "field": name},
                      "severity": _GX_SEVERITY[severity]}
            if "required" in c:
                expectations.append(E.ExpectColumnValuesToNotBeNull(**common))
            elif "pattern" in c:
                expectations.append(E.ExpectColumnValuesToMatchRegex(regex=f"^(?:{c['pattern']})\\Z", **common))
            elif "enum" in c:
                expectations.append(E.ExpectColumnValuesToBeInSet(value_set=c["enum"], **common))
            elif "unique" in c:
                expectations.append(E.ExpectColumnValuesToBeUnique(**common))
            else:
                low, high = c.get("minimum"), c.get("maximum")
                expectations.append(E.ExpectColumnValuesToBeBetween(
                    min_value=low, max_value=high, strict_min=bool(low is not None and c["exclusive"]),
                    strict_max=bool(high is not None and c["exclusive"]), **common))
            exported.add(code)
    suite = gx.ExpectationSuite(name=f"dq_{entity}", expectations=expectations,
                                meta={"dq_entity": entity, "dq_key": schema.key, "dq_row_column": ROW_COLUMN,
                                      "note": "Run on the values written by `dq export cleaned`."})
    return suite.to_json_dict(), _skipped(config, entity, exported)


_GX_SEVERITY = {"error": "critical", "warning": "warning", "info": "info"}
_FRICTIONLESS_TYPES = {"integer": "number", "decimal": "number", "date": "date"}


def frictionless_schema(config: Config, entity: str) -> tuple[dict[str, Any], list[str]]:
    """(a Frictionless Table Schema (v2) as JSON, the codes not exported) for `entity`."""
    try:
        from frictionless import Schema
    except ImportError as exc:
        raise ExportError("export.missing_library", target="frictionless", package="frictionless") from exc
    schema = config.schemas[entity]
    fields: list[dict[str, Any]] = [{"name": ROW_COLUMN, "type": "integer", "title": "Excel row", "constraints": {"required": True}}]
    exported: set[str] = set()
    for name, spec in schema.fields.items():
        constraints: dict[str, Any] = {}
        for code, _, c in _field_constraints(config, spec):
            exported.add(code)
            if "minimum" in c:
                constraints["exclusiveMinimum" if c["exclusive"] else "minimum"] = c["minimum"]
            elif "maximum" in c:
                constraints["exclusiveMaximum" if c["exclusive"] else "maximum"] = c["maximum"]
            else:
                constraints.update(c)
        if "pattern" in constraints:  # Table Schema patterns are implicitly anchored (XML Schema style)
            constraints["pattern"] = constraints["pattern"].removeprefix("^").removesuffix("$")
        field: dict[str, Any] = {"name": name, "type": _FRICTIONLESS_TYPES.get(spec.type, "string"), "title": spec.labels.get("en", name)}
        if spec.labels.get("zh"):
            field["description"] = spec.labels["zh"]
        if constraints:
            field["constraints"] = constraints
        fields.append(field)
    descriptor = {"$schema": "https://datapackage.org/profiles/2.0/tableschema.json", "fields": fields}
    Schema.from_descriptor(descriptor)  # raises when the descriptor is not a valid Table Schema
    return descriptor, _skipped(config, entity, exported)


def pandera_schema(config: Config, entity: str) -> tuple[dict[str, Any], list[str]]:
    """(a pandera DataFrameSchema, serialised as pandera writes it to YAML, the codes not exported) for `entity`.

    Load it with `pandera.pandas.DataFrameSchema.from_yaml(...)` and validate the cleaned values:
    its checks fail the rows dq's rules fail. Column types are not enforced (the cleaned values are
    typed already) and every column may be absent, as in the files dq reads.
    """
    try:
        import pandera.pandas as pa
        import yaml
    except ImportError as exc:
        raise ExportError("export.missing_library", target="pandera", package="pandera") from exc
    schema = config.schemas[entity]
    columns: dict[str, Any] = {ROW_COLUMN: pa.Column(int, nullable=False, unique=True, coerce=True)}
    exported: set[str] = set()
    for name, spec in schema.fields.items():
        checks = []
        nullable, unique = True, False
        for code, _, c in _field_constraints(config, spec):
            exported.add(code)
            if "required" in c:
                nullable = False
            elif "pattern" in c:
                checks.append(pa.Check.str_matches(f"^(?:{c['pattern']})\\Z"))
            elif "enum" in c:
                checks.append(pa.Check.isin(c["enum"]))
            elif "unique" in c:
                unique = True
            elif "minimum" in c:
                checks.append(pa.Check.gt(c["minimum"]) if c["exclusive"] else pa.Check.ge(c["minimum"]))
            else:
                checks.append(pa.Check.lt(c["maximum"]) if c["exclusive"] else pa.Check.le(c["maximum"]))
        columns[name] = pa.Column(None, checks=checks, nullable=nullable, unique=unique, required=False)
    frame_schema = pa.DataFrameSchema(columns, name=f"dq_{entity}", strict=False)
    return yaml.safe_load(frame_schema.to_yaml()), _skipped(config, entity, exported)


def cleaned_frame(tables: Iterable[Table], config: Config) -> pd.DataFrame:
    """One row per record: the Excel row and, per field, the value dq's rules see."""
    frames = []
    for table in tables:
        tv = TableValues(table, config.schemas[table.entity], config)
        data: dict[str, Any] = {ROW_COLUMN: pd.Series(table.data.index.to_numpy(dtype="int64"), index=table.data.index)}
        for name, spec in tv.schema.fields.items():
            if not tv.has(name):
                continue
            v = tv[name]
            if spec.is_numeric:
                data[name] = v.number
            elif spec.type == "date":
                data[name] = v.date
            elif spec.type == "enum":
                data[name] = v.canonical.fillna(v.clean)
            elif spec.reference:
                data[name] = v.referenced.fillna(v.clean)
            else:
                data[name] = v.clean
        frames.append(pd.DataFrame(data).reset_index(drop=True))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({ROW_COLUMN: pd.Series(dtype="int64")})


def _atomic_write(path: Path, write: Any) -> None:
    """Write through a temporary file in the same folder, then rename: never a half-written file."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        os.close(fd)
    except OSError as exc:
        raise ExportError("export.cannot_write", path=str(path), problem=exc.strerror or str(exc)) from exc
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        raise ExportError("export.cannot_write", path=str(path), problem=exc.strerror or str(exc)) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_json(path: Path, data: Any) -> None:
    _atomic_write(path, lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8"))


def write_document(path: Path, data: Any) -> None:
    """YAML for a .yaml/.yml path (pandera's own schema format), JSON otherwise."""
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        _atomic_write(path, lambda p: p.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"))
    else:
        write_json(path, data)


def write_parquet(path: Path, frame: pd.DataFrame) -> None:
    _atomic_write(path, lambda p: frame.to_parquet(p, index=False))


__all__ = ["EXPORTED", "InputError", "cleaned_frame", "frictionless_schema", "gx_suite", "pandera_schema", "write_document",
           "write_json", "write_parquet"]
