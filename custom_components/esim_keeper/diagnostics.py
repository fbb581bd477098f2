"""Diagnostics: what a bug report needs, with credentials, account ids and full numbers removed.

Includes the renewal history with idempotency keys and carrier references redacted.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.core import HomeAssistant

from .client import CREDENTIAL_KEYS
from .const import CONF_BASE_URL, CONF_LINE_ID, CONF_NUMBER
from .coordinator import NumberData
from .keeper.phone import mask
from .runtime import EsimKeeperConfigEntry

# What diagnostics leave out of a payment record: carrier references and keys identify payments.
RECORD_REDACT = {"reference", "key", "line_id", "number"}

# Entry data that is a secret or identifies the account: every credential field of every kind
# (client.CREDENTIAL_KEYS, so a new kind cannot forget one), API base URLs and line ids.
TO_REDACT = {key for keys in CREDENTIAL_KEYS.values() for key in keys} | {
    CONF_BASE_URL,
    CONF_LINE_ID,
    "unique_id",
}


def _number(data: NumberData) -> dict[str, Any]:
    status = asdict(data.status)
    return {
        "number": mask(data.config.number),
        "carrier": data.config.carrier,
        "plan": {
            "cycle_days": data.config.plan.cycle_days,
            "renewal_cost": str(data.config.plan.renewal_cost),
            "grace_days": data.config.plan.grace_days,
            "activity_days": data.config.plan.activity_days,
            "timezone": data.config.plan.timezone,
        },
        "snapshot": {
            "balance": str(data.snapshot.balance) if data.snapshot.balance else None,
            "plan_expiry": data.snapshot.plan_expiry,
            "last_activity": data.snapshot.last_activity,
            "carrier_status": data.snapshot.carrier_status,
            "auto_renew": data.snapshot.auto_renew,
            "shared_balance": data.snapshot.shared_balance,
        },
        "status": status | {"next_renewal_cost": str(data.status.next_renewal_cost)},
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant, entry: EsimKeeperConfigEntry
) -> dict[str, Any]:
    """Diagnostics of one account and its numbers."""
    coordinator = entry.runtime_data.coordinator
    state = coordinator.data
    return {
        "entry": {
            "title": entry.title,
            "data": async_redact_data(dict(entry.data), TO_REDACT),
            "options": dict(entry.options),
        },
        "numbers": [
            {
                "title": subentry.title,
                "number": mask(subentry.data.get(CONF_NUMBER, "")),
                "data": async_redact_data(
                    {k: v for k, v in subentry.data.items() if k != CONF_NUMBER}, TO_REDACT
                ),
            }
            for subentry in entry.subentries.values()
        ],
        "coordinator": {
            "provider": coordinator.provider.kind,
            "update_interval": str(coordinator.update_interval),
            "last_update_success": coordinator.last_update_success,
            "account_balance": str(state.account_balance) if state.account_balance else None,
            "numbers": [_number(data) for data in state.numbers.values()],
        },
        "renewals": redacted_history(entry),
    }


def redacted_history(entry: EsimKeeperConfigEntry) -> list[dict[str, Any]]:
    """Return the account's payment history (newest first).

    References, keys and numbers redacted.
    """
    records = entry.runtime_data.renewals.history.records()
    return [async_redact_data(record.to_dict(), RECORD_REDACT) for record in records]
