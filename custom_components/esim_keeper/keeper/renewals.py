"""Renewal rules: spending against a cap, when auto-renew is due, whether a payment shows, risk.

Pure functions of (history, the line's status, the plan, now). The Home Assistant layer decides
nothing about money or dates itself: it asks these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime, timedelta
from enum import StrEnum

from .dates import add_days, local_date, require_aware, start_of_day
from .errors import InvalidAmountError, InvalidLeadDaysError
from .lifecycle import Ledger, project_ledger
from .model import LineSnapshot, LineState, LineStatus, PlanRules
from .money import Money

# The spending cap counts what was paid in this many days before now.
SPEND_WINDOW_DAYS = 30


class AutoRenewRule(StrEnum):
    """When a number renews by itself (the values of the HA layer's AutoRenewMode)."""

    OFF = "off"
    BALANCE_SHORT = "balance_short"
    DAYS_BEFORE = "days_before"
    SCHEDULED = "scheduled"


def spent_in_window(
    payments: Iterable[tuple[datetime, Money]],
    now: datetime,
    currency: str,
    days: int = SPEND_WINDOW_DAYS,
) -> Money:
    """Return the sum of ``payments`` (instant, amount) made in the ``days`` days up to ``now``.

    The window is exact in time (30 x 24 hours), not calendar days: a cap is a rate. Payments
    dated after ``now`` count too (a clock set back must not free the cap).
    """
    require_aware(now, "now")
    start = now - timedelta(days=days)
    total = Money.zero(currency)
    for at, amount in payments:
        if require_aware(at, "payment time") > start:
            total = total + amount
    return total


def cap_allows(cap: Money | None, spent: Money, amount: Money) -> bool:
    """Whether paying ``amount`` keeps the spending of the window within ``cap`` (None: no cap)."""
    if amount.amount <= 0:
        raise InvalidAmountError("a payment must be more than zero")
    if cap is None:
        return True
    return spent + amount <= cap


def cap_left(cap: Money | None, spent: Money) -> Money | None:
    """Return what may still be spent in the window (never negative); None without a cap."""
    if cap is None:
        return None
    left = cap - spent
    return left if left.amount > 0 else Money.zero(cap.currency)


def auto_renew_due(
    rule: AutoRenewRule | str,
    status: LineStatus,
    plan: PlanRules,
    now: datetime,
    *,
    days_before: int,
    day_of_month: int,
    last_success: datetime | None,
) -> bool:
    """Whether an automatic renewal should start now.

    - balance_short: the balance will not cover the next renewal and the plan expires within
      ``days_before`` days (or has expired, still in grace);
    - days_before: the plan expires within ``days_before`` days (or is in grace);
    - scheduled: keeps the plan covered from one scheduled day to the next. The scheduled
      instants are ``day_of_month`` at midnight on the carrier's clock, once a month; ``prev`` is
      the latest at or before ``now`` and ``next`` the one after. With a known plan expiry, a
      renewal is due while the plan is covered only until before the end of the next scheduled
      day (``horizon``, midnight after ``next``): "covered until" is the expiry, or the balance's
      funded-until when that is later (a wallet the carrier deducts from). So on the scheduled day
      it pays for every expiry up to the next one, a second renewal follows when one is not
      enough (a 30-day cycle against a 31-day month), and a day missed while Home Assistant was
      off is caught up at the next poll. Counting the whole next scheduled day means an expiry on
      that day is paid a month ahead, never a poll interval late. A plan already expired (not a
      renewal pending in its window) is renewed once; a success after the expiry that the
      carrier does not show yet is not paid again. With the expiry unknown: due once a month,
      when nothing was paid since ``prev``.

    Never for a lost line. For balance_short and days_before, a success during the current cycle
    (on or after the expiry minus one cycle) means the cycle is paid: the carrier may simply not
    show it yet.
    """
    require_aware(now, "now")
    rule = AutoRenewRule(rule)
    if isinstance(days_before, bool) or not 0 <= days_before <= 3660:
        raise InvalidLeadDaysError("auto-renew days must be 0 to 3660")
    if rule is AutoRenewRule.OFF or status.state is LineState.LOST:
        return False
    if rule is AutoRenewRule.SCHEDULED:
        return _scheduled_due(status, plan, now, day_of_month, last_success)
    expiry = status.plan_expiry
    if expiry is None or status.days_to_expiry is None or status.days_to_expiry > days_before:
        return False
    if last_success is not None and last_success >= add_days(expiry, -plan.cycle_days, plan.tz):
        return False
    if rule is AutoRenewRule.BALANCE_SHORT:
        return status.balance_covers_renewal is False
    return True


def scheduled_instants(
    now: datetime, day_of_month: int, plan: PlanRules
) -> tuple[datetime, datetime]:
    """(prev, next): the scheduled instants around ``now`` (day ``day_of_month``, carrier midnight).

    ``prev`` is the latest at or before ``now``, ``next`` the first after it.
    """
    require_aware(now, "now")
    if isinstance(day_of_month, bool) or not isinstance(day_of_month, int):
        raise InvalidLeadDaysError("the scheduled day must be 1 to 28")
    if not 1 <= day_of_month <= 28:
        raise InvalidLeadDaysError("the scheduled day must be 1 to 28")
    tz = plan.tz
    this = local_date(now, tz).replace(day=day_of_month)
    if now >= start_of_day(this, tz):
        return start_of_day(this, tz), start_of_day(_shift_month(this, 1), tz)
    return start_of_day(_shift_month(this, -1), tz), start_of_day(this, tz)


def _shift_month(day: date, months: int) -> date:
    """Return the same day of month ``months`` months away (the day is 1 to 28.

    So it always exists).
    """
    index = day.year * 12 + day.month - 1 + months
    return day.replace(year=index // 12, month=index % 12 + 1)


def _scheduled_due(
    status: LineStatus,
    plan: PlanRules,
    now: datetime,
    day_of_month: int,
    last_success: datetime | None,
) -> bool:
    """Return the scheduled rule of auto_renew_due (see there)."""
    prev, upcoming = scheduled_instants(now, day_of_month, plan)
    expiry = status.plan_expiry
    if expiry is None:
        return last_success is None or last_success < prev
    pending = status.state is LineState.RENEWAL_DUE and expiry <= now
    if expiry <= now and not pending:
        return last_success is None or last_success < expiry
    covered = expiry
    funded = status.runway.funded_until
    if funded is not None and funded > covered:
        covered = funded
    horizon = start_of_day(local_date(upcoming, plan.tz) + timedelta(days=1), plan.tz)
    return covered < horizon


def renewal_visible(
    before_expiry: datetime | None, before_balance: Money | None, after: LineSnapshot
) -> bool:
    """Whether a line read after a payment shows it: a later expiry, or a balance that moved.

    A balance in another currency than before, or values unknown on either side, show nothing.
    """
    if after.plan_expiry is not None and (
        before_expiry is None or after.plan_expiry > before_expiry
    ):
        return True
    return (
        before_balance is not None
        and after.balance is not None
        and after.balance.currency == before_balance.currency
        and after.balance.amount != before_balance.amount
    )


def number_at_risk(status: LineStatus, warn_days: int, *, auto_renew: bool) -> bool:
    """Whether the keep-alive deadline is within ``warn_days`` days and nothing will keep it.

    Auto-renew keeps a plan-expiry deadline, never an activity deadline (only a call or text by
    the user does). A lost line is past saving and is not "at risk".
    """
    if isinstance(warn_days, bool) or warn_days < 0:
        raise InvalidLeadDaysError("warning days must be a whole number, 0 or more")
    days = status.days_to_deadline
    if status.state is LineState.LOST or days is None or not 0 <= days <= warn_days:
        return False
    activity = (
        status.activity_deadline is not None
        and status.activity_deadline == status.keep_alive_deadline
    )
    return activity or not auto_renew


def ledger_with_activity(ledger: Ledger, at: datetime) -> Ledger:
    """Return the ledger after the user used the number at ``at`` (never moves the clock back)."""
    require_aware(at, "activity time")
    if ledger.last_activity is not None and ledger.last_activity >= at:
        return ledger
    return replace(ledger, last_activity=at)


def corrected_ledger(
    ledger: Ledger,
    plan: PlanRules,
    balance: Money,
    at: datetime,
    plan_expiry: datetime | None = None,
) -> Ledger:
    """Return the ledger after the user read ``balance`` (maybe the expiry) in the carrier's app.

    Without an expiry, the one the ledger projects to ``at`` is kept; with carrier autopay, the
    recorded one (a balance reading confirms no assumed autopay charge). A reading is the new
    starting point of the projection. An expiry read in the carrier's app is the carrier's word:
    it ends an "autopay failed" statement.
    """
    require_aware(at, "reading time")
    if balance.currency != plan.currency:
        raise InvalidAmountError(f"this number is kept in {plan.currency}")
    if plan_expiry is not None:
        require_aware(plan_expiry, "plan expiry")
        return replace(
            ledger, balance=balance, read_at=at, plan_expiry=plan_expiry, autopay_failed=False
        )
    expiry = (
        ledger.plan_expiry
        if ledger.carrier_autopay
        else project_ledger(ledger, plan, at).plan_expiry
    )
    return replace(ledger, balance=balance, read_at=at, plan_expiry=expiry)


__all__ = [
    "SPEND_WINDOW_DAYS",
    "AutoRenewRule",
    "auto_renew_due",
    "cap_allows",
    "cap_left",
    "corrected_ledger",
    "ledger_with_activity",
    "number_at_risk",
    "renewal_visible",
    "scheduled_instants",
    "spent_in_window",
]
