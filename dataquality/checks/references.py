"""Reference rules (REF): a value must be one of a reference list (staff, departments, provinces).

Lists come from rules/*.yaml or a workbook sheet (`dq validate --reference staff=FILE.xlsx#Sheet`);
a name matches after NFKC, case-folding and removing whitespace, and aliases are accepted.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from dataquality.checks.forms import per_cell
from dataquality.checks.registry import field_rule
from dataquality.checks.values import FieldValues, TableValues
from dataquality.config import EntitySchema, FieldSpec
from dataquality.i18n import has, text


def list_label(name: str) -> dict[str, str]:
    """The display name of a reference list in both languages (the list's own name when unknown)."""
    key = f"references.lists.{name}"
    if has(key):
        return {"en": text(key, "en"), "zh": text(key, "zh")}
    return {"en": name, "zh": name}


def _params(spec: FieldSpec, schema: EntitySchema | None = None) -> dict:
    return {"labels": dict(spec.labels), "list": list_label(spec.reference or "")}


@field_rule("REF001", "not-in-reference-list", applies=lambda f: f.reference is not None, params=_params,
            convention="rules/{reference}.yaml", key="region_of", settings=str, engine=per_cell())
def not_in_reference_list(v: FieldValues, t: TableValues) -> pd.Series:
    """A value is not in its reference list: a salesperson not on the staff list, an unknown department or province.

    A field with `region_of: country` (the province) is a region of the record's country: on a
    record of another country, any of that country's ISO 3166-2 subdivisions (name or code) is right.

    Why: an order booked to a salesperson who has left, or a department that does not exist, is never followed up and breaks commission and cost reports.
    Bad: salesperson = 张三 (not in the staff list); province = 江南省.
    Good: salesperson = 张伟; department = 销售部 (or Sales); province = 上海 (or 上海市); state = WA for a customer in the USA.
    """
    # Config.load has checked that the list exists, so an unknown name here is a real finding.
    failing = (v.present & v.referenced.isna()).astype(bool)
    country_field = v.spec.settings.get("region_of")
    if failing.any() and country_field and t.has(country_field):
        failing &= ~_region_of_another_country(v.clean, t[country_field].raw, failing)
    return failing


def _region_of_another_country(values: pd.Series, countries: pd.Series, rows: pd.Series) -> pd.Series:
    """Where the row's country is not China and the value names one of its subdivisions; each
    distinct (country, value) pair is looked up once."""
    from dataquality.checks.countries import country_codes

    at = rows.to_numpy(dtype=bool)
    pairs = pd.DataFrame({"country": country_codes(countries[at]).astype(object), "value": values[at].astype(object)})
    known = {(c, x): _is_subdivision(c, x) for c, x in pairs.drop_duplicates().itertuples(index=False)
             if isinstance(c, str) and c != "CN" and isinstance(x, str)}
    ok = pd.Series(False, index=values.index)
    ok[at] = [known.get((c, x), False) for c, x in pairs.itertuples(index=False)]
    return ok


def _key(text: str) -> str:
    """A region name as compared: accents, case, dots and a leading 'Co.', 'County', 'State of' left out."""
    import unicodedata

    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    plain = " ".join(plain.replace(".", " ").split()).casefold()
    return re.sub(r"^(?:co|county|state of|province of|region of|region de|departement de)\s+", "", plain)


@functools.lru_cache(maxsize=256)
def _subdivisions(country: str) -> frozenset[str]:
    """The names and codes (US-WA and WA) of a country's ISO 3166-2 subdivisions, as compared."""
    import pycountry

    out: set[str] = set()
    for sub in pycountry.subdivisions.get(country_code=country) or []:
        out.update({_key(sub.name), _key(sub.code), _key(sub.code.split("-", 1)[1])})
    return frozenset(out)


def _is_subdivision(country: str, value: str) -> bool:
    known = _subdivisions(country)
    return _key(value) in known or _key(value.replace(".", "")) in known  # D.C. is DC
