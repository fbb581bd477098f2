"""The shared request helper and field parsers: edge cases the providers' tests do not reach."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from decimal import Decimal
import logging

import aiohttp
from hypothesis import given, strategies as st
import pytest

from custom_components.esim_keeper.keeper.providers import _http
from custom_components.esim_keeper.keeper.providers.base import (
    AuthError,
    InvalidResponseError,
    ProviderError,
)
from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from tests.carrier_sim.fixtures import Canned
from tools.carrier_sim import DEFAULT_BRIDGE_TOKEN, CarrierSim

NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("12", 12.0),
        ("99999999", _http.MAX_RETRY_AFTER),
        ("Sun, 15 Mar 2026 12:00:30 GMT", 30.0),
        ("Sun, 15 Mar 2026 11:00:00 GMT", 0.0),
        ("15 Mar 2026 12:00:10 -0000", 10.0),
        ("soon", None),
        ("-5", None),
        ("x" * 100, None),
    ],
)
def test_retry_after(header: str | None, expected: float | None) -> None:
    assert _http.parse_retry_after(header, NOW) == expected


def test_retry_after_default_clock() -> None:
    assert _http.parse_retry_after("Thu, 01 Jan 1970 00:00:00 GMT") == 0.0


def test_helpers() -> None:
    assert _http.mask_number("+12025550101") == "…0101"
    assert _http.mask_number("123") == "…"
    assert _http.basic_auth("a", "b") == "Basic YTpi"
    assert _http.clamp_timeout(100) == 20.0
    for bad in (0, -1, True, "1"):
        with pytest.raises(ValueError, match="timeout"):
            _http.clamp_timeout(bad)  # type: ignore[arg-type]
    assert _http.decode_json(b'{"a": 1.5}', "x") == {"a": Decimal("1.5")}
    with pytest.raises(InvalidResponseError):
        _http.as_list({}, "x")
    with pytest.raises(InvalidResponseError, match="missing"):
        _http.get_text({}, "k", "x")
    with pytest.raises(InvalidResponseError):
        _http.get_int({"k": True}, "k", "x", maximum=5)
    assert _http.get_int({"k": 5}, "k", "x", maximum=5) == 5
    with pytest.raises(InvalidResponseError):
        _http.parse_instant("2026-02-30T00:00:00Z", "x")
    with pytest.raises(InvalidResponseError):
        _http.parse_instant("2026-02-30", "x", UTC)  # type: ignore[arg-type]
    assert _http.parse_instant("2026-03-01t05:00:00z", "x") == datetime(2026, 3, 1, 5, tzinfo=UTC)
    with pytest.raises(InvalidResponseError):
        _http.parse_rfc2822(None, "x")


@given(st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.decimals(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
))  # fmt: skip
def test_parsers_raise_only_invalid_response(value: object) -> None:
    """Whatever a carrier sends, the parsers answer with a value or InvalidResponseError."""
    obj = {"k": value}
    for parse in (
        lambda: _http.get_text(obj, "k", "x", optional=True),
        lambda: _http.get_bool(obj, "k", "x"),
        lambda: _http.get_int(obj, "k", "x", maximum=10),
        lambda: _http.check_e164(value, "x"),
        lambda: _http.parse_instant(value, "x"),
        lambda: _http.parse_rfc2822(value, "x"),
        lambda: _http.parse_money(value, "USD", "x", allow_negative=False),
        lambda: _http.as_object(value, "x"),
    ):
        with contextlib.suppress(InvalidResponseError):
            parse()


@given(st.text(max_size=80))
def test_text_parsers_never_crash(text: str) -> None:
    for parse in (
        lambda: _http.parse_instant(text, "x", UTC),  # type: ignore[arg-type]
        lambda: _http.parse_rfc2822(text, "x"),
        lambda: _http.parse_money(text, text[:3], "x", allow_negative=True),
        lambda: _http.check_text(text, "x"),
        lambda: _http.parse_retry_after(text, NOW),
    ):
        with contextlib.suppress(ProviderError):
            parse()


async def test_content_length_limit(canned: Canned, session: aiohttp.ClientSession) -> None:
    canned.set("/big", b"[" + b"0," * 2000 + b"0]")
    client = _http.HttpClient(session, canned.base_url, name="t", max_body=1000)
    with pytest.raises(InvalidResponseError, match="too large"):
        await client.request("GET", "/big", what="big")
    canned.chunked.add("/big")
    with pytest.raises(InvalidResponseError, match="too large"):
        await client.request("GET", "/big", what="big")
    canned.set("/small", b"[" + b"0," * 300 + b"0]")
    canned.chunked.add("/small")
    assert len((await client.request("GET", "/small", what="small")).data) == 301  # type: ignore[arg-type]


async def test_links_stay_on_host(session: aiohttp.ClientSession) -> None:
    client = _http.HttpClient(session, "http://127.0.0.1:9/api/", name="t")
    assert client.url("/x") == "http://127.0.0.1:9/api/x"
    assert client.url("http://127.0.0.1:9/api/y") == "http://127.0.0.1:9/api/y"
    with pytest.raises(InvalidResponseError):
        client.url("http://127.0.0.1:9/apiother")


async def test_accepted_status_with_empty_body(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    canned.set("/gone", b"", status=404)
    canned.set("/empty", b"", status=204)
    client = _http.HttpClient(session, canned.base_url, name="t")
    assert (await client.request("GET", "/gone", what="g", accept=(404,))).data is None
    assert (await client.request("GET", "/empty", what="e")).data is None


async def test_logs_hold_no_secrets(
    sim: CarrierSim, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = HttpBridgeProvider(session, sim.base_url, DEFAULT_BRIDGE_TOKEN, timeout=0.2)
    data = await provider.async_fetch()
    sim.state.revoked.add("bridge")
    with pytest.raises(AuthError) as err:
        await provider.async_fetch()
    text = caplog.text + str(err.value)
    assert "HTTP 200" in caplog.text
    assert DEFAULT_BRIDGE_TOKEN not in text
    for line in data.lines.values():
        assert line.number not in text


@pytest.mark.parametrize("value", ["¹", "١٢", "²⁰"])
def test_retry_after_with_non_ascii_digits_is_ignored(value: str) -> None:
    """str.isdigit() accepts these, int() does not: found by the property test above."""
    assert _http.parse_retry_after(value, NOW) is None
