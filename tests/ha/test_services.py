"""Action input is validated before anything is recorded or charged; Manual numbers' actions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import CONF_LEDGER, DOMAIN
from custom_components.esim_keeper.keeper.lifecycle import Ledger
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.lines import ledger_to_data
from tools.carrier_sim import CarrierSim

from .accounts import manual_account
from .conftest import NOW, setup_entry
from .test_renewal import SUB, bridge_entry, charges, device_id, simulator

NOW_DT = datetime.fromisoformat(NOW)
MANUAL_SUB = "sub-0199"


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    async with simulator() as carrier:
        yield carrier


def manual_entry(carrier: str = "ultra_paygo") -> MockConfigEntry:
    """Return an Ultra number read six days ago, expiring in twelve days."""
    ledger = Ledger(
        balance=Money(Decimal("10.00"), "USD"),
        read_at=NOW_DT - timedelta(days=6),
        plan_expiry=NOW_DT + timedelta(days=12),
    )
    return manual_account(("+12025550199", "Ultra", carrier, ledger_to_data(ledger)))


async def call(hass: HomeAssistant, service: str, data: dict[str, Any], **kw: Any) -> Any:
    return await hass.services.async_call(DOMAIN, service, data, blocking=True, **kw)


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"amount": 0}, "invalid_amount"),
        ({"amount": "-1"}, "invalid_amount"),
        ({"amount": "abc"}, "invalid_amount"),
        ({"amount": 60.0}, "over_cap"),
        ({"payment_method": "alipay"}, "method_unsupported"),
    ],
)
async def test_bad_renew_input_records_and_charges_nothing(
    hass: HomeAssistant, sim: CarrierSim, data: dict[str, Any], key: str
) -> None:
    entry = bridge_entry(sim)
    await setup_entry(hass, entry)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "renew", {"device_id": device_id(hass, SUB), **data})
    assert err.value.translation_key == key
    assert entry.runtime_data.renewals.history.records() == []
    assert sim.state.requests["bridge.createRenewal"] == 0
    assert charges(sim) == 0


async def test_cap_counts_earlier_renewals(hass: HomeAssistant, sim: CarrierSim) -> None:
    entry = bridge_entry(sim, spend_cap="12")
    await setup_entry(hass, entry)
    target = {"device_id": device_id(hass, SUB)}
    await call(hass, "renew", target)
    await call(hass, "renew", target)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "renew", target)
    assert err.value.translation_key == "over_cap"
    assert err.value.translation_placeholders["left"] == "2.00 USD"
    assert charges(sim) == 2


async def test_unknown_device_and_unloaded_account(hass: HomeAssistant, sim: CarrierSim) -> None:
    entry = bridge_entry(sim)
    await setup_entry(hass, entry)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "renew", {"device_id": "nope"})
    assert err.value.translation_key == "unknown_device"
    target = device_id(hass, SUB)
    assert await hass.config_entries.async_unload(entry.entry_id)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "renew", {"device_id": target})
    assert err.value.translation_key == "entry_not_loaded"
    assert charges(sim) == 0


async def test_provider_that_cannot_renew(hass: HomeAssistant, sim: CarrierSim) -> None:
    entry = bridge_entry(sim)
    await setup_entry(hass, entry)
    engine = entry.runtime_data.renewals
    engine.provider.capabilities = type(engine.provider.capabilities)(can_renew=False)  # type: ignore[misc]
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "renew", {"device_id": device_id(hass, SUB)})
    assert err.value.translation_key == "renew_unsupported"
    assert charges(sim) == 0


async def test_bridge_number_refuses_manual_actions(hass: HomeAssistant, sim: CarrierSim) -> None:
    await setup_entry(hass, bridge_entry(sim))
    target = {"device_id": device_id(hass, SUB)}
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "set_balance", {**target, "balance": 5})
    assert err.value.translation_key == "hand_kept_only"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "record_payment", {**target, "amount": "5.00"})
    assert err.value.translation_key == "hand_kept_only"
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "record_activity", target)
    assert err.value.translation_key == "activity_unsupported"
    assert charges(sim) == 0


async def test_hand_kept_number_is_never_renewed(hass: HomeAssistant) -> None:
    """A payment nobody made is never recorded: renewing a hand-kept number is refused."""
    entry = manual_entry()
    await setup_entry(hass, entry)
    before = dict(entry.subentries[MANUAL_SUB].data[CONF_LEDGER])
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "renew", {"device_id": device_id(hass, MANUAL_SUB)})
    assert err.value.translation_key == "renew_hand_kept"
    assert entry.runtime_data.renewals.history.records() == []
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER] == before


async def test_record_payment(hass: HomeAssistant) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    target = {"device_id": device_id(hass, MANUAL_SUB)}
    response = await call(
        hass,
        "record_payment",
        {
            **target,
            "amount": "3.00",
            "payment_method": "alipay",
            "paid_at": "2026-11-25T10:00:00+00:00",
            "paid_amount": 21.5,
            "paid_currency": "cny",
        },
        return_response=True,
    )
    payment = response["payment"]
    assert (payment["outcome"], payment["kind"], payment["method"]) == (
        "succeeded",
        "recorded",
        "alipay",
    )
    assert (payment["paid_amount"], payment["paid_currency"]) == ("21.5", "CNY")
    assert payment["verification"] is None
    ledger = entry.subentries[MANUAL_SUB].data[CONF_LEDGER]
    assert ledger["balance"] == "13.00"
    assert ledger["read_at"] == "2026-11-25T10:00:00+00:00"
    await hass.async_block_till_done()
    assert hass.states.get("sensor.ultra_balance").state == "13.00"  # type: ignore[union-attr]
    # Without a date: now, with the number's first method (card) and the plan's cost.
    response = await call(hass, "record_payment", target, return_response=True)
    assert (response["payment"]["amount"], response["payment"]["method"]) == ("3.00", "card")
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER]["balance"] == "16.00"
    history = entry.runtime_data.renewals.history
    assert len(history.records(MANUAL_SUB)) == 2


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"paid_at": "2026-11-01T00:00:00+00:00"}, "paid_before_reading"),
        ({"paid_at": "2027-01-01T00:00:00+00:00"}, "paid_in_future"),
        ({"amount": "0"}, "invalid_amount"),
        ({"amount": "-3"}, "invalid_amount"),
        ({"paid_amount": "0", "paid_currency": "CNY"}, "invalid_amount"),
        ({"paid_amount": "21.50", "paid_currency": "yuan"}, "invalid_currency"),
        ({"amount": "999999"}, "invalid_payment"),
    ],
)
async def test_bad_payment_records_nothing(
    hass: HomeAssistant, data: dict[str, Any], key: str
) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    before = dict(entry.subentries[MANUAL_SUB].data[CONF_LEDGER])
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "record_payment", {"device_id": device_id(hass, MANUAL_SUB), **data})
    assert err.value.translation_key == key
    assert entry.runtime_data.renewals.history.records() == []
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER] == before


async def test_the_same_payment_is_recorded_once(hass: HomeAssistant, freezer: Any) -> None:
    """Two presses of "I paid" (or an automation firing twice) state one payment."""
    entry = manual_entry()
    await setup_entry(hass, entry)
    target = {"device_id": device_id(hass, MANUAL_SUB), "amount": "3.00"}
    await call(hass, "record_payment", target)
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "record_payment", target)
    assert err.value.translation_key == "payment_already_recorded"
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER]["balance"] == "13.00"
    # A second payment later is a second payment.
    freezer.tick(timedelta(minutes=15))
    await call(hass, "record_payment", target)
    assert len(entry.runtime_data.renewals.history.records()) == 2
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER]["balance"] == "16.00"


async def test_manual_activity_and_balance(hass: HomeAssistant) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    target = {"device_id": device_id(hass, MANUAL_SUB)}
    await call(hass, "record_activity", target)
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER]["last_activity"] == NOW
    await call(hass, "set_balance", {**target, "balance": 7.5})
    ledger = entry.subentries[MANUAL_SUB].data[CONF_LEDGER]
    assert (ledger["balance"], ledger["read_at"]) == ("7.5", NOW)
    await call(
        hass, "set_balance", {**target, "balance": "4", "plan_expiry": "2026-12-30 12:00:00"}
    )
    assert entry.subentries[MANUAL_SUB].data[CONF_LEDGER]["plan_expiry"].startswith("2026-12-30")
    with pytest.raises(ServiceValidationError) as err:
        await call(hass, "set_balance", {**target, "balance": "x"})
    assert err.value.translation_key == "invalid_amount"


async def test_get_history(hass: HomeAssistant, sim: CarrierSim) -> None:
    await setup_entry(hass, bridge_entry(sim))
    await setup_entry(hass, manual_entry())
    await call(hass, "renew", {"device_id": device_id(hass, SUB)})
    await call(hass, "record_payment", {"device_id": device_id(hass, MANUAL_SUB)})
    everything = await call(hass, "get_history", {}, return_response=True)
    assert [r["name"] for r in everything["renewals"]] == ["Tello", "Ultra"]
    one = await call(
        hass, "get_history", {"device_id": device_id(hass, SUB), "limit": 1}, return_response=True
    )
    assert len(one["renewals"]) == 1
    assert one["renewals"][0]["outcome"] == "succeeded"


async def test_renew_without_response(hass: HomeAssistant, sim: CarrierSim) -> None:
    await setup_entry(hass, bridge_entry(sim))
    assert await call(hass, "renew", {"device_id": device_id(hass, SUB)}) is None
    assert charges(sim) == 1


async def test_renewal_errors_not_charged(hass: HomeAssistant, sim: CarrierSim) -> None:
    """A carrier refusal before paying (unknown line) is a failure with nothing charged."""
    await setup_entry(hass, bridge_entry(sim))
    del sim.state.lines["line-1"]
    with pytest.raises(HomeAssistantError) as err:
        await call(hass, "renew", {"device_id": device_id(hass, SUB)})
    assert err.value.translation_key == "renewal_not_charged"


async def test_i_used_this_number_where_the_carrier_cannot_tell(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """A number whose provider does not report activity (here.

    A bridge that says so) and whose carrier reclaims unused numbers: "I used this number" (button
    or action) restarts its activity clock, kept in its settings across a restart. Issue 15.
    """
    from homeassistant.helpers import entity_registry as er

    from custom_components.esim_keeper.const import CONF_USER_ACTIVITY

    sim.state.lines["line-1"].last_activity = None
    sim.state.bridge_reports_activity = False
    entry = bridge_entry(sim, {"activity_days": 30})
    await setup_entry(hass, entry)
    provider = entry.runtime_data.provider
    assert not provider.capabilities.reports_activity
    coordinator = entry.runtime_data.coordinator
    assert coordinator.data.numbers[SUB].status.activity_deadline is None
    button = er.async_get(hass).async_get_entity_id("button", DOMAIN, f"{SUB}_record_activity")
    assert button is not None
    await call(hass, "record_activity", {"device_id": device_id(hass, SUB)})
    assert entry.subentries[SUB].data[CONF_USER_ACTIVITY] == NOW
    assert coordinator.data.numbers[SUB].status.activity_deadline is not None
    assert coordinator.data.numbers[SUB].snapshot.last_activity == datetime.fromisoformat(NOW)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    data = entry.runtime_data.coordinator.data
    assert data.numbers[SUB].snapshot.last_activity == datetime.fromisoformat(NOW)
