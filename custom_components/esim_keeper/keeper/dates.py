"""Date helpers: instants are timezone-aware; day arithmetic follows the carrier's wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import InvalidPlanError, NaiveDatetimeError


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` if it carries a timezone, else raise NaiveDatetimeError."""
    if not isinstance(value, datetime):
        raise NaiveDatetimeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{what} has no timezone; give an aware datetime")
    return value


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; InvalidPlanError when it does not exist."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InvalidPlanError(f"{str(name)[:64]!r} is not a timezone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidPlanError(f"unknown timezone {name!r}") from err


def add_days(instant: datetime, days: int, tz: ZoneInfo) -> datetime:
    """``instant`` plus ``days`` calendar days on the carrier's wall clock.

    A 30-day cycle that starts at 09:00 local time ends at 09:00 local time, across DST changes,
    month ends and leap days. The result is in UTC. A wall time that does not exist (spring forward)
    resolves with fold=0, i.e. to the later UTC instant of the two offsets.
    """
    local = require_aware(instant).astimezone(tz)
    moved = datetime.combine(
        local.date() + timedelta(days=days), local.timetz().replace(tzinfo=None)
    )
    result = moved.replace(tzinfo=tz)
    # Normalise a non-existent local time by a round trip through UTC.
    return result.astimezone(UTC)


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of ``day`` in ``tz`` (UTC). Carriers' plain dates mean this instant."""
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The calendar date of ``instant`` on the carrier's wall clock."""
    return require_aware(instant).astimezone(tz).date()


def days_between(now: datetime, later: datetime, tz: ZoneInfo) -> int:
    """Whole calendar days from ``now`` to ``later`` on the carrier's clock (negative if past)."""
    return (local_date(later, tz) - local_date(now, tz)).days
