"""Carrier texts and e-mails in: apply what a message says to the right hand-kept number.

A message (an SMS from the phone or a modem, an e-mail) is read by ``keeper.messages`` and what it
says is applied to one number of the loaded accounts, or to nothing:

- **Which number.** The number the caller names (a device), else the numbers of the carrier the
  message is from whose last four digits match the ending the text gives (any, if it gives none).
  A number's own *custom pattern* is tried when the carrier catalog understood nothing. No match,
  several matches, a device of another carrier: nothing changes and a repair says that a message
  from that carrier could not be matched (the carrier's name only, never the text).
- **Balance and expiry** change a hand-kept number's records as ``set_balance`` does, as of the
  time the message was received; a message older than the records changes nothing. "Renews on"
  is the plan's expiry for a hand-kept number. Numbers whose carrier reports them (API accounts)
  take no facts from messages.
- **A payment** is recorded (``record_payment``, source *from a text* / *from an e-mail*) only
  from a receipt naming the carrier (``keeper.messages`` guarantees it) matched to exactly one
  hand-kept number, with an amount in the plan's currency between 1 and 12 renewal costs. A bank
  or wallet receipt in another currency (CNY for Ultra) is recorded as one renewal of the plan,
  with the bank's amount as what was paid, only when exactly one hand-kept number of that
  carrier exists: the bank never says which number. Anything else raises a repair instead.
- **Warnings** (Google Voice "will be reclaimed", "payment failed" …) become a repair on the
  number; it goes away when the number was used / read again after the warning.
- **Once.** A hash of (sender, subject, text, received time) is kept in a bounded store that
  survives restarts; the same message again (IMAP re-fetch, a duplicate notification) changes
  nothing. The mark is written before anything is applied: a crash in between loses the message
  (the user can type it), it never applies one twice.

Nothing here logs, stores or puts in a repair the text of a message or a full number.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
import hashlib
import json
from typing import Any, Final, cast

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import Event, HomeAssistant, ServiceCall, ServiceResponse, callback
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import (
    config_validation as cv,
    device_registry as dr,
    issue_registry as ir,
)
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey
import voluptuous as vol

from . import texts
from .const import (
    CONF_CUSTOM_PATTERN,
    CONF_CUSTOM_SENDER,
    CONF_LISTEN_IMAP,
    CONF_LISTEN_NETGEAR_LTE,
    CONF_MESSAGE_SENDERS,
    CONF_MESSAGES,
    DOMAIN,
    LOGGER,
)
from .errors import invalid
from .hand_kept import LedgerBook
from .keeper.carriers import PRESETS
from .keeper.lifecycle import project_ledger
from .keeper.message_catalog import WarningKind
from .keeper.messages import CustomPattern, CustomPatternError, Message, Reading, read_message
from .keeper.money import Money
from .lines import NumberConfig, device_number
from .runtime import EsimKeeperConfigEntry
from .verification import issue_id

SOURCE_TEXT: Final = "text"
SOURCE_EMAIL: Final = "email"
EVENT_MESSAGE: Final = f"{DOMAIN}_message"
EVENT_IMAP: Final = "imap_content"
EVENT_NETGEAR_LTE: Final = "netgear_lte_sms"

ISSUE_UNMATCHED: Final = "message_unmatched"
ISSUE_PAYMENT: Final = "message_payment_not_recorded"
ISSUE_WARNING: Final = "message_warning"  # translation key: message_warning_<kind>

_SLACK: Final = timedelta(minutes=5)  # a received time this far ahead is a clock difference
MAX_INPUT: Final = 20000  # characters an action accepts (the reader looks at 4000)
MAX_SEEN: Final = 1000  # message hashes kept
MIN_COST_FACTOR: Final = Decimal(1)
MAX_COST_FACTOR: Final = Decimal(12)
_STORE_KEY: Final = f"{DOMAIN}.inbox"
_STORE_VERSION: Final = 1
_SEEN_UNMATCHED: Final = "unmatched"
_SEEN_DONE: Final = "done"
INBOX: HassKey[Inbox] = HassKey(f"{DOMAIN}_inbox")

ATTR_TEXT: Final = "text"
ATTR_SENDER: Final = "sender"
ATTR_SUBJECT: Final = "subject"
ATTR_RECEIVED_AT: Final = "received_at"

INGEST_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_TEXT): vol.All(cv.string, vol.Length(max=MAX_INPUT)),
        vol.Optional(ATTR_SENDER, default=""): vol.All(cv.string, vol.Length(max=500)),
        vol.Optional(ATTR_SUBJECT, default=""): vol.All(cv.string, vol.Length(max=1000)),
        vol.Optional(ATTR_RECEIVED_AT): cv.datetime,
        vol.Optional(ATTR_DEVICE_ID): cv.string,
    }
)


# --- The store: messages seen, keep-alive messages sent ---------------------------------------
class Inbox:
    """What outlives a restart.

    Hashes of the messages applied (bounded, oldest dropped first) and, per number, the activity
    deadline its keep-alive message was last sent for.
    """

    def __init__(self, hass: HomeAssistant) -> None:
        self._store: Store[dict[str, Any]] = Store(hass, _STORE_VERSION, _STORE_KEY)
        self.seen: dict[str, str] = {}  # hash -> outcome, oldest first
        self.sent: dict[str, str] = {}  # subentry id -> deadline (ISO)
        self.lock = asyncio.Lock()
        self.patterns: dict[tuple[str, ...], CustomPattern | None] = {}

    async def async_load(self) -> None:
        raw = await self._store.async_load() or {}
        seen = raw.get("seen", {})
        sent = raw.get("sent", {})
        self.seen = {str(k): str(v) for k, v in seen.items()} if isinstance(seen, dict) else {}
        self.sent = {str(k): str(v) for k, v in sent.items()} if isinstance(sent, dict) else {}

    async def async_save(self) -> None:
        while len(self.seen) > MAX_SEEN:
            del self.seen[next(iter(self.seen))]
        await self._store.async_save({"seen": self.seen, "sent": self.sent})


async def async_setup_inbox(hass: HomeAssistant) -> None:
    """Load the store once (from async_setup)."""
    inbox = Inbox(hass)
    await inbox.async_load()
    hass.data[INBOX] = inbox


def message_key(sender: str, subject: str, text: str, received: str) -> str:
    """Return the hash that identifies one message (never the message itself)."""
    raw = json.dumps([sender, subject, text, received], ensure_ascii=False)
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


# --- Reading --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as it arrived, and what it came through."""

    text: str
    sender: str
    subject: str
    received_at: datetime
    source: str  # SOURCE_TEXT or SOURCE_EMAIL
    key: str  # message_key(...)


@dataclass(slots=True)
class Result:
    """What a message said and what it changed (the action's response)."""

    reading: Reading | None = None
    duplicate: bool = False
    number: NumberConfig | None = None
    device_id: str | None = None
    changed: list[str] = field(default_factory=list)
    not_applied: list[str] = field(default_factory=list)
    issue: str | None = None

    def as_dict(self) -> dict[str, Any]:
        reading = self.reading
        understood: dict[str, Any] = {}
        if reading is not None:
            payment = reading.payment
            expiry = reading.plan_expiry
            renewal = reading.next_renewal
            understood = {
                "carrier": reading.carrier,
                "balance": _money(reading.balance),
                "plan_expiry": expiry.at.isoformat() if expiry else None,
                "next_renewal": renewal.at.isoformat() if renewal else None,
                "payment": _money(payment.amount if payment else None),
                "payer": payment.payer if payment else None,
                "warnings": [w.kind.value for w in reading.warnings],
                "number_ending": reading.number_ending,
                "confidence": reading.confidence.name.lower(),
                "why": list(reading.why),
            }
        return {
            "duplicate": self.duplicate,
            "understood": understood,
            "number": (
                None
                if self.number is None
                else {"name": self.number.name, "device_id": self.device_id}
            ),
            "changed": self.changed,
            "not_applied": self.not_applied,
            "issue": self.issue,
        }


def _money(value: Money | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True, slots=True)
class _Number:
    entry: EsimKeeperConfigEntry
    config: NumberConfig

    @property
    def hand_kept(self) -> bool:
        provider = self.entry.runtime_data.coordinator.provider
        return provider.capabilities.records_payments and isinstance(provider, LedgerBook)


def _loaded(hass: HomeAssistant, entry_ids: Iterable[str] | None) -> list[_Number]:
    entries: list[EsimKeeperConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    wanted = None if entry_ids is None else set(entry_ids)
    return [
        _Number(entry, config)
        for entry in entries
        if wanted is None or entry.entry_id in wanted
        for config in entry.runtime_data.coordinator.numbers.values()
    ]


def _device_number(hass: HomeAssistant, device_id: str, numbers: list[_Number]) -> _Number:
    """Return the loaded number behind ``device_id`` (the message names it)."""
    entry, subentry_id = device_number(hass, device_id)
    for number in numbers:
        if number.entry.entry_id == entry.entry_id and number.config.subentry_id == subentry_id:
            return number
    raise invalid("unknown_device", device_id=device_id)


async def _custom_pattern(hass: HomeAssistant, number: _Number) -> CustomPattern | None:
    """Return the number's own pattern, compiled (and validated, in the executor) once."""
    subentry = number.entry.subentries.get(number.config.subentry_id)
    settings = subentry.data.get(CONF_MESSAGES, {}) if subentry else {}
    pattern = str(settings.get(CONF_CUSTOM_PATTERN) or "")
    if not pattern:
        return None
    sender = str(settings.get(CONF_CUSTOM_SENDER) or "") or None
    plan = number.config.plan
    cache = hass.data[INBOX].patterns
    key = (pattern, sender or "", plan.currency, plan.timezone, number.config.carrier)
    if key not in cache:

        def build() -> CustomPattern | None:
            try:
                return CustomPattern.compile(
                    pattern,
                    currency=plan.currency,
                    timezone=plan.timezone,
                    carrier=number.config.carrier,
                    sender=sender,
                )
            except CustomPatternError:
                return None  # refused by the form already; stored by an older version

        cache[key] = await hass.async_add_executor_job(build)
    return cache[key]


def _read_all(
    message: Message, customs: list[tuple[_Number, CustomPattern]]
) -> tuple[Reading, list[_Number]]:
    """Return the catalog's reading.

    When it understood nothing, the numbers' own patterns' (with the numbers whose pattern
    understood it). Runs in the executor: custom patterns are the user's.
    """
    reading = read_message(message)
    if reading.understood:
        return reading, []
    hits = [(n, r) for n, c in customs if (r := c.read(message)).understood]
    if not hits:
        return reading, []
    return hits[0][1], [n for n, _ in hits]


def _candidates(reading: Reading, numbers: list[_Number]) -> list[_Number]:
    ending = reading.number_ending
    return [
        n
        for n in numbers
        if n.config.carrier == reading.carrier
        and (ending is None or n.config.number[-len(ending) :] == ending)
    ]


# --- Applying ---------------------------------------------------------------------------------
async def async_ingest(
    hass: HomeAssistant,
    incoming: Incoming,
    *,
    device_id: str | None = None,
    entry_ids: Iterable[str] | None = None,
) -> Result:
    """Read one message and apply it (see the module docstring).

    ServiceValidationError only for a device that is not a loaded number; everything else is in the
    result.
    """
    inbox = hass.data[INBOX]
    numbers = _loaded(hass, entry_ids)
    named = _device_number(hass, device_id, numbers) if device_id else None
    async with inbox.lock:
        seen = inbox.seen.get(incoming.key)
        # A message that matched no number may be sent again naming its number.
        if seen is not None and not (seen == _SEEN_UNMATCHED and named is not None):
            return Result(duplicate=True)
        inbox.seen.pop(incoming.key, None)
        inbox.seen[incoming.key] = _SEEN_DONE
        await inbox.async_save()  # the mark is on disk before anything changes
        result = await _async_apply(hass, incoming, numbers, named)
        if result.issue is not None and result.issue.startswith(ISSUE_UNMATCHED):
            inbox.seen[incoming.key] = _SEEN_UNMATCHED
            await inbox.async_save()
    return result


async def _async_apply(
    hass: HomeAssistant, incoming: Incoming, numbers: list[_Number], named: _Number | None
) -> Result:
    message = Message(incoming.text, incoming.received_at, incoming.sender, incoming.subject)
    pool = [named] if named is not None else numbers
    customs = [(n, c) for n in pool if n.hand_kept and (c := await _custom_pattern(hass, n))]
    reading, custom_hits = await hass.async_add_executor_job(_read_all, message, customs)
    result = Result(reading=reading)
    if not reading.understood:
        return result
    if custom_hits:
        matched = [n for n in custom_hits if _ending_fits(reading, n)]
    elif named is not None:
        matched = [named] if _candidates(reading, [named]) else []
    else:
        matched = _candidates(reading, numbers)
    carrier = reading.carrier or (matched[0].config.carrier if matched else None)
    if len(matched) != 1:
        result.not_applied.append("no_number" if not matched else "several_numbers")
        result.issue = _unmatched(hass, carrier)
        return result
    number = matched[0]
    result.number = number.config
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, number.config.subentry_id), number.entry.entry_id
    )
    result.device_id = device.id if device else None
    for warning in reading.warnings:
        _warn(hass, number, warning.kind, warning.deadline, incoming.received_at)
        result.changed.append(f"warning:{warning.kind.value}")
    if reading.balance or reading.plan_expiry or reading.next_renewal or reading.payment:
        if number.hand_kept:
            await _async_apply_records(hass, incoming, reading, number, numbers, result)
        else:
            result.not_applied.append("reported_by_carrier")
    if result.changed:
        _announce(hass, number, incoming, result)
    return result


def _ending_fits(reading: Reading, number: _Number) -> bool:
    ending = reading.number_ending
    return ending is None or number.config.number.endswith(ending)


async def _async_apply_records(
    hass: HomeAssistant,
    incoming: Incoming,
    reading: Reading,
    number: _Number,
    numbers: list[_Number],
    result: Result,
) -> None:
    engine = number.entry.runtime_data.renewals
    config = number.config
    book = cast("LedgerBook", number.entry.runtime_data.coordinator.provider)
    read_before = book.ledger(config.line_id).read_at
    received = min(incoming.received_at, dt_util.utcnow())
    if (payment := reading.payment) is not None:
        same_carrier = [n for n in numbers if n.config.carrier == config.carrier and n.hand_kept]
        amounts = _payment_amounts(reading, config, len(same_carrier))
        if amounts is None:
            result.not_applied.append("implausible_payment")
            result.issue = _payment_issue(hass, number, payment.amount)
        else:
            try:
                await engine.hand_kept.async_record_payment(
                    config.subentry_id,
                    amount=amounts[0],
                    paid_at=received,
                    paid=amounts[1],
                    source=incoming.source,
                )
            except ServiceValidationError as err:
                result.not_applied.append(f"payment:{err.translation_key}")
            else:
                result.changed.append("payment")
    expiry_fact = reading.plan_expiry or reading.next_renewal
    if reading.balance is None and expiry_fact is None:
        return
    if received < read_before:
        result.not_applied.append("older_than_records")
        return
    balance = reading.balance
    if balance is not None and balance.currency != config.currency:
        result.not_applied.append("balance_currency")
        balance = None
        if expiry_fact is None:
            return
    if balance is None:
        balance = project_ledger(book.ledger(config.line_id), config.plan, received).balance
    expiry = expiry_fact.at if expiry_fact is not None else None
    try:
        await engine.hand_kept.async_set_balance(
            config.subentry_id, balance, expiry, read_at=received
        )
    except ServiceValidationError as err:
        result.not_applied.append(f"reading:{err.translation_key}")
        return
    if reading.balance is not None and "balance_currency" not in result.not_applied:
        result.changed.append("balance")
    if expiry is not None:
        result.changed.append("plan_expiry")


def _payment_amounts(
    reading: Reading, config: NumberConfig, hand_kept_of_carrier: int
) -> tuple[Money, Money | None] | None:
    """(amount recorded in the plan's currency, what the payer charged if another currency).

    Or None when the payment is not plausible for this number's plan.
    """
    payment = reading.payment
    assert payment is not None
    cost = config.plan.renewal_cost
    if cost.amount <= 0:
        return None  # a free plan is never paid
    if payment.amount.currency == config.currency:
        if cost.amount * MIN_COST_FACTOR <= payment.amount.amount <= cost.amount * MAX_COST_FACTOR:
            return payment.amount, None
        return None
    if reading.number_ending is None and hand_kept_of_carrier == 1 and payment.amount.amount > 0:
        return cost, payment.amount
    return None


# --- Repairs and events ---------------------------------------------------------------------
def _carrier_name(hass: HomeAssistant, carrier: str | None) -> str:
    """Return a preset's name in Home Assistant's language (a custom pattern's name as it is)."""
    preset = PRESETS.get(carrier or "")
    if preset is None:
        return carrier or "?"
    return texts.carrier_name(hass, preset.id, preset.name)


def _unmatched(hass: HomeAssistant, carrier: str | None) -> str:
    issue = f"{ISSUE_UNMATCHED}_{carrier or 'custom'}"
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_UNMATCHED,
        translation_placeholders={"carrier": _carrier_name(hass, carrier)},
    )
    return issue


def _payment_issue(hass: HomeAssistant, number: _Number, amount: Money) -> str:
    issue = issue_id(ISSUE_PAYMENT, number.config.subentry_id)
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue,
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_PAYMENT,
        translation_placeholders={
            "carrier": _carrier_name(hass, number.config.carrier),
            "name": number.config.name,
            "amount": str(amount),
            "cost": str(number.config.plan.renewal_cost),
        },
    )
    return issue


def warning_issue_id(kind: WarningKind, subentry_id: str) -> str:
    return issue_id(f"{ISSUE_WARNING}_{kind.value}", subentry_id)


def _warn(
    hass: HomeAssistant,
    number: _Number,
    kind: WarningKind,
    deadline: datetime | None,
    received: datetime,
) -> None:
    ir.async_create_issue(
        hass,
        DOMAIN,
        warning_issue_id(kind, number.config.subentry_id),
        is_fixable=True,
        severity=ir.IssueSeverity.WARNING,
        translation_key=f"{ISSUE_WARNING}_{kind.value}",
        translation_placeholders={
            "carrier": _carrier_name(hass, number.config.carrier),
            "name": number.config.name,
            "deadline": dt_util.as_local(deadline).date().isoformat() if deadline else "—",
        },
        data={
            "entry_id": number.entry.entry_id,
            "subentry_id": number.config.subentry_id,
            "since": received.isoformat(),
        },
    )


_ACTIVITY_WARNINGS: Final = frozenset({WarningKind.RECLAIM, WarningKind.INACTIVITY})


@callback
def check_warnings(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> None:
    """On every poll: a warning repair goes away once it is answered.

    The number was used after it (reclaim, inactivity), or its balance or expiry was read or paid
    after it.
    """
    registry = ir.async_get(hass)
    data = entry.runtime_data.coordinator.data
    for subentry_id in entry.runtime_data.coordinator.numbers:
        number = data.numbers.get(subentry_id) if data is not None else None
        for kind in WarningKind:
            issue = registry.async_get_issue(DOMAIN, warning_issue_id(kind, subentry_id))
            if issue is None or not issue.data:
                continue
            since = dt_util.parse_datetime(str(issue.data.get("since", "")))
            if number is None or since is None:
                continue
            ledger = number.config.ledger
            if kind in _ACTIVITY_WARNINGS:
                answered = number.snapshot.last_activity
            else:
                answered = ledger.read_at if ledger is not None else None
            if answered is not None and answered > since:
                ir.async_delete_issue(hass, DOMAIN, issue.issue_id)


def _announce(hass: HomeAssistant, number: _Number, incoming: Incoming, result: Result) -> None:
    """Tell automations what a message changed (no text, the number masked)."""
    hass.bus.async_fire(
        EVENT_MESSAGE,
        {
            "entry_id": number.entry.entry_id,
            "subentry_id": number.config.subentry_id,
            "device_id": result.device_id,
            "name": number.config.name,
            "number": number.config.masked,
            "carrier": number.config.carrier,
            "source": incoming.source,
            "changed": list(result.changed),
        },
    )


# --- The action -------------------------------------------------------------------------------
def _source(sender: str, subject: str) -> str:
    return SOURCE_EMAIL if "@" in sender or subject else SOURCE_TEXT


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return dt_util.utcnow()
    if value.tzinfo is None:
        return value.replace(tzinfo=dt_util.get_default_time_zone())
    return value


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise invalid("message_not_text")


async def async_ingest_message(call: ServiceCall) -> ServiceResponse:
    """Read a carrier text or e-mail and apply it (action ``esim_keeper.ingest_message``)."""
    text: str = call.data[ATTR_TEXT]
    sender: str = call.data[ATTR_SENDER].strip()
    subject: str = call.data[ATTR_SUBJECT].strip()
    for value in (text, sender, subject):
        _check_text(value)
    given = call.data.get(ATTR_RECEIVED_AT)
    received = _aware(given)
    if received > dt_util.utcnow() + _SLACK:
        raise invalid("received_in_future")
    # Without a received time, the same text again within the same minute is the same message.
    stamp = received if given else received.replace(second=0, microsecond=0)
    incoming = Incoming(
        text=text,
        sender=sender,
        subject=subject,
        received_at=received,
        source=_source(sender, subject),
        key=message_key(sender, subject, text, stamp.isoformat()),
    )
    result = await async_ingest(call.hass, incoming, device_id=call.data.get(ATTR_DEVICE_ID))
    if not call.return_response:
        return None
    return cast("ServiceResponse", result.as_dict())


# --- Listening to IMAP and Netgear LTE directly (account options) ----------------------------
def _text(value: object) -> str:
    return value.replace("\x00", "") if isinstance(value, str) else ""


def _senders(entry: EsimKeeperConfigEntry) -> list[str]:
    raw = str(entry.options.get(CONF_MESSAGE_SENDERS) or "")
    return [s.strip().lower() for s in raw.split(",") if s.strip()]


def sender_allowed(filters: list[str], sender: str) -> bool:
    """Whether the account's sender filter lets ``sender`` through (an empty filter: any)."""
    lowered = sender.lower()
    return not filters or any(f in lowered for f in filters)


def _imap_message(data: Mapping[str, Any]) -> Incoming:
    sender, subject, text = _text(data.get("sender")), _text(data.get("subject")), ""
    text = _text(data.get("text"))[:MAX_INPUT]
    date = data.get("date")
    received = date if isinstance(date, datetime) and date.tzinfo else None
    if received is None and isinstance(date, str):
        parsed = dt_util.parse_datetime(date)
        received = parsed if parsed is not None and parsed.tzinfo else None
    stamp = received.isoformat() if received else f"uid:{data.get('uid')}"
    return Incoming(
        text=text,
        sender=sender,
        subject=subject,
        received_at=min(received or dt_util.utcnow(), dt_util.utcnow()),
        source=SOURCE_EMAIL,
        key=message_key(sender, subject, text, stamp),
    )


def _netgear_message(data: Mapping[str, Any], fired: datetime) -> Incoming:
    sender, text = _text(data.get("from")), _text(data.get("message"))[:MAX_INPUT]
    # The modem gives no time; its SMS id on that modem identifies the message.
    stamp = f"netgear:{data.get('host')}:{data.get('sms_id')}"
    return Incoming(
        text=text,
        sender=sender,
        subject="",
        received_at=fired,
        source=SOURCE_TEXT,
        key=message_key(sender, "", text, stamp),
    )


@callback
def async_setup_listeners(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> None:
    """Listen to the events the account's options ask for (removed when it unloads)."""
    filters = _senders(entry)
    routes: list[tuple[str, Callable[[Event[Mapping[str, Any]]], Incoming]]] = []
    if entry.options.get(CONF_LISTEN_IMAP):
        routes.append((EVENT_IMAP, lambda event: _imap_message(event.data)))
    if entry.options.get(CONF_LISTEN_NETGEAR_LTE):
        routes.append(
            (EVENT_NETGEAR_LTE, lambda event: _netgear_message(event.data, event.time_fired))
        )
    for event_type, build in routes:
        entry.async_on_unload(
            hass.bus.async_listen(event_type, _listener(hass, entry, filters, build))
        )


def _listener(
    hass: HomeAssistant,
    entry: EsimKeeperConfigEntry,
    filters: list[str],
    build: Callable[[Event[Mapping[str, Any]]], Incoming],
) -> Callable[[Event[Mapping[str, Any]]], None]:
    @callback
    def _on_event(event: Event[Mapping[str, Any]]) -> None:
        incoming = build(event)
        if not sender_allowed(filters, incoming.sender) or not (incoming.text or incoming.subject):
            return
        entry.async_create_background_task(
            hass, _async_listened(hass, entry, incoming), f"{DOMAIN} read {event.event_type}"
        )

    return _on_event


async def _async_listened(
    hass: HomeAssistant, entry: EsimKeeperConfigEntry, incoming: Incoming
) -> None:
    try:
        result = await async_ingest(hass, incoming, entry_ids=[entry.entry_id])
    except Exception:  # noqa: BLE001  # a listener must never die on one message
        LOGGER.exception("A %s message could not be applied", incoming.source)
        return
    if result.changed:
        LOGGER.debug(
            "A %s message changed %s of %s",
            incoming.source,
            ", ".join(result.changed),
            result.number.masked if result.number else "?",
        )


__all__ = [
    "EVENT_MESSAGE",
    "INGEST_SCHEMA",
    "ISSUE_PAYMENT",
    "ISSUE_UNMATCHED",
    "ISSUE_WARNING",
    "SOURCE_EMAIL",
    "SOURCE_TEXT",
    "async_ingest",
    "async_ingest_message",
    "async_setup_inbox",
    "async_setup_listeners",
    "check_warnings",
]
