"""Telnyx provider: monitor-only (balance, phone numbers, auto-recharge preferences).

Telnyx's API can read and change auto-recharge preferences but has no endpoint that takes a
payment, so a renewal is not something this provider can do: it raises UnsupportedError and tells
the user to enable auto-recharge. Telnyx bills every number's monthly charge at the start of each
calendar month (support.telnyx.com article 4425088): that is the plan expiry reported here.

Paths and shapes follow Telnyx's official SDKs (team-telnyx/telnyx-python, -go, -node):
``GET /v2/balance``, ``GET /v2/phone_numbers`` (``page[number]``/``page[size]``, ``meta`` optional)
and ``GET /v2/payment/auto_recharge_prefs`` -- singular ``payment``, as every SDK calls it, while
one page of Telnyx's API reference writes ``payments``. That read is optional: whatever goes wrong
with it leaves auto-recharge unknown and the account up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import hashlib
import logging

import aiohttp

from ..model import CarrierStatus, LineSnapshot
from ..money import Money
from ._http import (
    MAX_PAGES,
    HttpClient,
    JsonObject,
    SkippedLines,
    as_list,
    as_object,
    check_e164,
    clean_name,
    get_bool,
    get_int,
    get_str,
    line_key,
    parse_money,
)
from .base import (
    REQUEST_TIMEOUT,
    AccountData,
    AccountInfo,
    BillsItself,
    Capabilities,
    InvalidResponseError,
    ProviderError,
    ProviderKind,
    next_month_start,
)

_LOGGER = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.telnyx.com"
DEFAULT_PAGE_SIZE = 250
MAX_PAGE_SIZE = 250
RENEW_UNSUPPORTED = (
    "Telnyx has no API to take a payment: enable auto-recharge in the Telnyx portal "
    "(Billing > Auto-recharge) so the balance never runs out."
)
AUTO_RECHARGE_PATH = "/v2/payment/auto_recharge_prefs"
# The phone number status enum of the SDKs (PhoneNumberDetailed.status). Statuses not listed here
# (purchase-pending, port-pending, provision-pending, requirement-info-*, port-out-pending) are
# transitions whose outcome is not known yet: the line's status is unknown.
_STATUSES = {
    "active": CarrierStatus.ACTIVE,
    "deleted": CarrierStatus.DELETED,
    "ported-out": CarrierStatus.DELETED,  # the number left Telnyx
    "purchase-failed": CarrierStatus.DELETED,  # never became ours
    "port-failed": CarrierStatus.DELETED,
    "emergency-only": CarrierStatus.SUSPENDED,  # only emergency calls work
}


class TelnyxProvider(BillsItself):
    """One Telnyx account, authenticated with an API key (bearer)."""

    renew_unsupported = RENEW_UNSUPPORTED
    kind = ProviderKind.TELNYX
    capabilities = Capabilities(can_renew=False, reports_activity=False, reports_expiry=True)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = REQUEST_TIMEOUT,
        page_size: int = DEFAULT_PAGE_SIZE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Talk to Telnyx with an API key."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self._clock = clock or (lambda: datetime.now(UTC))
        self._http = HttpClient(
            session,
            base_url,
            name="telnyx",
            timeout=timeout,
            headers={"Authorization": f"Bearer {api_key}"},
            now=self._clock,
            error_code=_error_code,
        )
        self._skipped = SkippedLines("telnyx")
        # Telnyx's API has no "who am I": the account is identified by a digest of its key.
        self._account_id = "telnyx-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self._page_size = page_size

    async def _balance(self) -> tuple[Money, Money | None]:
        """Return the balance, and what the account may spend (balance + credit limit) when told."""
        resp = await self._http.request("GET", "/v2/balance", what="balance")
        data = as_object(as_object(resp.data, "balance").get("data"), "balance.data")
        balance = parse_money(
            data.get("balance"), data.get("currency"), "balance", allow_negative=True
        )
        credit = None
        if data.get("available_credit") is not None:
            try:
                credit = parse_money(
                    data.get("available_credit"),
                    data.get("currency"),
                    "available_credit",
                    allow_negative=True,
                )
            except InvalidResponseError:
                credit = None  # informative only: a bad value does not spoil the balance
        return balance, credit

    async def async_validate(self) -> AccountInfo:
        """Check the API key by reading the balance."""
        await self._balance()
        return AccountInfo(account_id=self._account_id, title="Telnyx")

    async def _auto_recharge(self) -> bool | None:
        """Auto-recharge on or off.

        None when unknown. Optional: no failure here (403, 404, a timeout, a strange body) fails the
        poll; it is logged at DEBUG only.
        """
        try:
            resp = await self._http.request("GET", AUTO_RECHARGE_PATH, what="auto-recharge")
            body = as_object(resp.data, "auto-recharge")
            data = as_object(body.get("data"), "auto-recharge.data")
            return get_bool(data, "enabled", "auto-recharge")
        except ProviderError as err:
            _LOGGER.debug("telnyx: auto-recharge setting unknown: %s", err)
            return None

    async def async_fetch(self) -> AccountData:
        """Read the balance, the auto-recharge setting and every number."""
        before = self._http.requests
        now = self._clock()
        balance, credit = await self._balance()
        auto_recharge = await self._auto_recharge()
        lines: dict[str, LineSnapshot] = {}
        seen: set[str] = set()
        self._skipped.start()
        page_number = 1
        position = 0
        for _ in range(MAX_PAGES):
            resp = await self._http.request(
                "GET",
                "/v2/phone_numbers",
                what="numbers",
                params={"page[number]": str(page_number), "page[size]": str(self._page_size)},
            )
            page = as_object(resp.data, "numbers page")
            items = as_list(page.get("data"), "numbers page.data")
            if len(items) > self._page_size:
                raise InvalidResponseError("Telnyx sent more numbers than the page size")
            for item in items:
                position += 1
                key, shown = line_key(item, "id", position)
                if key in seen:
                    raise InvalidResponseError("Telnyx listed a number twice")
                seen.add(key)
                try:
                    line = self._line(item, balance, auto_recharge, now)
                except InvalidResponseError as err:
                    self._skipped.add(shown, err)
                    continue
                lines[line.line_id] = line
            # meta (and its total_pages) may be absent: then a short or empty page is the last.
            meta_raw = page.get("meta")
            total = None
            if meta_raw is not None:
                meta = as_object(meta_raw, "numbers page.meta")
                if meta.get("total_pages") is not None:
                    total = get_int(meta, "total_pages", "meta", maximum=MAX_PAGES)
            if not items or (total is not None and page_number >= total):
                break
            if total is None and len(items) < self._page_size:
                break
            page_number += 1
        else:
            raise InvalidResponseError(f"Telnyx listed more than {MAX_PAGES} pages")
        return AccountData(
            lines=lines,
            fetched_at=now,
            account_balance=balance,
            auto_recharge=auto_recharge,
            requests=self._http.requests - before,
            available_credit=credit,
            skipped=self._skipped.finish(),
        )

    @staticmethod
    def _line(
        item: object, balance: Money, auto_recharge: bool | None, now: datetime
    ) -> LineSnapshot:
        """One phone number; InvalidResponseError makes only this number unavailable."""
        obj = as_object(item, "number")
        line_id = get_str(obj, "id", "number", max_len=64)
        number = check_e164(obj.get("phone_number"), "number.phone_number")
        status = get_str(obj, "status", "number", max_len=64)
        carrier_status = _STATUSES.get(status, CarrierStatus.UNKNOWN)
        return LineSnapshot(
            line_id=line_id,
            number=number,
            name=_label(obj),
            balance=balance,
            # Every number is charged at the start of the next calendar month; a number that is
            # gone has no next charge.
            plan_expiry=None if carrier_status is CarrierStatus.DELETED else next_month_start(now),
            carrier_status=carrier_status,
            auto_renew=auto_recharge,
            shared_balance=True,
        )


def _label(obj: JsonObject) -> str | None:
    """Return a number's own label: its customer_reference, else its first tag.

    Not connection_name: that is the SIP connection's name, shared by every number on the
    connection.
    """
    name = clean_name(obj.get("customer_reference"), "number.customer_reference")
    if name is not None:
        return name
    tags = obj.get("tags")
    if isinstance(tags, list):
        for tag in tags:
            if isinstance(tag, str) and (label := clean_name(tag, "number.tags")) is not None:
                return label
    return None


def _error_code(body: object) -> str | None:
    """Telnyx's error body: ``{"errors": [{"code": "10009", "title": ..., "detail": ...}]}``."""
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            code = errors[0].get("code")
            if isinstance(code, str) and code.isascii() and code.isalnum() and len(code) <= 16:
                return code
    return None
