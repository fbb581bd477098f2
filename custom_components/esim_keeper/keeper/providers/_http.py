"""Shared HTTP plumbing for provider clients: one request helper and defensive field parsers.

Everything a carrier sends back is untrusted. This module turns transport failures and HTTP status
codes into the typed errors of ``base`` and checks every field it hands out, so that a provider
raises a ``ProviderError`` subclass and nothing else. It never logs a token, a query string or a
full phone number.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
import ipaddress
import json
import logging
import re
import unicodedata
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from ..dates import start_of_day
from ..errors import KeeperError
from ..money import Money
from .base import (
    MAX_BODY_BYTES,
    REQUEST_TIMEOUT,
    AuthError,
    InsecureUrlError,
    InvalidResponseError,
    ProviderConnectionError,
    ProviderError,
    RateLimitedError,
)

_LOGGER = logging.getLogger(__name__)

JsonObject = Mapping[str, object]

# Longest Retry-After we honour (seconds): a carrier asking for more is treated as asking for a day.
MAX_RETRY_AFTER = 86400.0
# Longest text field accepted from a carrier.
MAX_TEXT = 256
# Most pages one listing may take; a carrier that never stops paging is answering nonsense.
MAX_PAGES = 1000

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}"
    r"(\.[0-9]{1,6})?([Zz]|[+-][0-9]{2}:[0-9]{2})"
)
# Bidirectional overrides and isolates: legal unicode, but used to disguise text.
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Bodies larger than this are parsed in a worker thread, not on the event loop (bytes). Measured
# (Python 3.14, one core of the development machine): a 4 MiB page of bridge lines takes about
# 37 ms to parse, too long for the loop; 256 KiB about 1.4 ms, cheaper than a thread hop.
PARSE_OFF_LOOP_BYTES = 256 * 1024
# Networks a bridge may be reached on over plain http://: loopback, RFC 1918 / RFC 4193 private
# and link-local. (Not ipaddress's is_private: it also counts documentation ranges.)
# 100.64.0.0/10 (RFC 6598 shared address space) is included: it is never routed on the internet,
# and the one place a Home Assistant user meets it is Tailscale, whose 100.x addresses carry
# traffic inside WireGuard tunnels (encrypted end to end between the two devices). An ISP's
# carrier-grade NAT also uses it, but only between a subscriber and the ISP's own NAT, never to a
# server on the internet. (Tailscale's IPv6 addresses, fd7a:115c:a1e0::/48, are in fc00::/7.)
_LOCAL_NETWORKS = tuple(
    ipaddress.ip_network(net)
    for net in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "::1/128",
        "fc00::/7",
        "fe80::/10",
    )
)
# What a name may consist of and still be only a phone number: "(201) 555-0100", "+1 201.555.0100".
_NUMBER_PUNCTUATION = frozenset("0123456789+-(). \u00a0/")


def mask_number(number: str) -> str:
    """Return a phone number (or any identifier) reduced to its last 4 characters for logs."""
    return f"…{number[-4:]}" if len(number) > 4 else "…"


def is_number_like(text: str) -> bool:
    """Tell whether ``text`` is only a phone number, with the punctuation people write it with.

    Such a carrier "name" would put the number into entity ids, titles and logs.
    """
    digits = sum(char.isdigit() for char in text)
    return digits >= 4 and all(char in _NUMBER_PUNCTUATION for char in text)


def clean_name(value: object, what: str, *, max_len: int = MAX_TEXT) -> str | None:
    """Return a display name from a carrier, made safe.

    Format characters (zero-width spaces, direction marks and overrides, U+061C ...) and control
    characters removed, white space collapsed, cut to ``max_len``. None when nothing is left or when
    the name is just a phone number. A name that is not a string is an InvalidResponseError (of that
    line only, where the caller allows it).
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidResponseError(f"{what} must be a string")
    kept = "".join(
        " " if char.isspace() else char
        for char in value[: max_len * 4]
        if char.isspace() or unicodedata.category(char) not in ("Cf", "Cc", "Cs", "Co", "Cn")
    )
    text = " ".join(kept.split())[:max_len].strip()
    if not text or is_number_like(text):
        return None
    return text


def sends_token_in_clear(url: str) -> bool:
    """Whether a bridge address would carry the bearer token in clear text across networks.

    ``https://`` never does. ``http://`` does, except to loopback (127.0.0.0/8, ::1,
    ``localhost``), private, link-local and shared (Tailscale) addresses (10/8, 172.16/12,
    192.168/16, 100.64/10, fc00::/7, fe80::/10 ...) and ``.local`` (mDNS) names. A host name is
    judged by its name, never resolved. ValueError for a URL that is not http(s) with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("the bridge address must be an http:// or https:// URL with a host")
    if parts.scheme == "https":
        return False
    host = parts.hostname.rstrip(".").lower()
    if host == "localhost" or host.endswith((".localhost", ".local")):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True
    return not any(address in network for network in _LOCAL_NETWORKS)


def check_bridge_url(url: str) -> None:
    """Refuse a bridge address that would carry the bearer token in clear text across networks.

    See sends_token_in_clear. Raises InsecureUrlError, or ValueError for a non-HTTP URL.
    """
    if sends_token_in_clear(url):
        raise InsecureUrlError(
            "the bridge address must use https:// (http:// only on loopback, private or .local "
            "addresses, unless unencrypted http:// is explicitly allowed)"
        )


class SkippedLines:
    """Lines of a listing that could not be read: each makes only its own number unavailable.

    Logs one WARNING when a line first becomes unreadable and one INFO when it is readable again,
    never once per poll. Keys are line ids (or list positions), never phone numbers.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._known: set[str] = set()
        self.current: list[str] = []

    def start(self) -> None:
        self.current = []

    def add(self, key: str, err: ProviderError) -> None:
        self.current.append(key)
        if key not in self._known:
            _LOGGER.warning(
                "%s: line %s skipped, its record cannot be read: %s", self._name, key, err
            )

    def finish(self) -> tuple[str, ...]:
        for key in self._known - set(self.current):
            _LOGGER.info("%s: line %s can be read again", self._name, key)
        self._known = set(self.current)
        return tuple(self.current)


def line_key(obj: object, field_name: str, position: int) -> tuple[str, str]:
    """(identity, log name) of a listed line.

    Its id, or its list position when the id cannot be read. The log name is the id unless the id
    looks like a phone number (then masked).
    """
    if isinstance(obj, dict):
        value = obj.get(field_name)
        if isinstance(value, str) and value.isprintable() and 0 < len(value) <= 128:
            digits = sum(char.isdigit() for char in value)
            shown = mask_number(value) if digits >= 7 and is_number_like(value) else value[:64]
            return value, shown
    return f"#{position}", f"#{position}"


def basic_auth(user: str, password: str) -> str:
    """Return an ``Authorization`` header value for HTTP Basic auth (UTF-8 credentials)."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def clamp_timeout(timeout: float) -> float:
    """Return a per-request timeout in seconds: positive and never above REQUEST_TIMEOUT."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError("the request timeout must be a positive number of seconds")
    return min(float(timeout), REQUEST_TIMEOUT)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if value is None:
        return None
    text = value.strip()
    if not text or len(text) > 64:
        return None
    if text.isascii() and text.isdigit():  # "¹" or "١" are digits to str.isdigit, not to int()
        return min(float(int(text)), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(text)
    except TypeError, ValueError, IndexError, OverflowError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    wait = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(wait, 0.0), MAX_RETRY_AFTER)


def _reject_constant(name: str) -> object:
    raise ValueError(f"JSON constant {name} is not allowed")


def decode_json(body: bytes, what: str) -> object:
    """Parse a JSON body strictly: UTF-8, no NaN/Infinity, floats kept as Decimal."""
    try:
        text = body.decode("utf-8")
        return json.loads(text, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as err:
        raise InvalidResponseError(f"{what}: the answer is not valid JSON") from err


@dataclass(frozen=True, slots=True)
class JsonResponse:
    """A response that passed the status checks: its status, headers and parsed body."""

    status: int
    data: object
    headers: Mapping[str, str]


class HttpClient:
    """Requests against one carrier API with a shared, injected ``aiohttp.ClientSession``.

    Status mapping: 401/403 -> AuthError; 429 -> RateLimitedError(retry_after); 5xx, timeouts,
    dropped connections and truncated bodies -> ProviderConnectionError; a body over the size
    limit, invalid JSON or an unexpected status -> InvalidResponseError. Statuses listed in
    ``accept`` are handed back to the caller with their (leniently parsed) body. Nothing retries.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        *,
        name: str,
        timeout: float = REQUEST_TIMEOUT,
        max_body: int = MAX_BODY_BYTES,
        headers: Mapping[str, str] | None = None,
        now: Callable[[], datetime] | None = None,
        error_code: Callable[[object], str | None] | None = None,
        classify: Callable[[int, str | None, str], ProviderError | None] | None = None,
        require_secure: bool = False,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the base URL must start with http:// or https://")
        # require_secure: every request is refused (InsecureUrlError, nothing sent) when the base
        # URL would carry credentials in clear text across networks (see check_bridge_url).
        self._insecure: InsecureUrlError | None = None
        if require_secure:
            try:
                check_bridge_url(base_url)
            except InsecureUrlError as err:
                self._insecure = err
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._name = name
        self._timeout = aiohttp.ClientTimeout(total=clamp_timeout(timeout))
        self._max_body = max_body
        self._headers = dict(headers or {})
        self._now = now or (lambda: datetime.now(UTC))
        # The carrier's own error code in an error body, and a carrier's mapping of it to one of
        # our errors (None: the status decides). Both see only refused requests.
        self._error_code = error_code
        self._classify = classify
        self.requests = 0  # requests sent, for AccountData.requests

    def url(self, path: str) -> str:
        """Return the absolute URL of ``path`` ("/..." relative to the base.

        Or a URL on the base).
        """
        if path.startswith("/"):
            return self.base_url + path
        if path.startswith(self.base_url + "/"):
            return path
        raise InvalidResponseError(f"{self._name}: refusing to follow a link off the API host")

    async def request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        params: Mapping[str, str] | None = None,
        json_body: object = None,
        headers: Mapping[str, str] | None = None,
        accept: Sequence[int] = (),
    ) -> JsonResponse:
        """Send one request and return its parsed answer (2xx, or a status listed in accept)."""
        if self._insecure is not None:
            raise InsecureUrlError(str(self._insecure))
        url = self.url(path)
        all_headers = {**self._headers, "Accept": "application/json", **(headers or {})}
        label = f"{self._name} {what}"
        self.requests += 1
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                json=json_body,
                headers=all_headers,
                timeout=self._timeout,
                allow_redirects=False,
            ) as resp:
                status = resp.status
                _LOGGER.debug("%s: HTTP %s", label, status)
                wanted = 200 <= status < 300
                if not wanted and status not in accept:
                    raise await self._refused(resp, status, label)
                body = await self._read(resp, label)
                headers_out = {k: v for k, v in resp.headers.items() if k.lower() != "set-cookie"}
        except TimeoutError as err:
            raise ProviderConnectionError(f"{label}: no answer in time") from err
        except aiohttp.ClientPayloadError as err:
            raise ProviderConnectionError(f"{label}: the answer was cut off") from err
        except aiohttp.ClientError as err:
            raise ProviderConnectionError(
                f"{label}: connection failed ({type(err).__name__})"
            ) from err
        if wanted:
            data = await self._decode(body, label)
        else:
            try:
                data = await self._decode(body, label)
            except InvalidResponseError:
                data = None
        return JsonResponse(status=status, data=data, headers=headers_out)

    @staticmethod
    async def _decode(body: bytes, label: str) -> object:
        """Return the parsed body; a large one is parsed in a worker thread, off the event loop."""
        if not body.strip():
            return None
        if len(body) > PARSE_OFF_LOOP_BYTES:
            return await asyncio.to_thread(decode_json, body, label)
        return decode_json(body, label)

    async def _refused(
        self, resp: aiohttp.ClientResponse, status: int, label: str
    ) -> ProviderError:
        """Return the error for a status the caller did not accept.

        Read with the carrier's error code.
        """
        code = None
        if self._error_code is not None and status < 500:
            try:
                body = await self._read(resp, label)
                code = self._error_code(decode_json(body, label)) if body.strip() else None
            except InvalidResponseError:
                code = None
        suffix = f", carrier error {code}" if code else ""
        if self._classify is not None:
            mapped = self._classify(status, code, f"{label} (HTTP {status}{suffix})")
            if mapped is not None:
                return mapped
        if status in (401, 403):
            return AuthError(f"{label}: the credentials were refused (HTTP {status}{suffix})")
        if status == 429:
            wait = parse_retry_after(resp.headers.get("Retry-After"), self._now())
            return RateLimitedError(f"{label}: rate limited (HTTP 429{suffix})", wait)
        if status >= 500:
            return ProviderConnectionError(f"{label}: the carrier failed (HTTP {status})")
        return InvalidResponseError(f"{label}: unexpected HTTP {status}{suffix}")

    async def _read(self, resp: aiohttp.ClientResponse, label: str) -> bytes:
        length = resp.content_length
        if length is not None and length > self._max_body:
            raise InvalidResponseError(f"{label}: the answer is too large")
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(65536):
            size += len(chunk)
            if size > self._max_body:
                raise InvalidResponseError(f"{label}: the answer is too large")
            chunks.append(chunk)
        return b"".join(chunks)


# --- defensive field access ---------------------------------------------------------------------


def as_object(value: object, what: str) -> JsonObject:
    """``value`` as a JSON object with string keys, or InvalidResponseError."""
    if not isinstance(value, dict):
        raise InvalidResponseError(f"{what} must be an object")
    return value


def as_list(value: object, what: str) -> list[object]:
    """``value`` as a JSON array, or InvalidResponseError."""
    if not isinstance(value, list):
        raise InvalidResponseError(f"{what} must be an array")
    return value


def check_text(value: object, what: str, *, max_len: int = MAX_TEXT) -> str:
    """Return a short, printable string: no control characters, surrogates or bidi overrides."""
    if not isinstance(value, str):
        raise InvalidResponseError(f"{what} must be a string")
    if not value or len(value) > max_len:
        raise InvalidResponseError(f"{what} must be 1 to {max_len} characters")
    if value.isascii() and value.isprintable():
        return value  # the usual case: none of the characters below is printable ASCII
    for char in value:
        if char in _BIDI or unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn"):
            raise InvalidResponseError(f"{what} contains a character that is not allowed")
    return value


def get_text(
    obj: JsonObject, key: str, what: str, *, max_len: int = MAX_TEXT, optional: bool = False
) -> str | None:
    """Return a text field; None when absent or null and ``optional``."""
    value = obj.get(key)
    if value is None:
        if optional:
            return None
        raise InvalidResponseError(f"{what}.{key} is missing")
    return check_text(value, f"{what}.{key}", max_len=max_len)


def get_str(obj: JsonObject, key: str, what: str, *, max_len: int = MAX_TEXT) -> str:
    """Return a required text field."""
    value = get_text(obj, key, what, max_len=max_len)
    assert value is not None  # optional=False never returns None
    return value


def get_bool(obj: JsonObject, key: str, what: str) -> bool | None:
    """Return a boolean field, None when absent or null."""
    value = obj.get(key)
    if value is None or isinstance(value, bool):
        return value
    raise InvalidResponseError(f"{what}.{key} must be true or false")


def get_int(obj: JsonObject, key: str, what: str, *, minimum: int = 0, maximum: int) -> int:
    """Return a whole number within [minimum, maximum]."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise InvalidResponseError(f"{what}.{key} must be a whole number {minimum}..{maximum}")
    return value


def parse_money(amount: object, currency: object, what: str, *, allow_negative: bool) -> Money:
    """Money from a carrier's decimal string and currency code (never a float)."""
    if isinstance(amount, Decimal):  # a JSON number: carriers must send strings
        raise InvalidResponseError(f"{what} must be a decimal string, not a JSON number")
    try:
        return Money.parse(amount, currency, allow_negative=allow_negative)
    except KeeperError as err:
        raise InvalidResponseError(f"{what}: {err}") from err


def check_e164(value: object, what: str) -> str:
    """Return an E.164 phone number such as +12025550101."""
    if not isinstance(value, str) or not _E164.fullmatch(value):
        raise InvalidResponseError(f"{what} is not an E.164 phone number")
    return value


def parse_instant(value: object, what: str, tz: ZoneInfo | None = None) -> datetime:
    """Return an RFC 3339 timestamp with offset.

    Or (when ``tz`` is given) a plain date meaning the start of that day in the carrier's timezone.
    """
    if not isinstance(value, str) or len(value) > 40:
        raise InvalidResponseError(f"{what} must be an RFC 3339 date-time string")
    try:
        if _DATETIME.fullmatch(value):
            return datetime.fromisoformat(value.replace("z", "Z")).astimezone(UTC)
        if tz is not None and _DATE.fullmatch(value):
            return start_of_day(date.fromisoformat(value), tz)
    except (ValueError, OverflowError) as err:
        raise InvalidResponseError(f"{what} is not a real date") from err
    raise InvalidResponseError(f"{what} must be an RFC 3339 date-time with an offset")


def parse_rfc2822(value: object, what: str) -> datetime:
    """Return an RFC 2822 date such as 'Mon, 16 Aug 2010 03:45:01 +0000' (Twilio)."""
    if not isinstance(value, str) or not value or len(value) > 64:
        raise InvalidResponseError(f"{what} must be an RFC 2822 date string")
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError) as err:
        raise InvalidResponseError(f"{what} is not an RFC 2822 date") from err
    if when.tzinfo is None:  # "-0000": UTC, local zone unknown
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC)
