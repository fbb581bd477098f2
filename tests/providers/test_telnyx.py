"""The Telnyx provider against the simulator's Telnyx-shaped endpoints."""

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
)
from custom_components.esim_keeper.keeper.providers.telnyx import TelnyxProvider
from tests.carrier_sim.fixtures import Canned, fixed_clock
from tests.providers import vendor_shapes as shapes
from tools.carrier_sim import DEFAULT_TELNYX_API_KEY, CarrierSim

# The path of every official Telnyx SDK (tests/providers/vendor_shapes.py), not our constant.
AUTO_RECHARGE_PATH = "/v2/payment/auto_recharge_prefs"


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
    live = [line for line in data.lines.values() if line.carrier_status is CarrierStatus.ACTIVE]
    assert {line.plan_expiry for line in live} == {datetime(2026, 4, 1, tzinfo=UTC)}
    # line-2's carrier "name" is its number: never a name (finding 13)
    assert sorted(str(line.name) for line in data.lines.values()) == ["Line 1", "Line 3", "None"]


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
@pytest.mark.parametrize("route", ["telnyx.balance", "telnyx.numbers"])
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


@pytest.mark.parametrize(("spec", "error"), FAULTS)
async def test_auto_recharge_read_is_optional(
    sim: CarrierSim, session: aiohttp.ClientSession, spec: str, error: type[ProviderError]
) -> None:
    """Finding 1.

    Whatever goes wrong with the optional auto-recharge read, the poll still brings the balance and
    every number; auto-renew is unknown.
    """
    sim.set_fault("telnyx.autoRecharge", spec)
    data = await telnyx(session, sim.base_url).async_fetch()
    assert data.auto_recharge is None
    assert len(data.lines) == 3
    assert data.account_balance == Money(Decimal("12.29"), "USD")


NUMBER = {"id": "1", "phone_number": "+12025550101", "status": "active",
          "purchased_at": "2026-01-31T10:00:00Z"}  # fmt: skip


def answer(canned: Canned, *numbers: object, total: object = 1, balance: object = "5.00",
           enabled: object = True) -> None:  # fmt: skip
    canned.set("/v2/balance", json.dumps({"data": {"balance": balance, "currency": "USD"}}))
    canned.set(AUTO_RECHARGE_PATH, json.dumps({"data": {"enabled": enabled}}))
    canned.set("/v2/phone_numbers",
               json.dumps({"data": list(numbers), "meta": {"total_pages": total}}))  # fmt: skip


async def test_minimal_number(canned: Canned, session: aiohttp.ClientSession) -> None:
    answer(canned, {"id": "2", "phone_number": "+12025550102", "status": "port-pending"},
           enabled=None)  # fmt: skip
    data = await telnyx(session, canned.base_url).async_fetch()
    line = data.lines["2"]
    assert line.plan_expiry == datetime(2026, 4, 1, tzinfo=UTC)
    assert line.carrier_status is CarrierStatus.UNKNOWN
    assert line.auto_renew is None
    assert line.name is None


async def test_stops_on_empty_page(canned: Canned, session: aiohttp.ClientSession) -> None:
    answer(canned, total=5)
    data = await telnyx(session, canned.base_url).async_fetch()
    assert data.lines == {}
    assert data.requests == 3


@pytest.mark.parametrize(
    ("number", "kw"),
    [
        (NUMBER, {"total": "2"}),
        (NUMBER, {"total": 10**9}),
        (NUMBER, {"balance": "Infinity"}),
    ],
)
async def test_hostile(
    canned: Canned, session: aiohttp.ClientSession, number: object, kw: dict[str, object]
) -> None:
    answer(canned, number, **kw)  # type: ignore[arg-type]
    with pytest.raises(InvalidResponseError):
        await telnyx(session, canned.base_url).async_fetch()


@pytest.mark.parametrize(
    "broken",
    [
        {**NUMBER, "id": "9", "phone_number": None},
        {**NUMBER, "id": "9", "phone_number": "555"},
        {**NUMBER, "id": "9", "status": 1},
        {**NUMBER, "id": "9", "customer_reference": ["x"]},
        {**NUMBER, "id": None},
        17,
    ],
)
async def test_one_bad_number_only(
    canned: Canned, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture, broken: object
) -> None:
    """Finding 8: one odd record makes only its number unavailable, with one WARNING.

    An empty connection_name is nothing at all.
    """
    answer(canned, {**NUMBER, "connection_name": ""}, broken)
    provider = telnyx(session, canned.base_url)
    for _ in range(2):
        data = await provider.async_fetch()
        assert set(data.lines) == {"1"}
        assert len(data.skipped) == 1
    assert len([r for r in caplog.records if r.levelname == "WARNING"]) == 1


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
    for page in (1, 2, 3):
        canned.set(
            "/v2/phone_numbers",
            json.dumps({"data": [{**NUMBER, "id": str(page)}]}),
            query={"page[number]": str(page)},
        )
    with pytest.raises(InvalidResponseError, match="more than 2 pages"):
        await telnyx(session, canned.base_url, page_size=1).async_fetch()


# --- contract: answers shaped after Telnyx's SDK types (tests/providers/vendor_shapes.py) -----


def vendor(canned: Canned, *pages: dict[str, object], auto: object = None) -> None:
    canned.set("/v2/balance", json.dumps(shapes.TELNYX_BALANCE))
    if auto is not None:
        canned.set(AUTO_RECHARGE_PATH, json.dumps(auto))
    for index, page in enumerate(pages, start=1):
        canned.set("/v2/phone_numbers", json.dumps(page), query={"page[number]": str(index)})


async def test_contract_sdk_path_and_shapes(canned: Canned, session: aiohttp.ClientSession) -> None:
    """Finding 1: a server that serves only the SDKs' /v2/payment/auto_recharge_prefs is read.

    Finding 3: names come from customer_reference / tags, never from the shared connection_name;
    available_credit is read; pages follow meta.total_pages.
    """
    first = [shapes.telnyx_number(0), shapes.telnyx_number(1, customer_reference=None)]
    second = [
        shapes.telnyx_number(2, customer_reference=None, tags=["\u200bMom\u200e", "x"]),
    ]
    vendor(
        canned,
        shapes.telnyx_page(first, 1, 2),
        shapes.telnyx_page(second, 2, 2),
        auto=shapes.TELNYX_AUTO_RECHARGE,
    )
    data = await telnyx(session, canned.base_url, page_size=2).async_fetch()
    assert "/v2/payment/auto_recharge_prefs" in canned.seen
    assert data.auto_recharge is True
    assert data.account_balance == Money(Decimal("300.00"), "USD")
    assert data.available_credit == Money(Decimal("400.00"), "USD")
    names = {line.number[-4:]: line.name for line in data.lines.values()}
    assert names == {"0100": "Line 0", "0101": None, "0102": "Mom"}
    assert data.requests == 4


async def test_contract_without_total_pages(canned: Canned, session: aiohttp.ClientSession) -> None:
    """Finding 3: meta (or its total_pages) may be absent: read on until a short page."""
    pages = [
        {"data": [shapes.telnyx_number(0), shapes.telnyx_number(1)]},
        {"data": [shapes.telnyx_number(2)], "meta": {"page_number": 2}},
    ]
    vendor(canned, *pages)
    data = await telnyx(session, canned.base_url, page_size=2).async_fetch()
    assert len(data.lines) == 3
    assert data.auto_recharge is None  # the canned server has no auto-recharge route: 404


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("active", CarrierStatus.ACTIVE),
        ("deleted", CarrierStatus.DELETED),
        ("ported-out", CarrierStatus.DELETED),
        ("purchase-failed", CarrierStatus.DELETED),
        ("port-failed", CarrierStatus.DELETED),
        ("emergency-only", CarrierStatus.SUSPENDED),
        ("port-out-pending", CarrierStatus.UNKNOWN),
        ("purchase-pending", CarrierStatus.UNKNOWN),
        ("requirement-info-exception", CarrierStatus.UNKNOWN),
        ("provision-pending", CarrierStatus.UNKNOWN),
    ],
)
async def test_contract_statuses(
    canned: Canned, session: aiohttp.ClientSession, status: str, expected: CarrierStatus
) -> None:
    """Finding 3: every status of the SDK's enum has a meaning.

    A number that is gone has no next charge.
    """
    vendor(canned, shapes.telnyx_page([shapes.telnyx_number(0, status=status)], 1, 1))
    line = next(iter((await telnyx(session, canned.base_url).async_fetch()).lines.values()))
    assert line.carrier_status is expected
    assert (line.plan_expiry is None) == (expected is CarrierStatus.DELETED)


async def test_refused_optional_read_is_not_an_auth_failure(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    """Finding 1.

    A 403 on the auto-recharge read alone (a key without billing rights) leaves auto-renew unknown;
    it is not an authentication failure of the account.
    """
    vendor(canned, shapes.telnyx_page([shapes.telnyx_number(0)], 1, 1))
    body = json.dumps(shapes.telnyx_error("10010", "Authorization failed"))
    canned.set(AUTO_RECHARGE_PATH, body, status=403)
    data = await telnyx(session, canned.base_url).async_fetch()
    assert data.auto_recharge is None
    assert len(data.lines) == 1


async def test_error_codes_are_read(canned: Canned, session: aiohttp.ClientSession) -> None:
    """Finding 7: Telnyx's errors[].code is part of the message."""
    canned.set(
        "/v2/balance", json.dumps(shapes.telnyx_error("10009", "Authentication failed")), status=401
    )
    with pytest.raises(AuthError, match="10009"):
        await telnyx(session, canned.base_url).async_validate()
    canned.set("/v2/balance", json.dumps(shapes.telnyx_error("10015", "Bad request")), status=400)
    with pytest.raises(InvalidResponseError, match="10015"):
        await telnyx(session, canned.base_url).async_validate()


async def test_bad_available_credit_is_ignored(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    canned.set(
        "/v2/balance",
        json.dumps({"data": {"balance": "1.00", "currency": "USD", "available_credit": "lots"}}),
    )
    canned.set("/v2/phone_numbers", json.dumps({"data": []}))
    data = await telnyx(session, canned.base_url).async_fetch()
    assert data.available_credit is None
    assert data.account_balance == Money(Decimal("1.00"), "USD")
