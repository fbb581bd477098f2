"""Sharing an account balance between numbers: earlier renewals are paid first, nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, strategies as st

from custom_components.esim_keeper.keeper.model import PlanRules
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.shared import MAX_RENEWALS, SharedLine, share_balance

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def plan(cost: str, cycle: int = 30, currency: str = "USD") -> PlanRules:
    return PlanRules(cycle_days=cycle, renewal_cost=Money(Decimal(cost), currency), timezone="UTC")


def test_one_line_gets_what_its_renewals_take() -> None:
    shares = share_balance({"a": SharedLine(NOW + timedelta(days=3), plan("1.15"))}, usd("5"), NOW)
    assert shares == {"a": usd("4.60")}  # four renewals of 1.15


def test_earlier_renewal_is_paid_first_and_the_later_one_goes_short() -> None:
    lines = {
        "late": SharedLine(NOW + timedelta(days=20), plan("1.15")),
        "soon": SharedLine(NOW + timedelta(days=2), plan("1.15")),
    }
    shares = share_balance(lines, usd("1.50"), NOW)
    assert shares == {"soon": usd("1.15"), "late": usd("0")}


def test_renewals_interleave_by_date() -> None:
    lines = {
        "a": SharedLine(NOW + timedelta(days=1), plan("1")),
        "b": SharedLine(NOW + timedelta(days=10), plan("1")),
    }
    # a (day 1), b (day 10), a (day 31), then b (day 40) cannot be paid.
    assert share_balance(lines, usd("3.5"), NOW) == {"a": usd("2"), "b": usd("1")}


def test_expired_plan_renews_now_before_future_ones() -> None:
    lines = {
        "expired": SharedLine(NOW - timedelta(days=5), plan("2")),
        "future": SharedLine(NOW + timedelta(days=1), plan("2")),
    }
    assert share_balance(lines, usd("2"), NOW) == {"expired": usd("2"), "future": usd("0")}


def test_free_and_foreign_currency_lines_get_nothing() -> None:
    lines = {
        "free": SharedLine(NOW, plan("0")),
        "pounds": SharedLine(NOW, plan("1", currency="GBP")),
        "paid": SharedLine(NOW, plan("1")),
    }
    shares = share_balance(lines, usd("2"), NOW)
    assert shares == {"free": usd("0"), "pounds": usd("0"), "paid": usd("2")}


def test_a_huge_balance_stops_after_the_renewal_limit() -> None:
    lines = {"a": SharedLine(NOW, plan("0.01", cycle=1))}
    shares = share_balance(lines, usd("1000000"), NOW)
    assert shares["a"] == usd("0.01") * MAX_RENEWALS


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=-40, max_value=400),
            st.decimals(min_value=Decimal("0.05"), max_value=Decimal(50), places=2),
            st.integers(min_value=1, max_value=120),
        ),
        min_size=1,
        max_size=6,
    ),
    st.decimals(min_value=Decimal(0), max_value=Decimal(500), places=2),
)
def test_shares_never_exceed_the_balance_and_are_whole_renewals(
    spec: list[tuple[int, Decimal, int]], balance: Decimal
) -> None:
    lines = {
        f"l{i}": SharedLine(
            NOW + timedelta(days=offset),
            PlanRules(cycle_days=cycle, renewal_cost=usd(str(cost)), timezone="UTC"),
        )
        for i, (offset, cost, cycle) in enumerate(spec)
    }
    shares = share_balance(lines, usd(str(balance)), NOW)
    total = sum((s.amount for s in shares.values()), Decimal(0))
    assert total <= balance
    for line_id, share in shares.items():
        cost = lines[line_id].plan.renewal_cost.amount
        assert share.amount % cost == 0
    # The money left could not pay the next renewal due: at most one fee short of the cheapest.
    assert balance - total < max(lines[k].plan.renewal_cost.amount for k in lines) or not shares


def test_status_judges_a_shared_line_by_its_share() -> None:
    from custom_components.esim_keeper.keeper.lifecycle import compute_status
    from custom_components.esim_keeper.keeper.model import LineSnapshot

    snapshot = LineSnapshot(
        line_id="a",
        number="+12025550101",
        balance=usd("10"),
        plan_expiry=NOW + timedelta(days=3),
        shared_balance=True,
    )
    rules = plan("1.15")
    alone = compute_status(snapshot, rules, NOW)
    shared = compute_status(snapshot, rules, NOW, funds=usd("0"))
    assert alone.balance_covers_renewal is True
    assert shared.balance_covers_renewal is False
    assert shared.runway.cycles == 0
