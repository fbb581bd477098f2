"""The renewal engine: a renewal is a payment, so it is made like a careful person would make one.

- Every attempt has its own idempotency key and is on disk (history.py) before the provider call.
- One renewal at a time per number; a second request is told a renewal is in progress.
- No answer (timeout, dropped connection) means the outcome is unknown: the key is looked up
  before anything else, and a renewal whose outcome stays unknown blocks the next one until a
  lookup settles it. Nothing is ever retried blindly.
- A spending cap per number per 30 days holds for manual and automatic renewals alike.
- A declined method falls back to the next in the number's order; the first success stops.
- After a success the line is read again: the change must show within a window, otherwise the
  renewal is "unverified" (event + repair issue) until it does.
- Auto-renew follows the number's policy and switches itself off after repeated failures.

The rules (cap arithmetic, when auto-renew is due, what "shows" means) live in keeper.renewals.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import uuid4

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_send
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .const import CONF_RENEWAL, CONF_WARN_DAYS, DEFAULT_WARN_DAYS, DOMAIN, LOGGER
from .coordinator import AccountCoordinator, EsimKeeperConfigEntry, NumberData
from .history import (
    Attempt,
    AttemptStatus,
    Outcome,
    RenewalHistory,
    RenewalRecord,
    Verification,
)
from .keeper.errors import KeeperError
from .keeper.lifecycle import apply_payment
from .keeper.model import PaymentMethod
from .keeper.money import Money
from .keeper.providers.base import (
    InvalidResponseError,
    PaymentDeclinedError,
    Provider,
    ProviderConnectionError,
    ProviderError,
    RenewalRequest,
    RenewalResult,
    RenewalStatus,
    UnsupportedError,
)
from .keeper.providers.demo import DemoProvider
from .keeper.providers.manual import ManualProvider
from .keeper.renewals import (
    auto_renew_due,
    cap_allows,
    cap_left,
    corrected_ledger,
    ledger_with_activity,
    number_at_risk,
    renewal_visible,
)
from .lines import AutoRenewMode, NumberConfig, async_save_ledger

# Read the line again this long after a success, and give up waiting for the change after this.
VERIFY_DELAY = timedelta(seconds=30)
VERIFY_WINDOW = timedelta(minutes=30)
# Consecutive failed automatic renewals after which auto-renew switches itself off.
AUTO_RENEW_MAX_FAILURES = 3

EVENT_RENEWAL = f"{DOMAIN}_renewal"
EVENT_TYPES = ("succeeded", "failed", "unknown", "verified", "unverified")

ISSUE_AT_RISK = "number_at_risk"
ISSUE_UNVERIFIED = "renewal_unverified"
ISSUE_AUTO_RENEW_OFF = "auto_renew_disabled"

SOURCE_ACTION = "action"
SOURCE_BUTTON = "button"
SOURCE_AUTO = "auto"


def renewal_signal(subentry_id: str) -> str:
    """Dispatcher signal of a number's renewal events: payload (event type, record dict)."""
    return f"{DOMAIN}_renewal_{subentry_id}"


def issue_id(kind: str, subentry_id: str) -> str:
    return f"{kind}_{subentry_id}"


def new_key() -> str:
    """A fresh idempotency key (the bridge protocol's pattern: [A-Za-z0-9._:-]{1,128})."""
    return f"ek-{uuid4().hex}"


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why a renewal did not succeed: a translation key and its placeholders."""

    key: str
    placeholders: dict[str, str]


def _validation(key: str, **placeholders: str) -> ServiceValidationError:
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _failure(key: str, **placeholders: str) -> HomeAssistantError:
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def _attempts_text(record: RenewalRecord) -> str:
    """ "card: declined (insufficient_funds), paypal: declined" for messages."""
    parts = []
    for attempt in record.attempts:
        text = f"{attempt.method.value}: {attempt.status.value}"
        if attempt.reason:
            text += f" ({attempt.reason})"
        parts.append(text)
    return ", ".join(parts)


class RenewalEngine:
    """Renewals, verification, auto-renew and repair issues of one account."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: EsimKeeperConfigEntry,
        coordinator: AccountCoordinator,
        provider: Provider,
        history: RenewalHistory,
    ) -> None:
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self.provider = provider
        self.history = history
        self._locks: dict[str, asyncio.Lock] = {}
        self._timers: dict[str, list[CALLBACK_TYPE]] = {}
        self._auto_running: set[str] = set()

    # --- life cycle --------------------------------------------------------------------------

    @callback
    def async_start(self) -> None:
        """Follow the coordinator, resolve what a restart interrupted, and resume verifications."""
        self.entry.async_on_unload(self.coordinator.async_add_listener(self._on_update))
        self.entry.async_on_unload(self._cancel_timers)
        now = dt_util.utcnow()
        for record in self.history.awaiting_verification():
            if record.verification is Verification.PENDING:
                self._schedule_verification(record, now)
        self.entry.async_create_background_task(
            self.hass, self._async_startup(), f"{DOMAIN} resolve pending renewals"
        )

    async def _async_startup(self) -> None:
        await self.async_resolve_pending()
        self._on_update()

    @callback
    def _cancel_timers(self) -> None:
        for cancels in self._timers.values():
            for cancel in cancels:
                cancel()
        self._timers.clear()

    def lock(self, subentry_id: str) -> asyncio.Lock:
        return self._locks.setdefault(subentry_id, asyncio.Lock())

    # --- renewing ------------------------------------------------------------------------------

    def number(self, subentry_id: str) -> NumberConfig:
        try:
            return self.coordinator.numbers[subentry_id]
        except KeyError:
            raise _validation("unknown_number") from None

    def default_amount(self, config: NumberConfig) -> Money:
        """The next renewal's cost (from the last poll, else the plan)."""
        data = (
            self.coordinator.data.numbers.get(config.subentry_id) if self.coordinator.data else None
        )
        return data.status.next_renewal_cost if data else config.plan.renewal_cost

    def methods(self, config: NumberConfig, first: PaymentMethod | None) -> list[PaymentMethod]:
        """The methods to try in order: ``first`` (when given), then the number's order.

        The number's order keeps only methods the provider offers; without one, the provider's.
        """
        offered = self.provider.capabilities.payment_methods
        if first is not None and first not in offered:
            raise _validation("method_unsupported", method=first.value)
        order = [m for m in config.renewal.payment_methods if m in offered] or list(offered)
        if first is not None:
            order = [first, *(m for m in order if m is not first)]
        if not order:
            raise _validation("renew_unsupported")
        return order

    def check_request(
        self, config: NumberConfig, amount: Money | None, method: PaymentMethod | None
    ) -> tuple[Money, list[PaymentMethod]]:
        """Validate a renewal request without recording anything (ServiceValidationError)."""
        if not self.provider.capabilities.can_renew:
            raise _validation("renew_unsupported")
        amount = amount if amount is not None else self.default_amount(config)
        if amount.currency != config.currency:
            raise _validation("invalid_amount", amount=str(amount))
        if amount.amount <= 0:
            raise _validation("invalid_amount", amount=str(amount))
        methods = self.methods(config, method)
        self._check_cap(config, amount)
        return amount, methods

    def _check_cap(self, config: NumberConfig, amount: Money) -> None:
        cap = config.renewal.spend_cap
        spent = self.history.spent(config.subentry_id, dt_util.utcnow(), config.currency)
        if not cap_allows(cap, spent, amount):
            assert cap is not None
            left = cap_left(cap, spent)
            raise _validation(
                "over_cap", amount=str(amount), cap=str(cap), left=str(left), name=config.name
            )

    async def async_renew(
        self,
        subentry_id: str,
        *,
        amount: Money | None = None,
        method: PaymentMethod | None = None,
        source: str = SOURCE_ACTION,
        paid_at: datetime | None = None,
    ) -> RenewalRecord:
        """Renew a number once; returns the record. Raises ServiceValidationError for bad input
        (nothing recorded or charged) and HomeAssistantError when the renewal did not succeed."""
        config = self.number(subentry_id)
        amount, methods = self.check_request(config, amount, method)
        if paid_at is not None:
            self._check_paid_at(config, paid_at)
        lock = self.lock(subentry_id)
        if lock.locked():
            raise _failure("renewal_in_progress", name=config.name)
        async with lock:
            await self._async_settle_before_renewal(config)
            self._check_cap(config, amount)  # a settled lookup may have spent money
            record = self._new_record(config, amount, source, paid_at)
            await self.history.async_add(record)
            try:
                failure = await self._async_pay(config, record, methods)
            finally:
                await self.history.async_save()
        self._finish(config, record)
        if failure is not None:
            raise _failure(failure.key, **failure.placeholders)
        return record

    def _check_paid_at(self, config: NumberConfig, paid_at: datetime) -> None:
        if not isinstance(self.provider, ManualProvider):
            raise _validation("manual_only", name=config.name)
        if paid_at > dt_util.utcnow():
            raise _validation("paid_in_future")
        ledger = self.provider.ledger(config.line_id)
        if paid_at < ledger.read_at:
            raise _validation("paid_before_reading", read_at=ledger.read_at.isoformat())

    def _new_record(
        self, config: NumberConfig, amount: Money, source: str, paid_at: datetime | None
    ) -> RenewalRecord:
        data = self._data(config.subentry_id)
        return RenewalRecord(
            renewal_id=uuid4().hex,
            subentry_id=config.subentry_id,
            line_id=config.line_id,
            source=source,
            amount=amount,
            created_at=dt_util.utcnow(),
            before_expiry=data.snapshot.plan_expiry if data else None,
            before_balance=data.snapshot.balance if data else None,
            paid_at=paid_at,
        )

    def _data(self, subentry_id: str) -> NumberData | None:
        state = self.coordinator.data
        return state.numbers.get(subentry_id) if state is not None else None

    async def _async_pay(
        self, config: NumberConfig, record: RenewalRecord, methods: list[PaymentMethod]
    ) -> _Failure | None:
        """Try the methods in order; every attempt is saved before its provider call."""
        for method in methods:
            attempt = Attempt(key=new_key(), method=method, started_at=dt_util.utcnow())
            record.attempts.append(attempt)
            await self.history.async_save()
            request = RenewalRequest(
                line_id=config.line_id,
                amount=record.amount,
                method=method,
                idempotency_key=attempt.key,
            )
            failure = await self._async_attempt(config, record, attempt, request)
            attempt.finished_at = dt_util.utcnow()
            if attempt.status is not AttemptStatus.DECLINED:
                return failure
        record.outcome = Outcome.FAILED
        LOGGER.warning("Renewal of %s declined by every payment method", config.masked)
        return _Failure(
            "renewal_declined", {"name": config.name, "attempts": _attempts_text(record)}
        )

    async def _async_attempt(
        self,
        config: NumberConfig,
        record: RenewalRecord,
        attempt: Attempt,
        request: RenewalRequest,
    ) -> _Failure | None:
        """One provider call; sets the attempt's status (and the record's outcome when final)."""
        try:
            result = await self._async_call(config, record, request)
        except PaymentDeclinedError as err:
            attempt.status, attempt.reason = AttemptStatus.DECLINED, err.reason
            return None
        except (ProviderConnectionError, InvalidResponseError) as err:
            # The carrier may have charged: ask it by the key before anything else.
            LOGGER.warning(
                "No clear answer renewing %s (%s); looking the attempt up",
                config.masked,
                type(err).__name__,
            )
            try:
                found = await self.provider.async_lookup_renewal(config.line_id, attempt.key)
            except ProviderError as lookup_err:
                attempt.status, attempt.reason = AttemptStatus.UNKNOWN, lookup_err.key
                record.outcome = Outcome.UNKNOWN
                return _Failure("renewal_outcome_unknown", {"name": config.name})
            if found is None:
                attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, err.key
                record.outcome = Outcome.FAILED
                return _Failure("renewal_not_charged", {"name": config.name, "error": err.key})
            result = found
        except UnsupportedError as err:
            attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, err.feature
            record.outcome = Outcome.FAILED
            return _Failure("renew_unsupported", {})
        except ProviderError as err:  # refused before paying: auth, unknown line, ...
            attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, err.key
            record.outcome = Outcome.FAILED
            return _Failure("renewal_not_charged", {"name": config.name, "error": err.key})
        return self._apply_result(config, record, attempt, result)

    async def _async_call(
        self, config: NumberConfig, record: RenewalRecord, request: RenewalRequest
    ) -> RenewalResult:
        provider = self.provider
        if record.paid_at is None or not isinstance(provider, ManualProvider):
            return await provider.async_renew(request)
        # A Manual payment the user made earlier: recorded at the date they give.
        try:
            ledger = apply_payment(
                provider.ledger(config.line_id), config.plan, request.amount, record.paid_at
            )
        except KeeperError as err:
            raise PaymentDeclinedError(str(err), err.key) from err
        provider.set_line(config.line_id, ledger, config.plan, config.number)
        return RenewalResult(
            idempotency_key=request.idempotency_key,
            line_id=config.line_id,
            status=RenewalStatus.SUCCEEDED,
            amount=request.amount,
            method=request.method,
            created_at=record.paid_at,
        )

    def _apply_result(
        self, config: NumberConfig, record: RenewalRecord, attempt: Attempt, result: RenewalResult
    ) -> _Failure | None:
        attempt.reference = result.reference
        if result.status is RenewalStatus.DECLINED:
            attempt.status = AttemptStatus.DECLINED
            attempt.reason = result.decline_reason or "declined"
            return None
        if result.status is RenewalStatus.PENDING:
            attempt.status = AttemptStatus.UNKNOWN
            attempt.reason = "pending"
            record.outcome = Outcome.UNKNOWN
            return _Failure("renewal_outcome_unknown", {"name": config.name})
        attempt.status = AttemptStatus.SUCCEEDED
        record.outcome = Outcome.SUCCEEDED
        self._succeeded(config, record)
        return None

    @callback
    def _succeeded(self, config: NumberConfig, record: RenewalRecord) -> None:
        """Persist a Manual ledger and start verifying."""
        if isinstance(self.provider, ManualProvider):
            async_save_ledger(
                self.hass, self.entry, config.subentry_id, self.provider.ledger(config.line_id)
            )
        now = dt_util.utcnow()
        record.verification = Verification.PENDING
        record.verify_by = now + VERIFY_WINDOW
        self._schedule_verification(record, now)
        LOGGER.info("Renewed %s", config.masked)

    @callback
    def _finish(self, config: NumberConfig, record: RenewalRecord) -> None:
        """Tell automations and entities what happened."""
        self._announce(config, record, record.outcome.value)

    @callback
    def _announce(self, config: NumberConfig, record: RenewalRecord, event_type: str) -> None:
        data = record.to_dict()
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
                "source": record.source,
                "amount": data["amount"],
                "currency": data["currency"],
                "method": data["method"],
                "attempts": [
                    {"method": a.method.value, "status": a.status.value, "reason": a.reason}
                    for a in record.attempts
                ],
                "verification": data["verification"],
            },
        )

    # --- outcomes unknown ----------------------------------------------------------------------

    async def _async_settle_before_renewal(self, config: NumberConfig) -> None:
        """Before paying again, settle earlier attempts whose outcome is unknown (lock held)."""
        if not self.history.unresolved(config.subentry_id):
            return
        settled = await self._async_settle(config)
        if any(r.unresolved for r in settled):
            raise _failure("previous_outcome_unknown", name=config.name)
        if any(r.outcome is Outcome.SUCCEEDED for r in settled):
            raise _failure("previous_renewal_succeeded", name=config.name)

    async def _async_settle(self, config: NumberConfig) -> list[RenewalRecord]:
        """Look up every unresolved attempt of a number by its key; returns the records."""
        records = self.history.unresolved(config.subentry_id)
        for record in records:
            for attempt in record.attempts:
                if attempt.status not in (AttemptStatus.PENDING, AttemptStatus.UNKNOWN):
                    continue
                try:
                    found = await self.provider.async_lookup_renewal(config.line_id, attempt.key)
                except ProviderError as err:
                    attempt.status, attempt.reason = AttemptStatus.UNKNOWN, err.key
                    continue
                attempt.finished_at = dt_util.utcnow()
                if found is None:
                    attempt.status, attempt.reason = AttemptStatus.NOT_CHARGED, "not_found"
                else:
                    self._apply_result(config, record, attempt, found)
            if record.outcome is not Outcome.SUCCEEDED:
                record.outcome = Outcome.UNKNOWN if record.unresolved else Outcome.FAILED
            await self.history.async_save()
            self._finish(config, record)
        return records

    async def async_resolve_pending(self) -> None:
        """Settle attempts a restart (or a lost answer) left open; never pays anything new."""
        for subentry_id in {r.subentry_id for r in self.history.unresolved()}:
            config = self.coordinator.numbers.get(subentry_id)
            if config is None:
                continue
            async with self.lock(subentry_id):
                await self._async_settle(config)

    # --- verification --------------------------------------------------------------------------

    @callback
    def _schedule_verification(self, record: RenewalRecord, now: datetime) -> None:
        deadline = record.verify_by or now
        renewal_id = record.renewal_id

        @callback
        def _read_again(_: datetime) -> None:
            self.entry.async_create_background_task(
                self.hass, self.coordinator.async_refresh(), f"{DOMAIN} verify renewal"
            )

        @callback
        def _window_closed(_: datetime) -> None:
            self.entry.async_create_background_task(
                self.hass, self._async_window_closed(renewal_id), f"{DOMAIN} verify renewal"
            )

        self._timers.setdefault(renewal_id, []).extend(
            (
                async_call_later(self.hass, VERIFY_DELAY, _read_again),
                async_call_later(self.hass, max(deadline - now, timedelta(0)), _window_closed),
            )
        )

    async def _async_window_closed(self, renewal_id: str) -> None:
        self._timers.pop(renewal_id, None)
        await self.coordinator.async_refresh()
        record = self.history.get(renewal_id)
        if record is None or record.verification is not Verification.PENDING:
            return
        config = self.coordinator.numbers.get(record.subentry_id)
        if config is None:
            return
        record.verification = Verification.UNVERIFIED
        await self.history.async_save()
        LOGGER.warning("The renewal of %s has not shown on the line yet", config.masked)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(ISSUE_UNVERIFIED, config.subentry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_UNVERIFIED,
            translation_placeholders={
                "name": config.name,
                "amount": str(record.amount),
                "date": record.created_at.date().isoformat(),
            },
            data={"entry_id": self.entry.entry_id, "renewal_id": renewal_id},
        )
        self._announce(config, record, "unverified")

    @callback
    def _check_verifications(self) -> None:
        for record in self.history.awaiting_verification():
            data = self._data(record.subentry_id)
            if data is None or not renewal_visible(
                record.before_expiry, record.before_balance, data.snapshot
            ):
                continue
            self.mark_verified(record)

    @callback
    def mark_verified(self, record: RenewalRecord) -> None:
        """The payment showed on the line (or the user confirmed it did)."""
        record.verification = Verification.VERIFIED
        for cancel in self._timers.pop(record.renewal_id, []):
            cancel()
        self.hass.async_create_task(self.history.async_save())
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(ISSUE_UNVERIFIED, record.subentry_id))
        config = self.coordinator.numbers.get(record.subentry_id)
        if config is not None:
            self._announce(config, record, "verified")

    # --- on every poll: verifications, risk, auto-renew -----------------------------------------

    @callback
    def _on_update(self) -> None:
        self._check_verifications()
        warn_days = int(self.entry.options.get(CONF_WARN_DAYS, DEFAULT_WARN_DAYS))
        now = dt_util.utcnow()
        for subentry_id, config in self.coordinator.numbers.items():
            auto_on = config.renewal.auto_renew is not AutoRenewMode.OFF
            if auto_on:
                ir.async_delete_issue(
                    self.hass, DOMAIN, issue_id(ISSUE_AUTO_RENEW_OFF, subentry_id)
                )
            data = self._data(subentry_id)
            if data is None:
                continue
            self._update_risk(config, data, warn_days, auto_on)
            if auto_on and self._auto_due(config, data, now):
                self._auto_running.add(subentry_id)
                self.entry.async_create_background_task(
                    self.hass, self._async_auto_renew(config), f"{DOMAIN} auto-renew"
                )

    @callback
    def _update_risk(
        self, config: NumberConfig, data: NumberData, warn_days: int, auto_on: bool
    ) -> None:
        issue = issue_id(ISSUE_AT_RISK, config.subentry_id)
        if not number_at_risk(data.status, warn_days, auto_renew=auto_on):
            ir.async_delete_issue(self.hass, DOMAIN, issue)
            return
        deadline = data.status.keep_alive_deadline
        assert deadline is not None
        activity = deadline == data.status.activity_deadline
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=f"{ISSUE_AT_RISK}_activity" if activity else ISSUE_AT_RISK,
            translation_placeholders={
                "name": config.name,
                "deadline": dt_util.as_local(deadline).date().isoformat(),
                "days": str(data.status.days_to_deadline),
            },
        )

    def _auto_due(self, config: NumberConfig, data: NumberData, now: datetime) -> bool:
        subentry_id = config.subentry_id
        if subentry_id in self._auto_running or self.lock(subentry_id).locked():
            return False
        last = self.history.last(subentry_id)
        if last is not None and (
            last.unresolved or last.verification in (Verification.PENDING, Verification.UNVERIFIED)
        ):
            return False  # settle or verify the previous payment first
        success = self.history.last_success(subentry_id)
        try:
            return auto_renew_due(
                config.renewal.auto_renew.value,
                data.status,
                config.plan,
                now,
                days_before=config.renewal.auto_renew_days,
                day_of_month=config.renewal.auto_renew_day,
                last_success=success.created_at if success else None,
            )
        except KeeperError:
            LOGGER.warning("Auto-renew settings of %s are invalid", config.masked)
            return False

    async def _async_auto_renew(self, config: NumberConfig) -> None:
        subentry_id = config.subentry_id
        try:
            await self.async_renew(subentry_id, source=SOURCE_AUTO)
        except HomeAssistantError as err:
            reason = err.translation_key or "error"
            if reason in ("renewal_in_progress", "previous_outcome_unknown"):
                return  # not a failure of this renewal: try again on a later poll
            await self._async_auto_failed(config, reason)
        else:
            self.history.set_failures(subentry_id, 0)
            await self.history.async_save()
        finally:
            self._auto_running.discard(subentry_id)

    async def _async_auto_failed(self, config: NumberConfig, reason: str) -> None:
        subentry_id = config.subentry_id
        failures = self.history.failures(subentry_id) + 1
        LOGGER.warning(
            "Automatic renewal of %s failed (%s), %d in a row", config.masked, reason, failures
        )
        if failures < AUTO_RENEW_MAX_FAILURES:
            self.history.set_failures(subentry_id, failures)
            await self.history.async_save()
            return
        self.history.set_failures(subentry_id, 0)
        await self.history.async_save()
        previous = config.renewal.auto_renew
        self.set_auto_renew(subentry_id, AutoRenewMode.OFF)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(ISSUE_AUTO_RENEW_OFF, subentry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_AUTO_RENEW_OFF,
            translation_placeholders={
                "name": config.name,
                "failures": str(failures),
                "reason": reason,
            },
            data={
                "entry_id": self.entry.entry_id,
                "subentry_id": subentry_id,
                "mode": previous.value,
            },
        )

    @callback
    def set_auto_renew(self, subentry_id: str, mode: AutoRenewMode) -> None:
        """Store a number's auto-renew mode (switched off by failures, back on by a repair)."""
        subentry = self.entry.subentries[subentry_id]
        config = self.coordinator.numbers[subentry_id]
        settings = replace(config.renewal, auto_renew=mode)
        self.hass.config_entries.async_update_subentry(
            self.entry, subentry, data={**subentry.data, CONF_RENEWAL: settings.to_data()}
        )
        self.coordinator.sync_numbers()

    # --- Manual numbers ------------------------------------------------------------------------

    async def async_record_activity(self, subentry_id: str) -> None:
        """The user made a call or sent a text: the activity clock restarts now."""
        config = self.number(subentry_id)
        provider = self.provider
        now = dt_util.utcnow()
        if isinstance(provider, ManualProvider):
            ledger = ledger_with_activity(provider.ledger(config.line_id), now)
            provider.set_line(config.line_id, ledger, config.plan, config.number)
            async_save_ledger(self.hass, self.entry, subentry_id, ledger)
        elif isinstance(provider, DemoProvider):
            provider.record_activity(config.line_id)
        else:
            raise _validation("activity_unsupported", name=config.name)
        await self.coordinator.async_refresh()

    async def async_set_balance(
        self, subentry_id: str, balance: Money, plan_expiry: datetime | None
    ) -> None:
        """Correct a Manual number's ledger from a reading in the carrier's app or SMS."""
        config = self.number(subentry_id)
        provider = self.provider
        if not isinstance(provider, ManualProvider):
            raise _validation("manual_only", name=config.name)
        try:
            ledger = corrected_ledger(
                provider.ledger(config.line_id), config.plan, balance, dt_util.utcnow(), plan_expiry
            )
        except KeeperError as err:
            raise _validation("invalid_reading", error=str(err)) from err
        provider.set_line(config.line_id, ledger, config.plan, config.number)
        async_save_ledger(self.hass, self.entry, subentry_id, ledger)
        await self.coordinator.async_refresh()


def supports_activity(provider: Provider) -> bool:
    """Whether "I used this number" can be recorded (the integration keeps the activity clock)."""
    return isinstance(provider, ManualProvider | DemoProvider)
