"""Contract fixtures: answers shaped after the vendors' own API descriptions, not after our code.

Twilio -- its OpenAPI description, repository ``twilio/twilio-oai``, file
``spec/json/twilio_api_v2010.json`` at commit 00c8d36829d67333c14bef357affd57851408ad7:
- ``components.schemas["api.v2010.account.balance"]``: ``account_sid`` (pattern
  ``^AC[0-9a-fA-F]{32}$``), ``balance`` and ``currency``, all three strings and all
  ``nullable: true``; the description of ``balance`` says "Child accounts do not contain
  balance information".
- ``components.schemas["api.v2010.account.incoming_phone_number"]``: ``sid`` (pattern
  ``^PN[0-9a-fA-F]{32}$``), ``phone_number`` (E.164, nullable), ``friendly_name`` (nullable),
  ``date_created`` (format ``date-time-rfc-2822``, nullable), ``status`` (a free string, nullable),
  ``capabilities`` {voice, sms, mms, fax}; every property nullable.
- ``paths["/2010-04-01/Accounts/{AccountSid}/Messages.json"].get`` (operationId ListMessage):
  query filters ``To``, ``From``, ``DateSent``, ``DateSent<``, ``DateSent>`` ("YYYY-MM-DD" in GMT,
  on or after), ``PageSize`` 1..1000, ``Page``, ``PageToken``; the page lists ``messages`` of
  ``api.v2010.account.message``: ``from``, ``to``, ``direction`` (inbound, outbound-api ...),
  ``status`` (sent, delivered, received, failed, undelivered ...), ``date_sent`` (RFC 2822,
  nullable). Example "readFullPage1": a page of 2 with ``next_page_uri`` carrying ``PageToken``.
- ``paths["/2010-04-01/Accounts/{AccountSid}/Calls.json"].get`` (ListCall): filters ``To``,
  ``From``, ``Status``, ``StartTime``, ``StartTime<``, ``StartTime>`` (same day format), paging as
  above; the page lists ``calls`` of ``api.v2010.account.call``: ``from``, ``to``, ``direction``,
  ``status`` (queued, ringing, in-progress, canceled, completed, failed, busy, no-answer),
  ``start_time`` (RFC 2822, nullable), ``phone_number_sid``.
- The list envelope (``incoming_phone_numbers``, ``next_page_uri`` ..., ``page_size``) and the error
  body ``{"code", "message", "more_info", "status"}`` are Twilio's documented shapes; the error body
  is NOT described in that spec file (see the report of issue 15).

Telnyx -- its official SDK ``team-telnyx/telnyx-python`` (generated from Telnyx's OpenAPI spec):
- ``src/telnyx/resources/payment/auto_recharge_prefs.py`` @
  6d7998be4ca9225e05ce8e17a7cd92b3ba5aeb06: ``GET /payment/auto_recharge_prefs`` (singular
  ``payment``; the client's base URL ends in /v2).
- ``src/telnyx/types/payment/auto_recharge_pref_list_response.py`` @
  11dcec9f97c9df99a28d86e7d2fb5cb75cac47ff: data {id, enabled, invoice_enabled, preference
  ("credit_paypal" | "ach"), recharge_amount, record_type, threshold_amount}, all optional.
- ``src/telnyx/types/balance_retrieve_response.py`` @ 0fd85db8308098a0f3913d92a92a727fea959e66:
  data {available_credit ("balance + credit limit"), balance, credit_limit, currency, pending,
  record_type "balance"}, all optional strings.
- ``src/telnyx/types/phone_number_detailed.py`` @ 11dcec9f97c9df99a28d86e7d2fb5cb75cac47ff:
  ``connection_name`` ("the user-assigned name of the connection"), ``customer_reference``,
  ``tags`` (list of strings), ``purchased_at``, ``phone_number`` (+E.164), and ``status`` one of
  purchase-pending, purchase-failed, port-pending, port-failed, active, deleted, emergency-only,
  ported-out, port-out-pending, requirement-info-pending, requirement-info-under-review,
  requirement-info-exception, provision-pending. Every field is optional.
- ``src/telnyx/pagination.py`` @ ba89736a2e3293d9e50fa80932d7cbf9507bfc4f: ``meta`` is optional;
  with no ``total_pages`` the SDK asks for the next ``page[number]`` until a page comes back empty.
- The error body ``{"errors": [{"code": "10009", "title", "detail"}]}`` is Telnyx's documented
  shape; it is not typed in the SDK files above.

Values (numbers, ids, amounts) are ours: fictional 555-01xx numbers.
"""

from __future__ import annotations

from typing import Any

TWILIO_SID = "AC00000000000000000000000000000001"
TWILIO_NUMBERS_PATH = f"/2010-04-01/Accounts/{TWILIO_SID}/IncomingPhoneNumbers.json"

TWILIO_BALANCE: dict[str, Any] = {"currency": "USD", "balance": "12.29", "account_sid": TWILIO_SID}
TWILIO_SUBACCOUNT_BALANCE: dict[str, Any] = {
    "currency": None,
    "balance": None,
    "account_sid": TWILIO_SID,
}


def twilio_number(index: int, **changes: Any) -> dict[str, Any]:
    """One IncomingPhoneNumber with the fields the spec lists (the ones we read and a few more)."""
    number = f"+1201555010{index}"
    record: dict[str, Any] = {
        "account_sid": TWILIO_SID,
        "sid": f"PN{index:032x}",
        "phone_number": number,
        # Twilio's default friendly_name: the number, formatted.
        "friendly_name": f"(201) 555-010{index}",
        "date_created": "Sat, 31 Jan 2026 10:00:00 +0000",
        "date_updated": "Sat, 31 Jan 2026 10:00:00 +0000",
        "status": "in-use",
        "origin": "twilio",
        "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
        "voice_url": None,
        "sms_url": None,
        "emergency_status": "Inactive",
        "bundle_sid": None,
        "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/IncomingPhoneNumbers/PN{index:032x}.json",
    }
    record.update(changes)
    return record


def twilio_page(numbers: list[dict[str, Any]], page: int, more: bool) -> dict[str, Any]:
    """Return a list page in Twilio's envelope (PageSize 2)."""
    base = f"{TWILIO_NUMBERS_PATH}?PageSize=2"
    return {
        "incoming_phone_numbers": numbers,
        "page": page,
        "page_size": 2,
        "start": page * 2,
        "end": page * 2 + len(numbers) - 1,
        "first_page_uri": f"{base}&Page=0",
        "uri": f"{base}&Page={page}",
        "next_page_uri": f"{base}&Page={page + 1}&PageToken=PA{page + 1}" if more else None,
        "previous_page_uri": f"{base}&Page={page - 1}" if page else None,
    }


TWILIO_MESSAGES_PATH = f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
TWILIO_CALLS_PATH = f"/2010-04-01/Accounts/{TWILIO_SID}/Calls.json"


def twilio_message(
    sid: int, sender: str, receiver: str, sent: str | None, **changes: Any
) -> dict[str, Any]:
    """One Message, the fields of the spec's "readFullPage1" example."""
    record: dict[str, Any] = {
        "account_sid": TWILIO_SID,
        "api_version": "2010-04-01",
        "body": "keep-alive",
        "date_created": sent,
        "date_sent": sent,
        "date_updated": sent,
        "direction": "outbound-api",
        "error_code": None,
        "error_message": None,
        "from": sender,
        "messaging_service_sid": None,
        "num_media": "0",
        "num_segments": "1",
        "price": "-0.00750",
        "price_unit": "USD",
        "sid": f"SM{sid:032x}",
        "status": "delivered",
        "to": receiver,
        "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Messages/SM{sid:032x}.json",
    }
    record.update(changes)
    return record


def twilio_call(
    sid: int, caller: str, called: str, start: str | None, **changes: Any
) -> dict[str, Any]:
    """One Call, the fields of the spec's "readFullPage1" example."""
    record: dict[str, Any] = {
        "account_sid": TWILIO_SID,
        "annotation": None,
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": start,
        "date_updated": start,
        "direction": "inbound",
        "duration": "15",
        "end_time": start,
        "forwarded_from": None,
        "from": caller,
        "from_formatted": None,
        "parent_call_sid": None,
        "phone_number_sid": None,
        "price": "-0.0085",
        "price_unit": "USD",
        "sid": f"CA{sid:032x}",
        "start_time": start,
        "status": "completed",
        "to": called,
        "uri": f"/2010-04-01/Accounts/{TWILIO_SID}/Calls/CA{sid:032x}.json",
    }
    record.update(changes)
    return record


def twilio_list(
    key: str, path: str, records: list[dict[str, Any]], page: int, *, more: bool, query: str
) -> dict[str, Any]:
    """Return a Messages/Calls page in Twilio's envelope; ``query`` as sent ("DateSent%3E=...")."""
    base = f"{path}?{query}&PageSize=1000"
    return {
        key: records,
        "end": page * 1000 + len(records) - 1,
        "first_page_uri": f"{base}&Page=0",
        "next_page_uri": f"{base}&Page={page + 1}&PageToken=PA{page + 1}" if more else None,
        "page": page,
        "page_size": 1000,
        "previous_page_uri": f"{base}&Page={page - 1}" if page else None,
        "start": page * 1000,
        "uri": f"{base}&Page={page}",
    }


def twilio_error(code: int, status: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


TELNYX_BALANCE: dict[str, Any] = {
    "data": {
        "record_type": "balance",
        "pending": "10.00",
        "balance": "300.00",
        "credit_limit": "100.00",
        "available_credit": "400.00",
        "currency": "USD",
    }
}
TELNYX_AUTO_RECHARGE: dict[str, Any] = {
    "data": {
        "id": "1293384261075731499",
        "record_type": "auto_recharge_pref",
        "threshold_amount": "104.00",
        "recharge_amount": "104.00",
        "enabled": True,
        "invoice_enabled": True,
        "preference": "credit_paypal",
    }
}


def telnyx_number(index: int, **changes: Any) -> dict[str, Any]:
    """One PhoneNumberDetailed with the fields the SDK types list (the ones we read and more)."""
    record: dict[str, Any] = {
        "id": f"14603214370000{index}",
        "record_type": "phone_number",
        "phone_number": f"+1201555010{index}",
        "status": "active",
        "tags": [],
        "external_pin": None,
        "connection_id": "1293384261075731499",
        # The SIP connection's name: the same for every number on that connection.
        "connection_name": "office-sip",
        "customer_reference": f"Line {index}",
        "messaging_profile_id": None,
        "messaging_profile_name": None,
        "billing_group_id": None,
        "emergency_enabled": False,
        "emergency_address_id": None,
        "call_forwarding_enabled": True,
        "cnam_listing_enabled": False,
        "caller_id_name_enabled": False,
        "call_recording_enabled": False,
        "t38_fax_gateway_enabled": False,
        "phone_number_type": "local",
        "purchased_at": "2026-01-31T10:00:00Z",
        "created_at": "2026-01-31T10:00:00Z",
        "updated_at": "2026-01-31T10:00:00Z",
    }
    record.update(changes)
    return record


def telnyx_page(
    numbers: list[dict[str, Any]], page: int, total_pages: int | None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"page_number": page, "page_size": 2}
    if total_pages is not None:
        meta["total_pages"] = total_pages
        meta["total_results"] = total_pages * 2
    return {"data": numbers, "meta": meta}


def telnyx_error(code: str, title: str) -> dict[str, Any]:
    return {"errors": [{"code": code, "title": title, "detail": title}]}
