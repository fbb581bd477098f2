"""eSIM Keeper: keep prepaid US numbers alive from Home Assistant.

One config entry is one account (a provider connection); each phone number is a config subentry
with its own device.
"""

from __future__ import annotations

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType

from .client import create_provider
from .const import DOMAIN
from .coordinator import AccountCoordinator, EsimKeeperConfigEntry, EsimKeeperRuntime
from .history import RenewalHistory
from .installer import async_install_shipped_files
from .intent import async_setup_intents
from .renewal import RenewalEngine
from .services import async_setup_services

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (actions are registered here, once, for every account)."""
    async_setup_services(hass)
    await async_setup_intents(hass)
    await async_install_shipped_files(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> bool:
    """Connect an account, poll it once, and create its numbers' entities."""
    provider = create_provider(hass, entry.data)
    coordinator = AccountCoordinator(hass, entry, provider)
    history = RenewalHistory(hass, entry.entry_id)
    await history.async_load()
    await coordinator.async_config_entry_first_refresh()
    engine = RenewalEngine(hass, entry, coordinator, provider, history)
    entry.runtime_data = EsimKeeperRuntime(
        provider=provider, coordinator=coordinator, renewals=engine
    )

    @callback
    def _entry_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        """A number was added, changed or removed: follow it without reloading the account."""
        if change is not ConfigEntryChange.UPDATED or changed.entry_id != entry.entry_id:
            return
        if coordinator.sync_numbers():
            entry.async_create_background_task(
                hass, _refresh_numbers(coordinator), f"{DOMAIN} numbers changed"
            )

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # After the platforms: renewals settled at start-up reach the event entities.
    engine.async_start()
    return True


async def _refresh_numbers(coordinator: AccountCoordinator) -> None:
    await coordinator.async_refresh()
    # Listeners add the new numbers' entities even when the poll itself brought nothing new.
    coordinator.async_update_listeners()


async def async_unload_entry(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> bool:
    """Unload an account's platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> None:
    """Delete a removed account's renewal history."""
    await RenewalHistory(hass, entry.entry_id).async_remove()
