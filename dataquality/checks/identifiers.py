"""Identifier rules (IDN): USCC, GTIN, phone numbers (checks/phones.py), e-mail addresses and countries.

The checks use well-kept libraries (python-stdnum, phonenumbers, email-validator) and only wrap
their known gaps. Each library runs once per *distinct* value and the answer is mapped back, so a
million-row column with few distinct values stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

# python-stdnum, phonenumbers and email-validator are imported where they are used: a sheet without
# such a field never pays for importing them (phonenumbers' metadata alone takes ~40 ms).
from dataquality.checks.countries import country_codes
from dataquality.checks.forms import per_cell
from dataquality.checks.phones import parse_phone, phone_answers, plain_mobiles, region_names  # noqa: F401 - parse_phone, plain_mobiles: re-exported
from dataquality.checks.registry import field_rule
from dataquality.checks.values import FieldValues, TableValues, matches
from dataquality.config import EntitySchema, FieldSpec
from dataquality.issue import Severity
from dataquality.load.table import TEXT

# GB 32100-2015 allows these registration-authority characters, which stdnum rejects: A (Central
# Military Commission), N (other authorities) and Y (other), besides the digits 1-9.
_LETTER_AUTHORITIES = frozenset("ANY")


def uscc_is_valid(code: str) -> bool:
    """A GB 32100-2015 unified social credit code with a correct check character."""
    from stdnum.cn import uscc as stdnum_uscc
    from stdnum.exceptions import ValidationError

    code = stdnum_uscc.compact(code)
    if len(code) == 18 and code[0] in _LETTER_AUTHORITIES:
        # stdnum insists on 8 leading digits: check the rest of the format on a stand-in with
        # authority 9, then the check character of the real code (stdnum's own algorithm).
        body = "9" + code[1:17]
        try:
            stdnum_uscc.validate(body + stdnum_uscc.calc_check_digit(body))
        except (ValidationError, ValueError):  # ValueError: a character outside the code alphabet
            return False
        return code[17] == stdnum_uscc.calc_check_digit(code[:17])
    return bool(stdnum_uscc.is_valid(code))


_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015 (stdnum's alphabet)
_USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
_USCC_INDEX = np.full(256, -1, dtype=np.int64)
_USCC_INDEX[np.frombuffer(_USCC_ALPHABET.encode("ascii"), dtype=np.uint8)] = np.arange(len(_USCC_ALPHABET))
# Already compact and upper case, authority 1-9 or A/N/Y, 7 more digits, then the code alphabet.
_USCC_PLAIN = "[0-9ANY][0-9]{7}[0-9ABCDEFGHJKLMNPQRTUWXY]{10}"


def uscc_valid(values: pd.Series) -> pd.Series:
    """`uscc_is_valid` of every cell, vectorised; NA stays NA.

    Codes already written plainly (18 upper-case characters of the code alphabet, nearly every
    cell) get their check character computed in numpy, with stdnum's weights and alphabet; any
    other spelling goes through `uscc_is_valid` once per distinct value.
    """
    text = values.astype("string")
    ok = pd.Series(pd.NA, index=values.index, dtype="boolean")
    present = text.notna().to_numpy()
    plain = matches(text, _USCC_PLAIN, full=True)
    if plain.any():
        codes = np.frombuffer("".join(text[plain].tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        index = _USCC_INDEX[codes]
        check = (31 - (index[:, :17] @ _USCC_WEIGHTS)) % 31
        ok[plain] = check == index[:, 17]
    other = present & ~plain
    if other.any():
        ok[other] = per_distinct(text[other], uscc_is_valid).astype("boolean")
    return ok


# Excel drops leading zeros of a barcode stored as a number: a UPC-A (12) becomes 11 digits and an
# EAN-8 becomes 7. Zeros on the left do not change a GTIN check digit, so pad those two back.
_PADDED_LENGTHS = {7: 8, 11: 12}


def gtin_is_valid(code: str) -> bool:
    """A GTIN-8, -12, -13 or -14 with a correct check digit."""
    from stdnum import ean
    from stdnum.exceptions import ValidationError

    if code.isdigit() and len(code) in _PADDED_LENGTHS:
        code = code.zfill(_PADDED_LENGTHS[len(code)])
    try:
        ean.validate(code)
    except ValidationError:
        return False
    return True


# GTIN weights of the 13 digits before the check digit, once the code is left-padded to 14 digits
# (zeros on the left add nothing, so one weight vector serves GTIN-8, -12, -13 and -14).
_GTIN_WEIGHTS = np.array([3, 1] * 6 + [3], dtype=np.int64)
_GTIN_LENGTHS = (7, 8, 11, 12, 13, 14)  # 7 and 11: an EAN-8 / UPC-A that lost its leading zero


def gtin_valid(values: pd.Series) -> pd.Series:
    """`gtin_is_valid` of every cell, vectorised; NA stays NA.

    Plain ASCII digit strings (nearly every barcode) get their check digit computed in numpy;
    anything else (separators, other digit characters) goes through `gtin_is_valid` once per
    distinct value, so the answer is python-stdnum's in every case.
    """
    text = values.astype("string")
    ok = pd.Series(pd.NA, index=values.index, dtype="boolean")
    present = text.notna().to_numpy()
    digits = matches(text, "[0-9]+", full=True)
    lengths = text.str.len().fillna(0).to_numpy(dtype=np.int64)
    plain = digits & np.isin(lengths, _GTIN_LENGTHS)
    if plain.any():
        padded = text[plain].str.zfill(14)
        grid = np.frombuffer("".join(padded.tolist()).encode("ascii"), dtype=np.uint8).reshape(-1, 14).astype(np.int64) - 48
        check = (10 - (grid[:, :13] @ _GTIN_WEIGHTS) % 10) % 10
        ok[plain] = check == grid[:, 13]
    ok[digits & ~plain] = False  # only digits, but no GTIN length
    other = present & ~digits
    if other.any():
        ok[other] = per_distinct(text[other], gtin_is_valid).astype("boolean")
    return ok


def email_is_valid(text: str) -> bool:
    """Valid address syntax (RFC 5322 as email-validator reads it); no DNS look-up."""
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


# Addresses of the plain form almost every master holds (ASCII local part of letters, digits and
# . _ % + -, a domain of LDH labels, a letters-only TLD that is not special-use): email-validator
# accepts every one of them (tests/checks/test_email_fast_path.py), so they are judged in one RE2
# pass and only the others go to email-validator, once per distinct value.
_PLAIN_EMAIL = (r"^[A-Za-z0-9_%+-]+(?:\.[A-Za-z0-9_%+-]+)*@"
                r"(?:[A-Za-z0-9](?:[A-Za-z0-9]|-[A-Za-z0-9]){0,30}\.)+[A-Za-z]{2,30}$")


def plain_emails(values: pd.Series) -> np.ndarray:
    """True where `values` holds an address of the plain form email-validator always accepts."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from email_validator import SPECIAL_USE_DOMAIN_NAMES

    text = pa.array(values.astype(TEXT).array, type=pa.large_string())
    plain = pc.fill_null(pc.match_substring_regex(text, _PLAIN_EMAIL), False)
    plain = pc.and_(plain, pc.less_equal(pc.fill_null(pc.utf8_length(text), 0), 254))
    local = pc.fill_null(pc.utf8_length(pc.replace_substring_regex(text, "@.*$", "")), 0)
    plain = pc.and_(plain, pc.less_equal(local, 64))
    tld = pc.utf8_lower(pc.fill_null(pc.replace_substring_regex(text, r"^.*\.", ""), ""))
    plain = pc.and_(plain, pc.invert(pc.is_in(tld, value_set=pa.array(list(SPECIAL_USE_DOMAIN_NAMES), pa.large_string()))))
    return np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)


def per_distinct(values: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """`fn` applied once per distinct non-empty value, mapped back onto every row (NA stays NA)."""
    codes, uniques = pd.factorize(values)  # an empty cell gets code -1: the last slot below
    answers = np.empty(len(uniques) + 1, dtype=object)
    answers[:-1] = pd.Series([fn(str(x)) for x in uniques], dtype=object).to_numpy()  # (tuples stay whole)
    answers[-1] = np.nan
    return pd.Series(answers[codes], index=values.index, dtype=object)


def _failing(v: FieldValues, fn: Callable[[str], bool]) -> pd.Series:
    ok = per_distinct(v.clean, fn)
    return (v.present & (ok == False)).astype(bool)  # noqa: E712  (NA means empty: not failing)


def _labels(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {"labels": dict(spec.labels)}


def _is(kind: str) -> Callable[[FieldSpec], bool]:
    return lambda f: f.identifier == kind


# A tax number is read in the row's country (a foreign company has none): per (value, country).
@field_rule("IDN001", "invalid-uscc", applies=_is("uscc"), params=_labels, engine=per_cell(reads=("country",)))
def invalid_uscc(v: FieldValues, t: TableValues) -> pd.Series:
    """A unified social credit code is not 18 valid characters with the right check character (GB 32100-2015).

    A foreign company's tax number in the same column (a VAT number with its country prefix, such as
    BE0477472701, or a number valid for the record's country) is checked by its own country's rule.

    Why: invoices (fapiao) and credit checks are refused for a wrong tax identity; a typo here is found only when the tax office rejects the invoice.
    Bad: uscc = 91310000MA1FL4CT3X (check character should be U), or a 15-digit old registration number.
    Good: uscc = 91310000MA1FL4CT3U; BE0477472701 for a Belgian customer.
    """
    failing = (v.present & uscc_valid(v.clean).eq(False).fillna(False)).astype(bool)
    if failing.any():
        field = next((n for n, f in t.schema.fields.items() if f.identifier == "country" and t.has(n)), None)
        country = t[field].raw if field else pd.Series(pd.NA, index=v.raw.index, dtype=object)
        failing &= ~_foreign_tax_number(v.clean, country, failing)
    return failing


def _foreign_tax_number(values: pd.Series, countries: pd.Series, rows: pd.Series) -> pd.Series:
    """Where a value is a valid tax number of another country (python-stdnum): a VAT number with its
    ISO prefix, or a number valid for the row's own country; each distinct pair checked once."""
    from dataquality.checks.countries import country_codes

    at = rows.to_numpy(dtype=bool)
    pairs = pd.DataFrame({"value": values[at].astype(object), "country": country_codes(countries[at]).astype(object)})
    known = {(x, c): _valid_tax_number(x, c if isinstance(c, str) else None)
             for x, c in pairs.drop_duplicates().itertuples(index=False) if isinstance(x, str)}
    ok = pd.Series(False, index=values.index)
    ok[at] = [known.get((x, c), False) for x, c in pairs.itertuples(index=False)]
    return ok


def _valid_tax_number(value: str, country: str | None) -> bool:
    from stdnum import get_cc_module
    from stdnum.eu import vat

    if country == "CN":
        return False
    if len(value) > 2 and value[:2].isalpha() and vat.is_valid(value):
        return True
    if country:
        for kind in ("vat", "tin", "ein", "abn", "gst"):
            module = get_cc_module(country.lower(), kind)
            if module is not None and module.is_valid(value):
                return True
    return False


def _gtin_sql(raw: Any, spec: FieldSpec, dialect: str) -> tuple[Any, Any]:
    """gtin_valid for cells of ASCII digits only, in SQL: the check digit from each digit's code
    point (no cast that could fail). Such a cell is its own clean value, so the digits are read
    from the cell itself (the engines evaluate a repeated sub-expression each time it occurs);
    every other barcode is decided by python-stdnum once per distinct value."""
    from dataquality.checks import sql

    digits = sql.fullmatch(raw, "[0-9]+", dialect)
    padded = raw.lpad(14, "0")
    total = sum(((padded.substr(i, 1).ascii_str() - 48) * int(w) for i, w in enumerate(_GTIN_WEIGHTS)), start=sql.zero())
    ok = raw.length().isin(list(_GTIN_LENGTHS)) & ((10 - total % 10) % 10 == padded.substr(13, 1).ascii_str() - 48)
    return (raw.notnull() & ~ok).fill_null(False), raw.isnull() | digits


@field_rule("IDN002", "invalid-gtin", applies=_is("gtin"), params=_labels, engine=per_cell(_gtin_sql))
def invalid_gtin(v: FieldValues, t: TableValues) -> pd.Series:
    """A barcode is not a GTIN-8, -12, -13 or -14 with a correct check digit.

    Why: a wrong barcode makes the till or warehouse scanner pick another product, or none.
    Bad: barcode = 6901234567891.
    Good: barcode = 6901234567892.
    """
    return (v.present & gtin_valid(v.clean).eq(False).fillna(False)).astype(bool)


def _phone_region(v: FieldValues, failing: pd.Index) -> pd.DataFrame:
    """The region each failing number was read in, for the message."""
    return pd.DataFrame({"region": region_names(phone_answers(v).region.loc[failing])}, index=failing)


@field_rule("IDN003", "invalid-phone", applies=_is("cn_phone"), params=_labels, details=_phone_region,
            engine=per_cell(reads=("country",)))
def invalid_phone(v: FieldValues, t: TableValues) -> pd.Series:
    """A phone number is not valid: not a Chinese mobile or landline (an extension may follow), nor a number of the row's country.

    Why: a customer nobody can call cannot confirm orders, deliveries or overdue payments.
    Bad: phone = 1381234567 (10 digits) or 0755-8888888; (206) 555-0100 in a Chinese list with no country.
    Good: phone = 13812345678, 021-61234567 or 021-61234567转123; +1 206 555 0100, or (206) 555-0100 with country = US.
    """
    valid = phone_answers(v).valid
    return (v.present & valid.eq(False).fillna(False)).astype(bool)


def canonical_phone(v: FieldValues) -> pd.Series:
    """The standard spelling of each valid Chinese phone number not written that way (NA elsewhere)."""
    return phone_answers(v).canonical


def _fix_phone(v: FieldValues, failing: pd.Index) -> pd.Series:
    return canonical_phone(v).loc[failing]


def _fixed_param(v: FieldValues, failing: pd.Index) -> pd.DataFrame:
    return pd.DataFrame({"fixed": _fix_phone(v, failing)}, index=failing)


@field_rule("IDN004", "non-canonical-phone", Severity.WARNING, applies=_is("cn_phone"), params=_labels, fix=_fix_phone, details=_fixed_param,
            engine=per_cell(reads=("country",)))
def non_canonical_phone(v: FieldValues, t: TableValues) -> pd.Series:
    """A valid Chinese phone number is written with a country code, brackets or extra hyphens.

    Why: one spelling per number lets systems match, dial and de-duplicate contacts; spaces and full-width digits are reported by FMT002/FMT003. Another country's number is left as written.
    Bad: phone = +86-138-1234-5678 or (021)61234567.
    Good: phone = 13812345678 or 021-61234567.
    """
    return (v.present & canonical_phone(v).notna()).astype(bool)


@field_rule("IDN007", "unknown-country", Severity.WARNING, applies=_is("country"), params=_labels, engine=per_cell())
def unknown_country(v: FieldValues, t: TableValues) -> pd.Series:
    """A country is not one dq knows by its ISO 3166 code or its English or Chinese name.

    Why: the country decides how phone numbers, addresses and taxes of the record are read; an unreadable one leaves them unchecked.
    Bad: country = Amerika, or 美利坚 (not a name the standard lists).
    Good: country = US, USA, United States or 美国; CN, China or 中国.
    """
    return (v.present & country_codes(v.clean).isna()).astype(bool)


@field_rule("IDN005", "invalid-email", applies=_is("email"), params=_labels, engine=per_cell())
def invalid_email(v: FieldValues, t: TableValues) -> pd.Series:
    """An e-mail address does not have valid syntax (checked without any network look-up).

    Why: statements, invoices and order confirmations sent to a broken address are silently lost.
    Bad: email = zhang.wei@@example.com or zhangwei@example.
    Good: email = zhang.wei@example.com.
    """
    clean = v.clean
    plain = plain_emails(clean)
    if plain.all():
        return pd.Series(False, index=clean.index)
    ok = per_distinct(clean[~plain], email_is_valid).reindex(clean.index)
    return (v.present & ~pd.Series(plain, index=clean.index) & (ok == False)).astype(bool)  # noqa: E712
