"""Find the header row (within the first 20 rows), the entity of a sheet, and what each header cell may be.

A header cell names a field in decreasing strength:

- ``exact``: the cell, or one of its lines (``物料编码\\nItem Code``), equals a label or alias once
  required marks (``*``), a trailing note (``(元)``, ``（必填）``), case and spaces are ignored;
- ``normalised``: equal once every separator and camelCase is ignored (``customerID``,
  ``Customer_Id``), or one part of a ``a/b`` header equals an alias;
- ``qualified``: the field's name with a qualifier around it (分管业务员, 银行账号-财务, 基本售价,
  联系人手机, ``Billing Street``, ``VAT Number``, ``UnitCost``): a cell may name several fields this
  way (联系人手机: the contact or the phone), and the values decide (load/columns.py);
- ``fuzzy``: a close spelling of an alias (reported as FIL006 so it is never silent).

A match by a generic name (``loose_aliases`` in the schema, e.g. 类别, 状态, 条码) or by anything
weaker than ``exact``/``normalised`` is *weak*: the values must agree with the field before the
column is read as it (load/columns.py). Which column finally holds which field is decided there,
with the values; this module only finds the header row and the entity from the header cells.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import pandas as pd

from dataquality.config import Config, EntitySchema, header_key, loose_header_key, normalise_header

EXACT, NORMALISED, QUALIFIED, FUZZY, MAPPED, VALUES, PARTS = (
    "exact", "normalised", "qualified", "fuzzy", "mapping", "values", "parts")
FUZZY_CUTOFF = 0.92
# A qualifier that only numbers or ranks a generic name (电话1, Phone 2, 手机号码, Mobile No) keeps it
# a name of the field; any other qualifier around a generic name (客户名称 in a product sheet) does not.
_NEUTRAL = re.compile(r"^(?:[0-9]+|no|number|num|nr|#|号码|号|码|主|主要|首选|默认|main|primary|default|备用|"
                      r"第[一二三四五六七八九十0-9]+|measure|value|info|information|details|data|信息|资料|名|全称|名称|名字|"
                      r"id|code|name)*$")
# Who or what the field is of, in an address or contact set: Billing Phone, Shipping City, 收货地址.
_ROLE = re.compile(r"^(?:billing|bill|shipping|ship|shipto|billto|delivery|office|home|work|business|personal|primary|"
                   r"invoice|invoicing|main|other|alt|alternate|contact|variant|办公|家庭|公司|收货|发货|送货|开票|联系|工作|单位|其他|其它)+[0-9]*$")
# A qualifier that makes it another quantity: the shipping cost is not the item's cost, the weight
# unit not its unit of measure, the minimum price not its list price.
_OTHER = re.compile(r"shipping|freight|delivery|tax|discount|additional|extra|other|min|max|average|avg|total|weight|"
                    r"dimension|size|length|width|height|volume|package|运费|税|折扣|附加|其他|其它|最低|最高|平均|合计|"
                    r"重量|尺寸|长度|宽度|高度|体积|包装|长[-*×x/]?宽|宽[-*×x/]?高|\bl\s*[*×x]\s*w\b")
# A qualifier naming another thing altogether: an image URL is not the website.
_OTHER_THING = re.compile(r"image|photo|picture|logo|avatar|icon|file|attachment|图片|照片|图像|附件|头像")
# A yes/no question is a flag (是否管理库存, In stock?, Out of stock, Show price (0 = No; 1 = Yes)):
# never a quantity, code or name.
_QUESTION = re.compile(r"^(?:是否|有无|能否|可否)|[?？]\s*$|^(?:is|has|have|can|allow|enable|manage|use|track|out of)(?:\b|[_ ])"
                       r"|\b[01]\s*=\s*(?:no|yes)\b|\(y/n\)|是/否|1或0|0或1", re.IGNORECASE)
_NOTE = re.compile(r"[(（\[【]([^)）\]】]{1,12})[)）\]】]$")
# Separators that mark a qualifier as a tag of the name (银行账号-财务, HISTORY.CREATEDAT, Tel (office)).
_SEGMENTS = re.compile(r"[\-./:：()（）\[\]【】,，、|]+")  # not spaces: Contact Type is one phrase


@dataclass(frozen=True)
class Candidate:
    """One field a header cell may name, and how strongly."""

    field: str
    strength: str  # exact | normalised | qualified | fuzzy | mapping
    alias: str  # the name it matched
    loose: bool = False  # by a generic name

    @property
    def weak(self) -> bool:
        """Whether the values must agree before the column is read as this field."""
        return self.loose or self.strength in (QUALIFIED, FUZZY)


@dataclass(frozen=True)
class ColumnMatch:
    """How one column was matched to a field, and the evidence that decided it."""

    column: int  # absolute 0-based column index
    header: str  # header text as written (both lines of a two-level header joined by ' / ')
    field: str  # the field, or the key of a second column of a repeatable field (phone#2)
    strength: str  # exact | normalised | qualified | fuzzy | mapping | values | parts
    alias: str  # the name it matched
    loose: bool = False  # matched by a generic name: the values confirmed it
    evidence: Mapping[str, str] = field(default_factory=dict)  # {en, zh}: what decided it, for dq map
    share: float | None = None  # share of the values that fit the field's signature
    parts: tuple[int, ...] = ()  # a field written in parts: every part's column, in order


@dataclass(frozen=True)
class HeaderMatch:
    """Where the header is, which entity it belongs to and what each header cell may name."""

    entity: str
    row: int  # the last header row: records start below it
    cells: dict[int, str]  # column index -> header text as written
    candidates: dict[int, tuple[Candidate, ...]]  # column index -> the fields it may name, best first
    fields: dict[str, int]  # field -> column index, by the headers alone (the header's strength)
    score: int
    first_row: int = 0  # the first header row (differs from `row` for a two-level header)
    tie: int = 0  # what the file and sheet names say (breaks a tie between entities only)
    by_values: bool = False  # no header names a field: the columns are read by their values alone


class _Index:
    """Every header name of one entity at each strength, built once per schema."""

    def __init__(self, schema: EntitySchema) -> None:
        self.exact, self.loose = _name_tables(schema)
        # (field, key) of the field's own name and labels
        self.own = {(f.name, header_key(n)) for f in schema.fields.values() for n in (f.name, *f.labels.values())}
        # The entity's own nouns (货品, 客户, supplier): 货品代码 is this entity's code, not another's.
        self.own_nouns = {_loose(n) for n in (*schema.sheet_names, *schema.labels.values(), schema.name)
                          if 0 < len(_loose(n)) <= (4 if not _loose(n).isascii() else 12)}
        self.generic = {(f.name, n) for f in schema.fields.values() for n in f.loose_names}
        self.generic_loose = {(f, _loose(n)) for f, n in self.generic}
        self.fuzzy_names = [n for n in self.loose if len(n) >= 5]
        # (alias key, field, generic) for containment: CJK names of two characters or more, and
        # Latin names as whole words.
        self.contained = sorted(
            ((k, f, (f, k) in self.generic_loose) for k, f in self.loose.items() if len(k) >= 2),
            key=lambda t: -len(t[0]))
        # The Latin words any header name of the entity is made of (and the entity's own nouns): the
        # rest of a header written as one word must be one of them (unitcost, WEIGHTMEASURE), so
        # that a word merely ending in a name (Designation, Alternation) is not that name.
        self.words = {w for f in schema.fields.values() for n in (f.name, *f.header_names, *f.loose_names)
                      for w in _words(n)} | {w for n in self.own_nouns for w in _words(n)}
        self.enums = {f.name for f in schema.fields.values() if f.type == "enum"}
        # Quantities and their units: a qualifier may make them another measure (shipping cost).
        self.measures = {f.name for f in schema.fields.values() if f.is_numeric or f.type == "enum"}
        self._seen: dict[str, tuple[Candidate, ...]] = {}
        self._fuzzy_by_length: dict[int, list[str]] = {}

    def match(self, text: str) -> tuple[Candidate, ...]:
        """The fields one header cell may name, best first (remembered per text). A header in
        traditional characters (客戶編號, 產品名稱) is read as its simplified form."""
        if text not in self._seen:
            if len(self._seen) > 50_000:
                self._seen.clear()
            found = self._match(text[:200])
            if not found and _HAN.search(text):
                plain = simplified(text[:200])
                if plain != text[:200]:
                    found = self._match(plain)
            if found and _QUESTION.search(text.strip()):  # a yes/no flag: only a status can be one
                found = tuple(c for c in found if c.field in self.enums)
            self._seen[text] = found
        return self._seen[text]

    def _candidate(self, name: str, strength: str, alias: str) -> Candidate:
        return Candidate(name, strength, alias, self.is_generic(name, alias, strength))

    def _match(self, text: str) -> tuple[Candidate, ...]:
        lines = [ln for ln in re.split(r"[\r\n]+", text) if ln.strip()]
        candidates = [text, *lines] if len(lines) > 1 else [text]
        named = self._named(candidates)
        if named:
            return named
        found = self._qualified(candidates)
        # A tag in brackets naming a field (产品型号（ID）): the column is that field's, by its values.
        note = _NOTE.search(text.strip())
        if note:
            key = _loose(note.group(1))
            tagged = [c for k, c in ((key, self.loose.get(key)),) if c is not None]
            if tagged and all(f.field != tagged[0] for f in found):
                found = (*found, Candidate(tagged[0], QUALIFIED, key, True))
        return found or self._misspelt(candidates)

    def _named(self, candidates: list[str]) -> tuple[Candidate, ...]:
        """The field a header names outright: exactly, or normalised (case, spaces, plurals)."""
        for cand in candidates:
            key = header_key(cand)
            if key in self.exact:
                return (self._candidate(self.exact[key], EXACT, key),)
        # 型号/规格 or 物料编码/Item Code is two names of one column; a sentence with slashes in it
        # (可选值：企业/公司/company …) is not a header.
        parts = [p for c in candidates for p in re.split(r"[/／|]", c) if p.strip()]
        if len(parts) > 3 or any(len(p.strip()) > 30 for p in parts):
            parts = []
        for cand in [*candidates, *(parts if len(parts) > 1 else [])]:
            key = _loose(cand)
            if key in self.loose:
                return (self._candidate(self.loose[key], NORMALISED, key),)
            for singular in _singulars(key):  # Emails, Categories, Addresses
                if singular in self.loose:
                    return (self._candidate(self.loose[singular], NORMALISED, singular),)
        return ()

    def _misspelt(self, candidates: list[str]) -> tuple[Candidate, ...]:
        """A field whose (ASCII, 5+ letter) name the header misspells."""
        for cand in candidates:
            key = _loose(cand)
            if len(key) < 5 or not key.isascii():
                continue
            close = difflib.get_close_matches(key, self._fuzzy_near(len(key)), n=1, cutoff=FUZZY_CUTOFF)
            # categoryID is not a misspelt category: an extension of a name is another column.
            if close and not (key.startswith(close[0]) or close[0].startswith(key)):
                return (self._candidate(self.loose[close[0]], FUZZY, close[0]),)
        return ()

    def _fuzzy_near(self, length: int) -> list[str]:
        """The fuzzy names whose length lets them reach FUZZY_CUTOFF against a key of `length`
        (difflib's real_quick_ratio, the bound it checks first): the same answer, fewer tries."""
        near = self._fuzzy_by_length.get(length)
        if near is None:
            near = self._fuzzy_by_length[length] = [
                n for n in self.fuzzy_names if 2.0 * min(length, len(n)) / (length + len(n)) >= FUZZY_CUTOFF]
        return near

    def _qualified(self, texts: list[str]) -> tuple[Candidate, ...]:
        """Fields whose name stands in the header with a qualifier around it, the head noun first
        (the name written last: 联系人手机 is a phone before it is a contact)."""
        found: dict[str, tuple[int, int, str, bool]] = {}  # field -> (end, length, alias, generic)
        for text in texts:
            key = _loose(text)
            words = _words(text)
            segments = {_loose(p) for p in _SEGMENTS.split(str(text)) if p.strip()}
            joined = "".join(words)  # an alias made of consecutive words stands in it
            for alias, name, generic in self.contained:
                if alias == key or (alias not in key and alias not in joined):  # (cheap: most stop here)
                    continue
                at = _contains(key, words, alias, self.words)
                if at < 0:
                    continue
                rest = key.replace(alias, "", 1)
                end = at + len(alias)
                neutral = bool(_NEUTRAL.match(rest)) or rest in self.own_nouns
                head = end == len(key)
                # 客户名称 is not a product's 名称, contactTitle is not a contact, Address type is not an
                # address, Shipping cost not the cost; 电话1, 基本售价, Billing Phone, Billing Street
                # and 银行账号-财务 are what they name.
                if (name in self.measures and _OTHER.search(rest) or _OTHER_THING.search(rest)) and not neutral:
                    continue
                if generic and not (neutral or (head and _ROLE.match(rest))):
                    continue
                if not (neutral or head or alias in segments):
                    continue
                best = found.get(name)
                if best is None or (end, len(alias)) > best[:2]:
                    found[name] = (end, len(alias), alias, generic)
        ranked = sorted(found.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))
        return tuple(Candidate(name, QUALIFIED, alias, generic) for name, (_, _, alias, generic) in ranked)

    def is_generic(self, field_name: str, alias: str, strength: str) -> bool:
        if strength == EXACT:
            return (field_name, alias) in self.generic
        if strength == NORMALISED:
            return (field_name, alias) in self.generic_loose
        return strength != QUALIFIED

    def is_own_name(self, field_name: str, alias: str) -> bool:
        """Whether `alias` is the field's own name or label (stronger than any alias)."""
        return (field_name, alias) in self.own

    def names_field(self, field_name: str, alias: str) -> bool:
        """Whether `alias` holds the field's own name (category name, 物料类别): closer than a synonym."""
        key = _loose(alias)
        return any(_loose(own) in key for f, own in self.own if f == field_name and len(_loose(own)) >= 2)


def _name_tables(schema: EntitySchema) -> tuple[dict[str, str], dict[str, str]]:
    """Header name -> field, exactly and normalised (`_loose`). A field's own names and aliases come
    before any field's generic names: a company's field labelled 大区 is not the department that
    大区 may also name."""
    exact: dict[str, str] = {}
    loose: dict[str, str] = {}
    for generic in (False, True):
        for f in schema.fields.values():
            names = f.loose_names if generic else [n for n in f.header_names if n not in f.loose_names]
            for name in names:
                exact.setdefault(name, f.name)
                loose.setdefault(_loose(name), f.name)
    loose.pop("", None)
    return exact, loose


_WORD = re.compile(r"[a-z]+|[0-9]+")


def _a_word(rest: str, known: set[str]) -> bool:
    """Whether what stands beside a name in a one-word header is a word of its own."""
    return rest in known or bool(_NEUTRAL.match(rest)) or bool(_ROLE.match(rest)) or bool(_OTHER.fullmatch(rest))


def _words(text: str) -> list[str]:
    """The Latin words of a header (camelCase split, digits apart), lower case."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(text))
    return _WORD.findall(spaced.lower())


def _contains(key: str, words: list[str], alias: str, known: set[str] = frozenset()) -> int:  # type: ignore[assignment]
    """Where `alias` stands in a header: CJK as a substring, Latin as whole words; -1 when not.

    A header written as one word (WEIGHTMEASURE, unitcost) has no word boundaries to go by: an
    alias of four letters or more that begins or ends it counts when the rest is a number, a
    qualifier word, or a word of the entity's header names (`known`); Designation is not a nation."""
    if alias.isascii():
        for n in range(1, len(words) + 1):  # the alias as n consecutive words
            for i in range(len(words) - n + 1):
                if "".join(words[i:i + n]) == alias:
                    return len("".join(words[:i]))
        if len(words) == 1 and len(alias) >= 4 and alias != key:
            if key.startswith(alias) and _a_word(key[len(alias):], known):
                return 0
            if key.endswith(alias) and _a_word(key[:-len(alias)], known):
                return len(key) - len(alias)
        return -1
    return key.find(alias)


def _singulars(key: str) -> list[str]:
    """English singular forms of a plural header key (emails -> email, categories -> category)."""
    if not key.isascii() or len(key) < 4 or not key.endswith("s"):
        return []
    out = [key[:-1]]
    if key.endswith("ies"):
        out.append(key[:-3] + "y")
    if key.endswith("es"):
        out.append(key[:-2])
    return out


_HAN = re.compile(r"[\u3400-\u9fff]")


@lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """Traditional characters as simplified ones (OpenCC's t2s tables): 客戶編號 -> 客户编号."""
    return _converter().convert(text)


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=4096)
def _loose(text: str) -> str:
    return loose_header_key(text)


_INDEXES: dict[int, tuple[EntitySchema, _Index]] = {}


def index_of(schema: EntitySchema) -> _Index:
    """The header index of `schema` (built once per schema object)."""
    hit = _INDEXES.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = (schema, _Index(schema))
        _INDEXES[id(schema)] = hit
    return hit[1]


def entity_from_sheet_name(sheet: str | None, config: Config) -> str | None:
    """The entity whose accepted sheet names include `sheet` (after normalisation)."""
    if not sheet:
        return None
    wanted = normalise_header(sheet)
    for schema in config.schemas.values():
        if wanted in {normalise_header(n) for n in schema.sheet_names}:
            return schema.name
    return None


def entity_hints(path: Path | str, sheet: str | None, config: Config, title: str = "") -> dict[str, int]:
    """Entities that the file or sheet name (or a title row above the header) suggests: entity ->
    weight, used only to break a tie between entities the headers name equally well.

    A title row weighs most, then the sheet name, then the file name; within a name the word written
    last wins: `customermgsys_供应商.xls` is a supplier list of the customermgsys system."""
    hints: dict[str, int] = {}
    for weight, raw in ((1, Path(path).stem), (1000, sheet or ""), (1_000_000, title)):
        text = loose_header_key(raw)
        if not text:
            continue
        for schema in config.schemas.values():
            for name in schema.sheet_names:
                key = loose_header_key(name)
                at = text.rfind(key) if len(key) >= 2 else -1
                if at >= 0:
                    hints[schema.name] = max(hints.get(schema.name, 0), weight * (1 + at + len(key)))
    return hints


def match_cells(cells: Mapping[int, str], schema: EntitySchema,
                overrides: Mapping[str, str | None] | None = None) -> HeaderMatch | None:
    """What one row of header cells may name in `schema`, scored by the headers alone."""
    index = index_of(schema)
    candidates: dict[int, tuple[Candidate, ...]] = {}
    shown: dict[int, str] = {}
    for col, value in cells.items():
        header = str(value).strip()
        if not header:
            continue
        if overrides is not None and header in overrides:
            wanted = overrides[header]
            if wanted:  # None: a person said this is not a dq field (neither read nor reported)
                shown[col] = header
                candidates[col] = (Candidate(wanted, MAPPED, header),)
            continue
        shown[col] = header
        found = index.match(header)
        if found:
            candidates[col] = found
    fields = provisional_fields(candidates)
    if not fields:
        return None
    firm = {f for f, c in fields.items() if not candidates[c][0].weak}
    # The key column weighs double: shared fields (names, phones, status) must not decide alone;
    # weak names weigh little.
    score = len(firm) * 2 + len(fields)
    score += 4 if schema.key in firm else 0
    return HeaderMatch(schema.name, 0, shown, candidates, fields, score)


def provisional_fields(candidates: Mapping[int, tuple[Candidate, ...]]) -> dict[str, int]:
    """Field -> column by the headers alone: each column's best candidate, the stronger header
    winning a field named twice (业务负责人 over 主管)."""
    order = {MAPPED: 0, EXACT: 1, NORMALISED: 2, QUALIFIED: 3, FUZZY: 4}
    fields: dict[str, int] = {}
    rank: dict[str, tuple[int, int]] = {}
    for col, found in candidates.items():
        best = found[0]
        r = (order.get(best.strength, 5) + (3 if best.loose else 0), col)
        if best.field not in fields or r < rank[best.field]:
            fields[best.field], rank[best.field] = col, r
    return fields


def _title_hint(cells_by_row: Mapping[int, dict[int, str]], header: int, entity: str, config: Config) -> int:
    """What the title rows above a header (a row of one or two cells: 'Vendors', 客户名录) say of `entity`."""
    title = " ".join(v for r, cells in cells_by_row.items() if r < header and 0 < len(cells) <= 2 for v in cells.values())
    if not title:
        return 0
    return entity_hints("", None, config, title[:200]).get(entity, 0)


MAX_HEADER_CELLS = 1000  # a header row wider than this is read up to here


def _row_cells(peek: pd.DataFrame, row: int) -> dict[int, str]:
    cells = peek.loc[row].dropna()
    out = {int(c): str(v) for c, v in cells.items() if isinstance(v, str) and v.strip()}  # type: ignore[arg-type]
    return dict(list(out.items())[:MAX_HEADER_CELLS])


def _two_level(upper: dict[int, str], lower: dict[int, str]) -> dict[int, str]:
    """A header over two rows read as one: the lower cell, else the group title or merged name above."""
    out = dict(upper)
    out.update(lower)
    return dict(sorted(out.items()))


def _header_options(rows: list[int], cells_by_row: Mapping[int, dict[int, str]],
                    header_row: int | None) -> Iterator[tuple[int, int, dict[int, str]]]:
    """(first row, last row, its cells) of each header a sheet's first rows may have: one row, or
    two (a two-level header read as one); only the one ending on `header_row` when it is given."""
    for i, row in enumerate(rows):
        options = [(row, cells_by_row[row])]
        if i + 1 < len(rows) and cells_by_row[rows[i + 1]]:
            options.append((rows[i + 1], _two_level(cells_by_row[row], cells_by_row[rows[i + 1]])))
        for last_row, cells in options:
            if cells and (header_row is None or last_row == header_row):
                yield row, last_row, cells


def _names_enough(match: HeaderMatch, schema: EntitySchema) -> bool:
    """Whether a header row names enough of `schema` to call the sheet its master: two fields by
    name (a qualified name such as 合作企业名称 is a hint only), one of them firmly or the key."""
    firm = [f for f, c in match.fields.items() if not match.candidates[c][0].weak]
    named = [f for f, c in match.fields.items() if match.candidates[c][0].strength != QUALIFIED]
    return len(named) >= min(2, len(schema.fields)) and bool(firm or schema.key in named)


def find_header(peek: pd.DataFrame, config: Config, sheet_entity: str | None, hints: Mapping[str, int] | None = None,
                overrides: Mapping[str, str | None] | None = None, header_row: int | None = None) -> HeaderMatch | None:
    """The best header row among the first rows of `peek`; None when nothing looks like a header.

    The entity is the one whose fields the header names best; the file and sheet names only break
    a tie. A two-level header (group titles merged across the row above, field names merged down
    over both rows) is read as one header row when that recognises more fields than either row.
    """
    best: HeaderMatch | None = None
    hints = hints or {}
    candidates = [config.schemas[sheet_entity]] if sheet_entity else list(config.schemas.values())
    rows = [int(r) for r in peek.index]  # at most 20 rows: header search, not a rule
    all_cells = {r: _row_cells(peek, r) for r in rows}
    if header_row is not None:
        rows = [r for r in rows if r in (header_row - 1, header_row)]
    cells_by_row = {r: all_cells[r] for r in rows}
    for row, last_row, cells in _header_options(rows, cells_by_row, header_row):
        for schema in candidates:
            match = match_cells(cells, schema, overrides)
            if match is None or not (_names_enough(match, schema) or (overrides is not None and header_row is not None)):
                continue
            score = match.score
            # A two-level header must recognise more than its lower row alone.
            if last_row != row:
                score -= 1
            tie = hints.get(schema.name, 0) + _title_hint(all_cells, row, schema.name, config)
            # The names break a tie between entities on one header row, never choose a later row.
            if best is None or score > best.score or (score == best.score and last_row == best.row and tie > best.tie):
                best = dataclasses.replace(match, row=last_row, first_row=row, score=score, tie=tie)
    return best
