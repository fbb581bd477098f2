"""Every entity of a number, for each kind of account: Manual records, Twilio and an HTTP bridge.

Twilio and the bridge run against the real carrier simulator on loopback; registry entries and
states are snapshotted one platform at a time (disabled-by-default entities included): the one
snapshot of each entity platform.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from unittest.mock import patch

from homeassistant.const import Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, snapshot_platform
from syrupy.assertion import SnapshotAssertion

from custom_components.esim_keeper.const import DOMAIN
from tools.carrier_sim import CarrierSim

from .accounts import bridge_entry, manual_entry, running_sim, setup_account, twilio_entry

ACCOUNTS: dict[str, Callable[[CarrierSim], MockConfigEntry]] = {
    "manual": lambda _: manual_entry(),
    "twilio": twilio_entry,
    "bridge": bridge_entry,
}

# Twilio bills its numbers itself (it cannot renew one): no renewal buttons, no renewal events.
NONE_OF_THESE = {("twilio", Platform.BUTTON), ("twilio", Platform.EVENT)}


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    async with AsyncExitStack() as stack:
        yield await stack.enter_async_context(running_sim())


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
@pytest.mark.parametrize(
    "platform",
    [Platform.BINARY_SENSOR, Platform.BUTTON, Platform.CALENDAR, Platform.EVENT, Platform.SENSOR],
)
@pytest.mark.parametrize("kind", list(ACCOUNTS))
async def test_entities(
    hass: HomeAssistant,
    sim: CarrierSim,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
    kind: str,
    platform: Platform,
) -> None:
    entry = ACCOUNTS[kind](sim)
    with patch("custom_components.esim_keeper.PLATFORMS", [platform]):
        await setup_account(hass, entry)
    if (kind, platform) in NONE_OF_THESE:
        assert not er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    else:
        await snapshot_platform(hass, entity_registry, snapshot, entry.entry_id)
    assert await hass.config_entries.async_unload(entry.entry_id)


async def test_devices(
    hass: HomeAssistant, sim: CarrierSim, device_registry: dr.DeviceRegistry
) -> None:
    """A device per number (its subentry), and one service device for the account's calendar."""
    entry = await setup_account(hass, bridge_entry(sim))
    devices = {
        next(iter(d.identifiers)): (d.name, d.manufacturer, d.model, d.config_subentry_id)
        for d in dr.async_entries_for_config_entry(device_registry, entry.entry_id)
    }
    assert devices == {
        (DOMAIN, "bridge-entry"): ("Bridge", None, "HTTP bridge", None),
        (DOMAIN, "sub-0100"): (
            "Tello", "Tello", "HTTP bridge", "sub-0100"
        ),
        (DOMAIN, "sub-0101"): (
            "Work", None, "HTTP bridge", "sub-0101"
        ),
    }  # fmt: skip
    assert await hass.config_entries.async_unload(entry.entry_id)
