"""No raw code reaches a user.

Every message, repair issue and exception, rendered in Chinese with the placeholder values the code
passes, reads as words.

Codes (payment methods, attempt statuses, decline and failure reasons, input problems) go through
custom_components/esim_keeper/texts.py, which names them from the translation tables. The test
renders each text with samples built by the same helpers, and fails on any ASCII snake_case word:
the shape every code has ("wechat_pay", "insufficient_funds", "renewal_declined").
"""

from __future__ import annotations

import ast
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
import re

from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.translation import async_load_integrations
import pytest

from custom_components.esim_keeper import texts
from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.history import (
    Attempt,
    AttemptStatus,
    RenewalRecord,
)
from custom_components.esim_keeper.keeper import bulk, errors as keeper_errors
from custom_components.esim_keeper.keeper.model import PaymentMethod
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers import base as provider_base
from custom_components.esim_keeper.payments import attempts_text
from tests.translation_files import leaves, load_translations

from .accounts import manual_account, manual_entry, manual_ledger, setup_account

PKG = Path(__file__).parents[2] / "custom_components" / "esim_keeper"
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# What users type themselves may keep its spelling: action IDs (esim_keeper.record_payment,
# notify.twilio_sms) and the CSV columns of import_numbers.
ACTION_ID = re.compile(r"\b[a-z_]+\.[a-z_]+\b")
CSV_COLUMNS = set(bulk.COLUMNS)
LANG = "zh-Hans"


def raw_codes(text: str) -> list[str]:
    """ASCII snake_case words in ``text`` that are not action IDs or CSV columns."""
    text = ACTION_ID.sub(" ", text)
    return [word for word in SNAKE.findall(text) if word not in CSV_COLUMNS]


def test_raw_codes_finds_codes_and_spares_what_users_type() -> None:
    assert raw_codes("最近原因：renewal_declined") == ["renewal_declined"]
    assert raw_codes("card: declined (insufficient_funds)") == ["insufficient_funds"]
    assert raw_codes("用 wechat_pay 支付") == ["wechat_pay"]
    assert raw_codes("用 esim_keeper.record_payment 动作；第 3 行的 plan_expiry 列") == []


@pytest.fixture
async def zh(hass: HomeAssistant) -> HomeAssistant:
    hass.config.language = LANG
    await async_load_integrations(hass, {DOMAIN})
    return hass


def _record() -> RenewalRecord:
    at = datetime(2026, 11, 26, 10, tzinfo=UTC)
    record = RenewalRecord(
        renewal_id="r1",
        subentry_id="s1",
        line_id="line-1",
        source="auto",
        amount=Money(Decimal("3.00"), "USD"),
        created_at=at,
    )
    record.attempts = [
        Attempt("k1", PaymentMethod.CARD, at, AttemptStatus.DECLINED, reason="insufficient_funds"),
        Attempt("k2", PaymentMethod.WECHAT_PAY, at, AttemptStatus.DECLINED, reason="declined"),
        Attempt("k3", PaymentMethod.PAYPAL, at, AttemptStatus.NOT_CHARGED, reason="auth_failed"),
    ]
    return record


def _samples(hass: HomeAssistant) -> dict[str, str]:
    """One value for each placeholder, as the code builds it."""
    money = str(Money(Decimal("3.00"), "USD"))
    return {
        "name": "Ultra",
        "account": "Tello 账户",
        "names": texts.join(hass, ["Ultra", "GV"]),
        "amount": money,
        "cost": money,
        "cap": money,
        "left": money,
        "currency": "CNY",
        "count": "3",
        "row": "4",
        "column": "plan_expiry",
        "days": "5",
        "failures": "3",
        "minimum": "15",
        "number": "+1 202-555-0101",
        "device_id": "0f3c9a2b7d",
        "date": "2026-11-26",
        "deadline": "2026-11-30",
        "loss_date": "2026-12-30",
        "read_at": "2026-11-26T10:00:00+00:00",
        "carrier": "Tello",
        "pattern_example": "(?P<balance>[0-9.]+)",
        "attempts": attempts_text(hass, _record()),
        # The renewal event's one-line message (outcome_message.py).
        "reasons": attempts_text(hass, _record()),
        "reason": texts.code_name(hass, texts.REASON, "renewal_declined"),
        "method": texts.code_name(hass, texts.PAYMENT_METHOD, "wechat_pay"),
        "error": texts.code_name(hass, texts.REASON, "auth_failed"),
        "event": "套餐到期",
        "first": "甲",
        "rest": "乙",
        "status": "被拒绝",
    }


async def test_every_message_reads_without_codes(zh: HomeAssistant) -> None:
    samples = _samples(zh)
    shown = {
        key: text
        for key, text in leaves(load_translations(LANG)).items()
        if key.split(".")[0] in {"exceptions", "issues", "config", "config_subentries", "options"}
    }
    assert shown
    found = {}
    for key, text in shown.items():
        rendered = text.format_map(samples)
        if codes := raw_codes(rendered):
            found[key] = (rendered, codes)
    assert not found


async def test_sample_codes_became_words(zh: HomeAssistant) -> None:
    samples = _samples(zh)
    assert samples["attempts"] == (
        "信用卡/借记卡：被拒绝（余额不足）；微信支付：被拒绝；PayPal：未扣款（凭据被拒绝）"
    )
    assert samples["reason"] == "所有付款方式都被拒绝"
    assert samples["method"] == "微信支付"
    assert samples["names"] == "Ultra、GV"


async def test_an_unknown_code_reads_as_other(zh: HomeAssistant) -> None:
    assert texts.code_name(zh, texts.REASON, "brand_new_code") == "其他原因（详见续费事件）"
    assert texts.code_name(zh, texts.PROBLEM, "brand_new_code") == "数值无效"


async def test_english_uses_english_punctuation(hass: HomeAssistant) -> None:
    await async_load_integrations(hass, {DOMAIN})
    assert attempts_text(hass, _record()) == (
        "Card: declined (insufficient funds); WeChat Pay: declined; "
        "PayPal: not charged (credentials refused)"
    )


def _codes_in_bulk() -> set[str]:
    """Return the problem codes keeper/bulk.py writes into row errors."""
    tree = ast.parse((PKG / "keeper" / "bulk.py").read_text(encoding="utf-8"))
    return {
        node.args[-1].value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "id", "") in {"RowError", "_RowError"}
        and isinstance(node.args[-1], ast.Constant)
        and isinstance(node.args[-1].value, str)
    }


@pytest.mark.parametrize("lang", ["en", LANG])
def test_every_code_has_a_name(lang: str) -> None:
    """Each code the integration can produce has its own name, not the "other" text."""
    selector = load_translations(lang)["selector"]
    names = {table: set(selector[table]["options"]) for table in selector}
    assert {m.value for m in PaymentMethod} <= names[texts.PAYMENT_METHOD]
    assert {s.value for s in AttemptStatus} <= names[texts.ATTEMPT_STATUS]
    provider_keys = {
        obj.key
        for obj in vars(provider_base).values()
        if isinstance(obj, type) and issubclass(obj, provider_base.ProviderError)
    }
    assert provider_keys <= names[texts.REASON]
    keeper_keys = {
        obj.key
        for obj in vars(keeper_errors).values()
        if isinstance(obj, type) and issubclass(obj, keeper_errors.KeeperError)
    } - {keeper_errors.CatalogError.key}
    assert keeper_keys <= names[texts.PROBLEM]
    assert _codes_in_bulk() <= names[texts.PROBLEM]
    # Why an automatic renewal failed: the translation keys the renewal path raises.
    payments = (PKG / "payments.py").read_text(encoding="utf-8")
    raised = set(re.findall(r'(?:_Failure|failed|invalid)\(\s*"(\w+)"', payments))
    assert raised
    assert raised <= names[texts.REASON]
    # Decline reasons the bridge protocol names, and those eSIM Keeper records itself.
    assert {"insufficient_funds", "card_declined", "line_deleted"} <= names[texts.REASON]
    assert {"mismatch", "pending", "not_received", "user_confirmed", "error"} <= names[texts.REASON]


async def test_devices_read_chinese(hass: HomeAssistant) -> None:
    """Model and manufacturer are written in Home Assistant's language; model_id stays stable."""
    hass.config.language = LANG
    ledger = manual_ledger(
        "10.00", "2026-12-08T08:00:00+00:00", read_at="2026-11-20T00:00:00+00:00"
    )
    entry = await setup_account(
        hass,
        manual_account(
            ("+12025550199", "TM", "tmobile_prepaid", ledger),
            ("+12025550198", "Mine", "other", ledger),
        ),
    )
    registry = dr.async_get(hass)
    devices = {
        d.name: (d.manufacturer, d.model, d.model_id)
        for d in dr.async_entries_for_config_entry(registry, entry.entry_id)
    }
    assert devices == {
        "我自己的记录": (None, "我自己的记录", "manual"),  # the account (its calendar)
        "TM": ("T-Mobile 预付费", "我自己的记录", "manual"),
        "Mine": (None, "我自己的记录", "manual"),
    }


async def test_devices_read_english(hass: HomeAssistant) -> None:
    entry = await setup_account(hass, manual_entry())
    registry = dr.async_get(hass)
    devices = {
        d.name: (d.manufacturer, d.model, d.model_id)
        for d in dr.async_entries_for_config_entry(registry, entry.entry_id)
    }
    assert devices == {
        "Manual records": (None, "Own records", "manual"),
        "Ultra": ("Ultra Mobile PayGo", "Own records", "manual"),
    }
