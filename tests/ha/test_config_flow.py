"""The account flow (provider → credentials → first number) and the "Add number" subentry flow."""

from __future__ import annotations

from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import DOMAIN, SUBENTRY_NUMBER
from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    ProviderConnectionError,
)

from .conftest import setup_entry

DEMO = "custom_components.esim_keeper.keeper.providers.demo.DemoProvider"


async def _start_demo(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert "demo" in result["menu_options"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "demo"}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "demo"
    return result["flow_id"]


async def test_demo_account_with_first_number(hass: HomeAssistant) -> None:
    """One flow creates the account and its first number as a subentry."""
    flow_id = await _start_demo(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "number"

    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "line_id": "demo-2",
            "name": "My Tello",
            "carrier": "tello",
            "plan": {"renewal_cost": "6.00", "grace_days": 60},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Demo carrier"
    assert result["data"] == {"provider": "demo"}
    entry = result["result"]
    assert entry.unique_id == "demo"
    (subentry,) = entry.subentries.values()
    assert subentry.subentry_type == SUBENTRY_NUMBER
    assert subentry.title == "My Tello"
    assert subentry.unique_id == "+12025550102"
    assert dict(subentry.data) == {
        "number": "+12025550102",
        "line_id": "demo-2",
        "carrier": "tello",
        "plan": {"renewal_cost": "6.00", "grace_days": 60},
    }
    await hass.async_block_till_done()
    state = hass.states.get("sensor.my_tello_balance")
    assert state is not None
    assert state.state == "2.00"


async def test_name_defaults_to_line_name(hass: HomeAssistant) -> None:
    flow_id = await _start_demo(hass)
    await hass.config_entries.flow.async_configure(flow_id, {})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"line_id": "demo-1", "carrier": "ultra_paygo", "plan": {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = result["result"].subentries.values()
    assert subentry.title == "Ultra"


@pytest.mark.parametrize(
    ("plan", "error"),
    [
        ({"renewal_cost": "-1"}, "invalid_amount"),
        ({"renewal_cost": "NaN"}, "invalid_amount"),
        ({"renewal_cost": "three dollars"}, "invalid_amount"),
    ],
)
async def test_bad_plan_values_show_an_error(
    hass: HomeAssistant, plan: dict[str, object], error: str
) -> None:
    """Bad plan input is refused in the form and creates nothing; a correction then succeeds."""
    flow_id = await _start_demo(hass)
    await hass.config_entries.flow.async_configure(flow_id, {})
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"line_id": "demo-1", "carrier": "ultra_paygo", "plan": plan}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"line_id": "demo-1", "carrier": "ultra_paygo", "plan": {"renewal_cost": "3"}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (AuthError("no"), "invalid_auth"),
        (ProviderConnectionError("down"), "cannot_connect"),
        (InvalidResponseError("junk"), "invalid_response"),
        (RuntimeError("bug"), "unknown"),
    ],
)
async def test_connection_errors_are_shown_and_recover(
    hass: HomeAssistant, error: Exception, key: str
) -> None:
    flow_id = await _start_demo(hass)
    with patch(f"{DEMO}.async_validate", side_effect=error):
        result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": key}
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["step_id"] == "number"


async def test_same_account_twice_aborts(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    await setup_entry(hass, demo_entry)
    flow_id = await _start_demo(hass)
    result = await hass.config_entries.flow.async_configure(flow_id, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


async def _start_add_number(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, object]:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_NUMBER), context={"source": SOURCE_USER}
    )
    return dict(result)


async def test_add_number_offers_only_numbers_not_added(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """The new number appears as entities without a reload or restart."""
    await setup_entry(hass, demo_entry)
    result = await _start_add_number(hass, demo_entry)
    assert result["type"] is FlowResultType.FORM
    options = result["data_schema"].schema["line_id"].config["options"]  # type: ignore[attr-defined]
    assert [o["value"] for o in options] == ["demo-3", "demo-4", "demo-5"]

    result = await hass.config_entries.subentries.async_configure(
        str(result["flow_id"]),
        {"line_id": "demo-4", "name": "Family", "carrier": "us_mobile", "plan": {}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert len(demo_entry.subentries) == 3
    state = hass.states.get("sensor.family_balance")
    assert state is not None
    assert state.state == "25.00"


async def test_add_number_when_all_added_aborts(hass: HomeAssistant) -> None:
    from .conftest import number_subentry

    lines = [
        ("demo-1", "01"),
        ("demo-2", "02"),
        ("demo-3", "03"),
        ("demo-4", "04"),
        ("demo-5", "05"),
    ]
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Demo carrier",
        unique_id="demo",
        data={"provider": "demo"},
        subentries_data=[
            number_subentry(line_id, f"+120255501{n}", f"Line {n}", "other") for line_id, n in lines
        ],
    )
    await setup_entry(hass, entry)
    result = await _start_add_number(hass, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_more_numbers"


async def test_add_number_when_carrier_unreachable_aborts(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    with patch(f"{DEMO}.async_fetch", side_effect=ProviderConnectionError("down")):
        result = await _start_add_number(hass, demo_entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_add_number_bad_plan_then_fixed(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    result = await _start_add_number(hass, demo_entry)
    flow_id = str(result["flow_id"])
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"line_id": "demo-3", "carrier": "google_voice", "plan": {"renewal_cost": "-5"}}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_amount"}
    assert len(demo_entry.subentries) == 2
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"line_id": "demo-3", "carrier": "google_voice", "plan": {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def test_removing_a_number_removes_its_device_and_entities(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    from homeassistant.helpers import device_registry as dr, entity_registry as er

    await setup_entry(hass, demo_entry)
    subentry_id = next(
        sid for sid, s in demo_entry.subentries.items() if s.unique_id == "+12025550102"
    )
    assert hass.states.get("sensor.tello_balance") is not None
    assert hass.config_entries.async_remove_subentry(demo_entry, subentry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.tello_balance") is None
    assert er.async_get(hass).async_get("sensor.tello_balance") is None
    assert not dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, "+12025550102")})
    assert hass.states.get("sensor.ultra_balance") is not None


async def test_reauth_same_account(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    await setup_entry(hass, demo_entry)
    result = await demo_entry.start_reauth_flow(hass)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "reauth_confirm"
    with patch(f"{DEMO}.async_validate", side_effect=AuthError("still no")):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
