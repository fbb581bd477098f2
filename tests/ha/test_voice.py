"""Voice (issues 7 and 18).

Assist answers a number's balance, keep-alive deadline, plan expiry and spending this year, which
numbers need attention, and records "I used Ultra today", in English and Chinese, through Home
Assistant's own conversation agent and the sentences we install.

Two Manual numbers, in Shanghai, on Thursday 26 November 2026 at 08:00:
- "Ultra" (Ultra PayGo, grace 30 days): 10.00 USD, plan expiry 2026-12-08 00:00 Los Angeles, so the
  keep-alive deadline (number-loss date) is 2027-01-07 00:00 Los Angeles = 16:00 Shanghai, a
  Thursday 42 days away.
- "GV" (Google Voice, 90-day activity rule): 0 USD, last used 2026-09-01 Los Angeles, so its
  deadline is 2026-11-30 (a Monday, 4 days away).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
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
from custom_components.esim_keeper.history import Verification
from custom_components.esim_keeper.installer import shipped_files
from custom_components.esim_keeper.intent import (
    INTENT_ATTENTION,
    INTENT_BALANCE,
    INTENT_DEADLINE,
    INTENT_EXPIRY,
    INTENT_SPENT,
    INTENT_USED,
    answer_language,
    async_setup_intents,
    spoken_day,
    spoken_money,
)
from custom_components.esim_keeper.keeper.model import LineState, StatusReason
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.runtime import EsimKeeperConfigEntry

from .accounts import manual_account, manual_ledger

# --- What users actually say (written before the sentences; every one is tested below) --------
# {N} is the number's name as spoken.
PHRASINGS_EN: dict[str, tuple[str, ...]] = {
    "attention": (
        "Which numbers need attention?",
        "which of my numbers need attention",
        "do any of my numbers need attention",
        "are any of my numbers at risk",
        "is anything wrong with my numbers",
        "what needs my attention",
        "how are my numbers doing",
    ),
    "expiry": (
        "When does {N} expire?",
        "when does the {N} plan expire",
        "when does {N}'s plan expire",
        "what is the {N} plan expiry",
        "when is the {N} expiry date",
    ),
    "spent": (
        "How much did {N} cost this year?",
        "how much has {N} cost me this year",
        "what did {N} cost this year",
        "how much did I spend on {N} this year",
        "how much have I paid for {N} this year",
    ),
    "used": (
        "I used {N} today",
        "I just used {N}",
        "I made a call on {N}",
        "I sent a text from {N} today",
        "mark {N} as used",
    ),
}
PHRASINGS_ZH: dict[str, tuple[str, ...]] = {
    "attention": (
        "哪些号码需要处理",
        "哪个号码需要处理",
        "有没有号码需要处理",
        "有号码要处理吗",
        "哪些号码有问题",
        "我的号码都正常吗",
        "号码有什么要注意的吗",
    ),
    "expiry": (
        "{N}什么时候到期",
        "{N}的套餐什么时候到期",
        "{N}套餐到期日是哪天",
        "{N}的套餐到期日是几号",
        "查一下{N}的套餐到期日",
    ),
    "spent": (
        "{N}今年花了多少钱",
        "今年{N}花了多少钱",
        "{N}今年一共花了多少",
        "我今年在{N}上花了多少钱",
        "{N}今年交了多少钱",
    ),
    "used": (
        "我今天用过{N}",
        "我今天用了{N}",
        "{N}今天用过了",
        "我刚用{N}打了电话",
        "我今天用{N}发了短信",
        "记一下{N}今天用过",
    ),
}


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


ULTRA_BALANCE_EN = "Ultra's balance is 10 dollars. That covers the next renewal of 3 dollars."
ULTRA_DEADLINE_EN = "Ultra's keep-alive deadline is January 7, 2027, in 42 days."
ULTRA_BALANCE_ZH = "Ultra 的余额是 10 美元，够付下次续费的 3 美元。"
ULTRA_DEADLINE_ZH = "Ultra 的保号截止日是2027年1月7日，还有42天。"


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
        (
            "what is the GV balance",
            "GV is free: it has no balance to keep up. "
            "Its keep-alive deadline is November 30, in 4 days.",
        ),
        (
            "when is the GV deadline",
            "GV's keep-alive deadline is November 30, in 4 days.",
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
        ("GV 的保号期限是几号", "GV 的保号截止日是11月30日，还有4天。"),
        ("GV还剩多少钱", "GV 是免费号码，不用充值，没有余额。保号截止日是11月30日，还有4天。"),
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
    """Why we ship intents.

    HassGetState reads the deadline back as an ISO timestamp and knows the balance only by the
    entity's exact name, in the language the entities were named in.
    """
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


async def test_a_copy_edited_before_answers_moved_to_the_file_still_answers(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    """A user's copy from an older version has sentences but no response templates.

    The agent would answer with silence, so the templates we ship speak instead.
    """
    target = tmp_path / "custom_sentences" / "en" / "esim_keeper.yaml"
    target.parent.mkdir(parents=True)
    text = (SENTENCES / "en" / "esim_keeper.yaml").read_text()
    target.write_text(
        text[text.index("intents:\n  EsimKeeperBalance:") :].replace(
            "intents:\n  EsimKeeperBalance:", "language: en\nintents:\n  EsimKeeperBalance:", 1
        )
    )
    assert "responses:" not in target.read_text()
    await _start(hass, tmp_path, "en")
    assert await _ask(hass, "What is the Ultra balance?", "en") == (
        "query_answer",
        ULTRA_BALANCE_EN,
    )


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
    async_expose_entity(hass, "conversation", "sensor.ultra_plan_expiry", should_expose=True)
    assert await _ask(hass, "what is the Ultra balance", "en") == (
        "query_answer",
        "Ultra's balance is not exposed to Assist.",
    )
    assert await _ask(hass, "Ultra 的保号截止日是什么时候", "zh-Hans") == (
        "query_answer",
        "Ultra 的保号截止日没有公开给语音助手。",
    )
    # Only numbers with an entity exposed for the question are offered.
    assert await _ask(hass, "when does Mint expire", "en") == (
        "error",
        "I don't know a number called Mint. Your number is Ultra.",
    )
    assert await _ask(hass, "what is the Mint balance", "en") == (
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
    assert (await _ask(hass, "what is the Google balance", "en"))[1].startswith("Google is free")
    devices.async_update_device(gv.id, name_by_user="ULTRA")
    kind, speech = await _ask(hass, "what is the Ultra balance", "en")
    assert (kind, speech) == (
        "query_answer",
        f"{ULTRA_BALANCE_EN} ULTRA is free: it has no balance to keep up. "
        "Its keep-alive deadline is November 30, in 4 days.",
    )


async def test_deadline_today_tomorrow_and_past(
    hass: HomeAssistant, tmp_path: Path, frozen_now: Any
) -> None:
    await _start(hass, tmp_path, "en")
    expected = {
        datetime(2026, 11, 29, 9, tzinfo=SHANGHAI): (
            "GV's keep-alive deadline is tomorrow, November 30.",
            "GV 的保号截止日是11月30日，就是明天。",
        ),
        datetime(2026, 11, 30, 9, tzinfo=SHANGHAI): (
            "GV's keep-alive deadline is today, November 30.",
            "GV 的保号截止日是11月30日，就是今天。",
        ),
        datetime(2026, 12, 1, 9, tzinfo=SHANGHAI): (
            "GV's keep-alive deadline was yesterday, November 30.",
            "GV 的保号截止日是11月30日，就是昨天。",
        ),
        datetime(2026, 12, 3, 9, tzinfo=SHANGHAI): (
            "GV's keep-alive deadline was November 30, 3 days ago.",
            "GV 的保号截止日是11月30日，已经过了3天。",
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
        "Ultra's balance is 10 dollars. That is not enough for the next renewal of 3 dollars."
    )
    assert (await _ask(hass, "Ultra余额是多少", "zh-Hans"))[1] == (
        "Ultra 的余额是 10 美元，不够付下次续费的 3 美元。"
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


def test_spoken_money_and_days() -> None:
    assert spoken_money(Money(Decimal("10.00"), "USD")) == {
        "amount": "10",
        "negative": False,
        "currency": "USD",
    }
    assert spoken_money(Money(Decimal("-1.5"), "USD"))["amount"] == "1.50"
    assert spoken_money(Money(Decimal("-1.5"), "USD"))["negative"] is True
    assert spoken_money(Money(Decimal("2.125"), "EUR"))["amount"] == "2.125"
    assert spoken_day(datetime(2026, 12, 15, 1, tzinfo=SHANGHAI)) == {
        "year": None,
        "month": 12,
        "day": 15,
        "days": 19,
    }
    # The user's time zone decides the day: 16:00 UTC is already the next day in Shanghai.
    assert spoken_day(datetime(2027, 1, 6, 16, tzinfo=ZoneInfo("UTC")))["day"] == 7
    assert [answer_language(x) for x in ("en-US", "zh-CN", "zh-Hans", "zh", "de")] == [
        "en",
        "zh-Hans",
        "zh-Hans",
        "zh-Hans",
        "en",
    ]


# --- the questions of issue 18 --------------------------------------------------------------------
# A family's account: "Ultra" and "GV" as above, and "妈妈的Tello" (Tello, 5 USD a month): 1.00 USD,
# plan expiry 2026-12-01 00:00 New York (13:00 Shanghai, 5 days away), so the balance won't cover
# the renewal.
MOM = "妈妈的Tello"
LAST_YEAR = "2025-06-01T00:00:00+00:00"  # Ultra's last reading, when payments are recorded


def _family_entry(ultra_read_at: str = READ) -> MockConfigEntry:
    return manual_account(
        (
            "+12025550111",
            "Ultra",
            "ultra_paygo",
            manual_ledger("10.00", "2026-12-08T08:00:00+00:00", read_at=ultra_read_at),
        ),
        (
            "+12025550112",
            "GV",
            "google_voice",
            manual_ledger(
                "0", "2035-01-01T08:00:00+00:00", "2026-09-01T07:00:00+00:00", read_at=READ
            ),
        ),
        (
            "+12025550113",
            MOM,
            "tello",
            manual_ledger("1.00", "2026-12-01T05:00:00+00:00", read_at=READ),
        ),
    )


async def _start_family(
    hass: HomeAssistant, tmp_path: Path, language: str, ultra_read_at: str = READ
) -> None:
    hass.config.config_dir = str(tmp_path)
    hass.config.language = language
    assert await async_setup_component(hass, "homeassistant", {})
    assert await async_setup_component(hass, "conversation", {})
    entry = _family_entry(ultra_read_at)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        async_expose_entity(hass, "conversation", item.entity_id, should_expose=True)


ATTENTION_EN = (
    "2 numbers need attention."
    " GV: it needs a call or a text soon; keep-alive deadline November 30, in 4 days."
    " 妈妈的Tello: the balance won't cover the next renewal;"
    " keep-alive deadline March 1, 2027, in 95 days."
)
ATTENTION_ZH = (
    "有两个号码需要处理。"
    "GV：要尽快打个电话或发条短信，保号截止日是11月30日，还有4天。"
    "妈妈的Tello：余额不够下次续费，保号截止日是2027年3月1日，还有95天。"
)
ANSWERS_EN = {
    "attention": ATTENTION_EN,
    "expiry": "Ultra's plan expires December 8, in 12 days.",
    "spent": "Ultra has cost nothing this year: no charge or payment is recorded.",
    "used": "Got it: Ultra was used today."
    " Its keep-alive deadline is now January 7, 2027, in 42 days.",
}
ANSWERS_ZH = {
    "attention": ATTENTION_ZH,
    "expiry": "Ultra 的套餐到期日是12月8日，还有12天。",
    "spent": "Ultra 今年还没花钱：没有已确认的扣款或付款记录。",
    "used": "好的，已记下 Ultra 今天用过。现在的保号截止日是2027年1月7日，还有42天。",
}


@pytest.mark.parametrize(
    ("question", "text"),
    [(q, t.replace("{N}", "Ultra")) for q, texts in PHRASINGS_EN.items() for t in texts],
)
async def test_english_phrasings(
    hass: HomeAssistant, tmp_path: Path, question: str, text: str
) -> None:
    """Every English phrasing users say is understood and answered."""
    await _start_family(hass, tmp_path, "en")
    kind = "action_done" if question == "used" else "query_answer"
    assert await _ask(hass, text, "en") == (kind, ANSWERS_EN[question])


@pytest.mark.parametrize(
    ("question", "text"),
    [(q, t.replace("{N}", "Ultra")) for q, texts in PHRASINGS_ZH.items() for t in texts],
)
async def test_chinese_phrasings(
    hass: HomeAssistant, tmp_path: Path, question: str, text: str
) -> None:
    """Every Chinese phrasing users say is understood and answered."""
    await _start_family(hass, tmp_path, "zh-Hans")
    kind = "action_done" if question == "used" else "query_answer"
    assert await _ask(hass, text, "zh-Hans") == (kind, ANSWERS_ZH[question])


async def test_a_number_with_a_chinese_name(hass: HomeAssistant, tmp_path: Path) -> None:
    await _start_family(hass, tmp_path, "zh-Hans")
    assert await _ask(hass, "妈妈的Tello什么时候到期", "zh-Hans") == (
        "query_answer",
        "妈妈的Tello 的套餐到期日是12月1日，还有5天。",
    )
    assert await _ask(hass, "妈妈的tello余额是多少", "zh-Hans") == (
        "query_answer",
        "妈妈的Tello 的余额是 1 美元，不够付下次续费的 5 美元。",
    )
    assert await _ask(hass, "when does 妈妈的Tello expire", "en") == (
        "query_answer",
        "妈妈的Tello's plan expires December 1, in 5 days.",
    )


async def test_a_free_number_has_no_plan_expiry(hass: HomeAssistant, tmp_path: Path) -> None:
    """Google Voice's "plan expiry" is a placeholder ten years away: the deadline is what counts."""
    await _start_family(hass, tmp_path, "en")
    assert await _ask(hass, "when does GV expire", "en") == (
        "query_answer",
        "GV is free: it has no plan to expire. Its keep-alive deadline is November 30, in 4 days.",
    )
    assert await _ask(hass, "GV什么时候到期", "zh-Hans") == (
        "query_answer",
        "GV 是免费号码，没有套餐到期日。保号截止日是11月30日，还有4天。",
    )


async def _pay(hass: HomeAssistant, **data: Any) -> None:
    ultra = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, "sub-0111"), "manual-entry")
    assert ultra is not None
    await hass.services.async_call(
        DOMAIN, "record_payment", {"device_id": ultra.id, **data}, blocking=True
    )


async def test_what_a_number_cost_this_year(hass: HomeAssistant, tmp_path: Path) -> None:
    """Confirmed money of this (Shanghai) year only; what was paid in yuan where recorded."""
    await _start_family(hass, tmp_path, "en", ultra_read_at=LAST_YEAR)
    # 2025-12-31 17:00 UTC is already 2026 in Shanghai; 15:00 UTC is still 2025.
    await _pay(hass, amount="3.00", paid_at="2025-12-31T15:00:00+00:00")
    await _pay(hass, amount="3.00", paid_at="2025-12-31T17:00:00+00:00")
    await _pay(
        hass,
        amount="3.00",
        paid_at="2026-10-08T10:00:00+00:00",
        paid_amount="21.50",
        paid_currency="CNY",
    )
    await _pay(hass, amount="3.50", paid_at="2026-11-08T10:00:00+00:00")
    assert await _ask(hass, "How much did Ultra cost this year?", "en") == (
        "query_answer",
        "Ultra cost 9.50 dollars this year, in 3 payments. You paid 21.50 yuan for one of them.",
    )
    assert await _ask(hass, "Ultra今年花了多少钱", "zh-Hans") == (
        "query_answer",
        "Ultra 今年花了 9.50 美元，共三笔。其中一笔你实际付了 21.50 元。",
    )


async def test_cost_when_every_payment_was_recorded_in_yuan(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    await _start_family(hass, tmp_path, "zh-Hans", ultra_read_at=LAST_YEAR)
    await _pay(
        hass, amount="3", paid_at="2026-10-08T10:00:00+00:00", paid_amount="21", paid_currency="CNY"
    )
    assert await _ask(hass, "what did Ultra cost this year", "en") == (
        "query_answer",
        "Ultra cost 3 dollars this year, in 1 payment. You paid 21 yuan.",
    )
    assert await _ask(hass, "我今年在Ultra上花了多少钱", "zh-Hans") == (
        "query_answer",
        "Ultra 今年花了 3 美元，共一笔。你实际付了 21 元。",
    )


async def test_i_used_a_number_today(hass: HomeAssistant, tmp_path: Path) -> None:
    """Recorded as the record_activity action records it: GV's 90-day clock restarts now."""
    await _start_family(hass, tmp_path, "en")
    assert await _ask(hass, "I used GV today", "en") == (
        "action_done",
        "Got it: GV was used today. Its keep-alive deadline is now February 24, 2027, in 90 days.",
    )
    state = hass.states.get("sensor.gv_keep_alive_deadline")
    assert state is not None
    assert state.state == "2027-02-24T00:00:00+00:00"  # 08:00 in Shanghai
    assert await _ask(hass, "我今天用过GV", "zh-Hans") == (
        "action_done",
        "好的，已记下 GV 今天用过。现在的保号截止日是2027年2月24日，还有90天。",
    )


async def test_a_carrier_that_reports_use_itself_is_refused(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    await _start_family(hass, tmp_path, "en")
    entry: EsimKeeperConfigEntry = hass.config_entries.async_get_entry("manual-entry")  # type: ignore[assignment]
    provider = entry.runtime_data.coordinator.provider
    # As if the carrier reported use itself (Twilio, a bridge that does): its word stands.
    provider.capabilities = replace(  # type: ignore[misc]
        provider.capabilities, keeps_activity=False, reports_activity=True
    )
    before = hass.states.get("sensor.gv_keep_alive_deadline")
    assert await _ask(hass, "I used GV today", "en") == (
        "action_done",
        "GV's carrier reports its use itself, so there is nothing to record.",
    )
    assert await _ask(hass, "我今天用过GV", "zh-Hans") == (
        "action_done",
        "GV 的使用情况由运营商自动上报，不用手动记录。",
    )
    assert hass.states.get("sensor.gv_keep_alive_deadline") == before


async def test_attention_when_all_is_fine_and_with_no_numbers(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    await _start(hass, tmp_path, "en", expose=False)
    assert await _ask(hass, "which numbers need attention", "en") == (
        "query_answer",
        "You have no numbers in eSIM Keeper yet.",
    )
    assert await _ask(hass, "哪些号码需要处理", "zh-Hans") == (
        "query_answer",
        "eSIM Keeper 里还没有号码。",
    )
    async_expose_entity(hass, "conversation", "sensor.ultra_status", should_expose=True)
    assert await _ask(hass, "which numbers need attention", "en") == (
        "query_answer",
        "All your numbers are fine: none needs attention.",
    )
    assert await _ask(hass, "我的号码都正常吗", "zh-Hans") == (
        "query_answer",
        "你的号码都正常，没有需要处理的。",
    )


async def test_attention_names_unverified_and_lost_numbers(
    hass: HomeAssistant, tmp_path: Path
) -> None:
    await _start_family(hass, tmp_path, "en", ultra_read_at=LAST_YEAR)
    entry: EsimKeeperConfigEntry = hass.config_entries.async_get_entry("manual-entry")  # type: ignore[assignment]
    coordinator = entry.runtime_data.coordinator
    state = coordinator.data
    ultra = state.numbers["sub-0111"]
    lost = replace(
        ultra,
        status=replace(ultra.status, state=LineState.LOST, reason=StatusReason.CARRIER_DELETED),
    )
    history = entry.runtime_data.renewals.history
    await _pay(hass, amount="3.00", paid_at="2026-11-20T10:00:00+00:00")
    coordinator.data = replace(state, numbers={**state.numbers, "sub-0111": lost})
    (record,) = history.records("sub-0111")
    record.verification = Verification.UNVERIFIED
    kind, speech = await _ask(hass, "which numbers need attention", "en")
    assert kind == "query_answer"
    assert speech == (
        "3 numbers need attention."
        " GV: it needs a call or a text soon; keep-alive deadline November 30, in 4 days."
        " 妈妈的Tello: the balance won't cover the next renewal;"
        " keep-alive deadline March 1, 2027, in 95 days."
        " Ultra: the number is gone: the carrier took it back;"
        " a renewal was paid but has not shown on the number yet."
    )
    kind, speech = await _ask(hass, "哪些号码有问题", "zh-Hans")
    assert kind == "query_answer"
    assert speech == (
        "有三个号码需要处理。"
        "GV：要尽快打个电话或发条短信，保号截止日是11月30日，还有4天。"
        "妈妈的Tello：余额不够下次续费，保号截止日是2027年3月1日，还有95天。"
        "Ultra：号码已被回收，已付的续费尚未到账。"
    )


async def test_intent_api_renders_the_shipped_answers(hass: HomeAssistant, tmp_path: Path) -> None:
    """Without the conversation agent (the intent API, an LLM's tool) our template speaks."""
    await _start_family(hass, tmp_path, "en")
    for intent_type, slots, language, speech in (
        (INTENT_ATTENTION, {}, "en", ATTENTION_EN),
        (INTENT_ATTENTION, {}, "zh-Hans", ATTENTION_ZH),
        (INTENT_EXPIRY, {"number": {"value": "Ultra"}}, "en", ANSWERS_EN["expiry"]),
        (INTENT_SPENT, {"number": {"value": "ultra"}}, "zh-Hans", ANSWERS_ZH["spent"]),
        (INTENT_USED, {"number": {"value": "Ultra"}}, "zh-Hans", ANSWERS_ZH["used"]),
        (
            INTENT_EXPIRY,
            {"number": {"value": "Mint"}},
            "en",
            "I don't know a number called Mint. Your numbers are Ultra, GV and 妈妈的Tello.",
        ),
    ):
        response = await intent.async_handle(hass, "test", intent_type, slots, language=language)
        assert response.speech["plain"]["speech"] == speech
        assert response.speech_slots["answers"]
