"""Countries as people write them (checks/countries.py): ISO codes and English and Chinese names from pycountry."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pycountry
import pytest

from dataquality.checks.countries import _COLLOQUIAL, country_code, country_codes, country_name
from dataquality.load.table import TEXT


@pytest.mark.parametrize(("text", "code"), [
    ("US", "US"), ("usa", "US"), ("U.S.A.", "US"), ("United States", "US"), ("United States of America", "US"), ("美国", "US"),
    ("美國", "US"), ("+1", "US"), ("CN", "CN"), ("中国", "CN"), ("中国大陆", "CN"), ("+86", "CN"), ("ＣＮ", "CN"),
    ("South Korea", "KR"), ("Korea, Republic of", "KR"), ("韩国", "KR"), ("大韩民国", "KR"), ("Germany", "DE"), ("德国", "DE"),
    ("DEU", "DE"), ("UK", "GB"), ("英国", "GB"), ("Viet Nam", "VN"), ("Vietnam", "VN"), ("越南", "VN"), ("Russia", "RU"),
    ("俄罗斯", "RU"), ("台湾", "TW"), ("中国香港", "HK"), ("Hong Kong", "HK"), ("阿联酋", "AE"), (" japan ", "JP"),
])
def test_country_names_and_codes(text: str, code: str) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize("text", ["Amerika", "华东区", "67000", "+999", "", "Europe"])
def test_not_a_country(text: str) -> None:
    assert country_code(text) is None


def test_the_colloquial_forms_name_real_codes_and_every_country_has_both_names() -> None:
    codes = {c.alpha_2 for c in pycountry.countries}
    assert set(_COLLOQUIAL.values()) <= codes
    for code in codes:
        name = country_name(code)
        assert name["en"] and name["zh"], code
    assert country_name("CN") == {"en": "China", "zh": "中国"} and country_name("US") == {"en": "United States", "zh": "美国"}


def test_worked_out_once_per_distinct_value() -> None:
    got = country_codes(pd.Series(["美国", None, "美国", "xx", "DE"] * 1000, dtype=TEXT))
    assert got.iloc[:5].tolist()[0] == "US" and pd.isna(got.iloc[1]) and pd.isna(got.iloc[3]) and got.iloc[4] == "DE"


def test_reading_countries_does_not_load_phonenumbers_locale_tables() -> None:
    # phonenumbers' own region names (its geodata.locale module) take about 100 MB: dq never needs them.
    code = ("import sys; from dataquality.checks.countries import country_code, country_name;"
            "country_code('美国'); country_name('US'); print('phonenumbers.geodata.locale' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
