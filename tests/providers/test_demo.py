"""The in-process demo provider (existing code, covered here with the other providers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.model import PaymentMethod
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers.base import (
    PaymentDeclinedError,
    Provider,
    ProviderConnectionError,
    RenewalRequest,
)
from custom_components.esim_keeper.keeper.providers.demo import DemoProvider

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


async def test_demo_round_trip() -> None:
    provider = DemoProvider(lambda: NOW)
    assert isinstance(provider, Provider)
    assert (await provider.async_validate()).account_id == "demo"
    data = await provider.async_fetch()
    assert len(data.lines) == 5
    request = RenewalRequest("demo-2", Money(Decimal(5), "USD"), PaymentMethod.CARD, "k")
    result = await provider.async_renew(request)
    assert await provider.async_renew(request) == result
    assert provider.charges == 1
    assert await provider.async_lookup_renewal("demo-2", "k") == result
    provider.declined_methods.add(PaymentMethod.PAYPAL)
    with pytest.raises(PaymentDeclinedError):
        await provider.async_renew(
            RenewalRequest("demo-2", Money(Decimal(5), "USD"), PaymentMethod.PAYPAL, "k2")
        )
    provider.fail_next = ProviderConnectionError("boom")
    with pytest.raises(ProviderConnectionError):
        await provider.async_fetch()
    provider.record_activity("demo-3", NOW)
    line = (await provider.async_fetch()).lines["demo-3"]
    assert line.last_activity == NOW
    assert line.plan_expiry is not None
    assert line.plan_expiry > NOW + timedelta(days=1000)
