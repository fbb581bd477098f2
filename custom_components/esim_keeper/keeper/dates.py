"""Date helpers: instants are timezone-aware; day arithmetic follows the carrier's wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import DateRangeError, InvalidPlanError, NaiveDatetimeError


def require_aware(value: datetime, what: str = "datetime") -> datetime:
    """Return ``value`` if it carries a timezone, else raise NaiveDatetimeError."""
    if not isinstance(value, datetime):
        raise NaiveDatetimeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{what} has no timezone; give an aware datetime")
    return value


def zone(name: object) -> ZoneInfo:
    """Return the IANA zone ``name``; InvalidPlanError when it is not a known zone name."""
    if not isinstance(name, str) or not name or len(name) > 64:
        raise InvalidPlanError(f"{str(name)[:64]!r} is not a timezone name")
    return _zone(str(name))


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise InvalidPlanError(f"unknown timezone {name!r}") from err


def _whole_days(days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int):
        raise InvalidPlanError(f"days must be a whole number, not {type(days).__name__}")
    return days


def add_days(instant: datetime, days: int, tz: ZoneInfo) -> datetime:
    """``instant`` plus ``days`` calendar days on the carrier's wall clock.

    A 30-day cycle that starts at 09:00 local time ends at 09:00 local time, across DST changes,
    month ends and leap days. The result is in UTC. A wall time that does not exist (spring forward)
    resolves to the later UTC instant of the two offsets (02:30 becomes 03:30); a wall time that
    occurs twice (fall back) keeps the start's fold, so adding 0 days changes nothing.
    DateRangeError when the result falls outside the years a datetime can hold.
    """
    require_aware(instant)
    count = _whole_days(days)
    try:
        local = instant.astimezone(tz)
        moved = datetime.combine(local.date() + timedelta(days=count), local.time())
        # local.time() carries the fold; the UTC round trip normalises a non-existent wall time.
        return moved.replace(tzinfo=tz).astimezone(UTC)
    except OverflowError as err:
        raise DateRangeError(f"{days} days from {instant.isoformat()} is out of range") from err


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    """Return the first instant of ``day`` in ``tz`` (UTC).

    Carriers' plain dates mean this instant.
    """
    if isinstance(day, datetime) or not isinstance(day, date):
        raise InvalidPlanError("a plain carrier date must be a date, not a datetime")
    return datetime.combine(day, time(0, 0), tzinfo=tz).astimezone(UTC)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """Return the calendar date of ``instant`` on the carrier's wall clock."""
    return require_aware(instant).astimezone(tz).date()


def days_between(now: datetime, later: datetime, tz: ZoneInfo) -> int:
    """Whole calendar days from ``now`` to ``later`` on the carrier's clock (negative if past)."""
    return (local_date(later, tz) - local_date(now, tz)).days
