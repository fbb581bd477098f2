"""The shipped blueprints, run as real automations against real numbers while time moves.

Two Manual numbers, in Shanghai (where many of our users live):
- "Ultra" (Ultra PayGo, grace 30 days): plan expired 2026-12-01 with no money, so its keep-alive
  deadline is the number-loss date, 2026-12-31 00:00 in Los Angeles = 16:00 in Shanghai.
- "GV" (Google Voice, 90-day activity rule): last used 2026-09-01 (Los Angeles), so its deadline is
  2026-11-30 00:00 in Los Angeles = 16:00 in Shanghai.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.installer import async_install_shipped_files

from .accounts import manual_account, manual_ledger

SHANGHAI = ZoneInfo("Asia/Shanghai")
READ = "2026-11-26T01:00:00+00:00"
BLUEPRINTS = Path(__file__).parents[2] / "custom_components" / "esim_keeper" / "blueprints"
ROOT_COPIES = Path(__file__).parents[2] / "blueprints" / "automation" / "esim_keeper"


def _manual_entry() -> MockConfigEntry:
    return manual_account(
        (
            "+12025550111",
            "Ultra",
            "ultra_paygo",
            manual_ledger("0", "2026-12-01T08:00:00+00:00", read_at=READ),
        ),
        (
            "+12025550112",
            "GV",
            "google_voice",
            manual_ledger(
                "0", "2035-01-01T08:00:00+00:00", "2026-09-01T07:00:00+00:00", read_at=READ
            ),
        ),
    )


@pytest.fixture
async def numbers(hass: HomeAssistant, tmp_path: Path, frozen_now: Any) -> MockConfigEntry:
    """Shanghai time, the blueprints installed as at start-up, and the two numbers loaded."""
    await hass.config.async_set_time_zone("Asia/Shanghai")
    hass.config.config_dir = str(tmp_path)
    frozen_now.move_to(datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI))
    await async_install_shipped_files(hass)
    entry = _manual_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


def _device(hass: HomeAssistant, subentry_id: str) -> str:
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id), "manual-entry"
    )
    assert device is not None
    return device.id


async def _automation(hass: HomeAssistant, path: str, inputs: dict[str, Any]) -> None:
    assert await async_setup_component(
        hass,
        "automation",
        {
            "automation": [
                {
                    "id": "under_test",
                    "alias": "Under test",
                    "use_blueprint": {"path": f"esim_keeper/{path}", "input": inputs},
                }
            ]
        },
    )
    await hass.async_block_till_done()


async def _days(
    hass: HomeAssistant, freezer: Any, first: date, last: date, at: int = 9
) -> list[date]:
    """Move through each day at ``at`` o'clock Shanghai; return the days a notification came."""
    calls: list[ServiceCall] = hass.data["notify_calls"]
    seen: list[date] = []
    day = first
    while day <= last:
        before = len(calls)
        freezer.move_to(datetime(day.year, day.month, day.day, at, 0, 1, tzinfo=SHANGHAI))
        async_fire_time_changed(hass)
        await hass.async_block_till_done()
        if len(calls) > before:
            seen.append(day)
        day += timedelta(days=1)
    return seen


@pytest.fixture
def expected_lingering_timers() -> bool:
    """Time-triggered automations keep their next timer when the test's hass stops."""
    return True


@pytest.fixture
def notify_calls(hass: HomeAssistant) -> list[ServiceCall]:
    calls = async_mock_service(hass, "notify", "phone")
    hass.data["notify_calls"] = calls
    return calls


def test_every_blueprint_passes_home_assistants_schema() -> None:
    shipped = sorted(BLUEPRINTS.glob("automation/*.yaml"))
    assert [p.name for p in shipped] == [
        "carrier_emails.yaml",
        "carrier_texts_from_phone.yaml",
        "digest.yaml",
        "keep_alive_reminder.yaml",
        "low_balance.yaml",
    ]
    for path in shipped:
        blueprint = Blueprint(
            load_yaml_dict(str(path)), expected_domain="automation", schema=BLUEPRINT_SCHEMA
        )
        assert blueprint.name.startswith("eSIM Keeper")


def test_repository_copies_match_the_shipped_ones() -> None:
    """blueprints/automation/esim_keeper/ (for "Import blueprint" links) equals what we install."""
    for path in BLUEPRINTS.glob("automation/*.yaml"):
        assert (ROOT_COPIES / path.name).read_bytes() == path.read_bytes(), path.name


async def test_keep_alive_reminder_escalates_then_stops_when_handled(
    hass: HomeAssistant, numbers: MockConfigEntry, notify_calls: list[ServiceCall], freezer: Any
) -> None:
    await _automation(
        hass,
        "keep_alive_reminder.yaml",
        {
            "deadlines": ["sensor.ultra_keep_alive_deadline", "sensor.gv_keep_alive_deadline"],
            "notify_action": "notify.phone",
        },
    )
    seen = await _days(hass, freezer, date(2026, 11, 26), date(2027, 1, 2))
    # GV (deadline 30 Nov): daily from 3 days before. Ultra (deadline 31 Dec): 30 and 7 days
    # before, then daily from 3 days before, the last on the day itself.
    assert seen == [
        date(2026, 11, 27),
        date(2026, 11, 28),
        date(2026, 11, 29),
        date(2026, 11, 30),
        date(2026, 12, 1),
        date(2026, 12, 24),
        date(2026, 12, 28),
        date(2026, 12, 29),
        date(2026, 12, 30),
        date(2026, 12, 31),
    ]
    first = notify_calls[0].data
    assert first["title"] == "Keep GV alive"
    assert first["message"] == (
        "GV must be kept alive by 2026-11-30 (3 days left). "
        "Pay at the carrier and record it, or use the number, before then."
    )
    actions = [a["title"] for a in first["data"]["actions"]]
    assert actions == ["I paid", "I used this number"]  # a hand-kept number: nothing to renew
    assert (
        notify_calls[-1]
        .data["message"]
        .startswith("Ultra must be kept alive by 2026-12-31 (today)")
    )


async def test_keep_alive_reminder_in_chinese(
    hass: HomeAssistant, numbers: MockConfigEntry, notify_calls: list[ServiceCall], freezer: Any
) -> None:
    await _automation(
        hass,
        "keep_alive_reminder.yaml",
        {
            "deadlines": ["sensor.gv_keep_alive_deadline"],
            "notify_action": "notify.phone",
            "language": "zh-Hans",
            "actionable": False,
        },
    )
    await _days(hass, freezer, date(2026, 11, 27), date(2026, 11, 27))
    (call,) = notify_calls
    assert call.data == {
        "title": "GV 需要保号",
        "message": (
            "GV 的保号截止日是 2026-11-30，还剩 3 天。"
            "请在此之前在运营商处付款并记录下来，或使用这个号码。"
        ),
    }


async def test_buttons_call_the_actions_and_the_reminders_stop(
    hass: HomeAssistant, numbers: MockConfigEntry, notify_calls: list[ServiceCall], freezer: Any
) -> None:
    paid = async_mock_service(hass, DOMAIN, "record_payment")
    await _automation(
        hass,
        "keep_alive_reminder.yaml",
        {
            "deadlines": ["sensor.ultra_keep_alive_deadline", "sensor.gv_keep_alive_deadline"],
            "notify_action": "notify.phone",
        },
    )
    assert await _days(hass, freezer, date(2026, 11, 27), date(2026, 11, 27))
    gv, ultra = _device(hass, "sub-0112"), _device(hass, "sub-0111")
    buttons = {a["title"]: a["action"] for a in notify_calls[0].data["data"]["actions"]}

    # "I used this number" on GV: the real action resets its activity clock (+90 days).
    hass.bus.async_fire("mobile_app_notification_action", {"action": buttons["I used this number"]})
    await hass.async_block_till_done()
    deadline = hass.states.get("sensor.gv_keep_alive_deadline")
    assert deadline is not None
    assert deadline.state.startswith("2027-02-2")

    # "I paid" on a hand-kept number calls esim_keeper.record_payment for it (a statement that
    # the user paid the carrier: mocked here; the payment has its own tests).
    paid_button = buttons["I paid"].replace(gv, ultra)
    hass.bus.async_fire("mobile_app_notification_action", {"action": paid_button})
    # A press from another automation (other tag) or for a number not watched does nothing.
    hass.bus.async_fire(
        "mobile_app_notification_action", {"action": f"ESIM_KEEPER_PAID|{ultra}|automation.other"}
    )
    hass.bus.async_fire(
        "mobile_app_notification_action",
        {"action": buttons["I paid"].replace(gv, "not-a-device")},
    )
    await hass.async_block_till_done()
    assert [call.data for call in paid] == [{"device_id": ultra}]

    # GV was handled: no GV reminder any more (Ultra's come in December).
    assert await _days(hass, freezer, date(2026, 11, 28), date(2026, 12, 1)) == [date(2026, 12, 1)]
    assert all("GV" not in call.data["title"] for call in notify_calls[1:])


async def test_low_balance_on_change_and_every_few_days(
    hass: HomeAssistant, numbers: MockConfigEntry, notify_calls: list[ServiceCall], freezer: Any
) -> None:
    await _automation(
        hass,
        "low_balance.yaml",
        {
            "low_balance": ["binary_sensor.ultra_balance_too_low_for_renewal"],
            "notify_action": "notify.phone",
            "remind_every": 3,
        },
    )
    # Low since set-up on 26 Nov: reminded every third day.
    assert await _days(hass, freezer, date(2026, 11, 26), date(2026, 12, 3)) == [
        date(2026, 11, 29),
        date(2026, 12, 2),
    ]
    assert notify_calls[0].data == {
        "title": "Ultra: balance too low",
        "message": "The Ultra balance of 0.00 USD won't cover the next renewal (3.00 USD). "
        "Top up before the plan expires.",
    }
    # Topped up, then low again: told at once.
    await hass.services.async_call(
        DOMAIN,
        "set_balance",
        {"device_id": _device(hass, "sub-0111"), "balance": 20},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert hass.states.get("binary_sensor.ultra_balance_too_low_for_renewal").state == "off"  # type: ignore[union-attr]
    count = len(notify_calls)
    await hass.services.async_call(
        DOMAIN,
        "set_balance",
        {"device_id": _device(hass, "sub-0111"), "balance": 1},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert len(notify_calls) == count + 1


async def test_digest_lists_what_needs_attention_and_is_silent_otherwise(
    hass: HomeAssistant, numbers: MockConfigEntry, notify_calls: list[ServiceCall], freezer: Any
) -> None:
    await _automation(
        hass,
        "digest.yaml",
        {"notify_action": "notify.phone", "weekdays": ["fri"], "language": "zh-Hans"},
    )
    # 26 Nov 2026 is a Thursday: the first digest is Friday 27th, the next a week later.
    assert await _days(hass, freezer, date(2026, 11, 26), date(2026, 11, 30)) == [
        date(2026, 11, 27)
    ]
    assert notify_calls[0].data == {
        "title": "2 个号码需要处理",
        "message": "• GV：保号截止 2026-11-30（还剩 3 天）\n"
        "• Ultra：保号截止 2026-12-31（还剩 34 天）",
    }
    # Both handled: nothing is sent on the next Friday.
    for subentry_id, action, data in (
        ("sub-0112", "record_activity", {}),
        (
            "sub-0111",
            "set_balance",
            {"balance": 30, "plan_expiry": "2026-12-20T00:00:00+08:00"},
        ),
    ):
        await hass.services.async_call(
            DOMAIN, action, {"device_id": _device(hass, subentry_id), **data}, blocking=True
        )
    await hass.async_block_till_done()
    assert await _days(hass, freezer, date(2026, 12, 1), date(2026, 12, 5)) == []
