"""What a number subentry holds, read into typed settings (and written back for Manual ledgers)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from homeassistant.config_entries import ConfigEntry, ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .const import (
    CONF_AUTO_RENEW,
    CONF_AUTO_RENEW_DAY,
    CONF_AUTO_RENEW_DAYS,
    CONF_CARRIER,
    CONF_LEDGER,
    CONF_LINE_ID,
    CONF_NUMBER,
    CONF_PAYMENT_METHODS,
    CONF_PLAN,
    CONF_RENEWAL,
    CONF_SPEND_CAP,
    CONF_USER_ACTIVITY,
    DEFAULT_SPEND_CAP,
    DOMAIN,
    LEDGER_ACTIVITY,
    LEDGER_AUTO_DEDUCT,
    LEDGER_AUTOPAY,
    LEDGER_AUTOPAY_FAILED,
    LEDGER_BALANCE,
    LEDGER_EXPIRY,
    LEDGER_READ_AT,
    SUBENTRY_NUMBER,
)
from .errors import invalid
from .keeper.carriers import get_preset, keeps_balance, plan_for, require_known_cost
from .keeper.errors import InvalidLedgerError
from .keeper.lifecycle import Ledger
from .keeper.model import PaymentMethod, PlanRules
from .keeper.money import Money
from .keeper.phone import mask

# Plan fields a number may override in its subentry; the rest come from its carrier preset.
PLAN_OVERRIDES = (
    "renewal_cost",
    "currency",
    "cycle_days",
    "grace_days",
    "activity_days",
    "timezone",
)


def plan_from_settings(carrier: str, overrides: Mapping[str, Any]) -> PlanRules:
    """Return the carrier preset's plan with the number's own overrides (the keeper validates)."""
    return plan_for(carrier, **{k: overrides[k] for k in PLAN_OVERRIDES if k in overrides})


def new_plan_from_settings(carrier: str, overrides: Mapping[str, Any]) -> PlanRules:
    """As plan_from_settings, for a number being added or changed.

    A preset without a known renewal cost ("Other") needs the user's own (CostRequiredError
    otherwise).
    """
    require_known_cost(carrier, overrides.get("renewal_cost"))
    return plan_from_settings(carrier, overrides)


def _instant(raw: object, what: str) -> datetime:
    if not isinstance(raw, str):
        raise InvalidLedgerError(f"the {what} is missing")
    try:
        return datetime.fromisoformat(raw)
    except ValueError as err:
        raise InvalidLedgerError(f"the {what} is not a date and time") from err


def ledger_from_data(raw: Mapping[str, Any], currency: str) -> Ledger:
    """Return the Ledger stored in a Manual number's subentry (validated by the keeper)."""
    activity = raw.get(LEDGER_ACTIVITY)
    return Ledger(
        balance=Money.parse(raw.get(LEDGER_BALANCE), currency, allow_negative=True),
        read_at=_instant(raw.get(LEDGER_READ_AT), "balance reading time"),
        plan_expiry=_instant(raw.get(LEDGER_EXPIRY), "plan expiry"),
        last_activity=None if activity is None else _instant(activity, "last activity"),
        auto_deduct=bool(raw.get(LEDGER_AUTO_DEDUCT, True)),
        carrier_autopay=bool(raw.get(LEDGER_AUTOPAY, False)),
        autopay_failed=bool(raw.get(LEDGER_AUTOPAY_FAILED, False)),
    )


def ledger_to_data(ledger: Ledger) -> dict[str, Any]:
    """Return what a Manual number's subentry stores: JSON-safe, money as a decimal string."""
    return {
        LEDGER_BALANCE: str(ledger.balance.amount),
        LEDGER_READ_AT: ledger.read_at.isoformat(),
        LEDGER_EXPIRY: ledger.plan_expiry.isoformat(),
        LEDGER_ACTIVITY: ledger.last_activity.isoformat() if ledger.last_activity else None,
        LEDGER_AUTO_DEDUCT: ledger.auto_deduct,
        LEDGER_AUTOPAY: ledger.carrier_autopay,
        LEDGER_AUTOPAY_FAILED: ledger.autopay_failed,
    }


class AutoRenewMode(StrEnum):
    """When the integration renews a number by itself (the number's settings)."""

    OFF = "off"
    BALANCE_SHORT = "balance_short"  # when the balance will not cover the next renewal
    DAYS_BEFORE = "days_before"  # N days before the plan expires
    SCHEDULED = "scheduled"  # on a day of the month


@dataclass(frozen=True, slots=True)
class RenewalSettings:
    """How a number may be renewed: payment order, spending cap, auto-renew policy."""

    payment_methods: tuple[PaymentMethod, ...] = ()
    spend_cap: Money | None = None  # None: no cap (never the default: see from_data)
    auto_renew: AutoRenewMode = AutoRenewMode.OFF
    auto_renew_days: int = 3
    auto_renew_day: int = 1

    @classmethod
    def from_data(cls, raw: Mapping[str, Any], currency: str) -> RenewalSettings:
        """Read the stored settings; missing values get safe defaults (cap 50, auto-renew off)."""
        methods = tuple(PaymentMethod(m) for m in raw.get(CONF_PAYMENT_METHODS, ()))
        cap = raw.get(CONF_SPEND_CAP, DEFAULT_SPEND_CAP)
        return cls(
            payment_methods=methods,
            spend_cap=None if cap in (None, "") else Money.parse(cap, currency),
            auto_renew=AutoRenewMode(raw.get(CONF_AUTO_RENEW, AutoRenewMode.OFF)),
            auto_renew_days=int(raw.get(CONF_AUTO_RENEW_DAYS, 3)),
            auto_renew_day=int(raw.get(CONF_AUTO_RENEW_DAY, 1)),
        )

    def to_data(self) -> dict[str, Any]:
        """Return the settings as the number's subentry stores them."""
        return {
            CONF_PAYMENT_METHODS: [m.value for m in self.payment_methods],
            CONF_SPEND_CAP: "" if self.spend_cap is None else str(self.spend_cap.amount),
            CONF_AUTO_RENEW: self.auto_renew.value,
            CONF_AUTO_RENEW_DAYS: self.auto_renew_days,
            CONF_AUTO_RENEW_DAY: self.auto_renew_day,
        }


@dataclass(frozen=True, slots=True)
class NumberConfig:
    """One number's settings, from its subentry."""

    subentry_id: str
    number: str
    line_id: str
    name: str
    carrier: str
    carrier_name: str
    plan: PlanRules
    ledger: Ledger | None = None  # Manual numbers only
    renewal: RenewalSettings = RenewalSettings()
    # When the user last said "I used this number" (carriers that do not report activity).
    user_activity: datetime | None = None

    @property
    def currency(self) -> str:
        """Return the currency the number's plan is paid in."""
        return self.plan.currency

    @property
    def paid(self) -> bool:
        """Whether keeping the number costs money (False for free plans such as Google Voice)."""
        return not self.plan.free

    @property
    def has_balance(self) -> bool:
        """Return whether a balance means anything for this number (keeper's keeps_balance)."""
        return keeps_balance(self.plan, self.carrier)

    @property
    def masked(self) -> str:
        """The number for logs: last four digits only."""
        return mask(self.number)

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> NumberConfig:
        """Read a number's settings from its subentry."""
        data = subentry.data
        carrier = data[CONF_CARRIER]
        plan = plan_from_settings(carrier, data.get(CONF_PLAN, {}))
        raw_ledger = data.get(CONF_LEDGER)
        raw_activity = data.get(CONF_USER_ACTIVITY)
        return cls(
            subentry_id=subentry.subentry_id,
            number=data[CONF_NUMBER],
            line_id=data[CONF_LINE_ID],
            name=subentry.title,
            carrier=carrier,
            carrier_name=get_preset(carrier).name,
            plan=plan,
            ledger=None if raw_ledger is None else ledger_from_data(raw_ledger, plan.currency),
            renewal=RenewalSettings.from_data(data.get(CONF_RENEWAL, {}), plan.currency),
            user_activity=(
                None if raw_activity is None else _instant(raw_activity, "user's last activity")
            ),
        )


@callback
def async_save_ledger(
    hass: HomeAssistant, entry: ConfigEntry, subentry_id: str, ledger: Ledger
) -> None:
    """Persist a Manual number's updated record (after a payment, a correction, activity).

    The entry's change signal then hands the new record to the running provider.
    """
    subentry = entry.subentries[subentry_id]
    hass.config_entries.async_update_subentry(
        entry, subentry, data={**subentry.data, CONF_LEDGER: ledger_to_data(ledger)}
    )


@callback
def taken_numbers(hass: HomeAssistant) -> set[str]:
    """Every number kept by any eSIM Keeper account.

    One number is kept by one account only, so that its lock, spending cap and auto-renew are one.
    """
    return {
        subentry.unique_id
        for entry in hass.config_entries.async_entries(DOMAIN)
        for subentry in entry.subentries.values()
        if subentry.subentry_type == SUBENTRY_NUMBER and subentry.unique_id
    }


def masked_title(carrier: str, number: str) -> str:
    """Return a number's default name when the carrier has none of its own.

    The carrier and the last four digits ("Twilio ··0100"), never the whole number (it would reach
    entity ids and logs).
    """
    digits = "".join(char for char in number if char.isdigit())
    return f"{get_preset(carrier).name} ··{digits[-4:]}"


def device_number(hass: HomeAssistant, device_id: str) -> tuple[ConfigEntry, str]:
    """Find the loaded account and the number (subentry id) behind a number's device.

    Raises the translated "unknown_device" error for a device that is not an eSIM Keeper
    number, and "entry_not_loaded" when its account is not loaded.
    """
    device = dr.async_get(hass).async_get(device_id)
    if device is not None:
        for entry_id, subentries in device.config_entries_subentries.items():
            entry = hass.config_entries.async_get_entry(entry_id)
            if entry is None or entry.domain != DOMAIN:
                continue
            subentry_id = next((s for s in subentries if s is not None), None)
            if subentry_id is None:
                continue
            if entry.state is not ConfigEntryState.LOADED:
                raise invalid("entry_not_loaded", account=entry.title)
            return entry, subentry_id
    raise invalid("unknown_device", device_id=device_id)
