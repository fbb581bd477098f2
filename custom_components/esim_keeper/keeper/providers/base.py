"""The provider protocol: one shape for every place balances come from, and its typed errors.

A provider talks to one account. It never creates its own HTTP session (one is injected), every
request has a timeout, and it never retries a renewal by itself: a renewal whose outcome is unknown
is looked up by its idempotency key by the caller.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Protocol, runtime_checkable

from ..model import LineSnapshot, PaymentMethod
from ..money import Money

# Seconds one request may take, connect to last byte. Providers may use less, never more.
REQUEST_TIMEOUT = 20.0
# Largest response body a provider reads (bytes); anything bigger is an invalid response.
MAX_BODY_BYTES = 4 * 1024 * 1024


class ProviderKind(StrEnum):
    """The kinds of account a config entry can hold."""

    MANUAL = "manual"
    HTTP_BRIDGE = "http_bridge"
    TWILIO = "twilio"
    TELNYX = "telnyx"
    DEMO = "demo"


class ProviderError(Exception):
    """Base class of everything a provider raises. ``key`` names the translated message."""

    key = "provider_error"


class AuthError(ProviderError):
    """The credentials were refused (or revoked)."""

    key = "invalid_auth"


class ProviderConnectionError(ProviderError):
    """The carrier could not be reached, timed out, dropped the connection or answered 5xx."""

    key = "cannot_connect"


class RateLimitedError(ProviderConnectionError):
    """The carrier asked us to slow down (HTTP 429). ``retry_after`` is in seconds, when given."""

    key = "rate_limited"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class InvalidResponseError(ProviderError):
    """The carrier answered something we cannot trust: bad JSON, wrong types, too large."""

    key = "invalid_response"


class PaymentDeclinedError(ProviderError):
    """The payment was refused. ``reason`` is the carrier's short reason code or text."""

    key = "payment_declined"

    def __init__(self, message: str, reason: str = "declined") -> None:
        super().__init__(message)
        self.reason = reason


class UnsupportedError(ProviderError):
    """The provider cannot do this at all. ``feature`` says what (translated in the UI)."""

    key = "unsupported"

    def __init__(self, message: str, feature: str) -> None:
        super().__init__(message)
        self.feature = feature


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a provider can do; the UI and the renewal engine ask before acting."""

    can_renew: bool
    payment_methods: tuple[PaymentMethod, ...] = ()
    reports_activity: bool = False
    reports_expiry: bool = True
    lists_lines: bool = True  # False: numbers are entered by hand (Manual)
    # Hand-kept numbers: the user pays the carrier and records it here; nothing is ever charged.
    records_payments: bool = False
    # The integration keeps the activity clock ("I used this number" moves it).
    keeps_activity: bool = False

    @property
    def has_payments(self) -> bool:
        """Whether numbers of this provider have payments to show: renewals or recorded ones."""
        return self.can_renew or self.records_payments


@dataclass(frozen=True, slots=True)
class AccountInfo:
    """Who the credentials belong to. ``account_id`` is the config entry's unique id."""

    account_id: str
    title: str


@dataclass(frozen=True, slots=True)
class AccountData:
    """One poll of an account: all of its lines, keyed by line id, fetched together."""

    lines: Mapping[str, LineSnapshot]
    fetched_at: datetime
    account_balance: Money | None = None
    auto_recharge: bool | None = None
    requests: int = 1  # HTTP requests this poll cost (pagination adds pages)


class RenewalStatus(StrEnum):
    """The provider's view of one renewal attempt."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"
    PENDING = "pending"


@dataclass(frozen=True, slots=True)
class RenewalRequest:
    """One attempt to pay: the key makes a repeated request a no-op at the carrier."""

    line_id: str
    amount: Money
    method: PaymentMethod
    idempotency_key: str


@dataclass(frozen=True, slots=True)
class RenewalResult:
    """What the carrier says happened to an attempt."""

    idempotency_key: str
    line_id: str
    status: RenewalStatus
    amount: Money
    method: PaymentMethod
    created_at: datetime
    reference: str | None = None
    decline_reason: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


def succeeded(request: RenewalRequest, created_at: datetime, reference: str) -> RenewalResult:
    """The result of a renewal a provider itself accepted (in-process providers)."""
    return RenewalResult(
        idempotency_key=request.idempotency_key,
        line_id=request.line_id,
        status=RenewalStatus.SUCCEEDED,
        amount=request.amount,
        method=request.method,
        created_at=created_at,
        reference=reference,
    )


@runtime_checkable
class Provider(Protocol):
    """One account at one carrier, API or bridge."""

    kind: ProviderKind
    capabilities: Capabilities

    async def async_validate(self) -> AccountInfo:
        """Check the credentials live; raise AuthError / ProviderConnectionError."""

    async def async_fetch(self) -> AccountData:
        """All lines of the account in as few requests as the API allows."""

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        """Pay once. Raises PaymentDeclinedError, UnsupportedError, or a connection error when the
        outcome is unknown (the caller must then look the key up)."""

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        """The attempt made with ``idempotency_key``, or None if the carrier never saw it."""


class LineNotFoundError(ProviderError):
    """The carrier does not know this line (any more)."""

    key = "line_not_found"


def next_monthly_date(anchor: datetime, now: datetime) -> datetime:
    """The first monthly anniversary of ``anchor`` that is after ``now`` (UTC).

    Monthly carrier billing (Twilio numbers) recurs on the purchase day; a purchase on the 31st
    bills on the last day of shorter months. The anchor's time of day is kept.
    """
    start = anchor.astimezone(UTC)
    moment = now.astimezone(UTC)
    months = max(1, (moment.year - start.year) * 12 + moment.month - start.month - 1)
    while True:
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        day = min(start.day, calendar.monthrange(year, month + 1)[1])
        candidate = start.replace(year=year, month=month + 1, day=day)
        if candidate > moment:
            return candidate
        months += 1
