"""Sensor entities of numbers: registry entries and states, snapshotted."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.const import (
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    Platform,
)
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    snapshot_platform,
)
from syrupy.assertion import SnapshotAssertion

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.keeper.model import LineState, StatusReason

from .accounts import bridge_entry, running_sim, setup_account
from .conftest import number_subentry, setup_entry


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_sensors(
    hass: HomeAssistant,
    demo_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    with patch("custom_components.esim_keeper.PLATFORMS", [Platform.SENSOR]):
        await setup_entry(hass, demo_entry)
    await snapshot_platform(hass, entity_registry, snapshot, demo_entry.entry_id)


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


def _demo(*numbers: tuple[str, str, str, str]) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Demo carrier",
        unique_id="demo",
        data={"provider": "demo"},
        subentries_data=[number_subentry(*number) for number in numbers],
    )


def _keys(entity_registry: er.EntityRegistry, entry: MockConfigEntry, subentry: str) -> set[str]:
    return {
        e.unique_id.removeprefix(f"{subentry}_")
        for e in er.async_entries_for_config_entry(entity_registry, entry.entry_id)
        if e.config_subentry_id == subentry
    }


MONEY_AND_EXPIRY = {"balance", "plan_expiry", "days_to_expiry", "balance_short"}


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_a_free_number_kept_by_use_has_no_balance_or_plan_expiry(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry = _demo(
        ("demo-1", "+12025550101", "Ultra", "ultra_paygo"),
        ("demo-3", "+12025550103", "GV", "google_voice"),
        ("demo-4", "+12025550104", "Giff", "giffgaff"),
    )
    await setup_entry(hass, entry)
    # A paid plan: every money and date entity.
    assert _keys(entity_registry, entry, "sub-0101") >= MONEY_AND_EXPIRY
    # Google Voice costs nothing and takes no money: its 10-year "plan" and 0.00 balance would
    # only mislead. What keeps it is use: the activity deadline.
    gv = _keys(entity_registry, entry, "sub-0103")
    assert not gv & MONEY_AND_EXPIRY
    assert {"status", "keep_alive_deadline", "activity_deadline", "loss_date"} <= gv
    # giffgaff is free but sells credit: the balance stays, the plan expiry goes.
    giff = _keys(entity_registry, entry, "sub-0104")
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
async def test_entities_a_number_no_longer_has_leave_the_registry(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry = _demo(("demo-3", "+12025550103", "GV", "ultra_paygo"))
    await setup_entry(hass, entry)
    assert _keys(entity_registry, entry, "sub-0103") >= MONEY_AND_EXPIRY
    # The user corrects the carrier: it is a Google Voice number, free and kept by use.
    subentry = entry.subentries["sub-0103"]
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "carrier": "google_voice"}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    kept = _keys(entity_registry, entry, "sub-0103")
    assert not kept & MONEY_AND_EXPIRY
    assert "activity_deadline" in kept
    assert hass.states.get("sensor.gv_balance") is None
    assert hass.states.get("sensor.gv_status") is not None


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


class WriteCounter:
    """Counts state writes per entity: state_changed, and state_reported for writes that change
    nothing (Home Assistant fires no state_changed for those)."""

    def __init__(self, hass: HomeAssistant) -> None:
        self.writes: Counter[str] = Counter()

        @callback
        def count(event: Event[Any]) -> None:
            self.writes[event.data["entity_id"]] += 1

        @callback
        def every(_: Any) -> bool:
            return True

        hass.bus.async_listen(EVENT_STATE_CHANGED, count)
        hass.bus.async_listen(EVENT_STATE_REPORTED, count, event_filter=every)


async def _poll(hass: HomeAssistant, freezer: Any) -> None:
    """Let the account's next scheduled poll (60 minutes for a bridge) run."""
    freezer.tick(timedelta(minutes=61))
    async_fire_time_changed(hass)
    # A scheduled poll is a background task; real sockets make it wait for I/O.
    await hass.async_block_till_done(wait_background_tasks=True)


def _entities_of(hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str) -> set[str]:
    return {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if e.config_subentry_id == subentry_id and e.disabled_by is None
    }


@pytest.mark.usefixtures("socket_enabled")
async def test_writes_only_the_numbers_that_changed(hass: HomeAssistant, frozen_now: Any) -> None:
    """An unchanged poll writes no state; a new balance writes only the entities that show it."""
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        counter = WriteCounter(hass)
        requests = sim.state.requests["bridge.listLines"]
        await _poll(hass, frozen_now)
        assert sim.state.requests["bridge.listLines"] == requests + 1
        assert not counter.writes

        sim.state.lines["line-2"].balance = Decimal("23.00")
        await _poll(hass, frozen_now)
        assert hass.states.get("sensor.work_balance").state == "23.00"  # type: ignore[union-attr]
        counter.writes.clear()

        work = _entities_of(hass, entry, "sub-0101")
        before = {entity_id: hass.states.get(entity_id) for entity_id in work}
        sim.state.lines["line-2"].balance = Decimal("26.00")
        await _poll(hass, frozen_now)
        changed = {
            entity_id
            for entity_id, old in before.items()
            if old is None or hass.states.get(entity_id).state != old.state  # type: ignore[union-attr]
        }
        # Exactly the entities whose value changed write, once; the rest of this number's
        # entities and the calendar (its next deadline is the same) write nothing.
        assert changed == {"sensor.work_balance", "sensor.work_funded_until"}
        # ... and the low-balance sensor, whose attributes quote the balance.
        changed.add("binary_sensor.work_balance_too_low_for_renewal")
        assert counter.writes == dict.fromkeys(changed, 1)
        assert hass.states.get("sensor.work_balance").state == "26.00"  # type: ignore[union-attr]
        funded = hass.states.get("sensor.work_funded_until")
        assert funded is not None
        assert funded.state == "2027-08-17T04:00:00+00:00"  # 8 renewals of 30 days
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_first_change_after_setup_writes_only_that_number(
    hass: HomeAssistant, frozen_now: Any
) -> None:
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        counter = WriteCounter(hass)
        sim.state.lines["line-2"].balance = Decimal("23.00")
        try:
            await _poll(hass, frozen_now)
            tello = _entities_of(hass, entry, "sub-0100")
            assert not tello & set(counter.writes)
        finally:
            assert await hass.config_entries.async_unload(entry.entry_id)
