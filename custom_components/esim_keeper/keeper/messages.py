"""Read carrier texts and e-mails: which carrier sent them and the facts in them.

``read_message`` takes a ``Message`` (text, sender, subject, received time) and returns a
``Reading``: the carrier (a preset id) when the sender or the text identifies it, the facts it
understood (balance, plan expiry or next renewal, a payment, a warning), the number's last digits
when the text gives them, a confidence and the reasons. When it understands nothing it says so
rather than guess. The recognisers live in data/carrier_messages.json (see message_catalog).

Safety rules, enforced here and not left to patterns:
- a balance, date or payment is read only by a recogniser of the carrier the message is from;
- a payment is read only from a receipt that names the carrier (the carrier's own receipt naming
  itself, or a bank or wallet receipt naming it as the merchant), never from a bank's balance;
- every amount is a Decimal with a currency; texts are capped in length before matching;
- nothing here logs or raises with the message's text; reasons name recognisers, never content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import IntEnum, StrEnum
import re
import time as clock
from typing import Final
import unicodedata
from zoneinfo import ZoneInfo

from .dates import require_aware, start_of_day, zone
from .errors import KeeperError
from .message_catalog import (
    CATALOG,
    MAX_PATTERN,
    CarrierMessages,
    DateOrder,
    MessageCatalog,
    PayerMessages,
    Recogniser,
    RecogniserKind,
    Senders,
    WarningKind,
    backtracking_risk,
    sender_digits,
)
from .money import ISO_CURRENCIES, Money, parse_decimal

MAX_TEXT: Final = 4000  # characters of a message body read (an e-mail beyond this is ignored)
MAX_SUBJECT: Final = 300
MAX_SENDER: Final = 200
MAX_CUSTOM_TEXT: Final = 1000  # custom patterns see at most this much text
MAX_MESSAGE_AMOUNT: Final = Decimal(100000)
# Dates further than this from the received time are not plausible readings.
_PAST_DAYS: Final = 31
_FUTURE_DAYS: Final = 800
_MAX_IN_DAYS: Final = 400

__all__ = [
    "MAX_CUSTOM_TEXT",
    "MAX_TEXT",
    "BalanceFact",
    "Confidence",
    "CustomPattern",
    "CustomPatternError",
    "ExpiryFact",
    "ExpiryKind",
    "Fact",
    "Message",
    "PatternGroupError",
    "PatternRiskError",
    "PatternSyntaxError",
    "PatternTooLongError",
    "PaymentFact",
    "Reading",
    "WarningFact",
    "WarningKind",
    "identify_sender",
    "parse_message_date",
    "parse_message_money",
    "read_message",
    "validate_custom_pattern",
]


# --- Errors ---------------------------------------------------------------------------------------
class CustomPatternError(KeeperError):
    """A per-number custom pattern is not acceptable."""

    key = "invalid_custom_pattern"


class PatternSyntaxError(CustomPatternError):
    """The custom pattern is not a valid regular expression."""

    key = "custom_pattern_syntax"


class PatternGroupError(CustomPatternError):
    """The custom pattern names no group, or a group other than balance, expiry and amount."""

    key = "custom_pattern_groups"


class PatternTooLongError(CustomPatternError):
    """The custom pattern is longer than MAX_PATTERN characters."""

    key = "custom_pattern_too_long"


class PatternRiskError(CustomPatternError):
    """The custom pattern risks catastrophic backtracking (nested repetition, back-references.

    Slow on test texts).
    """

    key = "custom_pattern_slow"


# --- What a message is and what it says -----------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Message:
    """A text, e-mail or phone notification as it arrived. ``received_at`` must be aware."""

    text: str
    received_at: datetime
    sender: str = ""
    subject: str = ""

    def __post_init__(self) -> None:
        """Refuse a message without a zone-aware time or with non-text fields."""
        require_aware(self.received_at, "received_at")
        for name in ("text", "sender", "subject"):
            if not isinstance(getattr(self, name), str):
                raise KeeperError(f"message {name} must be a text")


class ExpiryKind(StrEnum):
    """Which date a message gives: the end of the paid period, or the next renewal."""

    PLAN_EXPIRY = "plan_expiry"  # the paid period ends
    NEXT_RENEWAL = "next_renewal"  # the plan renews (is charged) on this date


class Confidence(IntEnum):
    """How sure a reading is.

    The sender identified the carrier, and the recogniser is not marked uncertain (HIGH); one of the
    two (MEDIUM); neither (LOW); nothing read (NONE).
    """

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3


@dataclass(frozen=True, slots=True)
class BalanceFact:
    """A balance the message states."""

    balance: Money


@dataclass(frozen=True, slots=True)
class ExpiryFact:
    """A plan expiry or next renewal.

    ``at`` is UTC; a plain date means its first instant in the carrier's timezone (``date_only``).
    ``renewal_cost`` is the price the text announces.
    """

    kind: ExpiryKind
    at: datetime
    date_only: bool
    renewal_cost: Money | None = None


@dataclass(frozen=True, slots=True)
class PaymentFact:
    """A payment a receipt confirms.

    ``payer`` is the bank or wallet id when the receipt is theirs (the amount is then in the
    currency the bank charged, which may not be the plan's).
    """

    amount: Money
    payer: str | None = None


@dataclass(frozen=True, slots=True)
class WarningFact:
    """A warning the message gives (reclaim, inactivity, ...), with its deadline if any."""

    kind: WarningKind
    deadline: datetime | None = None


type Fact = BalanceFact | ExpiryFact | PaymentFact | WarningFact


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message said.

    ``facts`` is empty when nothing was understood; ``carrier`` may still be known (a text from
    Ultra that matched no recogniser).
    """

    carrier: str | None
    facts: tuple[Fact, ...] = ()
    number_ending: str | None = None
    confidence: Confidence = Confidence.NONE
    why: tuple[str, ...] = ()
    recognisers: tuple[str, ...] = ()

    @property
    def understood(self) -> bool:
        """Return whether the message said anything the keeper can use."""
        return bool(self.facts)

    @property
    def balance(self) -> Money | None:
        """Return the balance the message states, if any."""
        return next((f.balance for f in self.facts if isinstance(f, BalanceFact)), None)

    def _expiry(self, kind: ExpiryKind) -> ExpiryFact | None:
        return next((f for f in self.facts if isinstance(f, ExpiryFact) and f.kind is kind), None)

    @property
    def plan_expiry(self) -> ExpiryFact | None:
        """Return the end of the paid period the message states, if any."""
        return self._expiry(ExpiryKind.PLAN_EXPIRY)

    @property
    def next_renewal(self) -> ExpiryFact | None:
        """Return the next renewal date the message states, if any."""
        return self._expiry(ExpiryKind.NEXT_RENEWAL)

    @property
    def payment(self) -> PaymentFact | None:
        """Return the payment the message reports, if any."""
        return next((f for f in self.facts if isinstance(f, PaymentFact)), None)

    @property
    def warnings(self) -> tuple[WarningFact, ...]:
        """Return every warning the message gives."""
        return tuple(f for f in self.facts if isinstance(f, WarningFact))


# --- Text preparation -----------------------------------------------------------------------------
_SPACE = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def _clean(text: str, limit: int) -> str:
    """NFKC (full-width digits and ￥ become ASCII), quotes, one space for any run of white space.

    Capped before and after normalising, which can lengthen a text.
    """
    text = unicodedata.normalize("NFKC", text[:limit]).translate(_INVISIBLE).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()[:limit]


def _haystack(message: Message) -> str:
    subject = _clean(message.subject, MAX_SUBJECT)
    text = _clean(message.text, MAX_TEXT)
    return f"{subject} | {text}" if subject else text


# --- Money ----------------------------------------------------------------------------------------
_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_DOLLARS = frozenset({"USD", "CAD", "AUD", "NZD", "HKD", "SGD", "TWD"})
_MARKERS: Final = {
    "us$": "USD",
    "£": "GBP",
    "€": "EUR",
    "¥": "CNY",
    "rmb": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "美元": "USD",
    "英镑": "GBP",
    "港币": "HKD",
}


def parse_message_money(
    text: str, *, dollar: str = "USD", bare: str | None = None, currency: str | None = None
) -> Money | None:
    """Money from an amount as a message writes it ("$3.00", "人民币21.50", "5.00美元", "£6.45").

    ``$`` means ``dollar`` (the carrier's currency when it is a dollar, else USD); an amount with
    no marker is read only when ``bare`` names its currency; ``currency`` (a separate group of the
    pattern) overrides the marker. None when the text is not one plausible, non-negative amount.
    """
    text = text.strip()
    numbers = _NUMBER.findall(text)
    if len(numbers) != 1 or len(text) > 40:
        return None
    marker = text.replace(numbers[0], "", 1).replace(" ", "").replace(":", "").lower()
    if currency is not None:
        code = _currency_word(currency)
    elif marker == "$":
        code = dollar if dollar in _DOLLARS else "USD"
    elif marker == "":
        code = bare
    else:
        code = _currency_word(marker)
    if code is None:
        return None
    try:
        amount = parse_decimal(numbers[0].replace(",", ""))
    except KeeperError:
        return None
    if amount > MAX_MESSAGE_AMOUNT:
        return None
    return Money(amount, code)


def _currency_word(word: str) -> str | None:
    word = word.strip().lower()
    if word in _MARKERS:
        return _MARKERS[word]
    upper = word.upper()
    return upper if upper in ISO_CURRENCIES else None


# --- Dates ----------------------------------------------------------------------------------------
_MONTHS: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip
_TIME_SUFFIX = re.compile(r",? (?:at )?(\d{1,2})(?::(\d{2}))? ?([ap])\.?m\.?(?: [a-z]{2,4})?$")
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NUMERIC = re.compile(r"(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?")
_MONTH_DAY = re.compile(r"([a-z]{3,9})\.? (\d{1,2})(?:st|nd|rd|th)?(?:,? (\d{4}))?")
_DAY_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)? (?:of )?([a-z]{3,9})\.?(?:,? (\d{4}))?")
_CJK = re.compile(r"(?:(\d{4}) ?年 ?)?(\d{1,2}) ?月 ?(\d{1,2}) ?[日号]")
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,? ")


def _month(word: str) -> int | None:
    word = word.lower().rstrip(".")
    for number, name in enumerate(_MONTHS, start=1):
        if len(word) >= 3 and (name.startswith(word) or (word == "sept" and number == 9)):
            return number
    return None


def parse_message_date(
    text: str, *, order: DateOrder, received_at: datetime, tz: ZoneInfo
) -> tuple[datetime, bool] | None:
    """(UTC instant, date only?) of a date as a message writes it, or None.

    Plain dates mean their first instant in ``tz`` (the carrier's timezone); a clock time ("at
    11:59 PM") is read in ``tz`` too. All-numeric dates follow ``order`` (03/04 is March 4 in the
    US, 3 April in the UK); ISO and Chinese dates are year first. A date without a year is the
    nearest one on or after the received day (a day's slack for delays and time zones). Dates more
    than a month before or about two years after the received time are refused as implausible.
    """
    received = require_aware(received_at, "received_at").astimezone(tz)
    text = _WEEKDAY.sub("", _clean(text, 80).lower())
    clock_time: time | None = None
    if (suffix := _TIME_SUFFIX.search(text)) is not None:
        hour, minute = int(suffix[1]), int(suffix[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        hour = hour % 12 + (12 if suffix[3] == "p" else 0)
        clock_time = time(hour, minute)
        text = text[: suffix.start()].strip()
    parts = _date_parts(text, order)
    if parts is None:
        return None
    year, month, day = parts
    day_found = _resolve(year, month, day, received.date())
    if day_found is None:
        return None
    if clock_time is None:
        return start_of_day(day_found, tz), True
    local = datetime.combine(day_found, clock_time, tzinfo=tz)
    return local.astimezone(UTC), False


def _date_parts(text: str, order: DateOrder) -> tuple[int | None, int, int] | None:
    if match := _ISO.fullmatch(text):
        return int(match[1]), int(match[2]), int(match[3])
    if match := _CJK.fullmatch(text):
        return (int(match[1]) if match[1] else None), int(match[2]), int(match[3])
    if match := _NUMERIC.fullmatch(text):
        first, second = int(match[1]), int(match[2])
        month, day = (first, second) if order is DateOrder.MDY else (second, first)
        year = None
        if match[3]:
            year = int(match[3]) + (2000 if len(match[3]) == 2 else 0)
        return year, month, day
    if match := _MONTH_DAY.fullmatch(text):
        month_found = _month(match[1])
        if month_found is None:
            return None
        return (int(match[3]) if match[3] else None), month_found, int(match[2])
    if match := _DAY_MONTH.fullmatch(text):
        month_found = _month(match[2])
        if month_found is None:
            return None
        return (int(match[3]) if match[3] else None), month_found, int(match[1])
    return None


def _resolve(year: int | None, month: int, day: int, received: date) -> date | None:
    earliest = received - timedelta(days=1)
    if year is None:
        candidates = (_date(y, month, day) for y in range(received.year - 1, received.year + 5))
        found = next((d for d in candidates if d is not None and d >= earliest), None)
    else:
        found = _date(year, month, day)
    if found is None:
        return None
    if not received - timedelta(days=_PAST_DAYS) <= found <= received + timedelta(_FUTURE_DAYS):
        return None
    return found


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- Who sent it ----------------------------------------------------------------------------------
_ADDRESS = re.compile(r"[\w.+-]+@((?:[\w-]+\.)+[\w-]+)")


def _sender_matches(senders: Senders, sender: str) -> str | None:
    """How ``sender`` matches (for the reasons), or None."""
    sender = _clean(sender, MAX_SENDER)
    if not sender:
        return None
    if (address := _ADDRESS.search(sender)) is not None:
        email, domain = address[0].lower(), address[1].lower()
        if email in senders.email_addresses:
            return "e-mail address"
        if any(domain == d or domain.endswith("." + d) for d in senders.email_domains):
            return "e-mail domain"
        return None
    compact = sender.replace(" ", "")
    if compact in senders.codes:
        return "USSD code"
    if re.fullmatch(r"\+?[\d().-]{3,20}", compact):
        digits = sender_digits(compact)
        # A phone may show a short code with the country code in front: "+1 6700".
        short = digits[1:] if compact.startswith("+1") and len(digits) <= 7 else digits
        return "short code" if {digits, short} & senders.numbers else None
    return "sender name" if sender.lower() in senders.names else None


def identify_sender(
    sender: str, catalog: MessageCatalog = CATALOG
) -> tuple[str, str] | tuple[None, None]:
    """("carrier" or "payer", id) of the carrier or bank a sender belongs to, or (None, None)."""
    for carrier in catalog.carriers.values():
        if _sender_matches(carrier.senders, sender):
            return "carrier", carrier.carrier
    for payer in catalog.payers.values():
        if _sender_matches(payer.senders, sender):
            return "payer", payer.id
    return None, None


def _names(carrier: CarrierMessages, text: str, *, short: bool) -> bool:
    patterns = carrier.names + (carrier.short_names if short else ())
    return any(p.search(text) for p in patterns)


# --- Reading --------------------------------------------------------------------------------------
_NEVER = re.compile(
    r"verification code|one-time (?:pin|code|password)|security code|passcode|\bOTP\b"
    r"|验证码|校验码|动态码",
    re.IGNORECASE,
)


@dataclass(slots=True)
class _Collector:
    """Facts found so far, one per kind; a second, different value is a conflict."""

    facts: dict[str, Fact] = field(default_factory=dict)
    conflicts: set[str] = field(default_factory=set)
    why: list[str] = field(default_factory=list)
    used: list[Recogniser] = field(default_factory=list)

    def add(self, key: str, fact: Fact) -> None:
        if key in self.conflicts:
            return
        known = self.facts.get(key)
        if known is None:
            self.facts[key] = fact
        elif known != fact:
            del self.facts[key]
            self.conflicts.add(key)
            self.why.append(f"two different {key} readings: neither is used")


def _group(match: re.Match[str], name: str) -> str | None:
    if name not in match.re.groupindex:
        return None
    value = match.group(name)
    return value if value else None


def _apply_carrier(
    carrier: CarrierMessages,
    recogniser: Recogniser,
    match: re.Match[str],
    message: Message,
    found: _Collector,
    *,
    names_carrier: bool,
) -> None:
    tz = zone(carrier.timezone)

    def money(name: str) -> Money | None:
        text = _group(match, name)
        if text is None:
            return None
        value = parse_message_money(text, dollar=carrier.currency)
        if value is None:
            found.why.append(f"{recogniser.id}: {name} is not an amount with a currency")
        return value

    def when(name: str) -> tuple[datetime, bool] | None:
        text = _group(match, name)
        if text is None:
            return None
        value = parse_message_date(
            text, order=carrier.date_order, received_at=message.received_at, tz=tz
        )
        if value is None:
            found.why.append(f"{recogniser.id}: {name} is not a plausible date")
        return value

    before = len(found.facts) + len(found.conflicts)
    if (balance := money("balance")) is not None:
        found.add("balance", BalanceFact(balance))
    cost = money("cost")
    expiry, renewal = when("expiry"), when("renewal")
    if expiry is not None:
        cost_here = cost if renewal is None else None
        fact = ExpiryFact(ExpiryKind.PLAN_EXPIRY, expiry[0], expiry[1], cost_here)
        found.add("plan_expiry", fact)
    if renewal is not None:
        found.add("next_renewal", ExpiryFact(ExpiryKind.NEXT_RENEWAL, *renewal, cost))
    if recogniser.kind is RecogniserKind.RECEIPT and (amount := money("amount")) is not None:
        if names_carrier:
            found.add("payment", PaymentFact(amount))
        else:
            found.why.append(f"{recogniser.id}: the receipt does not name the carrier; no payment")
    if recogniser.warning is not None:
        deadline = when("deadline")
        if deadline is None and (days := _group(match, "in_days")) is not None:
            count = int(days)
            if count <= _MAX_IN_DAYS:
                local = message.received_at.astimezone(tz).date() + timedelta(days=count)
                deadline = (start_of_day(local, tz), True)
        found.add(
            f"warning:{recogniser.warning}",
            WarningFact(recogniser.warning, None if deadline is None else deadline[0]),
        )
    if len(found.facts) + len(found.conflicts) > before:
        found.used.append(recogniser)


def _number_ending(haystack: str, catalog: MessageCatalog) -> str | None:
    endings = {m["line"] for p in catalog.line_patterns for m in p.finditer(haystack)}
    return endings.pop() if len(endings) == 1 else None


def _confidence(*, sender_known: bool, recognisers: Iterable[Recogniser]) -> Confidence:
    certain = all(not r.uncertain for r in recognisers)
    return Confidence(Confidence.LOW + int(sender_known) + int(certain))


def _read_carrier(
    carrier: CarrierMessages,
    haystack: str,
    message: Message,
    *,
    sender_known: bool,
    catalog: MessageCatalog,
    why: list[str],
) -> Reading:
    found = _Collector(why=why)
    names_carrier = _names(carrier, haystack, short=sender_known)
    for recogniser in carrier.recognisers:
        for match in recogniser.pattern.finditer(haystack):
            _apply_carrier(carrier, recogniser, match, message, found, names_carrier=names_carrier)
    if not found.facts:
        found.why.append("no recogniser of this carrier understood the text")
        return Reading(carrier=carrier.carrier, why=tuple(found.why))
    found.why.extend(
        f"read by {r.id}{' (format inferred)' if r.uncertain else ''}" for r in found.used
    )
    return Reading(
        carrier=carrier.carrier,
        facts=tuple(found.facts.values()),
        number_ending=_number_ending(haystack, catalog),
        confidence=_confidence(sender_known=sender_known, recognisers=found.used),
        why=tuple(found.why),
        recognisers=tuple(r.id for r in found.used),
    )


def _merchant_carrier(merchant: str, catalog: MessageCatalog) -> CarrierMessages | None:
    named = [c for c in catalog.carriers.values() if _names(c, merchant, short=False)]
    return named[0] if len(named) == 1 else None


def _read_payer(
    payer: PayerMessages, haystack: str, catalog: MessageCatalog, why: list[str]
) -> Reading:
    for recogniser in payer.recognisers:
        match = recogniser.pattern.search(haystack)
        if match is None:
            continue
        carrier = _merchant_carrier(match["merchant"], catalog)
        if carrier is None:
            why.append(f"{recogniser.id}: the merchant is not a known carrier")
            return Reading(carrier=None, why=tuple(why))
        currency = _group(match, "currency")
        amount = parse_message_money(match["amount"], dollar="USD", currency=currency)
        if amount is None:
            why.append(f"{recogniser.id}: amount is not an amount with a currency")
            return Reading(carrier=carrier.carrier, why=tuple(why))
        why.append(f"the merchant names {carrier.carrier}")
        why.append(f"read by {recogniser.id}{' (format inferred)' if recogniser.uncertain else ''}")
        return Reading(
            carrier=carrier.carrier,
            facts=(PaymentFact(amount, payer=payer.id),),
            confidence=_confidence(sender_known=True, recognisers=(recogniser,)),
            why=tuple(why),
            recognisers=(recogniser.id,),
        )
    why.append(f"no receipt of {payer.id} understood")
    return Reading(carrier=None, why=tuple(why))


def read_message(
    message: Message, *, custom: CustomPattern | None = None, catalog: MessageCatalog = CATALOG
) -> Reading:
    """Return what ``message`` says.

    Never raises on any text; returns a Reading with no facts when nothing is understood. ``custom``
    (a number's own pattern) is tried when the catalog's recognisers understood nothing.
    """
    reading = _read_catalog(message, catalog)
    if reading.understood or custom is None:
        return reading
    extra = custom.read(message, catalog)
    if extra.understood:
        return extra
    return Reading(
        carrier=reading.carrier, why=reading.why + extra.why, recognisers=reading.recognisers
    )


def _read_catalog(message: Message, catalog: MessageCatalog) -> Reading:
    haystack = _haystack(message)
    if not any(c.isdigit() for c in haystack) and not message.sender.strip():
        return Reading(carrier=None, why=("no digits and no sender: nothing to read",))
    if _NEVER.search(haystack):
        return Reading(carrier=None, why=("a one-time code message carries no facts",))
    kind, ident = identify_sender(message.sender, catalog)
    if kind == "carrier" and ident is not None:
        carrier = catalog.carriers[ident]
        how = _sender_matches(carrier.senders, message.sender)
        why = [f"the sender ({how}) is {ident}"]
        return _read_carrier(
            carrier, haystack, message, sender_known=True, catalog=catalog, why=why
        )
    if kind == "payer" and ident is not None:
        return _read_payer(catalog.payers[ident], haystack, catalog, [f"the sender is {ident}"])
    # Unknown sender: only a text naming exactly one carrier is read, with less confidence.
    named = [c for c in catalog.carriers.values() if _names(c, haystack, short=False)]
    if len(named) != 1:
        reason = "the sender is unknown and the text names no carrier"
        if named:
            reason = "the sender is unknown and the text names several carriers"
        return Reading(carrier=None, why=(reason,))
    return _read_carrier(
        named[0],
        haystack,
        message,
        sender_known=False,
        catalog=catalog,
        why=[f"the sender is unknown; the text names {named[0].carrier}"],
    )


# --- Per-number custom patterns -------------------------------------------------------------------
CUSTOM_GROUPS: Final = frozenset({"balance", "expiry", "amount"})
_MAX_WILDCARDS: Final = 2
_WILDCARD = re.compile(r"(?:\.|\[\^[^\]]*\])(?:[*+]|\{\d*,\})")
_PROBE_BUDGET: Final = 0.05  # seconds per probe length; lengths double up to MAX_CUSTOM_TEXT
_PROBE_UNITS: Final = ("a", "1", " ", "Balance: $1.00 ", "1/2/26 ", "a1 b2,", "余额10.00元,", "$1.")
_PROBE_LENGTHS: Final = (25, 50, 100, 200, 400, MAX_CUSTOM_TEXT)
_MIN_LITERAL_LETTERS: Final = 3


@dataclass(frozen=True, slots=True)
class CustomPattern:
    """A number's own regular expression with named groups ``balance``, ``expiry``, ``amount``.

    Build it with ``CustomPattern.compile``, which validates it. Amounts without a currency marker
    are read in ``currency``; dates follow ``date_order`` in ``timezone``. When ``sender`` is set,
    only messages from that sender (a number, code, name or e-mail address) are read. A payment
    (``amount``) is read only when ``sender`` is set and matches, or the text names ``carrier``.
    """

    pattern: re.Pattern[str]
    currency: str
    timezone: str
    date_order: DateOrder = DateOrder.MDY
    carrier: str | None = None
    sender: str | None = None

    @classmethod
    def compile(
        cls,
        pattern: str,
        *,
        currency: str,
        timezone: str,
        date_order: DateOrder | str = DateOrder.MDY,
        carrier: str | None = None,
        sender: str | None = None,
    ) -> CustomPattern:
        """Validate and compile ``pattern``; a CustomPatternError subclass when it is refused."""
        compiled = validate_custom_pattern(pattern)
        code = Money.zero(currency).currency
        zone(timezone)
        try:
            order = DateOrder(date_order)
        except ValueError as err:
            raise CustomPatternError("the date order is 'MDY' or 'DMY'") from err
        if sender is not None and (not sender.strip() or len(sender) > MAX_SENDER):
            raise CustomPatternError("the sender filter must be a short text")
        return cls(compiled, code, timezone, order, carrier, sender)

    def _senders(self) -> Senders:
        sender = (self.sender or "").strip()
        lowered = " ".join(sender.lower().split())
        digits = sender_digits(sender) if re.fullmatch(r"\+?[\d ().-]{3,20}", sender) else ""
        is_email = "@" in sender
        return Senders(
            numbers=frozenset({digits} if digits else ()),
            codes=frozenset({sender.replace(" ", "")} if "*" in sender or "#" in sender else ()),
            names=frozenset({lowered} if not digits and not is_email else ()),
            email_addresses=frozenset({lowered} if is_email else ()),
            email_domains=frozenset(),
        )

    def read(self, message: Message, catalog: MessageCatalog = CATALOG) -> Reading:
        """Return what this pattern reads in ``message`` (the first MAX_CUSTOM_TEXT characters)."""
        sender_ok = self.sender is not None and bool(
            _sender_matches(self._senders(), message.sender)
        )
        if self.sender is not None and not sender_ok:
            return Reading(carrier=None, why=("custom pattern: another sender",))
        haystack = _haystack(message)[:MAX_CUSTOM_TEXT]
        if _NEVER.search(haystack):
            return Reading(carrier=None, why=("a one-time code message carries no facts",))
        match = self.pattern.search(haystack)
        if match is None:
            return Reading(carrier=None, why=("custom pattern: no match",))
        if _literal_letters(match) < _MIN_LITERAL_LETTERS:
            return Reading(carrier=None, why=("custom pattern: the match has too few words",))
        return self._facts(match, message, haystack, catalog, sender_ok=sender_ok)

    def _facts(
        self,
        match: re.Match[str],
        message: Message,
        haystack: str,
        catalog: MessageCatalog,
        *,
        sender_ok: bool,
    ) -> Reading:
        tz = zone(self.timezone)
        facts: list[Fact] = []
        why = ["read by the number's custom pattern"]
        if (text := _group(match, "balance")) is not None:
            balance = parse_message_money(text, dollar=self.currency, bare=self.currency)
            if balance is not None:
                facts.append(BalanceFact(balance))
        if (text := _group(match, "expiry")) is not None:
            expiry = parse_message_date(
                text, order=self.date_order, received_at=message.received_at, tz=tz
            )
            if expiry is not None:
                facts.append(ExpiryFact(ExpiryKind.PLAN_EXPIRY, *expiry))
        if (text := _group(match, "amount")) is not None:
            carrier = catalog.carriers.get(self.carrier or "")
            named = carrier is not None and _names(carrier, haystack, short=True)
            amount = parse_message_money(text, dollar=self.currency, bare=self.currency)
            if amount is not None and (sender_ok or named):
                facts.append(PaymentFact(amount))
            elif amount is not None:
                why.append("custom pattern: a receipt needs the sender filter or the carrier name")
        if not facts:
            why.append("custom pattern: its groups held no amount or date")
            return Reading(carrier=None, why=tuple(why))
        return Reading(
            carrier=self.carrier,
            facts=tuple(facts),
            number_ending=_number_ending(haystack, catalog),
            confidence=Confidence.MEDIUM,
            why=tuple(why),
            recognisers=("custom",),
        )


def _literal_letters(match: re.Match[str]) -> int:
    """Letters the pattern matched outside its named groups: a pattern must anchor on words."""
    start = match.start()
    text = list(match[0])
    for name in match.re.groupindex:
        if match.start(name) >= 0:
            for index in range(match.start(name) - start, match.end(name) - start):
                text[index] = " "
    return sum(1 for char in text if char.isalpha())


def validate_custom_pattern(pattern: object) -> re.Pattern[str]:
    """Compile a user's pattern or raise: too long, not a regex, wrong groups, or risky."""
    if not isinstance(pattern, str) or not pattern.strip():
        raise PatternSyntaxError("enter a regular expression")
    if len(pattern) > MAX_PATTERN:
        raise PatternTooLongError(f"a pattern has at most {MAX_PATTERN} characters")
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        raise PatternSyntaxError(f"not a regular expression: {err.msg}") from err
    names = set(compiled.groupindex)
    if not names or names - CUSTOM_GROUPS:
        raise PatternGroupError(
            "name groups balance, expiry or amount, and only these, e.g. (?P<balance>[0-9.]+)"
        )
    if (risk := backtracking_risk(pattern)) is not None:
        raise PatternRiskError(f"the pattern could be very slow: {risk}")
    if len(_WILDCARD.findall(pattern)) > _MAX_WILDCARDS:
        raise PatternRiskError(f"use at most {_MAX_WILDCARDS} unbounded '.*' or '.+'")
    # Probe texts of doubling length: a pattern that blows up (polynomially or worse) shows it on
    # a short text and is refused before a long one could take minutes.
    for length in _PROBE_LENGTHS:
        started = clock.perf_counter()
        for unit in _PROBE_UNITS:
            compiled.search((unit * (length // len(unit) + 1))[:length])
        if clock.perf_counter() - started > _PROBE_BUDGET:
            raise PatternRiskError("the pattern is too slow on long texts")
    return compiled
