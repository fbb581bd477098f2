"""Renewal history: every attempt of every number, in Home Assistant's Store (survives restarts).

One Store per account. A record is one renewal request (a press, an action call, an automatic
renewal) with its attempts: one per payment method tried, each with its own idempotency key. An
attempt is written (status ``pending``) before the provider is called, and again with its outcome.

Public API (used by sensors and diagnostics):
    ``RenewalHistory.last(subentry_id)``   the newest record of a number, or None
    ``RenewalHistory.records(subentry_id)`` newest first
    ``redacted_history(entry)``            what diagnostics may show
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN
from .keeper.model import PaymentMethod
from .keeper.money import Money
from .keeper.renewals import spent_in_window

if TYPE_CHECKING:
    from .coordinator import EsimKeeperConfigEntry

STORAGE_VERSION = 1
# Records kept per number (oldest dropped first); far more than 30 days of renewals.
MAX_RECORDS_PER_NUMBER = 100


class Outcome(StrEnum):
    """The outcome of one renewal request (also the bus event's ``outcome``)."""

    PENDING = "pending"  # in progress, or interrupted before the outcome was known
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # every method declined, or refused before anything was charged
    UNKNOWN = "unknown"  # the carrier may or may not have charged: looked up before anything else


class AttemptStatus(StrEnum):
    """One payment method's attempt."""

    PENDING = "pending"  # written before the provider call
    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    UNKNOWN = "unknown"  # no answer and the lookup failed too
    NOT_CHARGED = "not_charged"  # the carrier never saw it, or refused it before paying


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
    """One call to the provider with one payment method and one idempotency key."""

    key: str
    method: PaymentMethod
    started_at: datetime
    status: AttemptStatus = AttemptStatus.PENDING
    finished_at: datetime | None = None
    reference: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "method": self.method.value,
            "started_at": self.started_at.isoformat(),
            "status": self.status.value,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "reference": self.reference,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Attempt:
        return cls(
            key=raw["key"],
            method=PaymentMethod(raw["method"]),
            started_at=datetime.fromisoformat(raw["started_at"]),
            status=AttemptStatus(raw["status"]),
            finished_at=_instant(raw.get("finished_at")),
            reference=raw.get("reference"),
            reason=raw.get("reason"),
        )


@dataclass(slots=True)
class RenewalRecord:
    """One renewal request of one number and everything that happened to it."""

    renewal_id: str
    subentry_id: str
    line_id: str
    source: str  # action | button | auto
    amount: Money
    created_at: datetime
    outcome: Outcome = Outcome.PENDING
    attempts: list[Attempt] = field(default_factory=list)
    verification: Verification | None = None
    verify_by: datetime | None = None
    before_expiry: datetime | None = None
    before_balance: Money | None = None
    paid_at: datetime | None = None  # Manual numbers: when the user says they paid

    @property
    def succeeded_attempt(self) -> Attempt | None:
        return next((a for a in self.attempts if a.status is AttemptStatus.SUCCEEDED), None)

    @property
    def unresolved(self) -> bool:
        return any(a.status in UNRESOLVED for a in self.attempts)

    def to_dict(self) -> dict[str, Any]:
        """The stored form, also the action's response (JSON-safe; money as decimal text)."""
        success = self.succeeded_attempt
        return {
            "renewal_id": self.renewal_id,
            "subentry_id": self.subentry_id,
            "line_id": self.line_id,
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
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> RenewalRecord:
        currency = raw["currency"]
        balance = raw.get("before_balance")
        verification = raw.get("verification")
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
        )


def _instant(raw: object) -> datetime | None:
    return datetime.fromisoformat(raw) if isinstance(raw, str) else None


class RenewalHistory:
    """The persisted renewal records of one account (oldest first in memory)."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        self._store: Store[dict[str, Any]] = Store(
            hass, STORAGE_VERSION, f"{DOMAIN}.renewals.{entry_id}"
        )
        self._records: list[RenewalRecord] = []
        self._failures: dict[str, int] = {}

    async def async_load(self) -> None:
        data = await self._store.async_load() or {}
        self._records = [RenewalRecord.from_dict(r) for r in data.get("renewals", [])]
        self._failures = {k: int(v) for k, v in data.get("auto_renew_failures", {}).items()}

    async def async_save(self) -> None:
        """Write now (not delayed): a payment must be on disk before the provider is called."""
        await self._store.async_save(
            {
                "renewals": [r.to_dict() for r in self._records],
                "auto_renew_failures": dict(self._failures),
            }
        )

    async def async_remove(self) -> None:
        """Delete the account's history (the account was removed)."""
        await self._store.async_remove()

    async def async_add(self, record: RenewalRecord) -> None:
        """Add a record and drop the number's oldest beyond the limit (never an unresolved one)."""
        self._records.append(record)
        done = [
            r for r in self._records if r.subentry_id == record.subentry_id and not r.unresolved
        ]
        if (excess := len(done) - MAX_RECORDS_PER_NUMBER) > 0:
            gone = {id(r) for r in done[:excess]}
            self._records = [r for r in self._records if id(r) not in gone]
        await self.async_save()

    def records(self, subentry_id: str | None = None) -> list[RenewalRecord]:
        """Records, newest first; one number's when ``subentry_id`` is given."""
        return [
            r
            for r in reversed(self._records)
            if subentry_id is None or r.subentry_id == subentry_id
        ]

    def last(self, subentry_id: str) -> RenewalRecord | None:
        """The newest record of a number (the "Last renewal" sensor reads this)."""
        return next(iter(self.records(subentry_id)), None)

    def last_success(self, subentry_id: str) -> RenewalRecord | None:
        """The newest record of a number that was paid."""
        return next((r for r in self.records(subentry_id) if r.outcome is Outcome.SUCCEEDED), None)

    def get(self, renewal_id: str) -> RenewalRecord | None:
        return next((r for r in self._records if r.renewal_id == renewal_id), None)

    def unresolved(self, subentry_id: str | None = None) -> list[RenewalRecord]:
        """Records with an attempt whose outcome is not known yet, oldest first."""
        return [r for r in reversed(self.records(subentry_id)) if r.unresolved]

    def awaiting_verification(self) -> list[RenewalRecord]:
        return [
            r
            for r in self._records
            if r.verification in (Verification.PENDING, Verification.UNVERIFIED)
        ]

    def spent(self, subentry_id: str, now: datetime, currency: str) -> Money:
        """What the number paid (or may have paid) in the spending window up to ``now``."""
        return spent_in_window(self._payments(subentry_id, currency), now, currency)

    def _payments(self, subentry_id: str, currency: str) -> Iterable[tuple[datetime, Money]]:
        for record in self._records:
            if record.subentry_id != subentry_id or record.amount.currency != currency:
                continue
            for attempt in record.attempts:
                if attempt.status in SPENDING:
                    yield attempt.started_at, record.amount

    def failures(self, subentry_id: str) -> int:
        """Consecutive failed automatic renewals of a number."""
        return self._failures.get(subentry_id, 0)

    def set_failures(self, subentry_id: str, count: int) -> None:
        if count:
            self._failures[subentry_id] = count
        else:
            self._failures.pop(subentry_id, None)


# What diagnostics leave out of a record: carrier references and keys identify payments.
_REDACTED_FIELDS = ("reference", "key")


def redacted_history(entry: EsimKeeperConfigEntry) -> list[dict[str, Any]]:
    """The account's renewal history for diagnostics (newest first), redacted."""
    return [redact_record(r) for r in entry.runtime_data.renewals.history.records()]


def redact_record(record: RenewalRecord) -> dict[str, Any]:
    """A record for diagnostics: carrier references and idempotency keys redacted."""
    data = record.to_dict()
    data.pop("line_id")
    data["attempts"] = [
        {k: ("**REDACTED**" if k in _REDACTED_FIELDS and v else v) for k, v in a.items()}
        for a in data["attempts"]
    ]
    return data
