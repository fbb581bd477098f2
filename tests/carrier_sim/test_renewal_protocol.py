"""Renewals in flight, over real HTTP on 127.0.0.1.

The simulator records a key as pending before it "calls the carrier", answers 202 pending while it
is in flight, commits once after the client has gone, and every answer matches
docs/bridge-protocol.yaml.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
import time
from typing import Any

import aiohttp
import pytest
import yaml

from custom_components.esim_keeper.keeper.providers.base import REQUEST_TIMEOUT
from tests.carrier_sim.fixtures import NOW
from tests.carrier_sim.schema import errors, resolve
from tools.carrier_sim import (
    DEFAULT_BRIDGE_TOKEN,
    CarrierSim,
    FaultKind,
    FaultSpecError,
    SimState,
    parse_fault,
)
from tools.carrier_sim.__main__ import parse_args
from tools.carrier_sim.faults import COMMIT_LATE_SECONDS

SPEC_PATH = Path(__file__).parents[2] / "docs" / "bridge-protocol.yaml"
AUTH = {"Authorization": f"Bearer {DEFAULT_BRIDGE_TOKEN}"}
RENEWALS = "/v1/lines/line-1/renewals"
BODY = {"amount": {"amount": "3.00", "currency": "USD"}, "method": "card"}
CLIENT_TIMEOUT = 0.2  # the client gives up after this
LATE = 1.5  # the simulated carrier answers after this: well past CLIENT_TIMEOUT
PATHS = {
    "createRenewal": ("/v1/lines/{line_id}/renewals", "post"),
    "getRenewal": ("/v1/lines/{line_id}/renewals/{idempotency_key}", "get"),
}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return data


def check(spec: dict[str, Any], op_id: str, status: int, body: object) -> None:
    """Check the answer's status is documented for the operation and its body matches the schema."""
    path, method = PATHS[op_id]
    responses = spec["paths"][path][method]["responses"]
    assert str(status) in responses, f"{op_id}: HTTP {status} is not documented"
    schema = resolve(spec, responses[str(status)])["content"]["application/json"]["schema"]
    assert errors(spec, schema, body) == [], (op_id, status, body)


class Client:
    """Raw protocol calls; every answer is checked against the spec."""

    def __init__(self, session: aiohttp.ClientSession, sim: CarrierSim, spec: dict[str, Any]):
        self.session, self.sim, self.spec = session, sim, spec

    async def create(
        self, key: str, body: dict[str, Any] = BODY, patience: float | None = None
    ) -> tuple[int, Any]:
        async with self.session.post(
            self.sim.base_url + RENEWALS,
            json=body,
            headers={**AUTH, "Idempotency-Key": key},
            timeout=aiohttp.ClientTimeout(total=patience),
        ) as resp:
            data = await resp.json()
        check(self.spec, "createRenewal", resp.status, data)
        return resp.status, data

    async def create_times_out(self, key: str, body: dict[str, Any] = BODY) -> None:
        with pytest.raises(TimeoutError):
            await self.create(key, body, patience=CLIENT_TIMEOUT)

    async def lookup(self, key: str) -> tuple[int, Any]:
        async with self.session.get(f"{self.sim.base_url}{RENEWALS}/{key}", headers=AUTH) as resp:
            data = await resp.json()
        check(self.spec, "getRenewal", resp.status, data)
        return resp.status, data


@pytest.fixture
def client(sim: CarrierSim, session: aiohttp.ClientSession, spec: dict[str, Any]) -> Client:
    return Client(session, sim, spec)


async def finished(sim: CarrierSim, key: str, within: float = 10.0) -> str:
    """Wait (real time) until the simulator has finished ``key``; its final status."""
    deadline = time.monotonic() + within
    while (renewal := sim.state.renewals.get(key)) is None or renewal.status == "pending":
        assert time.monotonic() < deadline, f"{key} never finished"
        await asyncio.sleep(0.05)
    return renewal.status


def test_spec_documents_a_key_in_flight(spec: dict[str, Any]) -> None:
    create = spec["paths"][PATHS["createRenewal"][0]]["post"]
    assert {"200", "201", "202", "402", "409"} <= set(create["responses"])
    assert create["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Renewal"
    }
    assert "pending" in create["responses"]["202"]["description"]
    assert "pending" in spec["components"]["schemas"]["Renewal"]["properties"]["status"]["enum"]
    lookup = spec["paths"][PATHS["getRenewal"][0]]["get"]
    assert "(yet)" in lookup["responses"]["404"]["description"]
    assert "grace period" in " ".join(lookup["description"].split())
    intro = " ".join(spec["info"]["description"].split())
    assert "*before* it calls the carrier" in intro
    assert "same key again" in intro


async def test_commit_late_is_pending_then_charged_exactly_once(
    sim: CarrierSim, client: Client
) -> None:
    sim.set_fault("bridge.createRenewal", f"commit_late:{LATE}*1")
    await client.create_times_out("late-1")
    # The key was recorded before the carrier call: a lookup right away says pending, not 404.
    status, body = await client.lookup("late-1")
    assert (status, body["status"], body["idempotency_key"]) == (200, "pending", "late-1")
    # A repeat of the key in flight answers 202 pending and charges nothing.
    status, body = await client.create("late-1")
    assert (status, body["status"]) == (202, "pending")
    assert sim.state.charges_total == 0
    assert sim.state.to_json()["renewals_by_status"] == {
        "pending": 1,
        "succeeded": 0,
        "declined": 0,
    }
    # The handler outlives its client and commits after the delay: once.
    assert await finished(sim, "late-1") == "succeeded"
    assert sim.state.charges_total == 1
    assert sim.state.lines["line-1"].charges == 1
    status, body = await client.lookup("late-1")
    assert (status, body["status"]) == (200, "succeeded")
    status, body = await client.create("late-1")  # a repeat of a finished key: the first result
    assert (status, body["status"], body["id"]) == (200, "succeeded", "rn_1")
    assert sim.state.charges_total == 1
    assert sim.state.requests["bridge.createRenewal"] == 3
    assert sim.state.to_json()["renewals_by_status"]["succeeded"] == 1


async def test_client_hang_up_during_latency_still_commits(sim: CarrierSim, client: Client) -> None:
    sim.set_fault("bridge.createRenewal", "latency:0.8*1")
    await client.create_times_out("slow-1")
    # The request has arrived, but the bridge has not recorded the key yet: 404 = not received
    # (yet), which is why a client must not read an early 404 as "not charged".
    status, body = await client.lookup("slow-1")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert await finished(sim, "slow-1") == "succeeded"  # the handler survived the hang-up
    assert sim.state.charges_total == 1
    status, body = await client.lookup("slow-1")
    assert (status, body["status"]) == (200, "succeeded")


async def test_late_commit_declined_by_the_line_is_declined_on_lookup(
    sim: CarrierSim, client: Client
) -> None:
    sim.set_fault("bridge.createRenewal", f"commit_late:{LATE}*1")
    await client.create_times_out("late-2")
    assert (await client.lookup("late-2"))[1]["status"] == "pending"
    # The carrier decides when it answers, by the line's rules at that moment.
    sim.state.lines["line-1"].decline_reason = "card_declined"
    assert await finished(sim, "late-2") == "declined"
    status, body = await client.lookup("late-2")
    assert (status, body["status"], body["decline_reason"]) == (200, "declined", "card_declined")
    sim.state.lines["line-1"].decline_reason = None
    status, body = await client.create("late-2")  # a repeat of a declined key: 402 again
    assert (status, body["error"]["reason"]) == (402, "card_declined")
    assert sim.state.charges_total == 0
    assert sim.state.lines["line-1"].charges == 0


async def test_key_reused_with_another_amount_is_409(sim: CarrierSim, client: Client) -> None:
    other = {**BODY, "amount": {"amount": "4.00", "currency": "USD"}}
    sim.set_fault("bridge.createRenewal", f"commit_late:{LATE}*1")
    await client.create_times_out("reuse-1")
    status, body = await client.create("reuse-1", other)  # while in flight
    assert (status, body["error"]["code"]) == (409, "idempotency_conflict")
    assert await finished(sim, "reuse-1") == "succeeded"
    status, _ = await client.create("reuse-1", other)  # and after it finished
    assert status == 409
    status, _ = await client.create("reuse-1", {**BODY, "method": "paypal"})
    assert status == 409
    assert sim.state.charges_total == 1
    assert sim.state.renewals["reuse-1"].amount == Decimal("3.00")


async def test_a_waiting_client_gets_the_late_answer(sim: CarrierSim, client: Client) -> None:
    sim.set_fault("bridge.createRenewal", "commit_late:0.3*1")
    status, body = await client.create("patient-1", patience=10)
    assert (status, body["status"]) == (201, "succeeded")
    assert sim.state.charges_total == 1


async def test_commit_late_on_other_routes_is_latency(sim: CarrierSim, client: Client) -> None:
    sim.set_fault("bridge.getRenewal", "commit_late:0.3*1")
    started = time.monotonic()
    status, _ = await client.lookup("nothing")
    assert status == 404
    assert time.monotonic() - started >= 0.3


async def test_stop_does_not_hang_on_late_commits(
    socket_enabled: None, session: aiohttp.ClientSession
) -> None:
    sim = CarrierSim(lines=1, clock=lambda: NOW)
    await sim.start("127.0.0.1", 0)
    sim.set_fault("bridge.createRenewal", "commit_late")  # 30 s: far longer than stop may take
    url = sim.base_url + "/v1/lines/line-1/renewals"
    with pytest.raises(TimeoutError):  # a client that gave up
        await session.post(
            url,
            json=BODY,
            headers={**AUTH, "Idempotency-Key": "gone"},
            timeout=aiohttp.ClientTimeout(total=CLIENT_TIMEOUT),
        )

    async def waiting() -> int:  # and one still waiting for its answer
        async with session.post(url, json=BODY, headers={**AUTH, "Idempotency-Key": "here"}) as r:
            return r.status

    patient = asyncio.create_task(waiting())
    for _ in range(500):  # until the waiting request has reached the "carrier"
        if "here" in sim.state.renewals:
            break
        await asyncio.sleep(0.01)
    assert "here" in sim.state.renewals
    started = time.monotonic()
    await sim.stop()
    assert time.monotonic() - started < 3
    with pytest.raises(aiohttp.ClientError):
        await patient
    # The bridge stopped while the carrier calls were in flight: both keys stay pending.
    assert {key: r.status for key, r in sim.state.renewals.items()} == {
        "gone": "pending",
        "here": "pending",
    }
    assert sim.state.charges_total == 0


@pytest.mark.parametrize(
    ("text", "seconds", "remaining"),
    [("commit_late", COMMIT_LATE_SECONDS, None), ("commit_late:2.5*1", 2.5, 1)],
)
def test_commit_late_syntax(text: str, seconds: float, remaining: int | None) -> None:
    fault = parse_fault(text)
    assert (fault.kind, fault.seconds, fault.remaining) == (
        FaultKind.COMMIT_LATE,
        seconds,
        remaining,
    )
    assert COMMIT_LATE_SECONDS > REQUEST_TIMEOUT  # the default is past any client's timeout
    args = parse_args(["--fault", f"bridge.createRenewal={text}"])
    assert args.faults["bridge.createRenewal"].kind is FaultKind.COMMIT_LATE


@pytest.mark.parametrize("text", ["commit_late:x", "commit_late:-1", "commit_late*0"])
def test_commit_late_syntax_refused(text: str) -> None:
    with pytest.raises(FaultSpecError):
        parse_fault(text)


def test_state_records_pending_before_finishing() -> None:
    state = SimState.generate(1, seed=1, now=NOW)
    line = state.lines["line-1"]
    renewal, created = state.begin_renewal(line, "k", Decimal("3.00"), "USD", "card", NOW)
    assert (renewal.status, created, state.charges_total) == ("pending", True, 0)
    again, created = state.renew(line, "k", Decimal("3.00"), "USD", "card", NOW)
    assert (again is renewal, again.status, created) == (True, "pending", False)
    assert state.to_json()["renewals_by_status"] == {"pending": 1, "succeeded": 0, "declined": 0}
    state.finish_renewal(renewal, line, NOW)
    state.finish_renewal(renewal, line, NOW)  # finishing twice changes nothing
    assert (renewal.status, state.charges_total, line.charges) == ("succeeded", 1, 1)
    done, created = state.renew(line, "k2", Decimal("3.00"), "USD", "card", NOW)
    assert (done.status, created, state.charges_total) == ("succeeded", True, 2)
    assert state.to_json()["renewals"] == 2
