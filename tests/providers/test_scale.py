"""One poll of a 1,000-line account costs one request per page (plus fixed account calls)."""

from __future__ import annotations

from collections.abc import AsyncIterator
import math

import aiohttp
import pytest

from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from custom_components.esim_keeper.keeper.providers.telnyx import TelnyxProvider
from custom_components.esim_keeper.keeper.providers.twilio import TwilioProvider
from tools.carrier_sim import (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
    CarrierSim,
)

LINES = 1000


@pytest.fixture
async def big_sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    sim = CarrierSim(lines=LINES, seed=7)
    await sim.start("127.0.0.1", 0)
    yield sim
    await sim.stop()


async def test_bridge_one_request_per_page(
    big_sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = HttpBridgeProvider(session, big_sim.base_url, DEFAULT_BRIDGE_TOKEN)
    data = await provider.async_fetch()
    pages = math.ceil(LINES / 100)
    assert len(data.lines) == LINES
    assert data.requests == pages
    assert dict(big_sim.state.requests) == {"bridge.listLines": pages}


async def test_twilio_one_request_per_page(
    big_sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = TwilioProvider(
        session, DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN, base_url=big_sim.base_url
    )
    data = await provider.async_fetch()
    pages = math.ceil(LINES / 50)
    assert len(data.lines) == LINES
    # Activity of all 1,000 numbers: one account-wide page of messages and one of calls.
    assert data.requests == 1 + pages + 2
    assert dict(big_sim.state.requests) == {
        "twilio.balance": 1,
        "twilio.numbers": pages,
        "twilio.messages": 1,
        "twilio.calls": 1,
    }
    assert sum(line.last_activity is not None for line in data.lines.values()) > LINES // 3
    data = await provider.async_fetch()  # activity is read at its own, slower cadence
    assert data.requests == 1 + pages
    assert sum(line.last_activity is not None for line in data.lines.values()) > LINES // 3


async def test_telnyx_one_request_per_page(
    big_sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = TelnyxProvider(session, DEFAULT_TELNYX_API_KEY, base_url=big_sim.base_url)
    data = await provider.async_fetch()
    pages = math.ceil(LINES / 250)
    assert len(data.lines) == LINES
    assert data.requests == 2 + pages
    assert dict(big_sim.state.requests) == {
        "telnyx.balance": 1,
        "telnyx.autoRecharge": 1,
        "telnyx.numbers": pages,
    }
