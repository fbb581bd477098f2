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

from collections.abc import Callable, Collection
from dataclasses import replace
from datetime import UTC, datetime, timedelta
import logging
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
    BillsItself,
    Capabilities,
    InvalidResponseError,
    ProviderError,
    ProviderKind,
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
_LOGGER = logging.getLogger(__name__)

# --- activity ---------------------------------------------------------------------------------
# Twilio reclaims inactive numbers (carriers.json: a 30-day activity rule), so each number's last
# call or text is read from Twilio's own logs (twilio-oai, spec/json/twilio_api_v2010.json:
# GET .../Messages.json with DateSent> and GET .../Calls.json with StartTime>, both "YYYY-MM-DD"
# in GMT and meaning "on or after that day"; records carry from, to, status and date_sent /
# start_time in RFC 2822, all nullable).
#
# Cost, for an account of 1,000 numbers: per-number reads (To= and From= on each of the two
# lists, PageSize=1) cost 4,000 requests per read. One account-wide listing of each list since
# the last read instead costs one request per 1,000 records: number-keeping traffic (a few texts
# a month per number, about 100 records a day for 1,000 numbers) is one page of each list, so
# 2 requests per read; at one read every ACTIVITY_INTERVAL that is 8 requests a day, against 96
# balance polls. Both directions are in the same listing (a number that sends or receives).
# The first read looks back ACTIVITY_LOOKBACK; later ones start a day before the last good read
# (the filter is by whole GMT days). A busy account is cut at ACTIVITY_PAGES pages per list: the
# numbers seen keep their newest activity, the others what earlier reads found.
ACTIVITY_INTERVAL = timedelta(hours=6)
ACTIVITY_LOOKBACK = timedelta(days=45)
ACTIVITY_PAGE_SIZE = 1000  # Twilio's maximum PageSize
ACTIVITY_PAGES = 10
# Records that are a transmission: a message that went out or came in, a call that connected.
_MESSAGE_STATUSES = frozenset({"sent", "delivered", "received", "read", "receiving", "sending"})
_CALL_STATUSES = frozenset({"completed", "in-progress"})

RENEW_UNSUPPORTED = (
    "Twilio has no API to add credit: enable auto-recharge in the Twilio console "
    "(Billing > Payment methods > Auto-recharge) so numbers keep renewing from your balance."
)


class TwilioProvider(BillsItself):
    """One Twilio account. Auth: the Account SID + auth token, or (preferred) an API key."""

    renew_unsupported = RENEW_UNSUPPORTED
    kind = ProviderKind.TWILIO
    capabilities = Capabilities(can_renew=False, reports_activity=True, reports_expiry=True)

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
        """Talk to Twilio with an Account SID and an auth token or API key."""
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
        # Each number's newest call or text seen (E.164 -> when), and the last good read.
        self._activity: dict[str, datetime] = {}
        self._activity_read: datetime | None = None
        self._activity_failing = False

    def _check_sid(self) -> None:
        if not isinstance(self._sid, str) or not ACCOUNT_SID.fullmatch(self._sid):
            raise AuthError("a Twilio Account SID is AC followed by 32 hexadecimal digits")

    def _classify(self, status: int, code: str | None, label: str) -> ProviderError | None:
        """Treat a wrong Account SID as a credentials problem, whatever status carries it."""
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
        """Check the credentials by reading the balance."""
        self._check_sid()
        sid, _ = await self._balance()
        return AccountInfo(account_id=sid, title=f"Twilio {mask_number(sid)}")

    async def async_fetch(self) -> AccountData:
        """Read the balance, every number and (every few hours) their activity."""
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
        lines = await self._with_activity(lines, now)
        return AccountData(
            lines=lines,
            fetched_at=now,
            account_balance=balance,
            requests=self._http.requests - before,
            skipped=self._skipped.finish(),
        )

    async def _with_activity(
        self, lines: dict[str, LineSnapshot], now: datetime
    ) -> dict[str, LineSnapshot]:
        """Return the lines with their last activity.

        A read is due every ACTIVITY_INTERVAL (and on each poll after a failed one); a read that
        fails leaves every number's activity unknown for this poll (one log line), never the balance
        or the numbers.
        """
        due = (
            self._activity_read is None
            or self._activity_failing
            or now - self._activity_read >= ACTIVITY_INTERVAL
        )
        if due:
            try:
                await self._read_activity({line.number for line in lines.values()}, now)
            except ProviderError as err:
                if not self._activity_failing:
                    _LOGGER.warning("twilio: activity cannot be read, shown as unknown: %s", err)
                self._activity_failing = True
                return lines
            if self._activity_failing:
                _LOGGER.info("twilio: activity can be read again")
            self._activity_failing = False
        return {
            key: replace(line, last_activity=self._activity.get(line.number))
            for key, line in lines.items()
        }

    async def _read_activity(self, numbers: Collection[str], now: datetime) -> None:
        """One account-wide read of messages and calls since the last good read."""
        since = (
            now - ACTIVITY_LOOKBACK
            if self._activity_read is None
            else self._activity_read - timedelta(days=1)
        )
        day = since.astimezone(UTC).date().isoformat()
        found: dict[str, datetime] = {}
        await self._scan("Messages", "messages", ("DateSent>", day), "date_sent",
                         _MESSAGE_STATUSES, numbers, now, found)  # fmt: skip
        await self._scan("Calls", "calls", ("StartTime>", day), "start_time",
                         _CALL_STATUSES, numbers, now, found)  # fmt: skip
        for number, when in found.items():
            if number not in self._activity or when > self._activity[number]:
                self._activity[number] = when
        self._activity_read = now

    async def _scan(
        self,
        resource: str,
        key: str,
        since: tuple[str, str],
        field_name: str,
        statuses: frozenset[str],
        numbers: Collection[str],
        now: datetime,
        found: dict[str, datetime],
    ) -> None:
        """Page through one list (at most ACTIVITY_PAGES pages).

        Keeping each of ``numbers``'s newest transmission, as sender or receiver. An odd record is
        passed over; an odd page is an InvalidResponseError.
        """
        list_path = f"{self._prefix}/{resource}.json"
        path: str | None = list_path
        params: dict[str, str] | None = {since[0]: since[1], "PageSize": str(ACTIVITY_PAGE_SIZE)}
        pages: set[str] = set()
        for _ in range(ACTIVITY_PAGES):
            if path is None:
                return
            resp = await self._http.request("GET", path, what=key, params=params)
            page = as_object(resp.data, f"{key} page")
            for record in as_list(page.get(key), key):
                if not isinstance(record, dict) or record.get("status") not in statuses:
                    continue
                try:
                    when = min(parse_rfc2822(record.get(field_name), field_name), now)
                except InvalidResponseError:
                    continue
                for party in (record.get("from"), record.get("to")):
                    known = found.get(party) if isinstance(party, str) else None
                    if (
                        isinstance(party, str)
                        and party in numbers
                        and (known is None or when > known)
                    ):
                        found[party] = when
            following = get_text(page, "next_page_uri", f"{key} page", max_len=2048, optional=True)
            if following is not None and (
                not following.startswith(list_path + "?") or following in pages
            ):
                raise InvalidResponseError(f"Twilio's next {key} page is not a new page")
            if following is not None:
                pages.add(following)
            path, params = following, None
        if path is not None:
            _LOGGER.info("twilio: %s read up to %s pages; older ones skipped", key, ACTIVITY_PAGES)

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


def _error_code(body: object) -> str | None:
    """Twilio's error body: ``{"code": 20404, "message": ..., "more_info": ..., "status": 404}``."""
    if isinstance(body, dict):
        code = body.get("code")
        if isinstance(code, int) and not isinstance(code, bool) and 0 < code < 10**7:
            return str(code)
    return None
