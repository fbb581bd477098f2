"""Fault matrix.

Every HTTP provider x every simulator fault, through the real coordinator and entities. Under a
fault the number's entities go unavailable with exactly one log line (WARNING or above), nothing
raises out of the coordinator, Retry-After is honoured, and everything recovers when the fault
clears; revoked credentials start a reauth flow, and finishing it recovers.

Demo's injectable failures (``DemoProvider.fail_next``) go through the same checks. Manual
accounts have no transport: they have nothing to fail (see the last test).
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
import logging
from typing import Any

from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import UpdateFailed
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    ProviderConnectionError,
    ProviderError,
    RateLimitedError,
)
from tests.ha.accounts import manual_entry
from tests.ha.conftest import demo_entry as _demo_entry, number_subentry
from tools.carrier_sim import CarrierSim

from .accounts import BALANCE, CARRIERS, SCAN_MINUTES, credentials, setup, sim_entry
from .conftest import FIGURES, SLOW

KINDS = ("http_bridge", "twilio", "telnyx")
INTERVAL = timedelta(minutes=SCAN_MINUTES)
RETRY_AFTER = 3000  # seconds: longer than the 15-minute poll interval
# The simulator's line-2 in each API's shape, added as "Second" next to line-1 ("Keeper").
LINE_IDS_2 = {"http_bridge": "line-2", "twilio": f"PN{2:032x}", "telnyx": "1002"}
SECOND = "sensor.second_balance"
# fault name -> (simulator spec, the coordinator's translation key)
FAULTS: dict[str, tuple[str, str]] = {
    "latency past the timeout": (f"latency:{SLOW}", "cannot_connect"),
    "500": ("500", "cannot_connect"),
    "502": ("502", "cannot_connect"),
    "503": ("503", "cannot_connect"),
    "429 Retry-After seconds": (f"429:{RETRY_AFTER}", "rate_limited"),
    "429 Retry-After date": (f"429:date:{RETRY_AFTER}", "rate_limited"),
    "429 Retry-After shorter than the interval": ("429:1", "rate_limited"),
    "malformed JSON": ("malformed", "invalid_response"),
    "truncated body": ("truncate", "cannot_connect"),
    "dropped connection": ("drop", "cannot_connect"),
}


def _loud(caplog: pytest.LogCaptureFixture) -> list[str]:
    """WARNING-or-worse lines of Home Assistant and the integration (not asyncio's debug noise)."""
    return [
        f"{r.levelname} {r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.WARNING and not r.name.startswith("asyncio")
    ]


async def _poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    """One poll, as the coordinator's timer runs it (it must not raise)."""
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


def _next_poll_in(hass: HomeAssistant, entry: MockConfigEntry) -> float | None:
    """Seconds until the coordinator's next scheduled poll (None: none scheduled)."""
    cancel = entry.runtime_data.coordinator._unsub_refresh
    if cancel is None:
        return None
    handle: asyncio.TimerHandle = cancel.__self__  # type: ignore[attr-defined]
    return handle.when() - hass.loop.time()


def _state(hass: HomeAssistant) -> str:
    state = hass.states.get(BALANCE)
    assert state is not None
    return state.state


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("kind", KINDS)
async def test_fault(
    hass: HomeAssistant,
    sim: CarrierSim,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    fault: str,
) -> None:
    spec, key = FAULTS[fault]
    entry = await setup(hass, sim_entry(kind, sim))
    coordinator = entry.runtime_data.coordinator
    healthy = _state(hass)
    assert healthy != STATE_UNAVAILABLE
    caplog.clear()
    sim.set_fault("*", spec)

    for _ in range(3):  # three failing polls: one log line, for the first
        await _poll(hass, entry)
        assert _state(hass) == STATE_UNAVAILABLE
        assert isinstance(coordinator.last_exception, UpdateFailed)
        assert coordinator.last_exception.translation_key == key
        wait = _next_poll_in(hass, entry)
        assert wait is not None
        if spec.startswith("429:") and spec != "429:1":  # longer than the poll interval
            assert RETRY_AFTER - 2 <= wait <= RETRY_AFTER + 1, wait
        else:
            assert INTERVAL.total_seconds() - 2 <= wait <= INTERVAL.total_seconds() + 1, wait
    loud = _loud(caplog)
    assert len(loud) == 1, loud
    assert "Unexpected error" not in loud[0]

    sim.state.faults.clear()
    for _ in range(3):  # a healthy poll may still outlast the 80 ms test timeout under load
        await _poll(hass, entry)
        if coordinator.last_update_success:
            break
    assert _state(hass) == healthy
    assert coordinator.last_update_success
    assert len(_loud(caplog)) == 1
    assert any("recovered" in r.getMessage() for r in caplog.records)
    FIGURES["faults tried"] += 1


@pytest.mark.parametrize("kind", KINDS)
async def test_auth_revoked_mid_run(
    hass: HomeAssistant, sim: CarrierSim, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """Credentials revoked while running.

    Unavailable, one log line, a reauth flow and no more polling; entering the credentials again
    (once the carrier accepts them) recovers.
    """
    entry = await setup(hass, sim_entry(kind, sim))
    healthy = _state(hass)
    caplog.clear()
    sim.state.revoked.add("bridge" if kind == "http_bridge" else kind)
    await _poll(hass, entry)
    assert _state(hass) == STATE_UNAVAILABLE
    assert isinstance(entry.runtime_data.coordinator.last_exception, ConfigEntryAuthFailed)
    assert _next_poll_in(hass, entry) is None  # no polling with refused credentials
    flows = [
        f
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
        if f["context"]["source"] == SOURCE_REAUTH
    ]
    assert len(flows) == 1
    assert len(_loud(caplog)) == 1, _loud(caplog)

    sim.state.revoked.clear()
    result = await hass.config_entries.flow.async_configure(
        flows[0]["flow_id"], credentials(kind, sim)
    )
    assert result.get("reason") == "reauth_successful", result
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert _state(hass) == healthy
    FIGURES["faults tried"] += 1


DEMO_FAILURES: dict[str, tuple[ProviderError, str]] = {
    "connection": (ProviderConnectionError("demo: no answer"), "cannot_connect"),
    "rate limited": (RateLimitedError("demo: slow down", 3000.0), "rate_limited"),
    "invalid response": (InvalidResponseError("demo: nonsense"), "invalid_response"),
    "other provider error": (ProviderError("demo: broken"), "provider_error"),
}


@pytest.mark.parametrize("failure", list(DEMO_FAILURES))
async def test_demo_injected_failure(
    hass: HomeAssistant, freezer: Any, caplog: pytest.LogCaptureFixture, failure: str
) -> None:
    """Demo: ``fail_next`` makes the next call fail once; the poll after it recovers."""
    error, key = DEMO_FAILURES[failure]
    entry: MockConfigEntry = _demo_entry.__wrapped__()  # type: ignore[attr-defined]
    await setup(hass, entry)
    coordinator = entry.runtime_data.coordinator
    caplog.clear()
    entry.runtime_data.provider.fail_next = error  # type: ignore[attr-defined]
    await _poll(hass, entry)
    assert hass.states.get("sensor.ultra_balance").state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert isinstance(coordinator.last_exception, UpdateFailed)
    assert coordinator.last_exception.translation_key == key
    assert len(_loud(caplog)) == 1
    await _poll(hass, entry)
    assert hass.states.get("sensor.ultra_balance").state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    FIGURES["faults tried"] += 1


async def test_demo_injected_auth_failure_starts_reauth(hass: HomeAssistant) -> None:
    entry: MockConfigEntry = _demo_entry.__wrapped__()  # type: ignore[attr-defined]
    await setup(hass, entry)
    entry.runtime_data.provider.fail_next = AuthError("demo: refused")  # type: ignore[attr-defined]
    await _poll(hass, entry)
    assert hass.states.get("sensor.ultra_balance").state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert any(
        f["context"]["source"] == SOURCE_REAUTH
        for f in hass.config_entries.flow.async_progress_by_handler(DOMAIN)
    )
    FIGURES["faults tried"] += 1


async def test_manual_has_nothing_to_fail(hass: HomeAssistant, freezer: Any) -> None:
    """Manual records have no transport: polls a day apart never fail, and the clock moves them."""
    await setup(hass, manual_entry())
    coordinator = hass.config_entries.async_entries(DOMAIN)[0].runtime_data.coordinator
    for _ in range(5):
        freezer.tick(timedelta(days=1))
        await coordinator.async_refresh()
        assert coordinator.last_update_success
        assert hass.states.get("sensor.ultra_balance").state != STATE_UNAVAILABLE  # type: ignore[union-attr]


@pytest.mark.parametrize("kind", KINDS)
async def test_one_bad_line_makes_only_its_number_unavailable(
    hass: HomeAssistant, sim: CarrierSim, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """Issue 15, finding 8: the carrier describes one number in a way we cannot read.

    That number alone goes unavailable, with one log line over several polls; the other numbers of
    the account stay; when the carrier fixes the record, the number comes back.
    """
    first = sim_entry(kind, sim)
    second = number_subentry(
        LINE_IDS_2[kind], sim.state.lines["line-2"].number, "Second", CARRIERS[kind]
    )
    keeper = number_subentry(
        next(iter(first.subentries.values())).data["line_id"],
        sim.state.lines["line-1"].number,
        "Keeper",
        CARRIERS[kind],
    )
    entry = MockConfigEntry(
        domain=first.domain,
        title=first.title,
        entry_id=first.entry_id,
        unique_id=first.unique_id,
        data=dict(first.data),
        options=dict(first.options),
        subentries_data=[keeper, second],
    )
    await setup(hass, entry)
    healthy = _state(hass)
    assert hass.states.get(SECOND).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    caplog.clear()
    real = sim.state.lines["line-2"].number
    sim.state.lines["line-2"].number = "555-BROKEN"  # no longer E.164 in any API's shape
    for _ in range(3):
        await _poll(hass, entry)
        assert hass.states.get(SECOND).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
        assert _state(hass) == healthy
        assert entry.runtime_data.coordinator.last_update_success
    loud = _loud(caplog)
    assert len(loud) == 1, loud
    sim.state.lines["line-2"].number = real
    await _poll(hass, entry)
    assert hass.states.get(SECOND).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    assert len(_loud(caplog)) == 1
    FIGURES["faults tried"] += 1
