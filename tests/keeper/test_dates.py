"""Dates: aware instants; day arithmetic on the carrier's wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, strategies as st
import pytest

from custom_components.esim_keeper.keeper.dates import (
    add_days,
    days_between,
    local_date,
    require_aware,
    start_of_day,
    zone,
)
from custom_components.esim_keeper.keeper.errors import (
    DateRangeError,
    InvalidPlanError,
    NaiveDatetimeError,
)
from tests.keeper.strategies import instants, zones

NY = zone("America/New_York")


def test_require_aware() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert require_aware(now) is now
    with pytest.raises(NaiveDatetimeError) as err:
        require_aware(datetime(2026, 1, 1))  # noqa: DTZ001
    assert err.value.key == "naive_datetime"
    with pytest.raises(NaiveDatetimeError):
        require_aware(date(2026, 1, 1))  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "America/", "../etc", "a\x00b", 5, None, []])
def test_zone_refuses(name: object) -> None:
    with pytest.raises(InvalidPlanError):
        zone(name)


def test_zone_accepts_and_caches() -> None:
    assert zone("Europe/London") is zone("Europe/London")
    assert isinstance(zone("UTC"), ZoneInfo)


def test_add_days_keeps_wall_time_across_dst() -> None:
    start = datetime(2026, 3, 1, 9, 0, tzinfo=NY)  # EST
    end = add_days(start, 30, NY)
    assert end.tzinfo is UTC
    local = end.astimezone(NY)  # EDT now
    assert (local.date(), local.time()) == (date(2026, 3, 31), time(9, 0))
    assert end - start == timedelta(days=30) - timedelta(hours=1)


def test_add_days_month_end_and_leap_day() -> None:
    start = datetime(2028, 1, 31, 12, tzinfo=UTC)
    assert add_days(start, 30, zone("UTC")) == datetime(2028, 3, 1, 12, tzinfo=UTC)
    assert add_days(datetime(2028, 2, 28, tzinfo=UTC), 1, zone("UTC")).day == 29


def test_add_days_into_a_dst_gap_moves_forward() -> None:
    start = datetime(2026, 3, 7, 2, 30, tzinfo=NY)
    landed = add_days(start, 1, NY).astimezone(NY)  # 2026-03-08 02:30 does not exist
    assert (landed.date(), landed.time()) == (date(2026, 3, 8), time(3, 30))


def test_add_days_keeps_the_fold_of_an_ambiguous_start() -> None:
    second = datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=NY)  # the EST 01:30
    # Compare in UTC: Python never calls a fold=1 time equal to a time in another zone.
    assert (
        add_days(second, 0, NY)
        == second.astimezone(UTC)
        == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    )


def test_add_days_refuses_bad_input() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(InvalidPlanError):
        add_days(now, days=True, tz=NY)
    with pytest.raises(NaiveDatetimeError):
        add_days(datetime(2026, 1, 1), 1, NY)  # noqa: DTZ001
    with pytest.raises(DateRangeError) as err:
        add_days(datetime(9999, 12, 1, tzinfo=UTC), 60, NY)
    assert err.value.key == "date_out_of_range"


def test_start_of_day_and_local_date() -> None:
    assert start_of_day(date(2026, 7, 4), NY) == datetime(2026, 7, 4, 4, tzinfo=UTC)
    assert local_date(datetime(2026, 7, 4, 3, tzinfo=UTC), NY) == date(2026, 7, 3)
    with pytest.raises(InvalidPlanError):
        start_of_day(datetime(2026, 7, 4, tzinfo=UTC), NY)


def test_days_between_counts_calendar_days() -> None:
    now = datetime(2026, 7, 4, 23, tzinfo=NY)
    assert days_between(now, datetime(2026, 7, 5, 1, tzinfo=NY), NY) == 1
    assert days_between(now, datetime(2026, 7, 1, tzinfo=NY), NY) == -3


@given(instants, st.integers(min_value=-800, max_value=800), zones)
def test_add_days_exact_day_count_and_wall_time(start: datetime, days: int, name: str) -> None:
    tz = zone(name)
    end = add_days(start, days, tz)
    assert local_date(end, tz) - local_date(start, tz) == timedelta(days=days)
    wall_start = start.astimezone(tz).time()
    wall_end = end.astimezone(tz).time()
    if wall_end != wall_start:
        # Only a DST gap moves the wall time, forward by the gap (an hour here, or less).
        moved = datetime.combine(date.min, wall_end) - datetime.combine(date.min, wall_start)
        assert timedelta(0) < moved <= timedelta(hours=1)
        assert tz.utcoffset(end.astimezone(tz).replace(tzinfo=None)) is not None


@given(instants, st.integers(min_value=-400, max_value=400), zones)
def test_add_days_round_trips(start: datetime, days: int, name: str) -> None:
    tz = zone(name)
    there = add_days(start, days, tz)
    if there.astimezone(tz).time() == start.astimezone(tz).time():
        assert add_days(there, -days, tz) == start


@given(instants, st.integers(min_value=0, max_value=400), zones)
def test_days_between_inverts_add_days(start: datetime, days: int, name: str) -> None:
    tz = zone(name)
    assert days_between(start, add_days(start, days, tz), tz) == days
