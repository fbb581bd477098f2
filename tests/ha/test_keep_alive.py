"""Keep-alive messages out.

A real notify entity and a real notify action send from the number when its activity deadline is
near; activity is recorded only when the send succeeded, once per deadline; a failed send raises a
repair.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from homeassistant.components.notify import NotifyEntity
from homeassistant.config_entries import ConfigEntry, ConfigFlow
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    MockModule,
    mock_config_flow,
    mock_integration,
    mock_platform,
    setup_test_component_platform,
)

from custom_components.esim_keeper.const import CONF_KEEP_ALIVE, CONF_LEDGER
from custom_components.esim_keeper.ingest import INBOX, Inbox

from .accounts import manual_account, manual_ledger
from .conftest import NOW

GV = "sub-0145"
ISSUE = f"keep_alive_failed_{GV}"
DUE = "2026-09-01T07:00:00+00:00"  # 90 days before 2026-11-30: within the 7-day window
RECENT = "2026-11-01T07:00:00+00:00"


class ModemSms(NotifyEntity):
    """The notify entity of a modem holding the number's SIM."""

    _attr_name = "Modem SMS"

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    async def async_send_message(self, message: str, title: str | None = None) -> None:
        self.sent.append(message)
        if self.fail:
            raise HomeAssistantError("the modem is offline")


@pytest.fixture(autouse=True)
def test_flow() -> Iterator[None]:
    """The "test" integration that holds the notify entity can have config entries."""

    class _Flow(ConfigFlow):
        VERSION = 1

    with mock_config_flow("test", _Flow):
        yield


async def _notify_entity(hass: HomeAssistant, entity: ModemSms) -> None:
    async def setup_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
        await hass.config_entries.async_forward_entry_setups(entry, ["notify"])
        return True

    mock_integration(hass, MockModule("test", async_setup_entry=setup_entry))
    mock_platform(hass, "test.config_flow")
    setup_test_component_platform(hass, "notify", [entity], from_config_entry=True)
    assert await async_setup_component(hass, "notify", {})
    test_entry = MockConfigEntry(domain="test")
    test_entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(test_entry.entry_id)
    await hass.async_block_till_done()


def _gv(last_activity: str, keep_alive: dict[str, str] | None) -> MockConfigEntry:
    entry = manual_account(
        (
            "+12025550145",
            "GV",
            "google_voice",
            manual_ledger("0", "2035-01-01T08:00:00+00:00", last_activity, read_at=NOW),
        ),
        ("+12025550199", "Ultra", "ultra_paygo", manual_ledger("5", "2026-12-20T08:00:00+00:00")),
    )
    if keep_alive is not None:
        subentry = entry.subentries[GV]
        object.__setattr__(subentry, "data", {**subentry.data, CONF_KEEP_ALIVE: keep_alive})
    return entry


async def _setup(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _deadline(hass: HomeAssistant) -> str:
    state = hass.states.get("sensor.gv_keep_alive_deadline")
    assert state is not None
    return state.state


async def _poll(hass: HomeAssistant, entry: MockConfigEntry, times: int = 3) -> None:
    for _ in range(times):
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done()


async def test_a_notify_entity_sends_from_the_number_once_and_activity_is_recorded(
    hass: HomeAssistant,
) -> None:
    modem = ModemSms()
    await _notify_entity(hass, modem)
    entry = await _setup(
        hass, _gv(DUE, {"notify_entity": "notify.modem_sms", "text": "keep-alive"})
    )
    assert modem.sent == ["keep-alive"]
    ledger = entry.subentries[GV].data[CONF_LEDGER]
    assert ledger["last_activity"] == NOW  # the send succeeded: activity now
    assert _deadline(hass).startswith("2027-02-24")
    await _poll(hass, entry)
    assert modem.sent == ["keep-alive"]
    assert ir.async_get(hass).async_get_issue("esim_keeper", ISSUE) is None


async def test_a_notify_action_sends_to_the_recipient(hass: HomeAssistant) -> None:
    calls: list[ServiceCall] = []

    async def twilio_sms(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("notify", "twilio_sms", twilio_sms)
    entry = await _setup(
        hass,
        _gv(
            DUE,
            {"notify_action": "notify.twilio_sms", "recipient": "+8613800138000", "text": "hi"},
        ),
    )
    assert [c.data for c in calls] == [{"message": "hi", "target": ["+8613800138000"]}]
    assert entry.subentries[GV].data[CONF_LEDGER]["last_activity"] == NOW


async def test_a_failed_send_records_nothing_raises_a_repair_and_is_not_repeated(
    hass: HomeAssistant,
) -> None:
    modem = ModemSms(fail=True)
    await _notify_entity(hass, modem)
    entry = await _setup(hass, _gv(DUE, {"notify_entity": "notify.modem_sms", "text": "k"}))
    assert modem.sent == ["k"]
    assert entry.subentries[GV].data[CONF_LEDGER]["last_activity"] == DUE
    issue = ir.async_get(hass).async_get_issue("esim_keeper", ISSUE)
    assert issue is not None
    assert issue.translation_placeholders == {"name": "GV", "deadline": "2026-11-30"}
    # Once per deadline: not on every poll, not after a reload, not after a restart.
    await _poll(hass, entry)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    restarted = Inbox(hass)
    await restarted.async_load()
    assert restarted.sent == {GV: "2026-11-30T08:00:00+00:00"}
    assert modem.sent == ["k"]
    # The user used the number: the deadline moved on.
    await hass.services.async_call(
        "esim_keeper",
        "set_balance",
        {"device_id": _device(hass), "balance": 0},
        blocking=True,
    )
    assert hass.data[INBOX].sent[GV] == "2026-11-30T08:00:00+00:00"


def _device(hass: HomeAssistant) -> str:
    from .test_renewal import device_id

    return device_id(hass, GV)


async def test_a_missing_action_is_a_failed_send(hass: HomeAssistant) -> None:
    entry = await _setup(hass, _gv(DUE, {"notify_action": "notify.gone", "text": "k"}))
    assert ir.async_get(hass).async_get_issue("esim_keeper", ISSUE) is not None
    assert entry.subentries[GV].data[CONF_LEDGER]["last_activity"] == DUE


async def test_nothing_is_sent_before_the_warning_window(hass: HomeAssistant) -> None:
    modem = ModemSms()
    await _notify_entity(hass, modem)
    entry = await _setup(hass, _gv(RECENT, {"notify_entity": "notify.modem_sms", "text": "k"}))
    await _poll(hass, entry, 1)
    assert modem.sent == []


async def test_a_received_text_is_never_activity(hass: HomeAssistant) -> None:
    """A text TO the number (a carrier warning about it) records no activity."""
    entry = await _setup(hass, _gv(DUE, None))
    await hass.services.async_call(
        "esim_keeper",
        "ingest_message",
        {
            "text": "Your Google Voice number ending in 0145 will be reclaimed in 4 days.",
            "sender": "voice-noreply@google.com",
            "subject": "Google Voice number inactive",
            "received_at": NOW,
        },
        blocking=True,
    )
    assert entry.subentries[GV].data[CONF_LEDGER]["last_activity"] == DUE


# --- The number's settings ------------------------------------------------------------------
async def _reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, keep_alive: dict[str, Any]
) -> dict[str, Any]:
    result = await entry.start_subentry_reconfigure_flow(hass, subentry_id)
    fields = {str(key) for key in result["data_schema"].schema}
    assert ("keep_alive" in fields) is (subentry_id == GV)  # numbers with an activity rule only
    values = {
        str(key): key.description["suggested_value"]
        for key in result["data_schema"].schema
        if key.description and "suggested_value" in key.description
    }
    return dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            {**values, "plan": {}, "renewal": {"auto_renew": "off"}, "keep_alive": keep_alive},
        )
    )


@pytest.mark.parametrize(
    ("keep_alive", "error"),
    [
        ({"text": "k"}, "keep_alive_incomplete"),
        ({"notify_entity": "notify.modem_sms"}, "keep_alive_incomplete"),
        (
            {"notify_entity": "notify.modem_sms", "notify_action": "notify.x", "text": "k"},
            "keep_alive_incomplete",
        ),
        ({"notify_action": "notify.nothing_here", "text": "k"}, "keep_alive_action_unknown"),
        ({"notify_action": "light.turn_on", "text": "k"}, "keep_alive_action_unknown"),
    ],
)
async def test_keep_alive_settings_are_validated(
    hass: HomeAssistant, keep_alive: dict[str, str], error: str
) -> None:
    entry = await _setup(hass, _gv(RECENT, None))
    result = await _reconfigure(hass, entry, GV, keep_alive)
    assert result["errors"] == {"base": error}
    assert CONF_KEEP_ALIVE not in entry.subentries[GV].data


async def test_keep_alive_settings_are_saved_and_cleared(hass: HomeAssistant) -> None:
    hass.services.async_register("notify", "twilio_sms", lambda call: None)
    entry = await _setup(hass, _gv(RECENT, None))
    wanted = {"notify_action": "notify.twilio_sms", "recipient": "+8613800138000", "text": "k"}
    result = await _reconfigure(hass, entry, GV, wanted)
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    assert entry.subentries[GV].data[CONF_KEEP_ALIVE] == {"notify_entity": "", **wanted}
    result = await _reconfigure(hass, entry, GV, {})
    await hass.async_block_till_done()
    assert entry.subentries[GV].data[CONF_KEEP_ALIVE] == {}
    ultra = await entry.start_subentry_reconfigure_flow(hass, "sub-0199")
    assert "keep_alive" not in {str(key) for key in ultra["data_schema"].schema}
