"""import_numbers / export_numbers: all or nothing, per-row errors, a round trip, 1,000 rows."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper import bulk
from custom_components.esim_keeper.const import DOMAIN, SUBENTRY_NUMBER

from .accounts import manual_account, manual_entry
from .conftest import setup_entry

HEADER = "number,name,carrier,balance,plan_expiry,last_used\n"
GOOD = (
    HEADER
    + "+1 415 555 0134,Tello spare,tello,4.00,2026-12-20,2026-11-20\n"
    + "(212) 555-0188,,ultra_paygo,7.50,2026-12-10,\n"
)


async def call(hass: HomeAssistant, service: str, data: dict[str, Any], **kw: Any) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, **kw)


def numbers(entry: Any) -> dict[str, Any]:
    return {s.unique_id: s for s in entry.subentries.values() if s.subentry_type == SUBENTRY_NUMBER}


async def test_import_adds_every_row(hass: HomeAssistant) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    response = await call(hass, "import_numbers", {"csv": GOOD}, return_response=True)
    assert response == {"imported": 2, "errors": []}
    await hass.async_block_till_done()
    kept = numbers(entry)
    assert set(kept) == {"+12025550199", "+14155550134", "+12125550188"}
    assert kept["+14155550134"].title == "Tello spare"
    assert kept["+12125550188"].title == "Ultra Mobile PayGo …0188"
    assert kept["+14155550134"].data["ledger"]["balance"] == "4.00"
    state = hass.states.get("sensor.tello_spare_balance")
    assert state is not None
    assert state.state == "4.00"
    assert len(entry.runtime_data.coordinator.data.numbers) == 3


async def test_import_with_any_bad_row_changes_nothing(hass: HomeAssistant) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    before = dict(entry.subentries)
    text = (
        GOOD + "+1 202 555 0199,Dup,tello,1,2026-12-01,\n" + "+12025550111,x,nope,1,2026-12-01,\n"
    )
    response = await call(hass, "import_numbers", {"csv": text}, return_response=True)
    assert response == {
        "imported": 0,
        "errors": [
            {"row": 4, "column": "number", "error": "number_taken"},
            {"row": 5, "column": "carrier", "error": "unknown_carrier"},
        ],
    }
    assert dict(entry.subentries) == before
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "import_numbers", {"csv": text})
    assert err.value.translation_key == "import_failed"
    assert err.value.translation_placeholders == {
        "count": "2",
        "row": "4",
        "column": "number",
        "error": "the number is already kept by eSIM Keeper",
    }
    assert dict(entry.subentries) == before


async def test_import_uses_the_account_defaults(hass: HomeAssistant) -> None:
    entry = manual_entry()
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        entry, options={"new_numbers": {"carrier": "tello", "plan": {"renewal_cost": "9"}}}
    )
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert await call(hass, "import_numbers", {"csv": GOOD}) is None
    await hass.async_block_till_done()
    kept = numbers(entry)
    assert kept["+14155550134"].data["plan"] == {"renewal_cost": "9"}
    assert kept["+12125550188"].data["plan"] == {}


async def test_import_needs_a_loaded_manual_account(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "import_numbers", {"csv": GOOD})
    assert err.value.translation_key == "no_hand_kept_account"
    entry = manual_entry()
    await setup_entry(hass, entry)
    await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "export_numbers", {}, return_response=True)
    assert err.value.translation_key == "entry_not_loaded"


async def test_export_then_import_on_another_install(hass: HomeAssistant) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    await call(hass, "import_numbers", {"csv": GOOD})
    await hass.async_block_till_done()
    exported = await call(hass, "export_numbers", {}, return_response=True)
    assert exported["count"] == 3
    lines = exported["csv"].splitlines()
    assert lines[0] == HEADER.strip()
    assert "+14155550134,Tello spare,tello,4.00,2026-12-20,2026-11-20" in lines
    # Moved to a fresh install: the same numbers, with the same records.
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    fresh = manual_account()
    await setup_entry(hass, fresh)
    response = await call(hass, "import_numbers", {"csv": exported["csv"]}, return_response=True)
    assert response == {"imported": 3, "errors": []}
    again = await call(hass, "export_numbers", {}, return_response=True)
    assert sorted(again["csv"].splitlines()) == sorted(lines)


async def test_a_thousand_rows(hass: HomeAssistant) -> None:
    hass.loop.set_debug(False)  # asyncio debug mode takes a stack trace per callback
    entry = manual_account()
    await setup_entry(hass, entry)
    rows = "".join(
        f"+1{201 + i // 100}55501{i % 100:02d},,tello,{i % 30}.00,2026-12-20,\n"
        for i in range(1000)
    )
    response = await call(hass, "import_numbers", {"csv": HEADER + rows}, return_response=True)
    assert response == {"imported": 1000, "errors": []}
    await hass.async_block_till_done()
    assert len(numbers(entry)) == 1000
    registry = er.async_get(hass)
    entities = er.async_entries_for_config_entry(registry, entry.entry_id)
    assert len({e.config_subentry_id for e in entities}) == 1001


async def test_a_number_taken_while_importing_undoes_the_import(hass: HomeAssistant) -> None:
    """All or nothing even when another flow adds one of the numbers between two batches."""
    entry = manual_account()
    await setup_entry(hass, entry)
    rows = "".join(f"+1202555{i:04d},,tello,1.00,2026-12-20,\n" for i in range(100, 160))
    original = bulk.asyncio.sleep
    turns = 0

    async def other_flow_meanwhile(delay: float) -> None:
        nonlocal turns
        turns += 1
        if turns == 1:  # after the first batch: someone adds the 50th number by hand
            hass.config_entries.async_add_subentry(
                entry,
                ConfigSubentry(
                    data=MappingProxyType(
                        {
                            **numbers(entry)["+12025550100"].data,
                            "number": "+12025550149",
                            "line_id": "+12025550149",
                        }
                    ),
                    subentry_type=SUBENTRY_NUMBER,
                    title="By hand",
                    unique_id="+12025550149",
                ),
            )
        await original(delay)

    with (
        patch.object(bulk.asyncio, "sleep", other_flow_meanwhile),
        pytest.raises(ServiceValidationError) as err,
    ):
        await call(hass, "import_numbers", {"csv": HEADER + rows})
    assert err.value.translation_placeholders == {
        "count": "1",
        "row": "51",
        "column": "number",
        "error": "the number is already kept by eSIM Keeper",
    }
    await hass.async_block_till_done()
    assert set(numbers(entry)) == {"+12025550149"}
