"""keeper.spending: hourly totals and running sums, one currency, the same rows every time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.errors import NaiveDatetimeError
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.spending import (
    HourTotal,
    Spend,
    currencies,
    hour_start,
    hourly_totals,
)

T = datetime(2026, 11, 21, 10, 30, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money.parse(amount, "USD", allow_negative=True)


def test_sums_by_hour_in_one_currency() -> None:
    spends = [
        Spend(T + timedelta(days=4), usd("5")),
        Spend(T, usd("3")),
        Spend(T + timedelta(minutes=15), usd("3")),
        Spend(T, Money.parse("21.50", "CNY")),
        Spend(T + timedelta(days=5), usd("-1")),
    ]
    assert hourly_totals(spends, "USD") == [
        HourTotal(datetime(2026, 11, 21, 10, tzinfo=UTC), Decimal(6), Decimal(6)),
        HourTotal(datetime(2026, 11, 25, 10, tzinfo=UTC), Decimal(5), Decimal(11)),
        HourTotal(datetime(2026, 11, 26, 10, tzinfo=UTC), Decimal(-1), Decimal(10)),
    ]
    assert hourly_totals(spends, "USD") == hourly_totals(list(reversed(spends)), "USD")
    assert currencies(spends) == ["CNY", "USD"]
    assert hourly_totals([], "USD") == []


def test_hours_are_utc_hours() -> None:
    shanghai = timezone(timedelta(hours=8))
    assert hour_start(datetime(2026, 11, 21, 18, 59, tzinfo=shanghai)) == datetime(
        2026, 11, 21, 10, tzinfo=UTC
    )
    with pytest.raises(NaiveDatetimeError):
        hour_start(datetime(2026, 11, 21, 18, 59))  # noqa: DTZ001
