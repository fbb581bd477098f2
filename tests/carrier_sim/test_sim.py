"""The simulator itself: fault syntax, control API, auth, idempotency, command line."""

from __future__ import annotations

import asyncio
import sys

import aiohttp
import pytest

from tools.carrier_sim import (
    DEFAULT_TWILIO_ACCOUNT_SID,
    CarrierSim,
    FaultKind,
    FaultSpecError,
    parse_assignment,
    parse_fault,
)
from tools.carrier_sim.__main__ import parse_args


@pytest.mark.parametrize(
    ("spec", "kind", "attrs"),
    [
        ("latency:0.5", FaultKind.LATENCY, {"seconds": 0.5}),
        ("503", FaultKind.ERROR, {"status": 503}),
        ("error:502*2", FaultKind.ERROR, {"status": 502, "remaining": 2}),
        ("429", FaultKind.RATE_LIMIT, {"seconds": 1.0, "retry_after_date": False}),
        ("429:5", FaultKind.RATE_LIMIT, {"seconds": 5.0}),
        ("429:date", FaultKind.RATE_LIMIT, {"seconds": 1.0, "retry_after_date": True}),
        ("429:date:9", FaultKind.RATE_LIMIT, {"seconds": 9.0}),
        ("malformed", FaultKind.MALFORMED, {}),
        ("truncate", FaultKind.TRUNCATE, {}),
        ("drop*1", FaultKind.DROP, {"remaining": 1}),
        ("commit_drop", FaultKind.COMMIT_DROP, {}),
    ],
)
def test_parse_fault(spec: str, kind: FaultKind, attrs: dict[str, object]) -> None:
    fault = parse_fault(spec)
    assert fault.kind is kind
    for name, value in attrs.items():
        assert getattr(fault, name) == value


@pytest.mark.parametrize(
    "spec",
    ["", "latency:x", "latency:-1", "404", "error:abc", "drop*0", "drop*x", "boom", "drop:1"],
)
def test_parse_fault_refuses(spec: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_fault(spec)


def test_parse_assignment_and_args() -> None:
    assert parse_assignment(" bridge.listLines = 503 ")[0] == "bridge.listLines"
    with pytest.raises(FaultSpecError):
        parse_assignment("503")
    args = parse_args(["--port", "0", "--lines", "5", "--fault", "*=latency:0.1"])
    assert args.port == 0
    assert args.host == "127.0.0.1"
    assert args.faults["*"].kind is FaultKind.LATENCY
    with pytest.raises(SystemExit):
        parse_args(["--fault", "x=nonsense"])


async def test_control_api(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    url = sim.base_url + "/_sim"

    async def post(path: str, body: object = None) -> tuple[int, object]:
        async with session.post(url + path, json=body) as resp:
            return resp.status, await resp.json() if resp.status == 200 else await resp.text()

    status, faults = await post("/faults", {"faults": {"*": "503*2", "twilio.balance": "drop"}})
    assert status == 200
    assert faults == {
        "*": {"spec": "503*2", "kind": "error", "remaining": 2},
        "twilio.balance": {"spec": "drop", "kind": "drop", "remaining": None},
    }
    async with session.get(sim.base_url + "/v1/account") as resp:
        assert resp.status == 503  # "*" applies before auth
    assert (await post("/faults", {"faults": {"twilio.balance": None}}))[1] == {
        "*": {"spec": "503*2", "kind": "error", "remaining": 1}
    }
    assert (await post("/faults", {"clear": True}))[1] == {}
    assert (await post("/faults", {"faults": {"x": "bad"}}))[0] == 400
    assert (await post("/faults", {"faults": {"x": 5}}))[0] == 400
    assert (await post("/faults", {"faults": []}))[0] == 400
    assert (await post("/faults", [1]))[0] == 400
    async with session.post(url + "/faults", data=b"{nope") as resp:
        assert resp.status == 400

    status, line = await post(
        "/lines/line-1",
        {
            "balance": "7.50",
            "status": "suspended",
            "plan_expiry": "2026-05-01T00:00:00+00:00",
            "decline_reason": "card_declined",
            "auto_renew": None,
            "name": "Renamed",
        },
    )
    assert status == 200
    assert isinstance(line, dict)
    assert line["balance"] == {"amount": "7.50", "currency": "USD"}
    assert line["status"] == "suspended"
    assert line["auto_renew"] is None
    assert sim.state.lines["line-1"].decline_reason == "card_declined"
    await post("/lines/line-1", {"decline_reason": None, "auto_renew": True})
    assert sim.state.lines["line-1"].decline_reason is None
    for bad in ({"balance": "abc"}, {"balance": "NaN"}, {"status": "x"}, {"plan_expiry": "x"}):
        assert (await post("/lines/line-1", bad))[0] == 400
    assert (await post("/lines/nope", {}))[0] == 404

    status, state = await post("/account", {"balance": "1.23", "auto_recharge": False})
    assert isinstance(state, dict)
    assert state["account_balance"] == "1.23"
    assert sim.state.auto_recharge_enabled is False

    assert (await post("/auth", {"provider": "twilio"}))[1] == {"revoked": ["twilio"]}
    assert (await post("/auth", {"revoked": True}))[1] == {
        "revoked": ["bridge", "telnyx", "twilio"]
    }
    assert (await post("/auth", {"provider": "all", "revoked": False}))[1] == {"revoked": []}
    assert (await post("/auth", {"provider": "x"}))[0] == 400

    async with session.get(url + "/state") as resp:
        state = await resp.json()
    assert state["requests"] == {"bridge.getAccount": 1}
    assert state["lines"]["line-1"]["balance"] == "7.50"

    status, state = await post("/reset", {"lines": 5, "seed": 3})
    assert isinstance(state, dict)
    assert len(sim.state.lines) == 5
    assert sim.state.requests == {}
    assert (await post("/reset", {"lines": "many"}))[0] == 400
    async with session.post(url + "/reset") as resp:
        assert resp.status == 200


async def test_twilio_auth_edge_cases(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    path = f"{sim.base_url}/2010-04-01/Accounts/{DEFAULT_TWILIO_ACCOUNT_SID}/Balance.json"
    for header in ("Basic !!!", "Bearer x", "Basic " + "//79"):
        async with session.get(path, headers={"Authorization": header}) as resp:
            assert resp.status == 401
            assert (await resp.json())["code"] == 20003
    async with session.get(path + "/../IncomingPhoneNumbers.json?PageSize=0") as resp:
        assert resp.status == 401


async def test_paging_params_checked(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    sim.state.revoked.clear()
    from custom_components.esim_keeper.keeper.providers._http import basic_auth
    from tools.carrier_sim import DEFAULT_TELNYX_API_KEY, DEFAULT_TWILIO_AUTH_TOKEN

    twilio = {"Authorization": basic_auth(DEFAULT_TWILIO_ACCOUNT_SID, DEFAULT_TWILIO_AUTH_TOKEN)}
    path = f"{sim.base_url}/2010-04-01/Accounts/{DEFAULT_TWILIO_ACCOUNT_SID}"
    async with session.get(f"{path}/IncomingPhoneNumbers.json?PageSize=0", headers=twilio) as r:
        assert r.status == 400
    telnyx = {"Authorization": f"Bearer {DEFAULT_TELNYX_API_KEY}"}
    async with session.get(f"{sim.base_url}/v2/phone_numbers?page[size]=999", headers=telnyx) as r:
        assert r.status == 400
    async with session.get(f"{sim.base_url}/v1/lines?cursor=zz", headers={}) as r:
        assert r.status == 401


async def test_bad_cursor_and_bodies(sim: CarrierSim, session: aiohttp.ClientSession) -> None:
    from tools.carrier_sim import DEFAULT_BRIDGE_TOKEN

    auth = {"Authorization": f"Bearer {DEFAULT_BRIDGE_TOKEN}"}
    async with session.get(f"{sim.base_url}/v1/lines?cursor=zz", headers=auth) as r:
        assert r.status == 400
    url = f"{sim.base_url}/v1/lines/line-1/renewals"
    headers = {**auth, "Idempotency-Key": "k"}
    for body in (b"[]", b"{", b'{"amount": {"amount": "x", "currency": "USD"}, "method": "card"}',
                 b'{"amount": {"amount": "-1", "currency": "USD"}, "method": "card"}'):  # fmt: skip
        async with session.post(url, data=body, headers=headers) as r:
            assert r.status == 422, body
    sim.state.lines["line-1"].status = "deleted"
    ok = {"amount": {"amount": "1.00", "currency": "USD"}, "method": "card"}
    async with session.post(url, json=ok, headers=headers) as r:
        assert r.status == 402
        assert (await r.json())["error"]["reason"] == "line_deleted"


async def test_command_line_server(socket_enabled: None) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tools.carrier_sim", "--port", "0", "--lines", "2",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = (await asyncio.wait_for(proc.stdout.readline(), 10)).decode()
        base_url = line.split(" on ")[1].split(" ")[0]
        async with aiohttp.ClientSession() as session, session.get(base_url + "/_sim/state") as r:
            assert len((await r.json())["lines"]) == 2
    finally:
        proc.terminate()
        await proc.wait()
