"""The payment protocol: a renewal is a payment, so it is made as a careful person would make one.

- One payment state per account that outlives reloads (``PaymentState`` in ``hass.data``): the
  history, and a lock per normalised number, so a number is never paid twice at once — not from
  two accounts, not across a reload. A payment that finishes after its account reloaded reports
  to the account's live engine.
- Every attempt has its own idempotency key and is on disk before the carrier is called; when the
  write fails, nothing is charged (HistoryWriteError).
- No clear answer (timeout, dropped connection, 5xx, a body we cannot read) means the outcome is
  unknown. The key is looked up at once; a carrier that does not know it yet is sent the same
  request with the same key (charged at most once), and only a key still unknown long after it
  was last sent counts as never received. Until then the outcome stays unknown: it counts against
  the spending cap and blocks the number's next renewal. Nothing is ever retried with a new key.
- An answer must match the request (line, amount, currency, method); one that does not is an
  unknown outcome with a repair issue, never a success.
- A spending cap per number per 30 days; a declined method falls back to the next in the
  number's order; the first success stops.
- No payment starts while Home Assistant is stopping.

The rules (the cap, matching, when a lost answer counts as not received) live in keeper.payments
and keeper.renewals.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol
from uuid import uuid4

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util
from homeassistant.util.hass_dict import HassKey

from . import texts
from .account import Account, AccountPart
from .const import DOMAIN, LOGGER
from .coordinator import NumberData
from .errors import deferred, failed, invalid
from .history import (
    Attempt,
    AttemptStatus,
    HistoryWriteError,
    Outcome,
    PaymentHistory,
    RecordKind,
    RenewalRecord,
    Verification,
)
from .keeper.model import PaymentMethod
from .keeper.money import Money
from .keeper.payments import SETTLE_GRACE, Settlement, mismatches, settle_unknown_key
from .keeper.phone import mask
from .keeper.providers.base import (
    InvalidResponseError,
    PaymentDeclinedError,
    ProviderConnectionError,
    ProviderError,
    RenewalRequest,
    RenewalResult,
    RenewalStatus,
    UnsupportedError,
)
from .keeper.renewals import cap_allows, cap_left, spent_in_window
from .lines import NumberConfig
from .texts import PAYMENT_METHOD, REASON

# After a success, give up waiting for the change to show on the line after this.
VERIFY_WINDOW = timedelta(minutes=30)
# An unknown outcome is checked again after these delays, then on every poll.
SETTLE_RETRIES = (timedelta(minutes=1), timedelta(minutes=5), SETTLE_GRACE + timedelta(minutes=1))

ISSUE_UNKNOWN = "renewal_outcome_unknown"

SOURCE_ACTION = "action"
SOURCE_BUTTON = "button"
SOURCE_AUTO = "auto"
SOURCE_REPAIR = "repair"

DATA_PAYMENTS: HassKey[PaymentState] = HassKey(f"{DOMAIN}_payments")


def new_key() -> str:
    """Return a fresh idempotency key (the bridge protocol's pattern: [A-Za-z0-9._:-]{1,128})."""
    return f"ek-{uuid4().hex}"


def unknown_issue_id(renewal_id: str) -> str:
    """Return the repair issue of a renewal whose outcome is unknown."""
    return f"{ISSUE_UNKNOWN}_{renewal_id}"


class PaymentListener(Protocol):
    """The live engine of an account: told what happened to a payment."""

    def payment_finished(self, record: RenewalRecord, event_type: str) -> None:
        """Announce a record that reached an outcome (or a new one)."""

    def payment_unknown(self, record: RenewalRecord) -> None:
        """Check again later a record whose outcome is unknown."""


@dataclass(slots=True)
class PaymentState:
    """What outlives an account's reload: its history, the locks, and who is listening."""

    histories: dict[str, PaymentHistory] = field(default_factory=dict)
    locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    listeners: dict[str, PaymentListener] = field(default_factory=dict)

    async def async_history(
        self, hass: HomeAssistant, entry_id: str, numbers: Mapping[str, str]
    ) -> PaymentHistory:
        """Return the account's history, read from disk the first time only."""
        if (history := self.histories.get(entry_id)) is None:
            history = PaymentHistory(hass, entry_id)
            await history.async_load(numbers)
            history = self.histories.setdefault(entry_id, history)
        return history

    def lock(self, number: str) -> asyncio.Lock:
        """Return the one lock of a number, whichever account keeps it."""
        return self.locks.setdefault(number, asyncio.Lock())

    def spent(self, number: str, now: datetime, currency: str) -> Money:
        """Return what renewals of ``number`` paid (or may have paid) in the window.

        In every account.
        """
        return spent_in_window(
            (c for h in self.histories.values() for c in h.charges(number, currency)),
            now,
            currency,
        )


def payment_state(hass: HomeAssistant) -> PaymentState:
    """Return the integration's payment state (created on first use)."""
    return hass.data.setdefault(DATA_PAYMENTS, PaymentState())


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why a renewal did not succeed: a translation key and its placeholders."""

    key: str
    placeholders: dict[str, str]


def attempts_text(hass: HomeAssistant, record: RenewalRecord) -> str:
    """Return the attempts in words, e.g. "Card: declined (insufficient funds); PayPal.

    Declined".
    """
    return texts.join(
        hass,
        (
            texts.attempt_text(hass, a.method.value, a.status.value, a.reason)
            for a in record.attempts
        ),
        "clause_join",
    )


def _request(record: RenewalRecord, attempt: Attempt) -> RenewalRequest:
    return RenewalRequest(
        line_id=record.line_id,
        amount=record.amount,
        method=attempt.method,
        idempotency_key=attempt.key,
    )


class Payments(AccountPart):
    """Renewals of one account's numbers through its provider."""

    def __init__(self, account: Account) -> None:
        """Share the integration's payment state (locks, histories) with this account."""
        super().__init__(account)
        self.state = payment_state(self.hass)
        self._retries: dict[str, CALLBACK_TYPE] = {}
        self._stopped = False

    # --- life cycle --------------------------------------------------------------------------

    @callback
    def async_stop(self) -> None:
        """Stop on unload: no retry is scheduled after this."""
        self._stopped = True
        for cancel in self._retries.values():
            cancel()
        self._retries.clear()

    def _listener(self) -> PaymentListener | None:
        return self.state.listeners.get(self.entry.entry_id)

    # --- requests ----------------------------------------------------------------------------

    def number(self, subentry_id: str) -> NumberConfig:
        """Return a number of this account (ServiceValidationError when it is not one)."""
        try:
            return self.coordinator.numbers[subentry_id]
        except KeyError:
            raise invalid("unknown_number") from None

    def data(self, subentry_id: str) -> NumberData | None:
        """Return the number at the last poll, if it was read."""
        state = self.coordinator.data
        return state.numbers.get(subentry_id) if state is not None else None

    def default_amount(self, config: NumberConfig) -> Money:
        """Return the next renewal's cost (from the last poll, else the plan)."""
        data = self.data(config.subentry_id)
        return data.status.next_renewal_cost if data else config.plan.renewal_cost

    def methods(self, config: NumberConfig, first: PaymentMethod | None) -> list[PaymentMethod]:
        """Return the methods to try in order: ``first`` (when given), then the number's order.

        The number's order keeps only methods the provider offers; without one, the provider's.
        """
        offered = self.provider.capabilities.payment_methods
        if first is not None and first not in offered:
            raise invalid(
                "method_unsupported", method=texts.code_name(self.hass, PAYMENT_METHOD, first.value)
            )
        order = [m for m in config.renewal.payment_methods if m in offered] or list(offered)
        if first is not None:
            order = [first, *(m for m in order if m is not first)]
        if not order:
            raise invalid("renew_unsupported")
        return order

    def check_request(
        self, config: NumberConfig, amount: Money | None, method: PaymentMethod | None
    ) -> tuple[Money, list[PaymentMethod]]:
        """Validate a renewal request without recording anything (ServiceValidationError)."""
        capabilities = self.provider.capabilities
        if capabilities.records_payments:
            raise invalid("renew_hand_kept", name=config.name)
        if not capabilities.can_renew:
            raise invalid("renew_unsupported")
        amount = amount if amount is not None else self.default_amount(config)
        if amount.currency != config.currency or amount.amount <= 0:
            raise invalid("invalid_amount", amount=str(amount))
        methods = self.methods(config, method)
        self._check_cap(config, amount)
        return amount, methods

    def _check_cap(self, config: NumberConfig, amount: Money) -> None:
        cap = config.renewal.spend_cap
        spent = self.state.spent(config.number, dt_util.utcnow(), config.currency)
        if not cap_allows(cap, spent, amount):
            assert cap is not None
            left = cap_left(cap, spent)
            raise invalid(
                "over_cap", amount=str(amount), cap=str(cap), left=str(left), name=config.name
            )

    # --- renewing ----------------------------------------------------------------------------

    async def async_renew(
        self,
        subentry_id: str,
        *,
        amount: Money | None = None,
        method: PaymentMethod | None = None,
        source: str = SOURCE_ACTION,
    ) -> RenewalRecord:
        """Renew a number once; returns the record.

        Raises ServiceValidationError for bad input (nothing recorded or charged) and
        HomeAssistantError when the renewal did not succeed.
        """
        config = self.number(subentry_id)
        amount, methods = self.check_request(config, amount, method)
        if self.hass.is_stopping:
            raise deferred("home_assistant_stopping", name=config.name)
        lock = self.state.lock(config.number)
        if lock.locked():
            raise deferred("renewal_in_progress", name=config.name)
        async with lock:
            await self._async_settle_before_renewal(config)
            self._check_cap(config, amount)  # a settled attempt may have spent money
            record = self._new_record(config, amount, source)
            await self.history.async_add(record)  # HistoryWriteError: nothing was charged
            failure = await self._async_pay(config, record, methods)
            await self.history.async_save_after()
        self._finished(record)
        if failure is not None:
            raise failed(failure.key, **failure.placeholders)
        return record

    def _new_record(self, config: NumberConfig, amount: Money, source: str) -> RenewalRecord:
        data = self.data(config.subentry_id)
        return RenewalRecord(
            renewal_id=uuid4().hex,
            subentry_id=config.subentry_id,
            line_id=config.line_id,
            source=source,
            amount=amount,
            created_at=dt_util.utcnow(),
            before_expiry=data.snapshot.plan_expiry if data else None,
            before_balance=data.snapshot.balance if data else None,
            number=config.number,
            kind=RecordKind.RENEWAL,
        )

    async def _async_pay(
        self, config: NumberConfig, record: RenewalRecord, methods: list[PaymentMethod]
    ) -> _Failure | None:
        """Try the methods in order; every attempt is on disk before its provider call."""
        for method in methods:
            now = dt_util.utcnow()
            attempt = Attempt(key=new_key(), method=method, started_at=now, sent_at=now)
            record.attempts.append(attempt)
            try:
                await self.history.async_save()
            except HistoryWriteError:
                record.attempts.remove(attempt)
                record.outcome = Outcome.FAILED
                return _Failure("history_write_failed", {})
            failure = await self._async_attempt(config, record, attempt)
            attempt.finished_at = dt_util.utcnow()
            if attempt.status is not AttemptStatus.DECLINED:
                return failure
        record.outcome = Outcome.FAILED
        LOGGER.warning("Renewal of %s declined by every payment method", config.masked)
        return _Failure(
            "renewal_declined", {"name": config.name, "attempts": attempts_text(self.hass, record)}
        )

    async def _async_attempt(
        self, config: NumberConfig, record: RenewalRecord, attempt: Attempt
    ) -> _Failure | None:
        """One provider call; sets the attempt's status (and the record's outcome when final)."""
        request = _request(record, attempt)
        try:
            result = await self.provider.async_renew(request)
        except PaymentDeclinedError as err:
            attempt.status, attempt.reason = AttemptStatus.DECLINED, err.reason
            return None
        except (ProviderConnectionError, InvalidResponseError) as err:
            # The carrier may have charged: ask it by the key before anything else.
            LOGGER.warning(
                "No clear answer renewing %s (%s); checking with the carrier",
                config.masked,
                type(err).__name__,
            )
            attempt.status, attempt.reason = AttemptStatus.UNKNOWN, err.key
            await self._async_settle_attempt(record, attempt)
        except UnsupportedError as err:
            attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, err.feature
            record.outcome = Outcome.FAILED
            return _Failure("renew_unsupported", {})
        except ProviderError as err:  # refused before paying: auth, unknown line, ...
            attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, err.key
            record.outcome = Outcome.FAILED
            return _Failure(
                "renewal_not_charged",
                {"name": config.name, "error": texts.code_name(self.hass, REASON, err.key)},
            )
        else:
            self._apply_result(record, attempt, request, result)
        if attempt.status is AttemptStatus.UNKNOWN:
            record.outcome = Outcome.UNKNOWN
            return _Failure("renewal_outcome_unknown", {"name": config.name})
        if attempt.status is AttemptStatus.SUCCEEDED:
            LOGGER.info("Renewed %s", config.masked)
        return None

    def _apply_result(
        self,
        record: RenewalRecord,
        attempt: Attempt,
        request: RenewalRequest,
        result: RenewalResult,
    ) -> None:
        """Check what the carrier answered against what was asked."""
        if wrong := mismatches(request, result):
            LOGGER.warning(
                "The carrier's answer for a renewal of %s does not match the request (%s)",
                mask(record.number),
                ", ".join(wrong),
            )
            attempt.status, attempt.reason = AttemptStatus.UNKNOWN, "mismatch"
            self._raise_unknown_issue(record)
            return
        attempt.reference = result.reference
        if result.status is RenewalStatus.DECLINED:
            attempt.status = AttemptStatus.DECLINED
            attempt.reason = result.decline_reason or "declined"
        elif result.status is RenewalStatus.PENDING:
            attempt.status, attempt.reason = AttemptStatus.UNKNOWN, "pending"
        else:
            attempt.status, attempt.reason = AttemptStatus.SUCCEEDED, None
            record.outcome = Outcome.SUCCEEDED
            record.verification = Verification.PENDING
            record.verify_by = dt_util.utcnow() + VERIFY_WINDOW

    @callback
    def _finished(self, record: RenewalRecord) -> None:
        """Tell the account's live engine: it announces, verifies and checks again later."""
        if (listener := self._listener()) is None:
            return
        listener.payment_finished(record, record.outcome.value)
        if record.unresolved:
            listener.payment_unknown(record)

    # --- outcomes unknown --------------------------------------------------------------------

    async def _async_settle_attempt(self, record: RenewalRecord, attempt: Attempt) -> None:
        """Ask the carrier about one attempt by its key.

        Resend it with the same key while it may still be travelling. Never makes a new payment.
        """
        request = _request(record, attempt)
        try:
            found = await self.provider.async_lookup_renewal(record.line_id, attempt.key)
        except ProviderError as err:
            attempt.status, attempt.reason = AttemptStatus.UNKNOWN, err.key
            return
        if found is None:
            now = dt_util.utcnow()
            if settle_unknown_key(attempt.last_sent, now) is Settlement.NOT_CHARGED:
                attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, "not_received"
                attempt.finished_at = now
                return
            found = await self._async_resend(attempt, request)
            if found is None:
                return
        self._apply_result(record, attempt, request, found)
        if attempt.status is not AttemptStatus.UNKNOWN:
            attempt.finished_at = dt_util.utcnow()

    async def _async_resend(
        self, attempt: Attempt, request: RenewalRequest
    ) -> RenewalResult | None:
        """Send the same request with the same key; None when it is still unknown."""
        previous = attempt.sent_at
        attempt.sent_at = dt_util.utcnow()
        try:
            await self.history.async_save()  # the new send time is on disk before it leaves
        except HistoryWriteError:
            attempt.sent_at = previous
            return None
        try:
            return await self.provider.async_renew(request)
        except PaymentDeclinedError as err:
            attempt.status, attempt.reason = AttemptStatus.DECLINED, err.reason
            attempt.finished_at = dt_util.utcnow()
        except ProviderError as err:
            attempt.status, attempt.reason = AttemptStatus.UNKNOWN, err.key
        return None

    async def _async_settle_before_renewal(self, config: NumberConfig) -> None:
        """Before paying again, settle earlier attempts whose outcome is unknown (lock held)."""
        if not self.history.unresolved(config.subentry_id):
            return
        settled = await self._async_settle_records(config.subentry_id)
        if any(r.unresolved for r in settled):
            raise deferred("previous_outcome_unknown", name=config.name)
        if any(r.outcome is Outcome.SUCCEEDED for r in settled):
            raise failed("previous_renewal_succeeded", name=config.name)

    async def _async_settle_records(self, subentry_id: str) -> list[RenewalRecord]:
        """Settle every unresolved attempt of a number (lock held); returns the records."""
        records = self.history.unresolved(subentry_id)
        for record in records:
            for attempt in record.attempts:
                if attempt.status in (AttemptStatus.PENDING, AttemptStatus.UNKNOWN):
                    await self._async_settle_attempt(record, attempt)
            if record.outcome is not Outcome.SUCCEEDED:
                if record.succeeded_attempt is not None:
                    record.outcome = Outcome.SUCCEEDED
                else:
                    record.outcome = Outcome.UNKNOWN if record.unresolved else Outcome.FAILED
            await self.history.async_save_after()
            self._after_settle(record)
        return records

    @callback
    def _after_settle(self, record: RenewalRecord) -> None:
        if not record.unresolved:
            ir.async_delete_issue(self.hass, DOMAIN, unknown_issue_id(record.renewal_id))
        elif dt_util.utcnow() - record.created_at >= SETTLE_GRACE:
            self._raise_unknown_issue(record)
        self._finished(record)

    async def async_settle(self, subentry_id: str | None = None) -> None:
        """Settle what a restart, a reload or a lost answer left open; never pays anything new.

        A number whose lock is held is being paid or settled right now and is left alone.
        """
        for record in self.history.unresolved(subentry_id):
            lock = self.state.lock(record.number)
            if lock.locked() or not record.unresolved:
                continue
            async with lock:
                await self._async_settle_records(record.subentry_id)

    @callback
    def schedule_settle(self, record: RenewalRecord) -> None:
        """Check an unknown outcome again after a while (one timer per number)."""
        if self._stopped or record.subentry_id in self._retries:
            return
        age = dt_util.utcnow() - record.created_at
        delay = next((d - age for d in SETTLE_RETRIES if d > age), None)
        if delay is None:
            return  # from now on every poll checks it

        @callback
        def _retry(_: datetime) -> None:
            self._retries.pop(record.subentry_id, None)
            self.entry.async_create_background_task(
                self.hass, self.async_settle(record.subentry_id), f"{DOMAIN} settle renewal"
            )

        self._retries[record.subentry_id] = async_call_later(self.hass, delay, _retry)

    @callback
    def _raise_unknown_issue(self, record: RenewalRecord) -> None:
        config = self.coordinator.numbers.get(record.subentry_id)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            unknown_issue_id(record.renewal_id),
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_UNKNOWN,
            translation_placeholders={
                "name": config.name if config else mask(record.number),
                "amount": str(record.amount),
                "date": dt_util.as_local(record.created_at).date().isoformat(),
            },
            data={"entry_id": self.entry.entry_id, "renewal_id": record.renewal_id},
        )

    async def async_user_settles(self, renewal_id: str, *, charged: bool) -> bool:
        """Settle an unknown attempt the user checked with the carrier: charged, or not.

        False when there is no such unresolved record any more.
        """
        record = self.history.get(renewal_id)
        if record is None or not record.unresolved:
            return False
        async with self.state.lock(record.number):
            now = dt_util.utcnow()
            for attempt in record.attempts:
                if attempt.status not in (AttemptStatus.PENDING, AttemptStatus.UNKNOWN):
                    continue
                if charged and record.succeeded_attempt is None:
                    attempt.status, attempt.reason = AttemptStatus.SUCCEEDED, "user_confirmed"
                else:
                    attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, "user_confirmed"
                attempt.finished_at = now
            if record.succeeded_attempt is not None:
                record.outcome = Outcome.SUCCEEDED
                record.verification = Verification.VERIFIED  # the user saw it at the carrier
            else:
                record.outcome = Outcome.FAILED
            await self.history.async_save()
        ir.async_delete_issue(self.hass, DOMAIN, unknown_issue_id(renewal_id))
        self._finished(record)
        return True


__all__ = [
    "DATA_PAYMENTS",
    "ISSUE_UNKNOWN",
    "SOURCE_ACTION",
    "SOURCE_AUTO",
    "SOURCE_BUTTON",
    "SOURCE_REPAIR",
    "PaymentListener",
    "PaymentState",
    "Payments",
    "attempts_text",
    "new_key",
    "payment_state",
    "unknown_issue_id",
]
