"""Accounts on the simulator for the reliability suites: one of each HTTP kind, plus helpers."""

from __future__ import annotations

import hashlib
from typing import Any

from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import (
    CONF_ACCOUNT_SID,
    CONF_API_KEY,
    CONF_AUTH_SECRET,
    CONF_BASE_URL,
    CONF_PROVIDER,
    CONF_RENEWAL,
    CONF_SCAN_INTERVAL,
    CONF_TOKEN,
    CONF_URL,
    DOMAIN,
)
from tests.ha.conftest import number_subentry
from tools.carrier_sim import (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_ACCOUNT_SID,
    DEFAULT_TWILIO_AUTH_TOKEN,
    CarrierSim,
)

NAME = "Keeper"  # every account's number is called this: sensor.keeper_balance
BALANCE = "sensor.keeper_balance"
SUB = "sub-0100"  # number_subentry's id for the simulator's line-1 (+12015550100)
# The simulator's id of line-1 in each API's shape.
LINE_IDS = {"http_bridge": "line-1", "twilio": f"PN{1:032x}", "telnyx": "1001"}
CARRIERS = {"http_bridge": "tello", "twilio": "twilio", "telnyx": "telnyx"}
# The account id each kind's validation finds on the simulator (the entry's unique id).
ACCOUNT_IDS = {
    "http_bridge": "sim-account",
    "twilio": DEFAULT_TWILIO_ACCOUNT_SID,
    "telnyx": "telnyx-" + hashlib.sha256(DEFAULT_TELNYX_API_KEY.encode()).hexdigest()[:16],
}
# Poll interval of these accounts (the floor for HTTP accounts).
SCAN_MINUTES = 15


def credentials(kind: str, sim: CarrierSim) -> dict[str, Any]:
    """Return what a reauth form is filled with: the account's credentials."""
    data = account_data(kind, sim)
    return {k: v for k, v in data.items() if k not in (CONF_PROVIDER, CONF_BASE_URL)}


def account_data(kind: str, sim: CarrierSim) -> dict[str, Any]:
    """Config entry data of an account of ``kind`` on the simulator."""
    if kind == "http_bridge":
        return {CONF_PROVIDER: kind, CONF_URL: sim.base_url, CONF_TOKEN: DEFAULT_BRIDGE_TOKEN}
    if kind == "twilio":
        return {
            CONF_PROVIDER: kind,
            CONF_ACCOUNT_SID: DEFAULT_TWILIO_ACCOUNT_SID,
            CONF_AUTH_SECRET: DEFAULT_TWILIO_AUTH_TOKEN,
            CONF_BASE_URL: sim.base_url,
        }
    return {CONF_PROVIDER: kind, CONF_API_KEY: DEFAULT_TELNYX_API_KEY, CONF_BASE_URL: sim.base_url}


def sim_entry(
    kind: str,
    sim: CarrierSim,
    *,
    entry_id: str = "rel-entry",
    renewal: dict[str, Any] | None = None,
) -> MockConfigEntry:
    """Return an account of ``kind`` with the simulator's line-1 added as "Keeper"."""
    subentry = number_subentry(
        LINE_IDS[kind], sim.state.lines["line-1"].number, NAME, CARRIERS[kind]
    )
    if renewal is not None:
        subentry["data"] = {**subentry["data"], CONF_RENEWAL: renewal}
    return MockConfigEntry(
        domain=DOMAIN,
        title=kind,
        entry_id=entry_id,
        unique_id=ACCOUNT_IDS[kind],
        data=account_data(kind, sim),
        options={CONF_SCAN_INTERVAL: SCAN_MINUTES},
        subentries_data=[subentry],
    )


# Set-ups that may time out on a loaded machine before one succeeds (see load()).
LOAD_TRIES = 4


async def load(hass: HomeAssistant, entry: MockConfigEntry, *, reload: bool = False) -> None:
    """Set the account up (or reload it), retrying as Home Assistant does after a failed poll.

    Every request is cut off after FAST_TIMEOUT (80 ms): on a loaded machine even a healthy
    simulator can outlast it, and the entry then waits in SETUP_RETRY.
    """
    if reload:
        loaded = await hass.config_entries.async_reload(entry.entry_id)
    else:
        loaded = await hass.config_entries.async_setup(entry.entry_id)
    for _ in range(LOAD_TRIES - 1):
        if loaded:
            break
        loaded = await hass.config_entries.async_reload(entry.entry_id)
    assert loaded, entry.state


async def setup(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    entry.add_to_hass(hass)
    await load(hass, entry)
    await hass.async_block_till_done()
    return entry
