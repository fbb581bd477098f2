"""Binary sensors of a number: problems the user can act on, as the keeper judged them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from homeassistant.components.binary_sensor import (
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.binary_sensor.const import BinarySensorDeviceClass
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import NumberData
from .entity import EsimKeeperEntity, async_add_number_entities
from .lines import NumberConfig
from .runtime import EsimKeeperConfigEntry

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EsimKeeperBinarySensorDescription(BinarySensorEntityDescription):
    """How one binary sensor reads its value from a number's data (None: unknown)."""

    is_on_fn: Callable[[NumberData], bool | None]
    attributes_fn: Callable[[NumberData], dict[str, str | None]] | None = None
    exists_fn: Callable[[NumberConfig], bool] = lambda _: True


def _money_attributes(data: NumberData) -> dict[str, str | None]:
    """Return the two amounts the judgement compares, so a notification can quote them."""
    balance = data.snapshot.balance
    return {
        "balance": None if balance is None else str(balance),
        "next_renewal_cost": str(data.status.next_renewal_cost),
    }


def _balance_short(data: NumberData) -> bool | None:
    covers = data.status.balance_covers_renewal
    return None if covers is None else not covers


BINARY_SENSORS: tuple[EsimKeeperBinarySensorDescription, ...] = (
    EsimKeeperBinarySensorDescription(
        key="balance_short",
        translation_key="balance_short",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=_balance_short,
        attributes_fn=_money_attributes,
        # A free number never runs short.
        exists_fn=lambda config: config.paid,
    ),
    EsimKeeperBinarySensorDescription(
        key="action_needed",
        translation_key="action_needed",
        device_class=BinarySensorDeviceClass.PROBLEM,
        is_on_fn=lambda d: d.status.action_needed,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EsimKeeperConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add binary sensors for every number, now and whenever a number is added."""
    await async_add_number_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry_id: (
            EsimKeeperBinarySensor(coordinator, subentry_id, d)
            for d in BINARY_SENSORS
            if d.exists_fn(coordinator.numbers[subentry_id])
        ),
    )


class EsimKeeperBinarySensor(EsimKeeperEntity, BinarySensorEntity):
    """A binary sensor of one number."""

    entity_description: EsimKeeperBinarySensorDescription

    @property
    def is_on(self) -> bool | None:
        """Return the judgement, or None while the number was not read."""
        data = self.number_data
        return None if data is None else self.entity_description.is_on_fn(data)

    @property
    def extra_state_attributes(self) -> dict[str, str | None] | None:
        """Return the amounts behind the judgement, when the description has them."""
        attributes_fn = self.entity_description.attributes_fn
        data = self.number_data
        return None if attributes_fn is None or data is None else attributes_fn(data)
