"""HTTP bridge provider: our documented protocol (docs/bridge-protocol.yaml, version 1).

Anyone can put a small service in front of a carrier we do not support and speak this protocol:
bearer auth, paginated lines, renewals created with an ``Idempotency-Key`` header and looked up by
that key, and one error body shape ``{"error": {"code", "message", "reason"?}}``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
import re
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp

from ..dates import zone
from ..errors import KeeperError
from ..model import CarrierStatus, LineSnapshot, PaymentMethod
from ._http import (
    MAX_PAGES,
    HttpClient,
    JsonObject,
    JsonResponse,
    SkippedLines,
    as_list,
    as_object,
    check_e164,
    clean_name,
    get_bool,
    get_str,
    get_text,
    line_key,
    parse_instant,
    parse_money,
)
from ._memo import ParseMemo
from .base import (
    REQUEST_TIMEOUT,
    AccountData,
    AccountInfo,
    Capabilities,
    InvalidResponseError,
    LineNotFoundError,
    PaymentDeclinedError,
    ProviderConnectionError,
    ProviderKind,
    RenewalRequest,
    RenewalResult,
    RenewalStatus,
)

API_VERSION = "v1"
IDEMPOTENCY_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500
# Limits a bridge must stay within (docs/bridge-protocol.yaml, README "Data updates"): at most
# MAX_PAGES pages (_http), never more lines on a page than the ``limit`` asked for, at most
# MAX_LINES lines in all, and one poll (all its pages) done within POLL_TIMEOUT seconds.
MAX_LINES = 10_000
POLL_TIMEOUT = 120.0
_STATUSES = {
    s.value: s for s in (CarrierStatus.ACTIVE, CarrierStatus.SUSPENDED, CarrierStatus.DELETED)
}
_RENEWAL_STATUSES = {s.value: s for s in RenewalStatus}
_METHODS = {m.value: m for m in PaymentMethod}
DEFAULT_CAPABILITIES = Capabilities(
    can_renew=True, payment_methods=(PaymentMethod.CARRIER_BALANCE,), reports_activity=True
)


def _check_key(key: str) -> None:
    """Idempotency keys follow the protocol's pattern; anything else is a programming error."""
    if not isinstance(key, str) or not IDEMPOTENCY_KEY.fullmatch(key):
        raise ValueError("an idempotency key is 1-128 characters of A-Z a-z 0-9 . _ : -")


def _segment(value: str) -> str:
    """One path segment, percent-encoded."""
    return quote(value, safe="")


class HttpBridgeProvider:
    """A carrier behind an HTTP bridge. ``capabilities`` comes from GET /v1/account (validate)."""

    kind = ProviderKind.HTTP_BRIDGE

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: str,
        *,
        timeout: float = REQUEST_TIMEOUT,
        page_size: int = DEFAULT_PAGE_SIZE,
        timezone: str = "UTC",
        clock: Callable[[], datetime] | None = None,
        poll_timeout: float = POLL_TIMEOUT,
        allow_http: bool = False,
    ) -> None:
        """Talk to a bridge at ``url`` with a bearer token; refuses insecure addresses."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be 1..{MAX_PAGE_SIZE}")
        self._clock = clock or (lambda: datetime.now(UTC))
        # The bearer token never travels in clear text across networks: http:// only to
        # loopback, private addresses and .local names (_http.check_bridge_url), unless the
        # user explicitly allowed plain http:// (allow_http; a repair issue then says the risk).
        self._http = HttpClient(
            session,
            base_url.rstrip("/") + f"/{API_VERSION}",
            name="bridge",
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}"},
            now=self._clock,
            require_secure=not allow_http,
        )
        self._page_size = page_size
        self._poll_timeout = poll_timeout
        self._skipped = SkippedLines("bridge")
        self._memo: ParseMemo[LineSnapshot] = ParseMemo()
        self._tz: ZoneInfo = zone(timezone)
        self.capabilities = DEFAULT_CAPABILITIES

    async def async_validate(self) -> AccountInfo:
        """Read the bridge's account: its id, title and what it can do."""
        resp = await self._http.request("GET", "/account", what="account")
        account = as_object(resp.data, "account")
        account_id = get_str(account, "id", "account", max_len=128)
        title = get_str(account, "name", "account")
        tz_name = get_text(account, "timezone", "account", max_len=64, optional=True)
        if tz_name is not None:
            try:
                self._tz = zone(tz_name)
            except KeeperError as err:
                raise InvalidResponseError(f"account.timezone: {err}") from err
        caps = account.get("capabilities")
        if caps is not None:
            self.capabilities = self._capabilities(as_object(caps, "account.capabilities"))
        return AccountInfo(account_id=account_id, title=title)

    @staticmethod
    def _capabilities(caps: JsonObject) -> Capabilities:
        methods: list[PaymentMethod] = []
        for raw in as_list(caps.get("payment_methods", []), "capabilities.payment_methods"):
            if isinstance(raw, str) and raw in _METHODS:  # unknown methods: newer bridge
                methods.append(_METHODS[raw])
        return Capabilities(
            can_renew=get_bool(caps, "can_renew", "capabilities") is True,
            payment_methods=tuple(dict.fromkeys(methods)),
            reports_activity=get_bool(caps, "reports_activity", "capabilities") is True,
        )

    async def async_fetch(self) -> AccountData:
        """Every line, page by page, within the bridge limits above."""
        try:
            async with asyncio.timeout(self._poll_timeout):
                return await self._fetch()
        except TimeoutError as err:
            raise ProviderConnectionError(
                f"bridge lines: the poll took longer than {self._poll_timeout:g} s"
            ) from err

    async def _fetch(self) -> AccountData:
        before = self._http.requests
        lines: dict[str, LineSnapshot] = {}
        seen: set[str] = set()
        cursors: set[str] = set()
        self._skipped.start()
        self._memo.start()
        cursor: str | None = None
        position = 0
        for _ in range(MAX_PAGES):
            params = {"limit": str(self._page_size)}
            if cursor is not None:
                params["cursor"] = cursor
            resp = await self._http.request("GET", "/lines", what="lines", params=params)
            page = as_object(resp.data, "lines page")
            items = as_list(page.get("data"), "lines page.data")
            if len(items) > self._page_size:
                raise InvalidResponseError(
                    f"the bridge sent {len(items)} lines on a page of {self._page_size}"
                )
            if position + len(items) > MAX_LINES:
                raise InvalidResponseError(f"the bridge listed more than {MAX_LINES} lines")
            for item in items:
                position += 1
                key, shown = line_key(item, "id", position)
                if key in seen:
                    raise InvalidResponseError(f"line {shown!r} listed twice")
                seen.add(key)
                try:
                    line = self._memo.parse(item, self._line)
                except InvalidResponseError as err:
                    self._skipped.add(shown, err)
                    continue
                lines[line.line_id] = line
            following = get_text(page, "next_cursor", "lines page", max_len=512, optional=True)
            if following is None:
                break
            if following in cursors or following == cursor:
                raise InvalidResponseError("the bridge returned the same cursor again")
            cursors.add(following)
            cursor = following
        else:
            raise InvalidResponseError(f"the bridge listed more than {MAX_PAGES} pages")
        return AccountData(
            lines=lines,
            fetched_at=self._clock(),
            requests=self._http.requests - before,
            skipped=self._skipped.finish(),
        )

    async def async_fetch_line(self, line_id: str) -> LineSnapshot:
        """One line, fresh (after a renewal, to verify it). LineNotFoundError if unknown."""
        resp = await self._http.request(
            "GET", f"/lines/{_segment(line_id)}", what="line", accept=(404,)
        )
        if resp.status == 404:
            raise LineNotFoundError("the bridge does not know this line")
        line = self._line(resp.data)
        if line.line_id != line_id:
            raise InvalidResponseError("the bridge answered with a different line")
        return line

    def _line(self, item: object) -> LineSnapshot:
        obj = as_object(item, "line")
        line_id = get_str(obj, "id", "line", max_len=128)
        balance_obj = obj.get("balance")
        balance = None
        if balance_obj is not None:
            money = as_object(balance_obj, "line.balance")
            balance = parse_money(
                money.get("amount"), money.get("currency"), "line.balance", allow_negative=True
            )
        expiry = obj.get("plan_expiry")
        activity = obj.get("last_activity")
        status = get_str(obj, "status", "line", max_len=32)
        if status not in _STATUSES:
            raise InvalidResponseError("line.status must be active, suspended or deleted")
        return LineSnapshot(
            line_id=line_id,
            number=check_e164(obj.get("number"), "line.number"),
            name=clean_name(obj.get("name"), "line.name"),
            balance=balance,
            plan_expiry=None
            if expiry is None
            else parse_instant(expiry, "line.plan_expiry", self._tz),
            last_activity=(
                None if activity is None else parse_instant(activity, "line.last_activity")
            ),
            carrier_status=_STATUSES[status],
            auto_renew=get_bool(obj, "auto_renew", "line"),
        )

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        """POST one renewal.

        Never retried here: on a connection error the outcome is unknown and the caller settles the
        key with async_lookup_renewal or by sending the same request (same key) again.

        201/200: the renewal as the bridge reports it (200 is a finished key's first result).
        202: the key is in flight at the bridge: a PENDING result, whatever its body's status
        says (never read as "not charged"). 402: PaymentDeclinedError (also for a repeat of a
        declined key). 404: LineNotFoundError. 409/422: InvalidResponseError (refused, nothing
        charged for this request).
        """
        _check_key(request.idempotency_key)
        resp = await self._http.request(
            "POST",
            f"/lines/{_segment(request.line_id)}/renewals",
            what="renewal",
            headers={"Idempotency-Key": request.idempotency_key},
            json_body={
                "amount": {
                    "amount": str(request.amount.amount),
                    "currency": request.amount.currency,
                },
                "method": request.method.value,
            },
            accept=(402, 404, 409, 422),
        )
        if resp.status == 402:
            code, message, reason = self._error(resp)
            raise PaymentDeclinedError(
                f"the bridge declined the payment: {message}", reason or code
            )
        if resp.status == 404:
            raise LineNotFoundError("the bridge does not know this line")
        if resp.status in (409, 422):
            code, message, _ = self._error(resp)
            raise InvalidResponseError(f"the bridge refused the renewal ({code}): {message}")
        result = self._renewal(resp.data, pending=resp.status == 202)
        if result.idempotency_key != request.idempotency_key or result.line_id != request.line_id:
            raise InvalidResponseError("the bridge answered for a different renewal")
        return result

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        """Return the renewal recorded under this key.

        SUCCEEDED, DECLINED or PENDING (in flight at the bridge). None on 404: the bridge has not
        received the key (yet); a request still travelling may arrive later, so None alone does not
        mean "not charged".
        """
        _check_key(idempotency_key)
        resp = await self._http.request(
            "GET",
            f"/lines/{_segment(line_id)}/renewals/{_segment(idempotency_key)}",
            what="renewal lookup",
            accept=(404,),
        )
        if resp.status == 404:
            return None
        result = self._renewal(resp.data, pending=resp.status == 202)
        if result.idempotency_key != idempotency_key:
            raise InvalidResponseError("the bridge answered for a different renewal")
        return result

    @staticmethod
    def _error(resp: JsonResponse) -> tuple[str, str, str | None]:
        """(code, message, reason) of the protocol's error body; tolerant of a missing body."""
        try:
            error = as_object(as_object(resp.data, "error body").get("error"), "error")
            code = get_str(error, "code", "error", max_len=64)
            message = get_text(error, "message", "error", optional=True) or code
            reason = get_text(error, "reason", "error", max_len=64, optional=True)
        except InvalidResponseError:
            return f"http_{resp.status}", f"HTTP {resp.status}", None
        return code, message, reason

    def _renewal(self, data: object, *, pending: bool = False) -> RenewalResult:
        """Return a Renewal body.

        ``pending``: the answer was 202 (the key is in flight), so the result is PENDING even if the
        body claims an outcome: an in-flight key is never settled by it.
        """
        obj = as_object(data, "renewal")
        status = get_str(obj, "status", "renewal", max_len=32)
        method = get_str(obj, "method", "renewal", max_len=32)
        if status not in _RENEWAL_STATUSES or method not in _METHODS:
            raise InvalidResponseError("renewal.status or renewal.method is not one we know")
        if pending:
            status = RenewalStatus.PENDING.value
        money = as_object(obj.get("amount"), "renewal.amount")
        return RenewalResult(
            idempotency_key=get_str(obj, "idempotency_key", "renewal", max_len=128),
            line_id=get_str(obj, "line_id", "renewal", max_len=128),
            status=_RENEWAL_STATUSES[status],
            amount=parse_money(
                money.get("amount"), money.get("currency"), "renewal.amount", allow_negative=False
            ),
            method=_METHODS[method],
            created_at=parse_instant(obj.get("created_at"), "renewal.created_at"),
            reference=get_text(obj, "id", "renewal", max_len=128, optional=True),
            decline_reason=get_text(obj, "decline_reason", "renewal", max_len=64, optional=True),
        )
