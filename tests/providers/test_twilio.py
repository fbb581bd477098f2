"""The Twilio provider against the simulator's Twilio-shaped endpoints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
import json
import logging

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
from tests.providers import vendor_shapes as shapes
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
    assert data.requests == 4  # balance, numbers, and the activity read: messages, calls
    # Each number's last call or text, as the simulator's Messages.json / Calls.json list it
    # (the first read looks back 45 days).
    recent = {
        line.number: line.last_activity
        for line in sim.state.lines.values()
        if line.last_activity is not None and NOW - line.last_activity <= timedelta(days=45)
    }
    assert {line.number: line.last_activity for line in data.lines.values()} == {
        line.number: recent.get(line.number) for line in sim.state.lines.values()
    }
    assert any(recent.values())
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
    assert data.requests == 5
    assert sim.state.requests["twilio.numbers"] == 2


async def test_auth_errors(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    with pytest.raises(AuthError):
        await twilio(session, sim.base_url, secret="wrong").async_validate()
    with pytest.raises(AuthError, match="AC followed by 32"):
        await twilio(session, sim.base_url, sid="AC123").async_validate()
    with pytest.raises(AuthError, match="20404"):  # valid key, someone else's account
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
    canned.set(f"{PREFIX}/Messages.json", json.dumps({"messages": [], "next_page_uri": None}))
    canned.set(f"{PREFIX}/Calls.json", json.dumps({"calls": [], "next_page_uri": None}))


async def test_bill_day_drifts_and_statuses(canned: Canned, session: aiohttp.ClientSession) -> None:
    """Finding 4.

    Bought on 31 January, a number bills on 28 February and from then on on the 28th
    (support.twilio.com 223182908): on 15 March the next bill is 28 March, not 31 March.
    """
    odd = {**NUMBER, "sid": "PN2", "status": "porting", "date_created": "15 Mar 2026 13:00 -0000"}
    answer(canned, NUMBER, odd, balance="-0.50")
    data = await twilio(session, canned.base_url).async_fetch()
    assert data.lines["PN1"].plan_expiry == datetime(2026, 3, 28, 10, tzinfo=UTC)
    assert data.lines["PN2"].plan_expiry == datetime(2026, 4, 15, 13, tzinfo=UTC)
    assert data.lines["PN2"].carrier_status is CarrierStatus.UNKNOWN
    assert data.account_balance == Money(Decimal("-0.50"), "USD")


@pytest.mark.parametrize(
    ("number", "kw"),
    [
        (NUMBER, {"balance": "NaN"}),
        (NUMBER, {"balance": 5.0}),
        (NUMBER, {"balance": None}),  # a balance without its currency is nonsense
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


@pytest.mark.parametrize(
    "broken",
    [
        {**NUMBER, "sid": "PN9", "date_created": "yesterday"},
        {**NUMBER, "sid": "PN9", "date_created": None},
        {**NUMBER, "sid": "PN9", "date_created": "Fri, 31 Dec 9999 23:00:00 +0000"},
        {**NUMBER, "sid": "PN9", "phone_number": "+1 202 555 0101"},
        {**NUMBER, "sid": "PN9", "phone_number": None},  # the spec allows null
        {**NUMBER, "sid": ["PN9"]},
        {**NUMBER, "sid": "PN9", "friendly_name": 5},
        "not an object",
    ],
)
async def test_one_bad_number_only(
    canned: Canned,
    session: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    broken: object,
) -> None:
    """Finding 8: one odd record makes that number unavailable (one WARNING, not one per poll).

    The others, and the balance, are still there.
    """
    good = {**NUMBER, "friendly_name": ""}  # an empty name is no name, not an error
    answer(canned, good, broken)
    provider = twilio(session, canned.base_url)
    for _ in range(3):
        data = await provider.async_fetch()
        assert set(data.lines) == {"PN1"}
        assert data.lines["PN1"].name is None
        assert len(data.skipped) == 1
    # Not asyncio's "Executing ... took 0.12 seconds" (debug mode on a loaded machine).
    warnings = [
        r for r in caplog.records if r.levelname == "WARNING" and not r.name.startswith("asyncio")
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "0101" not in warnings[0].getMessage()
    answer(canned, good)  # the carrier fixed it: one INFO line, nothing skipped
    data = await provider.async_fetch()
    assert data.skipped == ()
    assert any("read again" in r.getMessage() for r in caplog.records)


async def test_duplicate_and_endless(
    canned: Canned, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer(canned, NUMBER, NUMBER)
    with pytest.raises(InvalidResponseError, match="twice"):
        await twilio(session, canned.base_url).async_fetch()
    from custom_components.esim_keeper.keeper.providers import twilio as module

    monkeypatch.setattr(module, "MAX_PAGES", 2)
    answer(canned, next_uri=f"{PREFIX}/IncomingPhoneNumbers.json?Page=1")
    with pytest.raises(InvalidResponseError, match="same page link twice"):
        await twilio(session, canned.base_url).async_fetch()
    canned.set(
        f"{PREFIX}/IncomingPhoneNumbers.json",
        json.dumps(
            {
                "incoming_phone_numbers": [],
                "next_page_uri": f"{PREFIX}/IncomingPhoneNumbers.json?Page=2",
            }
        ),
        query={"Page": "1"},
    )
    canned.set(
        f"{PREFIX}/IncomingPhoneNumbers.json",
        json.dumps(
            {
                "incoming_phone_numbers": [],
                "next_page_uri": f"{PREFIX}/IncomingPhoneNumbers.json?Page=3",
            }
        ),
        query={"Page": "2"},
    )
    with pytest.raises(InvalidResponseError, match="more than 2 pages"):
        await twilio(session, canned.base_url).async_fetch()


# --- contract: answers shaped after twilio/twilio-oai (tests/providers/vendor_shapes.py) ---------


def vendor(canned: Canned, balance: dict[str, object], *pages: dict[str, object]) -> None:
    canned.set(f"{PREFIX}/Balance.json", json.dumps(balance))
    for index, page in enumerate(pages):
        query = {"PageSize": "2"} if index == 0 else {"PageSize": "2", "Page": str(index)}
        canned.set(shapes.TWILIO_NUMBERS_PATH, json.dumps(page), query=query)


async def test_contract_pages_nulls_and_default_names(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    """Two pages as the spec describes them; every nullable field we read is null somewhere.

    The default friendly_name (the formatted number) is never used as a name (finding 13).
    """
    first = [shapes.twilio_number(0), shapes.twilio_number(1, friendly_name="Mom")]
    second = [shapes.twilio_number(2, friendly_name=None, status=None, capabilities=None)]
    vendor(
        canned,
        shapes.TWILIO_BALANCE,
        shapes.twilio_page(first, 0, more=True),
        shapes.twilio_page(second, 1, more=False),
    )
    data = await twilio(session, canned.base_url, page_size=2).async_fetch()
    assert data.requests == 4  # the activity read (404 here) stops at once: activity unknown
    assert all(line.last_activity is None for line in data.lines.values())
    assert data.account_balance == Money(Decimal("12.29"), "USD")
    names = {line.number[-4:]: line.name for line in data.lines.values()}
    assert names == {"0100": None, "0101": "Mom", "0102": None}
    assert all(line.carrier_status is CarrierStatus.ACTIVE for line in data.lines.values())


async def test_subaccount_has_no_balance(canned: Canned, session: aiohttp.ClientSession) -> None:
    """Finding 5: a subaccount's Balance.json has null balance and currency.

    Its numbers are still listed, with an unknown balance.
    """
    page = shapes.twilio_page([shapes.twilio_number(0)], 0, more=False)
    vendor(canned, shapes.TWILIO_SUBACCOUNT_BALANCE, page)
    provider = twilio(session, canned.base_url, page_size=2)
    assert (await provider.async_validate()).account_id == SID
    data = await provider.async_fetch()
    assert data.account_balance is None
    assert [line.balance for line in data.lines.values()] == [None]


async def test_subaccount_on_the_simulator(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    sim.state.twilio_subaccount = True
    data = await twilio(session, sim.base_url).async_fetch()
    assert data.account_balance is None
    assert len(data.lines) == 3


@pytest.mark.parametrize(
    ("status", "code"),
    [(404, 20404), (401, 20003), (403, 20005), (400, 20003)],
)
async def test_error_codes_are_read(
    canned: Canned, session: aiohttp.ClientSession, status: int, code: int
) -> None:
    """Finding 7.

    Twilio's error body is read. A wrong Account SID (404, code 20404) is a credentials problem, not
    "unexpected HTTP 404"; the code is in the message.
    """
    body = shapes.twilio_error(code, status, "The requested resource was not found")
    canned.set(f"{PREFIX}/Balance.json", json.dumps(body), status=status)
    with pytest.raises(AuthError, match=str(code)):
        await twilio(session, canned.base_url).async_validate()


async def test_wrong_account_sid_on_the_simulator(
    sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    """Valid API key, another Account SID: the simulator answers 404 with code 20404, as Twilio."""
    with pytest.raises(AuthError, match="20404"):
        await twilio(session, sim.base_url, sid="AC" + "f" * 32).async_validate()


async def test_other_errors_keep_their_kind(canned: Canned, session: aiohttp.ClientSession) -> None:
    answer(canned, NUMBER)
    body = shapes.twilio_error(20001, 400, "Invalid paging")
    canned.set(f"{PREFIX}/IncomingPhoneNumbers.json", json.dumps(body), status=400)
    with pytest.raises(InvalidResponseError, match="carrier error 20001"):
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
        # the drift: 31 Jan -> 28 Feb -> 28 Mar -> 28 Apr, never back to the 30th or 31st
        (datetime(2026, 1, 31, 10, tzinfo=UTC), datetime(2026, 3, 15, tzinfo=UTC),
         datetime(2026, 3, 28, 10, tzinfo=UTC)),
        (datetime(2026, 1, 31, 10, tzinfo=UTC), datetime(2026, 4, 29, tzinfo=UTC),
         datetime(2026, 5, 28, 10, tzinfo=UTC)),
        (datetime(2024, 1, 30, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC),
         datetime(2024, 3, 29, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_next_monthly_date(anchor: datetime, now: datetime, expected: datetime) -> None:
    assert next_monthly_date(anchor, now) == expected


def test_next_monthly_date_refuses_ancient_anchors() -> None:
    with pytest.raises(ValueError, match="too far"):
        next_monthly_date(datetime(1700, 1, 1, tzinfo=UTC), NOW)


# --- activity: Messages.json and Calls.json (twilio-oai ListMessage / ListCall) -------------------

DAY = "DateSent%3E=2026-01-29"  # NOW - 45 days: the first read's look-back


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def activity_pages(
    canned: Canned, messages: list[list[dict[str, object]]], calls: list[dict[str, object]]
) -> None:
    for index, records in enumerate(messages):
        more = index < len(messages) - 1
        page = shapes.twilio_list(
            "messages", shapes.TWILIO_MESSAGES_PATH, records, index, more=more, query=DAY
        )
        query = {"DateSent>": "2026-01-29", "PageSize": "1000"}
        canned.set(shapes.TWILIO_MESSAGES_PATH, json.dumps(page),
                   query={**query, "Page": str(index)} if index else query)  # fmt: skip
    canned.set(
        shapes.TWILIO_CALLS_PATH,
        json.dumps(
            shapes.twilio_list(
                "calls",
                shapes.TWILIO_CALLS_PATH,
                calls,
                0,
                more=False,
                query="StartTime%3E=2026-01-29",
            )
        ),
        query={"StartTime>": "2026-01-29", "PageSize": "1000"},
    )


async def test_contract_activity_both_directions(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    """Finding 6: a number that sends or receives is active.

    Messages over two pages, a call; records the spec allows but that are no transmission (failed,
    null date_sent, WhatsApp addresses, a call nobody answered) change nothing; a date in the future
    counts as now.
    """
    numbers = [shapes.twilio_number(i) for i in range(5)]
    vendor(canned, shapes.TWILIO_BALANCE, shapes.twilio_page(numbers, 0, more=False))
    other = "+12025550199"
    n0, n1, n2, n3, n4 = (number["phone_number"] for number in numbers)
    activity_pages(
        canned,
        [
            [
                shapes.twilio_message(1, n0, other, "Fri, 13 Mar 2026 09:00:00 +0000"),
                shapes.twilio_message(
                    2,
                    other,
                    n1,
                    "Thu, 12 Mar 2026 08:00:00 +0000",
                    direction="inbound",
                    status="received",
                ),
                shapes.twilio_message(
                    3, n2, other, "Wed, 11 Mar 2026 08:00:00 +0000", status="failed"
                ),
                shapes.twilio_message(4, n2, other, None, status="queued"),
            ],
            [
                shapes.twilio_message(5, n0, other, "Mon, 02 Mar 2026 09:00:00 +0000"),
                shapes.twilio_message(
                    6, f"whatsapp:{n3}", other, "Mon, 02 Mar 2026 09:00:00 +0000"
                ),
                shapes.twilio_message(7, n4, other, "Fri, 01 Jan 2100 00:00:00 +0000"),
            ],
        ],
        [
            shapes.twilio_call(1, other, n2, "Tue, 10 Mar 2026 07:00:00 +0000"),
            shapes.twilio_call(2, other, n3, "Tue, 10 Mar 2026 07:00:00 +0000", status="no-answer"),
            shapes.twilio_call(3, n0, other, None, status="queued"),
        ],
    )
    data = await twilio(session, canned.base_url, page_size=2).async_fetch()
    assert data.requests == 5  # balance, numbers, 2 pages of messages, 1 of calls
    activity = {line.number: line.last_activity for line in data.lines.values()}
    assert activity == {
        n0: datetime(2026, 3, 13, 9, tzinfo=UTC),  # sent
        n1: datetime(2026, 3, 12, 8, tzinfo=UTC),  # received
        n2: datetime(2026, 3, 10, 7, tzinfo=UTC),  # called; its failed text does not count
        n3: None,
        n4: NOW,
    }


async def test_activity_read_failure_keeps_the_account(
    sim: CarrierSim, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    """A failed activity read leaves activity unknown for that poll with one log line.

    The balance and the numbers are there, and the next poll reads it again.
    """
    provider = twilio(session, sim.base_url)
    for fault in ("502", "malformed", "429:3", "drop"):
        sim.set_fault("twilio.calls", fault)
        data = await provider.async_fetch()
        assert data.account_balance == Money(Decimal("12.29"), "USD")
        assert len(data.lines) == 3
        assert all(line.last_activity is None for line in data.lines.values())
    warnings = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and not r.name.startswith("asyncio")
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "activity" in warnings[0].getMessage()
    sim.set_fault("twilio.calls", None)
    data = await provider.async_fetch()
    assert any(line.last_activity is not None for line in data.lines.values())
    assert any("activity can be read again" in r.getMessage() for r in caplog.records)


async def test_activity_cadence(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    """Activity is read every 6 hours, not on each balance poll.

    A later read starts the day before the last good one, and what earlier reads found is kept.
    """
    clock = Clock()
    provider = twilio(session, sim.base_url)
    provider._clock = clock
    first = await provider.async_fetch()
    assert sim.state.requests["twilio.messages"] == 1
    clock.now = NOW + timedelta(hours=5)
    second = await provider.async_fetch()
    assert second.requests == 2
    assert {k: v.last_activity for k, v in second.lines.items()} == {
        k: v.last_activity for k, v in first.lines.items()
    }
    line = sim.state.lines["line-1"]
    line.last_activity = NOW + timedelta(hours=5, minutes=30)
    for other in sim.state.lines.values():
        if other is not line:
            other.last_activity = None  # not listed any more: what was read stays
    clock.now = NOW + timedelta(hours=6)
    third = await provider.async_fetch()
    assert third.requests == 4
    by_number = {v.number: v.last_activity for v in third.lines.values()}
    assert by_number[line.number] == NOW + timedelta(hours=5, minutes=30)
    assert {n: a for n, a in by_number.items() if n != line.number} == {
        v.number: v.last_activity for v in first.lines.values() if v.number != line.number
    }


async def test_activity_pages_are_bounded(
    canned: Canned, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing that points off its list, or back at a page already read.

    Is refused (activity unknown); a listing longer than the page cap is cut, keeping what it read.
    """
    from custom_components.esim_keeper.keeper.providers import twilio as module

    numbers = [shapes.twilio_number(0)]
    n0 = numbers[0]["phone_number"]
    vendor(canned, shapes.TWILIO_BALANCE, shapes.twilio_page(numbers, 0, more=False))
    sent = shapes.twilio_message(1, n0, "+12025550199", "Fri, 13 Mar 2026 09:00:00 +0000")
    activity_pages(canned, [[sent], [], []], [])
    monkeypatch.setattr(module, "ACTIVITY_PAGES", 2)
    data = await twilio(session, canned.base_url, page_size=2).async_fetch()
    assert [line.last_activity for line in data.lines.values()] == [
        datetime(2026, 3, 13, 9, tzinfo=UTC)
    ]
    page = shapes.twilio_list(
        "messages", shapes.TWILIO_MESSAGES_PATH, [sent], 0, more=False, query=DAY
    )
    for following in (f"{PREFIX}/Calls.json?Page=1", page["uri"]):
        page["next_page_uri"] = following
        canned.set(shapes.TWILIO_MESSAGES_PATH, json.dumps({**page, "uri": following}),
                   query={"DateSent>": "2026-01-29", "PageSize": "1000"})  # fmt: skip
        canned.set(shapes.TWILIO_MESSAGES_PATH, json.dumps(page), query={"Page": "0"})
        data = await twilio(session, canned.base_url, page_size=2).async_fetch()
        assert [line.last_activity for line in data.lines.values()] == [None]


async def test_activity_refused_is_no_credentials_problem(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    """An API key that may read the balance and numbers but not the call log (Twilio.

    403, code 20005 or 20003) leaves activity unknown; it does not make the account ask to sign in
    again.
    """
    numbers = [shapes.twilio_number(0)]
    vendor(canned, shapes.TWILIO_BALANCE, shapes.twilio_page(numbers, 0, more=False))
    activity_pages(canned, [[]], [])
    body = shapes.twilio_error(20003, 403, "Permission denied")
    canned.set(shapes.TWILIO_CALLS_PATH, json.dumps(body), status=403,
               query={"StartTime>": "2026-01-29", "PageSize": "1000"})  # fmt: skip
    data = await twilio(session, canned.base_url, page_size=2).async_fetch()
    assert data.account_balance == Money(Decimal("12.29"), "USD")
    assert [line.last_activity for line in data.lines.values()] == [None]
