"""A ledger's dates must lie near its reading: a typo such as year 1800 is refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.errors import DateRangeError
from custom_components.esim_keeper.keeper.lifecycle import LEDGER_SPAN, Ledger
from custom_components.esim_keeper.keeper.money import Money

READ = datetime(2026, 11, 26, 9, tzinfo=UTC)
USD = Money(Decimal("5"), "USD")


@pytest.mark.parametrize("offset", [LEDGER_SPAN + timedelta(days=1), -LEDGER_SPAN - timedelta(1)])
def test_expiry_far_from_the_reading_is_refused(offset: timedelta) -> None:
    with pytest.raises(DateRangeError):
        Ledger(balance=USD, read_at=READ, plan_expiry=READ + offset)


@pytest.mark.parametrize("offset", [LEDGER_SPAN + timedelta(days=1), -LEDGER_SPAN - timedelta(1)])
def test_activity_far_from_the_reading_is_refused(offset: timedelta) -> None:
    with pytest.raises(DateRangeError):
        Ledger(balance=USD, read_at=READ, plan_expiry=READ, last_activity=READ + offset)


def test_dates_within_the_span_are_accepted() -> None:
    ledger = Ledger(
        balance=USD,
        read_at=READ,
        plan_expiry=READ + LEDGER_SPAN,
        last_activity=READ - LEDGER_SPAN + timedelta(days=1),
    )
    assert ledger.plan_expiry > READ
    # Activity recorded after the balance was read is normal ("I used this number" today).
    later = Ledger(balance=USD, read_at=READ, plan_expiry=READ, last_activity=READ + timedelta(40))
    assert later.last_activity is not None
