"""Hand-kept numbers: the user pays the carrier and tells us; we keep the record, never pay.

A hand-kept number ("My own records") has a ledger: a balance read at some instant and the plan
expiry then, moved forward by the keeper rules. The user changes it with explicit statements:
"I paid" (``record_payment``: a payment record, then the ledger), "the balance is now"
(``set_balance``), "I used the number" (``record_activity``), and for a carrier that charges the
user's card every cycle, "autopay charged me" or "autopay failed" (the autopay repair). A payment
record is on disk before the ledger moves, and a record the ledger does not show yet (Home
Assistant stopped in between) is applied when the account starts.

Carrier autopay moves the plan expiry forward each cycle as *assumed* (the status reason says
so): after each cycle date a repair asks the user to confirm the charge or say it failed, and it
turns into an error when the number would be lost by then if the charge had failed.

Providers say what they allow through their capabilities: ``records_payments`` (a ledger the user
keeps) and ``keeps_activity`` (the integration keeps the activity clock).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable
from uuid import uuid4

from homeassistant.core import callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from . import texts
from .account import Account, AccountPart
from .const import CONF_USER_ACTIVITY, CONF_WARN_DAYS, DEFAULT_WARN_DAYS, DOMAIN
from .errors import invalid
from .history import (
    Attempt,
    AttemptStatus,
    Outcome,
    RecordKind,
    RenewalRecord,
)
from .keeper.errors import KeeperError
from .keeper.lifecycle import (
    Ledger,
    apply_payment,
    autopay_failed,
    confirm_autopay,
    loss_date_if_unpaid,
)
from .keeper.model import PaymentMethod, PlanRules
from .keeper.money import Money
from .keeper.payments import recorded_twice
from .keeper.renewals import corrected_ledger
from .lines import NumberConfig, async_save_ledger
from .payments import SOURCE_REPAIR, PaymentState
from .texts import PROBLEM
from .verification import issue_id

ISSUE_AUTOPAY = "autopay_unconfirmed"


@runtime_checkable
class LedgerBook(Protocol):
    """A provider that holds the user's own records (the Manual provider)."""

    def ledger(self, line_id: str) -> Ledger:
        """One line's current ledger."""

    def set_line(self, line_id: str, ledger: Ledger, plan: PlanRules, number: str) -> None:
        """Replace one line's ledger."""

    def assumed_since(self, line_id: str) -> datetime | None:
        """Return the first cycle end the carrier's autopay is only assumed to have paid."""


@runtime_checkable
class ActivityKeeper(Protocol):
    """A provider whose activity clock the integration keeps."""

    def record_activity(self, line_id: str, at: datetime) -> None:
        """Record that the user used the line at ``at``."""


class HandKept(AccountPart):
    """Records of one account's hand-kept numbers."""

    def __init__(
        self,
        account: Account,
        state: PaymentState,
        number: Callable[[str], NumberConfig],
        announce: Callable[[RenewalRecord, str], None],
    ) -> None:
        """Keep the payment records and ledgers of numbers the user pays by hand."""
        super().__init__(account)
        self.state = state
        self._number = number
        self._announce = announce

    def _book(self, config: NumberConfig) -> LedgerBook:
        provider = self.coordinator.provider
        if not provider.capabilities.records_payments or not isinstance(provider, LedgerBook):
            raise invalid("hand_kept_only", name=config.name)
        return provider

    def _save(self, config: NumberConfig, book: LedgerBook, ledger: Ledger) -> None:
        book.set_line(config.line_id, ledger, config.plan, config.number)
        async_save_ledger(self.hass, self.entry, config.subentry_id, ledger)

    # --- payments ----------------------------------------------------------------------------

    def default_amount(self, config: NumberConfig) -> Money:
        """Return the next renewal's cost (from the last poll, else the plan)."""
        state = self.coordinator.data
        data = state.numbers.get(config.subentry_id) if state is not None else None
        return data.status.next_renewal_cost if data else config.plan.renewal_cost

    async def async_record_payment(
        self,
        subentry_id: str,
        *,
        amount: Money | None = None,
        paid_at: datetime | None = None,
        method: PaymentMethod | None = None,
        paid: Money | None = None,
        source: str,
    ) -> RenewalRecord:
        """Record that the user paid the carrier, then move the number's ledger.

        Raises ServiceValidationError (nothing changed) for a number that is not hand-kept, an
        amount that is not a positive amount in the plan's currency, a time in the future or
        before the last balance reading, or the same payment recorded twice.
        """
        config = self._number(subentry_id)
        book = self._book(config)
        now = dt_util.utcnow()
        amount = amount if amount is not None else self.default_amount(config)
        paid_at = paid_at or now
        if amount.currency != config.currency or amount.amount <= 0:
            raise invalid("invalid_amount", amount=str(amount))
        if paid is not None and paid.amount <= 0:
            raise invalid("invalid_amount", amount=str(paid))
        if paid_at > now:
            raise invalid("paid_in_future")
        async with self.state.lock(config.number):
            ledger = book.ledger(config.line_id)
            if paid_at < ledger.read_at:
                raise invalid("paid_before_reading", read_at=ledger.read_at.isoformat())
            earlier = [
                (r.paid_at, r.amount)
                for r in self.history.records(subentry_id)
                if r.kind is RecordKind.RECORDED and r.paid_at is not None
            ]
            if recorded_twice(earlier, paid_at, amount):
                raise invalid("payment_already_recorded", name=config.name, amount=str(amount))
            try:
                updated = apply_payment(ledger, config.plan, amount, paid_at)
            except KeeperError as err:
                problem = texts.code_name(self.hass, PROBLEM, err.key)
                raise invalid("invalid_payment", error=problem) from err
            chosen = method or next(iter(config.renewal.payment_methods), PaymentMethod.CARD)
            record = self._recorded(config, amount, paid_at, chosen, paid, source)
            await self.history.async_add(record)  # on disk before the ledger moves
            self._save(config, book, updated)
        self._announce(record, "recorded")
        await self.coordinator.async_refresh()
        return record

    @staticmethod
    def _recorded(
        config: NumberConfig,
        amount: Money,
        paid_at: datetime,
        method: PaymentMethod,
        paid: Money | None,
        source: str,
    ) -> RenewalRecord:
        """Return a payment record the user stated (never a charge of ours)."""
        now = dt_util.utcnow()
        return RenewalRecord(
            renewal_id=uuid4().hex,
            subentry_id=config.subentry_id,
            line_id=config.line_id,
            source=source,
            amount=amount,
            created_at=now,
            outcome=Outcome.SUCCEEDED,
            attempts=[
                Attempt(
                    key=f"recorded-{uuid4().hex}",
                    method=method,
                    started_at=paid_at,
                    status=AttemptStatus.SUCCEEDED,
                    finished_at=now,
                )
            ],
            paid_at=paid_at,
            number=config.number,
            kind=RecordKind.RECORDED,
            paid=paid,
        )

    async def async_reconcile(self) -> None:
        """Apply recorded payments the ledger does not show yet.

        Home Assistant stopped between writing the record and the ledger. A payment moves the
        ledger's reading to its time, so a record paid after the reading is one the ledger has not
        seen.
        """
        provider = self.coordinator.provider
        if not provider.capabilities.records_payments or not isinstance(provider, LedgerBook):
            return
        for config in self.coordinator.numbers.values():
            for record in reversed(self.history.records(config.subentry_id)):
                ledger = provider.ledger(config.line_id)
                if (
                    record.kind is not RecordKind.RECORDED
                    or record.paid_at is None
                    or record.paid_at <= ledger.read_at
                ):
                    continue
                try:
                    updated = apply_payment(ledger, config.plan, record.amount, record.paid_at)
                except KeeperError:
                    continue  # kept in the history; the ledger was changed by hand since
                self._save(config, provider, updated)

    # --- readings and activity -----------------------------------------------------------------

    async def async_set_balance(
        self,
        subentry_id: str,
        balance: Money,
        plan_expiry: datetime | None,
        *,
        read_at: datetime | None = None,
    ) -> None:
        """Correct a hand-kept number's ledger from a reading in the carrier's app or SMS.

        ``read_at``: when the carrier said so (a text received earlier); now when not given.
        """
        config = self._number(subentry_id)
        book = self._book(config)
        try:
            ledger = corrected_ledger(
                book.ledger(config.line_id),
                config.plan,
                balance,
                read_at or dt_util.utcnow(),
                plan_expiry,
            )
        except KeeperError as err:
            problem = texts.code_name(self.hass, PROBLEM, err.key)
            raise invalid("invalid_reading", error=problem) from err
        self._save(config, book, ledger)
        await self.coordinator.async_refresh()

    async def async_record_activity(self, subentry_id: str) -> None:
        """Record that the user made a call or sent a text: the activity clock restarts now.

        Hand-kept numbers move their ledger; a number whose carrier does not report activity
        keeps the time in its settings (the coordinator uses it while the carrier says nothing
        newer). Where the carrier reports activity, its word stands (activity_unsupported).
        """
        config = self._number(subentry_id)
        provider = self.coordinator.provider
        now = dt_util.utcnow()
        if provider.capabilities.keeps_activity and isinstance(provider, ActivityKeeper):
            provider.record_activity(config.line_id, now)
            if provider.capabilities.records_payments and isinstance(provider, LedgerBook):
                ledger = provider.ledger(config.line_id)
                async_save_ledger(self.hass, self.entry, subentry_id, ledger)
        elif not provider.capabilities.reports_activity:
            subentry = self.entry.subentries[subentry_id]
            self.hass.config_entries.async_update_subentry(
                self.entry, subentry, data={**subentry.data, CONF_USER_ACTIVITY: now.isoformat()}
            )
            self.coordinator.sync_numbers()
        else:
            raise invalid("activity_unsupported", name=config.name)
        await self.coordinator.async_refresh()

    # --- carrier autopay -----------------------------------------------------------------------

    @callback
    def check_autopay(self) -> None:
        """On every poll: ask about each autopay charge nobody confirmed yet."""
        provider = self.coordinator.provider
        if not provider.capabilities.records_payments or not isinstance(provider, LedgerBook):
            return
        warn_days = int(self.entry.options.get(CONF_WARN_DAYS, DEFAULT_WARN_DAYS))
        now = dt_util.utcnow()
        for config in self.coordinator.numbers.values():
            issue = issue_id(ISSUE_AUTOPAY, config.subentry_id)
            try:
                since = provider.assumed_since(config.line_id)
            except KeeperError:
                since = None
            if since is None:
                ir.async_delete_issue(self.hass, DOMAIN, issue)
                continue
            # If the charge failed, the number is lost a grace period after that cycle date.
            loss = loss_date_if_unpaid(since, config.plan)
            urgent = loss - now <= timedelta(days=warn_days)
            ir.async_create_issue(
                self.hass,
                DOMAIN,
                issue,
                is_fixable=True,
                severity=ir.IssueSeverity.ERROR if urgent else ir.IssueSeverity.WARNING,
                translation_key=ISSUE_AUTOPAY,
                translation_placeholders={
                    "name": config.name,
                    "date": dt_util.as_local(since).date().isoformat(),
                    "amount": str(config.plan.renewal_cost),
                    "loss_date": dt_util.as_local(loss).date().isoformat(),
                },
                data={"entry_id": self.entry.entry_id, "subentry_id": config.subentry_id},
            )

    async def async_confirm_autopay(self, subentry_id: str) -> list[RenewalRecord]:
        """Record the carrier's autopay charges the user saw.

        One payment record per cycle, then the ledger takes the assumed expiry as fact.
        """
        config = self._number(subentry_id)
        book = self._book(config)
        now = dt_util.utcnow()
        async with self.state.lock(config.number):
            try:
                ledger, dates = confirm_autopay(book.ledger(config.line_id), config.plan, now)
            except KeeperError as err:
                raise invalid("nothing_assumed", name=config.name) from err
            method = next(iter(config.renewal.payment_methods), PaymentMethod.CARD)
            records = [
                self._recorded(config, config.plan.renewal_cost, at, method, None, SOURCE_REPAIR)
                for at in dates
            ]
            for record in records:
                await self.history.async_add(record)
            self._save(config, book, ledger)
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(ISSUE_AUTOPAY, subentry_id))
        for record in records:
            self._announce(record, "recorded")
        await self.coordinator.async_refresh()
        return records

    async def async_autopay_failed(self, subentry_id: str) -> None:
        """Record that the carrier's autopay charge failed, as the user says.

        Nothing is assumed any more, and the number shows the expiry it really has (pay at the
        carrier, then record it).
        """
        config = self._number(subentry_id)
        book = self._book(config)
        try:
            ledger = autopay_failed(book.ledger(config.line_id), config.plan, dt_util.utcnow())
        except KeeperError as err:
            raise invalid("nothing_assumed", name=config.name) from err
        self._save(config, book, ledger)
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(ISSUE_AUTOPAY, subentry_id))
        await self.coordinator.async_refresh()
