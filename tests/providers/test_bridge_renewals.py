"""The HTTP bridge client and renewals whose outcome is not known yet.

Against the simulator over 127.0.0.1: a timeout stays unknown, a pending key is PENDING (never "not
charged"), repeating the same key never charges twice, and a late commit is found by the lookup.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
import json
import time

import aiohttp
import pytest

from custom_components.esim_keeper.keeper.model import PaymentMethod
from custom_components.esim_keeper.keeper.money import Money
from custom_components.esim_keeper.keeper.providers.base import (
    InvalidResponseError,
    PaymentDeclinedError,
    ProviderConnectionError,
    RenewalRequest,
    RenewalStatus,
)
from custom_components.esim_keeper.keeper.providers.http_bridge import HttpBridgeProvider
from tests.carrier_sim.fixtures import Canned, fixed_clock
from tools.carrier_sim import DEFAULT_BRIDGE_TOKEN, CarrierSim

TIMEOUT = 0.2  # the client's request timeout in these tests (production: 20 s)
LATE = 1.5  # the simulated carrier answers after this: well past TIMEOUT


def bridge(session: aiohttp.ClientSession, url: str) -> HttpBridgeProvider:
    return HttpBridgeProvider(
        session, url, DEFAULT_BRIDGE_TOKEN, timeout=TIMEOUT, clock=fixed_clock
    )


def renewal(key: str, amount: str = "3.00") -> RenewalRequest:
    return RenewalRequest(
        line_id="line-1",
        amount=Money(Decimal(amount), "USD"),
        method=PaymentMethod.CARD,
        idempotency_key=key,
    )


async def finished(sim: CarrierSim, key: str, within: float = 10.0) -> None:
    """Wait (real time) until the simulator's carrier has answered ``key``."""
    deadline = time.monotonic() + within
    while (found := sim.state.renewals.get(key)) is None or found.status == "pending":
        assert time.monotonic() < deadline, f"{key} never finished"
        await asyncio.sleep(0.05)


async def test_commit_late_is_pending_until_the_carrier_commits_once(
    sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault("bridge.createRenewal", f"commit_late:{LATE}*1")
    with pytest.raises(ProviderConnectionError, match="no answer in time"):
        await provider.async_renew(renewal("late-1"))
    found = await provider.async_lookup_renewal("line-1", "late-1")
    assert found is not None
    assert (found.status, found.idempotency_key) == (RenewalStatus.PENDING, "late-1")
    again = await provider.async_renew(renewal("late-1"))  # same key: 202, no second charge
    assert (again.status, again.idempotency_key) == (RenewalStatus.PENDING, "late-1")
    assert sim.state.charges_total == 0
    await finished(sim, "late-1")
    assert sim.state.charges_total == 1
    found = await provider.async_lookup_renewal("line-1", "late-1")
    assert found is not None
    assert found.status is RenewalStatus.SUCCEEDED
    assert found.amount == Money(Decimal("3.00"), "USD")
    settled = await provider.async_renew(renewal("late-1"))  # 200: the first result
    assert settled.status is RenewalStatus.SUCCEEDED
    assert settled.reference == found.reference
    assert sim.state.charges_total == 1
    assert sim.state.lines["line-1"].charges == 1
    assert sim.state.requests["bridge.createRenewal"] == 3


async def test_hang_up_during_latency_still_commits(
    sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault("bridge.createRenewal", "latency:0.8*1")
    with pytest.raises(ProviderConnectionError):
        await provider.async_renew(renewal("slow-1"))
    # Not received (yet): None, which the caller must not read as "not charged" this early.
    assert await provider.async_lookup_renewal("line-1", "slow-1") is None
    await finished(sim, "slow-1")  # the handler survived the client's hang-up
    found = await provider.async_lookup_renewal("line-1", "slow-1")
    assert found is not None
    assert found.status is RenewalStatus.SUCCEEDED
    assert sim.state.charges_total == 1


async def test_late_commit_declined_is_declined_on_lookup(
    sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault("bridge.createRenewal", f"commit_late:{LATE}*1")
    with pytest.raises(ProviderConnectionError):
        await provider.async_renew(renewal("late-2"))
    pending = await provider.async_lookup_renewal("line-1", "late-2")
    assert pending is not None
    assert pending.status is RenewalStatus.PENDING
    sim.state.lines["line-1"].decline_reason = "card_declined"
    await finished(sim, "late-2")
    found = await provider.async_lookup_renewal("line-1", "late-2")
    assert found is not None
    assert (found.status, found.decline_reason) == (RenewalStatus.DECLINED, "card_declined")
    with pytest.raises(PaymentDeclinedError) as err:  # the same key again: declined again
        await provider.async_renew(renewal("late-2"))
    assert err.value.reason == "card_declined"
    assert sim.state.charges_total == 0


async def test_key_reused_with_another_amount_is_refused(
    sim: CarrierSim, session: aiohttp.ClientSession
) -> None:
    provider = bridge(session, sim.base_url)
    sim.set_fault("bridge.createRenewal", f"commit_late:{LATE}*1")
    with pytest.raises(ProviderConnectionError):
        await provider.async_renew(renewal("reuse-1"))
    with pytest.raises(InvalidResponseError, match="idempotency_conflict"):  # 409 in flight
        await provider.async_renew(renewal("reuse-1", "4.00"))
    await finished(sim, "reuse-1")
    with pytest.raises(InvalidResponseError, match="idempotency_conflict"):  # 409 finished
        await provider.async_renew(renewal("reuse-1", "4.00"))
    assert sim.state.charges_total == 1


def _renewal_body(key: str, status: str) -> str:
    return json.dumps(
        {
            "id": "rn_9",
            "idempotency_key": key,
            "line_id": "line-1",
            "status": status,
            "amount": {"amount": "3.00", "currency": "USD"},
            "method": "card",
            "created_at": "2026-03-15T12:00:00Z",
            "decline_reason": None,
        }
    )


@pytest.mark.parametrize("claimed", ["pending", "succeeded", "declined"])
async def test_a_202_answer_is_pending_whatever_its_body_says(
    canned: Canned, session: aiohttp.ClientSession, claimed: str
) -> None:
    canned.set("/v1/lines/line-1/renewals", _renewal_body("k-202", claimed), status=202)
    result = await bridge(session, canned.base_url).async_renew(renewal("k-202"))
    assert (result.status, result.idempotency_key) == (RenewalStatus.PENDING, "k-202")


async def test_answers_for_another_key_are_refused(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    provider = bridge(session, canned.base_url)
    canned.set("/v1/lines/line-1/renewals", _renewal_body("other", "pending"), status=202)
    with pytest.raises(InvalidResponseError, match="different renewal"):
        await provider.async_renew(renewal("mine"))
    canned.set("/v1/lines/line-1/renewals/mine", _renewal_body("other", "pending"))
    with pytest.raises(InvalidResponseError, match="different renewal"):
        await provider.async_lookup_renewal("line-1", "mine")


async def test_pending_lookup_and_404(canned: Canned, session: aiohttp.ClientSession) -> None:
    provider = bridge(session, canned.base_url)
    canned.set("/v1/lines/line-1/renewals/k-1", _renewal_body("k-1", "pending"))
    found = await provider.async_lookup_renewal("line-1", "k-1")
    assert found is not None
    assert found.status is RenewalStatus.PENDING
    canned.set(
        "/v1/lines/line-1/renewals/k-2",
        '{"error": {"code": "not_found", "message": "no renewal with this key"}}',
        status=404,
    )
    assert await provider.async_lookup_renewal("line-1", "k-2") is None
