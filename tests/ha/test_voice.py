"""Voice (issue 7): Assist answers a number's balance and keep-alive deadline, in English and
Chinese, through Home Assistant's own conversation agent and the sentences we install.

Two Manual numbers, in Shanghai, on Thursday 26 November 2026 at 08:00:
- "Ultra" (Ultra PayGo, grace 30 days): 10.00 USD, plan expiry 2026-12-08 00:00 Los Angeles, so the
  keep-alive deadline (number-loss date) is 2027-01-07 00:00 Los Angeles = 16:00 Shanghai, a
  Thursday 42 days away.
- "GV" (Google Voice, 90-day activity rule): 0 USD, last used 2026-09-01 Los Angeles, so its
  deadline is 2026-11-30 (a Monday, 4 days away).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
import logging
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from homeassistant.components import conversation
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import device_registry as dr, entity_registry as er, intent
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.typing import (
    ClientSessionGenerator,
    WebSocketGenerator,
)

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.coordinator import EsimKeeperConfigEntry
from custom_components.esim_keeper.installer import shipped_files
from custom_components.esim_keeper.intent import (
    INTENT_BALANCE,
    INTENT_DEADLINE,
    answer_language,
    async_setup_intents,
    spoken_date,
    spoken_money,
)
from custom_components.esim_keeper.keeper.money import Money

from .accounts import manual_account, manual_ledger

SHANGHAI = ZoneInfo("Asia/Shanghai")
READ = "2026-11-26T00:00:00+00:00"
SENTENCES = Path(__file__).parents[2] / "custom_components" / "esim_keeper" / "sentences"


def _manual_entry() -> MockConfigEntry:
    return manual_account(
        (
            "+12025550111",
            "Ultra",
            "ultra_paygo",
            manual_ledger("10.00", "2026-12-08T08:00:00+00:00", read_at=READ),
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


async def _start(
    hass: HomeAssistant, tmp_path: Path, language: str, *, expose: bool = True
) -> None:
    """Home Assistant in ``language`` (entity names follow it), our account, conversation."""
    hass.config.config_dir = str(tmp_path)
    hass.config.language = language
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = _manual_entry()
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if expose:
        for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
            async_expose_entity(hass, "conversation", item.entity_id, should_expose=True)


@pytest.fixture(autouse=True)
async def shanghai(hass: HomeAssistant, frozen_now: Any) -> None:
    await hass.config.async_set_time_zone("Asia/Shanghai")
    frozen_now.move_to(datetime(2026, 11, 26, 8, 0, tzinfo=SHANGHAI))


async def _ask(hass: HomeAssistant, text: str, language: str) -> tuple[str, str]:
    """(response type, speech) of the default agent's answer."""
    result = await conversation.async_converse(hass, text, None, Context(), language=language)
    response = result.response.as_dict()
    return response["response_type"], response["speech"]["plain"]["speech"]


ULTRA_BALANCE_EN = "Ultra's balance is $10.00. That covers the next renewal of $3.00."
ULTRA_DEADLINE_EN = "Ultra must be kept alive by Thursday, January 7, 2027 — 42 days from now."
ULTRA_BALANCE_ZH = "Ultra 的余额是 10.00 美元。够支付下次续费（3.00 美元）。"
ULTRA_DEADLINE_ZH = "Ultra 的保号截止日是 2027年1月7日（星期四），还有 42 天。"


@pytest.mark.parametrize(
    ("text", "speech"),
    [
        ("What is the Ultra balance?", ULTRA_BALANCE_EN),
        ("what's Ultra's balance", ULTRA_BALANCE_EN),
        ("what is the ultra line credit", ULTRA_BALANCE_EN),
        ("how much money is left on my Ultra", ULTRA_BALANCE_EN),
        ("What is the Ultra keep-alive deadline?", ULTRA_DEADLINE_EN),
        ("when is the ultra keep alive deadline", ULTRA_DEADLINE_EN),
        ("When must I keep Ultra alive?", ULTRA_DEADLINE_EN),
        ("when will I lose Ultra", ULTRA_DEADLINE_EN),
        ("what is the GV balance", "GV's balance is $0.00."),
        (
            "when is the GV deadline",
            "GV must be kept alive by Monday, November 30, 2026 — 4 days from now.",
        ),
    ],
)
async def test_english_questions(
    hass: HomeAssistant, tmp_path: Path, text: str, speech: str
) -> None:
    await _start(hass, tmp_path, "en")
    assert await _ask(hass, text, "en") == ("query_answer", speech)


@pytest.mark.parametrize(
    ("text", "speech"),
    [
        ("Ultra余额是多少", ULTRA_BALANCE_ZH),
        ("Ultra 的余额是多少", ULTRA_BALANCE_ZH),
        ("查一下ultra的话费", ULTRA_BALANCE_ZH),
        ("Ultra还剩多少钱", ULTRA_BALANCE_ZH),
        ("Ultra 的保号截止日是什么时候", ULTRA_DEADLINE_ZH),
        ("Ultra保号截止时间是哪天", ULTRA_DEADLINE_ZH),
        ("Ultra什么时候要保号", ULTRA_DEADLINE_ZH),
        ("我的Ultra最晚哪天保号", ULTRA_DEADLINE_ZH),
        ("GV 的保号期限是几号", "GV 的保号截止日是 2026年11月30日（星期一），还有 4 天。"),
    ],
)
async def test_chinese_questions(
    hass: HomeAssistant, tmp_path: Path, text: str, speech: str
) -> None:
    await _start(hass, tmp_path, "zh-Hans")
    assert await _ask(hass, text, "zh-Hans") == ("query_answer", speech)


async def test_either_language_whatever_the_entities_are_called(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """Entities named in Chinese ("Ultra 余额") still answer English questions, and back."""
    await _start(hass, tmp_path, "zh-Hans")
    assert hass.states.get("sensor.ultra_balance").name == "Ultra 余额"  # type: ignore[union-attr]
    assert await _ask(hass, "what is the Ultra balance", "en") == (
        "query_answer",
        ULTRA_BALANCE_EN,
    )
    assert await _ask(hass, "when is the Ultra keep-alive deadline", "en") == (
        "query_answer",
        ULTRA_DEADLINE_EN,
    )


async def test_through_the_http_api(
    hass: HomeAssistant, tmp_path: Path, hass_client: ClientSessionGenerator
) -> None:
    await _start(hass, tmp_path, "en")
    client = await hass_client()
    for text, language, speech in (
        ("What is the Ultra balance?", "en", ULTRA_BALANCE_EN),
        ("Ultra 的保号截止日是什么时候", "zh-Hans", ULTRA_DEADLINE_ZH),
    ):
        answer = await client.post(
            "/api/conversation/process", json={"text": text, "language": language}
        )
        assert answer.status == 200
        body = await answer.json()
        assert body["response"]["speech"]["plain"]["speech"] == speech


async def test_built_in_agent_without_our_sentences(hass: HomeAssistant, tmp_path: Path) -> None:
    """Why we ship intents: HassGetState reads the deadline back as an ISO timestamp and knows
    the balance only by the entity's exact name, in the language the entities were named in."""
    await _start(hass, tmp_path, "en")
    for path in (tmp_path / "custom_sentences").rglob("*.yaml"):
        path.unlink()
    assert await _ask(hass, "what is the Ultra balance", "en") == (
        "query_answer",
        "Ultra balance is 10.00 USD",
    )
    assert await _ask(hass, "what is the Ultra keep-alive deadline", "en") == (
        "query_answer",
        "Ultra keep-alive deadline is 2027-01-07T08:00:00+00:00",
    )
    kind, speech = await _ask(hass, "Ultra余额是多少", "zh-Hans")
    assert kind == "error"  # "Ultra Balance" is not "Ultra余额"
    assert "Ultra" in speech


async def test_installed_sentences_are_what_the_agent_loads(
    hass: HomeAssistant, tmp_path: Path, hass_ws_client: WebSocketGenerator
) -> None:
    await _start(hass, tmp_path, "en")
    installed = {
        item.target: tmp_path.joinpath(*item.target)
        for item in shipped_files()
        if item.target[0] == "custom_sentences"
    }
    assert sorted(installed) == [
        ("custom_sentences", "en", "esim_keeper.yaml"),
        ("custom_sentences", "zh-CN", "esim_keeper.yaml"),
    ]
    for path in installed.values():
        assert path.read_bytes() == (SENTENCES / path.parent.name / path.name).read_bytes()
    client = await hass_ws_client(hass)
    for language, sentence, intent_name, file in (
        ("en", "what is the Ultra balance", INTENT_BALANCE, "en/esim_keeper.yaml"),
        # zh-Hans is served by the zh-CN intents, so our Chinese file lives in zh-CN/.
        ("zh-Hans", "Ultra的保号截止日是哪天", INTENT_DEADLINE, "zh-CN/esim_keeper.yaml"),
    ):
        await client.send_json_auto_id(
            {
                "type": "conversation/agent/homeassistant/debug",
                "sentences": [sentence],
                "language": language,
            }
        )
        msg = await client.receive_json()
        assert msg["success"]
        (result,) = msg["result"]["results"]
        assert result["intent"]["name"] == intent_name
        assert result["source"] == "custom"
        assert result["file"] == file
        assert result["slots"]["number"] == "Ultra"


async def test_an_edited_sentence_file_is_the_one_used(hass: HomeAssistant, tmp_path: Path) -> None:
    """The user's copy wins: a sentence they add there is understood."""
    target = tmp_path / "custom_sentences" / "en" / "esim_keeper.yaml"
    target.parent.mkdir(parents=True)
    text = (SENTENCES / "en" / "esim_keeper.yaml").read_text()
    target.write_text(
        text.replace(
            '          - "how much (money|credit) does',
            '          - "how rich is {esim_keeper_number:number}"\n'
            '          - "how much (money|credit) does',
        )
    )
    await _start(hass, tmp_path, "en")
    assert "how rich is" in target.read_text()
    assert await _ask(hass, "how rich is Ultra", "en") == ("query_answer", ULTRA_BALANCE_EN)


async def test_other_entities_keep_their_built_in_answers(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """Our wildcard sentences must not steal questions about other integrations' sensors."""
    await _start(hass, tmp_path, "en")
    hass.states.async_set(
        "sensor.checking_balance",
        "123.45",
        {"friendly_name": "Checking balance", "unit_of_measurement": "USD"},
    )
    hass.states.async_set(
        "sensor.bank_balance", "88", {"friendly_name": "Bank 余额", "unit_of_measurement": "CNY"}
    )
    hass.states.async_set("sensor.project_deadline", "soon", {"friendly_name": "Project deadline"})
    for entity_id in ("sensor.checking_balance", "sensor.bank_balance"):
        async_expose_entity(hass, "conversation", entity_id, should_expose=True)
    assert await _ask(hass, "what is the checking balance", "en") == (
        "query_answer",
        "Checking balance is 123.45 USD",
    )
    assert await _ask(hass, "Bank余额是多少", "zh-Hans") == ("query_answer", "Bank 余额是88 CNY")
    # The project deadline exists but is not exposed: Home Assistant's own answer.
    assert await _ask(hass, "what is the project deadline", "en") == (
        "error",
        "Sorry, project deadline is not exposed",
    )
    # Other entities' questions are untouched.
    assert await _ask(hass, "what is the Ultra status", "en") == (
        "query_answer",
        "Ultra status is active",
    )


async def test_unknown_names_get_a_helpful_answer(hass: HomeAssistant, tmp_path: Path) -> None:
    await _start(hass, tmp_path, "en")
    assert await _ask(hass, "what is the Mint balance", "en") == (
        "error",
        "I don't know a number called Mint. Your numbers are Ultra and GV.",
    )
    assert await _ask(hass, "Mint 的保号截止日是什么时候", "zh-Hans") == (
        "error",
        "没有叫 Mint 的号码。你的号码有：Ultra、GV。",
    )


async def test_numbers_that_are_not_exposed(hass: HomeAssistant, tmp_path: Path) -> None:
    await _start(hass, tmp_path, "en", expose=False)
    async_expose_entity(hass, "conversation", "sensor.gv_balance", should_expose=True)
    assert await _ask(hass, "what is the Ultra balance", "en") == (
        "query_answer",
        "Ultra's balance is not exposed to Assist.",
    )
    assert await _ask(hass, "Ultra 的保号截止日是什么时候", "zh-Hans") == (
        "query_answer",
        "Ultra 的保号截止日没有暴露给语音助手。",
    )
    # Only numbers whose sensor is exposed are offered.
    assert await _ask(hass, "what is the Mint balance", "en") == (
        "error",
        "I don't know a number called Mint. Your number is GV.",
    )
    assert await _ask(hass, "when is the Mint deadline", "en") == (
        "error",
        "I don't know a number called Mint.",
    )
    assert await _ask(hass, "Mint的保号截止日是哪天", "zh-Hans") == (
        "error",
        "没有叫 Mint 的号码。",
    )


async def test_a_renamed_device_and_two_numbers_of_one_name(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    await _start(hass, tmp_path, "en")
    devices = dr.async_get(hass)
    gv = devices.async_get_device_by_identifier((DOMAIN, "sub-0112"), "manual-entry")
    assert gv is not None
    devices.async_update_device(gv.id, name_by_user="Google")
    assert (await _ask(hass, "what is the Google balance", "en"))[1].startswith("Google's balance")
    devices.async_update_device(gv.id, name_by_user="ULTRA")
    kind, speech = await _ask(hass, "what is the Ultra balance", "en")
    assert (kind, speech) == ("query_answer", f"{ULTRA_BALANCE_EN} ULTRA's balance is $0.00.")


async def test_deadline_today_tomorrow_and_past(
    hass: HomeAssistant, tmp_path: Path, frozen_now: Any
) -> None:
    await _start(hass, tmp_path, "en")
    expected = {
        datetime(2026, 11, 29, 9, tzinfo=SHANGHAI): (
            "GV must be kept alive by Monday, November 30, 2026 — that is tomorrow.",
            "GV 的保号截止日是 2026年11月30日（星期一），还有 1 天。",
        ),
        datetime(2026, 11, 30, 9, tzinfo=SHANGHAI): (
            "GV must be kept alive today, Monday, November 30, 2026.",
            "GV 的保号截止日就是今天，2026年11月30日（星期一）。",
        ),
        datetime(2026, 12, 1, 9, tzinfo=SHANGHAI): (
            "GV's keep-alive deadline was Monday, November 30, 2026 — yesterday.",
            "GV 的保号截止日是 2026年11月30日（星期一），已经过了 1 天。",
        ),
        datetime(2026, 12, 3, 9, tzinfo=SHANGHAI): (
            "GV's keep-alive deadline was Monday, November 30, 2026 — 3 days ago.",
            "GV 的保号截止日是 2026年11月30日（星期一），已经过了 3 天。",
        ),
    }
    for when, (english, chinese) in expected.items():
        frozen_now.move_to(when)
        assert (await _ask(hass, "when is the GV deadline", "en"))[1] == english
        assert (await _ask(hass, "GV的保号截止日是哪天", "zh-Hans"))[1] == chinese


async def test_unknown_values_and_an_account_that_cannot_be_reached(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    await _start(hass, tmp_path, "en")
    entry: EsimKeeperConfigEntry = hass.config_entries.async_get_entry("manual-entry")  # type: ignore[assignment]
    coordinator = entry.runtime_data.coordinator
    state = coordinator.data
    ultra = state.numbers["sub-0111"]
    unknown = replace(
        ultra,
        snapshot=replace(ultra.snapshot, balance=None),
        status=replace(ultra.status, keep_alive_deadline=None, balance_covers_renewal=None),
    )
    short = replace(ultra, status=replace(ultra.status, balance_covers_renewal=False))
    coordinator.data = replace(state, numbers={**state.numbers, "sub-0111": short})
    assert (await _ask(hass, "what is the Ultra balance", "en"))[1] == (
        "Ultra's balance is $10.00. That is not enough for the next renewal of $3.00."
    )
    assert (await _ask(hass, "Ultra余额是多少", "zh-Hans"))[1] == (
        "Ultra 的余额是 10.00 美元。不够支付下次续费（3.00 美元）。"
    )
    coordinator.data = replace(state, numbers={**state.numbers, "sub-0111": unknown})
    assert (await _ask(hass, "what is the Ultra balance", "en"))[1] == (
        "I don't know Ultra's balance yet."
    )
    assert (await _ask(hass, "Ultra余额是多少", "zh-Hans"))[1] == "暂时不知道 Ultra 的余额。"
    assert (await _ask(hass, "when is the Ultra deadline", "en"))[1] == (
        "I don't know Ultra's keep-alive deadline yet."
    )
    assert (await _ask(hass, "Ultra的保号截止日是哪天", "zh-Hans"))[1] == (
        "暂时不知道 Ultra 的保号截止日。"
    )
    coordinator.last_update_success = False
    assert (await _ask(hass, "what is the Ultra balance", "en"))[1] == (
        "I can't get Ultra's data right now."
    )
    assert (await _ask(hass, "Ultra余额是多少", "zh-Hans"))[1] == "暂时无法获取 Ultra 的数据。"


async def test_intents_register_once(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """async_setup registers them, and so does Home Assistant's intent platform: no warning."""
    caplog.set_level(logging.WARNING)
    await _start(hass, tmp_path, "en")
    await async_setup_intents(hass)
    names = [handler.intent_type for handler in intent.async_get(hass)]
    assert names.count(INTENT_BALANCE) == names.count(INTENT_DEADLINE) == 1
    assert "is being overwritten" not in caplog.text


async def test_the_intent_api_answers_without_an_assistant(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """Called directly (no assistant, so no exposure check), as automations or the intent API do."""
    await _start(hass, tmp_path, "en", expose=False)
    response = await intent.async_handle(
        hass, "test", INTENT_BALANCE, {"number": {"value": "the ultra"}}, language="en"
    )
    assert response.speech["plain"]["speech"] == ULTRA_BALANCE_EN


def test_spoken_money_and_dates() -> None:
    assert spoken_money(Money(Decimal("10"), "USD"), "en") == "$10.00"
    assert spoken_money(Money(Decimal("-1.5"), "USD"), "en") == "-$1.50"
    assert spoken_money(Money(Decimal("2.125"), "EUR"), "en") == "2.125 EUR"
    assert spoken_money(Money(Decimal("88"), "CNY"), "zh-Hans") == "88.00 元"
    assert spoken_money(Money(Decimal("5"), "JPY"), "zh-Hans") == "5.00 JPY"
    assert spoken_date(date(2027, 1, 7), "en") == "Thursday, January 7, 2027"
    assert spoken_date(date(2027, 1, 10), "zh-Hans") == "2027年1月10日（星期日）"
    assert [answer_language(x) for x in ("en-US", "zh-CN", "zh-Hans", "zh", "de")] == [
        "en",
        "zh-Hans",
        "zh-Hans",
        "zh-Hans",
        "en",
    ]
