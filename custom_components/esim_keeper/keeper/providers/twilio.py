"""Twilio provider: monitor-only (account balance + incoming numbers).

Twilio bills each number monthly from the account balance (on its purchase day; a short month
moves the bill day for good, see ``base.next_monthly_date``) and offers no top-up API, so this
provider cannot renew: users enable auto-recharge in the Twilio console instead.

Shapes follow Twilio's OpenAPI description (twilio/twilio-oai, spec/json/twilio_api_v2010.json):
every field of ``api.v2010.account.balance`` and ``api.v2010.account.incoming_phone_number`` is
nullable. A subaccount's Balance has null ``balance`` and ``currency`` ("child accounts do not
contain balance information"): its numbers are listed with an unknown balance.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
import re
from urllib.parse import quote

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
    basic_auth,
    check_e164,
    clean_name,
    get_str,
    get_text,
    line_key,
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
    ProviderError,
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
# Twilio error codes (its error dictionary) that mean "these credentials cannot read this account":
# 20003 authentication failed, 20005 the account is not active, 20404 the resource (here: the
# Account SID in the path) is not found for these credentials.
AUTH_CODES = frozenset({"20003", "20005", "20404"})
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
            error_code=_error_code,
            classify=self._classify,
        )
        self._skipped = SkippedLines("twilio")
        self._prefix = f"/2010-04-01/Accounts/{quote(account_sid, safe='')}"
        self._page_size = page_size

    def _check_sid(self) -> None:
        if not isinstance(self._sid, str) or not ACCOUNT_SID.fullmatch(self._sid):
            raise AuthError("a Twilio Account SID is AC followed by 32 hexadecimal digits")

    def _classify(self, status: int, code: str | None, label: str) -> ProviderError | None:
        """A wrong Account SID is a credentials problem, whatever status carries it."""
        if code in AUTH_CODES or (status == 404 and label.startswith("twilio balance")):
            return AuthError(f"{label}: Twilio does not accept these credentials for this account")
        return None

    async def _balance(self) -> tuple[str, JsonObject]:
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
        _, data = await self._balance()
        balance = None
        if data.get("balance") is not None or data.get("currency") is not None:
            balance = parse_money(
                data.get("balance"), data.get("currency"), "balance", allow_negative=True
            )
        lines: dict[str, LineSnapshot] = {}
        self._skipped.start()
        numbers_path = f"{self._prefix}/IncomingPhoneNumbers.json"
        path: str | None = f"{numbers_path}?PageSize={self._page_size}"
        seen: set[str] = set()
        pages: set[str] = set()
        position = 0
        for _ in range(MAX_PAGES):
            if path is None:
                break
            resp = await self._http.request("GET", path, what="numbers")
            page = as_object(resp.data, "numbers page")
            for item in as_list(page.get("incoming_phone_numbers"), "incoming_phone_numbers"):
                position += 1
                key, shown = line_key(item, "sid", position)
                if key in seen:
                    raise InvalidResponseError("Twilio listed a number twice")
                seen.add(key)
                try:
                    line = self._line(item, balance, now)
                except InvalidResponseError as err:
                    self._skipped.add(shown, err)
                    continue
                lines[line.line_id] = line
            following = get_text(page, "next_page_uri", "numbers page", max_len=1024, optional=True)
            if following is not None and not following.startswith(numbers_path + "?"):
                raise InvalidResponseError("Twilio's next page points somewhere unexpected")
            if following is not None and following in pages:
                raise InvalidResponseError("Twilio sent the same page link twice")
            if following is not None:
                pages.add(following)
            path = following
        else:
            raise InvalidResponseError(f"Twilio listed more than {MAX_PAGES} pages")
        return AccountData(
            lines=lines,
            fetched_at=now,
            account_balance=balance,
            requests=self._http.requests - before,
            skipped=self._skipped.finish(),
        )

    @staticmethod
    def _line(item: object, balance: Money | None, now: datetime) -> LineSnapshot:
        """One incoming number; InvalidResponseError makes only this number unavailable."""
        obj = as_object(item, "number")
        sid = get_str(obj, "sid", "number", max_len=64)
        created = parse_rfc2822(obj.get("date_created"), "number.date_created")
        try:
            expiry = next_monthly_date(created, now)
        except (ValueError, OverflowError) as err:
            raise InvalidResponseError("number.date_created is out of range") from err
        status = obj.get("status")
        return LineSnapshot(
            line_id=sid,
            number=check_e164(obj.get("phone_number"), "number.phone_number"),
            # Twilio's default friendly_name is the formatted number: clean_name drops it.
            name=clean_name(obj.get("friendly_name"), "number.friendly_name"),
            balance=balance,
            plan_expiry=expiry,
            # The spec types status as a free, nullable string; "in-use" is the one we know.
            carrier_status=(
                CarrierStatus.ACTIVE if status in (None, "in-use") else CarrierStatus.UNKNOWN
            ),
            auto_renew=True,  # numbers renew from the balance by themselves
            shared_balance=True,
        )

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        raise UnsupportedError(RENEW_UNSUPPORTED, "renew")

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        raise UnsupportedError(RENEW_UNSUPPORTED, "renew")


def _error_code(body: object) -> str | None:
    """Twilio's error body: ``{"code": 20404, "message": ..., "more_info": ..., "status": 404}``."""
    if isinstance(body, dict):
        code = body.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and 0 < code < 10**7:
            return str(code)
    return None
