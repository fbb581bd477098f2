"""The account's deadline calendar: events for a range, languages, the next event, triggers."""

from __future__ import annotations

from datetime import datetime, timedelta
import json
from pathlib import Path
from typing import Any

from homeassistant.components import automation
from homeassistant.components.calendar import DOMAIN as CALENDAR_DOMAIN
from homeassistant.const import STATE_OFF, STATE_ON
from homeassistant.core import HomeAssistant, ServiceCall, callback
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
import pytest
from pytest_homeassistant_custom_component.common import async_fire_time_changed

from custom_components.esim_keeper.calendar import TRANSLATION_KEY
from custom_components.esim_keeper.keeper.deadlines import DeadlineKind

from .accounts import bridge_entry, running_sim, setup_account

PKG = Path(__file__).parents[2] / "custom_components" / "esim_keeper"

CALENDAR = "calendar.bridge_deadlines"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def _events(hass: HomeAssistant, start: str, end: str) -> list[tuple[datetime, str]]:
    response = await hass.services.async_call(
        CALENDAR_DOMAIN,
        "get_events",
        {"entity_id": CALENDAR, "start_date_time": start, "end_date_time": end},
        blocking=True,
        return_response=True,
    )
    assert response is not None
    events: list[dict[str, Any]] = response[CALENDAR]["events"]  # type: ignore[assignment,index]
    for event in events:
        assert event["description"]
        start_at, end_at = (
            dt_util.parse_datetime(event["start"]),
            dt_util.parse_datetime(event["end"]),
        )
        assert start_at is not None
        assert end_at == start_at + timedelta(hours=1)
    return [(dt_util.as_utc(dt_util.parse_datetime(e["start"])), e["summary"]) for e in events]  # type: ignore[arg-type]


@pytest.mark.usefixtures("socket_enabled")
async def test_events_in_a_range(hass: HomeAssistant) -> None:
    """Every number's deadlines at their real instants, in time order; others left out."""
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        events = await _events(hass, "2026-11-26T00:00:00+00:00", "2027-01-01T00:00:00+00:00")
        assert events == [
            (_utc("2026-11-30T10:00:00+00:00"), "Tello: balance runs out"),
            (_utc("2026-11-30T10:00:00+00:00"), "Tello: plan expires"),
            (_utc("2026-12-20T05:00:00+00:00"), "Work: plan expires"),
            # 90 days after 2026-10-01 08:00 New York time (EDT) is 08:00 EST: 13:00 UTC.
            (_utc("2026-12-30T13:00:00+00:00"), "Work: use the number to keep it"),
        ]
        later = await _events(hass, "2027-01-01T00:00:00+00:00", "2028-01-01T00:00:00+00:00")
        assert later == [
            (_utc("2027-01-19T05:00:00+00:00"), "Work: number is lost if not renewed"),
            (_utc("2027-02-28T10:00:00+00:00"), "Tello: number is lost if not renewed"),
            (_utc("2027-06-18T04:00:00+00:00"), "Work: balance runs out"),
        ]
        # An event that started before the range but has not ended is in it.
        assert (
            await _events(hass, "2026-11-30T10:30:00+00:00", "2026-11-30T10:45:00+00:00")
            == events[:2]
        )
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_events_in_chinese(hass: HomeAssistant) -> None:
    hass.config.language = "zh-Hans"
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        events = await _events(hass, "2026-11-26T00:00:00+00:00", "2027-01-01T00:00:00+00:00")
        assert [summary for _, summary in events] == [
            "Tello：余额将不够续费",
            "Tello：套餐到期",
            "Work：套餐到期",
            "Work：使用截止日，请打个电话或发条短信",
        ]
        state = hass.states.get(CALENDAR)
        assert state is not None
        assert state.attributes["message"] == "Tello：余额将不够续费"
        assert state.attributes["description"].startswith("从这时起，余额不够续费了")
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_next_event_follows_the_clock_and_the_language(
    hass: HomeAssistant, frozen_now: Any
) -> None:
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        state = hass.states.get(CALENDAR)
        assert state is not None
        assert state.state == STATE_OFF
        assert state.attributes["message"] == "Tello: balance runs out"
        assert dt_util.as_utc(
            dt_util.parse_datetime(state.attributes["start_time"]).replace(  # type: ignore[union-attr]
                tzinfo=dt_util.get_default_time_zone()
            )
        ) == _utc("2026-11-30T10:00:00+00:00")

        # Switching Home Assistant to Chinese rewrites the next event's summary.
        await hass.config.async_update(language="zh-Hans")
        await hass.async_block_till_done()
        assert hass.states.get(CALENDAR).attributes["message"] == "Tello：余额将不够续费"  # type: ignore[union-attr]
        await hass.config.async_update(time_zone="Asia/Shanghai")  # not the language: no rewrite
        await hass.async_block_till_done()
        await hass.config.async_update(language="en")
        await hass.async_block_till_done()

        # During the deadline's hour the calendar is on; afterwards the next deadline shows.
        frozen_now.move_to("2026-11-30T10:30:00+00:00")
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert hass.states.get(CALENDAR).state == STATE_ON  # type: ignore[union-attr]
        frozen_now.move_to("2026-11-30T11:30:00+00:00")
        async_fire_time_changed(hass)
        await hass.async_block_till_done(wait_background_tasks=True)
        state = hass.states.get(CALENDAR)
        assert state is not None
        assert state.state == STATE_OFF
        assert state.attributes["message"] == "Work: plan expires"
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.usefixtures("socket_enabled")
async def test_calendar_trigger_with_an_offset_fires_before_the_deadline(
    hass: HomeAssistant, frozen_now: Any
) -> None:
    """An automation "one day before Work's plan expires" runs one day before the real instant."""
    calls: list[ServiceCall] = []

    @callback
    def record(call: ServiceCall) -> None:
        calls.append(call)

    hass.services.async_register("test", "record", record)
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        assert await async_setup_component(
            hass,
            automation.DOMAIN,
            {
                automation.DOMAIN: {
                    "trigger": {
                        "platform": "calendar",
                        "event": "start",
                        "offset": "-24:00:00",
                        "entity_id": CALENDAR,
                    },
                    "condition": "{{ trigger.calendar_event.summary == 'Work: plan expires' }}",
                    "action": {
                        "action": "test.record",
                        "data": {"start": "{{ trigger.calendar_event.start }}"},
                    },
                }
            },
        )
        await hass.async_block_till_done()
        moment = _utc("2026-12-19T04:00:00+00:00")
        frozen_now.move_to(moment)
        while moment < _utc("2026-12-19T05:30:00+00:00"):
            moment += timedelta(minutes=5)
            frozen_now.move_to(moment)
            async_fire_time_changed(hass)
            await hass.async_block_till_done(wait_background_tasks=True)
            if calls:
                break
        assert len(calls) == 1
        assert moment == _utc("2026-12-19T05:00:00+00:00")
        assert dt_util.parse_datetime(calls[0].data["start"]) == _utc("2026-12-20T05:00:00+00:00")
        await hass.services.async_call(
            automation.DOMAIN, "turn_off", {"entity_id": "all"}, blocking=True
        )
        assert await hass.config_entries.async_unload(entry.entry_id)


@pytest.mark.parametrize("lang", ["en", "zh-Hans"])
def test_every_deadline_kind_has_its_texts(lang: str) -> None:
    """Summaries and descriptions for every kind the keeper produces; summaries name the number."""
    tree = json.loads((PKG / "translations" / f"{lang}.json").read_text(encoding="utf-8"))
    calendar = tree["entity"]["calendar"][TRANSLATION_KEY]
    assert calendar["name"]
    summary = tree["common"]["deadline_summary"]
    assert "{name}" in summary
    assert "{event}" in summary
    texts = calendar["state_attributes"]
    for kind in DeadlineKind:
        assert texts["message"]["state"][kind.value], kind
        assert "{" not in texts["message"]["state"][kind.value], kind
        assert texts["description"]["state"][kind.value], kind
