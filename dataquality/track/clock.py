"""The time of a run: injectable (tests and replays pass `now`; the CLI reads DQ_NOW), in the
project's time zone, because a working day is a day in China even when CI runs on UTC.
"""

from __future__ import annotations

import datetime as dt
import os
from functools import cache

from dataquality.errors import DQError

_FIXED = {"Asia/Shanghai": 8, "Asia/Chongqing": 8, "Asia/Hong_Kong": 8, "Asia/Taipei": 8, "UTC": 0}


@cache
def zone(name: str) -> dt.tzinfo:
    """The tzinfo for an IANA name; China's zones fall back to a fixed +08:00 (no DST) without tzdata."""
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    except ImportError:  # pragma: no cover - zoneinfo is in the standard library since 3.9
        pass
    if name in _FIXED:
        return dt.timezone(dt.timedelta(hours=_FIXED[name]), name)
    raise ValueError(name)


def parse_now(raw: str) -> dt.datetime:
    """An ISO date or date-time (DQ_NOW, --now); a bare date means 02:00 that night, as a nightly run."""
    try:
        if len(raw) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time(2, 0))
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        raise DQError("track.bad_now", value=raw) from None


def run_time(tz: str, now: dt.datetime | None = None) -> dt.datetime:
    """`now` (or the clock, or DQ_NOW) as an aware time in zone `tz`; naive times are taken as local to `tz`."""
    if now is None and os.environ.get("DQ_NOW"):
        now = parse_now(os.environ["DQ_NOW"])
    if now is None:
        now = dt.datetime.now(dt.UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=zone(tz))
    return now.astimezone(zone(tz)).replace(microsecond=0)


def iso(ts: dt.datetime) -> str:
    """The text form stored in the database and shown in reports."""
    return ts.isoformat(timespec="seconds")


def day_of(stamp: str) -> dt.date:
    """The local date of a stored timestamp (its own offset, i.e. the day a person saw)."""
    return dt.datetime.fromisoformat(stamp).date()
