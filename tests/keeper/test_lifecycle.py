"""Ledger projection, payments and the state rules of compute_status, one rule at a time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.dates import add_days, start_of_day
from custom_components.esim_keeper.keeper.errors import (
    CurrencyError,
    InvalidAmountError,
    InvalidLeadDaysError,
    InvalidLedgerError,
    InvalidPlanError,
    NaiveDatetimeError,
)
from custom_components.esim_keeper.keeper.lifecycle import (
    MAX_RUNWAY_DAYS,
    Ledger,
    apply_payment,
    compute_status,
    expiry_after_payment,
    project_ledger,
    renewal_pending,
    warning_starts,
)
from custom_components.esim_keeper.keeper.model import (
    CarrierStatus,
    LineSnapshot,
    LineState,
    PlanRules,
    StatusReason,
)
from custom_components.esim_keeper.keeper.money import Money
from tests.keeper.strategies import usd

NOW = datetime(2026, 5, 10, 14, 0, tzinfo=UTC)
PLAN = PlanRules(30, usd("3.00"), grace_days=30)
TZ = PLAN.tz
GV = PlanRules(3650, usd("0"), activity_days=90)
TELLO = PlanRules(30, usd("5"), grace_days=90, renewal_window=(time(5), time(11)))


def snap(**kwargs: object) -> LineSnapshot:
    return LineSnapshot("line", "+12025550101", **kwargs)  # type: ignore[arg-type]


def days(n: int, base: datetime = NOW) -> datetime:
    return add_days(base, n, TZ)


# --- ledger -------------------------------------------------------------------------------------


def test_ledger_validates() -> None:
    with pytest.raises(NaiveDatetimeError):
        Ledger(usd("1"), datetime(2026, 1, 1), NOW)  # noqa: DTZ001
    with pytest.raises(NaiveDatetimeError):
        Ledger(usd("1"), NOW, NOW, last_activity=datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(InvalidAmountError):
        Ledger(Decimal(1), NOW, NOW)  # type: ignore[arg-type]


def test_projection_deducts_each_affordable_renewal() -> None:
    ledger = Ledger(usd("10"), read_at=NOW, plan_expiry=days(5))
    p = project_ledger(ledger, PLAN, days(70))
    assert p.renewals == 3
    assert p.balance == usd("1.00")
    assert p.plan_expiry == days(95)
    assert p.funded_until == days(95)


def test_projection_stops_when_money_runs_out() -> None:
    ledger = Ledger(usd("4"), read_at=NOW, plan_expiry=days(5))
    p = project_ledger(ledger, PLAN, days(100))
    assert (p.renewals, p.balance, p.plan_expiry) == (1, usd("1.00"), days(35))


def test_projection_exactly_at_expiry_renews() -> None:
    ledger = Ledger(usd("3"), read_at=NOW, plan_expiry=days(5))
    assert project_ledger(ledger, PLAN, days(5)).renewals == 1
    assert project_ledger(ledger, PLAN, days(5) - timedelta(seconds=1)).renewals == 0


def test_projection_without_auto_deduct_only_reports_runway() -> None:
    ledger = Ledger(usd("10"), read_at=NOW, plan_expiry=days(5), auto_deduct=False)
    p = project_ledger(ledger, PLAN, days(100))
    assert (p.renewals, p.plan_expiry, p.funded_until) == (0, days(5), days(95))


def test_projection_of_a_free_plan() -> None:
    ledger = Ledger(usd("0"), read_at=NOW, plan_expiry=days(10))
    p = project_ledger(ledger, PlanRules(30, usd("0")), days(65))
    assert (p.renewals, p.plan_expiry, p.funded_until) == (2, days(70), None)


def test_late_reading_renews_then_keeps_renewing() -> None:
    ledger = Ledger(usd("7"), read_at=NOW, plan_expiry=days(-10))
    p = project_ledger(ledger, PLAN, days(31))
    assert (p.renewals, p.balance, p.plan_expiry) == (2, usd("1.00"), days(60))


def test_late_reading_without_money_stays_expired() -> None:
    ledger = Ledger(usd("1"), read_at=NOW, plan_expiry=days(-10))
    p = project_ledger(ledger, PLAN, days(100))
    assert (p.renewals, p.plan_expiry, p.funded_until) == (0, days(-10), days(-10))


def test_late_reading_past_the_loss_date_does_not_renew() -> None:
    ledger = Ledger(usd("10"), read_at=NOW, plan_expiry=days(-40))
    p = project_ledger(ledger, PLAN, days(1))
    assert (p.renewals, p.plan_expiry) == (0, days(-40))


def test_projection_refuses_mixed_currency() -> None:
    ledger = Ledger(Money(Decimal(10), "GBP"), read_at=NOW, plan_expiry=days(5))
    with pytest.raises(CurrencyError):
        project_ledger(ledger, PLAN, days(10))


def test_projection_needs_aware_now() -> None:
    ledger = Ledger(usd("10"), read_at=NOW, plan_expiry=days(5))
    with pytest.raises(NaiveDatetimeError):
        project_ledger(ledger, PLAN, datetime(2026, 1, 1))  # noqa: DTZ001


# --- payments -----------------------------------------------------------------------------------


def test_expiry_after_on_time_and_late_payment() -> None:
    assert expiry_after_payment(days(3), NOW, PLAN) == days(33)
    assert expiry_after_payment(days(-3), NOW, PLAN) == days(30)
    assert expiry_after_payment(None, NOW, PLAN, cycles=2) == days(60)


@pytest.mark.parametrize("cycles", [0, -1, True, 1.0, 2000])
def test_expiry_after_payment_refuses_bad_cycles(cycles: object) -> None:
    with pytest.raises(InvalidPlanError):
        expiry_after_payment(NOW, NOW, PLAN, cycles)  # type: ignore[arg-type]


def test_expiry_after_payment_needs_aware_datetimes() -> None:
    with pytest.raises(NaiveDatetimeError):
        expiry_after_payment(datetime(2026, 1, 1), NOW, PLAN)  # noqa: DTZ001


def test_late_top_up_renews_from_the_payment_day() -> None:
    ledger = Ledger(usd("1"), read_at=days(-10), plan_expiry=days(-5))
    paid = apply_payment(ledger, PLAN, usd("5"), NOW)
    assert (paid.balance, paid.plan_expiry, paid.read_at) == (usd("3"), days(30), NOW)


def test_top_up_before_expiry_only_adds_money() -> None:
    ledger = Ledger(usd("1"), read_at=days(-1), plan_expiry=days(5))
    paid = apply_payment(ledger, PLAN, usd("5"), NOW)
    assert (paid.balance, paid.plan_expiry) == (usd("6"), days(5))


def test_top_up_after_the_loss_date_does_not_revive() -> None:
    ledger = Ledger(usd("0"), read_at=days(-50), plan_expiry=days(-40))
    paid = apply_payment(ledger, PLAN, usd("5"), NOW)
    assert (paid.balance, paid.plan_expiry) == (usd("5"), days(-40))


def test_top_up_too_small_to_renew() -> None:
    ledger = Ledger(usd("0"), read_at=days(-10), plan_expiry=days(-5))
    paid = apply_payment(ledger, PLAN, usd("2"), NOW)
    assert (paid.balance, paid.plan_expiry) == (usd("2"), days(-5))


def test_payment_validation() -> None:
    ledger = Ledger(usd("1"), read_at=NOW, plan_expiry=days(5))
    with pytest.raises(InvalidAmountError):
        apply_payment(ledger, PLAN, -usd("1"), days(1))
    with pytest.raises(InvalidAmountError):
        apply_payment(ledger, PLAN, Decimal(1), days(1))  # type: ignore[arg-type]
    with pytest.raises(InvalidLedgerError) as err:
        apply_payment(ledger, PLAN, usd("1"), days(-1))
    assert err.value.key == "invalid_ledger"
    with pytest.raises(NaiveDatetimeError):
        apply_payment(ledger, PLAN, usd("1"), datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(CurrencyError):
        apply_payment(ledger, PLAN, Money(Decimal(1), "EUR"), days(1))


# --- warnings -----------------------------------------------------------------------------------


def test_warning_starts() -> None:
    assert warning_starts(days(7), 7, PLAN) == NOW
    assert warning_starts(NOW, 0, PLAN) == NOW
    for bad in (-1, True, 1.5, MAX_RUNWAY_DAYS + 1):
        with pytest.raises(InvalidLeadDaysError):
            warning_starts(NOW, bad, PLAN)  # type: ignore[arg-type]


# --- compute_status: dates ----------------------------------------------------------------------


def test_dates_and_counts() -> None:
    s = compute_status(
        snap(balance=usd("7"), plan_expiry=days(20), last_activity=days(-80)),
        PlanRules(30, usd("3"), grace_days=30, activity_days=90),
        NOW,
    )
    assert s.loss_date == days(50)
    assert s.activity_deadline == days(10)
    assert s.keep_alive_deadline == days(10)
    assert (s.days_to_expiry, s.days_to_deadline) == (20, 10)
    assert s.next_renewal_cost == usd("3")
    assert s.balance_covers_renewal is True
    assert (s.runway.cycles, s.runway.funded_until) == (2, days(80))


def test_nothing_known() -> None:
    s = compute_status(snap(), PLAN, NOW)
    assert (s.state, s.reason) == (LineState.UNKNOWN, StatusReason.NO_EXPIRY)
    assert s.plan_expiry is s.loss_date is s.keep_alive_deadline is None
    assert s.days_to_expiry is s.days_to_deadline is None
    assert s.balance_covers_renewal is None
    assert s.runway.funded_until is None
    assert not s.action_needed


def test_compute_status_needs_aware_now() -> None:
    with pytest.raises(NaiveDatetimeError):
        compute_status(snap(), PLAN, datetime(2026, 1, 1))  # noqa: DTZ001


def test_bad_warn_days_are_refused() -> None:
    with pytest.raises(InvalidLeadDaysError):
        compute_status(snap(plan_expiry=days(20)), PLAN, NOW, warn_days=-1)


# --- compute_status: one test per state rule ------------------------------------------------------


def test_rule_1_carrier_deleted() -> None:
    s = compute_status(snap(carrier_status=CarrierStatus.DELETED, plan_expiry=days(20)), PLAN, NOW)
    assert (s.state, s.reason, s.action_needed) == (
        LineState.LOST,
        StatusReason.CARRIER_DELETED,
        False,
    )


def test_rule_2_past_loss_date() -> None:
    s = compute_status(snap(balance=usd("9"), plan_expiry=days(-30)), PLAN, NOW)
    assert (s.state, s.reason) == (LineState.LOST, StatusReason.PAST_LOSS_DATE)


def test_rule_2_activity_missed() -> None:
    s = compute_status(snap(plan_expiry=days(100), last_activity=days(-90)), GV, NOW)
    assert (s.state, s.reason) == (LineState.LOST, StatusReason.ACTIVITY_MISSED)


def test_rule_2_both_passed_names_the_first() -> None:
    plan = PlanRules(30, usd("3"), grace_days=10, activity_days=30)
    first_activity = compute_status(snap(plan_expiry=days(-15), last_activity=days(-60)), plan, NOW)
    assert first_activity.reason is StatusReason.ACTIVITY_MISSED
    first_loss = compute_status(snap(plan_expiry=days(-15), last_activity=days(-31)), plan, NOW)
    assert first_loss.reason is StatusReason.PAST_LOSS_DATE


def test_rule_3_renewal_in_window_and_after_it() -> None:
    expiry = start_of_day(datetime(2026, 5, 10, tzinfo=UTC).date(), TELLO.tz)  # 00:00 New York
    line = snap(balance=usd("10"), plan_expiry=expiry)
    in_window = datetime(2026, 5, 10, 13, 0, tzinfo=UTC)  # 09:00 EDT
    s = compute_status(line, TELLO, in_window)
    assert (s.state, s.reason) == (LineState.RENEWAL_DUE, StatusReason.RENEWAL_COVERED)
    assert s.runway.funded_until == add_days(expiry, 60, TELLO.tz)  # on time: from the expiry
    after = datetime(2026, 5, 10, 15, 0, tzinfo=UTC)  # 11:00 EDT: the window has closed
    assert compute_status(line, TELLO, after).state is LineState.GRACE_PERIOD


def test_rule_3_window_protects_a_zero_grace_line() -> None:
    plan = PlanRules(30, usd("5"), renewal_window=(time(5), time(11)))
    expiry = start_of_day(NOW.date(), plan.tz)
    line = snap(balance=usd("10"), plan_expiry=expiry)
    assert compute_status(line, plan, expiry + timedelta(hours=10)).state is LineState.RENEWAL_DUE
    assert compute_status(line, plan, expiry + timedelta(hours=12)).state is LineState.LOST


@pytest.mark.parametrize(
    "kwargs",
    [
        {"balance": usd("1")},
        {"balance": usd("10"), "auto_renew": False},
        {"balance": usd("10"), "carrier_status": CarrierStatus.SUSPENDED},
        {"balance": None},
    ],
)
def test_rule_3_needs_covered_automatic_renewal(kwargs: dict[str, object]) -> None:
    expiry = start_of_day(NOW.date(), TELLO.tz)
    line = snap(plan_expiry=expiry, **kwargs)
    assert compute_status(line, TELLO, expiry + timedelta(hours=7)).state is not (
        LineState.RENEWAL_DUE
    )


def test_renewal_pending_edges() -> None:
    line = snap(balance=usd("10"), plan_expiry=NOW)
    assert not renewal_pending(line, PLAN, NOW, covers=True)  # no window
    assert not renewal_pending(line, TELLO, NOW - timedelta(seconds=1), covers=True)  # not due
    late_expiry = datetime(2026, 5, 10, 20, 0, tzinfo=UTC)  # 16:00 EDT, after the window
    late = snap(balance=usd("10"), plan_expiry=late_expiry)
    assert not renewal_pending(late, TELLO, late_expiry, covers=True)


def test_rule_4_suspended() -> None:
    s = compute_status(
        snap(carrier_status=CarrierStatus.SUSPENDED, plan_expiry=days(-3)), PLAN, NOW
    )
    assert (s.state, s.reason, s.action_needed) == (
        LineState.SUSPENDED,
        StatusReason.CARRIER_SUSPENDED,
        True,
    )


def test_rule_5_grace_period() -> None:
    s = compute_status(snap(balance=usd("0"), plan_expiry=days(-3)), PLAN, NOW)
    assert (s.state, s.reason, s.action_needed) == (
        LineState.GRACE_PERIOD,
        StatusReason.PLAN_EXPIRED,
        True,
    )
    assert s.days_to_expiry == -3
    assert s.runway.funded_until == days(-3)


def test_rule_6_activity_needed() -> None:
    s = compute_status(snap(plan_expiry=days(3000), last_activity=days(-84)), GV, NOW)
    assert (s.state, s.reason, s.action_needed) == (
        LineState.EXPIRING,
        StatusReason.ACTIVITY_NEEDED,
        True,
    )


@pytest.mark.parametrize(
    ("kwargs", "state", "reason"),
    [
        ({"balance": usd("3")}, LineState.RENEWAL_DUE, StatusReason.RENEWAL_COVERED),
        (
            {"balance": usd("3"), "auto_renew": True},
            LineState.RENEWAL_DUE,
            StatusReason.RENEWAL_COVERED,
        ),
        ({"balance": usd("2.99")}, LineState.EXPIRING, StatusReason.BALANCE_SHORT),
        (
            {"balance": usd("3"), "auto_renew": False},
            LineState.EXPIRING,
            StatusReason.RENEWAL_MANUAL,
        ),
        ({}, LineState.EXPIRING, StatusReason.BALANCE_UNKNOWN),
        (
            {"balance": Money(Decimal(50), "EUR")},
            LineState.EXPIRING,
            StatusReason.BALANCE_UNKNOWN,
        ),
    ],
)
def test_rule_7_plan_expiry_near(
    kwargs: dict[str, object], state: LineState, reason: StatusReason
) -> None:
    s = compute_status(snap(plan_expiry=days(3), **kwargs), PLAN, NOW)
    assert (s.state, s.reason) == (state, reason)
    assert s.action_needed is (state is LineState.EXPIRING)


def test_rule_7_respects_warn_days() -> None:
    line = snap(balance=usd("0"), plan_expiry=days(20))
    assert compute_status(line, PLAN, NOW).state is LineState.ACTIVE
    assert compute_status(line, PLAN, NOW, warn_days=20).state is LineState.EXPIRING
    assert compute_status(line, PLAN, NOW, warn_days=0).state is LineState.ACTIVE


def test_rule_8_activity_unknown() -> None:
    s = compute_status(snap(plan_expiry=days(3000)), GV, NOW)
    assert (s.state, s.reason) == (LineState.UNKNOWN, StatusReason.ACTIVITY_UNKNOWN)


def test_rule_9_only_activity_known_is_enough() -> None:
    s = compute_status(snap(last_activity=days(-10)), GV, NOW)
    assert (s.state, s.reason) == (LineState.ACTIVE, StatusReason.OK)
    assert s.keep_alive_deadline == days(80)


def test_rule_10_active() -> None:
    s = compute_status(snap(balance=usd("10"), plan_expiry=days(20)), PLAN, NOW)
    assert (s.state, s.reason, s.action_needed) == (LineState.ACTIVE, StatusReason.OK, False)


# --- money outlook -------------------------------------------------------------------------------


def test_free_plan_is_covered_unless_in_debt() -> None:
    free = PlanRules(30, usd("0"))
    assert compute_status(snap(plan_expiry=days(3)), free, NOW).balance_covers_renewal is True
    debt = compute_status(snap(balance=usd("-1"), plan_expiry=days(3)), free, NOW)
    assert debt.balance_covers_renewal is False
    assert debt.reason is StatusReason.BALANCE_SHORT
    assert debt.runway.cycles is None
    assert debt.runway.funded_until is None


def test_runway_is_capped() -> None:
    s = compute_status(
        snap(balance=usd("1000000"), plan_expiry=days(5)), PlanRules(3650, usd("0.01")), NOW
    )
    assert s.runway.cycles == 100_000_000
    assert s.runway.funded_until == add_days(days(5), MAX_RUNWAY_DAYS, TZ)
