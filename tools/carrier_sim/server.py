"""The carrier simulator: a real aiohttp server for the bridge protocol, Twilio and Telnyx shapes.

Routes are named; a route's name is what faults and request counters are keyed by. The bridge
routes are named ``bridge.<operationId>`` after docs/bridge-protocol.yaml. Control routes live under
``/_sim`` and need no credentials (the simulator binds to loopback).
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from email.utils import format_datetime, parsedate_to_datetime
import hmac
import json
import math
import re
from typing import cast
from zoneinfo import ZoneInfo

from aiohttp import web

from .faults import Fault, FaultKind, FaultSpecError, parse_fault
from .state import (
    CENT,
    PAYMENT_METHODS,
    PROVIDERS,
    RenewalConflictError,
    SimLine,
    SimRenewal,
    SimState,
    SimTokens,
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Clock = Callable[[], datetime]

TWILIO_PREFIX = "/2010-04-01/Accounts/{sid}"
_KEY = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# A renewal amount as docs/bridge-protocol.yaml's PositiveMoney has it: a decimal string greater
# than zero ("0" and "0.00" are refused, 422, as the spec says).
_POSITIVE_AMOUNT = re.compile(r"(?=[0-9.]*[1-9])[0-9]{1,7}(\.[0-9]{1,4})?")
STATE_KEY = web.AppKey("state", SimState)
CLOCK_KEY: web.AppKey[Clock] = web.AppKey("clock")
# The connection tasks that have run a request, so that stop() can wait for (or cancel) handlers
# that outlived their client: those are no longer known to aiohttp's own shutdown.
TASKS_KEY: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("tasks")
# commit_late: seconds the carrier takes to answer a renewal (set per request by the fault).
CARRIER_DELAY_KEY = web.RequestKey("carrier_delay", float)
# Seconds stop() gives live and orphaned handlers before cancelling them.
SHUTDOWN_TIMEOUT = 0.5


def _money(amount: Decimal, currency: str) -> dict[str, str]:
    return {"amount": str(amount.quantize(CENT)), "currency": currency}


def _json(data: object, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        text=json.dumps(data), status=status, content_type="application/json", headers=headers
    )


def bridge_error(status: int, code: str, message: str, reason: str | None = None) -> web.Response:
    """Return an error in the bridge protocol's shape."""
    error: dict[str, str] = {"code": code, "message": message}
    if reason is not None:
        error["reason"] = reason
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _json({"error": error}, status, headers)


# Twilio's error dictionary codes for the statuses the simulator answers.
_TWILIO_CODES = {401: 20003, 403: 20005, 404: 20404, 429: 20429}
# Telnyx's error codes (errors[].code is a string): 10009 authentication failed, 10010 not allowed.
_TELNYX_CODES = {401: "10009", 403: "10010", 404: "10005", 429: "10011"}


def _error_for(route: str, status: int, message: str) -> web.Response:
    """Return an error body in the shape of the route's API family."""
    if route.startswith("twilio."):
        code = _TWILIO_CODES.get(status, 20500)
        more = f"https://www.twilio.com/docs/errors/{code}"
        return _json(
            {"code": code, "message": message, "more_info": more, "status": status}, status
        )
    if route.startswith("telnyx."):
        code_text = _TELNYX_CODES.get(status, "10007")
        return _json({"errors": [{"code": code_text, "title": message, "detail": message}]}, status)
    codes = {401: "unauthorized", 403: "forbidden", 429: "rate_limited"}
    return bridge_error(status, codes.get(status, "server_error"), message)


# --- views of the state -------------------------------------------------------------------------


def _bridge_line(line: SimLine, state: SimState) -> dict[str, object]:
    if line.expiry_as_date:
        expiry = line.plan_expiry.astimezone(ZoneInfo(state.timezone)).date().isoformat()
    else:
        expiry = line.plan_expiry.isoformat()
    return {
        "id": line.id,
        "number": line.number,
        "name": line.name if line.named else line.number,
        "balance": _money(line.balance, line.currency),
        "plan_expiry": expiry,
        "last_activity": line.last_activity.isoformat() if line.last_activity else None,
        "status": line.status,
        "auto_renew": line.auto_renew,
    }


def _bridge_renewal(renewal: SimRenewal) -> dict[str, object]:
    return {
        "id": renewal.id,
        "idempotency_key": renewal.idempotency_key,
        "line_id": renewal.line_id,
        "status": renewal.status,
        "amount": _money(renewal.amount, renewal.currency),
        "method": renewal.method,
        "created_at": renewal.created_at.isoformat(),
        "decline_reason": renewal.decline_reason,
    }


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int | None:
    text = request.query.get(name)
    if text is None:
        return default
    if not text.isdigit() or not low <= int(text) <= high:
        return None
    return int(text)


# --- bridge protocol (docs/bridge-protocol.yaml) ------------------------------------------------


async def get_account(request: web.Request) -> web.Response:
    """Answer GET /account: the bridge account and its balance."""
    state = request.app[STATE_KEY]
    return _json(
        {
            "id": "sim-account",
            "name": "Carrier simulator",
            "timezone": state.timezone,
            "capabilities": {
                "can_renew": True,
                "payment_methods": ["carrier_balance", "card", "paypal"],
                "reports_activity": state.bridge_reports_activity,
            },
        }
    )


async def list_lines(request: web.Request) -> web.Response:
    """Answer GET /lines: one page of lines, with a cursor to the next."""
    state = request.app[STATE_KEY]
    limit = _int_param(request, "limit", 100, 1, 500)
    if limit is None:
        return bridge_error(400, "invalid_request", "limit must be 1..500")
    cursor = request.query.get("cursor")
    start = 0
    if cursor is not None:
        if not cursor.startswith("o") or not cursor[1:].isdigit():
            return bridge_error(400, "invalid_request", "unknown cursor")
        start = int(cursor[1:])
    lines = list(state.lines.values())
    page = lines[start : start + limit]
    following = start + limit
    return _json(
        {
            "data": [_bridge_line(line, state) for line in page],
            "next_cursor": f"o{following}" if following < len(lines) else None,
        }
    )


def _line_or_404(request: web.Request) -> SimLine | web.Response:
    state = request.app[STATE_KEY]
    line = state.lines.get(request.match_info["line_id"])
    if line is None:
        return bridge_error(404, "not_found", "no such line")
    return line


async def get_line(request: web.Request) -> web.Response:
    """Answer GET /lines/{id}: one line."""
    line = _line_or_404(request)
    if isinstance(line, web.Response):
        return line
    return _json(_bridge_line(line, request.app[STATE_KEY]))


async def create_renewal(request: web.Request) -> web.Response:
    """Answer POST /renewals: pay once per idempotency key, as the line's rules decide."""
    state = request.app[STATE_KEY]
    line = _line_or_404(request)
    if isinstance(line, web.Response):
        return line
    key = request.headers.get("Idempotency-Key", "")
    if not _KEY.fullmatch(key):
        return bridge_error(422, "invalid_request", "an Idempotency-Key header is required")
    try:
        body = await request.json()
        money = body["amount"]
        text = money["amount"]
        amount = Decimal(text)
        currency = money["currency"]
        method = body["method"]
    except ValueError, KeyError, TypeError, InvalidOperation:
        return bridge_error(
            422, "invalid_request", "body must be {amount: {amount, currency}, method}"
        )
    if (
        not isinstance(text, str)
        or not _POSITIVE_AMOUNT.fullmatch(text)
        or currency != line.currency
        or method not in PAYMENT_METHODS
    ):
        return bridge_error(422, "invalid_request", "invalid amount, currency or method")
    try:
        renewal, created = state.begin_renewal(
            line, key, amount, currency, method, request.app[CLOCK_KEY]()
        )
    except RenewalConflictError:
        return bridge_error(409, "idempotency_conflict", "key reused for a different renewal")
    if created:
        # The key is recorded (pending) before the carrier is called. A slow carrier (the
        # commit_late fault) leaves it pending meanwhile: lookups and repeats answer pending.
        if (delay := request.get(CARRIER_DELAY_KEY)) is not None:
            await asyncio.sleep(delay)
        state.finish_renewal(renewal, line, request.app[CLOCK_KEY]())
    return _renewal_answer(renewal, created)


def _renewal_answer(renewal: SimRenewal, created: bool) -> web.Response:
    """201 made now, 200 a finished key's first result, 202 in flight, 402 declined."""
    if renewal.status == "pending":
        return _json(_bridge_renewal(renewal), 202)
    if renewal.status == "declined":
        return bridge_error(
            402, "payment_declined", "the payment was declined", renewal.decline_reason
        )
    return _json(_bridge_renewal(renewal), 201 if created else 200)


async def get_renewal(request: web.Request) -> web.Response:
    """Answer GET /renewals/{key}: the renewal made with that key."""
    state = request.app[STATE_KEY]
    renewal = state.renewals.get(request.match_info["idempotency_key"])
    if renewal is None or renewal.line_id != request.match_info["line_id"]:
        return bridge_error(404, "not_found", "no renewal with this key")
    return _json(_bridge_renewal(renewal))


# --- Twilio shape -------------------------------------------------------------------------------


async def twilio_balance(request: web.Request) -> web.Response:
    """Balance.json; a subaccount's has null balance and currency (twilio-oai.

    "child accounts do not contain balance information").
    """
    state = request.app[STATE_KEY]
    subaccount = state.twilio_subaccount
    return _json(
        {
            "currency": None if subaccount else state.account_currency,
            "balance": None if subaccount else str(state.account_balance.quantize(CENT)),
            "account_sid": state.tokens.twilio_account_sid,
        }
    )


async def twilio_numbers(request: web.Request) -> web.Response:
    """Answer Twilio's IncomingPhoneNumbers.json: one page of numbers."""
    state = request.app[STATE_KEY]
    size = _int_param(request, "PageSize", 50, 1, 1000)
    page = _int_param(request, "Page", 0, 0, 10**6)
    if size is None or page is None:
        return _json({"code": 20001, "message": "Invalid paging", "status": 400}, 400)
    lines = [line for line in state.lines.values() if line.status != "deleted"]
    chunk = lines[page * size : (page + 1) * size]
    base = f"/2010-04-01/Accounts/{state.tokens.twilio_account_sid}/IncomingPhoneNumbers.json"
    more = (page + 1) * size < len(lines)
    return _json(
        {
            "incoming_phone_numbers": [
                {
                    "sid": f"PN{int(line.id.rpartition('-')[2]):032x}",
                    "account_sid": state.tokens.twilio_account_sid,
                    "phone_number": line.number,
                    # Twilio's default friendly_name is the number, formatted.
                    "friendly_name": line.name if line.named else _twilio_format(line.number),
                    "date_created": format_datetime(line.created),
                    "date_updated": format_datetime(line.created),
                    "status": "in-use",
                    "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
                }
                for line in chunk
            ],
            "page": page,
            "page_size": size,
            "first_page_uri": f"{base}?PageSize={size}&Page=0",
            "uri": f"{base}?PageSize={size}&Page={page}",
            "next_page_uri": f"{base}?PageSize={size}&Page={page + 1}" if more else None,
            "previous_page_uri": f"{base}?PageSize={size}&Page={page - 1}" if page else None,
        }
    )


def _twilio_since(request: web.Request, name: str) -> datetime | web.Response | None:
    """Return a "DateSent>" / "StartTime>" filter: a GMT day ("YYYY-MM-DD"), on or after it."""
    raw = request.query.get(name)
    if raw is None:
        return None
    try:
        return datetime.fromisoformat(raw).replace(tzinfo=UTC) if len(raw) == 10 else None
    except ValueError:
        return _json({"code": 20001, "message": f"Invalid {name}", "status": 400}, 400)


async def _twilio_activity(request: web.Request, key: str) -> web.Response:
    """Messages.json / Calls.json (twilio-oai).

    Each line's last activity as one record, newest first; odd lines texted (an outbound message
    from the number), even lines were called (an inbound call to it). Filters: the day filter,
    PageSize and Page, as Twilio pages them.
    """
    state = request.app[STATE_KEY]
    size = _int_param(request, "PageSize", 50, 1, 1000)
    page = _int_param(request, "Page", 0, 0, 10**6)
    since = _twilio_since(request, "DateSent>" if key == "messages" else "StartTime>")
    if isinstance(since, web.Response):
        return since
    if size is None or page is None:
        return _json({"code": 20001, "message": "Invalid paging", "status": 400}, 400)
    sid = state.tokens.twilio_account_sid
    other = "+12025550199"
    records = []
    for line in state.lines.values():
        index = int(line.id.rpartition("-")[2])
        texted = index % 2 == 1
        if line.last_activity is None or line.status == "deleted" or texted != (key == "messages"):
            continue
        if since is not None and line.last_activity < since:
            continue
        when = format_datetime(line.last_activity)
        common = {"sid": f"{'SM' if texted else 'CA'}{index:032x}", "account_sid": sid}
        if texted:
            record = {"from": line.number, "to": other, "direction": "outbound-api",
                      "status": "delivered", "date_sent": when}  # fmt: skip
        else:
            record = {"from": other, "to": line.number, "direction": "inbound",
                      "status": "completed", "duration": "42", "start_time": when}  # fmt: skip
        records.append({**common, **record, "date_created": when})
    field_name = "date_sent" if key == "messages" else "start_time"
    records.sort(key=lambda r: parsedate_to_datetime(r[field_name]), reverse=True)
    chunk = records[page * size : (page + 1) * size]
    base = f"/2010-04-01/Accounts/{sid}/{'Messages' if key == 'messages' else 'Calls'}.json"
    more = (page + 1) * size < len(records)
    query = "&".join(f"{k.replace('>', '%3E')}={v}" for k, v in request.query.items()
                     if k not in ("Page", "PageSize", "PageToken"))  # fmt: skip
    query = f"{query}&" if query else ""
    return _json(
        {
            key: chunk,
            "page": page,
            "page_size": size,
            "first_page_uri": f"{base}?{query}PageSize={size}&Page=0",
            "uri": f"{base}?{query}PageSize={size}&Page={page}",
            "next_page_uri": (
                f"{base}?{query}PageSize={size}&Page={page + 1}&PageToken=PA{page + 1}"
                if more
                else None
            ),
            "previous_page_uri": f"{base}?{query}PageSize={size}&Page={page - 1}" if page else None,
        }
    )


async def twilio_messages(request: web.Request) -> web.Response:
    """Answer Twilio's Messages.json."""
    return await _twilio_activity(request, "messages")


async def twilio_calls(request: web.Request) -> web.Response:
    """Answer Twilio's Calls.json."""
    return await _twilio_activity(request, "calls")


# --- Telnyx shape -------------------------------------------------------------------------------


async def telnyx_balance(request: web.Request) -> web.Response:
    """Answer Telnyx's GET /balance."""
    state = request.app[STATE_KEY]
    return _json(
        {
            "data": {
                "record_type": "balance",
                "pending": "0.00",
                "balance": str(state.account_balance.quantize(CENT)),
                "credit_limit": "0.00",
                "available_credit": str(state.account_balance.quantize(CENT)),
                "currency": state.account_currency,
            }
        }
    )


_TELNYX_STATUS = {"deleted": "deleted", "suspended": "emergency-only"}


def _twilio_format(number: str) -> str:
    """Format "+12015550100" as Twilio's default friendly name "(201) 555-0100"."""
    if number.startswith("+1") and len(number) == 12:
        return f"({number[2:5]}) {number[5:8]}-{number[8:]}"
    return number


async def telnyx_numbers(request: web.Request) -> web.Response:
    """Answer Telnyx's GET /phone_numbers: one page of numbers."""
    state = request.app[STATE_KEY]
    number = _int_param(request, "page[number]", 1, 1, 10**6)
    size = _int_param(request, "page[size]", 20, 1, 250)
    if number is None or size is None:
        return _json({"errors": [{"code": "10015", "title": "Invalid page parameter"}]}, 400)
    lines = list(state.lines.values())
    chunk = lines[(number - 1) * size : number * size]
    return _json(
        {
            "data": [
                {
                    "id": str(1000 + int(line.id.rpartition("-")[2])),
                    "record_type": "phone_number",
                    "phone_number": line.number,
                    "status": _TELNYX_STATUS.get(line.status, "active"),
                    # The SIP connection's name: one for all the numbers on it.
                    "connection_name": "sim-connection",
                    "customer_reference": line.name if line.named else line.number,
                    "purchased_at": line.created.isoformat().replace("+00:00", "Z"),
                    "tags": [],
                }
                for line in chunk
            ],
            "meta": {
                "total_pages": max(1, math.ceil(len(lines) / size)),
                "total_results": len(lines),
                "page_number": number,
                "page_size": size,
            },
        }
    )


async def telnyx_auto_recharge(request: web.Request) -> web.Response:
    """Answer Telnyx's auto-recharge preferences."""
    state = request.app[STATE_KEY]
    return _json(
        {
            "data": {
                "id": "1",
                "record_type": "auto_recharge_pref",
                "threshold_amount": "5.00",
                "recharge_amount": "20.00",
                "enabled": state.auto_recharge_enabled,
                "preference": "credit_paypal",
            }
        }
    )


# --- auth ---------------------------------------------------------------------------------------


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


def _authorized(request: web.Request, route: str, state: SimState) -> int:
    """200 if the request may pass, else the status to refuse it with (401, 404)."""
    family = route.partition(".")[0]
    if family in state.revoked:
        return 401
    header = request.headers.get("Authorization", "")
    tokens = state.tokens
    if family == "twilio":
        scheme, _, encoded = header.partition(" ")
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except ValueError, UnicodeDecodeError:
            return 401
        pairs = (
            (tokens.twilio_account_sid, tokens.twilio_auth_token),
            (tokens.twilio_api_key_sid, tokens.twilio_api_key_secret),
        )
        if scheme != "Basic" or not any(_same(user, u) and _same(password, p) for u, p in pairs):
            return 401
        # Valid credentials, another Account SID in the path: Twilio answers 404 (code 20404).
        return 200 if request.match_info.get("sid") == tokens.twilio_account_sid else 404
    expected = tokens.bridge if family == "bridge" else tokens.telnyx
    return 200 if _same(header, f"Bearer {expected}") else 401


# --- faults -------------------------------------------------------------------------------------


def _drop(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        transport.abort()
    return web.Response(status=500)  # never reaches the client


async def _truncated(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    body = response.body if isinstance(response, web.Response) else None
    data = body if isinstance(body, bytes) else b'{"data": []}'
    out = web.StreamResponse(status=response.status, headers={"Content-Type": "application/json"})
    out.content_length = len(data)
    await out.prepare(request)
    await out.write(data[: len(data) // 2])
    return _drop(request)


async def _apply(
    fault: Fault, route: str, request: web.Request, run: Handler
) -> web.StreamResponse:
    match fault.kind:
        case FaultKind.LATENCY:
            await request.read()  # the request arrived in full; only the answer is late
            await asyncio.sleep(fault.seconds)
            return await run(request)
        case FaultKind.COMMIT_LATE:
            await request.read()
            if route != "bridge.createRenewal":
                await asyncio.sleep(fault.seconds)
                return await run(request)
            request[CARRIER_DELAY_KEY] = fault.seconds
            return await run(request)
        case FaultKind.ERROR:
            return _error_for(route, fault.status, "simulated server error")
        case FaultKind.RATE_LIMIT:
            if fault.retry_after_date:
                when = request.app[CLOCK_KEY]() + timedelta(seconds=fault.seconds)
                retry_after = format_datetime(when, usegmt=True)
            else:
                retry_after = str(math.ceil(fault.seconds))
            response = _error_for(route, 429, "too many requests")
            response.headers["Retry-After"] = retry_after
            return response
        case FaultKind.MALFORMED:
            return web.Response(text='{"data": [{"id": ', content_type="application/json")
        case FaultKind.TRUNCATE:
            return await _truncated(request, await run(request))
        case FaultKind.DROP:
            return _drop(request)
        case FaultKind.COMMIT_DROP:
            await run(request)
            return _drop(request)


@web.middleware
async def _carrier_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    tasks = request.app[TASKS_KEY]
    if (task := request.task) not in tasks:
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    route = request.match_info.route.name
    if route is None or route.startswith("sim."):
        return await handler(request)
    state = request.app[STATE_KEY]
    state.requests[route] += 1

    async def run(req: web.Request) -> web.StreamResponse:
        status = _authorized(req, route, state)
        if status != 200:
            return _error_for(route, status, "authentication failed")
        return await handler(req)

    fault = state.take_fault(route)
    if fault is None:
        return await run(request)
    return await _apply(fault, route, request, run)


# --- control API (/_sim) ------------------------------------------------------------------------


async def _body(request: web.Request) -> dict[str, object]:
    if not request.can_read_body:
        return {}
    try:
        data = await request.json()
    except ValueError as err:
        raise web.HTTPBadRequest(text="body must be JSON") from err
    if not isinstance(data, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return cast("dict[str, object]", data)


async def sim_state(request: web.Request) -> web.Response:
    """Answer GET /_sim/state: the whole simulator state, for tests."""
    return _json(request.app[STATE_KEY].to_json())


async def sim_faults(request: web.Request) -> web.Response:
    """Body: {"faults": {ROUTE: SPEC | null}, "clear": bool}. null removes one route's fault."""
    state = request.app[STATE_KEY]
    body = await _body(request)
    if body.get("clear"):
        state.faults.clear()
    faults = body.get("faults", {})
    if not isinstance(faults, dict):
        raise web.HTTPBadRequest(text="faults must be an object")
    try:
        for route, spec in faults.items():
            if spec is None:
                state.faults.pop(route, None)
            elif isinstance(spec, str):
                state.faults[route] = parse_fault(spec)
            else:
                raise FaultSpecError(f"{route}: spec must be a string or null")
    except FaultSpecError as err:
        raise web.HTTPBadRequest(text=str(err)) from err
    return _json({route: fault.to_json() for route, fault in state.faults.items()})


async def sim_reset(request: web.Request) -> web.Response:
    """Body (optional): {"lines": N, "seed": S}. New lines, no renewals, faults or counters."""
    body = await _body(request)
    old = request.app[STATE_KEY]
    count, seed = body.get("lines", len(old.lines)), body.get("seed", 0)
    if not isinstance(count, int) or not isinstance(seed, int) or not 0 <= count <= 100_000:
        raise web.HTTPBadRequest(text="lines and seed must be integers")
    fresh = SimState.generate(count, seed, request.app[CLOCK_KEY](), old.tokens)
    for name in SimState.__slots__:
        setattr(old, name, getattr(fresh, name))
    return _json(old.to_json())


def _decimal(value: object, what: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation as err:
        raise web.HTTPBadRequest(text=f"{what} must be a decimal string") from err
    if not amount.is_finite():
        raise web.HTTPBadRequest(text=f"{what} must be finite")
    return amount


async def sim_line(request: web.Request) -> web.Response:
    """Body: any of balance, status, plan_expiry (ISO), decline_reason, auto_renew, name."""
    state = request.app[STATE_KEY]
    line = state.lines.get(request.match_info["line_id"])
    if line is None:
        raise web.HTTPNotFound(text="no such line")
    body = await _body(request)
    if "balance" in body:
        line.balance = _decimal(body["balance"], "balance")
    if "status" in body:
        if body["status"] not in ("active", "suspended", "deleted"):
            raise web.HTTPBadRequest(text="status must be active, suspended or deleted")
        line.status = str(body["status"])
    if "plan_expiry" in body:
        try:
            line.plan_expiry = datetime.fromisoformat(str(body["plan_expiry"]))
        except ValueError as err:
            raise web.HTTPBadRequest(text="plan_expiry must be ISO 8601") from err
    if "decline_reason" in body:
        reason = body["decline_reason"]
        line.decline_reason = None if reason is None else str(reason)
    if "auto_renew" in body:
        line.auto_renew = None if body["auto_renew"] is None else bool(body["auto_renew"])
    if "name" in body:
        line.name = str(body["name"])
        line.named = True
    return _json(_bridge_line(line, state))


async def sim_account(request: web.Request) -> web.Response:
    """Body.

    Any of balance (the Twilio/Telnyx account balance), auto_recharge (bool), twilio_subaccount
    (bool: Balance.json answers with null balance and currency).
    """
    state = request.app[STATE_KEY]
    body = await _body(request)
    if "balance" in body:
        state.account_balance = _decimal(body["balance"], "balance")
    if "auto_recharge" in body:
        state.auto_recharge_enabled = bool(body["auto_recharge"])
    if "twilio_subaccount" in body:
        state.twilio_subaccount = bool(body["twilio_subaccount"])
    return _json(state.to_json())


async def sim_auth(request: web.Request) -> web.Response:
    """Body: {"provider": "bridge"|"twilio"|"telnyx"|"all", "revoked": bool}."""
    state = request.app[STATE_KEY]
    body = await _body(request)
    provider = body.get("provider", "all")
    names = PROVIDERS if provider == "all" else (provider,)
    if not all(name in PROVIDERS for name in names):
        raise web.HTTPBadRequest(text="provider must be bridge, twilio, telnyx or all")
    for name in names:
        if body.get("revoked", True):
            state.revoked.add(str(name))
        else:
            state.revoked.discard(str(name))
    return _json({"revoked": sorted(state.revoked)})


def build_app(state: SimState, clock: Clock | None = None) -> web.Application:
    """Return the simulator as an aiohttp application over ``state``."""
    app = web.Application(middlewares=[_carrier_middleware])
    app[STATE_KEY] = state
    app[CLOCK_KEY] = clock or (lambda: datetime.now(UTC))
    app[TASKS_KEY] = set()
    add = app.router.add_route
    add("GET", "/v1/account", get_account, name="bridge.getAccount")
    add("GET", "/v1/lines", list_lines, name="bridge.listLines")
    add("GET", "/v1/lines/{line_id}", get_line, name="bridge.getLine")
    add("POST", "/v1/lines/{line_id}/renewals", create_renewal, name="bridge.createRenewal")
    add(
        "GET",
        "/v1/lines/{line_id}/renewals/{idempotency_key}",
        get_renewal,
        name="bridge.getRenewal",
    )
    add("GET", f"{TWILIO_PREFIX}/Balance.json", twilio_balance, name="twilio.balance")
    add("GET", f"{TWILIO_PREFIX}/IncomingPhoneNumbers.json", twilio_numbers, name="twilio.numbers")
    add("GET", f"{TWILIO_PREFIX}/Messages.json", twilio_messages, name="twilio.messages")
    add("GET", f"{TWILIO_PREFIX}/Calls.json", twilio_calls, name="twilio.calls")
    add("GET", "/v2/balance", telnyx_balance, name="telnyx.balance")
    add("GET", "/v2/phone_numbers", telnyx_numbers, name="telnyx.numbers")
    add(
        "GET",
        "/v2/payment/auto_recharge_prefs",  # singular, as in every official Telnyx SDK
        telnyx_auto_recharge,
        name="telnyx.autoRecharge",
    )
    add("GET", "/_sim/state", sim_state, name="sim.state")
    add("POST", "/_sim/faults", sim_faults, name="sim.faults")
    add("POST", "/_sim/reset", sim_reset, name="sim.reset")
    add("POST", "/_sim/lines/{line_id}", sim_line, name="sim.line")
    add("POST", "/_sim/account", sim_account, name="sim.account")
    add("POST", "/_sim/auth", sim_auth, name="sim.auth")
    return app


class CarrierSim:
    """The simulator, importable: ``base_url = await sim.start()`` ... ``await sim.stop()``."""

    def __init__(
        self,
        *,
        lines: int = 3,
        seed: int = 0,
        tokens: SimTokens | None = None,
        faults: dict[str, Fault] | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Prepare a simulator with ``lines`` generated lines; it listens once started."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self.state = SimState.generate(lines, seed, self._clock(), tokens)
        self.state.faults.update(faults or {})
        self.app = build_app(self.state, self._clock)
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve on ``host:port`` (0: an ephemeral port); returns the base URL."""
        # Handlers survive a client that hangs up, as a real server's do: a renewal whose client
        # timed out still commits (stop() waits for, then cancels, what is left).
        runner = web.AppRunner(
            self.app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=SHUTDOWN_TIMEOUT,
            handler_cancellation=False,
        )
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        address = runner.addresses[0]
        self.base_url = f"http://{host}:{address[1]}"
        return self.base_url

    async def stop(self) -> None:
        """Stop serving.

        Handlers still running (a connected client's, or one whose client hung up, such as a
        commit_late renewal) get SHUTDOWN_TIMEOUT seconds to finish, then are cancelled; stop()
        never waits longer than about twice that.
        """
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        current = asyncio.current_task()
        tasks = {task for task in self.app[TASKS_KEY] if not task.done() and task is not current}
        if not tasks:
            return
        _, left = await asyncio.wait(tasks, timeout=SHUTDOWN_TIMEOUT)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left)

    def set_fault(self, route: str, spec: str | None) -> None:
        """Set (or with None clear) the fault of ``route``; same syntax as --fault."""
        if spec is None:
            self.state.faults.pop(route, None)
        else:
            self.state.faults[route] = parse_fault(spec)
