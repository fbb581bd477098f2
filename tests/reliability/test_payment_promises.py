"""The payment promise, one test per way it was found broken (issue 14).

A number is shown as paid only when its carrier confirmed a charge or the user said they paid;
a renewal never charges twice; no record is ever lost. Each test runs against the real carrier
simulator on loopback, with the faults real servers have (handlers that outlive the client,
commits that land late), and asserts the carrier's own charge count.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any
from unittest.mock import patch

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID
from homeassistant.core import CoreState, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.util import dt as dt_util
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import (
    CONF_LEDGER,
    CONF_PROVIDER,
    CONF_RENEWAL,
    DOMAIN,
)
from custom_components.esim_keeper.history import AttemptStatus, Outcome
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers.base import RenewalRequest, RenewalResult
from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from custom_components.esim_keeper.payments import unknown_issue_id
from tests.ha.conftest import number_subentry
from tools.carrier_sim import CarrierSim

from .accounts import BALANCE, SUB, load, setup, sim_entry
from .conftest import SLOW


def _charges(sim: CarrierSim) -> int:
    return sim.state.charges_total


def _device(hass: HomeAssistant, subentry_id: str = SUB) -> str:
    registry = dr.async_get(hass)
    device = next(
        d
        for entry in hass.config_entries.async_entries(DOMAIN)
        for d in dr.async_entries_for_config_entry(registry, entry.entry_id)
        if (DOMAIN, subentry_id) in d.identifiers
    )
    return device.id


async def _renew(hass: HomeAssistant, subentry_id: str = SUB) -> dict[str, Any]:
    response = await hass.services.async_call(
        DOMAIN,
        "renew",
        {"device_id": _device(hass, subentry_id)},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    renewal: dict[str, Any] = response["renewal"]  # type: ignore[assignment]
    return renewal


async def _refused(hass: HomeAssistant, subentry_id: str = SUB) -> str:
    with pytest.raises(HomeAssistantError) as err:
        await _renew(hass, subentry_id)
    assert err.value.translation_key is not None
    return err.value.translation_key


async def _late_commits(sim: CarrierSim) -> None:
    """Wait until every renewal the simulator holds pending has committed."""
    for _ in range(100):
        if not any(r.status == "pending" for r in sim.state.renewals.values()):
            return
        await asyncio.sleep(SLOW / 4)
    raise AssertionError("a late commit never landed")


def _hand_kept(renewal: dict[str, Any] | None, *, minor_version: int = 2) -> MockConfigEntry:
    """Return an Ultra number at 0.00 USD whose plan ended 25 days ago (lost in 5 days).

    Kept by hand.
    """
    now = dt_util.utcnow().replace(microsecond=0)
    subentry = number_subentry("+12025550199", "+12025550199", "Ultra", "ultra_paygo")
    subentry["data"] = {
        **subentry["data"],
        CONF_LEDGER: {
            "balance": "0.00",
            "read_at": now.isoformat(),
            "plan_expiry": (now - timedelta(days=25)).isoformat(),
            "last_activity": None,
            "auto_deduct": True,
        },
    }
    if renewal is not None:
        subentry["data"] = {**subentry["data"], CONF_RENEWAL: renewal}
    return MockConfigEntry(
        domain=DOMAIN,
        title="Manual records",
        entry_id="manual-entry",
        unique_id="manual",
        version=1,
        minor_version=minor_version,
        data={CONF_PROVIDER: "manual"},
        subentries_data=[subentry],
    )


# 1 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("minor_version", [1, 2])
async def test_a_hand_kept_number_is_never_shown_paid_by_anything_but_its_user(
    hass: HomeAssistant, minor_version: int
) -> None:
    """Auto-renew.

    The Renew-now button and the renew action never record a payment for a hand-kept number: at 0.00
    USD five days before it is lost it stays in danger and says so. An install from before (minor
    version 1) gets auto-renew switched off, with a repair.
    """
    entry = _hand_kept(
        {"auto_renew": "days_before", "auto_renew_days": 5, "spend_cap": "50"},
        minor_version=minor_version,
    )
    await setup(hass, entry)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    sub = "sub-0199"
    history = entry.runtime_data.renewals.history
    assert history.records() == []
    assert hass.states.get("sensor.ultra_balance").state == "0.00"  # type: ignore[union-attr]
    assert hass.states.get("binary_sensor.ultra_action_needed").state == "on"  # type: ignore[union-attr]
    assert hass.states.get("button.ultra_renew_now") is None
    assert await _refused(hass, sub) == "renew_hand_kept"
    issues = ir.async_get(hass)
    risk = issues.async_get_issue(DOMAIN, f"number_at_risk_{sub}")
    assert risk is not None
    assert risk.translation_key == "number_at_risk_hand_kept"  # pay at the carrier, record it
    migrated = issues.async_get_issue(DOMAIN, "hand_kept_auto_renew_off_manual-entry")
    if minor_version == 1:
        assert migrated is not None
        assert migrated.translation_placeholders == {
            "account": "Manual records",
            "names": "Ultra",
        }
        assert entry.subentries[sub].data[CONF_RENEWAL]["auto_renew"] == "off"
        assert entry.minor_version == 2
    else:
        assert migrated is None
    # The user's own statement is the only way in: "I paid 3.00 USD".
    await hass.services.async_call(
        BUTTON_DOMAIN,
        SERVICE_PRESS,
        {ATTR_ENTITY_ID: "button.ultra_i_paid_3_00_usd"},
        blocking=True,
    )
    (record,) = history.records()
    assert (record.kind, record.source, record.outcome) == ("recorded", "button", "succeeded")
    # The 3.00 the user paid renewed the plan from today: no action needed any more.
    assert hass.states.get("sensor.ultra_balance").state == "0.00"  # type: ignore[union-attr]
    assert hass.states.get("binary_sensor.ultra_action_needed").state == "off"  # type: ignore[union-attr]


# 2 ------------------------------------------------------------------------------------------


async def test_a_late_commit_is_never_reported_as_not_charged(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """The request times out, the bridge commits afterwards.

    The outcome is unknown, not "nothing was charged". It blocks the next renewal and counts against
    the cap until the carrier settles it; a retry never uses a new key.
    """
    entry = await setup(
        hass,
        sim_entry("http_bridge", sim, renewal={"payment_methods": ["card"], "spend_cap": "50"}),
    )
    sim.set_fault("bridge.createRenewal", f"commit_late:{SLOW}*1")
    assert await _refused(hass) == "renewal_outcome_unknown"
    # While the carrier has not committed, a new renewal is refused.
    assert await _refused(hass) == "previous_outcome_unknown"
    payments = entry.runtime_data.renewals.payments
    spent = payments.state.spent(sim.state.lines["line-1"].number, dt_util.utcnow(), "USD")
    assert spent == Money(Decimal("5.00"), "USD")  # the unknown attempt counts
    await _late_commits(sim)
    # Settled by the carrier's own answer: it was charged, once.
    assert await _refused(hass) == "previous_renewal_succeeded"
    record = entry.runtime_data.renewals.history.last(SUB)
    assert record is not None
    assert record.outcome is Outcome.SUCCEEDED
    assert [a.status for a in record.attempts] == [AttemptStatus.SUCCEEDED]
    assert _charges(sim) == 1
    assert len(sim.state.renewals) == 1  # one key, never a second one


async def test_a_late_commit_at_start_up_is_never_not_charged(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """Home Assistant restarts while the bridge still talks to the carrier.

    Start-up settles the attempt as unknown (pending), and the late commit then counts as the one
    charge.
    """
    entry = await setup(hass, sim_entry("http_bridge", sim, renewal={"payment_methods": ["card"]}))
    sim.set_fault("bridge.createRenewal", f"commit_late:{SLOW}*1")
    assert await _refused(hass) == "renewal_outcome_unknown"
    await load(hass, entry, reload=True)
    await hass.async_block_till_done(wait_background_tasks=True)
    record = entry.runtime_data.renewals.history.last(SUB)
    assert record is not None
    assert record.outcome is Outcome.UNKNOWN  # never "failed" while the key is pending
    await _late_commits(sim)
    await entry.runtime_data.renewals.payments.async_settle()
    assert record.outcome is Outcome.SUCCEEDED
    assert _charges(sim) == 1


# 3 ------------------------------------------------------------------------------------------


async def test_a_reload_during_a_renewal_keeps_one_record(
    hass: HomeAssistant, sim: CarrierSim, hass_storage: dict[str, Any]
) -> None:
    """Options, reconfigure and reauth reload the account.

    A renewal in flight then records its success in the one history the reloaded account uses (on
    disk too), the reloaded engine does not mark it "not charged", and no timer of the old engine
    fires after the unload.
    """
    entry = await setup(hass, sim_entry("http_bridge", sim, renewal={"payment_methods": ["card"]}))
    gate, entered = asyncio.Event(), asyncio.Event()
    original = HttpBridgeProvider.async_renew

    async def slow(self: HttpBridgeProvider, request: RenewalRequest) -> RenewalResult:
        entered.set()
        await gate.wait()
        return await original(self, request)

    with patch.object(HttpBridgeProvider, "async_renew", slow):
        task = hass.async_create_task(_renew(hass))
        await entered.wait()
        old_engine = entry.runtime_data.renewals
        await load(hass, entry, reload=True)
        assert entry.runtime_data.renewals is not old_engine
        gate.set()
        record = await task
    await hass.async_block_till_done(wait_background_tasks=True)
    assert record["outcome"] == "succeeded"
    history = entry.runtime_data.renewals.history
    assert history is old_engine.history  # one history across the reload
    assert [r.outcome for r in history.records(SUB)] == [Outcome.SUCCEEDED]
    stored = hass_storage[f"{DOMAIN}.renewals.rel-entry"]["data"]["renewals"]
    assert [(r["renewal_id"], r["outcome"]) for r in stored] == [
        (record["renewal_id"], "succeeded")
    ]
    assert old_engine.verifier._timers == {}  # the unloaded engine schedules nothing
    assert entry.runtime_data.renewals.verifier._timers  # the live one verifies it
    assert _charges(sim) == 1


# 4 ------------------------------------------------------------------------------------------


async def test_a_payment_whose_record_cannot_be_written_is_never_made(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """Home Assistant's Store only logs a failed write.

    The write-ahead record must be on disk, so a full disk refuses the payment with nothing charged
    and nothing kept in memory.
    """
    entry = await setup(hass, sim_entry("http_bridge", sim, renewal={"payment_methods": ["card"]}))
    with patch(
        "homeassistant.helpers.storage.Store._async_write_data",
        side_effect=WriteError("No space left on device"),
    ):
        assert await _refused(hass) == "history_write_failed"
    assert sim.state.requests["bridge.createRenewal"] == 0
    assert _charges(sim) == 0
    assert entry.runtime_data.renewals.history.records() == []
    # With room on the disk again, the renewal goes through once.
    await _renew(hass)
    assert _charges(sim) == 1


async def test_a_recorded_payment_that_cannot_be_written_changes_nothing(
    hass: HomeAssistant,
) -> None:
    entry = await setup(hass, _hand_kept(None))
    before = dict(entry.subentries["sub-0199"].data[CONF_LEDGER])
    with (
        patch(
            "homeassistant.helpers.storage.Store._async_write_data",
            side_effect=WriteError("No space left on device"),
        ),
        pytest.raises(HomeAssistantError) as err,
    ):
        await hass.services.async_call(
            DOMAIN, "record_payment", {"device_id": _device(hass, "sub-0199")}, blocking=True
        )
    assert err.value.translation_key == "history_write_failed"
    assert entry.subentries["sub-0199"].data[CONF_LEDGER] == before
    assert entry.runtime_data.renewals.history.records() == []


# 5 ------------------------------------------------------------------------------------------


async def test_one_number_is_kept_by_one_account(hass: HomeAssistant, sim: CarrierSim) -> None:
    """The account flow's first number refuses a number another account keeps.

    And payments of one number share one lock and one cap, whichever account asks.
    """
    await setup(hass, sim_entry("http_bridge", sim))
    # A Manual account cannot start with the same number...
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": "user"})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    number = sim.state.lines["line-1"].number
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {
            "number": number,
            "carrier": "tello",
            "balance": "5",
            "plan_expiry": "2030-01-01",
            "carrier_autopay": False,
            "plan": {},
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "number_taken"}


async def test_one_number_one_lock_and_one_cap_across_accounts(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """Two accounts that hold the same line cannot pay it twice at once; one cap counts both.

    (Such accounts were stored before the flows refused a number kept elsewhere.)
    """
    renewal = {"payment_methods": ["card"], "spend_cap": "12"}
    first = await setup(hass, sim_entry("http_bridge", sim, renewal=renewal))
    second = sim_entry("http_bridge", sim, entry_id="rel-entry-2", renewal=renewal)
    second.add_to_hass(hass)
    # Same bridge twice: a different unique id keeps Home Assistant from merging them.
    hass.config_entries.async_update_entry(second, unique_id="sim-account-2")
    await load(hass, second)
    await hass.async_block_till_done()
    gate, entered = asyncio.Event(), asyncio.Event()
    original = HttpBridgeProvider.async_renew

    async def slow(self: HttpBridgeProvider, request: RenewalRequest) -> RenewalResult:
        entered.set()
        await gate.wait()
        return await original(self, request)

    with patch.object(HttpBridgeProvider, "async_renew", slow):
        task = hass.async_create_task(
            first.runtime_data.renewals.payments.async_renew(SUB, source="action")
        )
        await entered.wait()
        with pytest.raises(HomeAssistantError) as err:
            await second.runtime_data.renewals.payments.async_renew(SUB, source="action")
        assert err.value.translation_key == "renewal_in_progress"
        gate.set()
        await task
    assert _charges(sim) == 1
    # 5.00 through each account is within the 12.00 cap; a third 5.00 through either is not.
    await second.runtime_data.renewals.payments.async_renew(SUB, source="action")
    with pytest.raises(ServiceValidationError) as err:
        await first.runtime_data.renewals.payments.async_renew(SUB, source="action")
    assert err.value.translation_key == "over_cap"
    assert _charges(sim) == 2


# 6 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("line_id", "line-2"),
        ("amount", Money(Decimal("50.00"), "USD")),
        ("amount", Money(Decimal("5.00"), "EUR")),
        ("method", "paypal"),
    ],
)
async def test_a_result_that_does_not_match_the_request_is_never_a_success(
    hass: HomeAssistant, sim: CarrierSim, field: str, value: Any
) -> None:
    """An answer for another line, amount.

    Currency or method is an unknown outcome with a repair issue, never a success; the user settles
    it after checking with the carrier.
    """
    from dataclasses import replace

    from custom_components.esim_keeper.keeper.model import PaymentMethod

    entry = await setup(hass, sim_entry("http_bridge", sim, renewal={"payment_methods": ["card"]}))
    original = HttpBridgeProvider.async_renew
    wrong = PaymentMethod(value) if field == "method" else value

    async def mismatched(self: HttpBridgeProvider, request: RenewalRequest) -> RenewalResult:
        return replace(await original(self, request), **{field: wrong})

    with patch.object(HttpBridgeProvider, "async_renew", mismatched):
        assert await _refused(hass) == "renewal_outcome_unknown"
    record = entry.runtime_data.renewals.history.last(SUB)
    assert record is not None
    assert record.outcome is Outcome.UNKNOWN
    assert (record.attempts[0].status, record.attempts[0].reason) == ("unknown", "mismatch")
    assert hass.states.get(BALANCE) is not None
    issue = ir.async_get(hass).async_get_issue(DOMAIN, unknown_issue_id(record.renewal_id))
    assert issue is not None
    assert issue.is_fixable
    # The lookup answers for the request that was really made, but the answer above was wrong:
    # nothing else may be paid until it is settled. The user checked: not charged by us.
    flow = await _start_fix(hass, issue.issue_id)
    assert flow["type"] is FlowResultType.MENU
    done = await _pick(hass, flow["flow_id"], "not_charged")
    assert done["type"] is FlowResultType.CREATE_ENTRY
    assert record.outcome is Outcome.FAILED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue.issue_id) is None


async def _start_fix(hass: HomeAssistant, issue_id: str) -> Any:
    from homeassistant.components.repairs import DOMAIN as REPAIRS
    from homeassistant.setup import async_setup_component

    assert await async_setup_component(hass, REPAIRS, {})
    manager = hass.data[REPAIRS]["flow_manager"]
    return await manager.async_init(DOMAIN, data={"issue_id": issue_id})


async def _pick(hass: HomeAssistant, flow_id: str, option: str) -> Any:
    from homeassistant.components.repairs import DOMAIN as REPAIRS

    manager = hass.data[REPAIRS]["flow_manager"]
    return await manager.async_configure(flow_id, {"next_step_id": option})


# and: no payment starts while Home Assistant is stopping -------------------------------------


async def test_no_payment_starts_while_home_assistant_is_stopping(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    await setup(hass, sim_entry("http_bridge", sim))
    hass.set_state(CoreState.stopping)
    try:
        assert await _refused(hass) == "home_assistant_stopping"
    finally:
        hass.set_state(CoreState.running)
    assert sim.state.requests["bridge.createRenewal"] == 0


async def test_an_unknown_outcome_left_alone_asks_the_user(
    hass: HomeAssistant, sim: CarrierSim, freezer: Any
) -> None:
    """A renewal unknown past the grace period gets a repair the user settles: charged.

    The carrier never answers for the key.
    """
    entry = await setup(hass, sim_entry("http_bridge", sim, renewal={"payment_methods": ["card"]}))
    sim.set_fault("bridge.createRenewal", "commit_drop*1")
    sim.set_fault("bridge.getRenewal", "503")
    assert await _refused(hass) == "renewal_outcome_unknown"
    record = entry.runtime_data.renewals.history.last(SUB)
    assert record is not None
    freezer.tick(timedelta(minutes=11))
    await entry.runtime_data.renewals.payments.async_settle()
    issue_id = unknown_issue_id(record.renewal_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    flow = await _start_fix(hass, issue_id)
    await _pick(hass, flow["flow_id"], "charged")
    assert record.outcome is Outcome.SUCCEEDED
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    sim.state.faults.clear()


@pytest.mark.parametrize("charged", [True, False])
async def test_carrier_autopay_is_assumed_until_the_user_says(
    hass: HomeAssistant, charged: bool
) -> None:
    """A hand-kept number whose carrier charges the card every cycle.

    After a cycle date its expiry moves on as *assumed* (never as paid), and a repair asks.
    "Charged" records the payment; "failed" shows the expiry the number really has.
    """
    entry = _hand_kept(None)
    subentry = entry.subentries["sub-0199"]
    ledger = dict(subentry.data[CONF_LEDGER]) | {"carrier_autopay": True, "balance": "0.00"}
    ledger["plan_expiry"] = (dt_util.utcnow() - timedelta(days=2)).isoformat()
    await setup(hass, entry)
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, CONF_LEDGER: ledger}
    )
    await hass.async_block_till_done(wait_background_tasks=True)
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()

    def reason() -> str:
        return str(entry.runtime_data.coordinator.data.numbers["sub-0199"].status.reason)

    assert reason() == "autopay_assumed"
    assert entry.runtime_data.renewals.history.records() == []  # assumed, never recorded
    issue_id = "autopay_unconfirmed_sub-0199"
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    flow = await _start_fix(hass, issue_id)
    done = await _pick(hass, flow["flow_id"], "charged" if charged else "failed")
    assert done["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    records = entry.runtime_data.renewals.history.records()
    if charged:
        assert [(r.kind, r.source) for r in records] == [("recorded", "repair")]
        assert reason() == "ok"
    else:
        assert records == []
        assert reason() == "plan_expired"
