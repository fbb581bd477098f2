"""Config flows.

Every account kind with its first number, errors, duplicates, reauth, reconfigure, options, and the
"Add number" / number settings subentry flows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.helpers import (
    device_registry as dr,
    entity_registry as er,
    issue_registry as ir,
)
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import DOMAIN, SUBENTRY_NUMBER
from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    ProviderConnectionError,
)
from tools.carrier_sim import CarrierSim
from tools.carrier_sim.state import (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_API_KEY_SECRET,
    DEFAULT_TWILIO_API_KEY_SID,
)

from .conftest import number_subentry, setup_entry

DEMO = "custom_components.esim_keeper.keeper.providers.demo.DemoProvider"
TWILIO_URL = "custom_components.esim_keeper.keeper.providers.twilio.DEFAULT_BASE_URL"
TELNYX_URL = "custom_components.esim_keeper.keeper.providers.telnyx.DEFAULT_BASE_URL"
MANUAL_NUMBER = {
    "number": "(202) 555-0188",
    "name": "Ultra",
    "carrier": "ultra_paygo",
    "balance": "7.50",
    "plan_expiry": "2026-12-20",
    "plan": {},
}


@pytest.fixture
async def carrier(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    """Yield the carrier simulator on 127.0.0.1, three lines."""
    sim = CarrierSim(lines=3, seed=7)
    await sim.start("127.0.0.1", 0)
    yield sim
    await sim.stop()


async def _menu(hass: HomeAssistant, kind: str) -> dict[str, Any]:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["manual", "http_bridge", "twilio", "telnyx", "demo"]
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == kind
    return dict(result)


async def _configure(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    return dict(await hass.config_entries.flow.async_configure(flow_id, data))


async def _credentials(hass: HomeAssistant, flow_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Send an API account's credentials, then choose to pick lines one by one."""
    result = await _configure(hass, flow_id, data)
    if result.get("step_id") != "lines":
        return result
    assert result["type"] is FlowResultType.MENU
    assert result["menu_options"] == ["keep_all", "number"]
    return await _configure(hass, flow_id, {"next_step_id": "number"})


# --- Demo ------------------------------------------------------------------------------------


async def test_demo_account_with_first_number(hass: HomeAssistant) -> None:
    """One flow creates the account and its first number as a subentry."""
    flow_id = (await _menu(hass, "demo"))["flow_id"]
    result = await _credentials(hass, flow_id, {})
    assert result["step_id"] == "number"
    result = await _configure(
        hass,
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
    assert hass.states.get("sensor.my_tello_balance").state == "2.00"  # type: ignore[union-attr]


async def test_name_defaults_to_the_line_name(hass: HomeAssistant) -> None:
    flow_id = (await _menu(hass, "demo"))["flow_id"]
    await _credentials(hass, flow_id, {})
    result = await _configure(
        hass, flow_id, {"line_id": "demo-1", "carrier": "ultra_paygo", "plan": {}}
    )
    (subentry,) = result["result"].subentries.values()
    assert subentry.title == "Ultra"


@pytest.mark.parametrize(
    ("plan", "error"),
    [
        ({"renewal_cost": "-1"}, "invalid_amount"),
        ({"renewal_cost": "NaN"}, "invalid_amount"),
        ({"renewal_cost": "three dollars"}, "invalid_amount"),
        ({"renewal_cost": "1" * 40}, "invalid_amount"),
    ],
)
async def test_bad_plan_values_show_an_error_and_create_nothing(
    hass: HomeAssistant, plan: dict[str, object], error: str
) -> None:
    flow_id = (await _menu(hass, "demo"))["flow_id"]
    await _credentials(hass, flow_id, {})
    result = await _configure(
        hass, flow_id, {"line_id": "demo-1", "carrier": "ultra_paygo", "plan": plan}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)
    result = await _configure(
        hass,
        flow_id,
        {"line_id": "demo-1", "carrier": "ultra_paygo", "plan": {"renewal_cost": "3"}},
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
    flow_id = (await _menu(hass, "demo"))["flow_id"]
    with patch(f"{DEMO}.async_validate", side_effect=error):
        result = await _credentials(hass, flow_id, {})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": key}
    result = await _credentials(hass, flow_id, {})
    assert result["step_id"] == "number"


async def test_same_account_twice_aborts(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    await setup_entry(hass, demo_entry)
    flow_id = (await _menu(hass, "demo"))["flow_id"]
    result = await _configure(hass, flow_id, {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "already_configured"


# --- Manual ----------------------------------------------------------------------------------


async def test_manual_account_with_first_number(hass: HomeAssistant) -> None:
    flow_id = (await _menu(hass, "manual"))["flow_id"]
    result = await _configure(hass, flow_id, {})
    assert result["step_id"] == "manual_number"
    result = await _configure(hass, flow_id, MANUAL_NUMBER)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["title"] == "Manual records"
    entry = result["result"]
    assert entry.unique_id == "manual"
    (subentry,) = entry.subentries.values()
    assert subentry.unique_id == "+12025550188"
    assert subentry.title == "Ultra"
    data = dict(subentry.data)
    assert data["line_id"] == "+12025550188"
    assert data["ledger"] == {
        "balance": "7.50",
        "read_at": "2026-11-26T09:00:00+00:00",
        # A plain date is the start of that day on the carrier's clock (Ultra: US Pacific).
        "plan_expiry": "2026-12-20T08:00:00+00:00",
        "last_activity": None,
        "auto_deduct": True,
        "carrier_autopay": False,
        "autopay_failed": False,
    }
    await hass.async_block_till_done()
    assert hass.states.get("sensor.ultra_balance").state == "7.50"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"number": "12345"}, "invalid_number"),
        ({"number": "+1 202 555 01"}, "invalid_number"),
        ({"balance": "-3"}, "invalid_amount"),
        ({"balance": "Infinity"}, "invalid_amount"),
        ({"balance": "１２"}, "invalid_amount"),
        ({"plan_expiry": "1800-01-01"}, "date_out_of_range"),
        ({"last_activity": "2026-12-01"}, "date_out_of_range"),
    ],
)
async def test_manual_number_bad_input(
    hass: HomeAssistant, change: dict[str, Any], error: str
) -> None:
    flow_id = (await _menu(hass, "manual"))["flow_id"]
    await _configure(hass, flow_id, {})
    result = await _configure(hass, flow_id, {**MANUAL_NUMBER, **change})
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": error}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_manual_number_out_of_range_values_refused_by_the_form(hass: HomeAssistant) -> None:
    flow_id = (await _menu(hass, "manual"))["flow_id"]
    await _configure(hass, flow_id, {})
    with pytest.raises(InvalidData):
        await _configure(hass, flow_id, {**MANUAL_NUMBER, "plan": {"cycle_days": 0}})
    assert not hass.config_entries.async_entries(DOMAIN)


def _first_option(result: dict[str, Any]) -> str:
    return str(result["data_schema"].schema["line_id"].config["options"][0]["value"])


# --- HTTP bridge, Twilio, Telnyx against the simulator ----------------------------------------


async def test_bridge_account(hass: HomeAssistant, carrier: CarrierSim) -> None:
    flow_id = (await _menu(hass, "http_bridge"))["flow_id"]
    result = await _configure(hass, flow_id, {"url": carrier.base_url, "token": "wrong"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await _credentials(
        hass, flow_id, {"url": f" {carrier.base_url} ", "token": DEFAULT_BRIDGE_TOKEN}
    )
    assert result["step_id"] == "number"
    line = next(iter(carrier.state.lines.values()))
    number = {"line_id": line.id, "name": "Bridge line", "carrier": "other", "plan": {}}
    result = await _configure(hass, flow_id, number)
    # "Other" has no known renewal cost: the form asks for one instead of renewing for nothing.
    assert result["errors"] == {"base": "cost_required"}
    result = await _configure(hass, flow_id, {**number, "plan": {"renewal_cost": "3.00"}})
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["data"] == {
        "provider": "http_bridge",
        "url": carrier.base_url,
        "token": DEFAULT_BRIDGE_TOKEN,
        "allow_http": False,
    }
    await hass.async_block_till_done()
    state = hass.states.get("sensor.bridge_line_balance")
    assert state is not None
    assert state.state == str(line.balance)


async def test_bridge_unreachable(hass: HomeAssistant, socket_enabled: None) -> None:
    flow_id = (await _menu(hass, "http_bridge"))["flow_id"]
    result = await _configure(hass, flow_id, {"url": "http://127.0.0.1:9", "token": "x"})
    assert result["errors"] == {"base": "cannot_connect"}
    # What was typed stays in the form, except the secret.
    suggested = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description
    }
    assert suggested == {"url": "http://127.0.0.1:9", "allow_http": False}


async def test_twilio_account_with_api_key(hass: HomeAssistant, carrier: CarrierSim) -> None:
    flow_id = (await _menu(hass, "twilio"))["flow_id"]
    with patch(TWILIO_URL, carrier.base_url):
        result = await _credentials(
            hass,
            flow_id,
            {
                "account_sid": DEFAULT_TWILIO_ACCOUNT_SID,
                "api_key_sid": DEFAULT_TWILIO_API_KEY_SID,
                "auth_secret": DEFAULT_TWILIO_API_KEY_SECRET,
            },
        )
        assert result["step_id"] == "number"
        line_id = _first_option(result)
        assert line_id.startswith("PN")
        assert result["data_schema"]({"line_id": line_id, "plan": {}})["carrier"] == "twilio"
        result = await _configure(
            hass, flow_id, {"line_id": line_id, "carrier": "twilio", "plan": {}}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id == DEFAULT_TWILIO_ACCOUNT_SID
    assert "auth_secret" in result["data"]


async def test_twilio_wrong_token(hass: HomeAssistant, carrier: CarrierSim) -> None:
    flow_id = (await _menu(hass, "twilio"))["flow_id"]
    with patch(TWILIO_URL, carrier.base_url):
        result = await _configure(
            hass, flow_id, {"account_sid": DEFAULT_TWILIO_ACCOUNT_SID, "auth_secret": "nope"}
        )
    assert result["errors"] == {"base": "invalid_auth"}


async def test_telnyx_account(hass: HomeAssistant, carrier: CarrierSim) -> None:
    flow_id = (await _menu(hass, "telnyx"))["flow_id"]
    with patch(TELNYX_URL, carrier.base_url):
        result = await _credentials(hass, flow_id, {"api_key": DEFAULT_TELNYX_API_KEY})
        assert result["step_id"] == "number"
        result = await _configure(
            hass, flow_id, {"line_id": _first_option(result), "carrier": "telnyx", "plan": {}}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert result["result"].unique_id.startswith("telnyx-")


async def test_account_without_numbers_aborts(hass: HomeAssistant, socket_enabled: None) -> None:
    sim = CarrierSim(lines=0, seed=1)
    await sim.start("127.0.0.1", 0)
    try:
        flow_id = (await _menu(hass, "http_bridge"))["flow_id"]
        result = await _configure(
            hass, flow_id, {"url": sim.base_url, "token": DEFAULT_BRIDGE_TOKEN}
        )
    finally:
        await sim.stop()
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_numbers"


# --- Reauth and reconfigure of the account ------------------------------------------------------


def _bridge_entry(carrier: CarrierSim, token: str = DEFAULT_BRIDGE_TOKEN) -> MockConfigEntry:
    line = next(iter(carrier.state.lines.values()))
    return MockConfigEntry(
        domain=DOMAIN,
        title="Bridge",
        unique_id="sim-account",
        data={"provider": "http_bridge", "url": carrier.base_url, "token": token},
        subentries_data=[number_subentry(line.id, line.number, "Bridge line", "other")],
    )


async def test_reauth_with_new_token(hass: HomeAssistant, carrier: CarrierSim) -> None:
    entry = _bridge_entry(carrier, token="revoked")
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    (flow,) = hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    assert flow["context"]["source"] == "reauth"
    result = await _configure(hass, flow["flow_id"], {"url": carrier.base_url, "token": "bad"})
    assert result["errors"] == {"base": "invalid_auth"}
    result = await _configure(
        hass, flow["flow_id"], {"url": carrier.base_url, "token": DEFAULT_BRIDGE_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reauth_successful"
    assert entry.data["token"] == DEFAULT_BRIDGE_TOKEN
    await hass.async_block_till_done()
    assert hass.states.get("sensor.bridge_line_balance") is not None


async def test_reauth_with_another_account_aborts(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    result = await demo_entry.start_reauth_flow(hass)
    with patch(
        f"{DEMO}.async_validate",
        return_value=__import__(
            "custom_components.esim_keeper.keeper.providers.base", fromlist=["AccountInfo"]
        ).AccountInfo("someone-else", "Other"),
    ):
        result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "wrong_account"


async def test_reconfigure_bridge_address(hass: HomeAssistant, carrier: CarrierSim) -> None:
    entry = _bridge_entry(carrier)
    await setup_entry(hass, entry)
    result = dict(await entry.start_reconfigure_flow(hass))
    assert result["step_id"] == "reconfigure"
    result = await _configure(
        hass, result["flow_id"], {"url": "http://127.0.0.1:9", "token": DEFAULT_BRIDGE_TOKEN}
    )
    assert result["errors"] == {"base": "cannot_connect"}
    result = await _configure(
        hass, result["flow_id"], {"url": carrier.base_url + "/", "token": DEFAULT_BRIDGE_TOKEN}
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    assert entry.data["url"] == carrier.base_url + "/"


async def test_plain_http_needs_the_opt_in_and_raises_an_issue(
    hass: HomeAssistant, carrier: CarrierSim, issue_registry: ir.IssueRegistry
) -> None:
    """A public http:// address is refused unless "allow unencrypted http://" is ticked.

    Then the account is set up and a repair issue says the token crosses the network in clear text.
    Reconfiguring to a local (or https://) address, the issue goes.
    """
    public = "http://bridge.example.net:8600"
    flow_id = (await _menu(hass, "http_bridge"))["flow_id"]
    typed = {"url": public, "token": DEFAULT_BRIDGE_TOKEN}
    result = await _configure(hass, flow_id, typed)
    assert result["errors"] == {"base": "insecure_url"}
    # Allowed: the live check really goes to that address (here: the simulator behind it).
    with patch(
        "custom_components.esim_keeper.client.HttpBridgeProvider",
        _redirected(public, carrier.base_url),
    ):
        result = await _credentials(hass, flow_id, {**typed, "allow_http": True})
        assert result["step_id"] == "number"
        line = next(iter(carrier.state.lines.values()))
        result = await _configure(
            hass,
            flow_id,
            {"line_id": line.id, "name": "Far", "carrier": "other",
             "plan": {"renewal_cost": "3.00"}},
        )  # fmt: skip
        assert result["type"] is FlowResultType.CREATE_ENTRY
        assert result["data"]["allow_http"] is True
        await hass.async_block_till_done()
        entry = result["result"]
        issue = issue_registry.async_get_issue(DOMAIN, f"bridge_plain_http_{entry.entry_id}")
        assert issue is not None
        assert not issue.is_fixable
        assert issue.translation_placeholders == {"account": entry.title}
        assert hass.states.get("sensor.far_balance") is not None
    result = dict(
        await hass.config_entries.flow.async_init(
            DOMAIN, context={"source": SOURCE_RECONFIGURE, "entry_id": entry.entry_id}
        )
    )
    result = await _configure(
        hass, result["flow_id"], {"url": carrier.base_url, "token": DEFAULT_BRIDGE_TOKEN}
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.data["allow_http"] is False
    assert not issue_registry.async_get_issue(DOMAIN, f"bridge_plain_http_{entry.entry_id}")


def _redirected(public: str, local: str) -> Any:
    """HttpBridgeProvider as created for ``public``, but talking to ``local`` (the simulator).

    The insecure-address check still sees the public address.
    """
    from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider

    def build(session: Any, url: str, token: str, **kw: Any) -> HttpBridgeProvider:
        provider = HttpBridgeProvider(session, url, token, **kw)
        if url == public:
            provider._http.base_url = local + "/v1"
        return provider

    return build


async def test_reconfigure_account_without_settings(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    result = await demo_entry.start_reconfigure_flow(hass)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_settings"


# --- Options ---------------------------------------------------------------------------------


async def test_options_poll_interval_and_warning(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    assert result["type"] is FlowResultType.FORM
    assert result["description_placeholders"] == {"minimum": "1", "count": "5"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": 30, "warn_days": 14}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert demo_entry.options == {
        "scan_interval": 30,
        "warn_days": 14,
        "keep_all": False,
        "new_numbers": {
            "carrier": None,
            "plan": {},
            "renewal": {
                "payment_methods": [],
                "spend_cap": "",
                "auto_renew": "off",
                "auto_renew_days": 3,
                "auto_renew_day": 1,
            },
        },
    }
    coordinator = demo_entry.runtime_data.coordinator
    assert coordinator.update_interval is not None
    assert coordinator.update_interval.total_seconds() == 30 * 60


async def test_options_refuse_polling_below_the_floor(
    hass: HomeAssistant, carrier: CarrierSim
) -> None:
    entry = _bridge_entry(carrier)
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["description_placeholders"] == {"minimum": "15", "count": "3"}
    with pytest.raises(InvalidData):
        await hass.config_entries.options.async_configure(
            result["flow_id"], {"scan_interval": 1, "warn_days": 7}
        )
    assert entry.options == {}


# --- Add number --------------------------------------------------------------------------------


async def _add_number(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, Any]:
    return dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_NUMBER), context={"source": SOURCE_USER}
        )
    )


async def test_add_number_offers_only_numbers_not_added(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    """The new number appears as entities without a reload or restart."""
    await setup_entry(hass, demo_entry)
    result = await _add_number(hass, demo_entry)
    assert result["type"] is FlowResultType.FORM
    options = result["data_schema"].schema["line_id"].config["options"]
    assert [o["value"] for o in options] == ["demo-3", "demo-4", "demo-5"]
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {"line_id": "demo-4", "name": "Family", "carrier": "us_mobile", "plan": {}},
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert len(demo_entry.subentries) == 3
    assert hass.states.get("sensor.family_balance").state == "25.00"  # type: ignore[union-attr]


async def test_add_number_when_all_added_aborts(hass: HomeAssistant) -> None:
    entry = MockConfigEntry(
        domain=DOMAIN,
        title="Demo carrier",
        unique_id="demo",
        data={"provider": "demo"},
        subentries_data=[
            number_subentry(f"demo-{n}", f"+120255501{n:02d}", f"Line {n}", "other")
            for n in range(1, 6)
        ],
    )
    await setup_entry(hass, entry)
    result = await _add_number(hass, entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "no_more_numbers"


async def test_add_number_when_carrier_unreachable_aborts(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    with patch(f"{DEMO}.async_fetch", side_effect=ProviderConnectionError("down")):
        result = await _add_number(hass, demo_entry)
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "cannot_connect"


async def test_add_number_bad_plan_then_fixed(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    flow_id = (await _add_number(hass, demo_entry))["flow_id"]
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"line_id": "demo-3", "carrier": "google_voice", "plan": {"renewal_cost": "-5"}}
    )
    assert result["errors"] == {"base": "invalid_amount"}
    assert len(demo_entry.subentries) == 2
    result = await hass.config_entries.subentries.async_configure(
        flow_id, {"line_id": "demo-3", "carrier": "google_voice", "plan": {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY


async def _manual_entry(hass: HomeAssistant) -> MockConfigEntry:
    flow_id = (await _menu(hass, "manual"))["flow_id"]
    await _configure(hass, flow_id, {})
    result = await _configure(hass, flow_id, MANUAL_NUMBER)
    await hass.async_block_till_done()
    entry: MockConfigEntry = result["result"]
    return entry


async def test_add_manual_number_and_duplicate(hass: HomeAssistant) -> None:
    entry = await _manual_entry(hass)
    result = await _add_number(hass, entry)
    assert result["step_id"] == "manual"
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {**MANUAL_NUMBER, "number": "+1 415 555 0134", "name": "Tello", "carrier": "tello"},
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert hass.states.get("sensor.tello_balance").state == "7.50"  # type: ignore[union-attr]

    result = await _add_number(hass, entry)
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**MANUAL_NUMBER, "number": "+12025550188"}
        )
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "number_taken"}
    assert len(entry.subentries) == 2


async def test_manual_add_number_bad_input(hass: HomeAssistant) -> None:
    entry = await _manual_entry(hass)
    result = await _add_number(hass, entry)
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], {**MANUAL_NUMBER, "number": "+1 415 555 0134", "balance": "NaN"}
        )
    )
    assert result["errors"] == {"base": "invalid_amount"}


async def test_removing_a_number_removes_its_device_and_entities(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    assert hass.states.get("sensor.tello_balance") is not None
    assert hass.config_entries.async_remove_subentry(demo_entry, "sub-0102")
    await hass.async_block_till_done()
    assert hass.states.get("sensor.tello_balance") is None
    assert er.async_get(hass).async_get("sensor.tello_balance") is None
    assert not dr.async_get(hass).async_get_devices(identifiers={(DOMAIN, "sub-0102")})
    assert hass.states.get("sensor.ultra_balance") is not None


# --- Number settings (subentry reconfigure) ------------------------------------------------------


async def _reconfigure_number(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str
) -> dict[str, Any]:
    return dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, SUBENTRY_NUMBER),
            context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry_id},
        )
    )


def _suggested(result: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in result["data_schema"].schema.items():
        if key.description and "suggested_value" in key.description:
            out[str(key)] = key.description["suggested_value"]
        elif hasattr(value, "schema") and str(key) in {"plan", "renewal"}:
            out[str(key)] = {
                str(k): k.description["suggested_value"]
                for k in value.schema.schema
                if k.description and "suggested_value" in k.description
            }
    return out


async def test_number_settings_renewal_and_plan(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    result = await _reconfigure_number(hass, demo_entry, "sub-0101")
    assert result["step_id"] == "reconfigure"
    assert result["description_placeholders"] == {
        "number": "+1 202-555-0101",
        "pattern_example": "(?P<balance>[0-9.]+)",
    }
    suggested = _suggested(result)
    assert suggested["name"] == "Ultra"
    assert suggested["renewal"] == {"spend_cap": "50"}
    methods = result["data_schema"].schema["renewal"].schema.schema
    payment = next(v for k, v in methods.items() if str(k) == "payment_methods")
    assert payment.config["options"] == [
        "carrier_balance",
        "card",
        "paypal",
        "alipay",
        "wechat_pay",
    ]

    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {
                "name": "Ultra main",
                "carrier": "ultra_paygo",
                "plan": {"renewal_cost": "3.50"},
                "renewal": {
                    "payment_methods": ["paypal", "card"],
                    "spend_cap": " 20 ",
                    "auto_renew": "days_before",
                    "auto_renew_days": 5,
                    "auto_renew_day": 1,
                },
            },
        )
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    subentry = demo_entry.subentries["sub-0101"]
    assert subentry.title == "Ultra main"
    assert subentry.data["plan"] == {"renewal_cost": "3.50"}
    assert subentry.data["renewal"] == {
        "payment_methods": ["paypal", "card"],
        "spend_cap": "20",
        "auto_renew": "days_before",
        "auto_renew_days": 5,
        "auto_renew_day": 1,
    }
    config = demo_entry.runtime_data.coordinator.numbers["sub-0101"]
    assert str(config.plan.renewal_cost) == "3.50 USD"
    assert [m.value for m in config.renewal.payment_methods] == ["paypal", "card"]


async def test_number_settings_bad_cap_changes_nothing(
    hass: HomeAssistant, demo_entry: MockConfigEntry
) -> None:
    await setup_entry(hass, demo_entry)
    before = dict(demo_entry.subentries["sub-0101"].data)
    result = await _reconfigure_number(hass, demo_entry, "sub-0101")
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {
                "name": "Ultra",
                "carrier": "ultra_paygo",
                "plan": {},
                "renewal": {"spend_cap": "-1", "auto_renew": "off"},
            },
        )
    )
    assert result["errors"] == {"base": "invalid_amount"}
    assert dict(demo_entry.subentries["sub-0101"].data) == before


async def test_manual_number_settings_correct_the_record(hass: HomeAssistant, freezer: Any) -> None:
    entry = await _manual_entry(hass)
    (subentry_id,) = entry.subentries
    freezer.move_to("2026-12-25T12:00:00+00:00")  # past the expiry: one renewal was deducted
    result = await _reconfigure_number(hass, entry, subentry_id)
    suggested = _suggested(result)
    assert suggested["balance"] == "4.50"
    assert suggested["plan_expiry"] == "2027-01-19"
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {
                "name": "Ultra",
                "carrier": "ultra_paygo",
                "balance": "12.00",
                "plan_expiry": "2027-01-19",
                "last_activity": "2026-12-24",
                "plan": {},
                "renewal": {"auto_renew": "off"},
            },
        )
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    ledger = entry.subentries[subentry_id].data["ledger"]
    assert ledger["balance"] == "12.00"
    assert ledger["read_at"] == "2026-12-25T12:00:00+00:00"
    assert ledger["last_activity"] == "2026-12-24T08:00:00+00:00"
    assert hass.states.get("sensor.ultra_balance").state == "12.00"  # type: ignore[union-attr]


async def test_options_refuse_nan(hass: HomeAssistant, demo_entry: MockConfigEntry) -> None:
    """The number field lets "NaN" through as a float: a form error, nothing saved."""
    await setup_entry(hass, demo_entry)
    result = await hass.config_entries.options.async_init(demo_entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {"scan_interval": float("nan"), "warn_days": 7}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_input"}
    assert demo_entry.options == {}
