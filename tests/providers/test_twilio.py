"""The Twilio provider against the simulator's Twilio-shaped endpoints."""

from __future__ import annotations

from datetime import UTC, datetime
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
    next_monthly_date,
)
from custom_components.esim_keeper.keeper.providers.twilio import TwilioProvider
from tests.carrier_sim.fixtures import NOW, Canned, fixed_clock
from tools.carrier_sim import (
    DEFAULT_TWILIO_ACCOUNT_SID as SID,
    DEFAULT_TWILIO_API_KEY_SECRET,
    DEFAULT_TWILIO_API_KEY_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
    CarrierSim,
)

PREFIX = f"/2010-04-01/Accounts/{SID}"


def twilio(session: aiohttp.ClientSession, url: str, **kw: object) -> TwilioProvider:
    kw.setdefault("api_key_sid", DEFAULT_TWILIO_API_KEY_SID)
    secret = kw.pop("secret", DEFAULT_TWILIO_API_KEY_SECRET)
    sid = kw.pop("sid", SID)
    return TwilioProvider(
        session,
        sid,
        secret,
        base_url=url,
        timeout=0.2,
        clock=fixed_clock,
        **kw,  # type: ignore[arg-type]
    )


async def test_fetch(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = twilio(session, sim.base_url)
    assert isinstance(provider, Provider)
    info = await provider.async_validate()
    assert info.account_id == SID
    assert "0001" in info.title
    assert SID not in info.title
    data = await provider.async_fetch()
    assert data.account_balance == Money(Decimal("12.29"), "USD")
    assert len(data.lines) == 3
    assert data.requests == 2
    for line in data.lines.values():
        assert line.shared_balance
        assert line.balance == data.account_balance
        assert line.carrier_status is CarrierStatus.ACTIVE
        assert line.plan_expiry is not None
        assert NOW < line.plan_expiry <= datetime(2026, 4, 16, tzinfo=UTC)
    numbers = {line.number for line in data.lines.values()}
    assert numbers == {line.number for line in sim.state.lines.values()}


async def test_auth_token_and_pages(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    sim.state.lines["line-2"].status = "deleted"  # released numbers are not listed
    provider = twilio(session, sim.base_url, api_key_sid=None, secret=DEFAULT_TWILIO_AUTH_TOKEN,
                      page_size=1)  # fmt: skip
    data = await provider.async_fetch()
    assert len(data.lines) == 2
    assert data.requests == 3
    assert sim.state.requests["twilio.numbers"] == 2


async def test_auth_errors(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    with pytest.raises(AuthError):
        await twilio(session, sim.base_url, secret="wrong").async_validate()
    with pytest.raises(AuthError, match="AC followed by 32"):
        await twilio(session, sim.base_url, sid="AC123").async_validate()
    with pytest.raises(AuthError):  # valid key, someone else's account
        await twilio(session, sim.base_url, sid="AC" + "f" * 32).async_fetch()
    sim.state.revoked.add("twilio")
    with pytest.raises(AuthError):
        await twilio(session, sim.base_url).async_fetch()


async def test_renew_unsupported(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = twilio(session, sim.base_url)
    assert not provider.capabilities.can_renew
    request = RenewalRequest("PN1", Money(Decimal(1), "USD"), PaymentMethod.CARD, "k")
    with pytest.raises(UnsupportedError, match="auto-recharge") as err:
        await provider.async_renew(request)
    assert err.value.feature == "renew"
    with pytest.raises(UnsupportedError):
        await provider.async_lookup_renewal("PN1", "k")
    assert sum(sim.state.requests.values()) == 0


FAULTS = [
    ("latency:1", ProviderConnectionError),
    ("502", ProviderConnectionError),
    ("429:3", RateLimitedError),
    ("429:date:3", RateLimitedError),
    ("malformed", InvalidResponseError),
    ("truncate", ProviderConnectionError),
    ("drop", ProviderConnectionError),
    ("commit_drop", ProviderConnectionError),
]


@pytest.mark.parametrize(("spec", "error"), FAULTS)
@pytest.mark.parametrize("route", ["twilio.balance", "twilio.numbers"])
async def test_faults(
    sim: CarrierSim,
    session: aiohttp.ClientSession,
    route: str,
    spec: str,
    error: type[ProviderError],
) -> None:
    sim.set_fault(route, spec)
    with pytest.raises(error):
        await twilio(session, sim.base_url).async_fetch()


NUMBER = {
    "sid": "PN1",
    "phone_number": "+12025550101",
    "friendly_name": "(202) 555-0101",
    "date_created": "Sat, 31 Jan 2026 10:00:00 +0000",
    "status": "in-use",
}


def answer(canned: Canned, *numbers: object, next_uri: object = None, balance: object = "5.00",
           sid: str = SID) -> None:  # fmt: skip
    canned.set(f"{PREFIX}/Balance.json",
               json.dumps({"currency": "USD", "balance": balance, "account_sid": sid}))  # fmt: skip
    canned.set(
        f"{PREFIX}/IncomingPhoneNumbers.json",
        json.dumps({"incoming_phone_numbers": list(numbers), "next_page_uri": next_uri}),
    )


async def test_billing_day_and_statuses(canned: Canned, session: aiohttp.ClientSession) -> None:
    odd = {**NUMBER, "sid": "PN2", "status": "porting", "date_created": "15 Mar 2026 13:00 -0000"}
    answer(canned, NUMBER, odd, balance="-0.50")
    data = await twilio(session, canned.base_url).async_fetch()
    assert data.lines["PN1"].plan_expiry == datetime(2026, 3, 31, 10, tzinfo=UTC)
    assert data.lines["PN2"].plan_expiry == datetime(2026, 4, 15, 13, tzinfo=UTC)
    assert data.lines["PN2"].carrier_status is CarrierStatus.UNKNOWN
    assert data.account_balance == Money(Decimal("-0.50"), "USD")


@pytest.mark.parametrize(
    ("number", "kw"),
    [
        ({**NUMBER, "date_created": "yesterday"}, {}),
        ({**NUMBER, "date_created": None}, {}),
        ({**NUMBER, "date_created": "Fri, 31 Dec 9999 23:00:00 +0000"}, {}),
        ({**NUMBER, "phone_number": "+1 202 555 0101"}, {}),
        ({**NUMBER, "sid": ["PN1"]}, {}),
        (NUMBER, {"balance": "NaN"}),
        (NUMBER, {"balance": 5.0}),
        (NUMBER, {"sid": "AC" + "1" * 32}),
        (NUMBER, {"next_uri": "https://evil.example/steal"}),
        (NUMBER, {"next_uri": "/2010-04-01/Accounts/ACx/Calls.json?Page=1"}),
    ],
)
async def test_hostile(
    canned: Canned, session: aiohttp.ClientSession, number: object, kw: dict[str, object]
) -> None:
    answer(canned, number, **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidResponseError):
        await twilio(session, canned.base_url).async_fetch()


async def test_duplicate_and_endless(
    canned: Canned, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(canned, NUMBER, NUMBER)
    with pytest.raises(InvalidResponseError, match="twice"):
        await twilio(session, canned.base_url).async_fetch()
    from custom_components.esim_keeper.keeper.providers import twilio as module

    monkeypatch.setattr(module, "MAX_PAGES", 2)
    answer(canned, next_uri=f"{PREFIX}/IncomingPhoneNumbers.json?Page=1")
    with pytest.raises(InvalidResponseError, match="more than 2 pages"):
        await twilio(session, canned.base_url).async_fetch()


def test_page_size_checked(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="page_size"):
        TwilioProvider(session, SID, "s", page_size=5000)


@pytest.mark.parametrize(
    ("anchor", "now", "expected"),
    [
        (datetime(2026, 1, 31, 10, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC),
         datetime(2026, 2, 28, 10, tzinfo=UTC)),
        (datetime(2024, 1, 31, 10, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC),
         datetime(2024, 2, 29, 10, tzinfo=UTC)),
        (datetime(2025, 12, 15, tzinfo=UTC), datetime(2026, 1, 15, tzinfo=UTC),
         datetime(2026, 2, 15, tzinfo=UTC)),
        (datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC),
         datetime(2026, 6, 1, tzinfo=UTC)),
        (datetime(2020, 3, 10, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC),
         datetime(2026, 3, 10, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_next_monthly_date(anchor: datetime, now: datetime, expected: datetime) -> None:
    assert next_monthly_date(anchor, now) == expected
