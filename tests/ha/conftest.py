"""Fixtures for the Home Assistant layer: accounts with numbers, loaded into a test hass."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.esim_keeper.const import (
    CONF_CARRIER,
    CONF_LINE_ID,
    CONF_NUMBER,
    CONF_PLAN,
    CONF_PROVIDER,
    DOMAIN,
    SUBENTRY_NUMBER,
)
from tests.hass_fixtures import (  # noqa: F401  (autouse fixtures, shared with tests/reliability)
    auto_enable_custom_integrations,
    guard_events_and_issues,
)

# Every test here runs at this instant unless it moves the clock itself.
NOW = "2026-11-26T09:00:00+00:00"


@pytest.fixture(autouse=True)
def private_config_dir(hass: HomeAssistant, tmp_path: Any) -> None:
    """Each test's own config dir.

    Set-up installs blueprints and sentences there, not into the harness's shared testing_config.
    """
    hass.config.config_dir = str(tmp_path)


@pytest.fixture(autouse=True)
def frozen_now(freezer: Any) -> Any:
    """Return a fixed clock, so dates in states and snapshots are stable."""
    freezer.move_to(NOW)
    return freezer


@pytest.fixture
def entity_registry_enabled_by_default() -> Generator[None]:
    """Create entities that are disabled by default as enabled (core has this fixture.

    The custom-component harness does not).
    """
    with patch(
        "homeassistant.helpers.entity.Entity.entity_registry_enabled_default",
        return_value=True,
    ):
        yield


def number_subentry(
    line_id: str, number: str, title: str, carrier: str, plan: dict[str, Any] | None = None
) -> ConfigSubentryDataWithId:
    """Return the subentry "Add number" stores for one number (a stable id for snapshots)."""
    return ConfigSubentryDataWithId(
        subentry_id=f"sub-{number[-4:]}",
        data={
            CONF_NUMBER: number,
            CONF_LINE_ID: line_id,
            CONF_CARRIER: carrier,
            CONF_PLAN: plan or {},
        },
        subentry_type=SUBENTRY_NUMBER,
        title=title,
        unique_id=number,
    )


@pytest.fixture
def demo_entry() -> MockConfigEntry:
    """Return a demo account with two of its numbers added."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo carrier",
        entry_id="demo-entry",
        unique_id="demo",
        data={CONF_PROVIDER: "demo"},
        subentries_data=[
            number_subentry("demo-1", "+12025550101", "Ultra", "ultra_paygo"),
            number_subentry("demo-2", "+12025550102", "Tello", "tello"),
        ],
    )


def demo_entry_with(*numbers: tuple[str, str, str, str]) -> MockConfigEntry:
    """Return a demo account with these numbers (line id, number, title, carrier) added."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo carrier",
        unique_id="demo",
        data={CONF_PROVIDER: "demo"},
        subentries_data=[number_subentry(*number) for number in numbers],
    )


def entity_keys(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry, subentry: str
) -> set[str]:
    """Return the description keys of a number's registered entities."""
    return {
        e.unique_id.removeprefix(f"{subentry}_")
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.config_subentry_id == subentry
    }


# Sensors only a number with a balance and a plan expiry has.
MONEY_AND_EXPIRY = {"balance", "plan_expiry", "days_to_expiry", "balance_short"}


async def setup_entry(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """Add and load an entry, waiting for its platforms."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Snapshots through Home Assistant's serializer (stable ids, readable states)."""
    return snapshot.use_extension(HomeAssistantSnapshotExtension)
