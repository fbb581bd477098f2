"""Setting up, unloading and reloading an account (its polling: test_coordinator.py)."""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from .conftest import setup_entry


async def test_setup_unload_reload(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    await setup_entry(hass, demo_entry)
    assert demo_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.ultra_balance").state == "10.00"  # type: ignore[union-attr]

    assert await hass.config_entries.async_unload(demo_entry.entry_id)
    await hass.async_block_till_done()
    assert demo_entry.state is ConfigEntryState.NOT_LOADED
    assert hass.states.get("sensor.ultra_balance").state == STATE_UNAVAILABLE  # type: ignore[union-attr]

    assert await hass.config_entries.async_reload(demo_entry.entry_id)
    await hass.async_block_till_done()
    assert demo_entry.state is ConfigEntryState.LOADED
    assert hass.states.get("sensor.ultra_balance").state == "10.00"  # type: ignore[union-attr]
