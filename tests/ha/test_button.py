"""Buttons: "Renew now" pays through the engine; "I used this number" restarts the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import CONF_LEDGER, DOMAIN
from tools.carrier_sim import CarrierSim

from .conftest import NOW, number_subentry, setup_entry
from .test_renewal import SUB, bridge_entry, charges, simulator
from .test_services import MANUAL_SUB, manual_entry


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    async with simulator() as carrier:
        yield carrier


async def press(hass: HomeAssistant, entity_id: str) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: entity_id}, blocking=True
    )


async def test_renew_now(hass: HomeAssistant, sim: CarrierSim) -> None:
    entry = bridge_entry(sim)
    await setup_entry(hass, entry)
    assert hass.states.get("button.tello_i_used_this_number") is None  # the carrier reports it
    await press(hass, "button.tello_renew_now")
    assert charges(sim) == 1
    last = entry.runtime_data.renewals.history.last(SUB)
    assert last is not None
    assert last.source == "button"
    sim.state.lines["line-1"].decline_reason = "card_declined"
    with pytest.raises(HomeAssistantError):
        await press(hass, "button.tello_renew_now")
    assert charges(sim) == 1


async def test_i_used_this_number(hass: HomeAssistant) -> None:
    """Only numbers whose carrier reclaims unused numbers get the button."""
    entry = manual_entry(carrier="google_voice")
    await setup_entry(hass, entry)
    await press(hass, "button.ultra_i_used_this_number")
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER]["last_activity"] == NOW


async def test_no_activity_button_without_an_activity_rule(hass: HomeAssistant) -> None:
    """A hand-kept number has no "Renew now" (nothing is ever paid for it) but "I paid"."""
    await setup_entry(hass, manual_entry())
    assert hass.states.get("button.ultra_renew_now") is None
    assert hass.states.get("button.ultra_i_paid_3_00_usd") is not None
    assert hass.states.get("button.ultra_i_used_this_number") is None


async def test_demo_activity(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Demo carrier",
        unique_id="demo",
        data={"provider": "demo"},
        subentries_data=[number_subentry("demo-3", "+12025550103", "GV", "google_voice")],
    )
    await setup_entry(hass, entry)
    # A free number (Google Voice) has nothing to renew or fund: no such entities.
    for entity_id in ("button.gv_renew_now", "event.gv_renewal", "sensor.gv_funded_until"):
        assert hass.states.get(entity_id) is None, entity_id
    await press(hass, "button.gv_i_used_this_number")
    provider = entry.runtime_data.provider
    assert provider._ledgers["demo-3"].last_activity.isoformat() == NOW
