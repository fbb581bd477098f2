"""Hostile input.

Hypothesis fuzzing of config-flow fields, action fields and carrier responses (huge and negative
numbers, "NaN", wrong types, very long strings, bodies over the size limit, odd unicode). Each comes
back as a translated error (or a typed InvalidResponseError from a provider), changes nothing, and
crashes nothing.

Hypothesis drives Home Assistant from a worker thread: each example runs on the event loop with
``run_coroutine_threadsafe``, so shrinking works while the loop stays Home Assistant's own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
import contextlib
import json
import math
from pathlib import Path
from typing import Any

import aiohttp
from homeassistant.config_entries import SOURCE_USER
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType, InvalidData
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from hypothesis import given, settings, strategies as st
import pytest
import voluptuous as vol

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.keeper.providers.base import InvalidResponseError
from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from custom_components.esim_keeper.keeper.providers.telnyx import TelnyxProvider
from custom_components.esim_keeper.keeper.providers.twilio import TwilioProvider
from tests.carrier_sim.fixtures import Canned, canned, fixed_clock
from tests.ha.accounts import manual_entry
from tools.carrier_sim import DEFAULT_TWILIO_ACCOUNT_SID, CarrierSim

from .accounts import BALANCE, SUB, setup, sim_entry
from .conftest import FIGURES, LONG

__all__ = ["canned"]  # the canned-answer server fixture

_EN = json.loads(
    Path("custom_components/esim_keeper/translations/en.json").read_text(encoding="utf-8")
)
FLOW_ERRORS = set(_EN["config"]["error"])
EXCEPTIONS = set(_EN["exceptions"])

# Text a hostile user or carrier sends: numbers in every bad shape, odd unicode, long strings.
NASTY_TEXT = st.one_of(
    st.sampled_from(
        [
            "NaN", "nan", "-nan", "Infinity", "-inf", "1e999", "-1e999", "1e-999", "9" * 400,
            "-5", "-0.01", "0", "0.000000000000001", "1_000", "３.００", "١٢", "$5", "5,00",
            "", " ", "\u202e5.00", "5\x00", "💸", "null", "[]", "{}", "0x10", "+-1", "1e3",
            "x" * 10_000, "\ud800", "2026-02-30", "9999-12-31", "0000-01-01", "-1-01-01",
        ]
    ),
    st.text(max_size=64),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=200, max_size=2000),
)  # fmt: skip
# Text for date-time action fields: no lone surrogates. Home Assistant parses those fields with
# ciso8601 2.3.3, which crashes the interpreter (SIGSEGV) on "\ud800"; Home Assistant's JSON
# (orjson) refuses lone surrogates, so they cannot arrive through its APIs.
NASTY_DATETIME_TEXT = NASTY_TEXT.filter(lambda t: not any("\ud800" <= c <= "\udfff" for c in t))
NASTY_NUMBER = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
)
NASTY = st.one_of(NASTY_TEXT, NASTY_NUMBER, st.none(), st.lists(st.integers(), max_size=3))


# The ci profile is seeded (the same examples every run); the long one explores.
SEEDED = settings(derandomize=not LONG)


def _in_loop(
    hass: HomeAssistant, check: Callable[..., Coroutine[Any, Any, None]]
) -> Callable[..., None]:
    def run(*args: Any) -> None:
        asyncio.run_coroutine_threadsafe(check(*args), hass.loop).result(timeout=60)

    return run


def _abort_all(hass: HomeAssistant) -> None:
    for flow in hass.config_entries.flow.async_progress_by_handler(DOMAIN):
        hass.config_entries.flow.async_abort(flow["flow_id"])


# --- config flows -------------------------------------------------------------------------------


async def _manual_number_form(hass: HomeAssistant) -> str:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "manual"}
    )
    result = await hass.config_entries.flow.async_configure(result["flow_id"], {})
    assert result["step_id"] == "manual_number"
    return str(result["flow_id"])


async def test_manual_number_form_fuzz(hass: HomeAssistant) -> None:
    """The first number of a Manual account: every field hostile, one at a time or together."""
    good = {
        "number": "(202) 555-0188",
        "carrier": "ultra_paygo",
        "balance": "7.50",
        "plan_expiry": "2026-12-20",
        "plan": {},
    }

    async def check(field: str, value: Any, plan_field: str, plan_value: Any) -> None:
        flow_id = await _manual_number_form(hass)
        data: dict[str, Any] = {**good, field: value}
        if plan_field:
            data["plan"] = {plan_field: plan_value}
        try:
            result = await hass.config_entries.flow.async_configure(flow_id, data)
        except InvalidData, vol.Invalid:
            pass  # the form's own schema refused it (shown translated by the frontend)
        else:
            if result["type"] is FlowResultType.CREATE_ENTRY:  # the input was fine after all
                await hass.config_entries.async_remove(result["result"].entry_id)
            else:
                assert result["type"] is FlowResultType.FORM, result
                assert set(result["errors"].values()) <= FLOW_ERRORS, result["errors"]
                assert result["errors"], "a refused value must say why"
        _abort_all(hass)
        await hass.async_block_till_done()
        assert not hass.config_entries.async_entries(DOMAIN)
        FIGURES["inputs fuzzed"] += 1

    @SEEDED
    @given(
        st.sampled_from(["number", "balance", "plan_expiry", "last_activity", "name", "carrier"]),
        NASTY,
        st.sampled_from(["", "renewal_cost", "cycle_days", "grace_days", "activity_days"]),
        NASTY,
    )
    def fuzz(field: str, value: Any, plan_field: str, plan_value: Any) -> None:
        _in_loop(hass, check)(field, value, plan_field, plan_value)

    await hass.async_add_executor_job(fuzz)


async def test_bridge_account_form_fuzz(hass: HomeAssistant, sim: CarrierSim) -> None:
    """The bridge account form: hostile tokens and addresses (on the loopback simulator)."""

    async def check(url: str, token: str) -> None:
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        flow_id = result["flow_id"]
        await hass.config_entries.flow.async_configure(flow_id, {"next_step_id": "http_bridge"})
        try:
            result = await hass.config_entries.flow.async_configure(
                flow_id, {"url": url, "token": token}
            )
        except InvalidData, vol.Invalid:
            pass
        else:
            assert result["type"] is FlowResultType.FORM, result
            assert set(result["errors"].values()) <= FLOW_ERRORS
            if result["step_id"] == "http_bridge":
                assert result["errors"]
        _abort_all(hass)
        assert not hass.config_entries.async_entries(DOMAIN)
        FIGURES["inputs fuzzed"] += 1

    @SEEDED
    @given(
        st.one_of(
            NASTY_TEXT,
            NASTY_TEXT.map(lambda path: f"{sim.base_url}/{path}"),
            st.just(sim.base_url),
        ),
        NASTY_TEXT,
    )
    def fuzz(url: str, token: str) -> None:
        _in_loop(hass, check)(url, token)

    await hass.async_add_executor_job(fuzz)


# --- actions ------------------------------------------------------------------------------------


async def test_renew_action_fuzz(hass: HomeAssistant, sim: CarrierSim) -> None:
    """Renew with hostile amounts and methods: refused, translated, nothing recorded or charged."""
    sim.state.lines["line-1"].decline_reason = "card_declined"  # a valid amount charges nothing
    entry = await setup(hass, sim_entry("http_bridge", sim))
    engine = entry.runtime_data.renewals
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, SUB), entry.entry_id)
    assert device is not None

    async def check(data: dict[str, Any]) -> None:
        before = len(engine.history.records())
        try:
            await hass.services.async_call(
                DOMAIN, "renew", {"device_id": device.id, **data}, blocking=True
            )
        except vol.Invalid:
            assert len(engine.history.records()) == before
        except ServiceValidationError as err:
            assert err.translation_key in EXCEPTIONS, err  # noqa: PT017
            assert len(engine.history.records()) == before
        except HomeAssistantError as err:  # a valid request that the carrier declined
            assert err.translation_key == "renewal_declined", err  # noqa: PT017
        assert sim.state.charges_total == 0
        FIGURES["inputs fuzzed"] += 1

    @SEEDED
    @given(
        st.fixed_dictionaries(
            {},
            optional={
                "amount": NASTY,
                "payment_method": st.one_of(NASTY_TEXT, st.sampled_from(["card", "paypal"])),
                "paid_at": NASTY_DATETIME_TEXT,
            },
        )
    )
    def fuzz(data: dict[str, Any]) -> None:
        _in_loop(hass, check)(data)

    await hass.async_add_executor_job(fuzz)


async def test_set_balance_action_fuzz(hass: HomeAssistant) -> None:
    """set_balance on a Manual number: a hostile reading never lands in its records."""
    entry = await setup(hass, manual_entry())
    (subentry_id,) = entry.subentries
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, subentry_id), entry.entry_id
    )
    assert device is not None

    async def check(balance: Any, expiry: Any) -> None:
        before = dict(entry.subentries[subentry_id].data)
        data = {"device_id": device.id, "balance": balance}
        if expiry is not None:
            data["plan_expiry"] = expiry
        try:
            await hass.services.async_call(DOMAIN, "set_balance", data, blocking=True)
        except vol.Invalid:
            assert dict(entry.subentries[subentry_id].data) == before
        except ServiceValidationError as err:
            assert err.translation_key in EXCEPTIONS, err  # noqa: PT017
            assert dict(entry.subentries[subentry_id].data) == before
        FIGURES["inputs fuzzed"] += 1

    @SEEDED
    @given(NASTY, st.one_of(st.none(), NASTY_DATETIME_TEXT))
    def fuzz(balance: Any, expiry: Any) -> None:
        _in_loop(hass, check)(balance, expiry)

    await hass.async_add_executor_job(fuzz)


# --- carrier responses --------------------------------------------------------------------------

BRIDGE_LINE: dict[str, Any] = {
    "id": "line-1",
    "number": "+12015550100",
    "name": "Tello",
    "balance": {"amount": "5.00", "currency": "USD"},
    "plan_expiry": "2026-12-01T00:00:00+00:00",
    "last_activity": None,
    "status": "active",
    "auto_renew": True,
}
TWILIO_NUMBER: dict[str, Any] = {
    "sid": "PN1",
    "phone_number": "+12015550100",
    "friendly_name": "Office",
    "date_created": "Tue, 10 Jun 2025 15:30:00 +0000",
    "status": "in-use",
}
TELNYX_NUMBER: dict[str, Any] = {
    "id": "1001",
    "phone_number": "+12015550100",
    "status": "active",
    "connection_name": "Office",
    "purchased_at": "2025-06-10T15:30:00Z",
}
JSONISH = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        NASTY_NUMBER.filter(lambda x: not (isinstance(x, float) and math.isnan(x))),
        NASTY_TEXT,
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _mutate(template: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Return the template with one to three fields replaced by hostile values (or removed)."""
    return st.dictionaries(
        st.sampled_from(list(template)), st.one_of(JSONISH, st.just(...)), min_size=1, max_size=3
    ).map(
        lambda changes: {
            k: changes.get(k, v) for k, v in template.items() if changes.get(k, v) is not ...
        }
    )


def _body(value: Any) -> bytes:
    return json.dumps(value, default=str, allow_nan=True).encode("utf-8", "surrogatepass")


async def test_provider_response_fuzz(canned: Canned) -> None:
    """Every HTTP provider parses a hostile answer into data or raises InvalidResponseError."""
    async with aiohttp.ClientSession() as session:
        providers = {
            "bridge": HttpBridgeProvider(
                session, canned.base_url, "t", timeout=2, clock=fixed_clock
            ),
            "twilio": TwilioProvider(
                session,
                DEFAULT_TWILIO_ACCOUNT_SID,
                "s",
                base_url=canned.base_url,
                timeout=2,
                clock=fixed_clock,
            ),
            "telnyx": TelnyxProvider(
                session, "k", base_url=canned.base_url, timeout=2, clock=fixed_clock
            ),
        }
        loop = asyncio.get_running_loop()
        twilio = f"/2010-04-01/Accounts/{DEFAULT_TWILIO_ACCOUNT_SID}"

        async def check(kind: str, item: dict[str, Any], raw: bytes | None) -> None:
            if kind == "bridge":
                canned.set("/v1/lines", raw or _body({"data": [item], "next_cursor": None}))
            elif kind == "twilio":
                balance = {
                    "balance": "5.00",
                    "currency": "USD",
                    "account_sid": DEFAULT_TWILIO_ACCOUNT_SID,
                }
                canned.set(f"{twilio}/Balance.json", _body(balance))
                canned.set(
                    f"{twilio}/IncomingPhoneNumbers.json",
                    raw or _body({"incoming_phone_numbers": [item], "next_page_uri": None}),
                )
            else:
                canned.set("/v2/balance", _body({"data": {"balance": "5.00", "currency": "USD"}}))
                canned.set("/v2/payments/auto_recharge_prefs", _body({"data": {"enabled": True}}))
                canned.set(
                    "/v2/phone_numbers", raw or _body({"data": [item], "meta": {"total_pages": 1}})
                )
            with contextlib.suppress(InvalidResponseError):
                await providers[kind].async_fetch()
            FIGURES["inputs fuzzed"] += 1

        templates = {"bridge": BRIDGE_LINE, "twilio": TWILIO_NUMBER, "telnyx": TELNYX_NUMBER}

        @SEEDED
        @given(
            st.sampled_from(list(templates)).flatmap(
                lambda kind: st.tuples(
                    st.just(kind),
                    _mutate(templates[kind]),
                    st.one_of(st.none(), st.none(), JSONISH.map(_body), st.binary(max_size=64)),
                )
            )
        )
        def fuzz(case: tuple[str, dict[str, Any], bytes | None]) -> None:
            asyncio.run_coroutine_threadsafe(check(*case), loop).result(timeout=60)

        await loop.run_in_executor(None, fuzz)


@pytest.mark.parametrize("kind", ["http_bridge", "twilio", "telnyx"])
async def test_body_over_the_size_limit(hass: HomeAssistant, sim: CarrierSim, kind: str) -> None:
    """A carrier answer over the size limit.

    The poll fails as an invalid response, nothing raises, and the next normal answer brings the
    number back.
    """
    entry = await setup(hass, sim_entry(kind, sim))
    sim.state.lines["line-1"].name = "x" * 4096  # every answer now carries > 4 KiB
    provider = entry.runtime_data.provider
    provider._http._max_body = 2048  # type: ignore[attr-defined]
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(BALANCE).state == STATE_UNAVAILABLE  # type: ignore[union-attr]
    error = entry.runtime_data.coordinator.last_exception
    assert getattr(error, "translation_key", None) == "invalid_response"
    sim.state.lines["line-1"].name = "Line 1"
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()
    assert hass.states.get(BALANCE).state != STATE_UNAVAILABLE  # type: ignore[union-attr]
    FIGURES["inputs fuzzed"] += 1


# --- regressions found by the fuzzing above -----------------------------------------------------


@pytest.mark.parametrize("value", ["NaN", float("nan"), 2.5])
async def test_plan_override_not_a_whole_number(hass: HomeAssistant, value: Any) -> None:
    """The number selector lets "NaN" through as a float NaN; int() of it crashed the flow."""
    flow_id = await _manual_number_form(hass)
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {
            "number": "(202) 555-0188",
            "carrier": "ultra_paygo",
            "balance": "7.50",
            "plan_expiry": "2026-12-20",
            "plan": {"cycle_days": value},
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_plan"}
    assert not hass.config_entries.async_entries(DOMAIN)


async def test_renewal_days_not_a_whole_number(hass: HomeAssistant, sim: CarrierSim) -> None:
    """A number's settings form with auto-renew days "NaN": a form error, nothing stored."""
    entry = await setup(hass, sim_entry("http_bridge", sim))
    before = dict(entry.subentries[SUB].data)
    result = await entry.start_subentry_reconfigure_flow(hass, SUB)
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"],
        {
            "name": "Keeper",
            "carrier": "tello",
            "plan": {},
            "renewal": {"auto_renew": "days_before", "auto_renew_days": "NaN"},
        },
    )
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "invalid_lead_days"}
    assert dict(entry.subentries[SUB].data) == before
