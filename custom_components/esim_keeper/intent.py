"""Assist intents: what users ask about their numbers, answered in English or Chinese.

Questions: a number's balance, its keep-alive deadline, its plan expiry, what it cost this year;
which numbers need attention; and "I used Ultra today", which records activity as the
``record_activity`` action does.

Home Assistant's own HassGetState reads a timestamp sensor back as "2027-01-07T08:00:00+00:00" and
finds a sensor only when the question repeats the entity's name exactly, in the language the
entities were named in. Our sentences (sentences/<language>/esim_keeper.yaml, installed into
<config>/custom_sentences/ at start-up) name the number instead — its device name.

Every word of the answers lives in those files, not here: a handler finds the facts and puts them
in the response's speech slots (``answers``: a list of plain, JSON-safe items with a ``kind``), and
leaves the speech empty, so Home Assistant's default agent renders the sentence file's
``responses`` template for the intent with them. Callers without a sentence file (the intent API,
an LLM agent) get the same template rendered here, from the file we ship.

Our sentences use a wildcard for the number's name, and custom sentences win over built-in ones. So
that "what is the checking balance" still reaches a bank's "Checking balance" sensor, a name that is
not one of our numbers is answered the way HassGetState answers it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
import re
from typing import Any

from homeassistant.components.homeassistant.exposed_entities import async_should_expose
from homeassistant.core import HomeAssistant, State
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    entity_registry as er,
    intent,
)
from homeassistant.helpers.template import Template, TemplateState
from homeassistant.util import dt as dt_util, language as language_util, yaml as yaml_util
import voluptuous as vol

from .const import DOMAIN
from .coordinator import NumberData
from .history import Verification
from .keeper.model import LineState, StatusReason
from .keeper.money import Money
from .runtime import EsimKeeperConfigEntry
from .spending import paid_spends, plan_spends

INTENT_BALANCE = "EsimKeeperBalance"
INTENT_DEADLINE = "EsimKeeperDeadline"
INTENT_EXPIRY = "EsimKeeperExpiry"
INTENT_SPENT = "EsimKeeperSpent"
INTENT_USED = "EsimKeeperUsed"
INTENT_ATTENTION = "EsimKeeperAttention"
SLOT_NUMBER = "number"  # the number's name as spoken (a wildcard)
SLOT_WORD = "word"  # what the user called the value: "balance", "保号截止日"...
SLOT_ANSWERS = "answers"  # the speech slot the sentence files' responses read

EN, ZH = "en", "zh-Hans"
# The sentence folder of each answer language: zh-Hans is served by Home Assistant's zh-CN intents.
_SENTENCE_FOLDERS = {EN: "en", ZH: "zh-CN"}
_SENTENCES = Path(__file__).parent / "sentences"
_CONVERSATION = "conversation"  # the default agent's platform: it renders the responses itself
_RESPONSES_KEY = f"{DOMAIN}_responses"

# Words around a spoken name that are not part of it: "the Ultra line", "我的 Ultra 号码",
# "I used Ultra today" (a wildcard may take the optional word after it).
_LEADING = ("the", "my", "our", "我的", "我")
_TRAILING = ("line", "number", "phone", "plan", "sim", "esim", "today", "号码", "这个号", "的")

# A number needs attention for these reasons; other reasons (ok, renewal_covered, autopay_due)
# take care of themselves.
_FINE = frozenset({StatusReason.OK, StatusReason.RENEWAL_COVERED, StatusReason.AUTOPAY_DUE})

type Answer = dict[str, Any]


async def async_setup_intents(hass: HomeAssistant) -> None:
    """Register our intents (Home Assistant's intent platform hook; safe to call twice)."""
    registered = {handler.intent_type for handler in intent.async_get(hass)}
    handlers: tuple[intent.IntentHandler, ...] = (
        BalanceIntentHandler(),
        DeadlineIntentHandler(),
        ExpiryIntentHandler(),
        SpentIntentHandler(),
        UsedIntentHandler(),
        AttentionIntentHandler(),
    )
    for handler in handlers:
        if handler.intent_type not in registered:
            intent.async_register(hass, handler)


def answer_language(language: str) -> str:
    """Return the language we answer in: English or Simplified Chinese (English when in doubt)."""
    matches = language_util.matches(language, [EN, ZH])
    return matches[0] if matches else EN


def _normalize(name: str) -> str:
    """Case, spacing and punctuation do not count: "mom's  tello" is "Mom's Tello"."""
    return "".join(re.findall(r"\w+", name.casefold()))


def _spoken_candidates(spoken: str) -> set[str]:
    """Return the spoken name, and the same without the words people put around a name."""
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
    """One of our numbers as Assist sees it: its name, data, and the entities asked about."""

    name: str
    data: NumberData | None  # None: not available (the last poll failed or lost it)
    entity_ids: tuple[str, ...]  # the entities whose exposure lets Assist talk about it
    entry: EsimKeeperConfigEntry
    subentry_id: str


def our_numbers(hass: HomeAssistant, keys: tuple[tuple[str, str], ...]) -> list[Number]:
    """Every number of every loaded account, with its entities of ``keys`` ((platform, key))."""
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
            entity_ids = (
                entities.async_get_entity_id(platform, DOMAIN, f"{subentry_id}_{key}")
                for platform, key in keys
            )
            numbers.append(
                Number(
                    name=name or config.name,
                    data=data if coordinator.last_update_success else None,
                    entity_ids=tuple(e for e in entity_ids if e is not None),
                    entry=entry,
                    subentry_id=subentry_id,
                )
            )
    return numbers


def _exposed(intent_obj: intent.Intent, number: Number) -> bool:
    if intent_obj.assistant is None:  # not asked through an assistant (e.g. the intent API)
        return True
    return any(
        async_should_expose(intent_obj.hass, intent_obj.assistant, entity_id)
        for entity_id in number.entity_ids
    )


def spoken_money(money: Money) -> dict[str, Any]:
    """Return an amount for the answer templates.

    Whole amounts without decimals ("3"), others with at least two ("3.50"); the sign apart ("minus
    1.50 dollars").
    """
    amount = abs(money.amount)
    if amount == amount.to_integral_value():
        text = str(amount.quantize(Decimal(1)))
    elif int(amount.as_tuple().exponent) > -2:
        text = str(amount.quantize(Decimal("0.01")))
    else:
        text = str(amount)
    return {"amount": text, "negative": money.amount < 0, "currency": money.currency}


def spoken_day(instant: datetime) -> dict[str, Any]:
    """Return a day for the answer templates, in the user's time zone.

    Its year (only when it is not this year), month, day, and the days from today (negative when
    past).
    """
    day = dt_util.as_local(instant).date()
    today = dt_util.now().date()
    return {
        "year": day.year if day.year != today.year else None,
        "month": day.month,
        "day": day.day,
        "days": (day - today).days,
    }


@dataclass(frozen=True, slots=True)
class _Responses:
    """The answer templates we ship, and which of them the default agent does not have."""

    shipped: dict[str, dict[str, str]]  # {sentence folder: {intent: template}}
    # (folder, intent) pairs whose installed copy has no response template: a copy the user
    # edited before that intent's template existed. The agent would answer with silence.
    missing: frozenset[tuple[str, str]]


def _response_templates(path: Path) -> dict[str, str]:
    """{intent: default template} of one sentence file ({} when it has none or cannot be read)."""
    try:
        content = yaml_util.load_yaml_dict(path)
    except FileNotFoundError, HomeAssistantError:
        return {}
    intents = content.get("responses", {}).get("intents", {})
    if not isinstance(intents, dict):
        return {}
    return {
        str(name): str(item["default"])
        for name, item in intents.items()
        if isinstance(item, dict) and item.get("default")
    }


def _load_responses(config_dir: Path) -> _Responses:
    """Return the shipped templates.

    Compared with the installed copies in ``config_dir`` (executor).
    """
    shipped: dict[str, dict[str, str]] = {}
    missing: set[tuple[str, str]] = set()
    for folder in _SENTENCE_FOLDERS.values():
        shipped[folder] = _response_templates(_SENTENCES / folder / f"{DOMAIN}.yaml")
        installed = config_dir / "custom_sentences" / folder / f"{DOMAIN}.yaml"
        if installed.exists():
            have = _response_templates(installed)
            missing.update((folder, name) for name in shipped[folder] if name not in have)
    return _Responses(shipped, frozenset(missing))


async def _async_speak(
    intent_obj: intent.Intent, response: intent.IntentResponse, answers: list[Answer]
) -> intent.IntentResponse:
    """Hand the answers to the sentence file's response template (see the module's docstring).

    The default agent renders the template of the file it loaded, unless that file is a copy
    the user edited before the intent's template existed: then we render the one we ship.
    """
    response.async_set_speech_slots({SLOT_ANSWERS: answers})
    hass = intent_obj.hass
    if (responses := hass.data.get(_RESPONSES_KEY)) is None:
        config_dir = Path(hass.config.config_dir)
        responses = hass.data[_RESPONSES_KEY] = await hass.async_add_executor_job(
            _load_responses, config_dir
        )
    folder = _SENTENCE_FOLDERS[answer_language(intent_obj.language)]
    key = (folder, intent_obj.intent_type)
    if intent_obj.platform == _CONVERSATION and key not in responses.missing:
        return response
    template = Template(responses.shipped[folder][intent_obj.intent_type], hass)
    speech = template.async_render({"slots": {SLOT_ANSWERS: answers}}, parse_result=False)
    response.async_set_speech(" ".join(str(speech).split()))  # as the default agent does
    return response


_SLOT_SCHEMA: dict[Any, Any] = {
    vol.Required(SLOT_NUMBER): cv.string,
    vol.Optional(SLOT_WORD): cv.string,
}


class _NumberIntentHandler(intent.IntentHandler):
    """Finds the number that was named, then lets the subclass answer about it."""

    keys: tuple[tuple[str, str], ...]  # the entities whose exposure allows the question
    what: str  # what was asked, in "not exposed" answers
    response_type = intent.IntentResponseType.QUERY_ANSWER
    slot_schema = _SLOT_SCHEMA

    async def async_answer(self, intent_obj: intent.Intent, number: Number) -> Answer:
        raise NotImplementedError

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        slots = self.async_validate_slots(intent_obj.slots)
        spoken: str = slots[SLOT_NUMBER]["value"]
        numbers = our_numbers(intent_obj.hass, self.keys)
        candidates = _spoken_candidates(spoken)
        named = [n for n in numbers if _normalize(n.name) in candidates]
        response = intent_obj.create_response()
        if not named:
            word = slots.get(SLOT_WORD, {}).get("text") or slots.get(SLOT_WORD, {}).get("value")
            if word and (state := _other_entity(intent_obj, spoken, str(word))) is not None:
                response.response_type = intent.IntentResponseType.QUERY_ANSWER
                response.async_set_states([state])
                value = TemplateState(intent_obj.hass, state).state_with_unit
                found: Answer = {"kind": "state", "name": state.name, "value": value}
                return await _async_speak(intent_obj, response, [found])
            known = [n.name for n in numbers if _exposed(intent_obj, n)]
            # An error without speech: the template says it (async_set_error would speak).
            response.response_type = intent.IntentResponseType.ERROR
            response.error_code = intent.IntentResponseErrorCode.NO_VALID_TARGETS
            unknown: Answer = {"kind": "unknown_number", "spoken": spoken, "known": known}
            return await _async_speak(intent_obj, response, [unknown])
        response.response_type = self.response_type
        answers: list[Answer] = []
        for number in named:
            if not _exposed(intent_obj, number):
                answers.append({"kind": "not_exposed", "name": number.name, "what": self.what})
            elif number.data is None:
                answers.append({"kind": "unavailable", "name": number.name})
            else:
                answers.append(await self.async_answer(intent_obj, number))
        return await _async_speak(intent_obj, response, answers)


def _other_entity(intent_obj: intent.Intent, spoken: str, word: str) -> State | None:
    """Return the entity HassGetState would have found for "<spoken> <word>", if any.

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


def _data(number: Number) -> NumberData:
    assert number.data is not None  # checked by the caller
    return number.data


class BalanceIntentHandler(_NumberIntentHandler):
    """Answers "What is the Ultra balance?" / "Ultra 余额是多少"."""

    intent_type = INTENT_BALANCE
    # A free number kept by use has no balance sensor: its deadline's exposure allows the answer.
    keys = (("sensor", "balance"), ("sensor", "keep_alive_deadline"))
    what = "balance"

    async def async_answer(self, intent_obj: intent.Intent, number: Number) -> Answer:
        """Answer with the number's balance, or say the carrier does not report one."""
        data = _data(number)
        if not data.config.has_balance:
            deadline = data.status.keep_alive_deadline
            return {
                "kind": "no_balance",
                "name": number.name,
                "deadline": None if deadline is None else spoken_day(deadline),
            }
        balance = data.snapshot.balance
        status = data.status
        covers = status.balance_covers_renewal
        if balance is None or status.next_renewal_cost.amount <= 0:
            covers = None
        return {
            "kind": "balance",
            "name": number.name,
            "balance": None if balance is None else spoken_money(balance),
            "covers": covers,
            "cost": spoken_money(status.next_renewal_cost),
        }


class DeadlineIntentHandler(_NumberIntentHandler):
    """Answers "When is the Ultra keep-alive deadline?" / "Ultra 的保号截止日是什么时候"."""

    intent_type = INTENT_DEADLINE
    keys = (("sensor", "keep_alive_deadline"),)
    what = "deadline"

    async def async_answer(self, intent_obj: intent.Intent, number: Number) -> Answer:
        """Answer with the keep-alive deadline: the day the number must be used by."""
        deadline = _data(number).status.keep_alive_deadline
        when = None if deadline is None else spoken_day(deadline)
        return {"kind": "deadline", "name": number.name, "when": when}


class ExpiryIntentHandler(_NumberIntentHandler):
    """Answers "When does Ultra expire?" / "Ultra 的套餐什么时候到期" (the plan's expiry.

    Not the keep-alive deadline; a free number says it has none, and gives its deadline).
    """

    intent_type = INTENT_EXPIRY
    keys = (("sensor", "plan_expiry"), ("sensor", "keep_alive_deadline"))
    what = "expiry"

    async def async_answer(self, intent_obj: intent.Intent, number: Number) -> Answer:
        """Answer with the plan's expiry (a free number says it has none)."""
        status = _data(number).status
        deadline = status.keep_alive_deadline
        return {
            "kind": "expiry",
            "name": number.name,
            "free": not _data(number).config.plan.dated,
            "when": None if status.plan_expiry is None else spoken_day(status.plan_expiry),
            "deadline": None if deadline is None else spoken_day(deadline),
        }


def _totals(amounts: list[Money]) -> list[dict[str, Any]]:
    """One spoken total per currency, sorted by currency."""
    sums: dict[str, Decimal] = {}
    for money in amounts:
        sums[money.currency] = sums.get(money.currency, Decimal(0)) + money.amount
    return [spoken_money(Money(sums[code], code)) for code in sorted(sums)]


class SpentIntentHandler(_NumberIntentHandler):
    """Answers "How much did Ultra cost this year?" / "Ultra 今年花了多少钱".

    Only confirmed money counts, as in the spending statistics (spending.py): charges the carrier
    confirmed and payments the user recorded, in the plan's currency, and what the user paid in
    their own currency where a payment recorded it. "This year" is the calendar year in Home
    Assistant's time zone.
    """

    intent_type = INTENT_SPENT
    keys = (("sensor", "balance"), ("sensor", "last_renewal"))
    what = "spent"

    async def async_answer(self, intent_obj: intent.Intent, number: Number) -> Answer:
        """Answer with what renewals of the number cost this year."""
        records = number.entry.runtime_data.renewals.history.records(number.subentry_id)
        year = dt_util.now().year
        plan = [s for s in plan_spends(records) if dt_util.as_local(s.at).year == year]
        paid = [s for s in paid_spends(records) if dt_util.as_local(s.at).year == year]
        return {
            "kind": "spent",
            "name": number.name,
            "year": year,
            "plan": _totals([s.amount for s in plan]),
            "paid": _totals([s.amount for s in paid]),
            "count": len(plan),
            "paid_count": len(paid),
        }


class UsedIntentHandler(_NumberIntentHandler):
    """Records "I used Ultra today" / "我今天用过Ultra".

    The ``record_activity`` action's path (hand_kept.HandKept.async_record_activity). A number whose
    carrier reports activity itself is refused, as the action refuses it.
    """

    intent_type = INTENT_USED
    keys = (("button", "record_activity"), ("sensor", "keep_alive_deadline"))
    what = "used"
    response_type = intent.IntentResponseType.ACTION_DONE

    async def async_answer(self, intent_obj: intent.Intent, number: Number) -> Answer:
        """Record activity for the number, as its "I used this number" button does."""
        engine = number.entry.runtime_data.renewals
        try:
            await engine.hand_kept.async_record_activity(number.subentry_id)
        except ServiceValidationError:
            return {"kind": "activity_unsupported", "name": number.name}
        data = engine.coordinator.data
        after = data.numbers.get(number.subentry_id) if data else None
        deadline = after.status.keep_alive_deadline if after else None
        return {
            "kind": "used",
            "name": number.name,
            "deadline": None if deadline is None else spoken_day(deadline),
        }


def _reasons(number: Number, data: NumberData) -> list[str]:
    """Why a number needs attention (reason codes the templates put in words); empty.

    It does not.
    """
    status = data.status
    reasons: list[str] = []
    if status.reason not in _FINE:
        reasons.append(status.reason.value)
    elif status.state is LineState.UNKNOWN:
        reasons.append("unknown")
    history = number.entry.runtime_data.renewals.history
    records = history.records(number.subentry_id)
    if any(r.verification is Verification.UNVERIFIED for r in records):
        reasons.append("unverified")
    if history.unresolved(number.subentry_id):
        reasons.append("payment_unknown")
    return reasons


class AttentionIntentHandler(intent.IntentHandler):
    """Answers "Which numbers need attention?" / "哪些号码需要处理".

    Every exposed number whose status is not fine, with the reasons and its keep-alive deadline,
    soonest first.
    """

    intent_type = INTENT_ATTENTION
    keys = (("sensor", "status"), ("sensor", "status_reason"))

    async def async_handle(self, intent_obj: intent.Intent) -> intent.IntentResponse:
        """List the exposed numbers that need attention, with their reasons."""
        numbers = [n for n in our_numbers(intent_obj.hass, self.keys) if _exposed(intent_obj, n)]
        response = intent_obj.create_response()
        response.response_type = intent.IntentResponseType.QUERY_ANSWER
        if not numbers:
            return await _async_speak(intent_obj, response, [{"kind": "no_numbers"}])
        # Soonest deadline first; numbers already lost (nothing to do) and unknown ones last.
        found: list[tuple[tuple[bool, datetime], Answer]] = []
        never = datetime.max.replace(tzinfo=dt_util.UTC)
        for number in numbers:
            if number.data is None:
                unknown: Answer = {"name": number.name, "reasons": ["unknown"], "deadline": None}
                found.append(((True, never), unknown))
                continue
            if reasons := _reasons(number, number.data):
                status = number.data.status
                lost = status.state is LineState.LOST
                deadline = None if lost else status.keep_alive_deadline
                item: Answer = {
                    "name": number.name,
                    "reasons": reasons,
                    "deadline": None if deadline is None else spoken_day(deadline),
                }
                found.append(((lost, deadline or never), item))
        found.sort(key=lambda pair: pair[0])
        listed = [item for _, item in found]
        answer = {"kind": "attention", "numbers": listed, "total": len(listed)}
        return await _async_speak(intent_obj, response, [answer])
