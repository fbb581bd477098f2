"""Diagnostics: snapshotted, and free of full numbers and secrets."""

from __future__ import annotations

import json

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator
from syrupy.assertion import SnapshotAssertion

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
