"""The renewal engine of one account: payments, verification, auto-renew and hand-kept records.

Each part has its own module, named for what it does:
- payments.py     the payment protocol (locks, write-ahead, lookup and settling, fallback);
- verification.py whether a paid renewal shows on the line;
- auto_renew.py   automatic renewals and the "number at risk" issue;
- hand_kept.py    payments, readings and activity the user records for hand-kept numbers.
This module wires them to the account's coordinator and tells automations and entities what
happened (the ``esim_keeper_renewal`` bus event and a dispatcher signal per number).

A number is shown as paid only when its carrier confirmed a charge or the user said they paid.
"""

from __future__ import annotations

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .account import Account, AccountPart
from .auto_renew import ISSUE_AT_RISK, ISSUE_AUTO_RENEW_OFF, AutoRenewer
from .const import DOMAIN
from .coordinator import AccountCoordinator
from .hand_kept import HandKept
from .history import PaymentHistory, RecordKind, RenewalRecord
from .keeper.providers.base import Provider
from .lines import AutoRenewMode, NumberConfig
from .outcome_message import async_load_texts, message
from .payments import (
    SOURCE_ACTION,
    SOURCE_AUTO,
    SOURCE_BUTTON,
    SOURCE_REPAIR,
    Payments,
    payment_state,
)
from .verification import ISSUE_UNVERIFIED, Verifier, issue_id

EVENT_RENEWAL = f"{DOMAIN}_renewal"
EVENT_TYPES = ("succeeded", "failed", "unknown", "verified", "unverified", "recorded")

__all__ = [
    "EVENT_RENEWAL",
    "EVENT_TYPES",
    "ISSUE_AT_RISK",
    "ISSUE_AUTO_RENEW_OFF",
    "ISSUE_UNVERIFIED",
    "SOURCE_ACTION",
    "SOURCE_AUTO",
    "SOURCE_BUTTON",
    "SOURCE_REPAIR",
    "RenewalEngine",
    "issue_id",
    "renewal_signal",
]


def renewal_signal(subentry_id: str) -> str:
    """Dispatcher signal of a number's renewal events: payload (event type, record dict)."""
    return f"{DOMAIN}_renewal_{subentry_id}"


class RenewalEngine(AccountPart):
    """One account's payments, verifications, auto-renew and hand-kept records."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        coordinator: AccountCoordinator,
        provider: Provider,
        history: PaymentHistory,
    ) -> None:
        """Wire the account's payment parts together; nothing runs until async_start."""
        account = Account(hass, entry, coordinator, provider, history)
        super().__init__(account)
        self.payments = Payments(account)
        self.verifier = Verifier(account, self.announce)
        self.auto = AutoRenewer(
            account,
            lambda subentry_id: self.payments.async_renew(subentry_id, source=SOURCE_AUTO),
            lambda config: self.payments.state.lock(config.number).locked(),
        )
        self.hand_kept = HandKept(
            account,
            self.payments.state,
            self.payments.number,
            self.announce,
        )

    # --- life cycle --------------------------------------------------------------------------

    async def async_start(self) -> None:
        """Become the account's live engine, follow its polls.

        And settle what a restart or a reload left open (in the background: a carrier that does not
        answer delays nothing).
        """
        state = payment_state(self.hass)
        state.listeners[self.entry.entry_id] = self
        self.entry.async_on_unload(self._async_stop)
        await async_load_texts(self.hass)  # the events' ``message``, in Home Assistant's language
        self.entry.async_on_unload(self.coordinator.async_add_listener(self._on_update))
        self.verifier.async_start()
        await self.hand_kept.async_reconcile()
        self.entry.async_create_background_task(
            self.hass, self._async_settle_then_check(), f"{DOMAIN} settle renewals"
        )

    async def _async_settle_then_check(self) -> None:
        await self.payments.async_settle()
        self._on_update()

    @callback
    def _async_stop(self) -> None:
        state = payment_state(self.hass)
        if state.listeners.get(self.entry.entry_id) is self:
            del state.listeners[self.entry.entry_id]
        self.payments.async_stop()
        self.verifier.async_stop()

    @callback
    def _on_update(self) -> None:
        self.verifier.check()
        self.hand_kept.check_autopay()
        self.auto.check(self._autopay_keeps)
        for record in self.history.unresolved():
            self.payment_unknown(record)

    def _autopay_keeps(self, config: NumberConfig) -> bool:
        """Whether the carrier's own autopay pays this hand-kept number's plan."""
        state = self.coordinator.data
        data = state.numbers.get(config.subentry_id) if state is not None else None
        return data is not None and data.snapshot.carrier_autopay

    # --- what happened -----------------------------------------------------------------------

    @callback
    def payment_finished(self, record: RenewalRecord, event_type: str) -> None:
        """Verify a paid renewal and announce any payment that reached an outcome."""
        if record.kind is RecordKind.RENEWAL and record.succeeded_attempt is not None:
            self.verifier.schedule(record)
        self.announce(record, event_type)

    @callback
    def payment_unknown(self, record: RenewalRecord) -> None:
        """Look a payment whose outcome is unknown up again later."""
        self.payments.schedule_settle(record)

    @callback
    def announce(self, record: RenewalRecord, event_type: str) -> None:
        """Tell entities (dispatcher) and automations (bus event) what happened to a record.

        The bus event's ``message`` says it in one line in Home Assistant's language, for
        blueprints to forward (the entity's event carries it too).
        """
        config = self.coordinator.numbers.get(record.subentry_id)
        if config is None:
            return
        data = record.to_dict()
        data["message"] = message(self.hass, config.name, record, event_type)
        async_dispatcher_send(self.hass, renewal_signal(config.subentry_id), event_type, data)
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, config.subentry_id), self.entry.entry_id
        )
        self.hass.bus.async_fire(
            EVENT_RENEWAL,
            {
                "entry_id": self.entry.entry_id,
                "subentry_id": config.subentry_id,
                "device_id": device.id if device else None,
                "number": config.masked,
                "name": config.name,
                "outcome": event_type,
                "renewal_id": record.renewal_id,
                "kind": record.kind.value,
                "source": record.source,
                "amount": data["amount"],
                "currency": data["currency"],
                "method": data["method"],
                "paid_amount": data["paid_amount"],
                "paid_currency": data["paid_currency"],
                "attempts": [
                    {"method": a.method.value, "status": a.status.value, "reason": a.reason}
                    for a in record.attempts
                ],
                "verification": data["verification"],
                "message": data["message"],
            },
        )

    # --- what actions, buttons and repairs call -----------------------------------------------

    def number(self, subentry_id: str) -> NumberConfig:
        """Return a number of this account (ServiceValidationError when it is not one)."""
        return self.payments.number(subentry_id)

    @callback
    def set_auto_renew(self, subentry_id: str, mode: AutoRenewMode) -> None:
        """Store a number's auto-renew mode."""
        self.auto.set_mode(subentry_id, mode)
