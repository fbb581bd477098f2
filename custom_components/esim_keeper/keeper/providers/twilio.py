"""Twilio provider: monitor-only (account balance + incoming numbers).

Twilio bills each number monthly on its purchase day from the account balance and offers no top-up
API, so this provider cannot renew: users enable auto-recharge in the Twilio console instead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import re
from urllib.parse import quote

import aiohttp

from ..model import CarrierStatus, LineSnapshot
from ._http import (
    MAX_PAGES,
    HttpClient,
    as_list,
    as_object,
    basic_auth,
    check_e164,
    get_str,
    get_text,
    mask_number,
    parse_money,
    parse_rfc2822,
)
from .base import (
    REQUEST_TIMEOUT,
    AccountData,
    AccountInfo,
    AuthError,
    Capabilities,
    InvalidResponseError,
    ProviderKind,
    RenewalRequest,
    RenewalResult,
    UnsupportedError,
    next_monthly_date,
)

DEFAULT_BASE_URL = "https://api.twilio.com"
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
ACCOUNT_SID = re.compile(r"AC[0-9a-fA-F]{32}")
RENEW_UNSUPPORTED = (
    "Twilio has no API to add credit: enable auto-recharge in the Twilio console "
    "(Billing > Payment methods > Auto-recharge) so numbers keep renewing from your balance."
)


class TwilioProvider:
    """One Twilio account. Auth: the Account SID + auth token, or (preferred) an API key."""

    kind = ProviderKind.TWILIO
    capabilities = Capabilities(can_renew=False, reports_activity=False, reports_expiry=True)

    def __init__(
        self,
        session: aiohttp.ClientSession,
        account_sid: str,
        secret: str,
        *,
        api_key_sid: str | None = None,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = REQUEST_TIMEOUT,
        page_size: int = DEFAULT_PAGE_SIZE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self._sid = account_sid
        self._clock = clock or (lambda: datetime.now(UTC))
        self._http = HttpClient(
            session,
            base_url,
            name="twilio",
            timeout=timeout,
            headers={"Authorization": basic_auth(api_key_sid or account_sid, secret)},
            now=self._clock,
        )
        self._prefix = f"/2010-04-01/Accounts/{quote(account_sid, safe='')}"
        self._page_size = page_size

    def _check_sid(self) -> None:
        if not isinstance(self._sid, str) or not ACCOUNT_SID.fullmatch(self._sid):
            raise AuthError("a Twilio Account SID is AC followed by 32 hexadecimal digits")

    async def _balance(self) -> tuple[str, object]:
        resp = await self._http.request("GET", f"{self._prefix}/Balance.json", what="balance")
        data = as_object(resp.data, "balance")
        sid = get_str(data, "account_sid", "balance", max_len=64)
        if sid != self._sid:
            raise InvalidResponseError("Twilio answered for a different account")
        return sid, data

    async def async_validate(self) -> AccountInfo:
        self._check_sid()
        sid, _ = await self._balance()
        return AccountInfo(account_id=sid, title=f"Twilio {mask_number(sid)}")

    async def async_fetch(self) -> AccountData:
        self._check_sid()
        before = self._http.requests
        now = self._clock()
        _, raw = await self._balance()
        data = as_object(raw, "balance")
        balance = parse_money(
            data.get("balance"), data.get("currency"), "balance", allow_negative=True
        )
        lines: dict[str, LineSnapshot] = {}
        numbers_path = f"{self._prefix}/IncomingPhoneNumbers.json"
        path: str | None = f"{numbers_path}?PageSize={self._page_size}"
        for _ in range(MAX_PAGES):
            if path is None:
                break
            resp = await self._http.request("GET", path, what="numbers")
            page = as_object(resp.data, "numbers page")
            for item in as_list(page.get("incoming_phone_numbers"), "incoming_phone_numbers"):
                obj = as_object(item, "number")
                sid = get_str(obj, "sid", "number", max_len=64)
                if sid in lines:
                    raise InvalidResponseError("Twilio listed a number twice")
                created = parse_rfc2822(obj.get("date_created"), "number.date_created")
                try:
                    expiry = next_monthly_date(created, now)
                except (ValueError, OverflowError) as err:
                    raise InvalidResponseError("number.date_created is out of range") from err
                lines[sid] = LineSnapshot(
                    line_id=sid,
                    number=check_e164(obj.get("phone_number"), "number.phone_number"),
                    name=get_text(obj, "friendly_name", "number", optional=True),
                    balance=balance,
                    plan_expiry=expiry,
                    carrier_status=(
                        CarrierStatus.ACTIVE
                        if obj.get("status", "in-use") == "in-use"
                        else CarrierStatus.UNKNOWN
                    ),
                    auto_renew=True,  # numbers renew from the balance by themselves
                    shared_balance=True,
                )
            following = get_text(page, "next_page_uri", "numbers page", max_len=1024, optional=True)
            if following is not None and not following.startswith(numbers_path + "?"):
                raise InvalidResponseError("Twilio's next page points somewhere unexpected")
            path = following
        else:
            raise InvalidResponseError(f"Twilio listed more than {MAX_PAGES} pages")
        return AccountData(
            lines=lines,
            fetched_at=now,
            account_balance=balance,
            requests=self._http.requests - before,
        )

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        raise UnsupportedError(RENEW_UNSUPPORTED, "renew")

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        raise UnsupportedError(RENEW_UNSUPPORTED, "renew")
