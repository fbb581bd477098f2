"""The Telnyx provider against the simulator's Telnyx-shaped endpoints."""

from __future__ import annotations

from decimal import Decimal
import json

import aiohttp
import pytest

from custom_components.esim_keeper.keeper.model import CarrierStatus, PaymentMethod
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    Provider,
    ProviderConnectionError,
    ProviderError,
    RateLimitedError,
    RenewalRequest,
    UnsupportedError,
)
from custom_components.esim_keeper.keeper.providers.telnyx import TelnyxProvider
from tests.carrier_sim.fixtures import NOW, Canned, fixed_clock
from tools.carrier_sim import DEFAULT_TELNYX_API_KEY, CarrierSim


def telnyx(session: aiohttp.ClientSession, url: str, key: str = DEFAULT_TELNYX_API_KEY,
           **kw: object) -> TelnyxProvider:  # fmt: skip
    return TelnyxProvider(session, key, base_url=url, timeout=0.2, clock=fixed_clock, **kw)  # type: ignore[arg-type]


async def test_fetch(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = telnyx(session, sim.base_url)
    assert isinstance(provider, Provider)
    info = await provider.async_validate()
    assert info.account_id.startswith("telnyx-")
    assert DEFAULT_TELNYX_API_KEY not in info.account_id
    sim.state.lines["line-3"].status = "deleted"
    data = await provider.async_fetch()
    assert data.account_balance == Money(Decimal("12.29"), "USD")
    assert data.auto_recharge is True
    assert data.requests == 3
    assert len(data.lines) == 3
    statuses = sorted(line.carrier_status for line in data.lines.values())
    assert statuses == sorted([CarrierStatus.ACTIVE, CarrierStatus.ACTIVE, CarrierStatus.DELETED])
    for line in data.lines.values():
        assert line.shared_balance
        assert line.auto_renew is True
        assert line.plan_expiry is not None
        assert line.plan_expiry > NOW


async def test_pages(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    sim.state.auto_recharge_enabled = False
    data = await telnyx(session, sim.base_url, page_size=2).async_fetch()
    assert len(data.lines) == 3
    assert data.auto_recharge is False
    assert sim.state.requests["telnyx.numbers"] == 2
    assert data.requests == 4


async def test_auth(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    with pytest.raises(AuthError):
        await telnyx(session, sim.base_url, key="bad").async_validate()
    sim.state.revoked.add("telnyx")
    with pytest.raises(AuthError):
        await telnyx(session, sim.base_url).async_fetch()


async def test_renew_unsupported(session: aiohttp.ClientSession) -> None:
    provider = telnyx(session, "http://127.0.0.1:9")
    request = RenewalRequest("1", Money(Decimal(1), "USD"), PaymentMethod.CARD, "k")
    with pytest.raises(UnsupportedError, match="auto-recharge"):
        await provider.async_renew(request)
    with pytest.raises(UnsupportedError):
        await provider.async_lookup_renewal("1", "k")
    with pytest.raises(ValueError, match="page_size"):
        TelnyxProvider(session, "k", page_size=251)


FAULTS = [
    ("latency:1", ProviderConnectionError),
    ("500", ProviderConnectionError),
    ("429", RateLimitedError),
    ("malformed", InvalidResponseError),
    ("truncate", ProviderConnectionError),
    ("drop", ProviderConnectionError),
    ("commit_drop", ProviderConnectionError),
]


@pytest.mark.parametrize(("spec", "error"), FAULTS)
@pytest.mark.parametrize("route", ["telnyx.balance", "telnyx.numbers", "telnyx.autoRecharge"])
async def test_faults(
    sim: CarrierSim,
    session: aiohttp.ClientSession,
    route: str,
    spec: str,
    error: type[ProviderError],
) -> None:
    sim.set_fault(route, spec)
    with pytest.raises(error):
        await telnyx(session, sim.base_url).async_fetch()


NUMBER = {"id": "1", "phone_number": "+12025550101", "status": "active",
          "purchased_at": "2026-01-31T10:00:00Z"}  # fmt: skip


def answer(canned: Canned, *numbers: object, total: object = 1, balance: object = "5.00",
           enabled: object = True) -> None:  # fmt: skip
    canned.set("/v2/balance", json.dumps({"data": {"balance": balance, "currency": "USD"}}))
    canned.set("/v2/payments/auto_recharge_prefs", json.dumps({"data": {"enabled": enabled}}))
    canned.set("/v2/phone_numbers",
               json.dumps({"data": list(numbers), "meta": {"total_pages": total}}))  # fmt: skip


async def test_minimal_number(canned: Canned, session: aiohttp.ClientSession) -> None:
    answer(canned, {"id": "2", "phone_number": "+12025550102", "status": "port-pending"},
           enabled=None)  # fmt: skip
    data = await telnyx(session, canned.base_url).async_fetch()
    line = data.lines["2"]
    assert line.plan_expiry is None
    assert line.carrier_status is CarrierStatus.UNKNOWN
    assert line.auto_renew is None


async def test_stops_on_empty_page(canned: Canned, session: aiohttp.ClientSession) -> None:
    answer(canned, total=5)
    data = await telnyx(session, canned.base_url).async_fetch()
    assert data.lines == {}
    assert data.requests == 3


@pytest.mark.parametrize(
    ("number", "kw"),
    [
        ({**NUMBER, "purchased_at": "2026-01-31"}, {}),
        ({**NUMBER, "purchased_at": "9999-12-31T23:00:00Z"}, {}),
        ({**NUMBER, "phone_number": None}, {}),
        ({**NUMBER, "status": 1}, {}),
        (NUMBER, {"total": "2"}),
        (NUMBER, {"total": 10**9}),
        (NUMBER, {"balance": "Infinity"}),
        (NUMBER, {"enabled": "true"}),
    ],
)
async def test_hostile(
    canned: Canned, session: aiohttp.ClientSession, number: object, kw: dict[str, object]
) -> None:
    answer(canned, number, **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidResponseError):
        await telnyx(session, canned.base_url).async_fetch()


async def test_duplicate_and_endless(
    canned: Canned, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(canned, NUMBER, NUMBER)
    with pytest.raises(InvalidResponseError, match="twice"):
        await telnyx(session, canned.base_url).async_fetch()
    from custom_components.esim_keeper.keeper.providers import telnyx as module

    monkeypatch.setattr(module, "MAX_PAGES", 2)
    canned.set("/v2/phone_numbers", json.dumps({"data": [NUMBER], "meta": {"total_pages": 2}}))
    answer(canned, NUMBER, total=2)
    # every page repeats the same number: caught as a duplicate before the page cap
    with pytest.raises(InvalidResponseError):
        await telnyx(session, canned.base_url).async_fetch()
