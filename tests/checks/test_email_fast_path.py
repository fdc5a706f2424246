"""IDN005 judges plain addresses in one RE2 pass: every address that pass accepts, email-validator
accepts too, and the rule's answer equals email-validator's on every address."""

from __future__ import annotations

import random

import pandas as pd

from dataquality.checks.identifiers import email_is_valid, plain_emails
from dataquality.load.table import TEXT

_LOCAL = "abcXYZ019._%+-"
_DOMAIN = "abcxyz09-."
_TLDS = ["com", "cn", "CO", "org", "test", "local", "c0m", "x", "onion", "localhost", "museum", "xn--fiqs8s"]


def _addresses(n: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _ in range(n):
        if rnd.random() < 0.5:  # well formed, then perhaps broken in one place
            word = lambda k: "".join(rnd.choice("abcxyz019") for _ in range(k))  # noqa: E731
            local = rnd.choice(["", ".", "_", "+", "-", "%"]).join(word(rnd.randint(1, 6)) for _ in range(rnd.randint(1, 3)))
            labels = [rnd.choice(["", "-"]).join(word(rnd.randint(1, 5)) for _ in range(rnd.randint(1, 2)))
                      for _ in range(rnd.randint(1, 3))]
        else:
            local = "".join(rnd.choice(_LOCAL) for _ in range(rnd.choice([0, 1, 3, 8, 64, 65])))
            labels = ["".join(rnd.choice(_DOMAIN) for _ in range(rnd.choice([0, 1, 2, 5, 63, 64])))
                      for _ in range(rnd.choice([1, 1, 2, 3]))]
        domain = ".".join([*labels, rnd.choice(_TLDS)])
        at = rnd.choice(["@", "@", "@", "@", "@", "@@", "", "＠"])
        out.append(local + at + domain + rnd.choice(["", "", "", " ", "."]))
    out += ["zhang.wei@example.com", "a@b.co", "a..b@x.com", ".a@x.com", "a.@x.com", "a@-x.com", "a@x-.com",
            "a@x..com", "a@xn--fiqs8s.cn", "user@sub.domain.cn", "A%B+c@X.COM", "a@b.local", "a@localhost",
            "a@x.test", "a@x.c", "a@1.2.3.4", "a" * 64 + "@x.com", "a" * 65 + "@x.com", "a@" + "b" * 250 + ".com"]
    return out


def test_every_plain_address_is_valid_for_email_validator() -> None:
    values = _addresses(4000, 11)
    plain = plain_emails(pd.Series(values, dtype=TEXT))
    assert plain.sum() > 200  # the generator reaches the fast path often
    wrongly = [v for v, p in zip(values, plain, strict=True) if p and not email_is_valid(v)]
    assert wrongly == []


def test_invalid_email_rule_equals_email_validator(config) -> None:
    from dataquality.checks.identifiers import invalid_email
    from dataquality.checks.values import FieldValues

    spec = next(f for s in config.schemas.values() for f in s.fields.values() if f.identifier == "email")
    values = [*_addresses(1500, 5), None, "  "]
    raw = pd.Series(values, dtype=TEXT, index=pd.RangeIndex(2, 2 + len(values)))
    v = FieldValues(spec, raw)
    got = invalid_email(v, None)
    want = pd.Series([bool(c is not pd.NA and c is not None and isinstance(c, str) and not email_is_valid(c))
                      for c in v.clean.astype(object).where(v.clean.notna(), None)], index=raw.index)
    assert got.tolist() == want.tolist()
