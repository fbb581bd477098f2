"""Renewal rules: spending window and cap, auto-renew timing, visibility, risk, ledger edits."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.errors import InvalidAmountError, InvalidLeadDaysError
from custom_components.esim_keeper.keeper.lifecycle import Ledger, compute_status
from custom_components.esim_keeper.keeper.model import LineSnapshot, LineStatus, PlanRules
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.renewals import (
    auto_renew_due,
    cap_allows,
    cap_left,
    corrected_ledger,
    ledger_with_activity,
    number_at_risk,
    renewal_visible,
    spent_in_window,
)

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
PLAN = PlanRules(30, Money(Decimal("5.00"), "USD"), grace_days=3)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def status(expiry_days: float, balance: str = "20.00", activity_days: int | None = None):  # type: ignore[no-untyped-def]
    plan = replace(PLAN, activity_days=activity_days)
    snap = LineSnapshot(
        "l1",
        "+12025550101",
        balance=usd(balance),
        plan_expiry=NOW + timedelta(days=expiry_days),
        last_activity=NOW - timedelta(days=85) if activity_days else None,
    )
    return compute_status(snap, plan, NOW)


def test_spent_in_window_counts_30_days_exactly() -> None:
    payments = [
        (NOW - timedelta(days=30), usd("9")),  # just outside
        (NOW - timedelta(days=29, hours=23), usd("5")),
        (NOW + timedelta(hours=1), usd("1")),  # a clock set back still counts it
    ]
    assert spent_in_window(payments, NOW, "USD") == usd("6")
    assert spent_in_window([], NOW, "USD") == usd("0")


def test_cap() -> None:
    assert cap_allows(usd("10"), usd("5"), usd("5"))
    assert not cap_allows(usd("10"), usd("5.01"), usd("5"))
    assert cap_allows(None, usd("1000"), usd("5"))
    with pytest.raises(InvalidAmountError):
        cap_allows(usd("10"), usd("0"), usd("0"))
    assert cap_left(usd("10"), usd("4")) == usd("6")
    assert cap_left(usd("10"), usd("14")) == usd("0")
    assert cap_left(None, usd("1")) is None


def test_auto_renew_days_before_and_balance_short() -> None:
    kw = {"days_before": 5, "day_of_month": 1, "last_success": None}
    assert auto_renew_due("days_before", status(4), PLAN, NOW, **kw)  # type: ignore[arg-type]
    assert not auto_renew_due("days_before", status(10), PLAN, NOW, **kw)  # type: ignore[arg-type]
    assert not auto_renew_due("off", status(4), PLAN, NOW, **kw)  # type: ignore[arg-type]
    assert not auto_renew_due("balance_short", status(4), PLAN, NOW, **kw)  # type: ignore[arg-type]
    assert auto_renew_due("balance_short", status(4, "1.00"), PLAN, NOW, **kw)  # type: ignore[arg-type]
    paid = {**kw, "last_success": NOW - timedelta(days=2)}
    assert not auto_renew_due("days_before", status(4), PLAN, NOW, **paid)  # type: ignore[arg-type]
    lost = status(-10)
    assert not auto_renew_due("days_before", lost, PLAN, NOW, **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidLeadDaysError):
        auto_renew_due(
            "days_before", status(4), PLAN, NOW, days_before=-1, day_of_month=1, last_success=None
        )


def test_auto_renew_scheduled_without_expiry_pays_once_a_month() -> None:
    """With the expiry unknown the scheduled rule is the old one: once a month, from day D."""
    s = replace(status(20), plan_expiry=None)

    def due(day: int, last: datetime | None) -> bool:
        return auto_renew_due(
            "scheduled", s, PLAN, NOW, days_before=0, day_of_month=day, last_success=last
        )

    assert due(26, None)
    assert not due(27, NOW - timedelta(days=20))  # paid since Oct 27, the last scheduled day
    # Oct 27 was missed (the old rule waited for Nov 27): caught up now.
    assert due(27, NOW - timedelta(days=40))
    assert due(27, None)
    assert not due(26, NOW - timedelta(hours=1))
    # Missed while Home Assistant was off: caught up later in the month.
    assert due(3, NOW - timedelta(days=40))
    with pytest.raises(InvalidLeadDaysError):
        due(31, None)


def test_auto_renew_scheduled_keeps_the_plan_covered() -> None:
    """Day 26 (NOW is Nov 26 in New York): pay for every expiry up to the end of Dec 26.

    The old rule paid on day 26 whatever the expiry; it now pays when the plan would otherwise
    end before the next scheduled day is over, and not when it is covered past it.
    """

    def due(s: LineStatus, last: datetime | None = None) -> bool:
        return auto_renew_due(
            "scheduled", s, PLAN, NOW, days_before=0, day_of_month=26, last_success=last
        )

    assert due(status(20, "0.00"))  # Dec 16: before Dec 26
    assert due(status(30, "0.00"))  # Dec 26 04:00 New York: on the next scheduled day
    assert not due(status(31, "0.00"))  # Dec 27: covered past the next scheduled day
    assert not due(status(20, "20.00"))  # the wallet funds four more cycles
    assert due(status(20, "1.00"))  # not enough for one renewal
    # A success an hour ago that the carrier does not show yet does not hide a short plan, but
    # the HA layer waits for the payment to be verified before asking again.
    assert due(status(20, "0.00"), NOW - timedelta(hours=1))
    # Expired (in grace): renewed once; a success after the expiry is not paid again.
    assert due(status(-1, "0.00"))
    assert not due(status(-1, "0.00"), NOW - timedelta(hours=1))
    assert not due(status(-10, "0.00"))  # lost
    # Other days: only what the next scheduled day needs.
    assert auto_renew_due(
        "scheduled", status(5, "0"), PLAN, NOW, days_before=0, day_of_month=3, last_success=None
    )
    assert not auto_renew_due(
        "scheduled", status(9, "0"), PLAN, NOW, days_before=0, day_of_month=3, last_success=None
    )


def test_renewal_visible() -> None:
    expiry = NOW + timedelta(days=4)
    same = LineSnapshot("l1", "+1", balance=usd("20"), plan_expiry=expiry)
    assert not renewal_visible(expiry, usd("20"), same)
    assert renewal_visible(
        expiry, usd("20"), replace(same, plan_expiry=expiry + timedelta(days=30))
    )
    assert renewal_visible(expiry, usd("20"), replace(same, balance=usd("15")))
    assert renewal_visible(None, None, same)
    assert not renewal_visible(expiry, None, same)
    assert not renewal_visible(expiry, Money(Decimal("20"), "EUR"), replace(same, balance=usd("1")))


def test_number_at_risk() -> None:
    assert number_at_risk(status(1), 7, auto_renew=False)  # loss date in 4 days
    assert not number_at_risk(status(1), 7, auto_renew=True)
    assert not number_at_risk(status(20), 7, auto_renew=False)
    assert not number_at_risk(status(-10), 7, auto_renew=False)  # lost already
    activity = status(60, activity_days=90)  # activity deadline in 5 days
    assert number_at_risk(activity, 7, auto_renew=True)
    with pytest.raises(InvalidLeadDaysError):
        number_at_risk(status(1), -1, auto_renew=False)


def test_ledger_edits() -> None:
    ledger = Ledger(usd("10"), NOW - timedelta(days=5), NOW + timedelta(days=3))
    used = ledger_with_activity(ledger, NOW)
    assert used.last_activity == NOW
    assert ledger_with_activity(used, NOW - timedelta(days=1)) is used
    fixed = corrected_ledger(ledger, PLAN, usd("7.50"), NOW)
    assert (fixed.balance, fixed.read_at, fixed.plan_expiry) == (
        usd("7.50"),
        NOW,
        ledger.plan_expiry,
    )
    later = NOW + timedelta(days=30)
    assert corrected_ledger(ledger, PLAN, usd("1"), NOW, later).plan_expiry == later
    with pytest.raises(InvalidAmountError):
        corrected_ledger(ledger, PLAN, Money(Decimal("1"), "EUR"), NOW)
