"""Renewal history: the public API sensors and diagnostics use, and its redaction."""

from __future__ import annotations

from collections.abc import AsyncIterator

from homeassistant.core import HomeAssistant
import pytest

from custom_components.esim_keeper import history as history_module
from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.diagnostics import redacted_history
from tools.carrier_sim import CarrierSim

from .conftest import setup_entry
from .test_renewal import SUB, bridge_entry, device_id, simulator


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    async with simulator() as carrier:
        yield carrier


async def test_last_and_redacted(
    hass: HomeAssistant, sim: CarrierSim, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(history_module, "MAX_RECORDS_PER_NUMBER", 2)
    entry = bridge_entry(sim, spend_cap="")
    await setup_entry(hass, entry)
    history = entry.runtime_data.renewals.history
    assert history.last(SUB) is None
    ids = []
    for _ in range(3):
        response = await hass.services.async_call(
            DOMAIN,
            "renew",
            {"device_id": device_id(hass, SUB)},
            blocking=True,
            return_response=True,
        )
        ids.append(response["renewal"]["renewal_id"])  # type: ignore[index]
    assert [r.renewal_id for r in history.records(SUB)] == ids[:0:-1]  # oldest dropped
    last = history.last(SUB)
    assert last is not None
    assert last.renewal_id == ids[-1]
    assert history.get(ids[0]) is None
    redacted = redacted_history(entry)
    assert len(redacted) == 2
    assert redacted[0]["line_id"] == "**REDACTED**"
    assert redacted[0]["attempts"][0]["key"] == "**REDACTED**"
    assert redacted[0]["attempts"][0]["reference"] == "**REDACTED**"
    assert redacted[0]["outcome"] == "succeeded"
