"""The renewal event entity follows each renewal's outcome."""

from __future__ import annotations

from collections.abc import AsyncIterator
from decimal import Decimal

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.dispatcher import async_dispatcher_send
import pytest

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.renewal import renewal_signal
from tools.carrier_sim import CarrierSim

from .conftest import setup_entry
from .test_renewal import SUB, bridge_entry, device_id, simulator


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    async with simulator() as carrier:
        yield carrier


async def test_event_entity(hass: HomeAssistant, sim: CarrierSim) -> None:
    await setup_entry(hass, bridge_entry(sim))
    state = hass.states.get("event.tello_renewal")
    assert state is not None
    assert state.attributes["event_types"] == [
        "succeeded",
        "failed",
        "unknown",
        "verified",
        "unverified",
        "recorded",
    ]
    sim.state.lines["line-1"].balance = Decimal("1.00")
    await hass.services.async_call(
        DOMAIN, "renew", {"device_id": device_id(hass, SUB)}, blocking=True
    )
    state = hass.states.get("event.tello_renewal")
    assert state is not None
    assert state.attributes["event_type"] == "succeeded"
    assert state.attributes["method"] == "card"
    assert [a["status"] for a in state.attributes["attempts"]] == ["declined", "succeeded"]
    assert "key" not in str(state.attributes)
    sim.state.lines["line-1"].decline_reason = "card_declined"
    with pytest.raises(HomeAssistantError):
        await hass.services.async_call(
            DOMAIN, "renew", {"device_id": device_id(hass, SUB)}, blocking=True
        )
    assert hass.states.get("event.tello_renewal").attributes["event_type"] == "failed"  # type: ignore[union-attr]


async def test_a_record_still_in_progress_is_no_event(hass: HomeAssistant, sim: CarrierSim) -> None:
    await setup_entry(hass, bridge_entry(sim))
    before = hass.states.get("event.tello_renewal")
    assert before is not None
    async_dispatcher_send(
        hass, renewal_signal(SUB), "pending", {"renewal_id": "r", "number": "+12015550100"}
    )
    await hass.async_block_till_done()
    assert hass.states.get("event.tello_renewal") == before
