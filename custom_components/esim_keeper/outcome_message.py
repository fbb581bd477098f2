"""One ready line saying what happened to a renewal or a recorded payment, for people.

The ``esim_keeper_renewal`` event carries it as ``message``, in Home Assistant's language, so a
blueprint can forward it to a phone after a button press (blueprint templates cannot read an
integration's translations). Payment methods and decline reasons appear as words, never as codes
(texts.py names them): a decline reason we have no word for reads as a plain "declined".

Texts: ``exceptions.outcome_<event type>`` (the only category with free placeholders), and the
tables and joiners of texts.py.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)

from . import texts
from .const import DOMAIN
from .history import AttemptStatus, RenewalRecord

CATEGORIES = ("exceptions", "selector", "common")
_PREFIX = f"component.{DOMAIN}"

# English when a translation is missing (the language was never loaded, or a key is new).
_FALLBACK = {
    "succeeded": "{name} renewed: {amount} paid by {method}.",
    "failed": "{name} was not renewed, nothing was charged: {reasons}.",
    "unknown": "The carrier did not say whether {name} was charged {amount}. eSIM Keeper keeps "
    "checking; don't renew again until it is settled.",
    "verified": "The renewal of {name} ({amount}) now shows on the number.",
    "unverified": "The renewal of {name} ({amount}) does not show on the number yet. Check with "
    "the carrier.",
    "recorded": "Recorded: you paid {amount} for {name} by {method}.",
}


async def async_load_texts(hass: HomeAssistant) -> None:
    """Load the texts in Home Assistant's language (``message`` reads them from the cache)."""
    for category in CATEGORIES:
        await async_get_translations(hass, hass.config.language, category, {DOMAIN})


@callback
def message(hass: HomeAssistant, name: str, record: RenewalRecord, event_type: str) -> str:
    """Say what happened to ``record`` in one line, in Home Assistant's language."""
    exceptions = async_get_cached_translations(hass, hass.config.language, "exceptions", DOMAIN)
    failures = [
        texts.attempt_text(
            hass,
            a.method.value,
            a.status.value,
            # A decline code we have no word for: just "declined", never the carrier's code.
            a.reason if a.reason and texts.known(hass, texts.REASON, a.reason) else None,
        )
        for a in record.attempts
        if a.status in (AttemptStatus.DECLINED, AttemptStatus.NOT_CHARGED)
    ]
    success = record.succeeded_attempt
    paid = success.method.value if success else None
    if paid is None and record.attempts:
        paid = record.attempts[-1].method.value
    amount = record.paid if record.paid is not None else record.amount
    template = exceptions.get(f"{_PREFIX}.exceptions.outcome_{event_type}.message")
    template = template or _FALLBACK.get(event_type, "{name}: {event}")
    return template.format(
        name=name,
        amount=str(amount),
        method=texts.code_name(hass, texts.PAYMENT_METHOD, paid) if paid else "",
        reasons=texts.join(hass, failures, "clause_join")
        or texts.code_name(hass, texts.ATTEMPT_STATUS, AttemptStatus.DECLINED.value),
        event=event_type,
    )
