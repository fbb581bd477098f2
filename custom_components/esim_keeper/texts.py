"""Codes in messages become words: every code a user can read goes through a translated name.

Payment methods, attempt statuses, decline and failure reasons and input problems are codes in the
keeper and in the renewal history (where they stay, for automations and diagnostics). Before one is
put into a message (an exception, a repair issue) it is looked up in the translation tables
``selector.<table>.options.<code>`` in Home Assistant's language; a code no table knows reads as the
table's ``other`` text, never as the raw code. Lists and "method: status (reason)" are joined by
``common`` templates, so each language keeps its own punctuation.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN

PAYMENT_METHOD: Final = "payment_method"
PROVIDER: Final = "provider"
CARRIER: Final = "carrier"
ATTEMPT_STATUS: Final = "attempt_status"
REASON: Final = "reason"
PROBLEM: Final = "problem"
OTHER: Final = "other"

# What a language without a cached text falls back to (English punctuation).
_DEFAULT_TEMPLATES: Final = {
    "attempt": "{method}: {status}",
    "attempt_with_reason": "{method}: {status} ({reason})",
    "list_join": "{first}, {rest}",
    "clause_join": "{first}; {rest}",
}


def _texts(hass: HomeAssistant, category: str) -> dict[str, str]:
    return async_get_cached_translations(hass, hass.config.language, category, DOMAIN)


@callback
def code_name(hass: HomeAssistant, table: str, code: str) -> str:
    """Return the translated name of ``code`` in ``table``.

    The table's ``other`` text if it has none.
    """
    texts = _texts(hass, "selector")
    prefix = f"component.{DOMAIN}.selector.{table}.options."
    return texts.get(prefix + code) or texts.get(prefix + OTHER) or code


@callback
def known(hass: HomeAssistant, table: str, code: str) -> bool:
    """Whether ``table`` has a name for ``code`` (else code_name gives the ``other`` text)."""
    return f"component.{DOMAIN}.selector.{table}.options.{code}" in _texts(hass, "selector")


@callback
def device_model(hass: HomeAssistant, kind: str, english: str) -> str:
    """Return a device's model in Home Assistant's language ("我自己的记录", "HTTP 桥接").

    Home Assistant does not translate device models; the text is chosen when the device is
    created or updated (set-up, reload), in the language Home Assistant has then.
    """
    return _texts(hass, "selector").get(
        f"component.{DOMAIN}.selector.{PROVIDER}.options.{kind}", english
    )


@callback
def carrier_name(hass: HomeAssistant, carrier: str, english: str) -> str:
    """Return a carrier preset's name in Home Assistant's language ("T-Mobile 预付费")."""
    return _texts(hass, "selector").get(
        f"component.{DOMAIN}.selector.{CARRIER}.options.{carrier}", english
    )


@callback
def template(hass: HomeAssistant, key: str) -> str:
    """Return a ``common`` template in Home Assistant's language."""
    return _texts(hass, "common").get(f"component.{DOMAIN}.common.{key}", _DEFAULT_TEMPLATES[key])


@callback
def join(hass: HomeAssistant, items: Iterable[str], key: str = "list_join") -> str:
    """Items joined the way the language lists them ("a, b, c", "a、b、c")."""
    parts = list(items)
    if not parts:
        return ""
    pattern = template(hass, key)
    text = parts[-1]
    for item in reversed(parts[:-1]):
        text = pattern.format(first=item, rest=text)
    return text


@callback
def attempt_text(hass: HomeAssistant, method: str, status: str, reason: str | None) -> str:
    """One payment attempt, e.g. "信用卡/借记卡：被拒绝（卡被拒绝）"."""
    names = {
        "method": code_name(hass, PAYMENT_METHOD, method),
        "status": code_name(hass, ATTEMPT_STATUS, status),
    }
    if reason is None or reason == status:
        return template(hass, "attempt").format(**names)
    reason_text = code_name(hass, REASON, reason)
    return template(hass, "attempt_with_reason").format(**names, reason=reason_text)
