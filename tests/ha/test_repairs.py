"""Repair issues: number at risk, renewal unverified, auto-renew switched off, and their flows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.esim_keeper import payments
from custom_components.esim_keeper.const import CONF_RENEWAL, DOMAIN
from custom_components.esim_keeper.history import Verification
from custom_components.esim_keeper.repairs import async_create_fix_flow
from tools.carrier_sim import CarrierSim

from .conftest import setup_entry
from .test_renewal import SUB, bridge_entry, charges, device_id, simulator


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    async with simulator() as carrier:
        yield carrier


async def run_flow(hass: HomeAssistant, issue_id: str) -> dict[str, Any]:
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    flow = await async_create_fix_flow(hass, issue_id, issue.data)
    flow.hass = hass
    flow.issue_id = issue_id
    flow.handler = DOMAIN
    form = await flow.async_step_init()
    assert form["type"] == "form"
    assert form["description_placeholders"] == issue.translation_placeholders
    return dict(await flow.async_step_confirm({}))


async def test_number_at_risk_until_auto_renew_is_on(hass: HomeAssistant, sim: CarrierSim) -> None:
    entry = bridge_entry(sim, plan={"grace_days": 0})  # lost on the expiry, in 4 days
    await setup_entry(hass, entry)
    data = entry.subentries[SUB].data
    issue_id = f"number_at_risk_{SUB}"
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "name": "Tello",
        "deadline": "2026-11-30",
        "days": "4",
        "amount": "5.00 USD",
    }
    # Auto-renew on (due in 3 days, not yet): the risk is covered.
    settings = {**data[CONF_RENEWAL], "auto_renew": "days_before", "auto_renew_days": 3}
    hass.config_entries.async_update_subentry(
        entry, entry.subentries[SUB], data={**data, CONF_RENEWAL: settings}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert charges(sim) == 0


async def test_auto_renew_repair_flow_turns_it_back_on(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    line = sim.state.lines["line-1"]
    line.decline_reason = "card_declined"
    entry = bridge_entry(sim, auto_renew="days_before", auto_renew_days=5)
    await setup_entry(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    engine = entry.runtime_data.renewals
    for _ in range(2):
        await engine.auto._async_failed(engine.number(SUB), "renewal_declined")
    issue_id = f"auto_renew_disabled_{SUB}"
    assert entry.subentries[SUB].data[CONF_RENEWAL]["auto_renew"] == "off"
    line.decline_reason = None
    result = await run_flow(hass, issue_id)
    assert result["type"] == "create_entry"
    await hass.async_block_till_done(wait_background_tasks=True)
    assert entry.subentries[SUB].data[CONF_RENEWAL]["auto_renew"] == "days_before"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert charges(sim) == 1  # back on and due: it renews


async def test_unverified_repair_flow_confirms(
    hass: HomeAssistant, sim: CarrierSim, freezer: Any
) -> None:
    entry = bridge_entry(sim)
    await setup_entry(hass, entry)
    line = sim.state.lines["line-1"]
    before = (line.balance, line.plan_expiry)
    await hass.services.async_call(
        DOMAIN, "renew", {"device_id": device_id(hass, SUB)}, blocking=True
    )
    line.balance, line.plan_expiry = before
    freezer.tick(payments.VERIFY_WINDOW)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    issue_id = f"renewal_unverified_{SUB}"
    result = await run_flow(hass, issue_id)
    assert result["type"] == "create_entry"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    last = entry.runtime_data.renewals.history.last(SUB)
    assert last is not None
    assert last.verification is Verification.VERIFIED


async def test_flows_abort_when_not_loaded(hass: HomeAssistant, sim: CarrierSim) -> None:
    flow = await async_create_fix_flow(hass, f"auto_renew_disabled_{SUB}", {"entry_id": "gone"})
    flow.hass = hass
    flow.issue_id = f"auto_renew_disabled_{SUB}"
    result = await flow.async_step_init()
    assert result["type"] == "abort"
    entry = bridge_entry(sim)
    await setup_entry(hass, entry)
    for issue_id, data in (
        (f"auto_renew_disabled_{SUB}", {"entry_id": entry.entry_id, "subentry_id": "x"}),
        (f"renewal_unverified_{SUB}", {"entry_id": entry.entry_id, "renewal_id": "x"}),
    ):
        flow = await async_create_fix_flow(hass, issue_id, data)
        flow.hass = hass
        flow.issue_id = issue_id
        result = await flow.async_step_confirm({})
        assert result["type"] == "abort"
        assert result["reason"] == "number_removed"
