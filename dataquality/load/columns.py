"""Which column holds which field: the headers' evidence weighed with the values (as a person reads).

load/detect.py says what each header cell may name; here the values decide between them:

- a weak name (a generic word, a qualifier around a field's name, a close spelling) is read as the
  field only when the values fit its signature (load/signatures.py); 联系人手机 holding 138… numbers
  is the phone, not the contact;
- where several columns could be one field, the one whose values fit wins, and an empty column
  never beats a filled one (`type` vs `category`, an empty Phone beside a filled Mobile);
- a second column of a repeatable field (电话1/电话2, Phone/Mobile) is read too, as `phone#2`,
  and checked by the same rules;
- a field written in parts (First Name + Last Name) is read as one value;
- a column with no header evidence at all is read by its values alone only when they are
  unambiguous (USCC, e-mail, GTIN, mobile numbers), and said once (FIL010).

Every decision carries its evidence in words (`ColumnMatch.evidence`), which `dq map` prints.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from dataquality.config import Config, EntitySchema, FieldSpec, loose_header_key
from dataquality.i18n import LANGUAGES, text
from dataquality.issue import column_letter
from dataquality.load import signatures as sig
from dataquality.load.detect import (
    EXACT,
    FUZZY,
    MAPPED,
    NORMALISED,
    PARTS,
    QUALIFIED,
    VALUES,
    Candidate,
    ColumnMatch,
    HeaderMatch,
    index_of,
)

WEAK_FIT = 0.5  # a weak name needs at least this share of fitting values
BY_VALUES_FIT = 0.8  # a column read by its values alone: this share unambiguous (a few broken ones are findings)
# A header's strength: the field's name or alias, then a generic word as the whole header (Name),
# then a name with a qualifier around it (Related company), then a close spelling.
_BASE = {MAPPED: 1000.0, EXACT: 100.0, NORMALISED: 90.0, QUALIFIED: 60.0, FUZZY: 55.0}
_GENERIC = 70.0
_BY_VALUES = 40.0
REPEAT = "#"
PART = "@"  # in a mapping file, the n-th part of a field written in parts: contact@1, contact@2


def extra_key(name: str, n: int) -> str:
    """The key of the n-th column (from 2) of a repeatable field: phone#2."""
    return f"{name}{REPEAT}{n}"


def base_field(key: str) -> str:
    """The field a column key belongs to: phone#2 -> phone."""
    return key.split(REPEAT, 1)[0]


@dataclass(frozen=True)
class Option:
    """One way to read a column: as `field`, with a score and the evidence behind it."""

    column: int
    field: str
    strength: str
    alias: str
    loose: bool
    fit: sig.Fit | None
    score: float

    @property
    def filled(self) -> bool:
        return self.fit is None or not self.fit.empty


@dataclass
class Columns:
    """The decision for one sheet: field key -> column, and what was left and why."""

    fields: dict[str, int] = field(default_factory=dict)  # field or phone#2 -> column index
    matches: dict[str, ColumnMatch] = field(default_factory=dict)
    parts: dict[str, tuple[int, ...]] = field(default_factory=dict)  # field -> its part columns
    unknown: list[tuple[int, str]] = field(default_factory=list)  # (column, header)
    duplicates: list[tuple[int, str, int]] = field(default_factory=list)  # (column, header, column read)
    unfit: list[tuple[int, str, str, list[str]]] = field(default_factory=list)  # (column, header, field, examples)
    by_values: list[tuple[int, str]] = field(default_factory=list)  # (column, field) read by values alone


class _Samples:
    """Each column's value sample, taken once and only when a decision needs it."""

    def __init__(self, body: pd.DataFrame) -> None:
        self.body = body
        self._taken: dict[int, Any] = {}

    def __call__(self, col: int) -> Any:
        if col not in self._taken:
            column = self.body[col] if col in self.body.columns else pd.Series([], dtype="string[pyarrow]")
            self._taken[col] = sig.sample_of(column)
        return self._taken[col]


def decide(match: HeaderMatch, body: pd.DataFrame, schema: EntitySchema, config: Config) -> Columns:
    """Which column holds which field, from the header's candidates and the values under it."""
    samples = _Samples(body)
    index = index_of(schema)
    options: list[Option] = []
    rejected: dict[int, tuple[Candidate, sig.Fit]] = {}
    contested = _contested(match)
    for col, found in match.candidates.items():
        for rank, cand in enumerate(found):
            spec = schema.fields.get(cand.field)
            if spec is None:  # contact@1: a part, placed by _parts
                continue
            needs_values = cand.weak or cand.field in contested
            # Between two columns for one field even a template's sample row is evidence (a Supplier
            # column of 1 beside a Name column of MyBigCompany); alone, a weak name needs a few values.
            least = 1 if cand.field in contested else sig.MIN_VALUES
            fit = sig.fit(spec, body.get(col, pd.Series([], dtype=object)), config, samples(col), least) if needs_values else None
            if cand.weak and fit is not None and fit.share is not None and fit.share < WEAK_FIT:
                rejected.setdefault(col, (cand, fit))
                continue
            score = _score(cand, fit, rank, index.is_own_name(cand.field, cand.alias), index.names_field(cand.field, cand.alias))
            options.append(Option(col, cand.field, cand.strength, cand.alias, cand.loose, fit, score))
    out = Columns()
    taken_cols: set[int] = set()
    _assign(options, out, taken_cols, match)
    _by_values(match, schema, config, samples, out, taken_cols)
    _parts(match, schema, out, taken_cols)
    _extras(options, schema, out, taken_cols, match)
    _first_filled_first(out, samples)
    _leftovers(match, options, rejected, body, out, taken_cols)
    # In sheet order, as a person reads the header (writers and the master keep this order).
    out.fields = dict(sorted(out.fields.items(), key=lambda kv: (kv[1], kv[0])))
    out.matches = {k: out.matches[k] for k in out.fields}
    return out


def _contested(match: HeaderMatch) -> set[str]:
    """Fields that more than one column may name: the values decide between them."""
    seen: dict[str, int] = {}
    for found in match.candidates.values():
        for name in {c.field for c in found}:
            seen[name] = seen.get(name, 0) + 1
    return {n for n, count in seen.items() if count > 1}


def _score(cand: Candidate, fit: sig.Fit | None, rank: int, own_name: bool, names_field: bool) -> float:
    """How well a column reads as a field: the header's strength, then the values.

    A strong header whose values contradict it (a `Supplier` column of 1/0 flags) loses to a weaker
    one whose values fit; a weak header gains with its values but never passes a strong one that fits."""
    score = _GENERIC if cand.loose and cand.strength in (EXACT, NORMALISED) else _BASE.get(cand.strength, _GENERIC)
    if own_name and cand.strength == EXACT:
        score += 5  # `category` itself over its alias `type`
    elif names_field:
        score += 3  # `category_name` over `type`
    score -= rank  # the head noun of a qualified header first
    if fit is not None and fit.share is not None:
        score += (25 * fit.share if cand.weak else 40 * fit.share - 40) + 15 * fit.vocabulary
    return score


def _rank(option: Option) -> tuple:
    # A person's mapping first; a filled column before an empty one; the better evidence; at equal
    # evidence the fuller column (Regular price beside a mostly empty Sale price); then sheet order.
    fill = option.fit.filled if option.fit is not None else 0
    return (option.strength == MAPPED, option.filled, option.score, fill, -option.column)


def _assign(options: list[Option], out: Columns, taken_cols: set[int], match: HeaderMatch) -> None:
    for option in sorted(options, key=_rank, reverse=True):
        if option.field in out.fields or option.column in taken_cols:
            continue
        out.fields[option.field] = option.column
        taken_cols.add(option.column)
        out.matches[option.field] = _column_match(option, match.cells[option.column])


def _by_values(match: HeaderMatch, schema: EntitySchema, config: Config, samples: _Samples, out: Columns,
               taken_cols: set[int]) -> None:
    """Columns no header names, read by unambiguous values (USCC, e-mail, GTIN, mobile numbers)."""
    specific = [spec for spec in schema.fields.values() if sig.specific_kind(spec) and spec.name not in out.fields]
    if not specific:
        return
    free = [c for c in match.cells if c not in taken_cols and c not in match.candidates]
    for col in free:
        sample = samples(col)
        best: tuple[float, Any, sig.Fit] | None = None
        for spec in specific:
            if spec.name in out.fields:
                continue
            fit = sig.fit(spec, pd.Series([], dtype=object), config, sample)
            if fit.share is not None and fit.specific >= BY_VALUES_FIT and (best is None or fit.specific > best[0]):
                best = (fit.specific, spec, fit)
        if best is None:
            continue
        _, spec, fit = best
        option = Option(col, spec.name, VALUES, "", False, fit, _BY_VALUES + 30 * fit.specific)
        out.fields[spec.name] = col
        taken_cols.add(col)
        out.matches[spec.name] = _column_match(option, match.cells[col])
        out.by_values.append((col, spec.name))


def _parts(match: HeaderMatch, schema: EntitySchema, out: Columns, taken_cols: set[int]) -> None:
    """A field written in parts (First Name + Last Name -> contact), when the field has no column or
    only one whose name is qualified (Billing Attention, ship-to contact: the person of an address,
    read as a second column of the field when it repeats): the parts a mapping file names
    (contact@1, contact@2), else the schema's `parts` names."""
    mapped: dict[str, dict[int, int]] = {}
    for col, found in match.candidates.items():
        for cand in found:
            if cand.strength == MAPPED and PART in cand.field:
                name, n = cand.field.split(PART, 1)
                mapped.setdefault(name, {})[int(n)] = col
    by_key = {loose_header_key(h): c for c, h in match.cells.items() if c not in taken_cols}
    for spec in schema.fields.values():
        held = out.matches.get(spec.name)
        if spec.name in out.fields and (held is None or held.strength != QUALIFIED or spec.name in mapped):
            continue
        if spec.name in mapped:
            cols = [mapped[spec.name][n] for n in sorted(mapped[spec.name])]
        else:
            cols = _named_parts(spec, by_key)
        if len(cols) < 2 or any(c in taken_cols for c in cols):
            continue
        if held is not None:  # the qualified column gives way; _extras may read it as the field's second
            taken_cols.discard(out.fields.pop(spec.name))
            del out.matches[spec.name]
        out.parts[spec.name] = tuple(cols)
        out.fields[spec.name] = cols[0]
        taken_cols.update(cols)
        header = " + ".join(match.cells[c] for c in cols)
        out.matches[spec.name] = ColumnMatch(cols[0], header, spec.name, PARTS, header,
                                             evidence=_evidence("parts", header=header), parts=tuple(cols))


def _named_parts(spec: FieldSpec, by_key: dict[str, int]) -> list[int]:
    """The columns of a field's parts by the schema's `parts` names (first_name, First Name,
    contact_first_name), in order; none unless every part has a column of its own."""
    cols: list[int] = []
    for names in spec.parts or ():
        col = next((c for n in names for k, c in by_key.items() if k == loose_header_key(n)
                    or (k.endswith(loose_header_key(n)) and len(loose_header_key(n)) >= 4)), None)
        if col is None or col in cols:
            return []
        cols.append(col)
    return cols


def _extras(options: list[Option], schema: EntitySchema, out: Columns, taken_cols: set[int], match: HeaderMatch) -> None:
    """A second (third …) column of a repeatable field: Phone and Mobile, 电话1 and 电话2."""
    counts: dict[str, int] = {}
    for option in sorted(options, key=lambda o: o.column):
        spec = schema.fields.get(option.field)
        if option.column in taken_cols or spec is None or not spec.repeatable or option.field not in out.fields:
            continue
        if option.field in out.parts:
            continue
        n = counts.get(option.field, 1) + 1
        counts[option.field] = n
        key = extra_key(option.field, n)
        out.fields[key] = option.column
        taken_cols.add(option.column)
        out.matches[key] = _column_match(option, match.cells[option.column], key)


def _first_filled_first(out: Columns, samples: _Samples) -> None:
    """The columns of a repeatable field numbered as a person reads them: the leftmost filled one is
    the field (Billing Street before Billing Apt/Suite), the others #2, #3 in sheet order."""
    groups: dict[str, list[str]] = {}
    for key in out.fields:
        if key not in out.parts:
            groups.setdefault(base_field(key), []).append(key)
    for name, keys in groups.items():
        if len(keys) < 2:
            continue
        cols = sorted((out.fields[k] for k in keys), key=lambda c: (samples(c)[1] == 0, c))
        matches = {out.fields[k]: out.matches[k] for k in keys}
        for k in keys:
            out.fields.pop(k)
            out.matches.pop(k)
        for n, col in enumerate(cols, start=1):
            key = name if n == 1 else extra_key(name, n)
            out.fields[key] = col
            out.matches[key] = dataclasses.replace(matches[col], field=key)


def _leftovers(match: HeaderMatch, options: list[Option], rejected: dict[int, tuple[Candidate, sig.Fit]],
               body: pd.DataFrame, out: Columns, taken_cols: set[int]) -> None:
    """Columns read as nothing: a second column of a field (FIL002), values that do not fit (FIL007),
    or a header dq does not know (FIL001)."""
    strong = {o.column: o for o in options if o.strength in (EXACT, NORMALISED, MAPPED) and not o.loose}
    for col, header in match.cells.items():
        if col in taken_cols:
            continue
        # A duplicate is two columns a person reads as the same field: both named by the field's
        # own names (联系电话 and 电话), not a generic name beside a specific one (name, company_name),
        # and holding the same values (零售价 beside 销售价 is another price, not a copy).
        first = out.fields.get(strong[col].field) if col in strong else None
        if first is not None and first in strong and _same_values(body, col, first):
            out.duplicates.append((col, header, first))
        elif col in rejected and rejected[col][0].field not in out.fields:
            cand, _ = rejected[col]
            out.unfit.append((col, header, cand.field, _examples(body, col)))
        else:
            out.unknown.append((col, header))


def _same_values(body: pd.DataFrame, col: int, other: int) -> bool:
    """Whether two columns hold the same values where either is filled (or are both empty)."""
    if col not in body.columns or other not in body.columns:
        return True
    a = body[col].astype("string[pyarrow]").str.strip()
    b = body[other].astype("string[pyarrow]").str.strip()
    either = (a.notna() | b.notna()).to_numpy(dtype=bool)
    if not either.any():
        return True
    same = (a == b).fillna(False).to_numpy(dtype=bool)
    return bool(same[either].mean() >= 0.9)


def _examples(body: pd.DataFrame, col: int) -> list[str]:
    if col not in body.columns:
        return []
    values = body[col].dropna().astype(str).str.strip()
    return [v[:40] for v in pd.unique(values[values != ""])[:3]]


def _column_match(option: Option, header: str, key: str | None = None) -> ColumnMatch:
    share = option.fit.share if option.fit is not None else None
    return ColumnMatch(option.column, header, key or option.field, option.strength, option.alias, option.loose,
                       _evidence_of(option), share)


def _evidence_of(option: Option) -> dict[str, str]:
    share = option.fit.share if option.fit is not None else None
    if option.strength == VALUES:
        return _evidence("values", share=_pct(option.fit.specific if option.fit else 0))
    how = {MAPPED: "mapping", EXACT: "exact", NORMALISED: "normalised", QUALIFIED: "qualified", FUZZY: "fuzzy"}[option.strength]
    if option.loose and option.strength in (EXACT, NORMALISED):
        how = "generic"
    said = _evidence(how, alias=option.alias)
    if share is not None:
        fits = _evidence("fits", share=_pct(share))
        said = {lang: f"{said[lang]}{fits[lang]}" for lang in LANGUAGES}
    return said


def _evidence(key: str, **params: Any) -> dict[str, str]:
    return {lang: text(f"load.evidence.{key}", lang, **params) for lang in LANGUAGES}


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def describe(matches: Mapping[str, ColumnMatch], lang: str) -> dict[str, str]:
    """Field key -> the evidence in `lang` (for dq map and the desk)."""
    return {k: (m.evidence.get(lang) or m.strength) for k, m in matches.items()}


def by_values(peek: pd.DataFrame, grid: pd.DataFrame, config: Config, sheet_entity: str | None,
              hints: Mapping[str, int]) -> HeaderMatch | None:
    """A sheet whose headers name no known field (or that has no header row at all), read by what its
    values reveal: the columns of unambiguous values (USCC, e-mail, GTIN, mobile numbers). The entity
    is the one those columns belong to (the file and sheet names break a tie); a first row whose
    cells have those values is a record, not a header."""
    filled = [int(r) for r in peek.index if peek.loc[r].notna().any()]
    if not filled:
        return None
    first = filled[0]
    columns = [int(c) for c in grid.columns if grid[c].notna().any()]
    cells = {c: str(peek.at[first, c]).strip() for c in columns if pd.notna(peek.at[first, c]) and str(peek.at[first, c]).strip()}
    body = grid.loc[first + 1:]
    schemas = [config.schemas[sheet_entity]] if sheet_entity else list(config.schemas.values())
    best: tuple[int, int, EntitySchema, Columns] | None = None
    for schema in schemas:
        probe = HeaderMatch(schema.name, first, {c: cells.get(c, "") for c in columns}, {}, {}, 0)
        decided = decide(probe, body, schema, config)
        found = len(decided.by_values)
        if found and (best is None or (found, hints.get(schema.name, 0)) > best[:2]):
            best = (found, hints.get(schema.name, 0), schema, decided)
    if best is None:
        return None
    _, _, schema, decided = best
    is_data = any(sig.fits_one(schema.fields[name], cells.get(col, "")) for col, name in decided.by_values)
    row = first - 1 if is_data else first  # no header row: the first row is a record
    shown = {c: (f"({column_letter(c)})" if is_data else cells.get(c, f"({column_letter(c)})")) for c in columns}
    return HeaderMatch(schema.name, row, shown, {}, {}, 0, first_row=row, by_values=True)
