"""The account coordinator: polling failures, reauth, Retry-After, recovery and the event loop."""

from __future__ import annotations

from datetime import timedelta
import logging
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock, patch

from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.esim_keeper import coordinator as coordinator_module
from custom_components.esim_keeper.coordinator import _update_error
from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    ProviderConnectionError,
    ProviderError,
    RateLimitedError,
)

from .conftest import setup_entry

DEMO = "custom_components.esim_keeper.keeper.providers.demo.DemoProvider"


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


@pytest.mark.parametrize(
    ("error", "interval", "expected", "key", "retry_after"),
    [
        (AuthError("revoked"), None, ConfigEntryAuthFailed, "auth_failed", None),
        (ProviderConnectionError("down"), None, UpdateFailed, "cannot_connect", None),
        (InvalidResponseError("junk"), None, UpdateFailed, "invalid_response", None),
        (ProviderError("odd"), None, UpdateFailed, "provider_error", None),
        (RateLimitedError("slow", 1800), timedelta(minutes=5), UpdateFailed, "rate_limited", 1800),
        # Shorter than the poll interval: dropped, the normal interval applies.
        (RateLimitedError("slow", 0), timedelta(minutes=5), UpdateFailed, "rate_limited", None),
        (RateLimitedError("slow", 60), None, UpdateFailed, "rate_limited", 60),
    ],
)
def test_provider_errors_become_home_assistants(
    error: ProviderError,
    interval: timedelta | None,
    expected: type[Exception],
    key: str,
    retry_after: float | None,
) -> None:
    result = _update_error(error, interval)
    assert type(result) is expected
    assert isinstance(result, ConfigEntryAuthFailed | UpdateFailed)
    assert result.translation_key == key
    if isinstance(result, UpdateFailed):
        assert result.retry_after == retry_after


async def test_credentials_checked_once_before_the_first_poll(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    with patch(f"{DEMO}.async_validate", side_effect=AuthError("revoked")) as validate:
        demo_entry.add_to_hass(hass)
        await hass.config_entries.async_setup(demo_entry.entry_id)
        await hass.async_block_till_done()
    assert validate.call_count == 1
    assert demo_entry.state is ConfigEntryState.SETUP_ERROR


async def test_many_statuses_give_the_event_loop_turns(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """Every STATUSES_PER_TURN statuses computed, the event loop gets a turn."""
    turn = AsyncMock()
    with (
        patch.object(coordinator_module, "STATUSES_PER_TURN", 1),
        patch.object(coordinator_module, "asyncio", SimpleNamespace(sleep=turn)),
    ):
        await setup_entry(hass, demo_entry)
    assert demo_entry.state is ConfigEntryState.LOADED
    assert turn.await_count == 2  # one per status: both numbers' statuses were computed
    data = demo_entry.runtime_data.coordinator.data
    assert set(data.numbers) == {"sub-0101", "sub-0102"}
