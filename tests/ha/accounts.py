"""Accounts for entity tests: Manual records, and Twilio and bridge accounts on the simulator.

The simulator's lines get fixed values (balances, expiries, activity) so states and snapshots are
stable under the frozen clock of conftest.NOW.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal

from homeassistant.config_entries import ConfigSubentryDataWithId
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import (
    CONF_ACCOUNT_SID,
    CONF_AUTH_SECRET,
    CONF_BASE_URL,
    CONF_LEDGER,
    CONF_PROVIDER,
    CONF_TOKEN,
    CONF_URL,
    DOMAIN,
)
from tools.carrier_sim import (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
    CarrierSim,
)

from .conftest import NOW, number_subentry, setup_entry

NOW_DT = datetime.fromisoformat(NOW)

# Simulator lines: line-1 (+12015550100) and line-2 (+12015550101).
TELLO_NUMBER = "+12015550100"
WORK_NUMBER = "+12015550101"
TWILIO_SID = f"PN{1:032x}"  # the simulator's Twilio SID of line-1


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text)


@asynccontextmanager
async def running_sim() -> AsyncIterator[CarrierSim]:
    """Yield the simulator on loopback, two lines in known situations (needs ``socket_enabled``).

    line-1 "Tello": $2.00, plan expires in 4 days: the $5 renewal is not covered.
    line-2 "Work": $20.00, plan expires in 24 days, last used 56 days ago.
    """
    sim = CarrierSim(lines=2, seed=7, clock=lambda: NOW_DT)
    tello, work = sim.state.lines["line-1"], sim.state.lines["line-2"]
    tello.balance = Decimal("2.00")
    tello.plan_expiry = _utc("2026-11-30T10:00:00+00:00")
    tello.last_activity = _utc("2026-11-20T18:30:00+00:00")
    tello.auto_renew = True
    tello.expiry_as_date = False
    tello.created = _utc("2025-06-10T15:30:00+00:00")  # Twilio bills monthly from this day
    work.balance = Decimal("20.00")
    work.plan_expiry = _utc("2026-12-20T05:00:00+00:00")
    work.last_activity = _utc("2026-10-01T12:00:00+00:00")
    work.auto_renew = True
    work.expiry_as_date = False
    work.created = _utc("2024-02-01T08:00:00+00:00")
    sim.state.account_balance = Decimal("12.29")
    await sim.start("127.0.0.1", 0)
    try:
        yield sim
    finally:
        await sim.stop()


def bridge_account(sim: CarrierSim, *numbers: ConfigSubentryDataWithId) -> MockConfigEntry:
    """Return an HTTP bridge account on the simulator with the given number subentries."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Bridge",
        entry_id="bridge-entry",
        unique_id="bridge",
        data={
            CONF_PROVIDER: "http_bridge",
            CONF_URL: sim.base_url,
            CONF_TOKEN: DEFAULT_BRIDGE_TOKEN,
        },
        subentries_data=list(numbers),
    )


def bridge_entry(sim: CarrierSim) -> MockConfigEntry:
    """Return an HTTP bridge account with both simulator lines.

    Tello, and "Work" with an activity rule.
    """
    return bridge_account(
        sim,
        number_subentry("line-1", TELLO_NUMBER, "Tello", "tello"),
        number_subentry(
            "line-2",
            WORK_NUMBER,
            "Work",
            "other",
            {"renewal_cost": "3.00", "activity_days": 90, "grace_days": 30},
        ),
    )


def twilio_entry(sim: CarrierSim) -> MockConfigEntry:
    """Return a Twilio account with one of its numbers added."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Twilio",
        entry_id="twilio-entry",
        unique_id=DEFAULT_TWILIO_ACCOUNT_SID,
        data={
            CONF_PROVIDER: "twilio",
            CONF_ACCOUNT_SID: DEFAULT_TWILIO_ACCOUNT_SID,
            CONF_AUTH_SECRET: DEFAULT_TWILIO_AUTH_TOKEN,
            CONF_BASE_URL: sim.base_url,
        },
        subentries_data=[number_subentry(TWILIO_SID, TELLO_NUMBER, "Office", "twilio")],
    )


def manual_entry() -> MockConfigEntry:
    """Return a Manual account: an Ultra number whose balance the user read six days ago."""
    return manual_account(
        (
            "+12025550199",
            "Ultra",
            "ultra_paygo",
            manual_ledger(
                "10.00", "2026-12-08T08:00:00+00:00", read_at="2026-11-20T00:00:00+00:00"
            ),
        )
    )


async def setup_account(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    await setup_entry(hass, entry)
    return entry


def manual_ledger(
    balance: str, expiry: str, activity: str | None = None, read_at: str = NOW
) -> dict[str, object]:
    """Return a Manual number's stored record (the subentry's "ledger")."""
    return {
        "balance": balance,
        "read_at": read_at,
        "plan_expiry": expiry,
        "last_activity": activity,
        "auto_deduct": True,
    }


def manual_account(*numbers: tuple[str, str, str, dict[str, object]]) -> MockConfigEntry:
    """Return a Manual records account; each number is (E.164, name, carrier preset, ledger)."""
    subentries = []
    for number, name, carrier, ledger in numbers:
        subentry = number_subentry(number, number, name, carrier)
        subentry["data"] = {**subentry["data"], CONF_LEDGER: ledger}
        subentries.append(subentry)
    return MockConfigEntry(
        domain=DOMAIN,
        title="Manual records",
        entry_id="manual-entry",
        unique_id="manual",
        data={CONF_PROVIDER: "manual"},
        subentries_data=subentries,
    )
