"""`dq learn`: a company's own conventions, learned from its current master, for a person to review.

The shipped schemas are one example company's house style. `dq learn FILE…` reads a company's
master (its export layout, its codes, its words) and writes, into a folder, the schemas, rules and
mapping file that describe *that* company, with a summary of what it decided and why:

- the mapping of each sheet (header -> field, with the evidence), as a mapping file whose file
  pattern stands for next month's export too;
- per field: the code formats as readable patterns (the file's dominant shapes, literal prefixes
  kept: ``SKU-`` + 5 digits), the vocabulary of a low-cardinality column as the field's allowed
  values (spellings that differ only in case, width or spaces grouped under the most frequent
  one), reference lists (staff, departments) from the names used, the fill rate (a field filled
  on every record becomes required; a required field the company leaves empty does not stay
  required), and the observed range of numbers (a minimum of 0 where no value is negative, a
  maximum ten times the largest value);
- house-style record rules that the company's data does not follow (a code prefix that equals
  the category) are switched off, with the reason.

Learning is checked before anything is written: the files are validated with what was learned,
and any house-style rule that still fails on them is relaxed, so the clean master passes its own
schemas. Standards (USCC, GTIN, e-mail, phone, dates, numbers, duplicates) are never relaxed.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from dataquality.checks.conventions import dominant, pattern_for
from dataquality.checks.values import TableValues, match_key
from dataquality.config import Config, EntitySchema, FieldSpec
from dataquality.errors import DQError, InputError
from dataquality.fileio import atomic_open
from dataquality.i18n import LANGUAGES, text
from dataquality.load.columns import base_field
from dataquality.load.limits import Limits
from dataquality.load.mapping import mapping_yaml, sheet_entries
from dataquality.load.table import Table
from dataquality.paths import default_rules_dir

REQUIRED_FILL = 0.99  # filled on this share of the records: required
NOT_REQUIRED_FILL = 0.95  # a required field filled on less than this: not required
MAX_WORDS = 60  # a column with more distinct values than this is free text, not a closed list
LABEL_SHARE = 0.5  # ... or whose distinct values are more than this share of its filled cells
KNOWN_ENOUGH = 0.99  # the shipped list or format already fits this share: kept as it is
FOREIGN_LIST = 0.2  # a reference list knowing less than this share of the names is replaced
MAX_ROUNDS = 3  # learn, validate, relax: a clean master passes within these rounds


class LearnError(DQError):
    """Nothing to learn from (no readable table), or an output folder that cannot be written."""


@dataclass
class Lesson:
    """One decision about one field (or record rule) of one entity, with its reason in zh and en."""

    entity: str
    field: str
    what: dict[str, str]


@dataclass
class Learned:
    """What learning gave: the schema data per entity, reference lists, rule switches, mappings."""

    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    references: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    mappings: list[dict[str, Any]] = field(default_factory=list)
    lessons: list[Lesson] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def say(self, entity: str, name: str, key: str, **params: Any) -> None:
        self.lessons.append(Lesson(entity, name, {lang: text(f"learn.{key}", lang, **params) for lang in LANGUAGES}))


# --- learning -------------------------------------------------------------------------------------


def learn(paths: Sequence[Path], config: Config, lang: str = "en", limits: Limits | None = None) -> Learned:
    """Learn the conventions of the masters in `paths` (read with `config` within `limits`, by
    default DQ_MAX_* or the built-in ones), checked on them."""
    from dataquality.pipeline import load

    tables = load([Path(p) for p in paths], config, lang, limits=limits)
    if not tables:
        raise LearnError("learn.nothing", files=", ".join(str(p) for p in paths))
    out = Learned(files=[Path(p) for p in paths])
    # The layout learned is matched by its header cells, whatever next month's file is called.
    out.mappings = [dict(e, file="*", sheet=None, layout=True) for e in sheet_entries(tables, config, lang)]
    by_entity: dict[str, list[Table]] = {}
    for t in tables:
        by_entity.setdefault(t.entity, []).append(t)
    for entity, group in by_entity.items():
        schema = config.schemas[entity]
        data = _schema_data(schema)
        values = [TableValues(t, schema, config) for t in group]
        for name, spec in schema.fields.items():
            if any(tv.has(name) for tv in values):
                _learn_field(out, entity, data["fields"][name], spec, values, config)
        out.schemas[entity] = data
    _settle(out, paths, config, lang, limits)
    return out


def _schema_data(schema: EntitySchema) -> dict[str, Any]:
    """The schema as written (its YAML), to be changed field by field."""
    with Path(schema.source).open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    data["conventions"] = "own"
    data["fields"] = {k: dict(v or {}) for k, v in data["fields"].items()}
    return data


def _column(values: list[TableValues], name: str) -> tuple[pd.Series, int]:
    """The clean values of a field over every sheet (its second columns included), and the records."""
    parts, rows = [], 0
    for tv in values:
        rows += len(tv.index)
        for key in [k for k in tv.table.data.columns if base_field(str(k)) == name]:
            v = tv[key]
            parts.append(v.clean[v.present.to_numpy(dtype=bool)])
    return (pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="string[pyarrow]")), rows


def _learn_field(out: Learned, entity: str, entry: dict[str, Any], spec: FieldSpec, values: list[TableValues],
                 config: Config) -> None:
    clean, rows = _column(values, spec.name)
    filled = len(clean)
    _fill_rate(out, entity, entry, spec, filled, rows)
    if filled == 0:
        return
    if spec.pattern or spec.unique:
        _code_format(out, entity, entry, spec, clean)
    if spec.type == "enum":
        _vocabulary(out, entity, entry, spec, values)
    if spec.reference:
        _reference(out, entity, spec, values, config)
    if spec.is_numeric:
        _range(out, entity, entry, spec, values)


def _fill_rate(out: Learned, entity: str, entry: dict[str, Any], spec: FieldSpec, filled: int, rows: int) -> None:
    if rows == 0:
        return
    share = filled / rows
    pct = f"{share:.0%}"
    if not spec.required and share >= REQUIRED_FILL and rows >= 2:
        entry["required"] = True
        out.say(entity, spec.name, "required", pct=pct)
    elif spec.required and share < NOT_REQUIRED_FILL:
        entry.pop("required", None)
        out.say(entity, spec.name, "not_required", pct=pct)


def _code_format(out: Learned, entity: str, entry: dict[str, Any], spec: FieldSpec, clean: pd.Series) -> None:
    """The company's code format(s) as a pattern: the dominant shapes, literal prefixes kept."""
    if spec.pattern and _share_matching(clean, spec.pattern) >= KNOWN_ENOUGH:
        return
    found = dominant(clean)
    if found is None:
        if spec.pattern:
            entry.pop("pattern", None)
            entry.pop("format", None)
            out.say(entity, spec.name, "no_format", examples=_examples(clean))
        return
    formats, runs = found
    patterns, words = [], {lang: [] for lang in LANGUAGES}
    from dataquality.checks.conventions import shapes

    shaped = shapes(clean, runs)
    for f in formats:
        members = clean[(shaped == f.shape).fillna(False).to_numpy(dtype=bool)]
        regex, said = pattern_for(members)
        patterns.append(regex)
        for lang in LANGUAGES:
            words[lang].append(said[lang])
    pattern = "^(?:" + "|".join(patterns) + ")$" if len(patterns) > 1 else f"^{patterns[0]}$"
    entry["pattern"] = pattern
    entry["format"] = {lang: text("learn.format_text", lang, formats="; ".join(words[lang]), examples=_examples(clean))
                       for lang in LANGUAGES}
    covered = sum(f.count for f in formats)
    out.say(entity, spec.name, "format", pattern=pattern, count=f"{covered:,}", total=f"{len(clean):,}",
            examples=_examples(clean))


def _share_matching(clean: pd.Series, pattern: str) -> float:
    from dataquality.checks.values import matches

    return float(matches(clean, pattern).mean()) if len(clean) else 1.0


def _examples(clean: pd.Series) -> str:
    return "', '".join(str(v)[:30] for v in pd.unique(clean)[:3])


def _vocabulary(out: Learned, entity: str, entry: dict[str, Any], spec: FieldSpec, values: list[TableValues]) -> None:
    """The field's own words as its allowed values, when the shipped list does not fit them."""
    raw, known = [], []
    for tv in values:
        for key in [k for k in tv.table.data.columns if base_field(str(k)) == spec.name]:
            v = tv[key]
            present = v.present.to_numpy(dtype=bool)
            raw.append(v.clean[present])
            known.append(v.canonical[present])
    words = pd.concat(raw, ignore_index=True)
    meaning = pd.concat(known, ignore_index=True)
    if float(meaning.notna().mean()) >= KNOWN_ENOUGH:
        return
    counts = words.value_counts()
    if len(counts) > MAX_WORDS or len(counts) > LABEL_SHARE * len(words) and len(words) >= 10:
        entry["type"] = "string"
        for key in ("values", "value_patterns"):
            entry.pop(key, None)
        out.say(entity, spec.name, "free_text", n=f"{len(counts):,}", examples="', '".join(map(str, counts.index[:3])))
        return
    # Spellings that differ only in case, width or spaces are one word: the most frequent spelling.
    keys = match_key(pd.Series(counts.index, dtype="string[pyarrow]")).tolist()
    groups: dict[str, list[str]] = {}
    for word, key in zip(counts.index.tolist(), keys, strict=True):  # most frequent first
        groups.setdefault(key, []).append(str(word))
    learned: dict[str, list[str]] = {}
    for spellings in groups.values():
        canon = spellings[0]
        shipped = [c for c, syns in spec.values.items() if canon == c or canon in syns]
        learned[canon] = sorted(set(spellings[1:]))
        if shipped:  # a shipped word (个 for PCS): its synonyms stay synonyms
            learned[canon] = sorted(set(learned[canon]) | {shipped[0], *spec.values[shipped[0]]} - {canon})
    entry["values"] = learned
    entry.pop("value_patterns", None)
    out.say(entity, spec.name, "vocabulary", n=f"{len(learned):,}",
            words="', '".join(f"{w} ({int(counts[w]):,})" for w in list(learned)[:6]))


def _reference(out: Learned, entity: str, spec: FieldSpec, values: list[TableValues], config: Config) -> None:
    """A reference list (staff, departments) from the names the master uses, when the shipped one does not know them."""
    ref = spec.reference or ""
    names = pd.concat([tv[spec.name].clean[tv[spec.name].present.to_numpy(dtype=bool)] for tv in values if tv.has(spec.name)],
                      ignore_index=True)
    known = pd.concat([tv[spec.name].referenced[tv[spec.name].present.to_numpy(dtype=bool)] for tv in values if tv.has(spec.name)],
                      ignore_index=True)
    share = float(known.notna().mean()) if len(names) else 1.0
    if share >= KNOWN_ENOUGH:
        return
    # A list that knows almost none of the company's names is the example's: replaced, not extended.
    shipped = [dict(r) for r in config.references[ref].records] if ref in config.references and share >= FOREIGN_LIST else []
    entries = out.references.setdefault(ref, shipped)
    have = {match_key(pd.Series([e["name"]], dtype="string[pyarrow]")).iloc[0] for e in entries}
    added = []
    for name in pd.unique(names[known.isna().to_numpy(dtype=bool)]):
        key = match_key(pd.Series([name], dtype="string[pyarrow]")).iloc[0]
        if key not in have:
            have.add(key)
            entries.append({"name": str(name)})
            added.append(str(name))
    if added:
        out.say(entity, spec.name, "reference", list=ref, n=f"{len(added):,}", examples="', '".join(added[:5]))


def _range(out: Learned, entity: str, entry: dict[str, Any], spec: FieldSpec, values: list[TableValues]) -> None:
    numbers = pd.concat([tv[spec.name].number.dropna() for tv in values if tv.has(spec.name)], ignore_index=True)
    if not len(numbers):
        return
    lo, hi = float(numbers.min()), float(numbers.max())
    if lo >= 0 and spec.min is None:
        entry["min"] = 0
    if hi > 0:
        entry["max"] = _nice(hi * 10)
    out.say(entity, spec.name, "range", lo=f"{lo:,.6g}", hi=f"{hi:,.6g}", max=f"{entry.get('max', hi):,}")


def _nice(x: float) -> int:
    """A round bound at or above `x`: 1, 2 or 5 times a power of ten."""
    power = 10 ** math.floor(math.log10(x)) if x > 0 else 1
    for m in (1, 2, 5, 10):
        if m * power >= x:
            return int(m * power)
    return int(10 * power)


# --- checked on the files themselves --------------------------------------------------------------


def _settle(out: Learned, paths: Sequence[Path], config: Config, lang: str, limits: Limits | None) -> None:
    """Validate the files with what was learned; relax a house-style rule that still fails on them."""
    from dataquality.checks.registry import get_rule
    from dataquality.pipeline import run

    for _ in range(MAX_ROUNDS):
        with tempfile.TemporaryDirectory(prefix="dq-learn-") as tmp:
            write(out, Path(tmp), config, lang, summary=False)
            learned = Config.load(Path(tmp) / "schemas", Path(tmp) / "rules")
            from dataquality.load.mapping import read_mappings

            result = run(learned, list(paths), lang, mappings=read_mappings([Path(tmp) / "mapping.yaml"], learned),
                         limits=limits)
        failing = [(i.entity, base_field(i.field) if i.field else None, i.rule) for i in result.issues
                   if i.entity in out.schemas and get_rule(i.rule).convention]
        if not failing:
            return
        for entity, name, code in dict.fromkeys(failing):
            _relax(out, entity, name, code)


def _relax(out: Learned, entity: str, name: str | None, code: str) -> None:
    """A house-style setting the company's own data does not follow: dropped, with the reason."""
    from dataquality.checks.registry import get_rule

    data = out.schemas[entity]
    rule = get_rule(code)
    where = rule.convention or ""
    if where.startswith("record_rules."):
        data.get("record_rules", {}).pop(where.split(".", 1)[1], None)
        out.rules.setdefault(code, {"enabled": False})
        out.say(entity, where, "rule_off", rule=code)
        return
    if name is None or name not in data["fields"]:
        return
    entry = data["fields"][name]
    setting = where.rsplit(".", 1)[-1] if where.startswith("fields.") else "reference"
    if setting == "pattern":
        entry.pop("pattern", None)
        entry.pop("format", None)
    elif setting == "values":
        entry["type"] = "string"
        entry.pop("values", None)
        entry.pop("value_patterns", None)
    elif setting == "required":
        entry.pop("required", None)
    elif setting == "clean":
        entry["clean"] = [s for s in (entry.get("clean") or []) if s != "upper"]
    elif setting == "reference":
        entry.pop("reference", None)
    out.say(entity, name, "relaxed", rule=code, setting=setting)


# --- writing --------------------------------------------------------------------------------------


def write(learned: Learned, folder: Path, config: Config, lang: str = "en", summary: bool = True) -> list[Path]:
    """Write schemas/, rules/, mapping.yaml and LEARNED.md into `folder`; returns the files written."""
    folder = Path(folder)
    written: list[Path] = []
    try:
        schemas_dir, rules_dir = folder / "schemas", folder / "rules"
        schemas_dir.mkdir(parents=True, exist_ok=True)
        if not rules_dir.exists():
            shutil.copytree(config.rules_dir if config.rules_dir.is_dir() else default_rules_dir(), rules_dir)
        for name, schema in config.schemas.items():
            path = schemas_dir / f"{name}.yaml"
            if name in learned.schemas:
                _dump(path, learned.schemas[name], text("learn.schema_header", lang, files=_files(learned)))
            elif not path.exists():
                shutil.copyfile(schema.source, path)
            written.append(path)
        for ref, entries in learned.references.items():
            path = rules_dir / f"{ref}.yaml"
            _dump(path, {ref: entries}, text("learn.reference_header", lang, files=_files(learned)))
            written.append(path)
        if learned.rules:
            path = rules_dir / "rules.yaml"
            _dump(path, {"rules": learned.rules}, text("learn.rules_header", lang))
            written.append(path)
        mapping = folder / "mapping.yaml"
        with atomic_open(mapping) as fh:
            fh.write(mapping_yaml(learned.mappings))
        written.append(mapping)
        if summary:
            path = folder / "LEARNED.md"
            with atomic_open(path) as fh:
                fh.write(summary_text(learned, lang))
            written.append(path)
    except OSError as exc:
        raise InputError("cli.cannot_write", path=str(folder), error=exc.strerror or str(exc)) from None
    return written


def _files(learned: Learned) -> str:
    return ", ".join(p.name for p in learned.files)


def _dump(path: Path, data: Any, header: str) -> None:
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    with atomic_open(path) as fh:
        fh.write("".join(f"# {line}\n" for line in header.splitlines()) + body)


def summary_text(learned: Learned, lang: str) -> str:
    """What was learned and why, as Markdown: one section per entity, one line per decision."""
    lines = [f"# {text('learn.title', lang, files=_files(learned))}", ""]
    entities = list(dict.fromkeys(lesson.entity for lesson in learned.lessons))
    for entity in entities:
        lines.append(f"## {entity}")
        lines.append("")
        for lesson in learned.lessons:
            if lesson.entity == entity:
                lines.append(f"- `{lesson.field}`: {lesson.what[lang]}")
        lines.append("")
    if not entities:
        lines.append(text("learn.nothing_changed", lang))
    lines.append(text("learn.next", lang))
    return "\n".join(lines) + "\n"


def adopt_in_project(folder: Path, paths: Sequence[Path], lang: str = "en") -> Learned:
    """`dq init --from`: learn from `paths` and write into the new project's schemas/ and rules/,
    its mapping file named in dq.yaml (`mappings:`)."""
    from dataquality.track.project import CONFIG_NAME

    folder = Path(folder)
    config = Config.load(folder / "schemas", folder / "rules")
    learned = learn(paths, config, lang)
    write(learned, folder, config, lang)
    project = folder / CONFIG_NAME
    body = project.read_text(encoding="utf-8")
    if "\nmappings:" not in body:
        with atomic_open(project) as fh:
            fh.write(body.rstrip("\n") + "\n\n# The export layouts learned by dq init --from (dq map -o writes more). 学得的导出版式。\nmappings: [mapping.yaml]\n")
    return learned
