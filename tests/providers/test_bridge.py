"""The HTTP bridge provider against the carrier simulator over 127.0.0.1."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
import json
from typing import Any

import aiohttp
import pytest

from custom_components.esim_keeper.keeper.model import CarrierStatus, PaymentMethod
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    LineNotFoundError,
    PaymentDeclinedError,
    Provider,
    ProviderConnectionError,
    ProviderError,
    RateLimitedError,
    RenewalRequest,
    RenewalStatus,
)
from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from tests.carrier_sim.fixtures import NOW, Canned, fixed_clock
from tools.carrier_sim import DEFAULT_BRIDGE_TOKEN, CarrierSim

FAST = 0.2


def bridge(
    session: aiohttp.ClientSession, url: str, token: str = DEFAULT_BRIDGE_TOKEN, **kw: object
) -> HttpBridgeProvider:
    return HttpBridgeProvider(session, url, token, timeout=FAST, clock=fixed_clock, **kw)  # type: ignore[arg-type]


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def renewal(key: str = "key-1", line: str = "line-1", method: PaymentMethod = PaymentMethod.CARD):
    return RenewalRequest(line_id=line, amount=usd("3.00"), method=method, idempotency_key=key)


async def test_validate_and_fetch(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, sim.base_url)
    assert isinstance(provider, Provider)
    info = await provider.async_validate()
    assert info.account_id == "sim-account"
    assert provider.capabilities.can_renew
    assert PaymentMethod.CARRIER_BALANCE in provider.capabilities.payment_methods
    data = await provider.async_fetch()
    assert set(data.lines) == {"line-1", "line-2", "line-3"}
    assert data.requests == 1
    line = data.lines["line-1"]
    sim_line = sim.state.lines["line-1"]
    assert line.number == sim_line.number
    assert line.balance == Money(sim_line.balance, "USD")
    assert line.plan_expiry == sim_line.plan_expiry
    assert line.carrier_status is CarrierStatus.ACTIVE
    assert data.fetched_at == NOW


async def test_plain_date_expiry_uses_account_timezone(
    sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    sim.state.lines["line-2"].expiry_as_date = True
    sim.state.lines["line-2"].plan_expiry = datetime(2026, 4, 1, 12, tzinfo=UTC)
    provider = bridge(session, sim.base_url)
    await provider.async_validate()  # learns America/New_York
    line = (await provider.async_fetch()).lines["line-2"]
    assert line.plan_expiry == datetime(2026, 4, 1, 4, tzinfo=UTC)  # midnight EDT


async def test_pagination_counts_requests(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, sim.base_url, page_size=2)
    data = await provider.async_fetch()
    assert len(data.lines) == 3
    assert data.requests == 2
    assert sim.state.requests["bridge.listLines"] == 2


async def test_fetch_line(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, sim.base_url)
    line = await provider.async_fetch_line("line-3")
    assert line.line_id == "line-3"
    with pytest.raises(LineNotFoundError):
        await provider.async_fetch_line("nope")


async def test_renew_is_idempotent(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, sim.base_url)
    before = sim.state.lines["line-1"].plan_expiry
    first = await provider.async_renew(renewal())
    assert first.status is RenewalStatus.SUCCEEDED
    assert first.amount == usd("3.00")
    assert first.reference == "rn_1"
    again = await provider.async_renew(renewal())
    assert again == first
    assert sim.state.charges_total == 1
    assert sim.state.lines["line-1"].charges == 1
    assert sim.state.lines["line-1"].plan_expiry > before
    assert await provider.async_lookup_renewal("line-1", "key-1") == first
    assert await provider.async_lookup_renewal("line-1", "unknown") is None


async def test_renew_declined(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, sim.base_url)
    sim.state.lines["line-2"].decline_reason = "card_declined"
    with pytest.raises(PaymentDeclinedError) as err:
        await provider.async_renew(renewal(line="line-2"))
    assert err.value.reason == "card_declined"
    looked = await provider.async_lookup_renewal("line-2", "key-1")
    assert looked is not None
    assert looked.status is RenewalStatus.DECLINED
    assert looked.decline_reason == "card_declined"
    sim.state.lines["line-3"].balance = Decimal("1.00")
    with pytest.raises(PaymentDeclinedError, match="declined") as err:
        await provider.async_renew(renewal("k2", "line-3", PaymentMethod.CARRIER_BALANCE))
    assert err.value.reason == "insufficient_funds"
    assert sim.state.charges_total == 0


async def test_renew_errors(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, sim.base_url)
    with pytest.raises(LineNotFoundError):
        await provider.async_renew(renewal(line="missing"))
    await provider.async_renew(renewal())
    other = RenewalRequest("line-1", usd("4.00"), PaymentMethod.CARD, "key-1")
    with pytest.raises(InvalidResponseError, match="idempotency_conflict"):
        await provider.async_renew(other)
    eur = RenewalRequest("line-1", Money(Decimal(3), "EUR"), PaymentMethod.CARD, "key-9")
    with pytest.raises(InvalidResponseError, match="invalid_request"):
        await provider.async_renew(eur)
    with pytest.raises(ValueError, match="idempotency key"):
        await provider.async_renew(renewal(key="bad key/"))
    with pytest.raises(ValueError, match="idempotency key"):
        await provider.async_lookup_renewal("line-1", "")
    assert sim.state.charges_total == 1


async def test_commit_then_drop_is_found_by_lookup(
    sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault("bridge.createRenewal", "commit_drop*1")
    with pytest.raises(ProviderConnectionError):
        await provider.async_renew(renewal())
    assert sim.state.charges_total == 1  # it was charged, the answer was lost
    assert sim.state.requests["bridge.createRenewal"] == 1  # the client did not retry
    found = await provider.async_lookup_renewal("line-1", "key-1")
    assert found is not None
    assert found.status is RenewalStatus.SUCCEEDED
    await provider.async_renew(renewal())  # a deliberate retry with the same key
    assert sim.state.charges_total == 1


async def test_drop_commits_nothing(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault("bridge.createRenewal", "drop*1")
    with pytest.raises(ProviderConnectionError):
        await provider.async_renew(renewal())
    assert await provider.async_lookup_renewal("line-1", "key-1") is None
    assert sim.state.charges_total == 0


FAULTS = [
    ("latency:1", ProviderConnectionError),
    ("500", ProviderConnectionError),
    ("503", ProviderConnectionError),
    ("429:7", RateLimitedError),
    ("429:date:30", RateLimitedError),
    ("malformed", InvalidResponseError),
    ("truncate", ProviderConnectionError),
    ("drop", ProviderConnectionError),
    ("commit_drop", ProviderConnectionError),
]


@pytest.mark.parametrize(("spec", "error"), FAULTS)
@pytest.mark.parametrize(
    "route", ["bridge.getAccount", "bridge.listLines", "bridge.getLine", "bridge.getRenewal"]
)
async def test_faults_on_reads(
    sim: CarrierSim,
    session: aiohttp.ClientSession,
    route: str,
    spec: str,
    error: type[ProviderError],
) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault(route, spec)
    calls = {
        "bridge.getAccount": provider.async_validate,
        "bridge.listLines": provider.async_fetch,
        "bridge.getLine": lambda: provider.async_fetch_line("line-1"),
        "bridge.getRenewal": lambda: provider.async_lookup_renewal("line-1", "k"),
    }
    with pytest.raises(error) as err:
        await calls[route]()
    if spec == "429:7":
        assert isinstance(err.value, RateLimitedError)
        assert err.value.retry_after == 7
    if spec == "429:date:30":
        assert isinstance(err.value, RateLimitedError)
        assert err.value.retry_after is not None
        assert 0 <= err.value.retry_after <= 31


@pytest.mark.parametrize(("spec", "error"), FAULTS)
async def test_faults_on_renew(
    sim: CarrierSim, session: aiohttp.ClientSession, spec: str, error: type[ProviderError]
) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault("bridge.createRenewal", spec)
    with pytest.raises(error):
        await provider.async_renew(renewal())
    assert sim.state.requests["bridge.createRenewal"] == 1  # never retried
    committed = spec in ("truncate", "commit_drop", "malformed") or spec.startswith("latency")
    if spec in ("truncate", "commit_drop"):
        assert sim.state.charges_total == 1
    elif not committed:
        assert sim.state.charges_total == 0


async def test_auth(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    with pytest.raises(AuthError):
        await bridge(session, sim.base_url, token="wrong").async_validate()
    provider = bridge(session, sim.base_url)
    await provider.async_validate()
    sim.state.revoked.add("bridge")
    with pytest.raises(AuthError):
        await provider.async_fetch()
    with pytest.raises(AuthError):
        await provider.async_renew(renewal())


async def test_unreachable(session: aiohttp.ClientSession) -> None:
    sim = CarrierSim(lines=1)
    url = await sim.start()
    await sim.stop()
    with pytest.raises(ProviderConnectionError, match="connection failed"):
        await bridge(session, url).async_fetch()


def test_constructor_checks(session: aiohttp.ClientSession) -> None:
    with pytest.raises(ValueError, match="page_size"):
        HttpBridgeProvider(session, "http://127.0.0.1:1", "t", page_size=0)
    with pytest.raises(ValueError, match="base URL"):
        HttpBridgeProvider(session, "ftp://x", "t")
    with pytest.raises(ValueError, match="timeout"):
        HttpBridgeProvider(session, "http://127.0.0.1:1", "t", timeout=0)


# --- hostile answers (canned server) -------------------------------------------------------------

GOOD_LINE = {
    "id": "a",
    "number": "+12025550101",
    "name": "A",
    "balance": {"amount": "3.00", "currency": "USD"},
    "plan_expiry": "2026-04-01T09:00:00-04:00",
    "last_activity": None,
    "status": "active",
    "auto_renew": True,
}


def page(*lines: object, cursor: str | None = None) -> str:
    return json.dumps({"data": list(lines), "next_cursor": cursor})


HOSTILE_LINES = [
    {"balance": {"amount": "NaN", "currency": "USD"}},
    {"balance": {"amount": "1e400", "currency": "USD"}},
    {"balance": {"amount": "9" * 40, "currency": "USD"}},
    {"balance": {"amount": 3.5, "currency": "USD"}},
    {"balance": {"amount": "3.00", "currency": "XXX"}},
    {"balance": "3.00"},
    {"number": "12025550101"},
    {"number": "+1202555010" + "1" * 20},
    {"number": 12025550101},
    {"id": ""},
    {"id": "x" * 1000},
    {"id": 7},
    {"name": 7},
    {"status": "zombie"},
    {"auto_renew": "yes"},
    {"plan_expiry": "2026-04-01T09:00:00"},  # no offset
    {"plan_expiry": "2026-13-01T09:00:00Z"},
    {"plan_expiry": "tomorrow"},
    {"plan_expiry": 1700000000},
    {"last_activity": "2026-04-01"},  # dates are only allowed for the expiry
]


@pytest.mark.parametrize("patch", HOSTILE_LINES)
async def test_hostile_line_values(
    canned: Canned, session: aiohttp.ClientSession, patch: dict[str, object]
) -> None:
    """A line the bridge describes badly is skipped (only that number is unavailable).

    Read on its own (to verify a renewal) it is an InvalidResponseError.
    """
    other = {**GOOD_LINE, "id": "z", "number": "+12025550199"}
    canned.set("/v1/lines", page({**GOOD_LINE, **patch}, other))
    data = await bridge(session, canned.base_url).async_fetch()
    assert set(data.lines) == {"z"}
    assert len(data.skipped) == 1
    canned.set("/v1/lines/a", json.dumps({**GOOD_LINE, **patch}))
    with pytest.raises(InvalidResponseError):
        await bridge(session, canned.base_url).async_fetch_line("a")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("\u200bMom\u200e", "Mom"),  # zero-width space, left-to-right mark
        ("Da\u200fd\u061c", "Dad"),  # right-to-left mark, Arabic letter mark
        ("evil\u202etxt.exe", "eviltxt.exe"),  # right-to-left override
        ("nul\x00 and\ttab", "nul and tab"),
        ("\ud800x", "x"),
        ("n" * 300, "n" * 256),
        ("\u2066\u2069", None),
        ("(201) 555-0100", None),  # just a number: no name (privacy)
        ("+1 201.555.0100", None),
        ("Tello 0100", "Tello 0100"),
        (None, None),
    ],
)
async def test_names_are_cleaned(
    canned: Canned, session: aiohttp.ClientSession, name: str | None, shown: str | None
) -> None:
    """Finding 11: invisible format characters never reach a name; finding 13.

    A name that is only a phone number is no name.
    """
    canned.set("/v1/lines", page({**GOOD_LINE, "name": name}))
    data = await bridge(session, canned.base_url).async_fetch()
    assert data.lines["a"].name == shown


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '{"data": {}, "next_cursor": null}',
        '{"data": [], "next_cursor": 5}',
        '{"data": [], "next_cursor": null, "x": NaN}',
        '{"data": [], "next_cursor": null, "x": Infinity}',
        b'{"data": [], "next_cursor": "\xff"}',
        "[" * 100000 + "]" * 100000,
        '{"data": [], "next_cursor": null, "n": ' + "9" * 5000 + "}",
        "",
    ],
)
async def test_hostile_bodies(canned: Canned, session: aiohttp.ClientSession, body: str) -> None:
    canned.set("/v1/lines", body)
    with pytest.raises(InvalidResponseError):
        await bridge(session, canned.base_url).async_fetch()


async def test_duplicate_and_looping_pages(canned: Canned, session: aiohttp.ClientSession) -> None:
    canned.set("/v1/lines", page(GOOD_LINE, GOOD_LINE))
    with pytest.raises(InvalidResponseError, match="twice"):
        await bridge(session, canned.base_url).async_fetch()
    canned.set("/v1/lines", page(cursor="same"))
    with pytest.raises(InvalidResponseError, match="same cursor"):
        await bridge(session, canned.base_url).async_fetch()


async def test_every_cursor_is_remembered(canned: Canned, session: aiohttp.ClientSession) -> None:
    """Finding 10: A -> B -> A is a loop too (it used to cost MAX_PAGES requests)."""
    canned.set("/v1/lines", page(GOOD_LINE, cursor="A"))
    canned.set("/v1/lines", page(cursor="B"), query={"cursor": "A"})
    canned.set("/v1/lines", page(cursor="A"), query={"cursor": "B"})
    with pytest.raises(InvalidResponseError, match="same cursor"):
        await bridge(session, canned.base_url).async_fetch()
    assert len(canned.seen) == 3


async def test_lines_per_page_are_capped(canned: Canned, session: aiohttp.ClientSession) -> None:
    """Finding 10: a page may not hold more lines than the limit asked for."""
    lines = [{**GOOD_LINE, "id": f"l{i}"} for i in range(3)]
    canned.set("/v1/lines", page(*lines))
    with pytest.raises(InvalidResponseError, match="3 lines on a page of 2"):
        await bridge(session, canned.base_url, page_size=2).async_fetch()
    assert len((await bridge(session, canned.base_url, page_size=3).async_fetch()).lines) == 3


async def test_lines_in_total_are_capped(
    canned: Canned, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 10: page_size=1 no longer accepts 20,000 lines: MAX_LINES in all."""
    from custom_components.esim_keeper.keeper.providers import http_bridge

    monkeypatch.setattr(http_bridge, "MAX_LINES", 3)
    for index in range(5):
        query = {"cursor": f"c{index}"} if index else None
        line = {**GOOD_LINE, "id": f"l{index}"}
        canned.set("/v1/lines", page(line, cursor=f"c{index + 1}"), query=query)
    with pytest.raises(InvalidResponseError, match="more than 3 lines"):
        await bridge(session, canned.base_url, page_size=1).async_fetch()
    assert len(canned.seen) == 4


async def test_a_poll_has_a_time_limit(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    """Finding 10.

    Each page answers within the request timeout, but the poll as a whole is limited too.
    """
    sim.set_fault("bridge.listLines", "latency:0.1")
    provider = bridge(session, sim.base_url, page_size=1, poll_timeout=0.25)
    with pytest.raises(ProviderConnectionError, match=r"longer than 0\.25 s"):
        await provider.async_fetch()


async def test_large_bodies_are_parsed_off_the_loop(
    sim: CarrierSim, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Finding 10: a body over PARSE_OFF_LOOP_BYTES is parsed in a worker thread."""
    from custom_components.esim_keeper.keeper.providers import _http

    threads: list[str] = []
    real = _http.asyncio.to_thread

    async def to_thread(func: Any, *args: Any) -> Any:
        threads.append(func.__name__)
        return await real(func, *args)

    monkeypatch.setattr(_http.asyncio, "to_thread", to_thread)
    await bridge(session, sim.base_url).async_fetch()
    assert threads == []
    monkeypatch.setattr(_http, "PARSE_OFF_LOOP_BYTES", 100)
    data = await bridge(session, sim.base_url).async_fetch()
    assert threads == ["decode_json"]
    assert len(data.lines) == 3


@pytest.mark.parametrize(
    "url",
    [
        "http://bridge.example.net",
        "http://203.0.113.5:8080",
        "http://[2001:db8::1]",
        "http://bridge.example.net.local.evil.com",
    ],
)
async def test_clear_text_to_the_internet_is_refused(
    session: aiohttp.ClientSession, url: str
) -> None:
    """Finding 9: the bearer token never crosses the internet in clear text: nothing is sent."""
    from custom_components.esim_keeper.keeper.providers.base import InsecureUrlError

    provider = bridge(session, url)
    with pytest.raises(InsecureUrlError, match="https"):
        await provider.async_validate()
    with pytest.raises(InsecureUrlError):
        await provider.async_fetch()
    with pytest.raises(InsecureUrlError):
        await provider.async_renew(renewal())
    assert provider._http.requests == 0


@pytest.mark.parametrize(
    "url",
    [
        "https://bridge.example.net",
        "http://127.0.0.1:8600",
        "http://localhost:8600",
        "http://[::1]:8600",
        "http://10.0.0.7",
        "http://192.168.1.20:8080",
        "http://172.16.4.4",
        "http://169.254.1.1",
        "http://[fd00::7]",
        "http://bridge.local:8600",
        "http://Bridge.LOCAL.",
        # Tailscale (RFC 6598 shared space, never routed on the internet; WireGuard-encrypted)
        "http://100.101.102.103:8600",
        "http://100.64.0.1",
        "http://100.127.255.254",
    ],
)
def test_local_and_https_addresses_are_fine(url: str) -> None:
    from custom_components.esim_keeper.keeper.providers._http import check_bridge_url

    check_bridge_url(url)


@pytest.mark.parametrize("url", ["http://100.63.255.255", "http://100.128.0.1"])
def test_only_the_shared_range_of_100_is_local(url: str) -> None:
    """Just outside 100.64.0.0/10 is the public internet."""
    from custom_components.esim_keeper.keeper.providers._http import check_bridge_url
    from custom_components.esim_keeper.keeper.providers.base import InsecureUrlError

    with pytest.raises(InsecureUrlError):
        check_bridge_url(url)


async def test_plain_http_to_the_internet_when_allowed(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The explicit opt-in.

    With allow_http the request is really sent (here, to a session that records it), bearer token
    and all; without it, nothing is sent.
    """
    from custom_components.esim_keeper.keeper.providers.base import InsecureUrlError

    sent: list[str] = []

    def record(method: str, url: str, **kw: object) -> object:
        sent.append(url)
        raise aiohttp.ClientConnectionError("recorded")

    monkeypatch.setattr(session, "request", record)
    with pytest.raises(InsecureUrlError):
        await bridge(session, "http://203.0.113.5:8080").async_validate()
    assert sent == []
    with pytest.raises(ProviderConnectionError):
        await bridge(session, "http://203.0.113.5:8080", allow_http=True).async_validate()
    assert sent == ["http://203.0.113.5:8080/v1/account"]


def test_bridge_url_must_be_http() -> None:
    from custom_components.esim_keeper.keeper.providers._http import check_bridge_url

    with pytest.raises(ValueError, match="URL with a host"):
        check_bridge_url("ftp://x")


async def test_endless_pages_are_cut(
    canned: Canned, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    from custom_components.esim_keeper.keeper.providers import http_bridge

    monkeypatch.setattr(http_bridge, "MAX_PAGES", 3)
    provider = bridge(session, canned.base_url)
    counter = iter(range(100))

    real = provider._http.request

    async def request(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        canned.set("/v1/lines", page(cursor=f"c{next(counter)}"))
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(provider._http, "request", request)
    with pytest.raises(InvalidResponseError, match="more than 3 pages"):
        await provider.async_fetch()


async def test_odd_lines_are_accepted(canned: Canned, session: aiohttp.ClientSession) -> None:
    minimal = {"id": "b", "number": "+442071234567", "status": "deleted"}
    debt = {**GOOD_LINE, "balance": {"amount": "-1.50", "currency": "usd"}, "id": "c"}
    canned.set("/v1/lines", page(minimal, debt))
    data = await bridge(session, canned.base_url).async_fetch()
    assert data.lines["b"].balance is None
    assert data.lines["b"].plan_expiry is None
    assert data.lines["b"].carrier_status is CarrierStatus.DELETED
    assert data.lines["c"].balance == usd("-1.50")


@pytest.mark.parametrize(
    "account",
    [
        {"id": "x"},
        {"id": "x", "name": "n", "timezone": "Mars/Olympus"},
        {"id": "x", "name": "n", "capabilities": []},
        {"id": "x", "name": "n", "capabilities": {"can_renew": 1, "payment_methods": []}},
        {"id": "x", "name": "n", "capabilities": {"can_renew": True, "payment_methods": "card"}},
    ],
)
async def test_hostile_account(
    canned: Canned, session: aiohttp.ClientSession, account: dict[str, object]
) -> None:
    canned.set("/v1/account", json.dumps(account))
    with pytest.raises(InvalidResponseError):
        await bridge(session, canned.base_url).async_validate()


async def test_account_without_extras(canned: Canned, session: aiohttp.ClientSession) -> None:
    canned.set(
        "/v1/account",
        json.dumps(
            {
                "id": "x",
                "name": "n",
                "capabilities": {"can_renew": False, "payment_methods": ["card", "bitcoin", 3]},
            }
        ),
    )
    provider = bridge(session, canned.base_url)
    await provider.async_validate()
    assert not provider.capabilities.can_renew
    assert provider.capabilities.payment_methods == (PaymentMethod.CARD,)
    canned.set("/v1/account", json.dumps({"id": "x", "name": "n"}))
    provider = bridge(session, canned.base_url)
    assert (await provider.async_validate()).title == "n"
    assert provider.capabilities.can_renew  # the default until a bridge says otherwise


RENEWAL = {
    "id": "r1",
    "idempotency_key": "key-1",
    "line_id": "line-1",
    "status": "succeeded",
    "amount": {"amount": "3.00", "currency": "USD"},
    "method": "card",
    "created_at": "2026-03-15T12:00:00Z",
    "decline_reason": None,
}


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (201, {**RENEWAL, "idempotency_key": "other"}, InvalidResponseError),
        (201, {**RENEWAL, "line_id": "line-2"}, InvalidResponseError),
        (201, {**RENEWAL, "status": "maybe"}, InvalidResponseError),
        (201, {**RENEWAL, "amount": {"amount": "-3", "currency": "USD"}}, InvalidResponseError),
        (201, {**RENEWAL, "created_at": None}, InvalidResponseError),
        (402, "not json", PaymentDeclinedError),
        (402, {"error": {"code": "payment_declined", "message": "no"}}, PaymentDeclinedError),
        (409, {"error": "flat"}, InvalidResponseError),
        (418, {}, InvalidResponseError),
        (302, {}, InvalidResponseError),
        (403, {}, AuthError),
    ],
)
async def test_hostile_renewal_answers(
    canned: Canned,
    session: aiohttp.ClientSession,
    status: int,
    body: object,
    error: type[ProviderError],
) -> None:
    text = body if isinstance(body, str) else json.dumps(body)
    canned.set("/v1/lines/line-1/renewals", text, status)
    with pytest.raises(error) as err:
        await bridge(session, canned.base_url).async_renew(renewal())
    if status == 402 and isinstance(err.value, PaymentDeclinedError):
        assert err.value.reason in ("http_402", "payment_declined")


async def test_lookup_checks_key(canned: Canned, session: aiohttp.ClientSession) -> None:
    canned.set("/v1/lines/line-1/renewals/key-2", json.dumps(RENEWAL))
    with pytest.raises(InvalidResponseError, match="different renewal"):
        await bridge(session, canned.base_url).async_lookup_renewal("line-1", "key-2")
    canned.set("/v1/lines/line-9", json.dumps({**GOOD_LINE, "id": "other"}))
    with pytest.raises(InvalidResponseError, match="different line"):
        await bridge(session, canned.base_url).async_fetch_line("line-9")


async def test_body_size_limit(canned: Canned, session: aiohttp.ClientSession) -> None:
    from custom_components.esim_keeper.keeper.providers import _http

    canned.set("/v1/account", b" " * 2048 + b'{"id": "x", "name": "n"}')
    provider = bridge(session, canned.base_url)
    provider._http = _http.HttpClient(session, canned.base_url + "/v1", name="t", max_body=1024)
    with pytest.raises(InvalidResponseError, match="too large"):
        await provider.async_validate()
