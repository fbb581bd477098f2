"""Lifecycle rules: pure functions of (what the carrier reports, the plan, now).

This is the one place that decides dates and money. The Home Assistant layer only displays results.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from .dates import add_days, days_between, local_date, require_aware, start_of_day
from .errors import (
    DateRangeError,
    InvalidAmountError,
    InvalidLeadDaysError,
    InvalidLedgerError,
    InvalidPlanError,
    NothingAssumedError,
)
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
# Runways longer than this (100 years) are shown as this: the date stays representable.
MAX_RUNWAY_DAYS = 36600


# How far from its reading a ledger's dates may lie: beyond this a typed date is a typo.
LEDGER_SPAN = timedelta(days=20 * 365)


@dataclass(frozen=True, slots=True)
class Ledger:
    """A user's own record of a line: a balance read at an instant and the plan's expiry then.

    Carriers without an API deduct the renewal cost from the balance on each expiry; projecting the
    ledger gives today's balance and expiry without anyone reading them again.

    ``carrier_autopay``: the carrier charges the user's card every cycle (Tello, US Mobile, Mint).
    The balance then pays nothing (no auto-deduct); each cycle end is *assumed* paid until the
    user confirms it (``confirm_autopay``) or says it failed (``autopay_failed``). ``plan_expiry``
    is always the recorded one: a carrier's or the user's word, never an assumption.
    ``autopay_failed``: the user said the charge at the recorded expiry failed; nothing is assumed
    until a payment is recorded.
    """

    balance: Money
    read_at: datetime
    plan_expiry: datetime
    last_activity: datetime | None = None
    auto_deduct: bool = True
    carrier_autopay: bool = False
    autopay_failed: bool = False

    def __post_init__(self) -> None:
        """Refuse a ledger whose flags or dates are not of their types."""
        for flag, what in (
            (self.auto_deduct, "auto_deduct"),
            (self.carrier_autopay, "carrier_autopay"),
            (self.autopay_failed, "autopay_failed"),
        ):
            if not isinstance(flag, bool):
                raise InvalidLedgerError(f"{what} must be True or False")
        require_aware(self.read_at, "balance reading time")
        require_aware(self.plan_expiry, "plan expiry")
        if self.last_activity is not None:
            require_aware(self.last_activity, "last activity")
        if not isinstance(self.balance, Money):
            raise InvalidAmountError("a ledger's balance must be Money")
        if abs(self.plan_expiry - self.read_at) > LEDGER_SPAN:
            raise DateRangeError("the plan expiry is more than 20 years from the reading")
        if self.last_activity is not None and abs(self.last_activity - self.read_at) > LEDGER_SPAN:
            raise DateRangeError("the last activity is more than 20 years from the reading")


@dataclass(frozen=True, slots=True)
class Projection:
    """A ledger moved forward to ``now``."""

    balance: Money
    plan_expiry: datetime
    renewals: int  # automatic deductions applied since the reading
    funded_until: datetime | None  # when the balance stops paying (None: free plan)
    # Cycle ends the carrier's autopay is assumed to have charged, nobody having confirmed it.
    assumed_cycles: int = 0
    # The first of them (the ledger's recorded expiry) when any; None when nothing is assumed.
    assumed_since: datetime | None = None


def _renewals_due(expiry: datetime, plan: PlanRules, now: datetime) -> int:
    """How many cycle ends (expiry, expiry + cycle, ...) are at or before ``now``."""
    if expiry > now:
        return 0
    steps = days_between(expiry, now, plan.tz) // plan.cycle_days
    if add_days(expiry, steps * plan.cycle_days, plan.tz) > now:
        steps -= 1
    return steps + 1


def _runway_end(start: datetime, cycles: int, plan: PlanRules) -> datetime:
    return add_days(start, min(cycles * plan.cycle_days, MAX_RUNWAY_DAYS), plan.tz)


def project_ledger(ledger: Ledger, plan: PlanRules, now: datetime) -> Projection:
    """Apply the automatic deductions between the reading and ``now``.

    At each expiry the carrier takes the renewal cost if the balance covers it and extends the plan
    by one cycle; when it does not, the plan stays expired (the line enters its grace period).
    Nothing is deducted before the reading. A ledger read while the plan had already expired but
    with enough money (a late top-up) renews at the reading and counts the new cycle from it, unless
    the number was already past its loss date then. ``now`` before the reading projects nothing.

    With ``carrier_autopay`` the card pays instead: the balance is never touched, and unless the
    user said the autopay failed, every cycle end at or before ``now`` (counted from the recorded
    expiry) moves the expiry one cycle as *assumed* (``assumed_cycles``, from ``assumed_since``).
    A free plan charges nothing, so its cycles renew without anything to assume or confirm.
    """
    require_aware(now, "now")
    cost = plan.renewal_cost
    balance = ledger.balance
    expiry = ledger.plan_expiry
    done = 0
    if ledger.carrier_autopay:
        count = 0 if ledger.autopay_failed else _renewals_due(expiry, plan, now)
        moved = add_days(expiry, count * plan.cycle_days, plan.tz)
        covered = balance.cycles_covered(cost)
        funded = None if covered is None else _runway_end(moved, covered, plan)
        if count and cost.amount == 0:
            return Projection(balance, moved, count, funded)
        return Projection(
            balance=balance,
            plan_expiry=moved,
            renewals=0,
            funded_until=funded,
            assumed_cycles=count,
            assumed_since=expiry if count else None,
        )
    if ledger.auto_deduct and now >= ledger.read_at:
        read_at = ledger.read_at
        due = _renewals_due(expiry, plan, now)
        if expiry < read_at:
            # Expired when read: cycle ends before the reading were not paid. Only a late renewal
            # at the reading (money there, number not yet lost) starts the cycles again.
            due = 0
            alive = read_at < add_days(expiry, plan.grace_days, plan.tz)
            if alive and balance >= cost:
                balance = balance - cost
                expiry = add_days(read_at, plan.cycle_days, plan.tz)
                done = 1
                due = _renewals_due(expiry, plan, now)
        affordable = balance.cycles_covered(cost)
        count = due if affordable is None else min(due, affordable)
        balance = balance - cost * count
        expiry = add_days(expiry, count * plan.cycle_days, plan.tz)
        done += count
    covered = balance.cycles_covered(cost)
    funded_until = None if covered is None else _runway_end(expiry, covered, plan)
    return Projection(balance=balance, plan_expiry=expiry, renewals=done, funded_until=funded_until)


def expiry_after_payment(
    current_expiry: datetime | None, paid_at: datetime, plan: PlanRules, cycles: int = 1
) -> datetime:
    """Return the new plan expiry after paying for ``cycles`` cycles at ``paid_at``.

    On time (before expiry) the new cycle continues from the old expiry; after a late payment the
    next date counts from the actual renewal day, as US prepaid carriers do.
    """
    require_aware(paid_at, "payment time")
    if current_expiry is not None:
        require_aware(current_expiry, "current expiry")
    if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 1:
        raise InvalidPlanError("a payment covers at least one whole cycle")
    if cycles * plan.cycle_days > MAX_RUNWAY_DAYS:
        raise InvalidPlanError(f"a payment covers at most {MAX_RUNWAY_DAYS} days")
    start = paid_at if current_expiry is None or current_expiry <= paid_at else current_expiry
    return add_days(start, cycles * plan.cycle_days, plan.tz)


def apply_payment(ledger: Ledger, plan: PlanRules, amount: Money, paid_at: datetime) -> Ledger:
    """Record a top-up the user made: the money joins the balance, then the projection runs.

    If the line had expired for lack of money, the payment renews it from the payment day, as long
    as the number still exists (before its loss date). A payment dated before the ledger's reading
    is refused (InvalidLedgerError): the reading already includes it or the order is wrong.

    With carrier autopay the payment starts from the *recorded* expiry: it never confirms a cycle
    the autopay is only assumed to have paid (confirm those first with ``confirm_autopay``). A
    recorded payment ends an "autopay failed" statement: cycles are assumed again after it.
    """
    require_aware(paid_at, "payment time")
    if not isinstance(amount, Money) or amount.amount < 0:
        raise InvalidAmountError("a payment is a non-negative amount of Money")
    if paid_at < ledger.read_at:
        raise InvalidLedgerError("a payment cannot be recorded before the last balance reading")
    if ledger.carrier_autopay:
        balance, expiry = ledger.balance + amount, ledger.plan_expiry
    else:
        projected = project_ledger(ledger, plan, paid_at)
        balance, expiry = projected.balance + amount, projected.plan_expiry
    cost = plan.renewal_cost
    alive = paid_at < add_days(expiry, plan.grace_days, plan.tz)
    renews = ledger.auto_deduct or ledger.carrier_autopay
    if expiry <= paid_at and alive and renews and balance >= cost:
        balance = balance - cost
        expiry = expiry_after_payment(expiry, paid_at, plan)
    return replace(
        ledger, balance=balance, read_at=paid_at, plan_expiry=expiry, autopay_failed=False
    )


def _assumed(ledger: Ledger, plan: PlanRules, now: datetime) -> Projection:
    require_aware(now, "now")
    projected = project_ledger(ledger, plan, now)
    if projected.assumed_cycles == 0:
        raise NothingAssumedError("no autopay charge is assumed for this number now")
    return projected


def confirm_autopay(
    ledger: Ledger, plan: PlanRules, now: datetime
) -> tuple[Ledger, list[datetime]]:
    """Apply the user's word that the autopay charged every assumed cycle up to ``now``.

    Returns the new ledger (expiry and balance as projected at ``now``, read at ``now``) and the
    cycle dates confirmed, oldest first (one history record each). NothingAssumedError when no
    cycle is assumed (autopay off, failed, a free plan, or no cycle end has passed).
    """
    projected = _assumed(ledger, plan, now)
    start = ledger.plan_expiry
    dates = [add_days(start, i * plan.cycle_days, plan.tz) for i in range(projected.assumed_cycles)]
    confirmed = replace(
        ledger,
        balance=projected.balance,
        read_at=now,
        plan_expiry=projected.plan_expiry,
        autopay_failed=False,
    )
    return confirmed, dates


def loss_date_if_unpaid(assumed_since: datetime, plan: PlanRules) -> datetime:
    """When the number is lost if the autopay charge assumed at ``assumed_since`` failed.

    The grace period runs from that cycle date (carrier clock).
    """
    require_aware(assumed_since, "assumed since")
    return add_days(assumed_since, plan.grace_days, plan.tz)


def autopay_failed(ledger: Ledger, plan: PlanRules, now: datetime) -> Ledger:
    """Apply the user's word that the autopay charge failed: the first assumed cycle was unpaid.

    The recorded expiry stays (the plan expired then) and nothing is assumed any more until a
    payment is recorded (``apply_payment``). NothingAssumedError when no cycle is assumed.
    """
    _assumed(ledger, plan, now)
    return replace(ledger, autopay_failed=True)


def warning_starts(deadline: datetime, warn_days: int, plan: PlanRules) -> datetime:
    """When the warning for ``deadline`` begins: ``warn_days`` days before it, on the carrier clock.

    This is the same instant as the reminder for that lead (keeper.deadlines.reminder_instants).
    """
    if isinstance(warn_days, bool) or not isinstance(warn_days, int) or warn_days < 0:
        raise InvalidLeadDaysError("warning days must be a whole number, 0 or more")
    if warn_days > MAX_RUNWAY_DAYS:
        raise InvalidLeadDaysError(f"warning days must be at most {MAX_RUNWAY_DAYS}")
    return add_days(deadline, -warn_days, plan.tz)


def _money_outlook(balance: Money | None, cost: Money) -> tuple[bool | None, int | None]:
    """Return (does the balance cover the next renewal, how many whole renewals it pays).

    A free renewal is covered unless a known balance is in debt; its count is None (unlimited).
    A balance that is unknown or in another currency gives (None, None): nothing is assumed.
    """
    same = balance is not None and balance.currency == cost.currency
    if cost.amount == 0:
        return not (same and balance is not None and balance.amount < 0), None
    if balance is None or not same:
        return None, None
    return balance >= cost, balance.cycles_covered(cost)


def renewal_pending(
    snapshot: LineSnapshot, plan: PlanRules, now: datetime, covers: bool | None
) -> bool:
    """Whether an expired plan is inside its carrier's renewal window with the renewal covered.

    Tello renews on the expiry day between 05:00 and 11:00 US Eastern: until the window closes an
    expiry that has passed is a renewal in progress, not a grace period. Needs a renewal window,
    auto-renew not switched off, enough money and a carrier that has not suspended the line.
    """
    expiry = snapshot.plan_expiry
    window = plan.renewal_window
    if expiry is None or window is None or covers is not True or now < expiry:
        return False
    if snapshot.auto_renew is False or snapshot.carrier_status in _CARRIER_STOPPED:
        return False
    closes = datetime.combine(local_date(expiry, plan.tz), window[1], tzinfo=plan.tz)
    return now < closes


_CARRIER_STOPPED = frozenset({CarrierStatus.SUSPENDED, CarrierStatus.DELETED})


def compute_status(
    snapshot: LineSnapshot,
    plan: PlanRules,
    now: datetime,
    *,
    warn_days: int = DEFAULT_WARN_DAYS,
    funds: Money | None = None,
) -> LineStatus:
    """Derive the line's dates, money outlook and state at ``now``.

    ``funds`` is the money this line's renewals can draw on when that is not its balance: a share
    of an account balance several lines pay from (see keeper.shared).

    Dates: loss date = plan expiry + grace days; activity deadline = last activity + activity days;
    keep-alive deadline = the earlier of the two that are known. Day arithmetic is on the carrier's
    wall clock (plan.timezone). "Warning time" for a deadline is ``warn_days`` days before it.

    Money: the balance covers the renewal when it is in the plan's currency and at least the cost
    (a free renewal is always covered unless the balance is in debt). With ``carrier_autopay`` the
    card pays: the renewal counts as covered for rule 3 and the balance does not decide rule 7.
    Funded-until is the expiry plus one cycle per whole renewal the balance pays; for an expired
    plan the renewal would be late, so the cycles count from ``now`` (except a renewal pending in
    its window: on time).

    State, first rule that matches wins:
      1. LOST, carrier_deleted: the carrier reports the line deleted.
      2. LOST, activity_missed / past_loss_date: the activity deadline or the loss date has passed
         (the reason names the deadline that passed first). A loss date that falls inside a covered
         renewal still pending in its window (rule 3) does not count yet.
      3. RENEWAL_DUE, renewal_covered: the plan expired but a covered auto-renewal is still inside
         the carrier's renewal window (see ``renewal_pending``).
      4. SUSPENDED, carrier_suspended: the carrier reports the line suspended.
      5. GRACE_PERIOD, plan_expired: the plan expiry has passed; paying still restores the line.
      6. EXPIRING, activity_needed: warning time for the activity deadline has come.
      7. Warning time for the plan expiry has come:
         RENEWAL_DUE, autopay_due when the carrier charges the user's card (carrier_autopay);
         RENEWAL_DUE, renewal_covered when the balance covers it and auto-renew is not off
         (unknown auto-renew counts as on: prepaid carriers deduct by default);
         otherwise EXPIRING with balance_unknown (balance unknown or another currency),
         renewal_manual (money is there, auto-renew is off) or balance_short.
      8. UNKNOWN, activity_unknown: the plan needs activity and no activity is recorded.
      9. UNKNOWN, no_expiry: neither a plan expiry nor an activity deadline is known.
     10. ACTIVE, autopay_assumed: the plan expiry rests on an autopay charge nobody confirmed
         (``expiry_assumed``).
     11. ACTIVE, ok.
    ``action_needed`` is true for EXPIRING, GRACE_PERIOD and SUSPENDED: the states in which a
    payment or a call or text by the user still changes the outcome. LOST is final and UNKNOWN asks
    for data, so neither sets it.
    """
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

    covers, cycles = _money_outlook(snapshot.balance if funds is None else funds, cost)
    pending = renewal_pending(snapshot, plan, now, True if snapshot.carrier_autopay else covers)
    funded_until = None
    if cycles is not None and expiry is not None:
        if cycles == 0:
            funded_until = expiry
        elif expiry > now or pending:
            funded_until = _runway_end(expiry, cycles, plan)
        else:
            # A late renewal counts from the day it is paid: today, on the carrier's clock (so
            # the date stays put through the day instead of moving with every poll).
            funded_until = _runway_end(start_of_day(local_date(now, tz), tz), cycles, plan)

    state, reason = _state(
        snapshot, plan, now, warn_days, loss_date, activity_deadline, covers, pending
    )
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


def status_holds_until(
    snapshot: LineSnapshot, plan: PlanRules, now: datetime, *, warn_days: int = DEFAULT_WARN_DAYS
) -> datetime:
    """Return the first instant after ``now`` at which ``compute_status`` may answer differently.

    For the same snapshot, plan and warning days (and no shared ``funds``), compute_status gives
    the same LineStatus at every instant from ``now`` up to, not including, the instant returned:
    time enters it only through comparisons with the instants listed here (each one switches once,
    when it is reached) and through the day on the carrier's clock (day counts, a late renewal's
    start), which changes at the next local midnight. A poll can then reuse a status instead of
    computing it again; the property tests hold this function to that promise.
    """
    require_aware(now, "now")
    tz = plan.tz
    candidates = [start_of_day(local_date(now, tz) + timedelta(days=1), tz)]
    expiry = snapshot.plan_expiry
    if expiry is not None:
        candidates += [expiry, add_days(expiry, plan.grace_days, tz)]
        candidates.append(warning_starts(expiry, warn_days, plan))
        if plan.renewal_window is not None:
            candidates.append(
                datetime.combine(local_date(expiry, tz), plan.renewal_window[1], tzinfo=tz)
            )
    if plan.activity_days is not None and snapshot.last_activity is not None:
        deadline = add_days(snapshot.last_activity, plan.activity_days, tz)
        candidates += [deadline, warning_starts(deadline, warn_days, plan)]
    return min(instant for instant in candidates if instant > now)


def _state(
    snapshot: LineSnapshot,
    plan: PlanRules,
    now: datetime,
    warn_days: int,
    loss_date: datetime | None,
    activity_deadline: datetime | None,
    covers: bool | None,
    pending: bool,
) -> tuple[LineState, StatusReason]:
    """Return the rules listed in compute_status's docstring, in the same order."""
    expiry = snapshot.plan_expiry
    status = snapshot.carrier_status
    if status == CarrierStatus.DELETED:
        return LineState.LOST, StatusReason.CARRIER_DELETED
    activity_missed = activity_deadline is not None and now >= activity_deadline
    loss_passed = loss_date is not None and now >= loss_date and not pending
    if activity_missed and (
        not loss_passed
        or (
            loss_date is not None
            and activity_deadline is not None
            and activity_deadline < loss_date
        )
    ):
        return LineState.LOST, StatusReason.ACTIVITY_MISSED
    if loss_passed:
        return LineState.LOST, StatusReason.PAST_LOSS_DATE
    if pending:
        return LineState.RENEWAL_DUE, StatusReason.RENEWAL_COVERED
    if status == CarrierStatus.SUSPENDED:
        return LineState.SUSPENDED, StatusReason.CARRIER_SUSPENDED
    if expiry is not None and now >= expiry:
        return LineState.GRACE_PERIOD, StatusReason.PLAN_EXPIRED
    if activity_deadline is not None and now >= warning_starts(activity_deadline, warn_days, plan):
        return LineState.EXPIRING, StatusReason.ACTIVITY_NEEDED
    if expiry is not None and now >= warning_starts(expiry, warn_days, plan):
        if snapshot.carrier_autopay:
            return LineState.RENEWAL_DUE, StatusReason.AUTOPAY_DUE
        if covers is None:
            return LineState.EXPIRING, StatusReason.BALANCE_UNKNOWN
        if not covers:
            return LineState.EXPIRING, StatusReason.BALANCE_SHORT
        if snapshot.auto_renew is False:
            return LineState.EXPIRING, StatusReason.RENEWAL_MANUAL
        return LineState.RENEWAL_DUE, StatusReason.RENEWAL_COVERED
    if plan.activity_days is not None and snapshot.last_activity is None:
        return LineState.UNKNOWN, StatusReason.ACTIVITY_UNKNOWN
    if expiry is None and activity_deadline is None:
        return LineState.UNKNOWN, StatusReason.NO_EXPIRY
    if snapshot.expiry_assumed:
        return LineState.ACTIVE, StatusReason.AUTOPAY_ASSUMED
    return LineState.ACTIVE, StatusReason.OK


__all__ = [
    "DEFAULT_WARN_DAYS",
    "MAX_RUNWAY_DAYS",
    "Ledger",
    "Projection",
    "apply_payment",
    "autopay_failed",
    "compute_status",
    "confirm_autopay",
    "expiry_after_payment",
    "loss_date_if_unpaid",
    "project_ledger",
    "renewal_pending",
    "status_holds_until",
    "warning_starts",
]
