"""Sensor entities of numbers.

Their registry entries and states are snapshotted per account kind in test_entities_providers.py.
"""

from __future__ import annotations

from dataclasses import replace

from homeassistant.const import (
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
)

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.keeper.model import LineState, StatusReason

from .accounts import bridge_entry, running_sim, setup_account
from .conftest import MONEY_AND_EXPIRY, demo_entry_with, entity_keys, setup_entry


@pytest.mark.usefixtures("socket_enabled", "entity_registry_enabled_by_default")
async def test_activity_deadline_only_for_plans_with_an_activity_rule(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        # "Work" has a 90-day activity rule; Tello's plan has none.
        assert hass.states.get("sensor.work_activity_deadline").state == (  # type: ignore[union-attr]
            "2026-12-30T13:00:00+00:00"  # 90 days after 08:00 EDT is 08:00 EST
        )
        assert entity_registry.async_get_entity_id("sensor", DOMAIN, "sub-0100_balance")
        assert not entity_registry.async_get_entity_id(
            "sensor", DOMAIN, "sub-0100_activity_deadline"
        )
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_free_number_kept_by_use_has_no_balance_or_plan_expiry(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry = demo_entry_with(
        ("demo-1", "+12025550101", "Ultra", "ultra_paygo"),
        ("demo-3", "+12025550103", "GV", "google_voice"),
        ("demo-4", "+12025550104", "Giff", "giffgaff"),
    )
    await setup_entry(hass, entry)
    # A paid plan: every money and date entity.
    assert entity_keys(entity_registry, entry, "sub-0101") >= MONEY_AND_EXPIRY
    # Google Voice costs nothing and takes no money: its 10-year "plan" and 0.00 balance would
    # only mislead. What keeps it is use: the activity deadline.
    gv = entity_keys(entity_registry, entry, "sub-0103")
    assert not gv & MONEY_AND_EXPIRY
    assert {"status", "keep_alive_deadline", "activity_deadline", "loss_date"} <= gv
    # giffgaff is free but sells credit: the balance stays, the plan expiry goes.
    giff = entity_keys(entity_registry, entry, "sub-0104")
    assert "balance" in giff
    assert not giff & {"plan_expiry", "days_to_expiry", "balance_short"}
    # The calendar shows no plan expiry for them either.
    events = await hass.services.async_call(
        "calendar",
        "get_events",
        {"entity_id": "calendar.demo_carrier_deadlines", "duration": {"days": 4000}},
        blocking=True,
        return_response=True,
    )
    summaries = [e["summary"] for e in events["calendar.demo_carrier_deadlines"]["events"]]
    assert any("Ultra" in s for s in summaries)
    assert not [s for s in summaries if ("GV" in s or "Giff" in s) and "expir" in s.lower()]


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_status_unknown_is_home_assistants_unknown(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """The keeper's "unknown" state is not an option of the enum: it is the unknown state."""
    await setup_entry(hass, demo_entry)
    state = hass.states.get("sensor.ultra_status")
    assert state is not None
    assert "unknown" not in state.attributes["options"]
    coordinator = demo_entry.runtime_data.coordinator
    data = coordinator.data.numbers["sub-0101"]
    unknown = replace(data.status, state=LineState.UNKNOWN, reason=StatusReason.NO_EXPIRY)
    coordinator.async_set_updated_data(
        replace(coordinator.data, numbers={"sub-0101": replace(data, status=unknown)})
    )
    await hass.async_block_till_done()
    assert hass.states.get("sensor.ultra_status").state == STATE_UNKNOWN  # type: ignore[union-attr]
    assert hass.states.get("sensor.ultra_status_reason").state == "no_expiry"  # type: ignore[union-attr]
    # Tello vanished from that poll: its entities are unavailable, units and all.
    balance = hass.states.get("sensor.tello_balance")
    assert balance is not None
    assert balance.state == STATE_UNAVAILABLE
