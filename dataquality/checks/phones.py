"""Phone numbers of China and of other countries, each read in the region its row says.

A number is read as Chinese (mobile or landline, with today's house spelling: 13812345678,
021-61234567) unless something says otherwise. Three things do, in this order:

1. the row's country (a field with `identifier: country`: 美国, USA, United States, +1);
2. the number's own `+CC` (or 00CC) prefix: +1 206 555 0100 is a US number wherever it stands;
3. the column's bulk: when most distinct numbers of a column (five or more) are not Chinese but
   valid for one other region, the column is that region's (said once, IDN006), so (206) 555-0100 in a US file
   is valid.

A number valid in its row's region is valid as written (another country's spelling is not ours to
change); a Chinese number is accepted on every row (a foreign customer may have a Chinese contact).
phonenumbers (libphonenumber's metadata) decides every case; it runs once per distinct (number,
region) pair, and the bulk of a master (mobiles and landlines written the house way) is judged in
one vectorised pass with phonenumbers' own CN patterns.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dataquality.checks.values import FieldValues, matches
from dataquality.load.table import TEXT

if TYPE_CHECKING:
    import phonenumbers

HOME = "CN"


def prepare() -> None:
    """Import phonenumbers and load the home region's metadata (about 50 ms) ahead of the rules."""
    import phonenumbers

    phonenumbers.parse("13800138000", HOME)

# An extension written after the number: 021-61234567转123, -123, ext 123, x123, #123.
_EXTENSION = re.compile(r"^(?P<main>.+?)(?P<ext>(?:转|分机|ext\.?|x|#|-)\d{1,6})$", re.IGNORECASE)
# Written the house way: a mobile as its 11 digits, a landline as area code, hyphen, local number
# (one format, so duplicates match); an extension may follow. A landline stored as an Excel number
# has lost its leading 0 (2161234567): that is how Excel shows it, not a typing choice, so it passes.
_CANONICAL_MAIN = re.compile(r"^(1\d{10}|[2-9]\d{6,10}|0\d{2,3}-\d{7,8})$")
_FIRST_DIGITS = re.compile(r"^\D*(\d+)")
_INTERNATIONAL = re.compile(r"^\s*(?:\+|00)")
# The bulk of a column is judged on at most this many of its non-Chinese numbers, and only from
# this many distinct numbers on (one odd number is a typo, not a country).
REGION_SAMPLE = 24
REGION_MIN_NUMBERS = 5


def _parse(text: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    import phonenumbers

    try:
        return phonenumbers.parse(text, region, keep_raw_input=True)  # keeps where the country code came from
    except phonenumbers.NumberParseException:
        return None


def _area_as_written(number: phonenumbers.PhoneNumber, text: str) -> bool:
    """Whether a Chinese landline read without +86 is written as Chinese landlines are.

    '(206) 555-0100' parses as a Guangzhou landline (020-65550100) once the zero is taken as lost,
    and '(312) 555-0177' as one of Baoding, but nobody writes a Chinese number that way: written
    with separators, a Chinese landline starts with the 0 of its area code ('021 6123 4567',
    '(021)61234567', '0755-8888 1234'); digits alone pass (an Excel number loses the 0)."""
    import phonenumbers

    if number.country_code_source != phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY or re.fullmatch(r"\d+", text):
        return True
    first = _FIRST_DIGITS.match(text)
    return first is None or first.group(1).startswith("0")


def _parse_cn(text: str) -> phonenumbers.PhoneNumber | None:
    import phonenumbers

    number = _parse(text, HOME)
    if number is None or number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    if kind == phonenumbers.PhoneNumberType.FIXED_LINE and not _area_as_written(number, text):
        return None
    kinds = (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE,
             phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return number if kind in kinds else None


def _parse_home(text: str) -> tuple[bool, str | None]:
    """(valid Chinese mobile or landline?, the canonical spelling when it differs from `text`)."""
    main, ext = text, ""
    number = _parse_cn(text)
    if number is None or number.extension:
        # phonenumbers does not understand 转123 and reads -123 as more digits: split it off
        # (and split 'ext12', which it does understand, so the main part can be judged alone).
        m = _EXTENSION.match(text)
        split = _parse_cn(m.group("main")) if m else None
        if split is not None:
            number, main, ext = split, m.group("main"), m.group("ext")  # type: ignore[union-attr]
        elif number is None:
            return False, None
    if _CANONICAL_MAIN.match(main):
        return True, None
    import phonenumbers

    nsn = phonenumbers.national_significant_number(number)
    area = phonenumbers.length_of_geographical_area_code(number)
    canonical = nsn if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.FIXED_LINE or not area else f"0{nsn[:area]}-{nsn[area:]}"
    return True, canonical + ext


def _valid_abroad(text: str, region: str) -> bool:
    """Whether `text` is a valid number of another country than China: by its +CC, else of `region`
    (a number dialled locally there, such as 555-0100 in the United States, counts)."""
    import phonenumbers

    number = _parse(text, region)
    if number is None or number.country_code == 86:
        return False
    if phonenumbers.is_valid_number(number):
        return True
    if number.country_code_source != phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY or region == HOME:
        return False
    # A local number is never written with the region's trunk prefix (0, or 1 in North America).
    local = phonenumbers.national_significant_number(number)
    prefix = phonenumbers.PhoneMetadata.metadata_for_region(region).national_prefix or "0"
    reason = phonenumbers.is_possible_number_with_reason(number)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY and not local.startswith((prefix, "0"))


@lru_cache(maxsize=65536)
def judge_phone(text: str, region: str = HOME) -> tuple[bool, str | None, bool]:
    """(valid?, the canonical spelling of a Chinese number not written that way, read as another
    country's number?) of `text` on a row of `region`.

    A number valid in `region` (or, written with +CC, in its own country) is valid as written; any
    other is judged by the Chinese rules (a Chinese number is valid on every row)."""
    international = bool(_INTERNATIONAL.match(text))
    if (region != HOME or international) and _valid_abroad(text, region):
        return True, None, True
    return (*_parse_home(text), False)


def parse_phone(text: str, region: str = HOME) -> tuple[bool, str | None]:
    """(valid?, the canonical spelling of a Chinese number not written that way) of `text` on a row of `region`."""
    return judge_phone(text, region)[:2]


@dataclass(frozen=True)
class ColumnRegion:
    """The region a column of phone numbers is read in when no country says otherwise."""

    region: str = HOME
    valid: int = 0  # distinct numbers valid in that region (not as Chinese numbers)
    numbers: int = 0  # distinct numbers written without +CC
    example: str = ""


def _groups(text: str) -> list[int]:
    return [len(g) for g in re.findall(r"\d+", text)]


@lru_cache(maxsize=1)
def _regions_by_length() -> dict[int, tuple[tuple[str, str, re.Pattern[str]], ...]]:
    """Digits written -> (region, trunk prefix, national number pattern) of every region (but China)
    where that many digits, with or without the trunk prefix, can be a number: the regions worth
    asking phonenumbers about a number (a cheap pattern first, not 245 parses)."""
    import phonenumbers

    by_length: dict[int, list[tuple[str, str, re.Pattern[str]]]] = {}
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
        desc = meta.general_desc if meta is not None else None
        if region == HOME or desc is None or not desc.national_number_pattern:
            continue
        prefix = meta.national_prefix or ""
        pattern = re.compile(f"(?:{desc.national_number_pattern})")
        for n in {w for length in desc.possible_length or () for w in (length, length + len(prefix))}:
            by_length.setdefault(n, []).append((region, prefix, pattern))
    return {n: tuple(r) for n, r in by_length.items()}


def _votes(text: str) -> dict[str, int]:
    """The regions (other than China) in which `text`, written without +CC, is a valid number:
    2 where it is also grouped as that region writes its numbers ((206) 555-0100 in the United
    States, 020 7946 0958 in Britain), 1 where it is only valid there."""
    import phonenumbers

    digits = re.sub(r"\D", "", text)
    found = {}
    for region, prefix, pattern in _regions_by_length().get(len(digits), ()):
        national = digits[len(prefix):] if prefix and digits.startswith(prefix) else digits
        if not (pattern.fullmatch(national) or pattern.fullmatch(digits)):
            continue
        number = _parse(text, region)
        if number is None or number.country_code == 86 or not phonenumbers.is_valid_number_for_region(number, region):
            continue
        shown = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        found[region] = 2 if _groups(shown) == _groups(text) else 1
    return found


def column_region(written: pd.Series, numbers: int) -> ColumnRegion:
    """The region of a column of `numbers` distinct numbers (written without +CC, on rows no
    country speaks for), of which `written` holds those not written the house way, as written
    (spaces kept: they group the digits as a country does). Another region than China only when
    most numbers are not Chinese but valid there; decided on the sorted values, so the same set of
    values always gives the same answer."""
    candidates = pd.unique(written.dropna().astype(TEXT).str.strip())
    if numbers < REGION_MIN_NUMBERS or len(candidates) * 2 <= numbers:
        return ColumnRegion(numbers=numbers)
    foreign = sorted(t for t in candidates.tolist() if t and not parse_phone(t, HOME)[0])
    if len(foreign) * 2 <= numbers:
        return ColumnRegion(numbers=numbers)
    step = max(1, len(foreign) // REGION_SAMPLE)
    votes: Counter[str] = Counter()
    for t in foreign[::step][:REGION_SAMPLE]:
        votes.update(_votes(t))
    if not votes:
        return ColumnRegion(numbers=numbers)
    region, _ = min(votes.items(), key=lambda kv: (-kv[1], kv[0]))
    valid = [t for t in foreign if _valid_abroad(t, region)]
    if len(valid) * 2 <= numbers:
        return ColumnRegion(numbers=numbers)
    return ColumnRegion(region, len(valid), numbers, valid[0])


@dataclass(frozen=True)
class PhoneAnswers:
    """Per cell of a phone column: valid?, the canonical spelling (NA where none is due), the
    region the cell was read in; and the column's own region."""

    valid: pd.Series
    canonical: pd.Series
    region: pd.Series
    column: ColumnRegion
    abroad: pd.Series  # bool: read as another country's number (its spaces and brackets are its own spelling)


def _country_regions(v: FieldValues) -> pd.Series:
    """The region of each row's country, where the sheet has a country the phone libraries know (NA elsewhere)."""
    import phonenumbers

    t = v.table
    country = None if t is None else next((n for n, f in t.schema.fields.items() if f.identifier == "country" and t.has(n)), None)
    if country is None:
        return pd.Series(np.nan, index=v.raw.index, dtype=TEXT)
    from dataquality.checks.countries import country_codes

    codes = country_codes(t[country].clean)
    return codes.where(codes.isin(list(phonenumbers.SUPPORTED_REGIONS)).fillna(False).astype(bool))


def phone_answers(v: FieldValues) -> PhoneAnswers:
    """PhoneAnswers of a column, kept on it: IDN003, IDN004, IDN006 and the fixes all ask.

    The bulk of a master is mobiles and landlines written the house way: told in one vectorised
    pass over the distinct numbers, valid as written on every row. Every other number is judged
    once per distinct (number, region) pair; the region is one value unless a country column varies it."""
    found = v.__dict__.get("_phone_answers")
    if found is not None:
        return found
    clean = v.clean
    codes, numbers = pd.factorize(clean)  # an empty cell gets code -1
    texts = pd.Series(numbers, dtype=TEXT)
    plain = np.append(plain_mobiles(texts), False)  # [-1]: the empty cell
    countries = _country_regions(v)
    column = v.reading.phone_region if v.reading is not None else None
    if column is None:  # the column's bulk speaks for the rows no country speaks for
        abroad_sign = np.append(matches(texts, _INTERNATIONAL.pattern), True)
        local = (codes >= 0) & countries.isna().to_numpy(dtype=bool) & ~abroad_sign[codes]
        distinct_local = int(np.count_nonzero(np.bincount(codes[local], minlength=len(numbers)))) if len(numbers) else 0
        column = column_region(v.after_nfkc[local & ~plain[codes]], distinct_local)
    regions = countries.fillna(column.region).astype(TEXT)
    region_codes, region_list = pd.factorize(regions)
    if len(region_list) <= 1:  # no country column: the pairs are the numbers
        pair_codes, pairs = codes, np.arange(len(numbers), dtype=np.int64) * max(1, len(region_list))
    else:
        pair_codes, pairs = pd.factorize(np.where(codes < 0, -1, codes.astype(np.int64) * len(region_list) + region_codes))
    number_of = pairs // max(1, len(region_list))
    region_of = np.asarray(region_list, dtype=object)[pairs % max(1, len(region_list))] if len(pairs) else np.array([], dtype=object)
    keep = pairs >= 0
    valid = np.full(len(pairs) + 1, np.nan, dtype=object)
    canonical = np.full(len(pairs) + 1, None, dtype=object)
    abroad = np.zeros(len(pairs) + 1, dtype=bool)
    fast = keep & plain[np.where(keep, number_of, -1)]
    valid[:-1][fast] = True
    slow = np.flatnonzero(keep & ~fast)
    answers = [judge_phone(t, r) for t, r in zip(texts.to_numpy(dtype=object)[number_of[slow]], region_of[slow], strict=True)]
    valid[slow] = [a[0] for a in answers]
    abroad[slow] = [a[2] for a in answers]
    # Another country's spelling is not ours to change: a canonical form only on rows read in China.
    canonical[slow] = [a[1] if r == HOME else None for a, r in zip(answers, region_of[slow], strict=True)]
    at = np.where((codes < 0) | (pair_codes < 0), len(pairs), pair_codes)
    found = PhoneAnswers(
        pd.Series(valid[at], index=clean.index, dtype=object),
        pd.Series(canonical[at], index=clean.index, dtype=object),
        regions, column, pd.Series(abroad[at], index=clean.index, dtype=bool),
    )
    v.__dict__["_phone_answers"] = found
    return found


def region_names(regions: pd.Series) -> pd.Series:
    """{en, zh} name of each row's region, worked out once per distinct region."""
    from dataquality.checks.countries import country_name

    codes, uniques = pd.factorize(regions)
    names = np.array([country_name(str(r)) for r in uniques] + [None], dtype=object)
    return pd.Series(names[np.where(codes < 0, len(uniques), codes)], index=regions.index, dtype=object)


def _cn_pattern(kind: str) -> str | None:
    import phonenumbers

    desc = getattr(phonenumbers.PhoneMetadata.metadata_for_region(HOME), kind, None)
    return desc.national_number_pattern if desc is not None and desc.national_number_pattern else None


# number_type() tries these before mobile: a number matching one is not a mobile to phonenumbers.
_NOT_MOBILE = ("premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan", "voicemail")


def plain_mobiles(values: pd.Series) -> np.ndarray:
    """True where a value is a mobile (11 digits) or a landline written the house way (0AA-NNNNNNNN)
    that phonenumbers reads as a valid CN number: vectorised with phonenumbers' own metadata
    patterns, equal to parse_phone's (True, None), which a test checks."""
    mobile = matches(values, "1[0-9]{10}", full=True)
    landline = matches(values, "0[1-9][0-9]{1,2}-[1-9][0-9]{6,7}", full=True)
    national = values.where(~pd.Series(landline, index=values.index), values.str.slice(1).str.replace("-", "", regex=False))
    ok = mobile | landline
    checks = [("general_desc", True), *((k, False) for k in _NOT_MOBILE)]
    for kind, wanted in checks:
        pattern = _cn_pattern(kind)
        if pattern is None or not ok.any():
            continue
        hit = national[ok].str.fullmatch(f"(?:{pattern})").fillna(False).to_numpy(dtype=bool)
        ok[np.flatnonzero(ok)] = hit if wanted else ~hit
    # The number's own type: a mobile must match the mobile pattern, a landline the fixed-line one.
    for kind, rows in (("mobile", mobile), ("fixed_line", landline)):
        pattern = _cn_pattern(kind)
        todo = ok & rows
        if pattern is None:
            ok &= ~rows  # no pattern to judge by: leave these to parse_phone
            continue
        if not todo.any():
            continue
        hit = national[todo].str.fullmatch(f"(?:{pattern})").fillna(False).to_numpy(dtype=bool)
        ok[np.flatnonzero(todo)] = hit
    return ok
