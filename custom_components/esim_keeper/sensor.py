"""Sensors of a number: balance (more in later platforms' descriptions)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
)
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import AccountCoordinator, EsimKeeperConfigEntry, NumberData
from .entity import EsimKeeperEntity, async_add_number_entities

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class EsimKeeperSensorDescription(SensorEntityDescription):
    """How one sensor reads its value from a number's data."""

    value_fn: Callable[[NumberData], Decimal | None]
    unit_fn: Callable[[NumberData], str | None] = lambda _: None


SENSORS: tuple[EsimKeeperSensorDescription, ...] = (
    EsimKeeperSensorDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        suggested_display_precision=2,
        value_fn=lambda d: d.snapshot.balance.amount if d.snapshot.balance else None,
        unit_fn=lambda d: d.snapshot.balance.currency if d.snapshot.balance else d.config.currency,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EsimKeeperConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every number, now and whenever a number is added."""
    async_add_number_entities(
        entry,
        async_add_entities,
        lambda coordinator, subentry_id: (
            EsimKeeperSensor(coordinator, subentry_id, d) for d in SENSORS
        ),
    )


class EsimKeeperSensor(EsimKeeperEntity, SensorEntity):
    """A sensor of one number."""

    entity_description: EsimKeeperSensorDescription

    def __init__(
        self,
        coordinator: AccountCoordinator,
        subentry_id: str,
        description: EsimKeeperSensorDescription,
    ) -> None:
        super().__init__(coordinator, subentry_id, description)

    @property
    def native_value(self) -> Decimal | None:
        data = self.number_data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    def native_unit_of_measurement(self) -> str | None:
        data = self.number_data
        return None if data is None else self.entity_description.unit_fn(data)
