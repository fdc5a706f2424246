"""Countries as people write them in a master, in English and Chinese, to ISO 3166 codes.

The names come from a maintained source, never typed here: pycountry (ISO 3166-1 codes, the ISO
English short, official and common names, and their Chinese from Debian's iso-codes translations,
zh_CN and zh_TW). Only the forms people write that the standard spells otherwise are listed
below (UK, Russia, 中国大陆, 台湾地区). A value is matched after NFKC, case-folding and removing
spaces and punctuation, so 'U.S.A.', 'usa' and 'USA' are one name; '+86' (a country calling code)
is a country too.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import pandas as pd

from dataquality.checks.values import text_per_distinct

# Forms people write that ISO spells otherwise (each checked against pycountry's codes by a test).
_COLLOQUIAL = {
    "UK": "GB", "Great Britain": "GB", "Britain": "GB", "England": "GB", "Scotland": "GB", "Wales": "GB",
    "Northern Ireland": "GB", "Holland": "NL", "Korea": "KR", "Czech Republic": "CZ", "Turkey": "TR", "Russia": "RU",
    "Brunei": "BN", "Cape Verde": "CV", "Macedonia": "MK", "Palestine": "PS", "Swaziland": "SZ", "Vatican": "VA",
    "Micronesia": "FM", "Reunion": "RE",
    "中国大陆": "CN", "大陆": "CN", "中国内地": "CN", "内地": "CN", "中华人民共和国": "CN",
    "中国香港": "HK", "香港特区": "HK", "中国澳门": "MO", "澳门特区": "MO", "中国台湾": "TW", "台湾": "TW", "台灣": "TW",
    "台湾地区": "TW", "阿拉伯联合酋长国": "AE", "捷克共和国": "CZ", "危地马拉": "GT", "马耳他": "MT", "波黑": "BA",
    "塞拉里昂": "SL", "特立尼达和多巴哥": "TT", "俄国": "RU",
}
_PUNCTUATION = re.compile(r"[\W_]+")


def country_key(text: str) -> str:
    """How a country name is matched: NFKC, case-folded, without spaces and punctuation."""
    return _PUNCTUATION.sub("", unicodedata.normalize("NFKC", text).casefold())


@cache
def _tables() -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(country key -> ISO alpha-2, ISO alpha-2 -> {en, zh} display name)."""
    import gettext

    import pycountry

    translations = {}
    for lang in ("zh_CN", "zh_TW"):
        try:
            translations[lang] = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
        except OSError:  # a pycountry without that translation: the English names still match
            continue
    index: dict[str, str] = {}
    shown: dict[str, dict[str, str]] = {}

    def add(name: str | None, code: str) -> None:
        if name:
            index.setdefault(country_key(name), code)  # an earlier (more official) name wins a clash

    countries = list(pycountry.countries)
    for c in countries:  # codes first: 'CN' and 'CHN' are never someone's name
        add(c.alpha_2, c.alpha_2)
        add(c.alpha_3, c.alpha_2)
    for c in countries:
        names = [n for n in (getattr(c, "common_name", None), c.name, getattr(c, "official_name", None)) if n]
        chinese = translations["zh_CN"].gettext(names[0]) if "zh_CN" in translations else names[0]
        shown[c.alpha_2] = {"en": names[0], "zh": chinese}
        for name in names:
            add(name, c.alpha_2)
            for t in translations.values():
                add(t.gettext(name), c.alpha_2)
    for name, code in _COLLOQUIAL.items():
        add(name, code)
    return index, shown


def country_code(text: str) -> str | None:
    """The ISO 3166-1 alpha-2 code of a written country ('美国', 'USA', 'United States', '+1'); None when unknown."""
    written = unicodedata.normalize("NFKC", text).strip()
    calling = re.fullmatch(r"\+\s*([0-9]{1,3})", written)
    if calling:
        import phonenumbers

        region = phonenumbers.region_code_for_country_code(int(calling.group(1)))
        return None if region == "ZZ" else region
    return _tables()[0].get(country_key(written))


def country_codes(values: pd.Series) -> pd.Series:
    """country_code of every cell, worked out once per distinct value (NA where empty or unknown)."""
    return text_per_distinct(values, lambda distinct: [country_code(x) for x in distinct.tolist()])


def country_name(code: str) -> dict[str, str]:
    """{en, zh} display name of an ISO alpha-2 code (the code itself when unknown)."""
    return dict(_tables()[1].get(code, {"en": code, "zh": code}))
