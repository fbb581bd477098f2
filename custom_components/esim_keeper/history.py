"""Payment history: every renewal and every payment the user recorded, in a Store of its own.

One Store per account. A record is either a *renewal* (eSIM Keeper asked the carrier to charge:
a press, an action call, an automatic renewal) with its attempts, one per payment method tried,
each with its own idempotency key; or a *recorded* payment (the user said they paid, for a
hand-kept number). A renewal's attempt is written (status ``pending``) before the carrier is
called, and again with its outcome.

Home Assistant's ``Store`` logs write errors and carries on. A payment cannot: ``async_save``
here raises ``HistoryWriteError`` when the record did not reach the disk, so that a payment whose
write-ahead record failed is never started.

Public API (used by sensors, actions and diagnostics):
    ``PaymentHistory.last(subentry_id)``   the newest record of a number, or None
    ``PaymentHistory.records(subentry_id)`` newest first
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, override

from homeassistant.core import CoreState, HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER
from .keeper.model import PaymentMethod
from .keeper.money import Money
from .keeper.renewals import spent_in_window

STORAGE_VERSION = 1
# Finished records kept per number (oldest dropped first); far more than a year of renewals.
MAX_RECORDS_PER_NUMBER = 100


class HistoryWriteError(HomeAssistantError):
    """The payment history could not be written to disk (disk full, read-only, ...)."""


class RecordKind(StrEnum):
    """Who moved the money."""

    RENEWAL = "renewal"  # eSIM Keeper asked the carrier to charge
    RECORDED = "recorded"  # the user said they paid (hand-kept numbers)


class Outcome(StrEnum):
    """The outcome of one record (also the bus event's ``outcome``)."""

    PENDING = "pending"  # in progress, or interrupted before the outcome was known
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every method declined, or refused before anything was charged
    UNKNOWN = "unknown"  # the carrier may or may not have charged: settled before anything else


class AttemptStatus(StrEnum):
    """One payment method's attempt."""

    PENDING = "pending"  # written before the provider call
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    UNKNOWN = "unknown"  # no clear answer yet: looked up (or sent again with its key) later
    NOT_CHARGED = "not_charged"  # the carrier said so: refused before paying, or never received


class Verification(StrEnum):
    """Whether a successful payment showed up on the line afterwards."""

    PENDING = "pending"
    VERIFIED = "verified"
    UNVERIFIED = "unverified"


# Attempts whose money counts against the spending cap (an unknown one might have been charged).
SPENDING = frozenset({AttemptStatus.PENDING, AttemptStatus.SUCCEEDED, AttemptStatus.UNKNOWN})
UNRESOLVED = frozenset({AttemptStatus.PENDING, AttemptStatus.UNKNOWN})


@dataclass(slots=True)
class Attempt:
    """One payment method tried with one idempotency key (sent once, or again to settle it)."""

    key: str
    method: PaymentMethod
    started_at: datetime
    status: AttemptStatus = AttemptStatus.PENDING
    finished_at: datetime | None = None
    reference: str | None = None
    reason: str | None = None
    sent_at: datetime | None = None  # when the request last left us (a resend moves it)

    @property
    def last_sent(self) -> datetime:
        """When the carrier may last have received this attempt's request."""
        return self.sent_at or self.started_at

    def to_dict(self) -> dict[str, Any]:
        """Return the stored form (JSON-safe)."""
        return {
            "key": self.key,
            "method": self.method.value,
            "started_at": self.started_at.isoformat(),
            "status": self.status.value,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "reference": self.reference,
            "reason": self.reason,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Attempt:
        """Read the stored form."""
        return cls(
            key=raw["key"],
            method=PaymentMethod(raw["method"]),
            started_at=datetime.fromisoformat(raw["started_at"]),
            status=AttemptStatus(raw["status"]),
            finished_at=_instant(raw.get("finished_at")),
            reference=raw.get("reference"),
            reason=raw.get("reason"),
            sent_at=_instant(raw.get("sent_at")),
        )


@dataclass(slots=True)
class RenewalRecord:
    """One renewal request, or one payment the user recorded, and everything that happened."""

    renewal_id: str
    subentry_id: str
    line_id: str
    source: str  # action | button | auto | repair
    amount: Money
    created_at: datetime
    outcome: Outcome = Outcome.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    verification: Verification | None = None
    verify_by: datetime | None = None
    before_expiry: datetime | None = None
    before_balance: Money | None = None
    paid_at: datetime | None = None  # recorded payments: when the user says they paid
    number: str = ""  # normalised E.164: locks and the spending cap follow the number
    kind: RecordKind = RecordKind.RENEWAL
    paid: Money | None = None  # recorded payments: what the user paid in their own currency

    @property
    def succeeded_attempt(self) -> Attempt | None:
        """The attempt that was paid, if any."""
        return next((a for a in self.attempts if a.status is AttemptStatus.SUCCEEDED), None)

    @property
    def unresolved(self) -> bool:
        """Whether an attempt's outcome is still not known."""
        return any(a.status in UNRESOLVED for a in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        """Return the stored form, also the actions' response (JSON-safe; money as decimal text)."""
        success = self.succeeded_attempt
        return {
            "renewal_id": self.renewal_id,
            "subentry_id": self.subentry_id,
            "line_id": self.line_id,
            "kind": self.kind.value,
            "source": self.source,
            "amount": str(self.amount.amount),
            "currency": self.amount.currency,
            "created_at": self.created_at.isoformat(),
            "outcome": self.outcome.value,
            "method": success.method.value if success else None,
            "attempts": [a.to_dict() for a in self.attempts],
            "verification": self.verification.value if self.verification else None,
            "verify_by": self.verify_by.isoformat() if self.verify_by else None,
            "before_expiry": self.before_expiry.isoformat() if self.before_expiry else None,
            "before_balance": (
                str(self.before_balance.amount) if self.before_balance is not None else None
            ),
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
            "paid_amount": str(self.paid.amount) if self.paid is not None else None,
            "paid_currency": self.paid.currency if self.paid is not None else None,
            "number": self.number,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RenewalRecord:
        """Read the stored form (records written before a field existed get its default)."""
        currency = raw["currency"]
        balance = raw.get("before_balance")
        verification = raw.get("verification")
        paid = raw.get("paid_amount")
        return cls(
            renewal_id=raw["renewal_id"],
            subentry_id=raw["subentry_id"],
            line_id=raw["line_id"],
            source=raw["source"],
            amount=Money.parse(raw["amount"], currency),
            created_at=datetime.fromisoformat(raw["created_at"]),
            outcome=Outcome(raw["outcome"]),
            attempts=[Attempt.from_dict(a) for a in raw.get("attempts", [])],
            verification=Verification(verification) if verification else None,
            verify_by=_instant(raw.get("verify_by")),
            before_expiry=_instant(raw.get("before_expiry")),
            before_balance=(
                None if balance is None else Money.parse(balance, currency, allow_negative=True)
            ),
            paid_at=_instant(raw.get("paid_at")),
            number=raw.get("number") or "",
            kind=RecordKind(raw.get("kind", RecordKind.RENEWAL)),
            paid=None if paid is None else Money.parse(paid, raw["paid_currency"]),
        )


def _instant(raw: object) -> datetime | None:
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


class _DurableStore(Store[dict[str, Any]]):
    """A Store that remembers whether its last write failed, instead of only logging it."""

    def __init__(self, hass: HomeAssistant, key: str) -> None:
        super().__init__(hass, STORAGE_VERSION, key)
        self.write_error: Exception | None = None

    def take_write_error(self) -> Exception | None:
        """Return the error of the writes since the last call, if any (and forget it)."""
        err, self.write_error = self.write_error, None
        return err

    @override
    async def _async_write_data(self, data: dict[str, Any]) -> None:
        try:
            await super()._async_write_data(data)
        except Exception as err:
            self.write_error = err
            raise


class PaymentHistory:
    """The persisted payment records of one account (oldest first in memory)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Prepare the account's durable store; nothing is read until async_load."""
        self.hass = hass
        self._store = _DurableStore(hass, f"{DOMAIN}.renewals.{entry_id}")
        self._save_lock = asyncio.Lock()
        self._records: list[RenewalRecord] = []
        self._failures: dict[str, int] = {}

    async def async_load(self, numbers: Mapping[str, str]) -> None:
        """Read the Store.

        ``numbers`` (subentry id -> number) dates records from before records carried their number.
        """
        data = await self._store.async_load() or {}
        self._records = [RenewalRecord.from_dict(r) for r in data.get("renewals", [])]
        for record in self._records:
            record.number = record.number or numbers.get(record.subentry_id, "")
        self._failures = {k: int(v) for k, v in data.get("auto_renew_failures", {}).items()}

    async def async_save(self) -> None:
        """Write now (not delayed) and make sure it reached the disk.

        Raises HistoryWriteError when it did not, and while Home Assistant is stopping (the
        Store then postpones writes to its final write, which is too late for a payment).
        """
        async with self._save_lock:
            if self.hass.state in (CoreState.stopping, CoreState.final_write):
                raise HistoryWriteError(
                    translation_domain=DOMAIN, translation_key="history_write_failed"
                )
            self._store.take_write_error()
            await self._store.async_save(
                {
                    "renewals": [r.to_dict() for r in self._records],
                    "auto_renew_failures": dict(self._failures),
                }
            )
            if (err := self._store.take_write_error()) is not None:
                LOGGER.error("The payment history could not be written: %s", type(err).__name__)
                raise HistoryWriteError(
                    translation_domain=DOMAIN, translation_key="history_write_failed"
                ) from err

    async def async_save_after(self) -> bool:
        """Save what is already decided (an outcome, a verification, a count).

        A failed write is logged, not raised, since nothing waits on it and the next save writes it
        again. A payment's outcome is safe anyway: its attempt was on disk before the carrier was
        called, so a restart looks it up again.
        """
        try:
            await self.async_save()
        except HistoryWriteError:
            return False
        return True

    async def async_remove(self) -> None:
        """Delete the account's history (the account was removed)."""
        await self._store.async_remove()

    async def async_add(self, record: RenewalRecord) -> None:
        """Add a record and write it.

        On a failed write the record is taken back and HistoryWriteError raised (nothing may go
        ahead without its record on disk).

        Beyond the per-number limit the number's oldest finished records are dropped.
        """
        before = list(self._records)
        self._records.append(record)
        done = [
            r for r in self._records if r.subentry_id == record.subentry_id and not r.unresolved
        ]
        if (excess := len(done) - MAX_RECORDS_PER_NUMBER) > 0:
            gone = {id(r) for r in done[:excess]}
            self._records = [r for r in self._records if id(r) not in gone]
        try:
            await self.async_save()
        except HistoryWriteError:
            self._records = before
            raise

    def records(self, subentry_id: str | None = None) -> list[RenewalRecord]:
        """Return records, newest first; one number's when ``subentry_id`` is given."""
        return [
            r
            for r in reversed(self._records)
            if subentry_id is None or r.subentry_id == subentry_id
        ]

    def last(self, subentry_id: str) -> RenewalRecord | None:
        """Return the newest record of a number (the "Last renewal" sensor reads this)."""
        return next(iter(self.records(subentry_id)), None)

    def last_success(self, subentry_id: str) -> RenewalRecord | None:
        """Return the newest record of a number that was paid."""
        return next((r for r in self.records(subentry_id) if r.outcome is Outcome.SUCCEEDED), None)

    def get(self, renewal_id: str) -> RenewalRecord | None:
        """Return a record by its id."""
        return next((r for r in self._records if r.renewal_id == renewal_id), None)

    def unresolved(self, subentry_id: str | None = None) -> list[RenewalRecord]:
        """Return records with an attempt whose outcome is not known yet, oldest first."""
        return [r for r in reversed(self.records(subentry_id)) if r.unresolved]

    def awaiting_verification(self) -> list[RenewalRecord]:
        """Successful renewals whose change has not shown on the line yet."""
        return [
            r
            for r in self._records
            if r.verification in (Verification.PENDING, Verification.UNVERIFIED)
        ]

    def charges(self, number: str, currency: str) -> Iterable[tuple[datetime, Money]]:
        """(when, amount) of every renewal attempt of ``number`` that was or may have been charged.

        Payments the user recorded are not ours and do not count.
        """
        for record in self._records:
            if (
                record.number != number
                or record.kind is not RecordKind.RENEWAL
                or record.amount.currency != currency
            ):
                continue
            for attempt in record.attempts:
                if attempt.status in SPENDING:
                    yield attempt.started_at, record.amount

    def spent(self, number: str, now: datetime, currency: str) -> Money:
        """Return what renewals of ``number`` here paid (or may have paid) in the window."""
        return spent_in_window(self.charges(number, currency), now, currency)

    def failures(self, subentry_id: str) -> int:
        """Consecutive failed automatic renewals of a number."""
        return self._failures.get(subentry_id, 0)

    def set_failures(self, subentry_id: str, count: int) -> None:
        """Store the count of consecutive failed automatic renewals (0 clears it)."""
        if count:
            self._failures[subentry_id] = count
        else:
            self._failures.pop(subentry_id, None)
