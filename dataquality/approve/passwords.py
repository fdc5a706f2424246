"""The password policy: what an account's password must be, wherever one is set (CLI or web).

Long enough (MIN_LENGTH), not absurdly long (MAX_LENGTH: argon2 hashes anything, but a password
is no place for a document), not one of the 30,000 most common passwords (zxcvbn's list, taken
from leaked password sets), and not guessable in a few million tries by zxcvbn's estimate, which
also catches repeats (`aaaaaaaaaa`), keyboard walks, sequences, dates and the person's own name
or staff id.
"""

from __future__ import annotations

from collections.abc import Sequence

from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from dataquality.errors import DQError

MIN_LENGTH = 10
MAX_LENGTH = 1024
# zxcvbn's scale: 3 = "safely unguessable: moderate protection from an offline slow-hash scenario"
# (at least 10^8 guesses), what a password behind argon2 and sign-in throttling needs.
MIN_SCORE = 3
_ESTIMATED_CHARS = 100  # zxcvbn's work grows fast with length; the first 100 characters tell enough
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


class PasswordRefused(DQError):
    """A password the policy refuses (too short, common, or easy to guess)."""


def check_password(password: str | None, context: Sequence[str] = ()) -> None:
    """Refuse a password the policy does not allow; `context`: words a guesser would try first (the
    person's name and staff id)."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        raise PasswordRefused("password.too_short", n=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        raise PasswordRefused("password.too_long", n=MAX_LENGTH)
    folded = password.strip().casefold()
    if folded in _COMMON or folded.replace(" ", "") in _COMMON:
        raise PasswordRefused("password.common")
    words = [w for w in context if w]
    estimate = zxcvbn(password[:_ESTIMATED_CHARS], user_inputs=[*words, "dq", "dataquality"])
    if estimate["score"] < MIN_SCORE:
        raise PasswordRefused("password.guessable")
