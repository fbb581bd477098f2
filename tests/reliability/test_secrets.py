"""Secrets: diagnostics of every account kind go through the session-wide secrets guard
(tests/leak_guard.py, which already scans every log line at DEBUG, bus event and repair issue),
and the guard is shown to catch a planted leak in each kind of text it reads."""

from __future__ import annotations

import json
import logging

from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from tests.ha.accounts import manual_entry
from tests.ha.conftest import demo_entry as _demo_entry
from tests.leak_guard import _HANDLER, GUARD, SECRETS, LeakGuard
from tools.carrier_sim import CarrierSim

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
    """Diagnostics of each account kind, after a renewal attempt where one is possible, feed the
    guard; a leak fails the run at its end like any other."""
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
