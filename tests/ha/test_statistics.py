"""Long-term statistics: the balance sensor's, read back from the recorder.

And spending as external statistics, equal to the history and never counted twice across reloads or
restarts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from homeassistant.components.recorder import Recorder
from homeassistant.components.recorder.statistics import (
    list_statistic_ids,
    statistics_during_period,
)
from homeassistant.core import HomeAssistant
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
    do_adhoc_statistics,
)

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.history import (
    Attempt,
    AttemptStatus,
    Outcome,
    RecordKind,
    RenewalRecord,
)
from custom_components.esim_keeper.keeper.model import PaymentMethod
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.payments import payment_state
from custom_components.esim_keeper.spending import statistic_id

from .accounts import manual_entry
from .conftest import NOW, setup_entry
from .test_renewal import device_id

NOW_DT = datetime.fromisoformat(NOW)


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(recorder_db_url: str, enable_custom_integrations: None) -> None:
    """Prepare the recorder's database before ``hass`` exists.

    This autouse fixture (it overrides the shared one) runs first and asks for it.
    """


SUB = "sub-0199"


async def read(hass: HomeAssistant, ids: set[str], since: datetime) -> dict[str, list[Any]]:
    await async_wait_recording_done(hass)
    return await hass.async_add_executor_job(
        statistics_during_period, hass, since, None, ids, "hour", None, {"state", "sum"}
    )


async def test_balance_has_long_term_statistics(
    recorder_mock: Recorder, hass: HomeAssistant, demo_entry: MockConfigEntry, freezer: Any
) -> None:
    await setup_entry(hass, demo_entry)
    state = hass.states.get("sensor.ultra_balance")
    assert state is not None
    assert state.attributes["state_class"] == "total"
    await async_wait_recording_done(hass)
    freezer.move_to(NOW_DT + timedelta(hours=1, minutes=1))
    do_adhoc_statistics(hass, start=NOW_DT + timedelta(minutes=55))
    stats = await read(hass, {"sensor.ultra_balance"}, NOW_DT - timedelta(hours=1))
    (row,) = stats["sensor.ultra_balance"]
    assert row["state"] == float(state.state)
    assert row["sum"] == 0.0  # the first hour starts the sum
    ids = await recorder_mock.async_add_executor_job(list_statistic_ids, hass)
    balance = next(i for i in ids if i["statistic_id"] == "sensor.ultra_balance")
    assert balance["statistics_unit_of_measurement"] == "USD"
    assert balance["has_sum"] is True


async def _pay(hass: HomeAssistant, **data: Any) -> None:
    await hass.services.async_call(
        DOMAIN,
        "record_payment",
        {"device_id": device_id(hass, SUB), **data},
        blocking=True,
    )


async def test_spending_statistics_equal_the_history(
    recorder_mock: Recorder, hass: HomeAssistant
) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    await _pay(
        hass,
        amount="3.00",
        paid_at="2026-11-21T10:30:00+00:00",
        paid_amount="21.50",
        paid_currency="CNY",
    )
    await _pay(hass, amount="3.00", paid_at="2026-11-21T10:45:00+00:00")
    await _pay(hass, amount="5.00", paid_at="2026-11-25T08:00:00+00:00")
    history = entry.runtime_data.renewals.history
    # A renewal the carrier charged counts at the hour its attempt finished.
    charged = RenewalRecord(
        renewal_id="charged",
        subentry_id=SUB,
        line_id="+12025550199",
        source="auto",
        amount=Money.parse("2.00", "USD"),
        created_at=datetime.fromisoformat("2026-11-25T07:59:00+00:00"),
        outcome=Outcome.SUCCEEDED,
        attempts=[
            Attempt(
                key="k",
                method=PaymentMethod.CARD,
                started_at=datetime.fromisoformat("2026-11-25T07:59:00+00:00"),
                status=AttemptStatus.SUCCEEDED,
                finished_at=datetime.fromisoformat("2026-11-25T08:01:00+00:00"),
            )
        ],
        number="+12025550199",
    )
    await history.async_add(charged)
    entry.runtime_data.renewals.announce(charged, "succeeded")
    # Money that did not certainly move never counts.
    for outcome in (Outcome.FAILED, Outcome.UNKNOWN, Outcome.PENDING):
        record = RenewalRecord(
            renewal_id=f"x-{outcome}",
            subentry_id=SUB,
            line_id="+12025550199",
            source="action",
            amount=Money.parse("100", "USD"),
            created_at=NOW_DT - timedelta(hours=2),
            outcome=outcome,
            number="+12025550199",
            kind=RecordKind.RENEWAL,
        )
        await history.async_add(record)
        if outcome is not Outcome.PENDING:  # the engine announces outcomes, not their start
            entry.runtime_data.renewals.announce(record, outcome.value)
    await hass.async_block_till_done()
    number_id = statistic_id(SUB)
    paid_id = statistic_id(SUB, "paid", "CNY")
    account_id = statistic_id("manual-entry", "USD")
    account_paid = statistic_id("manual-entry", "paid", "CNY")
    assert number_id == "esim_keeper:spend_sub_0199"
    assert paid_id == "esim_keeper:spend_sub_0199_paid_cny"
    ids = {number_id, paid_id, account_id, account_paid}
    since = NOW_DT - timedelta(days=30)
    expected = {
        number_id: [(10, 6.0), (8, 13.0)],
        account_id: [(10, 6.0), (8, 13.0)],
        paid_id: [(10, 21.5)],
        account_paid: [(10, 21.5)],
    }

    def summary(stats: dict[str, list[Any]]) -> dict[str, list[tuple[int, float]]]:
        return {k: [(_hour(r), r["sum"]) for r in v] for k, v in stats.items()}

    assert summary(await read(hass, ids, since)) == expected
    # A reload rebuilds from the same history: nothing counted twice.
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert summary(await read(hass, ids, since)) == expected
    # A restart: the history is read from disk again and everything rebuilt.
    assert await hass.config_entries.async_unload(entry.entry_id)
    payment_state(hass).histories.clear()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert summary(await read(hass, ids, since)) == expected
    ids_meta = await recorder_mock.async_add_executor_job(list_statistic_ids, hass)
    meta = {i["statistic_id"]: i for i in ids_meta if i["source"] == DOMAIN}
    assert meta[paid_id]["statistics_unit_of_measurement"] == "CNY"
    assert meta[number_id]["name"] == "Ultra spending"


def _hour(row: dict[str, Any]) -> int:
    start = row["start"]
    moment = (
        start if isinstance(start, datetime) else datetime.fromtimestamp(start, tz=NOW_DT.tzinfo)
    )
    return moment.hour


async def test_no_statistics_without_the_recorder(hass: HomeAssistant) -> None:
    entry = manual_entry()
    await setup_entry(hass, entry)
    await _pay(hass, amount="3.00")
    assert "recorder" not in hass.config.components
