"""Property tests: the rules hold for any plan, any clock and any balance."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from decimal import Decimal

from hypothesis import assume, given, settings, strategies as st
import pytest

from custom_components.esim_keeper.keeper.dates import add_days, local_date, zone
from custom_components.esim_keeper.keeper.deadlines import reminder_instants
from custom_components.esim_keeper.keeper.errors import (
    CurrencyError,
    InvalidAmountError,
    InvalidPlanError,
    KeeperError,
    NaiveDatetimeError,
)
from custom_components.esim_keeper.keeper.lifecycle import (
    Ledger,
    apply_payment,
    compute_status,
    expiry_after_payment,
    project_ledger,
    status_holds_until,
)
from custom_components.esim_keeper.keeper.model import (
    CarrierStatus,
    LineSnapshot,
    LineState,
    PlanRules,
)
from custom_components.esim_keeper.keeper.money import ISO_CURRENCIES, Money
from tests.keeper.strategies import amounts, instants, offsets, plans, usd, zones

snapshots_parts = st.tuples(
    st.none() | amounts.map(lambda a: Money(a, "USD")),
    st.none() | offsets,
    st.none() | offsets,
    st.sampled_from(CarrierStatus),
    st.none() | st.booleans(),
)


type Parts = tuple[Money | None, timedelta | None, timedelta | None, CarrierStatus, bool | None]


def _snapshot(now: datetime, parts: Parts) -> LineSnapshot:
    balance, expiry_off, activity_off, status, auto = parts
    return LineSnapshot(
        "line",
        "+12025550101",
        balance=balance,
        plan_expiry=None if expiry_off is None else now + expiry_off,
        last_activity=None if activity_off is None else now + activity_off,
        carrier_status=status,
        auto_renew=auto,
    )


@given(plans, instants, snapshots_parts)
def test_loss_date_never_before_expiry(plan: PlanRules, now: datetime, parts: Parts) -> None:
    status = compute_status(_snapshot(now, parts), plan, now)
    if status.plan_expiry is not None:
        assert status.loss_date is not None
        assert status.loss_date >= status.plan_expiry
    else:
        assert status.loss_date is None


@given(plans, instants, snapshots_parts)
def test_keep_alive_is_the_min_of_its_parts(plan: PlanRules, now: datetime, parts: Parts) -> None:
    status = compute_status(_snapshot(now, parts), plan, now)
    known = [d for d in (status.loss_date, status.activity_deadline) if d is not None]
    assert status.keep_alive_deadline == (min(known) if known else None)
    if status.keep_alive_deadline is not None:
        assert status.days_to_deadline is not None


@given(plans, instants, snapshots_parts)
def test_state_follows_the_keep_alive_deadline(
    plan: PlanRules, now: datetime, parts: Parts
) -> None:
    status = compute_status(_snapshot(now, parts), plan, now)
    deadline = status.keep_alive_deadline
    if status.state is LineState.LOST:
        assert (deadline is not None and now >= deadline) or parts[3] is CarrierStatus.DELETED
    elif deadline is not None and plan.renewal_window is None:
        assert now < deadline
    assert status.action_needed == (
        status.state in {LineState.EXPIRING, LineState.GRACE_PERIOD, LineState.SUSPENDED}
    )
    assert type(status.next_renewal_cost.amount) is Decimal


@given(plans, instants, offsets, amounts, amounts, st.none() | st.booleans())
def test_more_balance_never_runs_out_earlier(
    plan: PlanRules, now: datetime, expiry_off: timedelta, a: Decimal, b: Decimal, auto: bool | None
) -> None:
    low, high = sorted((a, b))
    expiry = now + expiry_off

    def funded(amount: Decimal) -> datetime | None:
        line = LineSnapshot(
            "l", "+1", balance=Money(amount, "USD"), plan_expiry=expiry, auto_renew=auto
        )
        return compute_status(line, plan, now).runway.funded_until

    low_until, high_until = funded(low), funded(high)
    assert low_until is not None
    assert high_until is not None
    assert high_until >= low_until
    assert low_until >= expiry


@given(plans, instants, offsets, amounts, amounts, offsets.map(abs))
def test_projection_more_balance_never_runs_out_earlier(
    plan: PlanRules, read_at: datetime, expiry_off: timedelta, a: Decimal, b: Decimal,
    later: timedelta,
) -> None:  # fmt: skip
    low, high = sorted((a, b))
    now = read_at + later
    expiry = read_at + expiry_off

    def project(amount: Decimal) -> tuple[Money, datetime, datetime | None]:
        p = project_ledger(Ledger(Money(amount, "USD"), read_at, expiry), plan, now)
        return p.balance, p.plan_expiry, p.funded_until

    (lo_bal, lo_exp, lo_until), (_, hi_exp, hi_until) = project(low), project(high)
    assert lo_until is not None
    assert hi_until is not None
    assert hi_until >= lo_until
    assert hi_exp >= lo_exp
    assert lo_bal.amount >= 0
    assert type(lo_bal.amount) is Decimal


@given(plans, instants, offsets, amounts, offsets.map(abs))
def test_projection_conserves_money(
    plan: PlanRules, read_at: datetime, expiry_off: timedelta, amount: Decimal, later: timedelta
) -> None:
    ledger = Ledger(Money(amount, "USD"), read_at, read_at + expiry_off)
    p = project_ledger(ledger, plan, read_at + later)
    assert p.balance + plan.renewal_cost * p.renewals == ledger.balance
    assert p.plan_expiry >= ledger.plan_expiry


@given(plans, instants, offsets, amounts, amounts, offsets.map(abs))
def test_a_payment_never_shortens_the_plan(
    plan: PlanRules, read_at: datetime, expiry_off: timedelta, a: Decimal, paid: Decimal,
    later: timedelta,
) -> None:  # fmt: skip
    ledger = Ledger(Money(a, "USD"), read_at, read_at + expiry_off)
    at = read_at + later
    before = project_ledger(ledger, plan, at)
    after = apply_payment(ledger, plan, Money(paid, "USD"), at)
    assert after.plan_expiry >= before.plan_expiry
    assert after.balance.amount >= before.balance.amount + paid - plan.renewal_cost.amount


@given(instants, zones, st.integers(min_value=1, max_value=40))
def test_thirty_day_cycles_keep_wall_time_and_day_count(
    start: datetime, name: str, cycles: int
) -> None:
    plan = PlanRules(30, usd("3"), timezone=name)
    tz = zone(name)
    assume(start.astimezone(tz).time() >= time(4))  # no DST gap is as late as 04:00 here
    end = expiry_after_payment(None, start, plan, cycles)
    assert (local_date(end, tz) - local_date(start, tz)).days == 30 * cycles
    assert end.astimezone(tz).time() == start.astimezone(tz).time()


@pytest.mark.parametrize(
    ("start", "name", "expected"),
    [
        ((2028, 2, 10, 9, 0), "America/New_York", (2028, 3, 11, 9, 0)),  # leap day, DST starts
        ((2026, 10, 15, 9, 0), "Europe/London", (2026, 11, 14, 9, 0)),  # DST ends
        ((2026, 9, 20, 9, 0), "Australia/Sydney", (2026, 10, 20, 9, 0)),  # DST starts (south)
        ((2026, 1, 31, 23, 30), "America/Los_Angeles", (2026, 3, 2, 23, 30)),  # two month ends
    ],
)
def test_thirty_day_cycle_examples(
    start: tuple[int, int, int, int, int], name: str, expected: tuple[int, ...]
) -> None:
    tz = zone(name)
    plan = PlanRules(30, usd("3"), timezone=name)
    year, month, day, hour, minute = start
    paid_at = datetime(year, month, day, hour, minute, tzinfo=tz)
    end = expiry_after_payment(None, paid_at, plan).astimezone(tz)
    assert (end.year, end.month, end.day, end.hour, end.minute) == expected


@given(instants, offsets, zones)
def test_late_payment_counts_from_the_payment_day(
    paid_at: datetime, lateness: timedelta, name: str
) -> None:
    plan = PlanRules(30, usd("3"), timezone=name)
    old_expiry = paid_at - abs(lateness)
    assert expiry_after_payment(old_expiry, paid_at, plan) == add_days(paid_at, 30, plan.tz)


@given(instants, st.lists(st.integers(min_value=0, max_value=730), max_size=20), zones)
def test_reminders_sorted_unique_and_before(
    deadline: datetime, leads: list[int], name: str
) -> None:
    got = reminder_instants(deadline, leads, name)
    assert got == sorted(set(got))
    assert len(got) == len(set(leads))
    assert all(at <= deadline for at in got)
    tz = zone(name)
    assert {(local_date(deadline, tz) - local_date(at, tz)).days for at in got} == set(leads)


# --- bad input is refused with typed errors ------------------------------------------------------

currencies = st.sampled_from(sorted(ISO_CURRENCIES))


@given(currencies, currencies, amounts, amounts)
def test_mixed_currency_arithmetic_is_refused(c1: str, c2: str, a: Decimal, b: Decimal) -> None:
    assume(c1 != c2)
    x, y = Money(a, c1), Money(b, c2)
    with pytest.raises(CurrencyError):
        _ = x + y
    with pytest.raises(CurrencyError):
        _ = x - y
    with pytest.raises(CurrencyError):
        _ = x < y


@given(amounts.filter(lambda a: a > 0))
def test_negative_amounts_are_refused(amount: Decimal) -> None:
    with pytest.raises(InvalidAmountError):
        Money.parse(-amount, "USD")
    with pytest.raises(InvalidPlanError):
        PlanRules(30, Money(-amount, "USD"))


@given(st.sampled_from(["NaN", "sNaN", "Infinity", "-Infinity"]))
def test_non_finite_amounts_are_refused(text: str) -> None:
    with pytest.raises(InvalidAmountError):
        Money(Decimal(text), "USD")
    with pytest.raises(InvalidAmountError):
        Money.parse(text, "USD")


@given(st.text(min_size=0, max_size=5))
def test_unknown_currencies_are_refused(code: str) -> None:
    assume(code.upper() not in ISO_CURRENCIES)
    with pytest.raises(CurrencyError):
        Money.parse("1", code)


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1)))  # noqa: DTZ001
def test_naive_datetimes_are_refused(naive: datetime) -> None:
    plan = PlanRules(30, usd("3"))
    with pytest.raises(NaiveDatetimeError):
        LineSnapshot("l", "+1", plan_expiry=naive)
    with pytest.raises(NaiveDatetimeError):
        compute_status(LineSnapshot("l", "+1"), plan, naive)
    with pytest.raises(NaiveDatetimeError):
        Ledger(usd("1"), naive, naive)
    with pytest.raises(NaiveDatetimeError):
        reminder_instants(naive, [1], "UTC")


@given(st.integers(max_value=0) | st.integers(min_value=3661))
def test_cycles_out_of_range_are_refused(cycle: int) -> None:
    with pytest.raises(InvalidPlanError):
        PlanRules(cycle, usd("3"))


@given(st.one_of(st.floats(), st.text(max_size=3), st.none(), st.booleans()))
def test_non_integer_cycles_are_refused(cycle: object) -> None:
    with pytest.raises(KeeperError):
        PlanRules(cycle, usd("3"))  # type: ignore[arg-type]


# Plans with and without a renewal window (Tello's 05:00-11:00, or most of the day).
windowed_plans = st.tuples(
    plans, st.sampled_from([None, (time(5), time(11)), (time(0, 30), time(23, 30))])
).map(lambda pw: replace(pw[0], renewal_window=pw[1]))


@settings(max_examples=400)
@given(windowed_plans, instants, st.data())
def test_status_holds_until_the_instant_it_names(
    plan: PlanRules, now: datetime, data: st.DataObject
) -> None:
    """A poll may reuse a status until status_holds_until: nothing in it can change before.

    The dates are drawn so that one instant where a status can switch (the expiry, its warning,
    its loss date, the activity deadline or its warning) falls within a day after now, where a
    forgotten one would be caught.
    """
    warn_days = data.draw(st.integers(min_value=0, max_value=10))
    soon = st.integers(min_value=1, max_value=86400).map(lambda s: timedelta(seconds=s))
    anywhere = st.none() | offsets
    expiry_off, activity_off = data.draw(anywhere), data.draw(anywhere)
    target = data.draw(st.sampled_from(["expiry", "warning", "loss", "activity", "reminder"]))
    if target in ("activity", "reminder") and plan.activity_days is not None:
        shift = -plan.activity_days + (warn_days if target == "reminder" else 0)
        activity_off = timedelta(days=shift) + data.draw(soon)
    else:
        shift = {"expiry": 0, "warning": warn_days, "loss": -plan.grace_days}.get(target, 0)
        expiry_off = timedelta(days=shift) + data.draw(soon)
    parts: Parts = (
        data.draw(st.none() | amounts.map(lambda a: Money(a, "USD"))),
        expiry_off,
        activity_off,
        data.draw(st.sampled_from(CarrierStatus)),
        data.draw(st.none() | st.booleans()),
    )
    # Carrier autopay (the card pays, the expiry may be assumed) switches at the same instants.
    snapshot = replace(
        _snapshot(now, parts),
        carrier_autopay=data.draw(st.booleans()),
        expiry_assumed=data.draw(st.booleans()),
    )
    until = status_holds_until(snapshot, plan, now, warn_days=warn_days)
    assert until > now
    status = compute_status(snapshot, plan, now, warn_days=warn_days)
    last = until - timedelta(microseconds=1)
    fraction = data.draw(st.floats(min_value=0, max_value=1))
    for later in (min(now + (until - now) * fraction, last), last):
        assert compute_status(snapshot, plan, later, warn_days=warn_days) == status


def test_status_holds_until_the_next_switch() -> None:
    """Not just the next midnight: the expiry itself, or the end of the renewal window."""
    plan = PlanRules(
        cycle_days=30,
        renewal_cost=usd("5"),
        timezone="America/New_York",
        renewal_window=(time(5), time(11)),
    )
    now = datetime.fromisoformat("2026-11-26T08:00:00+00:00")  # 03:00 in New York
    expiry = datetime.fromisoformat("2026-11-26T09:00:00+00:00")  # 04:00 in New York
    line = LineSnapshot("l", "+1", balance=usd("10"), plan_expiry=expiry, auto_renew=True)
    assert status_holds_until(line, plan, now, warn_days=3) == expiry
    # After the expiry, a covered renewal is pending until the window closes at 11:00.
    closes = datetime.fromisoformat("2026-11-26T16:00:00+00:00")
    assert status_holds_until(line, plan, expiry, warn_days=3) == closes
    assert compute_status(line, plan, closes, warn_days=3) != compute_status(
        line, plan, closes - timedelta(microseconds=1), warn_days=3
    )
