"""Scheduled auto-renew keeps the plan covered: walks over two years of polls.

The carrier in these walks renews as prepaid carriers do: a payment adds one cycle to the expiry,
counted from the expiry when paid on time and from the payment when late. A lapse is a poll that
finds the plan already expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.esim_keeper.keeper.dates import add_days, local_date, start_of_day
from custom_components.esim_keeper.keeper.lifecycle import compute_status
from custom_components.esim_keeper.keeper.model import LineSnapshot, LineStatus, PlanRules
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.renewals import auto_renew_due, scheduled_instants

from .strategies import instants

START = datetime(2026, 1, 1, 5, 0, tzinfo=UTC)  # midnight in New York
TWO_YEARS = timedelta(days=730)


def plan(cycle_days: int = 30) -> PlanRules:
    return PlanRules(cycle_days, Money(Decimal("5.00"), "USD"), grace_days=3)


def line_status(expiry: datetime, rules: PlanRules, now: datetime) -> LineStatus:
    # The carrier charges a card: no wallet balance to fund renewals.
    return compute_status(LineSnapshot("l1", "+12025550101", plan_expiry=expiry), rules, now)


def horizon(now: datetime, day: int, rules: PlanRules) -> datetime:
    """Return the end of the next scheduled day: what a scheduled renewal covers up to."""
    _, upcoming = scheduled_instants(now, day, rules)
    return start_of_day(local_date(upcoming, rules.tz) + timedelta(days=1), rules.tz)


@dataclass
class Walk:
    renewals: int = 0
    lapses: int = 0
    early: int = 0  # payments made while the plan was already covered past the horizon
    expiry: datetime = START


def walk(day: int, first_expiry: datetime, rules: PlanRules, polls: list[datetime]) -> Walk:
    """Poll at each instant of ``polls``; pay (possibly more than once) whenever due."""
    result = Walk(expiry=first_expiry)
    last_success: datetime | None = None
    for now in polls:
        if now >= result.expiry and (result.renewals or first_expiry > polls[0]):
            result.lapses += 1
        for _ in range(5):
            current = line_status(result.expiry, rules, now)
            if not auto_renew_due(
                "scheduled",
                current,
                rules,
                now,
                days_before=0,
                day_of_month=day,
                last_success=last_success,
            ):
                break
            if result.expiry >= horizon(now, day, rules):
                result.early += 1
            result.expiry = add_days(max(result.expiry, now), rules.cycle_days, rules.tz)
            last_success = now
            result.renewals += 1
        else:
            pytest.fail("still due after five renewals at one poll")
    return result


def hourly(start: datetime, span: timedelta) -> list[datetime]:
    return [start + timedelta(hours=h) for h in range(int(span / timedelta(hours=1)))]


def daily(start: datetime, span: timedelta, rules: PlanRules) -> list[datetime]:
    """One poll per day at the same wall time on the carrier's clock."""
    return [add_days(start, d, rules.tz) for d in range(span.days)]


@pytest.mark.parametrize("day", [1, 15, 28])
@pytest.mark.parametrize("offset", [timedelta(hours=1, minutes=30), timedelta(days=9, hours=14)])
def test_two_years_hourly_never_lapse(day: int, offset: timedelta) -> None:
    """Hour by hour for two years across DST (New York): about 24.3 renewals, no lapse."""
    rules = plan()
    first = START + offset
    result = walk(day, first, rules, hourly(START + timedelta(minutes=17), TWO_YEARS))
    assert result.lapses == 0
    assert result.early == 0
    # Every renewal was on time: the expiry moved by exactly one cycle per renewal.
    assert result.expiry == add_days(first, 30 * result.renewals, rules.tz)
    assert 24 <= result.renewals <= 26  # 730 / 30 = 24.3, plus what the last month needs
    assert result.expiry > START + TWO_YEARS


@pytest.mark.parametrize("day", [3, 26])
@pytest.mark.parametrize("poll_at", [time(0, 5), time(13, 0), time(23, 55)])
def test_two_years_daily_polls_cover_an_expiry_on_the_scheduled_day(
    day: int, poll_at: time
) -> None:
    """Polled once a day at a fixed time; the expiry (09:00) falls on day D in some months.

    Paying on day D only for expiries before day D of next month would leave such an expiry to
    the poll of that day, hours after the plan ended: counting the whole day prevents that.
    """
    rules = plan()
    first_poll = datetime.combine(local_date(START, rules.tz), poll_at, tzinfo=rules.tz)
    first = datetime.combine(
        local_date(START, rules.tz) + timedelta(days=day + 1), time(9), tzinfo=rules.tz
    )
    result = walk(day, first, rules, daily(first_poll, TWO_YEARS, rules))
    assert result.lapses == 0
    assert result.early == 0
    assert 24 <= result.renewals <= 26


def test_a_number_already_expired_is_renewed_at_once_then_kept() -> None:
    rules = plan()
    first = START - timedelta(days=2)  # in grace when scheduling starts
    result = walk(10, first, rules, hourly(START, TWO_YEARS))
    assert result.lapses == 0
    assert 24 <= result.renewals <= 26


@settings(max_examples=40, deadline=None)
@given(
    day=st.integers(min_value=1, max_value=28),
    cycle=st.integers(min_value=28, max_value=31),
    first_minutes=st.integers(min_value=1, max_value=60 * 24 * 60),
    poll_minutes=st.integers(min_value=0, max_value=24 * 60 - 1),
    zone=st.sampled_from(["America/New_York", "America/Los_Angeles", "UTC"]),
)
def test_scheduled_never_lapses_and_never_pays_ahead(
    day: int, cycle: int, first_minutes: int, poll_minutes: int, zone: str
) -> None:
    """Random day, first expiry (up to 60 days out), cycle of 28-31 days, daily poll time."""
    rules = PlanRules(cycle, Money(Decimal("5.00"), "USD"), grace_days=3, timezone=zone)
    first_poll = start_of_day(local_date(START, rules.tz), rules.tz) + timedelta(
        minutes=poll_minutes
    )
    first = first_poll + timedelta(minutes=first_minutes)
    result = walk(day, first, rules, daily(first_poll, timedelta(days=400), rules))
    assert result.lapses == 0
    assert result.early == 0
    assert result.expiry == add_days(first, cycle * result.renewals, rules.tz)


@settings(max_examples=200, deadline=None)
@given(
    now=instants,
    day=st.integers(min_value=1, max_value=28),
    extra_minutes=st.integers(min_value=0, max_value=60 * 24 * 400),
)
def test_scheduled_never_pays_when_covered_past_the_next_day(
    now: datetime, day: int, extra_minutes: int
) -> None:
    rules = plan()
    expiry = horizon(now, day, rules) + timedelta(minutes=extra_minutes)
    current = line_status(expiry, rules, now)
    assert not auto_renew_due(
        "scheduled", current, rules, now, days_before=0, day_of_month=day, last_success=None
    )


@settings(max_examples=200, deadline=None)
@given(now=instants, day=st.integers(min_value=1, max_value=28))
def test_scheduled_instants_bracket_now(now: datetime, day: int) -> None:
    rules = plan()
    prev, upcoming = scheduled_instants(now, day, rules)
    assert prev <= now < upcoming
    assert local_date(prev, rules.tz).day == day == local_date(upcoming, rules.tz).day
    assert 28 <= (local_date(upcoming, rules.tz) - local_date(prev, rules.tz)).days <= 31
