"""Home Assistant enables at most 10,000 entities per config entry.

A reseller keeps 1,000 numbers on one bridge account. The entities enabled by default must fit that.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
import pytest

from .accounts import bridge_entry, running_sim, setup_account

RESELLER_NUMBERS = 1000


@pytest.mark.usefixtures("socket_enabled")
async def test_enabled_entities_per_number_fit_a_thousand_numbers(hass: HomeAssistant) -> None:
    async with running_sim() as sim:
        entry = await setup_account(hass, bridge_entry(sim))
        registry = er.async_get(hass)
        enabled = [
            e for e in er.async_entries_for_config_entry(registry, entry.entry_id) if not e.disabled
        ]
        per_number = {
            e.entity_id.removeprefix(e.domain + ".").removeprefix("work_")
            for e in enabled
            if e.config_subentry_id == "sub-0101"
        }
        assert per_number == {
            "balance",
            "status",
            "plan_expiry",
            "keep_alive_deadline",
            "funded_until",
            "balance_too_low_for_renewal",
            "action_needed",
            "renew_now",
            "renewal",
        }
        account_wide = [e for e in enabled if e.config_subentry_id is None]
        assert len(account_wide) == 1  # the deadline calendar
        needed = RESELLER_NUMBERS * len(per_number) + len(account_wide)
        assert needed <= MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
        assert await hass.config_entries.async_unload(entry.entry_id)
