"""The base entity of a number (entity.py).

Which entities a number has, and state writes only when what an entity shows changed.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.esim_keeper.const import SUBENTRY_NUMBER
from custom_components.esim_keeper.entity import NUMBERS_AT_ONCE

from .accounts import bridge_entry, running_sim, setup_account
from .conftest import MONEY_AND_EXPIRY, demo_entry_with, entity_keys, setup_entry


@pytest.mark.usefixtures("entity_registry_enabled_by_default")
async def test_entities_a_number_no_longer_has_leave_the_registry(
    hass: HomeAssistant, entity_registry: er.EntityRegistry
) -> None:
    entry = demo_entry_with(("demo-3", "+12025550103", "GV", "ultra_paygo"))
    await setup_entry(hass, entry)
    assert entity_keys(entity_registry, entry, "sub-0103") >= MONEY_AND_EXPIRY
    # The user corrects the carrier: it is a Google Voice number, free and kept by use.
    subentry = entry.subentries["sub-0103"]
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, "carrier": "google_voice"}
    )
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    kept = entity_keys(entity_registry, entry, "sub-0103")
    assert not kept & MONEY_AND_EXPIRY
    assert "activity_deadline" in kept
    assert hass.states.get("sensor.gv_balance") is None
    assert hass.states.get("sensor.gv_status") is not None


class WriteCounter:
    """Counts state writes per entity.

    State_changed, and state_reported for writes that change nothing (Home Assistant fires no
    state_changed for those).
    """

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


def entity_ids_of(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str | None = None
) -> set[str]:
    """Return the enabled entities of an account, or of one of its numbers."""
    return {
        e.entity_id
        for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
        if subentry_id in (None, e.config_subentry_id) and e.disabled_by is None
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

        work = entity_ids_of(hass, entry, "sub-0101")
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
            tello = entity_ids_of(hass, entry, "sub-0100")
            assert not tello & set(counter.writes)
        finally:
            assert await hass.config_entries.async_unload(entry.entry_id)


async def test_many_numbers_added_at_once_get_their_entities_a_number_per_turn(
    hass: HomeAssistant,
) -> None:
    """More than NUMBERS_AT_ONCE new numbers (keep-all, an import) are added one per turn."""
    entry = demo_entry_with(("demo-1", "+12025550101", "Ultra", "ultra_paygo"))
    await setup_entry(hass, entry)
    coordinator = entry.runtime_data.coordinator
    coordinator.sync_paused = True  # as an import does: sync once at the end
    added = []
    for index in range(NUMBERS_AT_ONCE + 1):
        number = f"+1202555020{index}"
        subentry = ConfigSubentry(
            data=MappingProxyType(
                {"number": number, "line_id": f"line-{index}", "carrier": "tello", "plan": {}}
            ),
            subentry_type=SUBENTRY_NUMBER,
            title=f"Number {index}",
            unique_id=number,
        )
        hass.config_entries.async_add_subentry(entry, subentry)
        added.append(subentry.subentry_id)
    await hass.async_block_till_done()
    assert not any(entity_ids_of(hass, entry, subentry_id) for subentry_id in added)
    coordinator.sync_paused = False
    assert coordinator.sync_numbers()
    await coordinator.async_refresh()
    coordinator.async_update_listeners()  # as __init__ does after a change of numbers
    await hass.async_block_till_done()
    for subentry_id in added:
        assert entity_keys(er.async_get(hass), entry, subentry_id) >= {"status", "balance"}
