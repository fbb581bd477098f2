"""Assist intents: a number's balance and keep-alive deadline, answered in English or Chinese.

Home Assistant's own HassGetState reads a timestamp sensor back as "2027-01-07T08:00:00+00:00" and
finds a sensor only when the question repeats the entity's name exactly, in the language the
entities were named in. Our sentences (sentences/<language>/esim_keeper.yaml, installed into
<config>/custom_sentences/ at start-up) name the number instead — its device name — and these
handlers answer with the date in the user's time zone and the days left.

Our sentences use a wildcard for the number's name, and custom sentences win over built-in ones. So
that "what is the checking balance" still reaches a bank's "Checking balance" sensor, a name that is
not one of our numbers is answered the way HassGetState answers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
import re
from typing import Any

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    intent,
)
from homeassistant.helpers.template import TemplateState
from homeassistant.util import dt as dt_util, language as language_util
import voluptuous as vol

from .const import DOMAIN
from .coordinator import EsimKeeperConfigEntry, NumberData
from .keeper.money import Money

INTENT_BALANCE = "EsimKeeperBalance"
INTENT_DEADLINE = "EsimKeeperDeadline"
SLOT_NUMBER = "number"  # the number's name as spoken (a wildcard)
SLOT_WORD = "word"  # what the user called the value: "balance", "保号截止日"...

EN, ZH = "en", "zh-Hans"

_EN_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ZH_WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
_ZH_CURRENCIES = {"USD": "美元", "CNY": "元", "EUR": "欧元", "GBP": "英镑", "HKD": "港币"}

# Words around a spoken name that are not part of it: "the Ultra line", "我的 Ultra 号码".
_LEADING = ("the", "my", "our", "我的", "我")
_TRAILING = ("line", "number", "phone", "sim", "esim", "号码", "这个号", "的")


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register our intents (Home Assistant's intent platform hook; safe to call twice)."""
    registered = {handler.intent_type for handler in intent.async_get(hass)}
    for handler in (BalanceIntentHandler(), DeadlineIntentHandler()):
        if handler.intent_type not in registered:
            intent.async_register(hass, handler)


def answer_language(language: str) -> str:
    """The language we answer in: English or Simplified Chinese (English when in doubt)."""
    matches = language_util.matches(language, [EN, ZH])
    return matches[0] if matches else EN


def _normalize(name: str) -> str:
    """Case, spacing and punctuation do not count: "mom's  tello" is "Mom's Tello"."""
    return "".join(re.findall(r"\w+", name.casefold()))


def _spoken_candidates(spoken: str) -> set[str]:
    """The spoken name, and the same without the words people put around a name."""
    text = re.sub(r"['’]s$", "", spoken.strip().casefold())
    words = re.findall(r"\w+", text)
    found = {"".join(words)}
    while words and words[0] in _LEADING:
        words = words[1:]
        found.add("".join(words))
    joined = "".join(words)
    changed = True
    while changed:
        changed = False
        for suffix in _TRAILING:
            if joined.endswith(suffix) and len(joined) > len(suffix):
                joined = joined.removesuffix(suffix)
                found.add(joined)
                changed = True
    for prefix in _LEADING:  # Chinese has no spaces: "我的ultra"
        for candidate in list(found):
            if candidate.startswith(prefix) and len(candidate) > len(prefix):
                found.add(candidate.removeprefix(prefix))
    found.discard("")
    return found


@dataclass(frozen=True, slots=True)
class Number:
    """One of our numbers as Assist sees it: its name, data, and the sensor asked about."""

    name: str
    data: NumberData | None  # None: not available (the last poll failed or lost it)
    entity_id: str | None


def our_numbers(hass: HomeAssistant, key: str) -> list[Number]:
    """Every number of every loaded account, with its ``key`` sensor (e.g. "balance")."""
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    numbers: list[Number] = []
    entry: EsimKeeperConfigEntry
    for entry in hass.config_entries.async_loaded_entries(DOMAIN):
        coordinator = entry.runtime_data.coordinator
        for subentry_id, config in coordinator.numbers.items():
            device = devices.async_get_device_by_identifier((DOMAIN, subentry_id), entry.entry_id)
            name = (device.name_by_user or device.name) if device else None
            data = coordinator.data.numbers.get(subentry_id) if coordinator.data else None
            numbers.append(
                Number(
                    name=name or config.name,
                    data=data if coordinator.last_update_success else None,
                    entity_id=entities.async_get_entity_id(
                        "sensor", DOMAIN, f"{subentry_id}_{key}"
                    ),
                )
            )
    return numbers


def _exposed(intent_obj: intent.Intent, number: Number) -> bool:
    if intent_obj.assistant is None:  # not asked through an assistant (e.g. the intent API)
        return True
    return number.entity_id is not None and async_should_expose(
        intent_obj.hass, intent_obj.assistant, number.entity_id
    )


def _join(names: list[str], lang: str) -> str:
    if lang == ZH:
        return "、".join(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def spoken_money(money: Money, lang: str) -> str:
    """An amount as it is said: "$10.00" / "10.00 美元"; at least two decimals."""
    amount = money.amount
    if int(amount.as_tuple().exponent) > -2:
        amount = amount.quantize(Decimal("0.01"))
    if lang == ZH:
        return f"{amount} {_ZH_CURRENCIES.get(money.currency, money.currency)}"
    if money.currency == "USD":
        return f"-${-amount}" if amount < 0 else f"${amount}"
    return f"{amount} {money.currency}"


def spoken_date(day: date, lang: str) -> str:
    """A date as it is said: "Thursday, January 7, 2027" / "2027年1月7日（星期四）"."""
    if lang == ZH:
        return f"{day.year}年{day.month}月{day.day}日（{_ZH_WEEKDAYS[day.weekday()]}）"
    return f"{_EN_WEEKDAYS[day.weekday()]}, {_EN_MONTHS[day.month - 1]} {day.day}, {day.year}"


_SLOT_SCHEMA: dict[Any, Any] = {
    vol.Required(SLOT_NUMBER): cv.string,
    vol.Optional(SLOT_WORD): cv.string,
}


class _NumberIntentHandler(intent.IntentHandler):
    """Finds the number that was named, then lets the subclass say something about it."""

    key: str  # the sensor asked about
    what: tuple[str, str]  # what it is called (English, Chinese), in "not exposed" answers
    slot_schema = _SLOT_SCHEMA

    def answer(self, number: Number, data: NumberData, lang: str) -> str:
        raise NotImplementedError

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        slots = self.async_validate_slots(intent_obj.slots)
        spoken: str = slots[SLOT_NUMBER]["value"]
        lang = answer_language(intent_obj.language)
        numbers = our_numbers(intent_obj.hass, self.key)
        candidates = _spoken_candidates(spoken)
        named = [n for n in numbers if _normalize(n.name) in candidates]
        response = intent_obj.create_response()
        if not named:
            word = slots.get(SLOT_WORD, {}).get("text") or slots.get(SLOT_WORD, {}).get("value")
            if word and (state := _other_entity(intent_obj, spoken, str(word))) is not None:
                return _get_state_answer(intent_obj, response, state, lang)
            known = [n.name for n in numbers if _exposed(intent_obj, n)]
            response.async_set_error(
                intent.IntentResponseErrorCode.NO_VALID_TARGETS, _unknown(spoken, known, lang)
            )
            return response
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        answers: list[str] = []
        for number in named:
            if not _exposed(intent_obj, number):
                what = self.what[1 if lang == ZH else 0]
                answers.append(
                    f"{number.name} 的{what}没有暴露给语音助手。"
                    if lang == ZH
                    else f"{number.name}'s {what} is not exposed to Assist."
                )
            elif number.data is None:
                answers.append(
                    f"暂时无法获取 {number.name} 的数据。"
                    if lang == ZH
                    else f"I can't get {number.name}'s data right now."
                )
            else:
                answers.append(self.answer(number, number.data, lang))
        response.async_set_speech(("" if lang == ZH else " ").join(answers))
        return response


def _unknown(spoken: str, known: list[str], lang: str) -> str:
    if lang == ZH:
        text = f"没有叫 {spoken} 的号码。"
        return text + (f"你的号码有：{_join(known, lang)}。" if known else "")
    text = f"I don't know a number called {spoken}."
    if not known:
        return text
    are = "is" if len(known) == 1 else "are"
    return f"{text} Your number{'' if len(known) == 1 else 's'} {are} {_join(known, lang)}."


def _other_entity(intent_obj: intent.Intent, spoken: str, word: str) -> State | None:
    """The entity HassGetState would have found for "<spoken> <word>", if any.

    Raises MatchFailedError, as HassGetState does, when that entity exists but is not exposed.
    """
    for name in (f"{spoken} {word}", f"{spoken}{word}"):
        constraints = intent.MatchTargetsConstraints(name=name, assistant=intent_obj.assistant)
        result = intent.async_match_targets(intent_obj.hass, constraints)
        if result.is_match:
            return result.states[0]
        if result.no_match_reason is intent.MatchFailedReason.ASSISTANT:
            raise intent.MatchFailedError(result=result, constraints=constraints)
    return None


def _get_state_answer(
    intent_obj: intent.Intent, response: intent.IntentResponse, state: State, lang: str
) -> intent.IntentResponse:
    """Say what HassGetState says for one entity: "<Name> is <state>" / "<名字>是<状态>"."""
    value = TemplateState(intent_obj.hass, state).state_with_unit
    name = state.name
    response.response_type = intent.IntentResponseType.QUERY_ANSWER
    response.async_set_states([state])
    response.async_set_speech(
        f"{name}是{value}" if lang == ZH else f"{name[:1].upper()}{name[1:]} is {value}"
    )
    return response


class BalanceIntentHandler(_NumberIntentHandler):
    """Answers "What is the Ultra balance?" / "Ultra 余额是多少"."""

    intent_type = INTENT_BALANCE
    key = "balance"
    what = ("balance", "余额")

    def answer(self, number: Number, data: NumberData, lang: str) -> str:
        balance = data.snapshot.balance
        if balance is None:
            return (
                f"暂时不知道 {number.name} 的余额。"
                if lang == ZH
                else f"I don't know {number.name}'s balance yet."
            )
        text = (
            f"{number.name} 的余额是 {spoken_money(balance, lang)}。"
            if lang == ZH
            else f"{number.name}'s balance is {spoken_money(balance, lang)}."
        )
        status = data.status
        if status.balance_covers_renewal is None or status.next_renewal_cost.amount <= 0:
            return text
        cost = spoken_money(status.next_renewal_cost, lang)
        if lang == ZH:
            return (
                text
                + ("够" if status.balance_covers_renewal else "不够")
                + f"支付下次续费（{cost}）。"
            )
        if status.balance_covers_renewal:
            return f"{text} That covers the next renewal of {cost}."
        return f"{text} That is not enough for the next renewal of {cost}."


class DeadlineIntentHandler(_NumberIntentHandler):
    """Answers "When is the Ultra keep-alive deadline?" / "Ultra 的保号截止日是什么时候"."""

    intent_type = INTENT_DEADLINE
    key = "keep_alive_deadline"
    what = ("keep-alive deadline", "保号截止日")

    def answer(self, number: Number, data: NumberData, lang: str) -> str:
        deadline = data.status.keep_alive_deadline
        name = number.name
        if deadline is None:
            return (
                f"暂时不知道 {name} 的保号截止日。"
                if lang == ZH
                else f"I don't know {name}'s keep-alive deadline yet."
            )
        day = dt_util.as_local(deadline).date()
        days = (day - dt_util.now().date()).days
        when = spoken_date(day, lang)
        if lang == ZH:
            if days > 0:
                return f"{name} 的保号截止日是 {when}，还有 {days} 天。"
            if days == 0:
                return f"{name} 的保号截止日就是今天，{when}。"
            return f"{name} 的保号截止日是 {when}，已经过了 {-days} 天。"
        if days > 1:
            return f"{name} must be kept alive by {when} — {days} days from now."
        if days == 1:
            return f"{name} must be kept alive by {when} — that is tomorrow."
        if days == 0:
            return f"{name} must be kept alive today, {when}."
        ago = "yesterday" if days == -1 else f"{-days} days ago"
        return f"{name}'s keep-alive deadline was {when} — {ago}."
