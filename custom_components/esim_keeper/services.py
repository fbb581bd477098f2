"""Actions.

Renew a number, record a payment, record activity, correct a balance, read history, read a carrier
text or e-mail (its handler lives in ingest.py).

Registered once in ``async_setup`` (admin only); each call finds the number by its device and
checks that its account is loaded. Bad input raises a translated ServiceValidationError before
anything is recorded or charged.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from homeassistant.const import ATTR_DEVICE_ID
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .bulk import async_setup_bulk_services
from .const import DOMAIN
from .errors import invalid
from .ingest import INGEST_SCHEMA, async_ingest_message
from .keeper.errors import KeeperError
from .keeper.model import PaymentMethod
from .keeper.money import Money, check_currency
from .lines import NumberConfig, device_number
from .renewal import SOURCE_ACTION, RenewalEngine
from .runtime import EsimKeeperConfigEntry

SERVICE_RENEW = "renew"
SERVICE_RECORD_PAYMENT = "record_payment"
SERVICE_RECORD_ACTIVITY = "record_activity"
SERVICE_SET_BALANCE = "set_balance"
SERVICE_GET_HISTORY = "get_history"
SERVICE_INGEST_MESSAGE = "ingest_message"  # carrier texts and e-mails: ingest.py

ATTR_AMOUNT = "amount"
ATTR_PAYMENT_METHOD = "payment_method"
ATTR_PAID_AT = "paid_at"
ATTR_PAID_AMOUNT = "paid_amount"
ATTR_PAID_CURRENCY = "paid_currency"
ATTR_BALANCE = "balance"
ATTR_PLAN_EXPIRY = "plan_expiry"
ATTR_LIMIT = "limit"

_AMOUNT = vol.Any(str, int, float)

_METHOD = vol.In([m.value for m in PaymentMethod])

RENEW_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_AMOUNT): _AMOUNT,
        vol.Optional(ATTR_PAYMENT_METHOD): _METHOD,
    }
)
RECORD_PAYMENT_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_AMOUNT): _AMOUNT,
        vol.Optional(ATTR_PAID_AT): cv.datetime,
        vol.Optional(ATTR_PAYMENT_METHOD): _METHOD,
        vol.Inclusive(ATTR_PAID_AMOUNT, "paid"): _AMOUNT,
        vol.Inclusive(ATTR_PAID_CURRENCY, "paid"): cv.string,
    }
)
DEVICE_SCHEMA = vol.Schema({vol.Required(ATTR_DEVICE_ID): cv.string})
SET_BALANCE_SCHEMA = vol.Schema(
    {
        vol.Required(ATTR_DEVICE_ID): cv.string,
        vol.Required(ATTR_BALANCE): _AMOUNT,
        vol.Optional(ATTR_PLAN_EXPIRY): cv.datetime,
    }
)
HISTORY_SCHEMA = vol.Schema(
    {
        vol.Optional(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_LIMIT, default=20): vol.All(vol.Coerce(int), vol.Range(min=1, max=100)),
    }
)


def resolve_number(hass: HomeAssistant, device_id: str) -> tuple[RenewalEngine, str]:
    """Return the loaded account's engine and the subentry of the number behind ``device_id``."""
    entry, subentry_id = device_number(hass, device_id)
    typed: EsimKeeperConfigEntry = entry
    return typed.runtime_data.renewals, subentry_id


def _money(value: Any, currency: str, *, allow_negative: bool = False) -> Money:
    """Money from an action field (the UI sends floats: read them by their text)."""
    text = str(value) if isinstance(value, float) else value
    try:
        return Money.parse(text, currency, allow_negative=allow_negative)
    except KeeperError:
        raise invalid("invalid_amount", amount=str(value)) from None


def _amount(call: ServiceCall, config: NumberConfig) -> Money | None:
    """Return the call's amount in the number's currency, if it gives one."""
    if ATTR_AMOUNT not in call.data:
        return None
    return _money(call.data[ATTR_AMOUNT], config.currency, allow_negative=True)


def _aware(value: datetime) -> datetime:
    """Return a datetime from an action field: one without a zone is Home Assistant's local time."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt_util.get_default_time_zone())
    return value


async def _renew(call: ServiceCall) -> ServiceResponse:
    engine, subentry_id = resolve_number(call.hass, call.data[ATTR_DEVICE_ID])
    amount = _amount(call, engine.number(subentry_id))
    method = call.data.get(ATTR_PAYMENT_METHOD)
    record = await engine.payments.async_renew(
        subentry_id,
        amount=amount,
        method=PaymentMethod(method) if method else None,
        source=SOURCE_ACTION,
    )
    if not call.return_response:
        return None
    return cast("ServiceResponse", {"renewal": record.to_dict()})


async def _record_payment(call: ServiceCall) -> ServiceResponse:
    engine, subentry_id = resolve_number(call.hass, call.data[ATTR_DEVICE_ID])
    amount = _amount(call, engine.number(subentry_id))
    paid = None
    if ATTR_PAID_AMOUNT in call.data:
        currency = str(call.data[ATTR_PAID_CURRENCY]).strip().upper()
        try:
            check_currency(currency)
        except KeeperError:
            raise invalid("invalid_currency", currency=currency[:8]) from None
        paid = _money(call.data[ATTR_PAID_AMOUNT], currency, allow_negative=True)
    method = call.data.get(ATTR_PAYMENT_METHOD)
    paid_at = call.data.get(ATTR_PAID_AT)
    record = await engine.hand_kept.async_record_payment(
        subentry_id,
        amount=amount,
        paid_at=_aware(paid_at) if paid_at else None,
        method=PaymentMethod(method) if method else None,
        paid=paid,
        source=SOURCE_ACTION,
    )
    if not call.return_response:
        return None
    return cast("ServiceResponse", {"payment": record.to_dict()})


async def _record_activity(call: ServiceCall) -> None:
    engine, subentry_id = resolve_number(call.hass, call.data[ATTR_DEVICE_ID])
    await engine.hand_kept.async_record_activity(subentry_id)


async def _set_balance(call: ServiceCall) -> None:
    engine, subentry_id = resolve_number(call.hass, call.data[ATTR_DEVICE_ID])
    config = engine.number(subentry_id)
    balance = _money(call.data[ATTR_BALANCE], config.currency, allow_negative=True)
    expiry = call.data.get(ATTR_PLAN_EXPIRY)
    await engine.hand_kept.async_set_balance(
        subentry_id, balance, _aware(expiry) if expiry else None
    )


async def _get_history(call: ServiceCall) -> ServiceResponse:
    limit: int = call.data[ATTR_LIMIT]
    if ATTR_DEVICE_ID in call.data:
        engine, subentry_id = resolve_number(call.hass, call.data[ATTR_DEVICE_ID])
        pairs = [(engine, subentry_id)]
    else:
        entries: list[EsimKeeperConfigEntry] = call.hass.config_entries.async_loaded_entries(DOMAIN)
        pairs = [
            (entry.runtime_data.renewals, subentry_id)
            for entry in entries
            for subentry_id in entry.runtime_data.coordinator.numbers
        ]
    renewals: list[dict[str, Any]] = []
    for engine, subentry_id in pairs:
        name = engine.number(subentry_id).name
        renewals.extend(
            {"name": name, **record.to_dict()} for record in engine.history.records(subentry_id)
        )
    renewals.sort(key=lambda r: r["created_at"], reverse=True)
    return cast("ServiceResponse", {"renewals": renewals[:limit]})


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, from async_setup)."""
    async_setup_bulk_services(hass)  # import_numbers, export_numbers (bulk.py)
    async_register_admin_service(
        hass, DOMAIN, SERVICE_RENEW, _renew, RENEW_SCHEMA, SupportsResponse.OPTIONAL
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_RECORD_PAYMENT,
        _record_payment,
        RECORD_PAYMENT_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_RECORD_ACTIVITY, _record_activity, DEVICE_SCHEMA
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_SET_BALANCE, _set_balance, SET_BALANCE_SCHEMA
    )
    async_register_admin_service(
        hass, DOMAIN, SERVICE_GET_HISTORY, _get_history, HISTORY_SCHEMA, SupportsResponse.ONLY
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_INGEST_MESSAGE,
        async_ingest_message,
        INGEST_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
