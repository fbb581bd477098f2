"""Chaos renewals.

Seeded random sequences of renewals against the carrier simulator with faults injected ("commit then
drop", drops, timeouts whose handler commits after the client gave up, "commit late" with the key
pending meanwhile, 5xx, 429, declines, lookups that fail), concurrent presses, Renew-now buttons,
auto-renew, Home Assistant restarts between steps (unload, then set up again from the persisted
Store) or in the middle of a payment (the call is cut off), reloads in the middle of a payment
(options, reconfigure and reauth all reload), and a full disk.

After every sequence the books must balance: the carrier's charges equal the history's successful
attempts (key for key), no renewal is charged twice, and no history record is lost. The counts are
printed at the end of the run ("reliability figures").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from decimal import Decimal
import random
from typing import Any
from unittest.mock import patch

from homeassistant.components.button import DOMAIN as BUTTON_DOMAIN, SERVICE_PRESS
from homeassistant.const import ATTR_ENTITY_ID, Platform
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr
from homeassistant.util import dt as dt_util
from homeassistant.util.file import WriteError
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import DOMAIN
from custom_components.esim_keeper.history import AttemptStatus, PaymentHistory
from custom_components.esim_keeper.keeper.providers.base import RenewalRequest, RenewalResult
from custom_components.esim_keeper.payments import payment_state
from custom_components.esim_keeper.renewal import EVENT_RENEWAL
from tools.carrier_sim import CarrierSim, SimState

from .accounts import SUB, load, setup, sim_entry
from .conftest import CHAOS_SEQUENCES, FIGURES, SLOW

CHUNK = 50  # sequences per test (one Home Assistant each)
RETRIES = 3  # polls that may time out on a loaded machine before a lookup settles
# Faults on the payment call: (createRenewal spec, getRenewal spec) per name.
PAY_FAULTS: dict[str, tuple[str | None, str | None]] = {
    "none": (None, None),
    "commit then drop": ("commit_drop*1", None),
    "commit then drop, lookups fail": ("commit_drop*1", "503*2"),
    "drop": ("drop*1", None),
    "timeout": (f"latency:{SLOW}*1", None),
    "commit late": (f"commit_late:{SLOW}*1", None),
    "commit late, lookups fail": (f"commit_late:{SLOW}*1", "503*1"),
    "5xx": ("503*1", None),
    "429": ("429:1*1", None),
    "malformed": ("malformed*1", None),
    "decline": (None, None),  # the line declines every method
}
STEPS = (
    "press",
    "press",
    "press",
    "concurrent",
    "button",
    "auto",
    "poll",
    "restart",
    "crash",
    "reload",
    "disk full",
)


_ENTRY = ["chaos-0"]  # the entry of the running sequence
_ENTRY_SIM: list[CarrierSim] = []  # the simulator of the running test


class Books:
    """What one sequence saw: every renewal id ever on record."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def note(self, history: PaymentHistory) -> None:
        self.seen.update(r.renewal_id for r in history.records())


def _engine(entry: MockConfigEntry) -> Any:
    return entry.runtime_data.renewals


async def _renew(hass: HomeAssistant) -> None:
    device = dr.async_get(hass).async_get_device_by_identifier((DOMAIN, SUB), _ENTRY[0])
    assert device is not None
    await hass.services.async_call(DOMAIN, "renew", {"device_id": device.id}, blocking=True)


async def _press(hass: HomeAssistant) -> None:
    await hass.services.async_call(
        BUTTON_DOMAIN, SERVICE_PRESS, {ATTR_ENTITY_ID: "button.keeper_renew_now"}, blocking=True
    )


async def _tolerant(call: Awaitable[None]) -> str:
    """Run an action; a translated refusal or failure is an outcome, anything else a bug."""
    try:
        await call
    except HomeAssistantError as err:
        assert err.translation_key, repr(err)  # noqa: PT017  # always translated
        return err.translation_key
    return "ok"


async def _restart(hass: HomeAssistant, entry: MockConfigEntry, books: Books) -> None:
    """Stop and start Home Assistant.

    Everything comes back from the persisted Store (what a process holds in memory, the payment
    state that outlives reloads included, is gone).
    """
    books.note(_engine(entry).history)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    state = payment_state(hass)
    state.histories.clear()
    state.locks.clear()
    await load(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    ids = {r.renewal_id for r in _engine(entry).history.records()}
    assert books.seen <= ids, f"records lost in a restart: {books.seen - ids}"
    FIGURES["chaos restarts"] += 1


async def _crash(hass: HomeAssistant, entry: MockConfigEntry, books: Books, commit: bool) -> None:
    """Home Assistant stops while the payment is in flight (sent and committed, or not)."""
    provider = entry.runtime_data.provider
    original: Callable[[RenewalRequest], Awaitable[RenewalResult]] = provider.async_renew
    in_flight = asyncio.Event()

    async def cut_off(request: RenewalRequest) -> RenewalResult:
        if commit:
            await original(request)
        in_flight.set()
        await asyncio.Event().wait()  # never answers: the process dies here
        raise AssertionError("unreachable")

    provider.async_renew = cut_off
    task = hass.async_create_task(_tolerant(_renew(hass)))
    waiter = asyncio.ensure_future(in_flight.wait())
    await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, waiter):
        pending.cancel()
    await asyncio.gather(task, waiter, return_exceptions=True)
    await _restart(hass, entry, books)


async def _reload_mid_payment(hass: HomeAssistant, entry: MockConfigEntry, books: Books) -> str:
    """Reload the account (a changed option) while a renewal is in flight at the carrier."""
    sim_fault = f"commit_late:{SLOW}*1"
    _ENTRY_SIM[0].set_fault("bridge.createRenewal", sim_fault)
    task = hass.async_create_task(_tolerant(_renew(hass)))
    await asyncio.sleep(0.02)  # the request has left
    await load(hass, entry, reload=True)
    outcome = await task
    await hass.async_block_till_done(wait_background_tasks=True)
    books.note(_engine(entry).history)
    FIGURES["chaos reloads mid-payment"] += 1
    return outcome


async def _disk_full(hass: HomeAssistant, sim: CarrierSim) -> None:
    """Fill the disk: a renewal is refused before anything is charged."""
    before = sim.state.charges_total
    with patch(
        "homeassistant.helpers.storage.Store._async_write_data",
        side_effect=WriteError("No space left on device"),
    ):
        outcome = await _tolerant(_renew(hass))
    # Refused: for want of a record on disk, or because an earlier payment is still open.
    assert outcome != "ok"
    assert sim.state.charges_total == before
    FIGURES["chaos disk-full refusals"] += 1


def _set_pay_fault(sim: CarrierSim, name: str) -> None:
    create, lookup = PAY_FAULTS[name]
    sim.state.faults.clear()
    if create is not None:
        sim.set_fault("bridge.createRenewal", create)
    if lookup is not None:
        sim.set_fault("bridge.getRenewal", lookup)
    sim.state.lines["line-1"].decline_reason = "card_declined" if name == "decline" else None


def _reset_sim(sim: CarrierSim, rng: random.Random) -> None:
    fresh = SimState.generate(2, rng.randrange(1000), dt_util.utcnow(), sim.state.tokens)
    for name in SimState.__slots__:
        setattr(sim.state, name, getattr(fresh, name))
    line = sim.state.lines["line-1"]
    line.balance = Decimal(rng.choice(("2.00", "20.00", "60.00")))  # 2.00: balance declines
    line.plan_expiry = (dt_util.utcnow() + timedelta(days=4)).replace(microsecond=0)
    line.expiry_as_date = False


async def _sequence(hass: HomeAssistant, sim: CarrierSim, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    _reset_sim(sim, rng)
    auto = rng.choice(("off", "off", "days_before"))
    entry = sim_entry(
        "http_bridge",
        sim,
        entry_id=f"chaos-{seed}",
        renewal={
            "payment_methods": ["carrier_balance", "card"],
            "spend_cap": rng.choice(("", "50")),
            "auto_renew": auto,
            "auto_renew_days": 5,
        },
    )
    books = Books()
    _ENTRY[0] = entry.entry_id
    await setup(hass, entry)
    await hass.async_block_till_done(wait_background_tasks=True)
    steps = [rng.choice(STEPS) for _ in range(rng.randint(3, 6))]
    requested = 0
    for step in steps:
        fault = rng.choice(list(PAY_FAULTS))
        _set_pay_fault(sim, fault)
        if step == "press":
            requested += 1
            await _tolerant(_renew(hass))
        elif step == "button":
            requested += 1
            await _tolerant(_press(hass))
        elif step == "concurrent":
            count = rng.randint(2, 3)
            requested += count
            calls = [_tolerant(rng.choice((_renew, _press))(hass)) for _ in range(count)]
            await asyncio.gather(*calls)
        elif step == "auto":  # time passes: the plan is about to expire again
            line = sim.state.lines["line-1"]
            line.plan_expiry = (dt_util.utcnow() + timedelta(days=2)).replace(microsecond=0)
            await entry.runtime_data.coordinator.async_refresh()
            await hass.async_block_till_done(wait_background_tasks=True)
        elif step == "poll":
            await entry.runtime_data.coordinator.async_refresh()
            await hass.async_block_till_done(wait_background_tasks=True)
        elif step == "restart":
            await _restart(hass, entry, books)
        elif step == "reload":
            requested += 1
            await _reload_mid_payment(hass, entry, books)
        elif step == "disk full":
            await _disk_full(hass, sim)
        else:
            requested += 1
            _set_pay_fault(sim, "none")
            await _crash(hass, entry, books, commit=rng.random() < 0.5)
        books.note(_engine(entry).history)
    # Late commits land (their handlers outlived the client); the carrier answers again; a last
    # restart settles whatever is still open.
    await asyncio.sleep(SLOW + 0.1)
    _set_pay_fault(sim, "none")
    await _restart(hass, entry, books)
    history = _engine(entry).history
    for _ in range(RETRIES):
        if not history.unresolved():
            break
        # A lookup slower than FAST_TIMEOUT (a loaded machine) leaves it open: every poll asks
        # the carrier again, as it would in production.
        await entry.runtime_data.coordinator.async_refresh()
        await hass.async_block_till_done(wait_background_tasks=True)
    records = history.records()
    assert not history.unresolved(), "an attempt is still unresolved with the carrier healthy"
    ours = {a.key for r in records for a in r.attempts if a.status is AttemptStatus.SUCCEEDED}
    carrier = {k for k, rn in sim.state.renewals.items() if rn.status == "succeeded"}
    doubled = sum(
        max(0, sum(a.status is AttemptStatus.SUCCEEDED for a in r.attempts) - 1) for r in records
    ) + len(carrier - ours)
    lost = len(books.seen - {r.renewal_id for r in records})
    counts = {
        "chaos steps": len(steps),
        "chaos renewals requested": requested,
        "carrier charges": sim.state.charges_total,
        "successful attempts in history": len(ours),
        "double charges": doubled,
        "records lost": lost,
    }
    assert sim.state.charges_total == len(ours) == len(carrier), (seed, steps, counts)
    assert ours == carrier, (seed, steps)
    assert doubled == 0, (seed, steps)
    assert lost == 0, (seed, steps)
    await hass.config_entries.async_remove(entry.entry_id)
    await hass.async_block_till_done()
    return counts


@pytest.fixture
def renewal_platforms() -> Iterator[None]:
    """Only the platforms renewals touch (buttons, the event entity): restarts stay cheap."""
    with patch("custom_components.esim_keeper.PLATFORMS", [Platform.BUTTON, Platform.EVENT]):
        yield


@pytest.mark.usefixtures("renewal_platforms")
@pytest.mark.parametrize("chunk", range(max(1, CHAOS_SEQUENCES // CHUNK)))
async def test_chaos(hass: HomeAssistant, sim: CarrierSim, chunk: int) -> None:
    events: list[Any] = []
    hass.bus.async_listen(EVENT_RENEWAL, events.append)
    _ENTRY_SIM[:] = [sim]
    for seed in range(chunk * CHUNK, (chunk + 1) * CHUNK):
        counts = await _sequence(hass, sim, seed)
        FIGURES["chaos sequences"] += 1
        FIGURES.update(counts)
    assert events  # renewals really happened


@pytest.mark.usefixtures("renewal_platforms")
async def test_books_catch_an_engine_that_trusts_a_404(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    """The checks above are not vacuous.

    An engine that takes "the carrier does not know this key" as "nothing was charged" (the bug this
    suite guards against) is caught within a few sequences, because real handlers commit after the
    client has gone.
    """
    from custom_components.esim_keeper import payments
    from custom_components.esim_keeper.keeper.payments import Settlement

    caught = 0
    _ENTRY_SIM[:] = [sim]
    with patch.object(payments, "settle_unknown_key", lambda *_: Settlement.NOT_CHARGED):
        for seed in range(40):
            try:
                await _sequence(hass, sim, seed)
            except AssertionError:
                caught += 1
                for entry in hass.config_entries.async_entries(DOMAIN):
                    await hass.config_entries.async_remove(entry.entry_id)
                break
    assert caught
