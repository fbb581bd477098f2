"""The renewal engine against the real carrier simulator.

Every test asserts the carrier's own charge count, so "charged once" means what the carrier says.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_fire_time_changed,
)

from custom_components.esim_keeper import payments, verification
from custom_components.esim_keeper.const import (
    CONF_RENEWAL,
    DOMAIN,
)
from custom_components.esim_keeper.history import Outcome, Verification
from custom_components.esim_keeper.keeper.providers.base import RenewalRequest
from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from custom_components.esim_keeper.renewal import EVENT_RENEWAL
from tools.carrier_sim import CarrierSim

from .accounts import bridge_account
from .conftest import NOW, number_subentry, setup_entry

NOW_DT = datetime.fromisoformat(NOW)
SUB = "sub-0100"  # number_subentry's id for the simulator's line-1 (+12015550100)


@asynccontextmanager
async def simulator() -> AsyncIterator[CarrierSim]:
    """line-1: $20.00, the plan expires in 4 days (Tello: $5 per 30 days). Needs sockets."""
    carrier = CarrierSim(lines=2, seed=7, clock=dt_util.utcnow)
    line = carrier.state.lines["line-1"]
    line.balance = Decimal("20.00")
    line.plan_expiry = NOW_DT + timedelta(days=4)
    line.auto_renew = False
    line.expiry_as_date = False
    other = carrier.state.lines["line-2"]
    other.plan_expiry = NOW_DT + timedelta(days=60)
    other.last_activity = NOW_DT
    await carrier.start("127.0.0.1", 0)
    try:
        yield carrier
    finally:
        await carrier.stop()


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    async with simulator() as carrier:
        yield carrier


def bridge_entry(
    sim: CarrierSim, plan: dict[str, Any] | None = None, **settings: Any
) -> MockConfigEntry:
    """Return a bridge account with line-1.

    Renewal settings default to carrier balance, then card.
    """
    subentry = number_subentry("line-1", sim.state.lines["line-1"].number, "Tello", "tello", plan)
    renewal_settings = {"payment_methods": ["carrier_balance", "card"], "spend_cap": "50"}
    subentry["data"] = {**subentry["data"], CONF_RENEWAL: renewal_settings | settings}
    return bridge_account(sim, subentry)


def device_id(hass: HomeAssistant, subentry_id: str) -> str:
    registry = dr.async_get(hass)
    device = next(
        d
        for entry in hass.config_entries.async_entries(DOMAIN)
        for d in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (DOMAIN, subentry_id) in d.identifiers
    )
    assert device is not None
    return device.id


async def renew(hass: HomeAssistant, sim: CarrierSim, **data: Any) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "renew",
        {"device_id": device_id(hass, SUB), **data},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    result: dict[str, Any] = response["renewal"]  # type: ignore[assignment]
    return result


def charges(sim: CarrierSim) -> int:
    return sim.state.lines["line-1"].charges


async def test_success_verified(hass: HomeAssistant, sim: CarrierSim, freezer: Any) -> None:
    await setup_entry(hass, bridge_entry(sim))
    events = async_capture_events(hass, EVENT_RENEWAL)
    record = await renew(hass, sim)
    assert charges(sim) == 1
    assert sim.state.charges_total == 1
    assert record["outcome"] == "succeeded"
    assert record["amount"] == "5.00"
    assert record["method"] == "carrier_balance"
    assert record["verification"] == "pending"
    assert [a["status"] for a in record["attempts"]] == ["succeeded"]
    assert events[0].data["outcome"] == "succeeded"
    assert events[0].data["number"] == "…0100"

    freezer.tick(verification.VERIFY_DELAY)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["outcome"] for e in events] == ["succeeded", "verified"]
    engine = hass.config_entries.async_get_entry("bridge-entry").runtime_data.renewals  # type: ignore[union-attr]
    last = engine.history.last(SUB)
    assert last is not None
    assert last.verification is Verification.VERIFIED
    # The window closing later changes nothing.
    freezer.tick(payments.VERIFY_WINDOW)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert len(events) == 2
    assert charges(sim) == 1


async def test_decline_then_fallback(hass: HomeAssistant, sim: CarrierSim) -> None:
    sim.state.lines["line-1"].balance = Decimal("2.00")  # the carrier balance cannot pay $5
    await setup_entry(hass, bridge_entry(sim))
    events = async_capture_events(hass, EVENT_RENEWAL)
    record = await renew(hass, sim)
    assert charges(sim) == 1
    assert record["method"] == "card"
    assert [(a["method"], a["status"], a["reason"]) for a in record["attempts"]] == [
        ("carrier_balance", "declined", "insufficient_funds"),
        ("card", "succeeded", None),
    ]
    assert [a["status"] for a in events[0].data["attempts"]] == ["declined", "succeeded"]


async def test_all_declined(hass: HomeAssistant, sim: CarrierSim) -> None:
    sim.state.lines["line-1"].decline_reason = "card_declined"
    await setup_entry(hass, bridge_entry(sim))
    events = async_capture_events(hass, EVENT_RENEWAL)
    with pytest.raises(HomeAssistantError) as err:
        await renew(hass, sim)
    assert err.value.translation_key == "renewal_declined"
    assert err.value.translation_placeholders["attempts"] == (
        "Carrier balance: declined (card declined); Card: declined (card declined)"
    )
    assert charges(sim) == 0
    assert sim.state.charges_total == 0
    assert events[0].data["outcome"] == "failed"
    assert len(events[0].data["attempts"]) == 2
    engine = hass.config_entries.async_get_entry("bridge-entry").runtime_data.renewals  # type: ignore[union-attr]
    assert engine.history.last(SUB).outcome is Outcome.FAILED  # type: ignore[union-attr]


async def test_timeout_with_charge_committed_is_found_by_lookup(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """The carrier commits the payment and the answer is lost: looked up, never paid again."""
    await setup_entry(hass, bridge_entry(sim))
    sim.set_fault("bridge.createRenewal", "commit_drop*1")
    record = await renew(hass, sim)
    assert record["outcome"] == "succeeded"
    assert [a["status"] for a in record["attempts"]] == ["succeeded"]
    assert record["attempts"][0]["reference"] == "rn_1"
    assert sim.state.requests["bridge.createRenewal"] == 1
    assert sim.state.requests["bridge.getRenewal"] == 1
    assert charges(sim) == 1


async def test_lost_answer_not_seen_is_sent_again_with_its_key(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """The answer was lost and the carrier does not know the key (yet).

    A 404 proves nothing while the request may still arrive, so the same request goes again with the
    same key.
    """
    await setup_entry(hass, bridge_entry(sim))
    sim.set_fault("bridge.createRenewal", "drop*1")
    record = await renew(hass, sim)
    assert record["outcome"] == "succeeded"
    assert sim.state.requests["bridge.createRenewal"] == 2  # the same key twice, no new key
    assert len(sim.state.renewals) == 1
    assert [a["key"] for a in record["attempts"]] == list(sim.state.renewals)
    assert charges(sim) == 1


async def test_outcome_unknown_blocks_until_settled(hass: HomeAssistant, sim: CarrierSim) -> None:
    """No answer and no lookup: unknown. The next renewal looks the key up before paying."""
    await setup_entry(hass, bridge_entry(sim))
    sim.set_fault("bridge.createRenewal", "commit_drop*1")
    sim.set_fault("bridge.getRenewal", "503*2")
    events = async_capture_events(hass, EVENT_RENEWAL)
    with pytest.raises(HomeAssistantError) as err:
        await renew(hass, sim)
    assert err.value.translation_key == "renewal_outcome_unknown"
    assert events[-1].data["outcome"] == "unknown"
    with pytest.raises(HomeAssistantError) as err:
        await renew(hass, sim)
    assert err.value.translation_key == "previous_outcome_unknown"
    # The carrier answers again: the earlier payment went through, so nothing new is paid.
    with pytest.raises(HomeAssistantError) as err:
        await renew(hass, sim)
    assert err.value.translation_key == "previous_renewal_succeeded"
    assert events[-1].data["outcome"] == "succeeded"
    assert charges(sim) == 1
    assert sim.state.requests["bridge.createRenewal"] == 1
    # Now settled, a new renewal pays once more.
    await renew(hass, sim)
    assert charges(sim) == 2


async def test_two_concurrent_presses_charge_once(hass: HomeAssistant, sim: CarrierSim) -> None:
    await setup_entry(hass, bridge_entry(sim))
    gate, entered = asyncio.Event(), asyncio.Event()
    original = HttpBridgeProvider.async_renew

    async def slow(self: HttpBridgeProvider, request: RenewalRequest) -> Any:
        entered.set()
        await gate.wait()
        return await original(self, request)

    with patch.object(HttpBridgeProvider, "async_renew", slow):
        first = hass.async_create_task(renew(hass, sim))
        engine = hass.config_entries.async_get_entry("bridge-entry").runtime_data.renewals  # type: ignore[union-attr]
        await entered.wait()
        with pytest.raises(HomeAssistantError) as err:
            await renew(hass, sim)
        assert err.value.translation_key == "renewal_in_progress"
        gate.set()
        record = await first
    assert record["outcome"] == "succeeded"
    assert charges(sim) == 1
    assert sim.state.requests["bridge.createRenewal"] == 1
    assert len(engine.history.records(SUB)) == 1


def _pending_store(key: str, amount: str = "5.00") -> dict[str, Any]:
    """Return what the history held when Home Assistant stopped during the provider call."""
    return {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.renewals.bridge-entry",
        "data": {
            "renewals": [
                {
                    "renewal_id": "r1",
                    "subentry_id": SUB,
                    "line_id": "line-1",
                    "source": "button",
                    "amount": amount,
                    "currency": "USD",
                    "created_at": NOW,
                    "outcome": "pending",
                    "attempts": [
                        {
                            "key": key,
                            "method": "card",
                            "started_at": NOW,
                            "status": "pending",
                            "finished_at": None,
                            "reference": None,
                            "reason": None,
                        }
                    ],
                    "verification": None,
                    "verify_by": None,
                    "before_expiry": None,
                    "before_balance": "20.00",
                    "paid_at": None,
                }
            ],
            "auto_renew_failures": {},
        },
    }


async def test_restart_in_the_middle_committed(
    hass: HomeAssistant, sim: CarrierSim, hass_storage: dict[str, Any]
) -> None:
    """HA stopped after sending the payment; the carrier committed it. Start-up finds it."""
    hass_storage[f"{DOMAIN}.renewals.bridge-entry"] = _pending_store("ek-restart")
    line = sim.state.lines["line-1"]
    sim.state.renew(line, "ek-restart", Decimal("5.00"), "USD", "card", NOW_DT)
    assert charges(sim) == 1
    events = async_capture_events(hass, EVENT_RENEWAL)
    await setup_entry(hass, bridge_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)
    engine = hass.config_entries.async_get_entry("bridge-entry").runtime_data.renewals  # type: ignore[union-attr]
    record = engine.history.last(SUB)
    assert record is not None
    assert record.outcome is Outcome.SUCCEEDED
    assert record.attempts[0].reference == "rn_1"
    assert events[0].data["outcome"] == "succeeded"
    assert sim.state.requests["bridge.createRenewal"] == 0
    assert charges(sim) == 1
    stored = hass_storage[f"{DOMAIN}.renewals.bridge-entry"]["data"]["renewals"][0]
    assert stored["outcome"] == "succeeded"


async def test_restart_in_the_middle_never_sent_long_ago(
    hass: HomeAssistant, sim: CarrierSim, hass_storage: dict[str, Any], freezer: Any
) -> None:
    """HA stopped before the payment left, and stayed down.

    Long after it was written, the carrier still does not know the key, so it never received it.
    Nothing is paid.
    """
    hass_storage[f"{DOMAIN}.renewals.bridge-entry"] = _pending_store("ek-never")
    freezer.tick(payments.SETTLE_GRACE)
    await setup_entry(hass, bridge_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)
    engine = hass.config_entries.async_get_entry("bridge-entry").runtime_data.renewals  # type: ignore[union-attr]
    record = engine.history.last(SUB)
    assert record is not None
    assert record.outcome is Outcome.FAILED
    assert (record.attempts[0].status, record.attempts[0].reason) == ("not_charged", "not_received")
    assert charges(sim) == 0
    assert sim.state.requests["bridge.createRenewal"] == 0
    # And the number can be renewed again.
    await renew(hass, sim)
    assert charges(sim) == 1


async def test_restart_in_the_middle_just_now_sends_the_same_key(
    hass: HomeAssistant, sim: CarrierSim, hass_storage: dict[str, Any]
) -> None:
    """HA stopped during the call a moment ago.

    The request may still be on its way, so it is sent again with its key. The carrier charges that
    key once, whichever copy arrives.
    """
    hass_storage[f"{DOMAIN}.renewals.bridge-entry"] = _pending_store("ek-maybe")
    await setup_entry(hass, bridge_entry(sim))
    await hass.async_block_till_done(wait_background_tasks=True)
    engine = hass.config_entries.async_get_entry("bridge-entry").runtime_data.renewals  # type: ignore[union-attr]
    record = engine.history.last(SUB)
    assert record is not None
    assert record.outcome is Outcome.SUCCEEDED
    assert list(sim.state.renewals) == ["ek-maybe"]
    assert charges(sim) == 1


async def test_unverified_then_shows_up(hass: HomeAssistant, sim: CarrierSim, freezer: Any) -> None:
    await setup_entry(hass, bridge_entry(sim))
    line = sim.state.lines["line-1"]
    before = (line.balance, line.plan_expiry)
    events = async_capture_events(hass, EVENT_RENEWAL)
    await renew(hass, sim)
    line.balance, line.plan_expiry = before  # the carrier's line does not show the payment
    freezer.tick(payments.VERIFY_WINDOW)
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["outcome"] for e in events] == ["succeeded", "unverified"]
    issues = ir.async_get(hass)
    assert issues.async_get_issue(DOMAIN, f"renewal_unverified_{SUB}") is not None
    state = hass.states.get("event.tello_renewal")
    assert state is not None
    assert state.attributes["event_type"] == "unverified"

    line.plan_expiry = before[1] + timedelta(days=30)  # it shows up at last
    freezer.tick(timedelta(hours=2))
    async_fire_time_changed(hass)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[-1].data["outcome"] == "verified"
    assert issues.async_get_issue(DOMAIN, f"renewal_unverified_{SUB}") is None
    assert charges(sim) == 1


async def test_history_survives_restart(
    hass: HomeAssistant, sim: CarrierSim, hass_storage: dict[str, Any]
) -> None:
    entry = bridge_entry(sim)
    await setup_entry(hass, entry)
    record = await renew(hass, sim)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    engine = entry.runtime_data.renewals
    last = engine.history.last(SUB)
    assert last is not None
    assert last.renewal_id == record["renewal_id"]
    assert engine.history.last_success(SUB) is not None
    stored = hass_storage[f"{DOMAIN}.renewals.bridge-entry"]["data"]["renewals"]
    assert [r["renewal_id"] for r in stored] == [record["renewal_id"]]
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    assert f"{DOMAIN}.renewals.bridge-entry" not in hass_storage


async def test_auto_renew_days_before(hass: HomeAssistant, sim: CarrierSim) -> None:
    """Auto-renew 5 days before expiry: the plan expires in 4, so it renews once at start-up."""
    entry = bridge_entry(sim, auto_renew="days_before", auto_renew_days=5)
    await setup_entry(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert charges(sim) == 1
    last = entry.runtime_data.renewals.history.last(SUB)
    assert last is not None
    assert last.source == "auto"
    # The next poll sees the new expiry: nothing more is due.
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert charges(sim) == 1


async def test_auto_renew_switches_off_after_failures(hass: HomeAssistant, sim: CarrierSim) -> None:
    line = sim.state.lines["line-1"]
    line.decline_reason = "card_declined"
    entry = bridge_entry(sim, auto_renew="days_before", auto_renew_days=5)
    await setup_entry(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    coordinator = entry.runtime_data.coordinator
    for cents in ("20.01", "20.02"):  # each poll with new data checks auto-renew again
        line.balance = Decimal(cents)
        await coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"auto_renew_disabled_{SUB}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "name": "Tello",
        "failures": "3",
        "reason": "every payment method was declined",
    }
    assert entry.subentries[SUB].data[CONF_RENEWAL]["auto_renew"] == "off"
    assert charges(sim) == 0
    # Switched off: more polls try nothing.
    requests = sim.state.requests["bridge.createRenewal"]
    line.balance = Decimal("20.03")
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert sim.state.requests["bridge.createRenewal"] == requests


async def test_auto_renew_respects_the_cap(hass: HomeAssistant, sim: CarrierSim) -> None:
    entry = bridge_entry(sim, auto_renew="days_before", auto_renew_days=5, spend_cap="4")
    await setup_entry(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert charges(sim) == 0
    assert entry.runtime_data.renewals.history.failures(SUB) == 1
    assert entry.runtime_data.renewals.history.last(SUB) is None  # nothing recorded


async def test_event_message_never_shows_a_code(hass: HomeAssistant, sim: CarrierSim) -> None:
    """The renewal event's one-line ``message`` never shows a carrier's code.

    A decline reason we have no word for reads as "declined".
    """
    sim.state.lines["line-1"].decline_reason = "velocity_rule_7"
    await setup_entry(hass, bridge_entry(sim))
    events = async_capture_events(hass, EVENT_RENEWAL)
    with pytest.raises(HomeAssistantError):
        await renew(hass, sim)
    assert events[0].data["message"] == (
        "Tello was not renewed, nothing was charged: Carrier balance: declined; Card: declined."
    )
