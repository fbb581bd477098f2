"""Telnyx provider: monitor-only (balance, phone numbers, auto-recharge preferences).

Telnyx's API can read and change auto-recharge preferences but has no endpoint that takes a
payment, so a renewal is not something this provider can do: it raises UnsupportedError and tells
the user to enable auto-recharge. Numbers bill monthly; the plan expiry reported here is the next
monthly anniversary of ``purchased_at`` (an inference, see docs/domain-facts: UNCERTAIN).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import hashlib

import aiohttp

from ..model import CarrierStatus, LineSnapshot
from ..money import Money
from ._http import (
    MAX_PAGES,
    HttpClient,
    as_list,
    as_object,
    check_e164,
    get_bool,
    get_int,
    get_str,
    get_text,
    parse_instant,
    parse_money,
)
from .base import (
    REQUEST_TIMEOUT,
    AccountData,
    AccountInfo,
    Capabilities,
    InvalidResponseError,
    ProviderKind,
    RenewalRequest,
    RenewalResult,
    UnsupportedError,
    next_monthly_date,
)

DEFAULT_BASE_URL = "https://api.telnyx.com"
DEFAULT_PAGE_SIZE = 250
MAX_PAGE_SIZE = 250
RENEW_UNSUPPORTED = (
    "Telnyx has no API to take a payment: enable auto-recharge in the Telnyx portal "
    "(Billing > Auto-recharge) so the balance never runs out."
)
_STATUSES = {"active": CarrierStatus.ACTIVE, "deleted": CarrierStatus.DELETED}


class TelnyxProvider:
    """One Telnyx account, authenticated with an API key (bearer)."""

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
        )
        # Telnyx's API has no "who am I": the account is identified by a digest of its key.
        self._account_id = "telnyx-" + hashlib.sha256(api_key.encode()).hexdigest()[:16]
        self._page_size = page_size

    async def _balance(self) -> Money:
        resp = await self._http.request("GET", "/v2/balance", what="balance")
        data = as_object(as_object(resp.data, "balance").get("data"), "balance.data")
        return parse_money(
            data.get("balance"), data.get("currency"), "balance", allow_negative=True
        )

    async def async_validate(self) -> AccountInfo:
        await self._balance()
        return AccountInfo(account_id=self._account_id, title="Telnyx")

    async def _auto_recharge(self) -> bool | None:
        resp = await self._http.request(
            "GET", "/v2/payments/auto_recharge_prefs", what="auto-recharge"
        )
        data = as_object(as_object(resp.data, "auto-recharge").get("data"), "auto-recharge.data")
        return get_bool(data, "enabled", "auto-recharge")

    async def async_fetch(self) -> AccountData:
        before = self._http.requests
        now = self._clock()
        balance = await self._balance()
        auto_recharge = await self._auto_recharge()
        lines: dict[str, LineSnapshot] = {}
        page_number = 1
        while True:  # bounded: total_pages is checked to be at most MAX_PAGES
            resp = await self._http.request(
                "GET",
                "/v2/phone_numbers",
                what="numbers",
                params={"page[number]": str(page_number), "page[size]": str(self._page_size)},
            )
            page = as_object(resp.data, "numbers page")
            items = as_list(page.get("data"), "numbers page.data")
            for item in items:
                line = self._line(item, balance, auto_recharge, now)
                if line.line_id in lines:
                    raise InvalidResponseError("Telnyx listed a number twice")
                lines[line.line_id] = line
            meta = as_object(page.get("meta"), "numbers page.meta")
            total = get_int(meta, "total_pages", "meta", maximum=MAX_PAGES)
            if page_number >= total or not items:
                break
            page_number += 1
        return AccountData(
            lines=lines,
            fetched_at=now,
            account_balance=balance,
            auto_recharge=auto_recharge,
            requests=self._http.requests - before,
        )

    @staticmethod
    def _line(
        item: object, balance: Money, auto_recharge: bool | None, now: datetime
    ) -> LineSnapshot:
        obj = as_object(item, "number")
        purchased = obj.get("purchased_at")
        expiry = None
        if purchased is not None:
            try:
                expiry = next_monthly_date(parse_instant(purchased, "number.purchased_at"), now)
            except (ValueError, OverflowError) as err:
                raise InvalidResponseError("number.purchased_at is out of range") from err
        status = get_str(obj, "status", "number", max_len=64)
        return LineSnapshot(
            line_id=get_str(obj, "id", "number", max_len=64),
            number=check_e164(obj.get("phone_number"), "number.phone_number"),
            name=get_text(obj, "connection_name", "number", optional=True),
            balance=balance,
            plan_expiry=expiry,
            carrier_status=_STATUSES.get(status, CarrierStatus.UNKNOWN),
            auto_renew=auto_recharge,
            shared_balance=True,
        )

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        raise UnsupportedError(RENEW_UNSUPPORTED, "renew")

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        raise UnsupportedError(RENEW_UNSUPPORTED, "renew")
