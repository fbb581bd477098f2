"""Reading carrier texts and e-mails (keeper/messages.py) and the message catalog behind it."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from decimal import Decimal
import json
from pathlib import Path
import re
import time
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings, strategies as st
import pytest

from custom_components.esim_keeper.keeper import message_catalog
from custom_components.esim_keeper.keeper.carriers import PRESETS
from custom_components.esim_keeper.keeper.errors import CatalogError, KeeperError
from custom_components.esim_keeper.keeper.message_catalog import (
    CATALOG,
    DateOrder,
    backtracking_risk,
    expand,
    load_message_catalog,
    parse_message_catalog,
)
from custom_components.esim_keeper.keeper.messages import (
    MAX_TEXT,
    BalanceFact,
    Confidence,
    CustomPattern,
    CustomPatternError,
    ExpiryFact,
    ExpiryKind,
    Message,
    PatternGroupError,
    PatternRiskError,
    PatternSyntaxError,
    PatternTooLongError,
    PaymentFact,
    Reading,
    WarningFact,
    WarningKind,
    identify_sender,
    parse_message_date,
    parse_message_money,
    read_message,
    validate_custom_pattern,
)
from custom_components.esim_keeper.keeper.money import Money

from .conftest import CORPUS_FIGURES

CORPUS = Path(__file__).parent / "message_corpus"
DATA = Path(message_catalog.__file__).parent / "data" / "carrier_messages.json"
RECEIVED = datetime(2026, 5, 1, 16, 0, tzinfo=UTC)
NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def _corpus(name: str) -> list[dict[str, Any]]:
    return json.loads((CORPUS / name).read_text("utf-8"))["messages"]


def _message(item: dict[str, Any]) -> Message:
    received = datetime.fromisoformat(item.get("received_at", RECEIVED.isoformat()))
    return Message(item["text"], received, item.get("sender", ""), item.get("subject", ""))


def _summary(reading: Reading, carrier: str | None) -> dict[str, str]:
    """Return the reading in the corpus's terms (local dates in the carrier's timezone)."""
    tz = ZoneInfo(PRESETS[carrier or "other"].timezone)
    got: dict[str, str] = {}
    for fact in reading.facts:
        if isinstance(fact, BalanceFact):
            got["balance"] = str(fact.balance)
        elif isinstance(fact, ExpiryFact):
            key = "expiry" if fact.kind is ExpiryKind.PLAN_EXPIRY else "renewal"
            got[key] = fact.at.astimezone(tz).date().isoformat()
            if not fact.date_only:
                got["expiry_time"] = fact.at.astimezone(tz).strftime("%H:%M")
            if fact.renewal_cost is not None:
                got["renewal_cost"] = str(fact.renewal_cost)
        elif isinstance(fact, PaymentFact):
            got["payment"] = str(fact.amount)
        else:
            got["warning"] = fact.kind.value
            if fact.deadline is not None:
                got["deadline"] = fact.deadline.astimezone(tz).date().isoformat()
    if reading.number_ending:
        got["line"] = reading.number_ending
    return got


# --- Corpus -------------------------------------------------------------------------------------
def test_corpus_carrier_texts_are_understood_correctly() -> None:
    messages = _corpus("carrier_texts.json")
    assert len(messages) >= 40
    understood, fields, wrong = 0, dict.fromkeys(("balance", "dates", "payment", "warning"), 0), []
    for item in messages:
        reading = read_message(_message(item))
        if not reading.understood:
            continue
        understood += 1
        got = _summary(reading, reading.carrier)
        fields["balance"] += "balance" in got
        fields["dates"] += "expiry" in got or "renewal" in got
        fields["payment"] += "payment" in got
        fields["warning"] += "warning" in got
        if reading.carrier != item["carrier"] or got != item["expect"]:
            wrong.append((item["text"][:50], item["expect"], got))
    CORPUS_FIGURES.append(
        f"carrier texts understood: {understood}/{len(messages)} (with a balance "
        f"{fields['balance']}, a date {fields['dates']}, a payment {fields['payment']}, "
        f"a warning {fields['warning']}; wrong readings {len(wrong)})"
    )
    assert wrong == []  # whatever is understood is understood right
    assert understood >= len(messages) - 2


def test_corpus_unrelated_texts_are_never_understood() -> None:
    messages = _corpus("unrelated_texts.json")
    assert len(messages) >= 40
    understood = [m["text"][:40] for m in messages if read_message(_message(m)).understood]
    CORPUS_FIGURES.append(
        f"unrelated texts understood: {len(understood)}/{len(messages)} (must be 0)"
    )
    assert understood == []


def test_every_recogniser_reads_at_least_one_corpus_text() -> None:
    used: set[str] = set()
    for item in _corpus("carrier_texts.json"):
        used.update(read_message(_message(item)).recognisers)
    every = {r.id for c in CATALOG.carriers.values() for r in c.recognisers}
    every |= {r.id for p in CATALOG.payers.values() for r in p.recognisers}
    assert every - used == set()


def test_the_catalog_covers_every_real_carrier_and_notes_sources() -> None:
    assert set(CATALOG.carriers) == set(PRESETS) - {"other"}
    for carrier in CATALOG.carriers.values():
        assert carrier.source
        for recogniser in carrier.recognisers:
            assert recogniser.source
            assert isinstance(recogniser.uncertain, bool)
    assert CATALOG.carriers["giffgaff"].date_order is DateOrder.DMY
    assert CATALOG.carriers["ultra_paygo"].date_order is DateOrder.MDY


# --- Properties ---------------------------------------------------------------------------------
SENDERS = st.sampled_from(
    ["", "6700", "Tello", "*100#", "95555", "支付宝", "voice-noreply@google.com", "+12025550123"]
)
NO_DIGITS = st.text(
    alphabet=st.characters(blacklist_categories=("Nd", "No", "Nl", "Cs")), max_size=300
)


@given(text=st.text(max_size=3000), sender=st.text(max_size=60), subject=st.text(max_size=60))
def test_any_text_never_crashes(text: str, sender: str, subject: str) -> None:
    reading = read_message(Message(text, RECEIVED, sender, subject))
    assert isinstance(reading, Reading)
    for fact in reading.facts:
        if isinstance(fact, BalanceFact | PaymentFact):
            money = fact.balance if isinstance(fact, BalanceFact) else fact.amount
            assert isinstance(money.amount, Decimal)
        if isinstance(fact, ExpiryFact):
            assert fact.at.tzinfo is not None


@given(text=st.text(max_size=500), sender=SENDERS)
def test_any_text_from_a_carrier_sender_never_crashes(text: str, sender: str) -> None:
    read_message(Message(text, RECEIVED, sender))
    read_message(Message("Ultra Mobile: balance is $1.00. " + text, RECEIVED, sender))


@given(text=NO_DIGITS, subject=NO_DIGITS, sender=SENDERS)
def test_a_text_without_digits_yields_no_amount_or_date(
    text: str, subject: str, sender: str
) -> None:
    reading = read_message(Message(text, RECEIVED, sender, subject))
    assert not [f for f in reading.facts if not isinstance(f, WarningFact)]
    assert all(isinstance(f, WarningFact) and f.deadline is None for f in reading.facts)


@given(text=NO_DIGITS, subject=NO_DIGITS)
def test_a_text_without_digits_and_sender_yields_nothing(text: str, subject: str) -> None:
    assert read_message(Message(text, RECEIVED, "", subject)).facts == ()


@settings(max_examples=30)
@given(prefix=st.text(max_size=50), amount=st.integers(min_value=0, max_value=99999))
def test_an_unknown_sender_never_gives_a_balance(prefix: str, amount: int) -> None:
    text = f"{prefix} Your balance is ${amount}.00 and your plan expires on 05/10/2026."
    reading = read_message(Message(text, RECEIVED, "+12025550177"))
    if not any(_named(c, text) for c in CATALOG.carriers.values()):
        assert not reading.understood


def _named(carrier: Any, text: str) -> bool:
    clean = " ".join(text.split())
    return any(p.search(clean) for p in carrier.names)


@pytest.mark.parametrize(
    "text",
    [
        "$" + "1" * 100_000,
        "balance is " * 20_000,
        "Ultra Mobile: plan " + "expires on " * 5000,
        "您账户1234于在【" + "支付宝-" * 20_000,
        "\u200b" * 50_000 + "Your balance is $4.25",
    ],
)
def test_hostile_texts_are_cut_and_read_quickly(text: str) -> None:
    started = time.perf_counter()
    for sender in ("6700", "95555", "", "voice-noreply@google.com"):
        read_message(Message(text, RECEIVED, sender, text))
    assert time.perf_counter() - started < 2


def test_catalog_patterns_stay_fast_on_adversarial_texts() -> None:
    units = ["1", "1/", "May ", "$1,", "balance is ", "人民币", " ", "a", "1."]
    started = time.perf_counter()
    for carrier in CATALOG.carriers.values():
        for recogniser in carrier.recognisers:
            for unit in units:
                recogniser.pattern.search((unit * MAX_TEXT)[:MAX_TEXT])
    assert time.perf_counter() - started < 5


# --- Safety rules -------------------------------------------------------------------------------
def test_a_bank_balance_is_never_a_carrier_balance() -> None:
    text = "您尾号1234卡5月2日12:03快捷支付(支付宝-Tello)支出5.00元，余额1,000.00元。【工商银行】"
    reading = read_message(Message(text, RECEIVED, "95588"))
    assert reading.carrier == "tello"
    assert reading.balance is None
    assert reading.payment == PaymentFact(Money(Decimal("5.00"), "CNY"), payer="icbc")
    assert reading.confidence is Confidence.MEDIUM


def test_a_receipt_that_does_not_name_the_carrier_records_no_payment() -> None:
    reading = read_message(Message("Thank you for your payment of $3.00.", RECEIVED, "6700"))
    assert reading.carrier == "ultra_paygo"
    assert reading.payment is None
    assert any("does not name the carrier" in why for why in reading.why)


def test_an_unknown_sender_naming_the_carrier_is_read_with_less_confidence() -> None:
    text = "Tello: Your Pay As You Go balance is $3.10."
    from_tello = read_message(Message(text, RECEIVED, "Tello"))
    forwarded = read_message(Message(text, RECEIVED, "+12025550188"))
    assert from_tello.balance == forwarded.balance == Money(Decimal("3.10"), "USD")
    assert forwarded.confidence < from_tello.confidence
    two = read_message(Message("Tello and Mint Mobile: balance is $3.10", RECEIVED, "x"))
    assert not two.understood
    assert "several carriers" in two.why[0]


def test_one_time_codes_from_a_carrier_carry_no_facts() -> None:
    text = "Ultra Mobile: Your verification code is 4471. Your balance is $3.00."
    assert not read_message(Message(text, RECEIVED, "6700")).understood


def test_two_different_values_of_one_fact_are_a_conflict() -> None:
    text = "Ultra Mobile: balance is $3.00. Wallet balance $4.00."
    reading = read_message(Message(text, RECEIVED, "6700"))
    assert reading.balance is None
    assert any("two different balance" in why for why in reading.why)


def test_the_same_value_twice_is_no_conflict() -> None:
    text = "Ultra Mobile: balance is $3.00. Wallet balance $3.00."
    assert read_message(Message(text, RECEIVED, "6700")).balance == Money(Decimal(3), "USD")


def test_a_merchant_that_is_no_carrier_or_a_bad_amount_gives_nothing() -> None:
    text = "您账户1234于05月10日12:03在【支付宝-Castello Pizza】发生快捷支付扣款，人民币21.50"
    reading = read_message(Message(text, RECEIVED, "95555"))
    assert not reading.understood
    assert reading.carrier is None
    unknown = read_message(Message("招商银行 something 12", RECEIVED, "95555"))
    assert not unknown.understood


def test_full_width_digits_and_currency_are_read() -> None:
    reading = read_message(Message("Tello：Pay As You Go balance is ＄４.２５", RECEIVED, "Tello"))
    assert reading.balance == Money(Decimal("4.25"), "USD")


def test_text_past_the_cap_is_not_read() -> None:
    text = "x" * MAX_TEXT + " Tello: Your Pay As You Go balance is $4.25"
    assert not read_message(Message(text, RECEIVED, "Tello")).understood


def test_reasons_never_contain_the_message_or_the_number() -> None:
    for item in _corpus("carrier_texts.json") + _corpus("unrelated_texts.json"):
        reading = read_message(_message(item))
        for why in reading.why:
            assert "555" not in why
            assert not re.search(r"\d{3,}", why), why


def test_an_implausible_date_is_dropped_with_a_reason() -> None:
    reading = read_message(
        Message("Red Pocket: Your airtime expires on 05/10/2031.", RECEIVED, "Red Pocket")
    )
    assert not reading.understood
    assert any("not a plausible date" in why for why in reading.why)


def test_a_warning_in_days_counts_from_the_received_day() -> None:
    text = "Your Google Voice number will be reclaimed in 500 days."
    reading = read_message(Message(text, RECEIVED, "voice-noreply@google.com"))
    assert reading.warnings == (WarningFact(WarningKind.RECLAIM, None),)


def test_a_message_needs_an_aware_time_and_texts() -> None:
    with pytest.raises(KeeperError):
        Message("x", datetime(2026, 5, 1))  # noqa: DTZ001 - the point of the test
    with pytest.raises(KeeperError):
        Message(b"x", RECEIVED)  # type: ignore[arg-type]


# --- Senders --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("6700", ("carrier", "ultra_paygo")),
        ("+1 (670) 0", ("carrier", "ultra_paygo")),
        ("Tello <noreply@mail.tello.com>", ("carrier", "tello")),
        ("tello.com.example.net <a@tello.com.example.net>", (None, None)),
        ("voice-noreply@google.com", ("carrier", "google_voice")),
        ("someone@google.com", (None, None)),
        ("*100#", ("carrier", "giffgaff")),
        ("  red   pocket ", ("carrier", "redpocket")),
        ("95555", ("payer", "cmb")),
        ("+12025550123", (None, None)),
        ("", (None, None)),
    ],
)
def test_identify_sender(sender: str, expected: tuple[str | None, str | None]) -> None:
    assert identify_sender(sender) == expected


# --- Dates and money ----------------------------------------------------------------------------
def _day(text: str, order: DateOrder = DateOrder.MDY, tz: ZoneInfo = NY) -> date | None:
    found = parse_message_date(text, order=order, received_at=RECEIVED, tz=tz)
    return None if found is None else found[0].astimezone(tz).date()


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("06/07/2026", DateOrder.MDY, date(2026, 6, 7)),
        ("06/07/2026", DateOrder.DMY, date(2026, 7, 6)),
        ("03/04/2026", DateOrder.MDY, None),  # March 4: too long before the received day
        ("5/10/26", DateOrder.MDY, date(2026, 5, 10)),
        ("2026-05-10", DateOrder.DMY, date(2026, 5, 10)),
        ("May 10", DateOrder.MDY, date(2026, 5, 10)),
        ("Sept. 3rd, 2026", DateOrder.MDY, date(2026, 9, 3)),
        ("10th of May 2026", DateOrder.DMY, date(2026, 5, 10)),
        ("Mon, June 1", DateOrder.MDY, date(2026, 6, 1)),
        ("2026年5月10日", DateOrder.MDY, date(2026, 5, 10)),
        ("5月10号", DateOrder.MDY, date(2026, 5, 10)),
        ("Apr 30", DateOrder.MDY, date(2026, 4, 30)),  # a day's slack before the received day
        ("Apr 20", DateOrder.MDY, date(2027, 4, 20)),  # no year: the next April 20
        ("13/13/2026", DateOrder.MDY, None),
        ("Mayday 10", DateOrder.MDY, None),
        ("10 Foo 2026", DateOrder.MDY, None),
        ("02/29/2027", DateOrder.MDY, None),
        ("2024-05-10", DateOrder.MDY, None),  # two years ago is not plausible
        ("soon", DateOrder.MDY, None),
    ],
)
def test_parse_message_date(text: str, order: DateOrder, expected: date | None) -> None:
    assert _day(text, order) == expected


def test_a_date_without_a_year_near_new_year_is_next_year() -> None:
    received = datetime(2026, 12, 30, 12, tzinfo=UTC)
    found = parse_message_date("Jan 2", order=DateOrder.MDY, received_at=received, tz=NY)
    assert found is not None
    assert found[0].astimezone(NY).date() == date(2027, 1, 2)


def test_february_29_without_a_year_is_the_next_leap_day() -> None:
    assert _day("Feb 29") == date(2028, 2, 29)


def test_a_clock_time_is_read_in_the_carrier_timezone() -> None:
    found = parse_message_date(
        "May 10 at 11:59 PM", order=DateOrder.MDY, received_at=RECEIVED, tz=NY
    )
    assert found == (datetime(2026, 5, 11, 3, 59, tzinfo=UTC), False)
    plain = parse_message_date("May 10", order=DateOrder.MDY, received_at=RECEIVED, tz=LONDON)
    assert plain == (datetime(2026, 5, 9, 23, 0, tzinfo=UTC), True)
    assert _day("May 10 at 13:00 pm") is None


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        ("$3.00", {}, Money(Decimal("3.00"), "USD")),
        ("$3.00", {"dollar": "GBP"}, Money(Decimal("3.00"), "USD")),
        ("$3.00", {"dollar": "CAD"}, Money(Decimal("3.00"), "CAD")),
        ("US$ 1,362.41", {}, Money(Decimal("1362.41"), "USD")),
        ("人民币21.50", {}, Money(Decimal("21.50"), "CNY")),
        ("5.00美元", {}, Money(Decimal("5.00"), "USD")),
        ("21.50元", {}, Money(Decimal("21.50"), "CNY")),
        ("£6.45", {}, Money(Decimal("6.45"), "GBP")),
        ("EUR 4", {}, Money(Decimal(4), "EUR")),
        ("4.25", {}, None),
        ("4.25", {"bare": "USD"}, Money(Decimal("4.25"), "USD")),
        ("4.25", {"currency": "人民币"}, Money(Decimal("4.25"), "CNY")),
        ("4.25 XYZ", {}, None),
        ("$1,23", {}, None),
        ("$1 $2", {}, None),
        ("$1000000", {}, None),
        ("$" + "9" * 50, {}, None),
    ],
)
def test_parse_message_money(text: str, kwargs: dict[str, Any], expected: Money | None) -> None:
    assert parse_message_money(text, **kwargs) == expected


def test_an_amount_with_too_many_places_is_refused() -> None:
    assert parse_message_money("1." + "1" * 20, bare="USD") is None


# --- Custom patterns ------------------------------------------------------------------------------
def _custom(pattern: str, **kwargs: Any) -> CustomPattern:
    kwargs.setdefault("currency", "USD")
    kwargs.setdefault("timezone", "America/New_York")
    return CustomPattern.compile(pattern, **kwargs)


def test_a_custom_pattern_reads_what_the_catalog_does_not() -> None:
    custom = _custom(r"Saldo: \$?(?P<balance>[\d.]+), vence (?P<expiry>[\d/]+)")
    message = Message("Saldo: 4.25, vence 10/05/2026", RECEIVED, "+12025550166")
    assert not read_message(message).understood
    reading = read_message(message, custom=custom)
    assert reading.balance == Money(Decimal("4.25"), "USD")
    assert reading.plan_expiry is not None
    assert reading.plan_expiry.at.astimezone(NY).date() == date(2026, 10, 5)
    assert reading.confidence is Confidence.MEDIUM
    assert reading.recognisers == ("custom",)
    dmy = _custom(r"vence (?P<expiry>[\d/]+)", date_order="DMY", timezone="Europe/London")
    expiry = read_message(message, custom=dmy).plan_expiry
    assert expiry is not None
    assert expiry.at.astimezone(LONDON).date() == date(2026, 5, 10)


def test_the_catalog_wins_over_a_custom_pattern() -> None:
    custom = _custom(r"balance is \$(?P<balance>[\d.]+)")
    message = Message("Tello: Pay As You Go balance is $4.25", RECEIVED, "Tello")
    assert read_message(message, custom=custom).recognisers == ("tello_payg_balance",)


def test_a_custom_pattern_respects_its_sender_filter() -> None:
    custom = _custom(r"paid (?P<amount>[\d.]+) dollars", sender="+1 202 555 0166")
    text = "You paid 10.00 dollars"
    assert read_message(Message(text, RECEIVED, "2025550166"), custom=custom).payment == (
        PaymentFact(Money(Decimal("10.00"), "USD"))
    )
    other = read_message(Message(text, RECEIVED, "2025550199"), custom=custom)
    assert not other.understood
    assert "custom pattern: another sender" in other.why


def test_a_custom_payment_needs_the_sender_filter_or_the_carrier_name() -> None:
    custom = _custom(r"paid (?P<amount>[\d.]+) dollars", carrier="tello")
    unnamed = read_message(Message("You paid 10.00 dollars", RECEIVED, "x"), custom=custom)
    assert unnamed.payment is None
    named = read_message(Message("Tello: You paid 10.00 dollars", RECEIVED, "x"), custom=custom)
    assert named.payment == PaymentFact(Money(Decimal("10.00"), "USD"))
    assert named.carrier == "tello"


@pytest.mark.parametrize(
    ("sender", "text"),
    [
        ("a@b.example", "balance 1.00"),
        ("*123#", "balance 1.00"),
        ("Carrier", "balance 1.00"),
    ],
)
def test_custom_sender_filters_of_every_kind(sender: str, text: str) -> None:
    custom = _custom(r"balance (?P<balance>[\d.]+)", sender=sender)
    assert read_message(Message(text, RECEIVED, sender), custom=custom).understood
    assert not read_message(Message(text, RECEIVED, "someone else"), custom=custom).understood


def test_a_custom_pattern_must_anchor_on_words() -> None:
    custom = _custom(r"(?P<balance>\$[\d.]+)")
    reading = read_message(Message("Total $4.25", RECEIVED, "x"), custom=custom)
    assert not reading.understood
    assert "custom pattern: the match has too few words" in reading.why


def test_a_custom_pattern_with_nothing_usable_reads_nothing() -> None:
    custom = _custom(r"balance (?P<balance>\w+)")
    assert not read_message(Message("balance none 1", RECEIVED, "x"), custom=custom).understood
    assert not read_message(Message("no match 1", RECEIVED, "x"), custom=custom).understood
    assert not read_message(
        Message("verification code 1, balance 1", RECEIVED, "x"), custom=custom
    ).understood


@pytest.mark.parametrize(
    ("pattern", "error"),
    [
        ("", PatternSyntaxError),
        ("(?P<balance>[0-9", PatternSyntaxError),
        ("balance [0-9]+", PatternGroupError),
        ("(?P<pin>[0-9]+)", PatternGroupError),
        ("(?P<balance>[0-9]+)" + "x" * 600, PatternTooLongError),
        ("(?P<balance>(a+)+)", PatternRiskError),
        (r"(?P<balance>(?:\w+\s?)*)", PatternRiskError),
        ("(?P<balance>(?:a|ab)+)", PatternRiskError),
        (r"(?P<balance>\d)\1", PatternRiskError),
        (r"(?P<balance>\d)(?P=balance)", PatternRiskError),
        ("a.*b.*c.*(?P<balance>1)", PatternRiskError),
        (r"(?P<balance>\d*\d*\d*\d*\d*x)", PatternRiskError),
    ],
)
def test_custom_patterns_are_validated(pattern: str, error: type[CustomPatternError]) -> None:
    with pytest.raises(error) as caught:
        validate_custom_pattern(pattern)
    assert caught.value.key.startswith("custom_pattern") or caught.value.key.startswith(
        "invalid_custom"
    )


def test_custom_pattern_options_are_validated() -> None:
    with pytest.raises(KeeperError):
        _custom(r"balance (?P<balance>1)", currency="XXX1")
    with pytest.raises(KeeperError):
        _custom(r"balance (?P<balance>1)", timezone="Mars/Base")
    with pytest.raises(CustomPatternError, match="MDY"):
        _custom(r"balance (?P<balance>1)", date_order="YMD")
    with pytest.raises(CustomPatternError):
        _custom(r"balance (?P<balance>1)", sender=" ")


# --- The pattern checker and the catalog loader ---------------------------------------------------
@pytest.mark.parametrize("name", ["MONEY", "CNMONEY", "DATE", "TIME", "PHONE", "GAP"])
def test_macros_are_safe(name: str) -> None:
    assert backtracking_risk(expand("{" + name + "}")) is None


@pytest.mark.parametrize(
    ("pattern", "risky"),
    [
        (r"(?:,\d{3})+", False),
        (r"[(]\)x{}a{,}", False),
        (r"[]a]+(?:b)?", False),
        (r"(a{1,3}){2}", True),
        (r"(a+)", False),
        (r"(a", True),
        (r"a)", True),
    ],
)
def test_backtracking_risk(pattern: str, risky: bool) -> None:
    assert (backtracking_risk(pattern) is not None) is risky


def _document() -> dict[str, Any]:
    return json.loads(DATA.read_text("utf-8"))


def test_the_bundled_file_loads_as_the_catalog() -> None:
    catalog = load_message_catalog(DATA.read_text("utf-8"))
    assert set(catalog.carriers) == set(CATALOG.carriers)


def _broken(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(_document())
    change(document)
    return document


def _first(document: dict[str, Any]) -> dict[str, Any]:
    return document["carriers"]["ultra_paygo"]["recognisers"][0]


BROKEN = {
    "version": lambda d: d.update(version=2),
    "extra key": lambda d: d.update(more=1),
    "carriers": lambda d: d.update(carriers={}),
    "line patterns": lambda d: d.update(line_patterns="x"),
    "line group": lambda d: d.update(line_patterns=["no group"]),
    "unknown carrier": lambda d: d["carriers"].update(acme=d["carriers"]["tello"]),
    "not an object": lambda d: d["carriers"].update(tello=[]),
    "date order": lambda d: d["carriers"]["tello"].update(date_order="YMD"),
    "no names": lambda d: d["carriers"]["tello"].update(names=[]),
    "bad senders": lambda d: d["carriers"]["tello"].update(senders=[1]),
    "bad address": lambda d: d["carriers"]["tello"].update(email_addresses=["nobody"]),
    "bad domain": lambda d: d["carriers"]["tello"].update(email_domains=["not a domain"]),
    "no recognisers": lambda d: d["carriers"]["tello"].update(recognisers=[]),
    "source": lambda d: d["carriers"]["tello"].update(source=""),
    "duplicate id": lambda d: _first(d).update(id="tello_renewal"),
    "kind": lambda d: _first(d).update(kind="gossip"),
    "warning without kind": lambda d: _first(d).update(warning="reclaim"),
    "uncertain": lambda d: _first(d).update(uncertain="maybe"),
    "pattern type": lambda d: _first(d).update(pattern=3),
    "syntax": lambda d: _first(d).update(pattern="(?P<balance>{MONEY}"),
    "macro": lambda d: _first(d).update(pattern="(?P<balance>{NOPE})"),
    "group": lambda d: _first(d).update(pattern="(?P<pin>{MONEY})"),
    "needs group": lambda d: _first(d).update(pattern="balance"),
    "amount in status": lambda d: _first(d).update(pattern="(?P<amount>{MONEY})"),
    "nested": lambda d: _first(d).update(pattern="(?P<balance>(a+)+)"),
    "too long": lambda d: _first(d).update(pattern="a" * 700),
    "payer merchant": lambda d: d["payers"]["chase"]["recognisers"][0].update(
        pattern="(?P<amount>{MONEY})"
    ),
    "payer id": lambda d: d["payers"].update({"Bad Id": d["payers"]["chase"]}),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_catalog_is_refused_with_a_clear_error(name: str) -> None:
    with pytest.raises(CatalogError, match=r"catalog|pattern"):
        parse_message_catalog(_broken(BROKEN[name]))


def test_invalid_json_is_a_catalog_error() -> None:
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_message_catalog("{")
    with pytest.raises(CatalogError):
        parse_message_catalog([])
