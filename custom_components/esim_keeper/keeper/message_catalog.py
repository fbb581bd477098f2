"""Carrier message recognisers, read once from data/carrier_messages.json and validated.

The data file says, per carrier preset, who sends its texts and e-mails (short codes, sender names,
e-mail addresses and domains), which words name it, how it writes ambiguous dates, and a list of
recognisers: regular expressions with named groups, each with a ``source`` note and ``uncertain``
where its wording is inferred rather than seen. ``payers`` do the same for banks and wallets whose
spending receipts can name a carrier as the merchant.

Patterns may use the macros in ``MACROS`` (``{MONEY}``, ``{DATE}``, ...) so that money, dates and
phone numbers are written once. Every pattern is compiled at import; a bad pattern, an unknown group
name or a nested repetition (catastrophic backtracking) raises CatalogError naming the recogniser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
import json
import re
from types import MappingProxyType
from typing import Final

from .carriers import PRESETS
from .errors import CatalogError

MESSAGE_CATALOG_VERSION = 1
MAX_PATTERN = 600
_MAX_NOTE = 600
_ID = re.compile(r"[a-z][a-z0-9_]{0,47}")


class DateOrder(StrEnum):
    """How a carrier writes an all-numeric date such as 03/04: month first (US), day first (UK)."""

    MDY = "MDY"
    DMY = "DMY"


class RecogniserKind(StrEnum):
    """What a recogniser reads: a status (balance, dates), a receipt (a payment), or a warning."""

    STATUS = "status"
    RECEIPT = "receipt"
    WARNING = "warning"


class WarningKind(StrEnum):
    """Warnings a carrier sends about a number."""

    RECLAIM = "reclaim"  # the number will be taken back (Google Voice)
    INACTIVITY = "inactivity"  # the number must be used (giffgaff)
    LOW_BALANCE = "low_balance"
    PAYMENT_FAILED = "payment_failed"
    SUSPENDED = "suspended"
    NUMBER_LOSS = "number_loss"  # the number will be deleted (Tello PAYG credit expiry)


# Named groups a carrier recogniser may use, and what each means:
#   balance  the carrier balance (money)          expiry   the plan's end (date)
#   renewal  the next renewal / billing date      cost     the coming renewal's price (money)
#   amount   a payment received (receipts only)   deadline a warning's date
#   in_days  a warning's deadline in N days
CARRIER_GROUPS: Final = frozenset(
    {"balance", "expiry", "renewal", "cost", "amount", "deadline", "in_days"}
)
# A payer recogniser reads a spending receipt: the amount, the merchant and maybe the currency.
PAYER_GROUPS: Final = frozenset({"amount", "merchant", "currency"})
LINE_GROUPS: Final = frozenset({"line"})

_AMT = r"(?:\d{1,3}(?:,\d{3})+|\d{1,7})(?:\.\d{1,2})?"
_MON = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])"
)
# Reusable pieces of pattern, expanded before compiling. Texts are matched after NFKC and with
# every run of white space collapsed to one space, so the macros write a space as " ".
MACROS: Final[Mapping[str, str]] = MappingProxyType(
    {
        # An amount with a currency marker in front: $3.00, US$3, £6.45, ¥21.50, USD 3.00.
        "MONEY": rf"(?:US\$|[$£€¥]|(?:USD|GBP|EUR|CNY|RMB) ?){_AMT}",
        # An amount as Chinese banks and wallets write it: 人民币21.50, ¥21.50, 21.50元, 5.00美元.
        "CNMONEY": rf"(?:(?:人民币|¥|RMB) ?{_AMT}|{_AMT} ?(?:美元|人民币|英镑|港币|元))",
        # A date: 2026-05-10, 05/10/2026, 5/10/26, 5/10, May 10, May 10th, 2026, 10 May 2026,
        # 2026年5月10日, 5月10日.
        "DATE": (
            r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}(?:[/.]\d{2}(?:\d{2})?)?(?![/.]?\d)"
            rf"|{_MON}\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
            rf"|\d{{1,2}}(?:st|nd|rd|th)? {_MON}\.?(?:,? \d{{4}})?"
            r"|(?:\d{4} ?年 ?)?\d{1,2} ?月 ?\d{1,2} ?[日号])"
        ),
        # An optional clock time after a date: " at 11:59 PM", " 9 am".
        "TIME": r"(?: (?:at )?\d{1,2}(?::\d{2})? ?[ap]\.?m\.?)?",
        # A North American number up to its last four digits: (202) 555-, +1 202.555.
        "PHONE": r"(?:\+?1[ .-]?)?\(?\d{3}\)?[ .-]?\d{3}[ .-]?",
        # A short gap between two parts of one sentence.
        "GAP": r".{0,60}?",
    }
)
_MACRO = re.compile(r"\{([A-Z]+)\}")


def expand(pattern: str) -> str:
    """Return the pattern with its ``{MACRO}`` names replaced; CatalogError on an unknown macro."""

    def one(match: re.Match[str]) -> str:
        try:
            return MACROS[match[1]]
        except KeyError:
            raise CatalogError(f"unknown pattern macro {{{match[1]}}}") from None

    return _MACRO.sub(one, pattern)


# --- Catastrophic backtracking: a conservative structural check ---------------------------------
_QUANT = re.compile(r"[*+?]|\{(\d{0,4})(,?)(\d{0,4})\}")


def _quantifier(pattern: str, index: int) -> tuple[int, int | None, int] | None:
    """(min, max or None for unbounded, length) of a quantifier at ``index``, or None."""
    match = _QUANT.match(pattern, index)
    if match is None:
        return None
    text = match[0]
    if text == "*":
        low, high = 0, None
    elif text == "+":
        low, high = 1, None
    elif text == "?":
        low, high = 0, 1
    else:
        if not match[1] and not match[3]:
            return None  # "{}" or "{,}" is a literal to Python
        low = int(match[1] or 0)
        high = None if match[2] and not match[3] else int(match[3] or match[1])
    end = match.end()
    if end < len(pattern) and pattern[end] in "?+":  # lazy or possessive
        end += 1
    return low, high, end - index


def backtracking_risk(pattern: str) -> str | None:
    r"""Why ``pattern`` may backtrack catastrophically, or None when it looks safe.

    Refused: a repeated group (``+``, ``*``, ``{2,}``) containing a variable quantifier or an
    alternation — ``(a+)+``, ``(\w+\s?)*``, ``(a|ab)+`` — and back-references. This is a
    conservative check of the pattern's structure, not a proof: callers also cap the text length.
    """
    stack: list[list[bool]] = [[False, False]]  # per open group: [has variable quant, has "|"]
    index = 0
    length = len(pattern)
    while index < length:
        char = pattern[index]
        atom_end = index + 1
        closed: list[bool] | None = None
        if char == "\\":
            if index + 1 < length and (pattern[index + 1].isdigit() and pattern[index + 1] != "0"):
                return "back-references are not allowed"
            atom_end = index + 2
        elif char == "[":
            atom_end = index + 1
            if atom_end < length and pattern[atom_end] == "^":
                atom_end += 1
            if atom_end < length and pattern[atom_end] == "]":
                atom_end += 1
            while atom_end < length and pattern[atom_end] != "]":
                atom_end += 2 if pattern[atom_end] == "\\" else 1
            atom_end += 1
        elif char == "(":
            if pattern.startswith("(?P=", index):
                return "back-references are not allowed"
            stack.append([False, False])
            index += 1
            continue
        elif char == ")":
            if len(stack) == 1:
                return "unbalanced parentheses"
            closed = stack.pop()
        elif char == "|":
            stack[-1][1] = True
        quant = _quantifier(pattern, atom_end)
        if quant is None:
            if closed is not None:
                stack[-1][0] = stack[-1][0] or closed[0]
            index = atom_end
            continue
        low, high, size = quant
        repeats = high is None or high > 1
        if closed is not None:
            if repeats and (closed[0] or closed[1]):
                return "a repeated group holds a repetition or an alternation (nested repetition)"
            stack[-1][0] = stack[-1][0] or closed[0]
        if high != low:
            stack[-1][0] = True
        index = atom_end + size
    if len(stack) != 1:
        return "unbalanced parentheses"
    return None


def compile_checked(pattern: str, allowed: frozenset[str], where: str) -> re.Pattern[str]:
    """Compile an expanded catalog pattern; CatalogError naming ``where`` on any problem."""
    if not isinstance(pattern, str) or not pattern or len(pattern) > MAX_PATTERN:
        raise CatalogError(f"{where}: a pattern is a text of 1 to {MAX_PATTERN} characters")
    expanded = expand(pattern)
    if (risk := backtracking_risk(expanded)) is not None:
        raise CatalogError(f"{where}: {risk}")
    try:
        compiled = re.compile(expanded, re.IGNORECASE)
    except re.error as err:
        raise CatalogError(f"{where}: the pattern does not compile: {err}") from err
    unknown = set(compiled.groupindex) - allowed
    if unknown:
        raise CatalogError(f"{where}: unknown group names {sorted(unknown)}")
    return compiled


# --- The catalog ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Recogniser:
    """One pattern: what it reads, where its format was seen, and whether that is inferred."""

    id: str
    kind: RecogniserKind
    pattern: re.Pattern[str]
    source: str
    uncertain: bool
    warning: WarningKind | None = None

    @property
    def groups(self) -> frozenset[str]:
        """Return the named groups the pattern captures."""
        return frozenset(self.pattern.groupindex)


@dataclass(frozen=True, slots=True)
class Senders:
    """Who sends a carrier's or a payer's messages."""

    numbers: frozenset[str]  # short codes and phone numbers, digits only
    codes: frozenset[str]  # USSD codes such as *100# (what a phone shows as the sender)
    names: frozenset[str]  # sender names, lower case
    email_addresses: frozenset[str]
    email_domains: frozenset[str]


@dataclass(frozen=True, slots=True)
class CarrierMessages:
    """A carrier's senders, names and recognisers."""

    carrier: str
    senders: Senders
    names: tuple[re.Pattern[str], ...]  # unambiguous names: identify the carrier from a text
    short_names: tuple[re.Pattern[str], ...]  # also count as naming it once the sender is known
    date_order: DateOrder
    currency: str
    timezone: str
    recognisers: tuple[Recogniser, ...]
    source: str


@dataclass(frozen=True, slots=True)
class PayerMessages:
    """A bank or wallet whose spending receipts may name a carrier as the merchant."""

    id: str
    name: str
    senders: Senders
    recognisers: tuple[Recogniser, ...]
    source: str


@dataclass(frozen=True, slots=True)
class MessageCatalog:
    """The carriers' and payers' message patterns, loaded from the shipped catalog."""

    carriers: Mapping[str, CarrierMessages]
    payers: Mapping[str, PayerMessages]
    line_patterns: tuple[re.Pattern[str], ...]


def _fail(where: str, message: str) -> CatalogError:
    return CatalogError(f"carrier message catalog, {where}: {message}")


def _note(where: str, value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_NOTE:
        raise _fail(where, f"{key} must be a non-empty text of at most {_MAX_NOTE} characters")
    return value


def _strings(where: str, raw: Mapping[str, object], key: str) -> list[str]:
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(
        isinstance(item, str) and item.strip() and len(item) <= 80 for item in value
    ):
        raise _fail(where, f"{key} must be a list of short texts")
    return [item.strip() for item in value]


def _keys(where: str, raw: object, required: set[str], optional: set[str]) -> dict[str, object]:
    if not isinstance(raw, dict):
        raise _fail(where, "must be an object")
    missing = required - set(raw)
    extra = set(raw) - required - optional
    if missing or extra:
        raise _fail(where, f"missing keys {sorted(missing)}, unexpected keys {sorted(extra)}")
    return raw


_NUMBER_SENDER = re.compile(r"\+?[\d ().-]{3,20}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_DOMAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)+")


def sender_digits(text: str) -> str:
    """Return the digits of a number-like sender.

    Without a leading US country code on long numbers.
    """
    digits = "".join(c for c in text if c.isdigit())
    return digits[1:] if len(digits) == 11 and digits.startswith("1") else digits


def _senders(where: str, raw: Mapping[str, object]) -> Senders:
    numbers, codes, names = set(), set(), set()
    for item in _strings(where, raw, "senders"):
        if _NUMBER_SENDER.fullmatch(item):
            numbers.add(sender_digits(item))
        elif "*" in item or "#" in item:
            codes.add(item.replace(" ", ""))
        else:
            names.add(" ".join(item.lower().split()))
    addresses = {item.lower() for item in _strings(where, raw, "email_addresses")}
    domains = {item.lower() for item in _strings(where, raw, "email_domains")}
    if not all(_EMAIL.fullmatch(item) for item in addresses):
        raise _fail(where, "email_addresses must be e-mail addresses")
    if not all(_DOMAIN.fullmatch(item) for item in domains):
        raise _fail(where, "email_domains must be domain names such as 'tello.com'")
    return Senders(
        frozenset(numbers), frozenset(codes), frozenset(names), frozenset(addresses),
        frozenset(domains),
    )  # fmt: skip


def name_pattern(name: str) -> re.Pattern[str]:
    """Return a carrier name as a whole word.

    Spaces and hyphens inside it are optional ("RedPocket").
    """
    parts = [re.escape(part) for part in re.split(r"[\s-]+", name.strip()) if part]
    body = r"[\s_.*-]?".join(parts)
    # ASCII boundaries: a name right after Chinese text ("在TELLO消费") still counts.
    return re.compile(rf"(?<![a-z0-9]){body}(?![a-z0-9])", re.IGNORECASE)


_REQUIRED: Final[Mapping[RecogniserKind, frozenset[str]]] = MappingProxyType(
    {
        RecogniserKind.STATUS: frozenset({"balance", "expiry", "renewal"}),
        RecogniserKind.RECEIPT: frozenset({"amount"}),
        RecogniserKind.WARNING: frozenset(),
    }
)


def _recogniser(where: str, raw: object, allowed: frozenset[str], seen: set[str]) -> Recogniser:
    data = _keys(where, raw, {"id", "kind", "pattern", "source", "uncertain"}, {"warning"})
    rec_id = data["id"]
    if not isinstance(rec_id, str) or not _ID.fullmatch(rec_id) or rec_id in seen:
        raise _fail(where, f"recogniser id {str(rec_id)[:48]!r} is not a new lower-case id")
    seen.add(rec_id)
    where = f"{where} {rec_id}"
    try:
        kind = RecogniserKind(str(data["kind"]))
        warning = None if data.get("warning") is None else WarningKind(str(data["warning"]))
    except ValueError as err:
        raise _fail(where, f"unknown kind or warning: {err}") from err
    if (kind is RecogniserKind.WARNING) != (warning is not None):
        raise _fail(where, "a warning recogniser, and only one, names its warning")
    if not isinstance(data["uncertain"], bool):
        raise _fail(where, "uncertain must be true or false")
    pattern = data["pattern"]
    if not isinstance(pattern, str):
        raise _fail(where, "pattern must be a text")
    compiled = compile_checked(pattern, allowed, f"carrier message catalog, {where}")
    needed = _REQUIRED[kind] & allowed
    if needed and not needed & set(compiled.groupindex):
        raise _fail(where, f"a {kind} pattern needs one of the groups {sorted(needed)}")
    if kind is not RecogniserKind.RECEIPT and "amount" in compiled.groupindex:
        raise _fail(where, "only a receipt reads a payment amount")
    payer_receipt = kind is RecogniserKind.RECEIPT and allowed is PAYER_GROUPS
    if payer_receipt and "merchant" not in compiled.groupindex:
        raise _fail(where, "a payer's receipt must read the merchant")
    return Recogniser(
        id=rec_id,
        kind=kind,
        pattern=compiled,
        source=_note(where, data["source"], "source"),
        uncertain=data["uncertain"],
        warning=warning,
    )


def _recognisers(
    where: str, raw: Mapping[str, object], allowed: frozenset[str], seen: set[str]
) -> tuple[Recogniser, ...]:
    items = raw["recognisers"]
    if not isinstance(items, list) or not items:
        raise _fail(where, "recognisers must be a non-empty list")
    return tuple(_recogniser(where, item, allowed, seen) for item in items)


_SENDER_KEYS = {"senders", "email_addresses", "email_domains"}


def _carrier(carrier_id: str, raw: object, seen: set[str]) -> CarrierMessages:
    where = f"carrier {carrier_id!r}"
    if carrier_id not in PRESETS:
        raise _fail(where, "is not a carrier preset in carriers.json")
    data = _keys(
        where,
        raw,
        {"names", "date_order", "source", "recognisers"},
        _SENDER_KEYS | {"short_names"},
    )
    try:
        order = DateOrder(str(data["date_order"]))
    except ValueError as err:
        raise _fail(where, "date_order must be 'MDY' or 'DMY'") from err
    names = _strings(where, data, "names")
    if not names:
        raise _fail(where, "names must name the carrier at least once")
    preset = PRESETS[carrier_id]
    return CarrierMessages(
        carrier=carrier_id,
        senders=_senders(where, data),
        names=tuple(name_pattern(name) for name in names),
        short_names=tuple(name_pattern(name) for name in _strings(where, data, "short_names")),
        date_order=order,
        currency=preset.currency,
        timezone=preset.timezone,
        recognisers=_recognisers(where, data, CARRIER_GROUPS, seen),
        source=_note(where, data["source"], "source"),
    )


def _payer(payer_id: str, raw: object, seen: set[str]) -> PayerMessages:
    where = f"payer {payer_id!r}"
    if not _ID.fullmatch(payer_id):
        raise _fail(where, "ids are lower-case letters, digits and '_'")
    data = _keys(where, raw, {"name", "source", "recognisers"}, _SENDER_KEYS)
    return PayerMessages(
        id=payer_id,
        name=_note(where, data["name"], "name"),
        senders=_senders(where, data),
        recognisers=_recognisers(where, data, PAYER_GROUPS, seen),
        source=_note(where, data["source"], "source"),
    )


def parse_message_catalog(document: object) -> MessageCatalog:
    """Validate a decoded catalog document; CatalogError on any bad value."""
    data = _keys("document", document, {"version", "line_patterns", "carriers", "payers"}, set())
    if data["version"] != MESSAGE_CATALOG_VERSION:
        raise _fail("document", f"unsupported version {data['version']!r}")
    carriers, payers, lines = data["carriers"], data["payers"], data["line_patterns"]
    if not isinstance(carriers, dict) or not carriers or not isinstance(payers, dict):
        raise _fail("document", "'carriers' must be a non-empty object and 'payers' an object")
    if not isinstance(lines, list) or not all(isinstance(line, str) for line in lines):
        raise _fail("document", "'line_patterns' must be a list of patterns")
    line_patterns = []
    for index, line in enumerate(lines):
        compiled = compile_checked(line, LINE_GROUPS, f"line pattern {index}")
        if "line" not in compiled.groupindex:
            raise _fail(f"line pattern {index}", "must read the group 'line'")
        line_patterns.append(compiled)
    seen: set[str] = set()
    return MessageCatalog(
        carriers=MappingProxyType(
            {str(key): _carrier(str(key), value, seen) for key, value in carriers.items()}
        ),
        payers=MappingProxyType(
            {str(key): _payer(str(key), value, seen) for key, value in payers.items()}
        ),
        line_patterns=tuple(line_patterns),
    )


def load_message_catalog(text: str) -> MessageCatalog:
    """Parse and check a catalog document; CatalogError when it is malformed."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as err:
        raise CatalogError(f"carrier message catalog is not valid JSON: {err}") from err
    return parse_message_catalog(document)


def _read_bundled() -> str:
    # Read once at import time (not from the event loop); the file ships next to this module.
    return resources.files(__package__).joinpath("data", "carrier_messages.json").read_text("utf-8")


CATALOG: Final = load_message_catalog(_read_bundled())
