"""Reminder instants and calendar events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from custom_components.esim_keeper.keeper.dates import add_days, zone
from custom_components.esim_keeper.keeper.deadlines import (
    MAX_LEAD_DAYS,
    MAX_LEADS,
    DeadlineEvent,
    DeadlineKind,
    check_lead_days,
    deadline_events,
    next_reminder,
    parse_lead_days,
    reminder_instants,
)
from custom_components.esim_keeper.keeper.errors import (
    InvalidLeadDaysError,
    InvalidPlanError,
    NaiveDatetimeError,
)
from custom_components.esim_keeper.keeper.lifecycle import compute_status
from custom_components.esim_keeper.keeper.model import LineSnapshot, PlanRules
from tests.keeper.strategies import usd

NY = zone("America/New_York")
DEADLINE = datetime(2026, 3, 10, 13, 0, tzinfo=UTC)  # 09:00 EDT, two days after DST starts


def test_reminders_keep_the_carrier_wall_time() -> None:
    got = reminder_instants(DEADLINE, [7, 1, 0, 7], NY)
    assert got == [
        datetime(2026, 3, 3, 14, 0, tzinfo=UTC),  # 09:00 EST
        datetime(2026, 3, 9, 13, 0, tzinfo=UTC),
        DEADLINE,
    ]
    assert reminder_instants(DEADLINE, [], "America/New_York") == []
    assert reminder_instants(DEADLINE, (30,), "UTC") == [DEADLINE - timedelta(days=30)]


@pytest.mark.parametrize(
    "leads", [[-1], [1.5], [True], ["7"], [MAX_LEAD_DAYS + 1], "7", list(range(MAX_LEADS + 1)), 7]
)
def test_bad_leads_are_typed_errors(leads: object) -> None:
    with pytest.raises(InvalidLeadDaysError) as err:
        reminder_instants(DEADLINE, leads, NY)  # type: ignore[arg-type]
    assert err.value.key == "invalid_lead_days"


def test_reminders_validate_deadline_and_zone() -> None:
    with pytest.raises(NaiveDatetimeError):
        reminder_instants(datetime(2026, 1, 1), [1], NY)  # noqa: DTZ001
    with pytest.raises(InvalidPlanError):
        reminder_instants(DEADLINE, [1], "Atlantis/Capital")


def test_check_and_parse_lead_days() -> None:
    assert check_lead_days([1, 30, 7, 30]) == (30, 7, 1)
    assert parse_lead_days("30, 7,1,") == (30, 7, 1)
    assert parse_lead_days(" 0 ") == (0,)
    for bad in ("", "a", "7;1", "-1", "1.5", "99999", ",", None):
        with pytest.raises(InvalidLeadDaysError):
            parse_lead_days(bad)  # type: ignore[arg-type]


def test_next_reminder() -> None:
    before = datetime(2026, 3, 1, tzinfo=UTC)
    assert next_reminder(DEADLINE, [7, 1], NY, before) == datetime(2026, 3, 3, 14, tzinfo=UTC)
    assert next_reminder(DEADLINE, [7, 1], NY, DEADLINE) is None
    with pytest.raises(NaiveDatetimeError):
        next_reminder(DEADLINE, [7], NY, datetime(2026, 1, 1))  # noqa: DTZ001


def _status(**kwargs: object) -> tuple[PlanRules, object]:
    plan = PlanRules(30, usd("3"), grace_days=30, activity_days=90)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    snap = LineSnapshot("l1", "+12025550101", **kwargs)  # type: ignore[arg-type]
    return plan, compute_status(snap, plan, now)


def test_events_for_a_fully_known_line() -> None:
    plan, status = _status(
        balance=usd("3"),
        plan_expiry=datetime(2026, 3, 20, 4, tzinfo=UTC),  # 00:00 EDT
        last_activity=datetime(2026, 1, 1, tzinfo=UTC),
    )
    events = deadline_events(status, plan.tz, line_id="l1")  # type: ignore[arg-type]
    assert [e.kind for e in events] == [
        DeadlineKind.PLAN_EXPIRY,
        DeadlineKind.ACTIVITY_DEADLINE,
        DeadlineKind.FUNDED_UNTIL,
        DeadlineKind.LOSS_DATE,
    ]
    expiry = events[0]
    assert expiry.day == date(2026, 3, 20)
    assert expiry.end - expiry.start == timedelta(hours=1)
    assert expiry.uid == "l1:plan_expiry:2026-03-20T04:00:00+00:00"
    assert not expiry.critical
    assert events[1].critical
    assert events[3].critical
    assert events[2].start == events[3].start == add_days(expiry.start, 30, plan.tz)


def test_events_skip_unknown_and_order_ties() -> None:
    _, status = _status()
    assert deadline_events(status, "UTC") == []  # type: ignore[arg-type]
    plan, broke = _status(balance=usd("0"), plan_expiry=datetime(2026, 3, 20, tzinfo=UTC))
    kinds = [e.kind for e in deadline_events(broke, plan.tz)]  # type: ignore[arg-type]
    # Funded-until equals the expiry (no renewal paid); the more final kind comes last.
    assert kinds == [DeadlineKind.FUNDED_UNTIL, DeadlineKind.PLAN_EXPIRY, DeadlineKind.LOSS_DATE]


def test_events_validate_duration() -> None:
    _, status = _status()
    for bad in (timedelta(0), timedelta(hours=-1), 3600):
        with pytest.raises(InvalidLeadDaysError):
            deadline_events(status, "UTC", duration=bad)  # type: ignore[arg-type]


def test_event_is_frozen() -> None:
    event = DeadlineEvent(DeadlineKind.LOSS_DATE, DEADLINE, DEADLINE, DEADLINE.date())
    with pytest.raises(AttributeError):
        event.kind = DeadlineKind.PLAN_EXPIRY  # type: ignore[misc]
    assert event.line_id == ""
