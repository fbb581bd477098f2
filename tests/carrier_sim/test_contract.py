"""docs/bridge-protocol.yaml is the contract: the simulator serves it, the provider uses it."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from custom_components.esim_keeper.keeper.model import PaymentMethod
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers import _http
from custom_components.esim_keeper.keeper.providers.base import (
    PaymentDeclinedError,
    RenewalRequest,
)
from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from tests.carrier_sim.schema import errors, resolve
from tools.carrier_sim import DEFAULT_BRIDGE_TOKEN, CarrierSim

SPEC_PATH = Path(__file__).parents[2] / "docs" / "bridge-protocol.yaml"
AUTH = {"Authorization": f"Bearer {DEFAULT_BRIDGE_TOKEN}"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def operations(spec: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """OperationId -> (METHOD, path)."""
    found = {}
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                found[op["operationId"]] = (method.upper(), path)
    return found


def test_spec_shape(spec: dict[str, Any]) -> None:
    assert spec["openapi"].startswith("3.1")
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert all(path.startswith("/v1/") for path in spec["paths"])
    assert set(operations(spec)) == {
        "getAccount",
        "listLines",
        "getLine",
        "createRenewal",
        "getRenewal",
    }


def test_every_operation_is_served(spec: dict[str, Any]) -> None:
    sim = CarrierSim(lines=1)
    routes = {
        route.name: (route.method, route.resource.canonical)
        for route in sim.app.router.routes()
        if route.name and route.name.startswith("bridge.") and route.resource is not None
    }
    expected = {f"bridge.{op}": where for op, where in operations(spec).items()}
    assert routes == expected


def check(spec: dict[str, Any], op_id: str, status: int, body: object) -> None:
    method, path = operations(spec)[op_id]
    responses = spec["paths"][path][method.lower()]["responses"]
    key = str(status) if str(status) in responses else f"{str(status)[0]}XX"
    assert key in responses, f"{op_id}: HTTP {status} is not documented"
    response = resolve(spec, responses[key])
    schema = response["content"]["application/json"]["schema"]
    assert errors(spec, schema, body) == [], (op_id, status, body)


async def test_simulator_answers_match_schemas(
    spec: dict[str, Any], sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    """Check the answers schemathesis cannot provoke (test_schemathesis.py covers the rest).

    A key reused for another body, a decline, injected 429 and 503, revoked credentials.
    """
    base = sim.base_url

    async def call(op: str, method: str, path: str, **kw: Any) -> aiohttp.ClientResponse:
        headers = {**AUTH, **kw.pop("headers", {})}
        async with session.request(method, base + path, headers=headers, **kw) as resp:
            body = await resp.json()
            check(spec, op, resp.status, body)
            if resp.status == 429:
                assert resp.headers["Retry-After"]
            return resp

    body = {"amount": {"amount": "3.00", "currency": "USD"}, "method": "card"}
    key = {"Idempotency-Key": "k-1"}
    r = "/v1/lines/line-1/renewals"
    assert (await call("createRenewal", "POST", r, json=body, headers=key)).status == 201
    other = {**body, "method": "paypal"}
    assert (await call("createRenewal", "POST", r, json=other, headers=key)).status == 409
    sim.state.lines["line-1"].decline_reason = "card_declined"
    declined = await call("createRenewal", "POST", r, json=body, headers={"Idempotency-Key": "k2"})
    assert declined.status == 402
    await call("getRenewal", "GET", f"{r}/k2")
    sim.set_fault("bridge.getAccount", "429:2*1")
    assert (await call("getAccount", "GET", "/v1/account")).status == 429
    sim.set_fault("bridge.getAccount", "503*1")
    assert (await call("getAccount", "GET", "/v1/account")).status == 503
    sim.state.revoked.add("bridge")
    for op, path in (("getAccount", "/v1/account"), ("listLines", "/v1/lines")):
        assert (await call(op, "GET", path)).status == 401


async def test_provider_uses_every_operation(
    spec: dict[str, Any],
    sim: CarrierSim,
    session: aiohttp.ClientSession,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[object] = []
    real = _http.HttpClient.request

    async def spy(self: _http.HttpClient, method: str, path: str, **kw: Any) -> _http.JsonResponse:
        if kw.get("json_body") is not None:
            sent.append(kw["json_body"])
        return await real(self, method, path, **kw)

    monkeypatch.setattr(_http.HttpClient, "request", spy)
    provider = HttpBridgeProvider(session, sim.base_url, DEFAULT_BRIDGE_TOKEN, page_size=2)
    await provider.async_validate()
    await provider.async_fetch()
    await provider.async_fetch_line("line-1")
    for method in PaymentMethod:
        request = RenewalRequest("line-1", Money(Decimal("3.00"), "USD"), method, f"k-{method}")
        # carrier_balance may be short: declined, but the request was still well formed
        with contextlib.suppress(PaymentDeclinedError):
            await provider.async_renew(request)
    await provider.async_lookup_renewal("line-1", "k-card")
    used = {name.removeprefix("bridge.") for name in sim.state.requests}
    assert used == set(operations(spec))
    create = spec["components"]["schemas"]["RenewalCreate"]
    assert sent
    for body in sent:
        assert errors(spec, create, body) == []


def test_validator_catches_mistakes(spec: dict[str, Any]) -> None:
    line = {"$ref": "#/components/schemas/Line"}
    good = {"id": "a", "number": "+12025550101", "status": "active"}
    assert errors(spec, line, good) == []
    assert errors(spec, line, {**good, "status": "gone"})
    assert errors(spec, line, {**good, "number": "555"})
    assert errors(spec, line, {**good, "balance": {"amount": 3, "currency": "USD"}})
    assert errors(spec, line, {**good, "plan_expiry": "2026-01-01T00:00:00"})
    assert errors(spec, line, {"id": "a"})
    assert errors(spec, line, [])
    page = {"$ref": "#/components/schemas/LinePage"}
    assert errors(spec, page, {"data": [good, 5], "next_cursor": None})
    limit = {"type": "integer", "minimum": 1, "maximum": 500}
    assert errors(spec, limit, 0)
    assert errors(spec, limit, value=True)
    assert errors(spec, {"type": "number"}, 1.5) == []
    assert errors(
        spec,
        {"$ref": "#/components/schemas/Error"},
        {"error": {"code": "x", "message": "m"}, "x": 1},
    )
