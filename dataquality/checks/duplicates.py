"""Group rules: records that should be one but carry different codes.

Each rule builds a normalised comparison key per row and flags every row of a group whose
members carry more than one distinct code; each finding names the other rows of its group.
Everything is vectorised (factorize + drop_duplicates + value_counts), so a million rows take
seconds; the only Python loop runs over the rows found, to list their partners.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from dataquality.checks import sql
from dataquality.checks.context import CheckContext
from dataquality.checks.findings import findings, no_findings
from dataquality.checks.forms import Need, Target, in_sql
from dataquality.checks.registry import record_rule
from dataquality.checks.settings import OneField, SameItem, SameName
from dataquality.checks.values import TableValues, casefold, match_key, nfkc
from dataquality.issue import Severity
from dataquality.load.table import TEXT

# A finding lists at most this many partner rows: a group of 10,000 copies must not make
# 10,000 issues each carrying 9,999 row numbers.
MAX_RELATED = 20
_PUNCTUATION = r"[\W_]+"
# The same class in a form pyarrow's RE2 runs: not a letter or number, or "_". RE2's Unicode tables
# are newer than this Python's: the characters they call letters or numbers and Python does not
# know are named here (tests/checks/test_name_key.py recomputes them for the running versions).
NOT_WORD_EXTRA = (
    (0x1123F, 0x11240), (0x11F02, 0x11F02), (0x11F04, 0x11F10), (0x11F12, 0x11F33), (0x11F50, 0x11F59),
    (0x1342F, 0x1342F), (0x13441, 0x13446), (0x1B132, 0x1B132), (0x1B155, 0x1B155), (0x1D2C0, 0x1D2D3),
    (0x1DF25, 0x1DF2A), (0x1E030, 0x1E06D), (0x1E4D0, 0x1E4EB), (0x1E4F0, 0x1E4F9), (0x2B739, 0x2B739),
    (0x2EBF0, 0x2EE5D), (0x31350, 0x323AF),
)
_PUNCTUATION_RE2 = "(?:[^\\p{L}\\p{N}]|[_" + "".join(
    chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in NOT_WORD_EXTRA) + "])+"


def conflicting_groups(key: pd.Series, code: pd.Series) -> tuple[pd.Series, pd.Series]:
    """(rows in a group of equal `key` holding more than one distinct `code`, their partner rows).

    Rows where key or code is missing take no part; partners are the other rows of the group.
    """
    valid = (key.notna() & code.notna()).to_numpy()
    key_id, _ = pd.factorize(key)
    code_id, _ = pd.factorize(code)
    pairs = pd.DataFrame({"k": key_id[valid], "c": code_id[valid]}).drop_duplicates()
    counts = pairs["k"].value_counts()
    conflicted = counts.index[counts > 1].to_numpy()
    mask = pd.Series(valid & np.isin(key_id, conflicted), index=key.index)
    if not mask.any():
        return mask, pd.Series(dtype=object)
    rows = key.index[mask.to_numpy()]
    group_of = pd.Series(key_id[mask.to_numpy()], index=rows)
    members = pd.Series(rows, index=rows).groupby(group_of.to_numpy()).agg(tuple)
    partners = [
        tuple(r for r in members[g] if r != row)[:MAX_RELATED] for row, g in zip(rows, group_of.to_numpy(), strict=True)
    ]
    return mask, pd.Series(partners, index=rows, dtype=object)


def name_key(names: pd.Series, legal_forms: dict[str, tuple[str, ...]] | None = None) -> pd.Series:
    """Company names compared loosely: NFKC, case-folded, no whitespace or punctuation, legal forms unified.

    In pyarrow's RE2, column-wide: punctuation is `_PUNCTUATION_RE2` (Python's [\\W_]); the legal
    form ending a name is the longest spelling it ends with, cut off and replaced by its form's
    token: one `ends_with` per spelling, longest first, each on the names no longer one has taken."""
    import pyarrow as pa
    import pyarrow.compute as pc

    folded = casefold(nfkc(names))
    text = pa.array(folded.astype(TEXT).array, type=pa.large_string())
    key = pc.replace_substring_regex(text, _PUNCTUATION_RE2, "")
    variants: dict[str, str] = {}
    for i, (form, spellings) in enumerate((legal_forms or {}).items()):
        token = f"\x00{i}"  # cannot occur in a name once punctuation and control characters are gone
        for spelling in (form, *spellings):
            normal = re.sub(_PUNCTUATION, "", nfkc(pd.Series([spelling], dtype="str")).str.casefold().iloc[0])
            if normal:
                variants[normal] = token
    taken = np.zeros(len(key), dtype=bool)
    unified = key
    for spelling in sorted(variants, key=len, reverse=True):  # 股份有限公司 is taken whole before its tail 有限公司
        ends = np.asarray(pc.fill_null(pc.ends_with(key, spelling), False).to_numpy(zero_copy_only=False), dtype=bool) & ~taken
        if not ends.any():
            continue
        taken |= ends
        cut = pc.utf8_slice_codeunits(key.filter(pa.array(ends)), 0, -len(spelling))
        token = pa.scalar(variants[spelling], pa.large_string())
        unified = pc.replace_with_mask(unified, pa.array(ends), pc.binary_join_element_wise(cut, token, pa.scalar("", pa.large_string())))
    key = unified
    out = pd.Series(key.to_pandas(types_mapper={pa.large_string(): TEXT}.get).array, index=names.index, dtype=TEXT)
    return out.mask(out == "")


def _group_findings(key: pd.Series, code: pd.Series, field: str) -> pd.DataFrame:
    mask, partners = conflicting_groups(key, code)
    if not mask.any():
        return no_findings()
    return findings(mask, field, related_rows=partners)


# --- the engine forms: a GROUP BY of the normalised key and a semi-join back (checks/sql.py) --------


def _name_key_need(t: Target) -> Need:
    return Need(t.settings.field, "name_key", tuple(t.settings.legal_forms.items()))


def _same_name_sql(view, t: Target):
    n = _name_key_need(t)
    return sql.group_conflicts(view.table, [view.col(n.field, n.attr, n.param)], view.key)


# The name key (NFKC, punctuation, legal forms) is computed per distinct name, then grouped in the database.
SAME_NAME = in_sql(lambda t: [_name_key_need(t), Need(t.schema.key, "clean")], _same_name_sql, parses_in_python=True)


def _one_field_sql(view, t: Target):
    return sql.group_conflicts(view.table, [view.col(t.settings.field, "clean")], view.key)


ONE_FIELD = in_sql(lambda t: [Need(t.settings.field, "clean"), Need(t.schema.key, "clean")], _one_field_sql)


def _same_item_sql(view, t: Target):
    return sql.group_conflicts(view.table, [view.col(f, "item_part") for f in t.settings.fields], view.key)


SAME_ITEM = in_sql(lambda t: [*(Need(f, "item_part") for f in t.settings.fields), Need(t.schema.key, "clean")], _same_item_sql)


@record_rule("CUS002", "possible-duplicate-customer", Severity.WARNING, entity="customer", settings=SameName, key="duplicate_names",
             engine=SAME_NAME)
def possible_duplicate_customer(t: TableValues, ctx: CheckContext, setting: SameName) -> pd.DataFrame:
    """Customers under different codes whose names are equal after normalisation (spaces, punctuation, case, full-width, legal form).

    Why: one company entered twice splits its orders, credit limit and overdue balance over two records, and credit control fails.
    Bad: C000101 上海华东机电有限公司 and C000245 上海华东机电有限责任公司 (or 'Huadong Co., Ltd.' and 'HUADONG Company Limited').
    Good: one customer code per company; the other record is merged or deactivated.
    """
    key = name_key(t[setting.field].clean, dict(setting.legal_forms))
    return _group_findings(key, t.keys, setting.field)


@record_rule("CUS003", "uscc-under-two-customers", entity="customer", settings=OneField, key="one_code_per_uscc",
             engine=ONE_FIELD)
def uscc_under_two_customers(t: TableValues, ctx: CheckContext, setting: OneField) -> pd.DataFrame:
    """One unified social credit code appears under two or more customer codes.

    Why: a USCC identifies exactly one legal entity; two customer codes for it mean a duplicate customer or a copied tax id, and invoices go to the wrong company.
    Bad: uscc 91310000MA1FL4CT3U on C000101 and on C000245.
    Good: each USCC belongs to one customer code.
    """
    return _group_findings(t[setting.field].clean, t.keys, setting.field)


def item_key(t: TableValues, names: tuple[str, ...]) -> pd.Series:
    """The normalised identity of an item as one integer per row (enums by canonical value); NA if any part is empty.

    Each part is factorised on its own and the codes combined, which is much cheaper on a
    million rows than joining and hashing the texts.
    """
    combined = np.zeros(len(t.index), dtype=np.int64)
    missing = np.zeros(len(t.index), dtype=bool)
    for name in names:
        v = t[name]
        part = v.canonical.fillna(match_key(v.clean)) if v.spec.type == "enum" else match_key(v.clean)
        codes, uniques = pd.factorize(part)
        missing |= codes < 0
        # Re-factorise the pair so far: ids stay below the row count and can never overflow.
        combined, _ = pd.factorize(combined * (len(uniques) + 1) + codes + 1)
    return pd.Series(pd.array(combined, dtype="Int64"), index=t.index).mask(missing)


@record_rule("PRD003", "one-item-many-codes", entity="product", settings=SameItem, key="same_item", engine=SAME_ITEM)
def one_item_many_codes(t: TableValues, ctx: CheckContext, setting: SameItem) -> pd.DataFrame:
    """Products with the same name, specification and unit (after normalisation) carry different internal codes (一物多码).

    Why: one item under two codes splits its stock, cost and sales history; purchasing re-orders what is already on the shelf.
    Bad: FG000101 and FG000245 are both 六角螺栓 / M8×20 / PCS.
    Good: one internal code per item; the other code is blocked and its records moved.
    """
    return _group_findings(item_key(t, setting.fields), t.keys, t.schema.key)


@record_rule("SUP001", "possible-duplicate-supplier", Severity.WARNING, entity="supplier", settings=SameName, key="duplicate_names",
             engine=SAME_NAME)
def possible_duplicate_supplier(t: TableValues, ctx: CheckContext, setting: SameName) -> pd.DataFrame:
    """Suppliers under different codes whose names are equal after normalisation (spaces, punctuation, case, full-width, legal form).

    Why: one supplier entered twice splits purchases and payables, and a payment can go to the copy with the wrong bank account.
    Bad: S000101 山西好利阀机械制造有限公司 and S000245 山西好利阀机械制造有限责任公司.
    Good: one supplier code per company; the other record is merged or blocked.
    """
    return possible_duplicate_customer(t, ctx, setting)


@record_rule("SUP002", "uscc-under-two-suppliers", entity="supplier", settings=OneField, key="one_code_per_uscc", engine=ONE_FIELD)
def uscc_under_two_suppliers(t: TableValues, ctx: CheckContext, setting: OneField) -> pd.DataFrame:
    """One unified social credit code appears under two or more supplier codes.

    Why: a USCC identifies exactly one legal entity; two supplier codes for it mean a duplicate supplier, and payments can be split or doubled.
    Bad: uscc 91310000MA1FL4CT3U on S000101 and on S000245.
    Good: each USCC belongs to one supplier code.
    """
    return uscc_under_two_customers(t, ctx, setting)
