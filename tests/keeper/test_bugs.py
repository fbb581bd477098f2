"""Regression tests for bugs found while reviewing the keeper core (written before the fixes)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.dates import add_days, local_date, start_of_day, zone
from custom_components.esim_keeper.keeper.errors import KeeperError
from custom_components.esim_keeper.keeper.lifecycle import Ledger, compute_status, project_ledger
from custom_components.esim_keeper.keeper.model import (
    LineSnapshot,
    LineState,
    PlanRules,
    StatusReason,
)
from custom_components.esim_keeper.keeper.money import Money, parse_decimal

NOW = datetime(2026, 3, 1, 15, 0, tzinfo=UTC)


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")


PLAN = PlanRules(30, usd("3.00"), grace_days=30)


def test_carrier_status_as_plain_string_is_honoured() -> None:
    snap = LineSnapshot("l", "+12025550101", carrier_status="deleted")  # type: ignore[arg-type]
    assert compute_status(snap, PLAN, NOW).state is LineState.LOST


def test_unhashable_timezone_is_a_typed_error() -> None:
    with pytest.raises(KeeperError):
        zone(["America/New_York"])


def test_unknown_balance_is_not_reported_as_short() -> None:
    snap = LineSnapshot("l", "+1", plan_expiry=NOW + timedelta(days=2))
    status = compute_status(snap, PLAN, NOW)
    assert status.reason is not StatusReason.BALANCE_SHORT


def test_auto_renew_off_with_enough_money_is_not_balance_short() -> None:
    snap = LineSnapshot(
        "l", "+1", balance=usd("10"), plan_expiry=NOW + timedelta(days=2), auto_renew=False
    )
    status = compute_status(snap, PLAN, NOW)
    assert status.state is LineState.EXPIRING
    assert status.reason is not StatusReason.BALANCE_SHORT


def test_free_plan_without_balance_is_not_expiring_for_money() -> None:
    free = PlanRules(3650, usd("0"), activity_days=90)
    snap = LineSnapshot("l", "+1", plan_expiry=NOW + timedelta(days=2))
    assert compute_status(snap, free, NOW).reason is not StatusReason.BALANCE_SHORT


def test_warning_starts_exactly_warn_days_before_on_the_carrier_clock() -> None:
    expiry = add_days(NOW, 7, PLAN.tz)  # crosses the US DST change of 8 March 2026
    snap = LineSnapshot("l", "+1", balance=usd("0"), plan_expiry=expiry)
    assert compute_status(snap, PLAN, NOW, warn_days=7).state is LineState.EXPIRING
    early = NOW - timedelta(seconds=1)
    assert compute_status(snap, PLAN, early, warn_days=7).state is LineState.ACTIVE


def test_tello_renewal_inside_its_window_is_not_grace() -> None:
    tello = PlanRules(
        30, usd("5"), grace_days=90, renewal_window=(time(5), time(11))
    )  # New York clock
    expiry = datetime(2026, 3, 1, 5, 0, tzinfo=UTC)  # 00:00 in New York
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)  # 07:00 in New York, inside the window
    snap = LineSnapshot("l", "+1", balance=usd("10"), plan_expiry=expiry, auto_renew=True)
    assert compute_status(snap, tello, now).state is LineState.RENEWAL_DUE


def test_projection_before_the_reading_changes_nothing() -> None:
    ledger = Ledger(usd("10"), read_at=NOW, plan_expiry=NOW - timedelta(days=40))
    projection = project_ledger(ledger, PLAN, NOW - timedelta(days=5))
    assert projection.balance == usd("10")
    assert projection.renewals == 0


def test_late_renewal_in_ledger_counts_from_the_reading() -> None:
    # Read while expired, with money (the user topped up late): the carrier renews from that day.
    ledger = Ledger(usd("3"), read_at=NOW, plan_expiry=NOW - timedelta(days=10))
    projection = project_ledger(ledger, PLAN, NOW + timedelta(hours=1))
    assert projection.plan_expiry == add_days(NOW, 30, PLAN.tz)


def test_non_ascii_digits_and_underscores_are_refused() -> None:
    for text in ("1_000", "３", "٣.٠٠"):
        with pytest.raises(KeeperError):
            parse_decimal(text)


def test_fractional_days_are_refused() -> None:
    with pytest.raises(KeeperError):
        add_days(NOW, 1.5, zone("UTC"))  # type: ignore[arg-type]


def test_aware_renewal_window_is_refused() -> None:
    with pytest.raises(KeeperError):
        PlanRules(30, usd("5"), renewal_window=(time(5, tzinfo=UTC), time(11, tzinfo=UTC)))


def test_activity_rule_without_known_activity_is_unknown() -> None:
    gv = PlanRules(3650, usd("0"), activity_days=90)
    snap = LineSnapshot("l", "+1", balance=usd("0"), plan_expiry=NOW + timedelta(days=3000))
    status = compute_status(snap, gv, NOW)
    assert status.state is LineState.UNKNOWN


def test_huge_runway_does_not_overflow() -> None:
    snap = LineSnapshot("l", "+1", balance=usd("1000000"), plan_expiry=NOW)
    plan = PlanRules(3650, usd("0.01"))
    status = compute_status(snap, plan, NOW - timedelta(days=1))
    assert status.runway.funded_until is not None


def test_expired_line_runway_counts_from_now() -> None:
    snap = LineSnapshot("l", "+1", balance=usd("3"), plan_expiry=NOW - timedelta(days=5))
    status = compute_status(snap, PLAN, NOW)
    # Counted from the start of today on the carrier's clock, so it does not move with each poll.
    today = start_of_day(local_date(NOW, PLAN.tz), PLAN.tz)
    assert status.runway.funded_until == add_days(today, 30, PLAN.tz)
