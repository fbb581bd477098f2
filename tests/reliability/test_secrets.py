"""Secrets.

Diagnostics of every account kind go through the session-wide secrets guard (tests/leak_guard.py,
which already scans every log line at DEBUG, bus event and repair issue), and the guard is shown to
catch a planted leak in each kind of text it reads.
"""

from __future__ import annotations

from contextlib import nullcontext
import json
import logging
from unittest.mock import patch

from homeassistant.config_entries import SOURCE_USER
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.keeper.carriers import PRESETS
from tests.ha.accounts import manual_entry
from tests.ha.conftest import demo_entry as _demo_entry
from tests.leak_guard import _HANDLER, GUARD, SECRETS, LeakGuard
from tools.carrier_sim import (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
    CarrierSim,
)

from .accounts import setup, sim_entry
from .conftest import FIGURES

KINDS = ["manual", "demo", "http_bridge", "twilio", "telnyx"]


def _entry(kind: str, sim: CarrierSim) -> MockConfigEntry:
    if kind == "manual":
        return manual_entry()
    if kind == "demo":
        entry: MockConfigEntry = _demo_entry.__wrapped__()  # type: ignore[attr-defined]
        return entry
    return sim_entry(kind, sim)


@pytest.mark.parametrize("kind", KINDS)
async def test_diagnostics_hold_no_secret(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sim: CarrierSim, kind: str
) -> None:
    """Diagnostics of each account kind, after a renewal attempt where one is possible.

    Feed the guard; a leak fails the run at its end like any other.
    """
    entry = await setup(hass, _entry(kind, sim))
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    text = json.dumps(diagnostics, default=str)
    leaks_before = len(GUARD.leaks)
    GUARD.scan(f"diagnostics {kind}", text)
    assert len(GUARD.leaks) == leaks_before, GUARD.leaks[leaks_before:]
    for value in entry.data.values():  # nothing of the credentials, not even the bridge URL
        if isinstance(value, str) and len(value) > 8 and value != kind:
            assert value not in text
    FIGURES["diagnostics scanned"] += 1


def _planted(source: str, text: str) -> list[str]:
    guard = LeakGuard()
    guard.scan(source, text)
    return guard.leaks


@pytest.mark.parametrize("secret", SECRETS)
def test_guard_catches_a_planted_secret(secret: str) -> None:
    diagnostics = {"entry": {"data": {"token": secret}}}
    assert _planted("diagnostics", json.dumps(diagnostics))


@pytest.mark.parametrize(
    "number", ["+12015550100", "12015550100", "(201) 555-0100", "201-555-0100", "201.555.0100"]
)
def test_guard_catches_a_planted_number(number: str) -> None:
    assert _planted("event", str({"number": number}))
    assert not _planted("event", str({"number": "…0100"}))  # masked is fine


def test_guard_reads_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    """A DEBUG line carrying a token reaches the guard's handler (then is taken back out)."""
    before = len(GUARD.leaks)
    logger = logging.getLogger("custom_components.esim_keeper.planted")
    logger.debug("token is %s", SECRETS[0])
    planted = GUARD.leaks[before:]
    del GUARD.leaks[before:]  # planted on purpose: not a real leak of this run
    assert planted
    assert "log custom_components.esim_keeper.planted" in planted[0]
    assert _HANDLER.level == logging.DEBUG


def test_guard_reads_issues_and_events() -> None:
    """Repair issues and bus events are scanned as text: a planted one is caught."""
    issue = {"translation_placeholders": {"name": "Tello", "number": "+12015550100"}}
    assert _planted("repair issue", str(issue))
    assert _planted("event esim_keeper_renewal", str({"token": SECRETS[1]}))


# --- issue 15: names that are only the number, and bridge addresses ------------------------------

# Each API kind on the simulator: the step, its credentials, where its default base URL lives.
FLOW_KINDS: dict[str, tuple[dict[str, str], str | None]] = {
    "http_bridge": ({"token": DEFAULT_BRIDGE_TOKEN}, None),
    "twilio": (
        {"account_sid": DEFAULT_TWILIO_ACCOUNT_SID, "auth_secret": DEFAULT_TWILIO_AUTH_TOKEN},
        "custom_components.esim_keeper.keeper.providers.twilio.DEFAULT_BASE_URL",
    ),
    "telnyx": (
        {"api_key": DEFAULT_TELNYX_API_KEY},
        "custom_components.esim_keeper.keeper.providers.telnyx.DEFAULT_BASE_URL",
    ),
}
PRESET = {"http_bridge": "tello", "twilio": "twilio", "telnyx": "telnyx"}


@pytest.mark.parametrize("kind", list(FLOW_KINDS))
async def test_a_number_for_a_name_never_names_anything(
    hass: HomeAssistant, hass_client: ClientSessionGenerator, sim: CarrierSim, kind: str
) -> None:
    """Issue 15, finding 13.

    The simulator plants carrier "names" that are the number itself (Twilio's default friendly_name
    "(201) 555-0101", a Telnyx customer_reference or a bridge name of "+12015550101") on line-2.
    Added without a name, the number is called "Twilio ··0101": the number reaches no title, device
    name, entity id, diagnostics or log line.
    """
    line = sim.state.lines["line-2"]
    assert not line.named
    credentials, url_path = FLOW_KINDS[kind]
    carrier = PRESET[kind]
    label = PRESETS[carrier].name  # "Twilio phone number", "Tello" ...
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": kind}
    )
    flow_id = result["flow_id"]
    with patch(url_path, sim.base_url) if url_path else nullcontext():
        data = {**credentials, "url": sim.base_url} if kind == "http_bridge" else credentials
        result = await hass.config_entries.flow.async_configure(flow_id, data)
        if result["step_id"] == "lines":  # keep every line, or pick: pick this one
            result = await hass.config_entries.flow.async_configure(
                flow_id, {"next_step_id": "number"}
            )
        assert result["step_id"] == "number", result
        options = result["data_schema"].schema["line_id"].config["options"]
        picked = next(o["value"] for o in options if o["label"].endswith(line.number[-4:]))
        result = await hass.config_entries.flow.async_configure(
            flow_id, {"line_id": picked, "carrier": carrier, "plan": {"renewal_cost": "3.00"}}
        )
        await hass.async_block_till_done()
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry = result["result"]
    subentry = next(iter(entry.subentries.values()))
    assert subentry.title == f"{label} ··{line.number[-4:]}"
    names = [d.name for d in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)]
    entity_ids = [
        e.entity_id for e in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    ]
    assert entity_ids
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    before = len(GUARD.leaks)
    GUARD.scan(f"titles {kind}", json.dumps([subentry.title, *names, *entity_ids]))
    GUARD.scan(f"diagnostics {kind}", json.dumps(diagnostics, default=str))
    assert len(GUARD.leaks) == before, GUARD.leaks[before:]
    assert all(line.number[-7:] not in text for text in [*names, *entity_ids])


async def test_bridge_address_in_clear_text_is_refused(hass: HomeAssistant) -> None:
    """Issue 15, finding 9.

    An http:// bridge on the internet is refused in the form (nothing is sent); https:// and local
    addresses go on to the live check.
    """
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "http_bridge"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"url": "http://bridge.example.net", "token": "t0ken-value"}
    )
    assert result["errors"] == {"base": "insecure_url"}
