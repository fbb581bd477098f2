"""Actions ``import_numbers`` and ``export_numbers``: hand-kept numbers in bulk, as CSV text.

The keeper checks every row first (keeper.bulk); nothing is added unless every row is valid, and
the response lists each bad row with its column and what is wrong. Valid rows become number
subentries of the Manual ("my own records") account, a few per event-loop turn, with the
account's defaults for new numbers. The export writes the same columns, each number's record
moved forward to today, so it imports again here or on another install.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from functools import partial
from types import MappingProxyType
from typing import cast

from homeassistant.config_entries import ConfigEntryState, ConfigSubentry
from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers.service import async_register_admin_service
from homeassistant.util import dt as dt_util
import voluptuous as vol

from . import texts
from .const import (
    CONF_CARRIER,
    CONF_LEDGER,
    CONF_LINE_ID,
    CONF_NUMBER,
    CONF_PLAN,
    DOMAIN,
    LOGGER,
    SUBENTRY_NUMBER,
)
from .errors import invalid
from .keeper.bulk import ExportRow, NumberRow, read_numbers, write_numbers
from .keeper.carriers import get_preset
from .keeper.lifecycle import project_ledger
from .keeper.model import PlanRules
from .keeper.phone import mask
from .keeper.providers.base import ProviderKind
from .lines import ledger_to_data, new_plan_from_settings, taken_numbers
from .pool import NumberDefaults
from .runtime import EsimKeeperConfigEntry
from .texts import PROBLEM

SERVICE_IMPORT_NUMBERS = "import_numbers"
SERVICE_EXPORT_NUMBERS = "export_numbers"
ATTR_CSV = "csv"
# Numbers added per event-loop turn. Each added subentry costs Home Assistant time in proportion
# to the subentries the account already has (it copies them): at 1,000 numbers 20 a turn held
# the loop for about 65 ms, 5 a turn keeps a turn near 20 ms (scripts/bench, import scenario).
ROWS_PER_TURN = 5

IMPORT_SCHEMA = vol.Schema({vol.Required(ATTR_CSV): cv.string})


def _manual_entry(hass: HomeAssistant) -> EsimKeeperConfigEntry:
    """Return the loaded Manual account (there is one per install at most)."""
    for entry in hass.config_entries.async_entries(DOMAIN):
        if entry.data.get("provider") != ProviderKind.MANUAL:
            continue
        if entry.state is not ConfigEntryState.LOADED:
            raise invalid("entry_not_loaded", account=entry.title)
        typed: EsimKeeperConfigEntry = entry
        return typed
    raise invalid("no_hand_kept_account")


def _plans(defaults: NumberDefaults) -> Callable[[str], PlanRules]:
    """Return a carrier's plan for an imported number.

    The preset, with the account's plan defaults when the carrier is the defaults' one. Checked like
    a number added by hand.
    """
    cache: dict[str, PlanRules] = {}

    def plan_for(carrier: str) -> PlanRules:
        if carrier not in cache:
            overrides = defaults.plan if carrier == defaults.carrier else {}
            cache[carrier] = new_plan_from_settings(carrier, overrides)
        return cache[carrier]

    return plan_for


def _subentry(row: NumberRow, defaults: NumberDefaults) -> ConfigSubentry:
    title = row.name or f"{get_preset(row.carrier).name} {mask(row.number)}"
    return ConfigSubentry(
        data=MappingProxyType(
            {
                CONF_NUMBER: row.number,
                CONF_LINE_ID: row.number,
                CONF_CARRIER: row.carrier,
                CONF_PLAN: dict(defaults.plan) if row.carrier == defaults.carrier else {},
                CONF_LEDGER: ledger_to_data(row.ledger),
            }
        ),
        subentry_type=SUBENTRY_NUMBER,
        title=title[:64],
        unique_id=row.number,
    )


async def _import_numbers(call: ServiceCall) -> ServiceResponse:
    hass = call.hass
    entry = _manual_entry(hass)
    defaults = NumberDefaults.from_options(entry.options)
    # Pure and CPU-bound (1,000 rows take tens of milliseconds): off the event loop.
    result = await hass.async_add_executor_job(
        partial(
            read_numbers,
            call.data[ATTR_CSV],
            plan_for=_plans(defaults),
            taken=frozenset(taken_numbers(hass)),
            now=dt_util.utcnow(),
        )
    )
    if result.errors:
        if not call.return_response:
            first = result.errors[0]
            raise invalid(
                "import_failed",
                count=str(len(result.errors)),
                row=str(first.row),
                column=first.column or "-",
                error=texts.code_name(hass, PROBLEM, first.error),
            )
        return cast(
            "ServiceResponse", {"imported": 0, "errors": [e.to_dict() for e in result.errors]}
        )
    coordinator = entry.runtime_data.coordinator
    added: list[str] = []
    coordinator.sync_paused = True
    try:
        for start in range(0, len(result.rows), ROWS_PER_TURN):
            chunk = result.rows[start : start + ROWS_PER_TURN]
            taken = taken_numbers(hass)
            if late := [row for row in chunk if row.number in taken]:
                # Another flow took a number while the rows were checked or added: all or
                # nothing, so what this call added goes again.
                for subentry_id in added:
                    hass.config_entries.async_remove_subentry(entry, subentry_id)
                raise invalid(
                    "import_failed",
                    count=str(len(late)),
                    row=str(late[0].row),
                    column="number",
                    error=texts.code_name(hass, PROBLEM, "number_taken"),
                )
            for row in chunk:
                subentry = _subentry(row, defaults)
                hass.config_entries.async_add_subentry(entry, subentry)
                added.append(subentry.subentry_id)
            coordinator.sync_numbers(force=True)  # only the new ones are read
            await asyncio.sleep(0)
    finally:
        coordinator.sync_paused = False
    LOGGER.info("Imported %d hand-kept numbers", len(result.rows))
    coordinator.sync_numbers()
    before = coordinator.data
    await coordinator.async_refresh()
    if coordinator.data == before:
        # Equal data: the refresh told no listener, yet the new numbers need their entities.
        # (When it changed, the refresh already told every listener: not twice at 1,000.)
        coordinator.async_update_listeners()
    if not call.return_response:
        return None
    return {"imported": len(result.rows), "errors": []}


async def _export_numbers(call: ServiceCall) -> ServiceResponse:
    entry = _manual_entry(call.hass)
    now = dt_util.utcnow()
    rows = []
    for config in entry.runtime_data.coordinator.numbers.values():
        ledger = config.ledger
        if ledger is None:  # pragma: no cover - every Manual number has its record
            continue
        today = project_ledger(ledger, config.plan, now)
        # An expiry the carrier's autopay is only assumed to have reached is not exported as a
        # fact (as in the number's settings form).
        expiry = ledger.plan_expiry if today.assumed_cycles else today.plan_expiry
        rows.append(
            ExportRow(
                number=config.number,
                name=config.name,
                carrier=config.carrier,
                plan=config.plan,
                balance=today.balance,
                plan_expiry=expiry,
                last_used=ledger.last_activity,
            )
        )
    return cast("ServiceResponse", {"csv": write_numbers(rows), "count": len(rows)})


def async_setup_bulk_services(hass: HomeAssistant) -> None:
    """Register the bulk actions (from services.async_setup_services)."""
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_IMPORT_NUMBERS,
        _import_numbers,
        IMPORT_SCHEMA,
        SupportsResponse.OPTIONAL,
    )
    async_register_admin_service(
        hass,
        DOMAIN,
        SERVICE_EXPORT_NUMBERS,
        _export_numbers,
        vol.Schema({}),
        SupportsResponse.ONLY,
    )
