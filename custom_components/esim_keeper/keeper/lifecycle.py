"""Lifecycle rules: pure functions of (what the carrier reports, the plan, now).

This is the one place that decides dates and money. The Home Assistant layer only displays results.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from .dates import add_days, days_between, require_aware
from .errors import InvalidPlanError
from .model import (
    CarrierStatus,
    LineSnapshot,
    LineState,
    LineStatus,
    PlanRules,
    Runway,
    StatusReason,
)
from .money import Money

DEFAULT_WARN_DAYS = 7


@dataclass(frozen=True, slots=True)
class Ledger:
    """A user's own record of a line: a balance read at an instant and the plan's expiry then.

    Carriers without an API deduct the renewal cost from the balance on each expiry; projecting the
    ledger gives today's balance and expiry without anyone reading them again.
    """

    balance: Money
    read_at: datetime
    plan_expiry: datetime
    last_activity: datetime | None = None
    auto_deduct: bool = True

    def __post_init__(self) -> None:
        require_aware(self.read_at, "balance reading time")
        require_aware(self.plan_expiry, "plan expiry")
        if self.last_activity is not None:
            require_aware(self.last_activity, "last activity")


@dataclass(frozen=True, slots=True)
class Projection:
    """A ledger moved forward to ``now``."""

    balance: Money
    plan_expiry: datetime
    renewals: int  # automatic deductions applied since the reading
    funded_until: datetime | None  # when the balance stops paying (None: free plan)


def _renewals_due(expiry: datetime, plan: PlanRules, now: datetime) -> int:
    """How many cycle ends (expiry, expiry + cycle, ...) are at or before ``now``."""
    if expiry > now:
        return 0
    steps = days_between(expiry, now, plan.tz) // plan.cycle_days
    if add_days(expiry, steps * plan.cycle_days, plan.tz) > now:
        steps -= 1
    return steps + 1


def project_ledger(ledger: Ledger, plan: PlanRules, now: datetime) -> Projection:
    """Apply the automatic deductions between the reading and ``now``.

    At each expiry the carrier takes the renewal cost if the balance covers it and extends the plan
    by one cycle; when it does not, the plan stays expired (the line enters its grace period).
    """
    require_aware(now, "now")
    cost = plan.renewal_cost
    balance = ledger.balance
    expiry = ledger.plan_expiry
    done = 0
    if ledger.auto_deduct:
        due = _renewals_due(expiry, plan, now)
        affordable = balance.cycles_covered(cost)
        done = due if affordable is None else min(due, affordable)
        balance = balance - cost * done
        expiry = add_days(expiry, done * plan.cycle_days, plan.tz)
    covered = balance.cycles_covered(cost)
    funded_until = None if covered is None else add_days(expiry, covered * plan.cycle_days, plan.tz)
    return Projection(balance=balance, plan_expiry=expiry, renewals=done, funded_until=funded_until)


def expiry_after_payment(
    current_expiry: datetime | None, paid_at: datetime, plan: PlanRules, cycles: int = 1
) -> datetime:
    """The new plan expiry after paying for ``cycles`` cycles at ``paid_at``.

    On time (before expiry) the new cycle continues from the old expiry; after a late payment the
    next date counts from the actual renewal day, as US prepaid carriers do.
    """
    require_aware(paid_at, "payment time")
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1:
        raise InvalidPlanError("a payment covers at least one whole cycle")
    start = paid_at if current_expiry is None or current_expiry <= paid_at else current_expiry
    return add_days(start, cycles * plan.cycle_days, plan.tz)


def apply_payment(ledger: Ledger, plan: PlanRules, amount: Money, paid_at: datetime) -> Ledger:
    """Record a top-up the user made: the money joins the balance, then the projection runs.

    If the line had expired for lack of money, the payment renews it from the payment day.
    """
    projected = project_ledger(ledger, plan, paid_at)
    balance = projected.balance + amount
    expiry = projected.plan_expiry
    cost = plan.renewal_cost
    if expiry <= paid_at and ledger.auto_deduct and balance >= cost:
        balance = balance - cost
        expiry = expiry_after_payment(expiry, paid_at, plan)
    return replace(ledger, balance=balance, read_at=paid_at, plan_expiry=expiry)


def compute_status(
    snapshot: LineSnapshot,
    plan: PlanRules,
    now: datetime,
    *,
    warn_days: int = DEFAULT_WARN_DAYS,
) -> LineStatus:
    """Derive the line's dates, money outlook and state at ``now``."""
    require_aware(now, "now")
    tz = plan.tz
    cost = plan.renewal_cost
    expiry = snapshot.plan_expiry
    loss_date = add_days(expiry, plan.grace_days, tz) if expiry is not None else None
    activity_deadline = None
    if plan.activity_days is not None and snapshot.last_activity is not None:
        activity_deadline = add_days(snapshot.last_activity, plan.activity_days, tz)
    parts = [d for d in (loss_date, activity_deadline) if d is not None]
    keep_alive = min(parts) if parts else None

    balance = snapshot.balance
    covers: bool | None = None
    cycles: int | None = None
    if balance is not None and balance.currency == cost.currency:
        covers = balance >= cost
        cycles = balance.cycles_covered(cost)
    funded_until = None
    if cycles is not None and expiry is not None:
        funded_until = add_days(expiry, cycles * plan.cycle_days, tz)

    state, reason = _state(snapshot, now, warn_days, expiry, loss_date, activity_deadline, covers)
    return LineStatus(
        state=state,
        reason=reason,
        plan_expiry=expiry,
        days_to_expiry=days_between(now, expiry, tz) if expiry is not None else None,
        loss_date=loss_date,
        activity_deadline=activity_deadline,
        keep_alive_deadline=keep_alive,
        days_to_deadline=days_between(now, keep_alive, tz) if keep_alive is not None else None,
        next_renewal_cost=cost,
        balance_covers_renewal=covers,
        runway=Runway(cycles=cycles, funded_until=funded_until),
        action_needed=state in _ACTION_STATES,
    )


_ACTION_STATES = frozenset({LineState.EXPIRING, LineState.GRACE_PERIOD, LineState.SUSPENDED})


def _state(
    snapshot: LineSnapshot,
    now: datetime,
    warn_days: int,
    expiry: datetime | None,
    loss_date: datetime | None,
    activity_deadline: datetime | None,
    covers: bool | None,
) -> tuple[LineState, StatusReason]:
    if snapshot.carrier_status is CarrierStatus.DELETED:
        return LineState.LOST, StatusReason.CARRIER_DELETED
    if loss_date is not None and now >= loss_date:
        return LineState.LOST, StatusReason.PAST_LOSS_DATE
    if activity_deadline is not None and now >= activity_deadline:
        return LineState.LOST, StatusReason.ACTIVITY_MISSED
    if snapshot.carrier_status is CarrierStatus.SUSPENDED:
        return LineState.SUSPENDED, StatusReason.CARRIER_SUSPENDED
    if expiry is not None and now >= expiry:
        return LineState.GRACE_PERIOD, StatusReason.PLAN_EXPIRED
    window = warn_days
    if activity_deadline is not None and (activity_deadline - now).days < window:
        return LineState.EXPIRING, StatusReason.ACTIVITY_NEEDED
    if expiry is not None and (expiry - now).days < window:
        if covers and snapshot.auto_renew is not False:
            return LineState.RENEWAL_DUE, StatusReason.RENEWAL_COVERED
        return LineState.EXPIRING, StatusReason.BALANCE_SHORT
    if expiry is None and activity_deadline is None:
        return LineState.UNKNOWN, StatusReason.NO_EXPIRY
    return LineState.ACTIVE, StatusReason.OK


__all__ = [
    "DEFAULT_WARN_DAYS",
    "Ledger",
    "Projection",
    "apply_payment",
    "compute_status",
    "expiry_after_payment",
    "project_ledger",
]
