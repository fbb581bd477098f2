"""The Manual provider: ledgers projected by the keeper rules; renew records a payment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.lifecycle import Ledger
from custom_components.esim_keeper.keeper.model import CarrierStatus, PaymentMethod, PlanRules
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers.base import (
    LineNotFoundError,
    Provider,
    RenewalRequest,
    UnsupportedError,
)
from custom_components.esim_keeper.keeper.providers.manual import ManualLine, ManualProvider

T0 = datetime(2026, 1, 1, 14, tzinfo=UTC)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


PLAN = PlanRules(30, usd("3.00"), grace_days=30)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def make(clock: Clock, balance: str = "10.00", expiry_days: int = 5) -> ManualProvider:
    ledger = Ledger(balance=usd(balance), read_at=T0, plan_expiry=T0 + timedelta(days=expiry_days))
    return ManualProvider({"ultra": (ledger, PLAN, "+12025550101")}, clock)


async def test_fetch_projects_ledger() -> None:
    clock = Clock()
    provider = make(clock)
    assert isinstance(provider, Provider)
    assert not provider.capabilities.lists_lines
    assert (await provider.async_validate()).account_id == "manual"
    data = await provider.async_fetch()
    line = data.lines["ultra"]
    assert line.balance == usd("10.00")
    assert line.plan_expiry == T0 + timedelta(days=5)
    assert line.carrier_status is CarrierStatus.UNKNOWN
    assert line.auto_renew is True
    assert data.requests == 0
    clock.now = T0 + timedelta(days=40)  # two automatic deductions: day 5 and day 35
    line = (await provider.async_fetch()).lines["ultra"]
    assert line.balance == usd("4.00")
    assert line.plan_expiry == T0 + timedelta(days=65)


async def test_never_pays() -> None:
    """A hand-kept line is paid at the carrier and recorded by the user.

    The provider itself refuses to renew, and knows no renewal to look up.
    """
    clock = Clock()
    provider = make(clock, balance="1.00", expiry_days=-2)
    before = provider.ledger("ultra")
    request = RenewalRequest("ultra", usd("5.00"), PaymentMethod.RETAIL_PIN, "pay-1")
    with pytest.raises(UnsupportedError):
        await provider.async_renew(request)
    assert provider.ledger("ultra") == before
    assert await provider.async_lookup_renewal("ultra", "pay-1") is None
    assert not provider.capabilities.can_renew
    assert provider.capabilities.records_payments


async def test_record_activity_never_moves_back() -> None:
    clock = Clock()
    provider = make(clock)
    provider.record_activity("ultra", T0)
    assert provider.ledger("ultra").last_activity == T0
    provider.record_activity("ultra", T0 - timedelta(days=1))
    assert provider.ledger("ultra").last_activity == T0
    with pytest.raises(LineNotFoundError):
        provider.record_activity("nope", T0)


async def test_edit_lines() -> None:
    clock = Clock()
    provider = make(clock)
    ledger = Ledger(usd("0.00"), T0, T0 + timedelta(days=1), auto_deduct=False)
    provider.set_line("tello", *ManualLine(ledger, PLAN, "+12025550102"))
    assert set((await provider.async_fetch()).lines) == {"ultra", "tello"}
    assert (await provider.async_fetch()).lines["tello"].auto_renew is False
    provider.remove_line("ultra")
    provider.remove_line("ultra")
    with pytest.raises(LineNotFoundError):
        provider.ledger("ultra")


async def test_naive_clock_refused() -> None:
    provider = ManualProvider({}, lambda: datetime(2026, 1, 1))  # noqa: DTZ001
    with pytest.raises(ValueError, match="timezone"):
        await provider.async_fetch()
