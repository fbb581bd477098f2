"""Diagnostics: snapshotted, and free of full numbers and secrets."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

from .accounts import (
    TELLO_NUMBER,
    WORK_NUMBER,
    bridge_entry,
    running_sim,
    setup_account,
    twilio_entry,
)
from .conftest import setup_entry


async def test_diagnostics(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    demo_entry: MockConfigEntry,
    snapshot: SnapshotAssertion,
) -> None:
    await setup_entry(hass, demo_entry)
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, demo_entry)
    assert diagnostics == snapshot
    text = json.dumps(diagnostics, default=str)
    for number in ("+12025550101", "12025550101", "+12025550102", "2025550102"):
        assert number not in text


@pytest.mark.usefixtures("socket_enabled")
async def test_diagnostics_redact_every_credential(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    """Twilio and bridge accounts: no secret, account id, address or full number in the dump."""
    async with running_sim() as sim:
        for entry in (twilio_entry(sim), bridge_entry(sim)):
            await setup_account(hass, entry)
            diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
            text = json.dumps(diagnostics, default=str)
            for secret in (*entry.data.values(), TELLO_NUMBER, WORK_NUMBER):
                if secret in (entry.data["provider"],):
                    continue
                assert str(secret) not in text, secret
            assert await hass.config_entries.async_unload(entry.entry_id)
