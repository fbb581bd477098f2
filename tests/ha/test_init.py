"""Setting up, unloading and reloading an account; polling failures and recovery."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    ProviderConnectionError,
    RateLimitedError,
)

from .conftest import setup_entry

DEMO = "custom_components.esim_keeper.keeper.providers.demo.DemoProvider"


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


@pytest.mark.parametrize(
    ("error", "state"),
    [
        (ProviderConnectionError("down"), ConfigEntryState.SETUP_RETRY),
        (InvalidResponseError("junk"), ConfigEntryState.SETUP_RETRY),
        (AuthError("revoked"), ConfigEntryState.SETUP_ERROR),
    ],
)
async def test_first_poll_failure(
    hass: HomeAssistant, demo_entry: MockConfigEntry, error: Exception, state: ConfigEntryState
) -> None:
    with patch(f"{DEMO}.async_fetch", side_effect=error):
        demo_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(demo_entry.entry_id)
        await hass.async_block_till_done()
    assert demo_entry.state is state


async def test_auth_failure_starts_reauth(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    with patch(f"{DEMO}.async_fetch", side_effect=AuthError("revoked")):
        demo_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(demo_entry.entry_id)
        await hass.async_block_till_done()
    flows = hass.config_entries.flow.async_progress_by_handler("esim_keeper")
    assert [f["context"]["source"] for f in flows] == ["reauth"]


async def test_poll_failure_unavailable_once_logged_and_recovers(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    freezer: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A failing carrier makes the entities unavailable with one log line; they come back."""
    await setup_entry(hass, demo_entry)
    caplog.set_level(logging.INFO)
    with patch(f"{DEMO}.async_fetch", side_effect=ProviderConnectionError("down")):
        for _ in range(3):
            freezer.tick(timedelta(minutes=6))
            async_fire_time_changed(hass)
            await hass.async_block_till_done()
            assert hass.states.get("sensor.ultra_balance").state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    failures = [r for r in caplog.records if "Could not reach the carrier" in r.getMessage()]
    assert len(failures) == 1

    freezer.tick(timedelta(minutes=6))
    async_fire_time_changed(hass)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.ultra_balance").state == "10.00"  # type: ignore[union-attr]
    assert sum("data recovered" in r.getMessage() for r in caplog.records) == 1


async def test_rate_limit_retry_after_is_honoured(
    hass: HomeAssistant, demo_entry: MockConfigEntry, freezer: Any
) -> None:
    """After a 429 with Retry-After, the next poll waits that long, not the normal interval."""
    await setup_entry(hass, demo_entry)
    coordinator = demo_entry.runtime_data.coordinator
    with patch(f"{DEMO}.async_fetch", side_effect=RateLimitedError("slow down", 1800)):
        freezer.tick(timedelta(minutes=6))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
    assert not coordinator.last_update_success
    with patch(f"{DEMO}.async_fetch", wraps=coordinator.provider.async_fetch) as fetch:
        freezer.tick(timedelta(minutes=10))  # past the 5-minute interval, before Retry-After
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert fetch.call_count == 0
        freezer.tick(timedelta(minutes=21))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        assert fetch.call_count == 1
    assert coordinator.last_update_success
