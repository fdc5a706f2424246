"""The password policy (approve/passwords.py) on its own: why a password is refused, in both languages."""

from __future__ import annotations

import pytest

from dataquality.approve.passwords import check_password


def test_the_policy_says_why_in_both_languages() -> None:
    for password, words in (("aaaaaaaaaa", "too easy to guess"), ("password123", "most common"), ("x" * 5, "at least 10"),
                            ("y" * 2000, "at most 1024")):
        with pytest.raises(Exception) as err:
            check_password(password)
        assert words in err.value.message("en") and err.value.message("zh") != err.value.message("en")
    check_password("correct horse battery")
    check_password("平安 喜乐 早点 回家 吧")
