"""The renewal event of a number.

Succeeded, failed, unknown, verified, unverified, and recorded (the user recorded a payment of a
hand-kept number).

The same outcomes go on the bus as ``esim_keeper_renewal`` for automations that watch every number.
"""

from __future__ import annotations

from typing import Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .entity import EsimKeeperEntity, async_add_number_entities
from .renewal import EVENT_TYPES, renewal_signal
from .runtime import EsimKeeperConfigEntry

PARALLEL_UPDATES = 0

RENEWAL_EVENT = EventEntityDescription(
    key="renewal", translation_key="renewal", event_types=list(EVENT_TYPES)
)

# Record fields an event carries (no idempotency keys or carrier references: they are history).
_EVENT_FIELDS = (
    "renewal_id",
    "kind",
    "source",
    "amount",
    "currency",
    "method",
    "paid_amount",
    "paid_currency",
    "verification",
    "message",  # what happened, one line in Home Assistant's language (outcome_message.py)
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EsimKeeperConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the renewal event of every number, now and whenever a number is added."""
    await async_add_number_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry_id: (
            [EsimKeeperRenewalEvent(coordinator, subentry_id, RENEWAL_EVENT)]
            if coordinator.provider.capabilities.has_payments
            and coordinator.numbers[subentry_id].paid
            else []
        ),
    )


class EsimKeeperRenewalEvent(EsimKeeperEntity, EventEntity):
    """Fires when a renewal of this number ends or is verified."""

    async def async_added_to_hass(self) -> None:
        """Listen for the number's renewal outcomes once the entity is in Home Assistant."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, renewal_signal(self.subentry_id), self._handle_renewal
            )
        )

    @callback
    def _handle_renewal(self, event_type: str, record: dict[str, Any]) -> None:
        if event_type not in EVENT_TYPES:
            # Not an outcome this entity fires (e.g. a record still pending). Raising here would
            # make the dispatcher log the whole record, full number included.
            return
        attributes = {key: record.get(key) for key in _EVENT_FIELDS}
        attributes["attempts"] = [
            {"method": a["method"], "status": a["status"], "reason": a["reason"]}
            for a in record.get("attempts", [])
        ]
        self._trigger_event(event_type, attributes)
        self.async_write_shown()
