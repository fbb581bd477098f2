"""Binary sensors of a number: on, off, unknown and unavailable, from the keeper's judgement."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from .accounts import bridge_entry, running_sim, setup_account

SHORT = "binary_sensor.{}_balance_too_low_for_renewal"
ACTION = "binary_sensor.{}_action_needed"


def _state(hass: HomeAssistant, entity_id: str) -> str:
    state = hass.states.get(entity_id)
    assert state is not None, entity_id
    return state.state


async def _poll(hass: HomeAssistant, freezer: Any) -> None:
    freezer.tick(timedelta(minutes=61))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)


@pytest.mark.usefixtures("socket_enabled")
async def test_on_off_unknown_unavailable(hass: HomeAssistant, frozen_now: Any) -> None:
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        # Tello: $2.00 against a $5.00 renewal in four days.
        assert _state(hass, SHORT.format("tello")) == STATE_ON
        assert _state(hass, ACTION.format("tello")) == STATE_ON
        # Work: $20.00 against $3.00, nothing due for weeks.
        assert _state(hass, SHORT.format("work")) == STATE_OFF
        assert _state(hass, ACTION.format("work")) == STATE_OFF

        # A balance in another currency says nothing about the renewal: unknown, not "fine".
        sim.state.lines["line-2"].currency = "EUR"
        await _poll(hass, frozen_now)
        assert _state(hass, SHORT.format("work")) == STATE_UNKNOWN
        assert _state(hass, ACTION.format("work")) == STATE_OFF

        # Tello tops up: covered again; the carrier drops Work: its entities go unavailable.
        sim.state.lines["line-1"].balance += 10
        del sim.state.lines["line-2"]
        await _poll(hass, frozen_now)
        assert _state(hass, SHORT.format("tello")) == STATE_OFF
        assert _state(hass, SHORT.format("work")) == STATE_UNAVAILABLE
        assert _state(hass, ACTION.format("work")) == STATE_UNAVAILABLE
        assert await hass.config_entries.async_unload(entry.entry_id)
