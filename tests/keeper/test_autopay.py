"""Carrier autopay on hand-kept numbers: cycles are assumed paid, never recorded, until confirmed.

The promise: a number is shown as paid only when its carrier confirmed a charge or the user said
they paid. An autopay cycle moves the expiry *as assumed*; only ``confirm_autopay`` records it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.esim_keeper.keeper.dates import add_days
from custom_components.esim_keeper.keeper.errors import NothingAssumedError
from custom_components.esim_keeper.keeper.lifecycle import (
    Ledger,
    apply_payment,
    autopay_failed,
    compute_status,
    confirm_autopay,
    project_ledger,
)
from custom_components.esim_keeper.keeper.model import (
    LineSnapshot,
    LineState,
    PlanRules,
    StatusReason,
)
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers.manual import ManualProvider
from custom_components.esim_keeper.keeper.renewals import corrected_ledger
from tests.keeper.strategies import amounts, instants, offsets, plans, usd

NY = ZoneInfo("America/New_York")
PLAN = PlanRules(30, usd("3.00"), grace_days=30)  # America/New_York
FREE = PlanRules(30, usd("0"), grace_days=30)


def ny(year: int, month: int, day: int, hour: int = 0) -> datetime:
    return datetime(year, month, day, hour, tzinfo=NY)


def autopay_ledger(expiry: datetime, read_at: datetime, balance: str = "10.00") -> Ledger:
    return Ledger(usd(balance), read_at, expiry, carrier_autopay=True)


def snapshot(ledger: Ledger, plan: PlanRules, now: datetime) -> LineSnapshot:
    projected = project_ledger(ledger, plan, now)
    return LineSnapshot(
        "l1",
        "+12025550101",
        balance=projected.balance,
        plan_expiry=projected.plan_expiry,
        carrier_autopay=ledger.carrier_autopay and not ledger.autopay_failed,
        expiry_assumed=projected.assumed_cycles > 0,
    )


def test_thirty_day_cycles_across_dst_are_assumed_then_confirmed() -> None:
    """Oct 25 (EDT) and Nov 24 (EST) pass: two cycles assumed, each at 09:00 New York time."""
    ledger = autopay_ledger(ny(2026, 10, 25, 9), read_at=ny(2026, 10, 20, 9))
    now = ny(2026, 11, 30, 12)
    projected = project_ledger(ledger, PLAN, now)
    assert projected.assumed_cycles == 2
    assert projected.assumed_since == ny(2026, 10, 25, 9)
    assert projected.plan_expiry == ny(2026, 12, 24, 9)
    assert projected.balance == usd("10.00")  # the card paid: the wallet is untouched
    assert projected.renewals == 0
    assert ledger.plan_expiry == ny(2026, 10, 25, 9)  # the record did not move

    confirmed, dates = confirm_autopay(ledger, PLAN, now)
    assert dates == [ny(2026, 10, 25, 9), ny(2026, 11, 24, 9)]
    assert [d.astimezone(NY).hour for d in dates] == [9, 9]
    assert confirmed.plan_expiry == ny(2026, 12, 24, 9)
    assert (confirmed.read_at, confirmed.balance) == (now, usd("10.00"))
    assert confirmed.carrier_autopay
    assert not confirmed.autopay_failed
    after = project_ledger(confirmed, PLAN, now)
    assert (after.assumed_cycles, after.assumed_since) == (0, None)
    assert after.plan_expiry == projected.plan_expiry


def test_status_shows_an_assumed_expiry_and_an_autopay_due() -> None:
    ledger = autopay_ledger(ny(2026, 10, 25, 9), read_at=ny(2026, 10, 20, 9), balance="0")
    assumed = compute_status(snapshot(ledger, PLAN, ny(2026, 11, 1)), PLAN, ny(2026, 11, 1))
    assert (assumed.state, assumed.reason) == (LineState.ACTIVE, StatusReason.AUTOPAY_ASSUMED)
    assert not assumed.action_needed
    # Warning time before the next charge: the card pays, so an empty wallet is not "short".
    soon = ny(2026, 11, 20)
    due = compute_status(snapshot(ledger, PLAN, soon), PLAN, soon)
    assert (due.state, due.reason) == (LineState.RENEWAL_DUE, StatusReason.AUTOPAY_DUE)
    # The same number without autopay would be short of money.
    plain = replace(ledger, carrier_autopay=False, auto_deduct=False)
    before = ny(2026, 10, 22)
    short = compute_status(snapshot(plain, PLAN, before), PLAN, before)
    assert (short.state, short.reason) == (LineState.EXPIRING, StatusReason.BALANCE_SHORT)
    # Before any cycle end passes, nothing is assumed: the expiry is a record.
    ahead = autopay_ledger(ny(2026, 12, 25, 9), read_at=ny(2026, 11, 1), balance="0")
    recorded = compute_status(snapshot(ahead, PLAN, ny(2026, 11, 2)), PLAN, ny(2026, 11, 2))
    assert (recorded.state, recorded.reason) == (LineState.ACTIVE, StatusReason.OK)


def test_a_number_three_cycles_behind() -> None:
    now = ny(2027, 3, 1, 12)
    expiry = add_days(now, -65, NY) + timedelta(hours=1)  # ends at -65, -35 and -5 days passed
    ledger = autopay_ledger(expiry, read_at=expiry - timedelta(days=10))
    projected = project_ledger(ledger, PLAN, now)
    assert projected.assumed_cycles == 3
    assert projected.plan_expiry == add_days(expiry, 90, NY)
    _, dates = confirm_autopay(ledger, PLAN, now)
    assert dates == [expiry, add_days(expiry, 30, NY), add_days(expiry, 60, NY)]
    # Said failed instead: the first charge 65 days ago was not paid, the 30-day grace is over.
    failed = autopay_failed(ledger, PLAN, now)
    assert failed.plan_expiry == expiry
    assert failed.autopay_failed
    lost = compute_status(snapshot(failed, PLAN, now), PLAN, now)
    assert (lost.state, lost.reason) == (LineState.LOST, StatusReason.PAST_LOSS_DATE)


def test_failed_then_a_recorded_payment() -> None:
    now = ny(2026, 12, 1, 10)
    expiry = add_days(now, -5, NY)
    ledger = autopay_ledger(expiry, read_at=expiry - timedelta(days=20))
    failed = autopay_failed(ledger, PLAN, now)
    projected = project_ledger(failed, PLAN, now + timedelta(days=100))
    assert (projected.plan_expiry, projected.assumed_cycles) == (expiry, 0)
    grace = compute_status(snapshot(failed, PLAN, now), PLAN, now)
    assert (grace.state, grace.reason) == (LineState.GRACE_PERIOD, StatusReason.PLAN_EXPIRED)
    assert grace.action_needed
    with pytest.raises(NothingAssumedError):
        autopay_failed(failed, PLAN, now)
    with pytest.raises(NothingAssumedError):
        confirm_autopay(failed, PLAN, now)
    # The user paid at the carrier and records it: a late renewal counts from the payment day.
    paid = apply_payment(failed, PLAN, usd("3.00"), now)
    assert paid.plan_expiry == add_days(now, 30, NY)
    assert paid.balance == usd("10.00")  # the payment paid the renewal
    assert not paid.autopay_failed
    assert paid.carrier_autopay
    # From then on the card is assumed to pay again.
    later = project_ledger(paid, PLAN, add_days(now, 31, NY))
    assert (later.assumed_cycles, later.assumed_since) == (1, add_days(now, 30, NY))


def test_a_payment_never_confirms_an_assumed_cycle() -> None:
    now = ny(2026, 12, 1, 10)
    expiry = add_days(now, -2, NY)
    ledger = autopay_ledger(expiry, read_at=expiry - timedelta(days=1))
    topped = apply_payment(ledger, PLAN, usd("3.00"), now)
    # Paid from the record: the expiry had passed, so the payment renews from today.
    assert topped.plan_expiry == add_days(now, 30, NY)
    # A balance reading keeps the recorded expiry; the assumption stays an assumption.
    read = corrected_ledger(ledger, PLAN, usd("4.00"), now)
    assert read.plan_expiry == expiry
    assert project_ledger(read, PLAN, now).assumed_cycles == 1
    # An expiry read in the carrier's app is the carrier's word, and ends a "failed" statement.
    failed = autopay_failed(ledger, PLAN, now)
    seen = corrected_ledger(failed, PLAN, usd("4.00"), now, add_days(now, 28, NY))
    assert seen.plan_expiry == add_days(now, 28, NY)
    assert not seen.autopay_failed


def test_free_plans_renew_without_anything_to_confirm() -> None:
    now = ny(2026, 12, 1, 10)
    ledger = autopay_ledger(add_days(now, -40, NY), read_at=add_days(now, -50, NY), balance="0")
    projected = project_ledger(ledger, FREE, now)
    assert projected.plan_expiry == add_days(now, 20, NY)
    assert (projected.assumed_cycles, projected.assumed_since, projected.renewals) == (0, None, 2)
    with pytest.raises(NothingAssumedError):
        confirm_autopay(ledger, FREE, now)


def test_nothing_to_confirm() -> None:
    now = ny(2026, 12, 1, 10)
    ahead = autopay_ledger(add_days(now, 3, NY), read_at=now)
    with pytest.raises(NothingAssumedError) as err:
        confirm_autopay(ahead, PLAN, now)
    assert err.value.key == "nothing_assumed"
    with pytest.raises(NothingAssumedError):
        autopay_failed(replace(ahead, carrier_autopay=False), PLAN, now + timedelta(days=40))


async def test_manual_provider_reports_autopay() -> None:
    now = ny(2026, 11, 30, 12)
    ledger = autopay_ledger(ny(2026, 10, 25, 9), read_at=ny(2026, 10, 20, 9))
    plain = Ledger(usd("10"), ny(2026, 10, 20, 9), ny(2026, 12, 25, 9))
    provider = ManualProvider(
        {"tello": (ledger, PLAN, "+12025550101"), "ultra": (plain, PLAN, "+12025550102")},
        lambda: now,
    )
    lines = (await provider.async_fetch()).lines
    tello, ultra = lines["tello"], lines["ultra"]
    assert (tello.carrier_autopay, tello.expiry_assumed) == (True, True)
    assert tello.plan_expiry == ny(2026, 12, 24, 9)
    assert tello.balance == usd("10.00")
    assert tello.auto_renew is True
    assert (ultra.carrier_autopay, ultra.expiry_assumed) == (False, False)
    assert provider.assumed_since("tello") == ny(2026, 10, 25, 9)
    assert provider.assumed_since("ultra") is None
    provider.set_line("tello", autopay_failed(ledger, PLAN, now), PLAN, "+12025550101")
    tello = (await provider.async_fetch()).lines["tello"]
    assert (tello.carrier_autopay, tello.expiry_assumed) == (False, False)
    assert tello.plan_expiry == ny(2026, 10, 25, 9)
    assert provider.assumed_since("tello") is None


# --- properties -------------------------------------------------------------------------------

paid_plans = plans  # renewal costs are at least 0.01
ledger_parts = st.tuples(
    amounts.map(lambda a: Money(a, "USD")), offsets, offsets, st.booleans(), st.booleans()
)


type LedgerParts = tuple[Money, timedelta, timedelta, bool, bool]


def _ledger(now: datetime, parts: LedgerParts) -> Ledger:
    balance, read_off, expiry_off, autopay, failed = parts
    read_at = now + read_off
    return Ledger(
        balance, read_at, read_at + expiry_off, carrier_autopay=autopay, autopay_failed=failed
    )


def _cycle_ends_until(expiry: datetime, plan: PlanRules, now: datetime) -> int:
    count = 0
    while add_days(expiry, count * plan.cycle_days, plan.tz) <= now:
        count += 1
    return count


@settings(max_examples=300)
@given(paid_plans, instants, ledger_parts)
def test_autopay_never_touches_the_balance(
    plan: PlanRules, now: datetime, parts: LedgerParts
) -> None:
    ledger = replace(_ledger(now, parts), carrier_autopay=True)
    assert project_ledger(ledger, plan, now).balance == ledger.balance


@settings(max_examples=300)
@given(paid_plans, instants, ledger_parts)
def test_assumed_cycles_are_the_cycle_ends_passed(
    plan: PlanRules, now: datetime, parts: LedgerParts
) -> None:
    ledger = replace(_ledger(now, parts), carrier_autopay=True, autopay_failed=False)
    projected = project_ledger(ledger, plan, now)
    count = _cycle_ends_until(ledger.plan_expiry, plan, now)
    assert projected.assumed_cycles == count
    assert projected.plan_expiry == add_days(ledger.plan_expiry, count * plan.cycle_days, plan.tz)
    assert projected.plan_expiry > now
    assert projected.assumed_since == (ledger.plan_expiry if count else None)


@settings(max_examples=200)
@given(paid_plans, instants, ledger_parts, st.integers(min_value=0, max_value=400 * 24))
def test_confirm_then_project_is_project(
    plan: PlanRules, now: datetime, parts: LedgerParts, later_hours: int
) -> None:
    ledger = replace(_ledger(now, parts), carrier_autopay=True, autopay_failed=False)
    projected = project_ledger(ledger, plan, now)
    if projected.assumed_cycles == 0:
        with pytest.raises(NothingAssumedError):
            confirm_autopay(ledger, plan, now)
        return
    confirmed, dates = confirm_autopay(ledger, plan, now)
    assert len(dates) == projected.assumed_cycles
    assert dates[0] == ledger.plan_expiry
    assert confirmed.plan_expiry == projected.plan_expiry
    assert confirmed.balance == projected.balance
    assert project_ledger(confirmed, plan, now).assumed_cycles == 0
    later = now + timedelta(hours=later_hours)
    assert project_ledger(confirmed, plan, later).plan_expiry == (
        project_ledger(ledger, plan, later).plan_expiry
    )


@settings(max_examples=200)
@given(paid_plans, instants, ledger_parts, st.integers(min_value=0, max_value=400 * 24))
def test_failed_never_moves_the_expiry(
    plan: PlanRules, now: datetime, parts: LedgerParts, later_hours: int
) -> None:
    ledger = replace(_ledger(now, parts), carrier_autopay=True, autopay_failed=False)
    if project_ledger(ledger, plan, now).assumed_cycles == 0:
        return
    failed = autopay_failed(ledger, plan, now)
    later = project_ledger(failed, plan, now + timedelta(hours=later_hours))
    assert later.plan_expiry == ledger.plan_expiry
    assert (later.assumed_cycles, later.assumed_since) == (0, None)
    assert later.balance == ledger.balance


@settings(max_examples=300)
@given(plans | st.just(FREE), instants, ledger_parts, offsets)
def test_nothing_is_assumed_without_carrier_autopay(
    plan: PlanRules, now: datetime, parts: LedgerParts, shift: timedelta
) -> None:
    ledger = replace(_ledger(now, parts), carrier_autopay=False)
    projected = project_ledger(ledger, plan, now + shift)
    assert (projected.assumed_cycles, projected.assumed_since) == (0, None)
    line = snapshot(ledger, plan, now)
    assert not line.expiry_assumed
    assert not line.carrier_autopay
    assert compute_status(line, plan, now).reason not in (
        StatusReason.AUTOPAY_ASSUMED,
        StatusReason.AUTOPAY_DUE,
    )
