"""The shipped blueprints, run as real automations against real numbers while time moves.

Two Manual numbers, in Shanghai (where many of our users live):
- "Ultra" (Ultra PayGo, grace 30 days): plan expired 2026-12-01 with no money, so its keep-alive
  deadline is the number-loss date, 2026-12-31 00:00 in Los Angeles = 16:00 in Shanghai.
- "GV" (Google Voice, 90-day activity rule): last used 2026-09-01 (Los Angeles), so its deadline is
  2026-11-30 00:00 in Los Angeles = 16:00 in Shanghai.
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.components.blueprint.models import Blueprint
from homeassistant.components.blueprint.schemas import BLUEPRINT_SCHEMA
from homeassistant.core import HomeAssistant, ServiceCall
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from homeassistant.util import slugify
from homeassistant.util.yaml import load_yaml_dict
import pytest
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_fire_time_changed,
    async_mock_service,
)

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.installer import async_install_shipped_files

from .accounts import bridge_entry, manual_account, manual_ledger, running_sim, setup_account

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


def _device(hass: HomeAssistant, subentry_id: str, entry_id: str = "manual-entry") -> str:
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, subentry_id), entry_id)
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


def _phone(hass: HomeAssistant, name: str, maker: str) -> tuple[str, list[ServiceCall]]:
    """Register a phone with the Home Assistant app: its device and notify action.

    The action is the one mobile_app gives it (notify.mobile_app_<registered name>), mocked to
    record what it was sent.
    """
    entry = MockConfigEntry(domain="mobile_app", title=name)
    entry.add_to_hass(hass)
    device = dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id,
        identifiers={("mobile_app", name)},
        name=name,
        manufacturer=maker,
        model="phone",
    )
    return device.id, async_mock_service(hass, "notify", f"mobile_app_{slugify(name)}")


async def _press(hass: HomeAssistant, action: str, *, answer_awaited: bool = False) -> None:
    """Press a notification button.

    ``answer_awaited``: the run then waits for a second press, so do not wait for it to finish (it
    would not until the question times out).
    """
    hass.bus.async_fire("mobile_app_notification_action", {"action": action})
    if not answer_awaited:
        await hass.async_block_till_done()
        return
    for _ in range(50):
        await asyncio.sleep(0)


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
    hass: HomeAssistant, numbers: MockConfigEntry, freezer: Any
) -> None:
    pixel, calls = _phone(hass, "Pixel 9", "Google")
    hass.data["notify_calls"] = calls
    await _automation(
        hass,
        "keep_alive_reminder.yaml",
        {
            "deadlines": ["sensor.ultra_keep_alive_deadline", "sensor.gv_keep_alive_deadline"],
            "notify_device": pixel,
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
    first = calls[0].data
    assert first["title"] == "Keep GV alive"
    assert first["message"] == (
        "GV must be kept alive by 2026-11-30 (3 days left). "
        "Make a call or send a text from it before then."
    )
    gv, ultra = _device(hass, "sub-0112"), _device(hass, "sub-0111")
    # A free number (Google Voice): nothing to pay, only its use keeps it.
    assert first["data"] == {
        "tag": f"esim_keeper_{gv}",
        "actions": [
            {
                "action": f"ESIM_KEEPER_USED|{gv}|automation.under_test",
                "title": "I used this number",
            },
        ],
    }
    last = calls[-1].data
    assert last["message"].startswith("Ultra must be kept alive by 2026-12-31 (today)")
    assert last["message"].endswith(
        "Pay at the carrier and record it, or use the number, before then."
    )
    # A hand-kept paid number: nothing to renew. On Android "I paid" only asks (a second step).
    assert last["data"]["actions"] == [
        {"action": f"ESIM_KEEPER_ASK_PAID|{ultra}|automation.under_test", "title": "I paid"},
        {
            "action": f"ESIM_KEEPER_USED|{ultra}|automation.under_test",
            "title": "I used this number",
        },
    ]


async def test_other_notify_targets_get_the_text_without_buttons(
    hass: HomeAssistant, numbers: MockConfigEntry, notify_calls: list[ServiceCall], freezer: Any
) -> None:
    sent = async_mock_service(hass, "notify", "send_message")
    await _automation(
        hass,
        "keep_alive_reminder.yaml",
        {
            "deadlines": ["sensor.gv_keep_alive_deadline"],
            "notify_entities": ["notify.family_chat"],
            "notify_action": "notify.phone",
        },
    )
    assert await _days(hass, freezer, date(2026, 11, 27), date(2026, 11, 27))
    text = {
        "title": "Keep GV alive",
        "message": "GV must be kept alive by 2026-11-30 (3 days left). "
        "Make a call or send a text from it before then.",
    }
    assert [c.data for c in notify_calls] == [text]
    assert [c.data for c in sent] == [{"entity_id": ["notify.family_chat"], **text}]


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
            "GV 的保号截止日是 2026-11-30，还剩 3 天。请在此之前用这个号码打个电话或发条短信。"
        ),
    }


async def test_iphone_buttons_act_after_unlock_and_say_how_it_went(
    hass: HomeAssistant, numbers: MockConfigEntry, freezer: Any
) -> None:
    iphone, calls = _phone(hass, "Lin's iPhone", "Apple")
    hass.data["notify_calls"] = calls
    await _automation(
        hass,
        "keep_alive_reminder.yaml",
        {
            "deadlines": ["sensor.ultra_keep_alive_deadline", "sensor.gv_keep_alive_deadline"],
            "notify_device": iphone,
        },
    )
    assert await _days(hass, freezer, date(2026, 11, 27), date(2026, 11, 27))
    gv, ultra = _device(hass, "sub-0112"), _device(hass, "sub-0111")
    buttons = {a["title"]: a["action"] for a in calls[0].data["data"]["actions"]}
    assert list(buttons) == ["I used this number"]  # GV is free: nothing to pay
    paid = f"ESIM_KEEPER_PAID|{ultra}|automation.under_test"

    # "I used this number" on GV: the real action resets its activity clock (+90 days), and
    # the phone hears back, in place of the reminder (same tag).
    await _press(hass, buttons["I used this number"])
    deadline = hass.states.get("sensor.gv_keep_alive_deadline")
    assert deadline is not None
    assert deadline.state.startswith("2027-02-2")
    assert calls[-1].data == {
        "title": "GV: done",
        "message": "Recorded: you used GV today. It must now be kept alive by 2027-02-25.",
        "data": {"tag": f"esim_keeper_{gv}"},
    }

    # "I paid" on Ultra records the payment (never a charge); the message is eSIM Keeper's own,
    # with the method as a word.
    await _press(hass, paid)
    assert calls[-1].data["title"] == "Ultra: done"
    assert calls[-1].data["message"] == "Recorded: you paid 3.00 USD for Ultra by Card."
    # Pressed again: refused (already recorded), and the phone is told nothing was recorded.
    await _press(hass, paid)
    assert calls[-1].data == {
        "title": "Ultra: not done",
        "message": "The payment for Ultra was not recorded. Open Home Assistant to see why.",
        "data": {"tag": f"esim_keeper_{ultra}"},
    }
    count = len(calls)
    # A press from another automation (other tag) or for a number not watched does nothing.
    await _press(hass, f"ESIM_KEEPER_PAID|{ultra}|automation.other")
    await _press(hass, paid.replace(ultra, "not-a-device"))
    assert len(calls) == count

    # GV was handled: no GV reminder any more (Ultra's come in December).
    assert await _days(hass, freezer, date(2026, 11, 28), date(2026, 12, 1)) == [date(2026, 12, 1)]
    assert all("GV" not in call.data["title"] for call in calls[count:])
    # The paying button asks for Face ID or the passcode first (iOS only knows this).
    assert calls[-1].data["data"]["actions"][0] == {
        "action": paid,
        "title": "I paid",
        "authenticationRequired": True,
    }


async def test_android_asks_again_before_recording_a_payment(
    hass: HomeAssistant, numbers: MockConfigEntry, freezer: Any
) -> None:
    """Android buttons act without unlocking: "I paid" only asks a second question.

    The question is hidden on the lock screen; its "Yes" records, once; "Cancel" or no answer
    records nothing.
    """
    pixel, calls = _phone(hass, "Pixel 9", "Google")
    hass.data["notify_calls"] = calls
    await hass.config.async_update(language="zh-Hans")
    await _automation(
        hass,
        "keep_alive_reminder.yaml",
        {
            "deadlines": ["sensor.ultra_keep_alive_deadline"],
            "notify_device": pixel,
            "language": "zh-Hans",
            "lead_days": "35",
        },
    )
    assert await _days(hass, freezer, date(2026, 11, 26), date(2026, 11, 26))
    ultra = _device(hass, "sub-0111")
    ask, _ = calls[0].data["data"]["actions"]
    assert ask == {
        "action": f"ESIM_KEEPER_ASK_PAID|{ultra}|automation.under_test",
        "title": "我已付款",
    }
    history = await hass.services.async_call(
        DOMAIN, "get_history", {"device_id": ultra}, blocking=True, return_response=True
    )
    assert history == {"renewals": []}

    async def recorded() -> int:
        response = await hass.services.async_call(
            DOMAIN, "get_history", {"device_id": ultra}, blocking=True, return_response=True
        )
        assert response is not None
        return len(response["renewals"])  # type: ignore[arg-type]

    # Cancel: nothing recorded, the question is taken off the phone.
    await _press(hass, ask["action"], answer_awaited=True)
    question = calls[-1].data
    assert question["title"] == "记录 Ultra 的付款？"
    assert question["data"]["visibility"] == "secret"
    assert question["data"]["tag"] == f"esim_keeper_{ultra}"
    yes, no = question["data"]["actions"]
    assert (yes["title"], no["title"]) == ("确认记录", "取消")
    await _press(hass, no["action"])
    assert calls[-1].data == {
        "message": "clear_notification",
        "data": {"tag": f"esim_keeper_{ultra}"},
    }
    assert await recorded() == 0

    # Yes: recorded once, and the phone says so in Chinese; a second "Yes" does nothing.
    await _press(hass, ask["action"], answer_awaited=True)
    yes = calls[-1].data["data"]["actions"][0]
    await _press(hass, yes["action"])
    assert calls[-1].data["title"] == "Ultra：已完成"
    assert calls[-1].data["message"] == "已记录：你通过信用卡/借记卡为 Ultra 支付了 3.00 USD。"
    count = len(calls)
    await _press(hass, yes["action"])
    assert len(calls) == count
    assert await recorded() == 1


async def test_low_balance_on_change_and_every_few_days(
    hass: HomeAssistant, numbers: MockConfigEntry, freezer: Any
) -> None:
    phone, notify_calls = _phone(hass, "Pixel 9", "Google")
    hass.data["notify_calls"] = notify_calls
    await _automation(
        hass,
        "low_balance.yaml",
        {
            "low_balance": ["binary_sensor.ultra_balance_too_low_for_renewal"],
            "notify_device": phone,
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
    hass: HomeAssistant, numbers: MockConfigEntry, freezer: Any
) -> None:
    phone, notify_calls = _phone(hass, "Pixel 9", "Google")
    hass.data["notify_calls"] = notify_calls
    await _automation(
        hass,
        "digest.yaml",
        {"notify_device": phone, "weekdays": ["fri"], "language": "zh-Hans"},
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


@pytest.mark.parametrize(
    ("language", "declined", "renewed"),
    [
        (
            "en",
            "Tello was not renewed, nothing was charged: Carrier balance: declined (insufficient "
            "funds); Card: declined (insufficient funds); PayPal: declined (insufficient funds).",
            "Tello renewed: 5.00 USD paid by Card.",
        ),
        (
            "zh-Hans",
            "Tello 续费未成功，没有扣任何费用："
            "运营商余额：被拒绝（余额不足）；信用卡/借记卡：被拒绝（余额不足）；"
            "PayPal：被拒绝（余额不足）。",
            "Tello 续费成功，已通过信用卡/借记卡支付 5.00 USD。",
        ),
    ],
)
async def test_renew_button_says_renewed_or_why_not_in_home_assistants_language(
    hass: HomeAssistant,
    socket_enabled: None,
    tmp_path: Path,
    language: str,
    declined: str,
    renewed: str,
) -> None:
    """The confirmation after "Renew now" is eSIM Keeper's own line.

    That is the renewal event's message: decline reasons and payment methods as words, in Home
    Assistant's language.
    """
    await hass.config.async_update(language=language)
    hass.config.config_dir = str(tmp_path)
    await async_install_shipped_files(hass)
    iphone, calls = _phone(hass, "iPhone", "Apple")
    async with running_sim() as sim:
        await setup_account(hass, bridge_entry(sim))
        await _automation(
            hass,
            "keep_alive_reminder.yaml",
            {"deadlines": ["sensor.tello_keep_alive_deadline"], "notify_device": iphone},
        )
        tello = _device(hass, "sub-0100", "bridge-entry")
        line = sim.state.lines["line-1"]
        line.decline_reason = "insufficient_funds"
        await _press(hass, f"ESIM_KEEPER_RENEW|{tello}|automation.under_test")
        assert calls[-1].data["message"] == declined
        assert line.charges == 0
        line.decline_reason = None
        await _press(hass, f"ESIM_KEEPER_RENEW|{tello}|automation.under_test")
        assert calls[-1].data["message"] == renewed
        assert line.charges == 1
        await hass.config_entries.async_unload("bridge-entry")
