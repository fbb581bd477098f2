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
from typing import ClassVar, Protocol, runtime_checkable

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
        """Keep how long the carrier asked to wait, if it said."""
        super().__init__(message)
        self.retry_after = retry_after


class InvalidResponseError(ProviderError):
    """The carrier answered something we cannot trust: bad JSON, wrong types, too large."""

    key = "invalid_response"


class PaymentDeclinedError(ProviderError):
    """The payment was refused. ``reason`` is the carrier's short reason code or text."""

    key = "payment_declined"

    def __init__(self, message: str, reason: str = "declined") -> None:
        """Keep the carrier's reason for the decline."""
        super().__init__(message)
        self.reason = reason


class InsecureUrlError(ProviderError):
    """A bridge address that would send the token in clear text over a network we do not trust."""

    key = "insecure_url"


class UnsupportedError(ProviderError):
    """The provider cannot do this at all. ``feature`` says what (translated in the UI)."""

    key = "unsupported"

    def __init__(self, message: str, feature: str) -> None:
        """Keep which feature the provider does not support."""
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
    # What the account may spend before it is cut off (Telnyx: balance + credit limit), if told.
    available_credit: Money | None = None
    # Line ids (or list positions) the carrier listed in a shape we could not read: those numbers
    # alone are unavailable this poll.
    skipped: tuple[str, ...] = ()


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
    """Return the result of a renewal a provider itself accepted (in-process providers)."""
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
        """Pay once.

        Raises PaymentDeclinedError, UnsupportedError, or a connection error when the outcome is
        unknown (the caller must then look the key up).
        """

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        """Return the attempt made with ``idempotency_key``, or None if the carrier never saw it."""


class BillsItself:
    """A carrier that bills its numbers by itself (Twilio, Telnyx): nothing is paid through it.

    ``renew_unsupported`` says why, and what the user does instead (auto-recharge).
    """

    renew_unsupported: ClassVar[str]

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        """Refuse: the carrier bills its numbers itself."""
        raise UnsupportedError(self.renew_unsupported, "renew")

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        """Refuse: no renewal is ever made through this carrier, so none can be looked up."""
        raise UnsupportedError(self.renew_unsupported, "renew")


class LineNotFoundError(ProviderError):
    """The carrier does not know this line (any more)."""

    key = "line_not_found"


# Longest history a monthly bill date is walked through (months): 200 years of monthly bills.
_MAX_BILL_MONTHS = 12 * 200


def next_monthly_date(anchor: datetime, now: datetime) -> datetime:
    """Return the first monthly bill date after ``now`` of a number bought at ``anchor`` (Twilio).

    Twilio bills a number monthly on its purchase day, except that in a shorter month the bill
    falls on that month's last day, and that day becomes the new bill day: bought on 31 January,
    a number bills on 28 February, then 28 March, 28 April ... (support.twilio.com articles
    223182908 and 223135227). The anchor's time of day is kept. ValueError for an anchor more
    than 200 years before ``now``.
    """
    start = anchor.astimezone(UTC)
    moment = now.astimezone(UTC)
    if (moment.year - start.year) * 12 > _MAX_BILL_MONTHS:
        raise ValueError("the purchase date is too far in the past")
    year, month, day = start.year, start.month, start.day
    candidate = start
    for _ in range(_MAX_BILL_MONTHS + 24):
        month += 1
        if month > 12:
            year, month = year + 1, 1
        day = min(day, calendar.monthrange(year, month)[1])  # a short month moves the bill day
        candidate = start.replace(year=year, month=month, day=day)
        if candidate > moment:
            return candidate
    raise ValueError("no bill date found")  # pragma: no cover - bounded by the check above


def next_month_start(now: datetime) -> datetime:
    """Return the start (00:00 UTC) of the calendar month after ``now``.

    When Telnyx bills every number's monthly charge (support.telnyx.com article 4425088).
    """
    moment = now.astimezone(UTC)
    year, month = divmod(moment.month, 12)
    return datetime(moment.year + year, month + 1, 1, tzinfo=UTC)
