"""Sensors of a number: money, dates and state, all read from the keeper's LineStatus.

Nothing here computes a date or an amount: every value is a field of the number's snapshot or of
the status the keeper derived from it (keeper.lifecycle.compute_status).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfTime
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import AccountCoordinator, NumberData
from .entity import EsimKeeperEntity, async_add_number_entities
from .history import RenewalRecord
from .keeper.model import LineState, StatusReason
from .keeper.money import Money
from .lines import NumberConfig
from .renewal import renewal_signal
from .runtime import EsimKeeperConfigEntry

PARALLEL_UPDATES = 0

type SensorValue = Decimal | datetime | int | str | None


@dataclass(frozen=True, kw_only=True)
class EsimKeeperSensorDescription(SensorEntityDescription):
    """How one sensor reads its value from a number's data."""

    value_fn: Callable[[NumberData], SensorValue]
    unit_fn: Callable[[NumberData], str | None] | None = None
    exists_fn: Callable[[NumberConfig], bool] = lambda _: True


def _amount(money: Money | None) -> Decimal | None:
    return None if money is None else money.amount


def _state(data: NumberData) -> str | None:
    """Return the line's state; the keeper's "unknown" is Home Assistant's unknown state."""
    state = data.status.state
    return None if state is LineState.UNKNOWN else state.value


# Enabled by default: balance, status, plan expiry, keep-alive deadline and funded-until. Home
# Assistant enables at most 10,000 entities per config entry and a reseller keeps 1,000 numbers
# on one account, so the rest (derived or diagnostic) are one click away in the entity settings.
SENSORS: tuple[EsimKeeperSensorDescription, ...] = (
    EsimKeeperSensorDescription(
        key="balance",
        translation_key="balance",
        device_class=SensorDeviceClass.MONETARY,
        # Long-term statistics: a year of balance. Monetary allows only "total" (no last reset:
        # a top-up raises it, a renewal lowers it).
        state_class=SensorStateClass.TOTAL,
        suggested_display_precision=2,
        exists_fn=lambda config: config.has_balance,
        value_fn=lambda d: _amount(d.snapshot.balance),
        unit_fn=lambda d: d.snapshot.balance.currency if d.snapshot.balance else d.config.currency,
    ),
    EsimKeeperSensorDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=[state.value for state in LineState if state is not LineState.UNKNOWN],
        value_fn=_state,
    ),
    EsimKeeperSensorDescription(
        key="status_reason",
        translation_key="status_reason",
        device_class=SensorDeviceClass.ENUM,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        options=[reason.value for reason in StatusReason],
        value_fn=lambda d: d.status.reason.value,
    ),
    EsimKeeperSensorDescription(
        key="plan_expiry",
        translation_key="plan_expiry",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=lambda config: config.plan.dated,
        value_fn=lambda d: d.status.plan_expiry,
    ),
    EsimKeeperSensorDescription(
        key="days_to_expiry",
        translation_key="days_to_expiry",
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.DAYS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=0,
        entity_registry_enabled_default=False,
        exists_fn=lambda config: config.plan.dated,
        value_fn=lambda d: d.status.days_to_expiry,
    ),
    EsimKeeperSensorDescription(
        key="keep_alive_deadline",
        translation_key="keep_alive_deadline",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda d: d.status.keep_alive_deadline,
    ),
    EsimKeeperSensorDescription(
        key="activity_deadline",
        translation_key="activity_deadline",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda d: d.status.activity_deadline,
        exists_fn=lambda config: config.plan.activity_days is not None,
        # The keep-alive deadline already includes it (the earlier of loss and activity).
        entity_registry_enabled_default=False,
    ),
    EsimKeeperSensorDescription(
        key="loss_date",
        translation_key="loss_date",
        device_class=SensorDeviceClass.TIMESTAMP,
        # Without an activity rule this is the keep-alive deadline again.
        entity_registry_enabled_default=False,
        value_fn=lambda d: d.status.loss_date,
    ),
    EsimKeeperSensorDescription(
        key="next_renewal_cost",
        translation_key="next_renewal_cost",
        device_class=SensorDeviceClass.MONETARY,
        entity_registry_enabled_default=False,
        exists_fn=lambda config: config.paid,
        suggested_display_precision=2,
        value_fn=lambda d: d.status.next_renewal_cost.amount,
        unit_fn=lambda d: d.status.next_renewal_cost.currency,
    ),
    EsimKeeperSensorDescription(
        key="funded_until",
        translation_key="funded_until",
        device_class=SensorDeviceClass.TIMESTAMP,
        exists_fn=lambda config: config.paid,
        value_fn=lambda d: d.status.runway.funded_until,
    ),
    EsimKeeperSensorDescription(
        key="renewals_covered",
        translation_key="renewals_covered",
        state_class=SensorStateClass.MEASUREMENT,
        exists_fn=lambda config: config.paid,
        entity_registry_enabled_default=False,
        value_fn=lambda d: d.status.runway.cycles,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EsimKeeperConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add sensors for every number, now and whenever a number is added."""

    def build(coordinator: AccountCoordinator, subentry_id: str) -> Iterator[SensorEntity]:
        config = coordinator.numbers[subentry_id]
        for description in SENSORS:
            if description.exists_fn(config):
                yield EsimKeeperSensor(coordinator, subentry_id, description)
        if coordinator.provider.capabilities.has_payments and config.paid:
            yield LastRenewalSensor(coordinator, subentry_id, LAST_RENEWAL)

    await async_add_number_entities(entry, async_add_entities, build)


class EsimKeeperSensor(EsimKeeperEntity, SensorEntity):
    """A sensor of one number."""

    entity_description: EsimKeeperSensorDescription

    @property
    def native_value(self) -> SensorValue:
        """Return the value the description reads, or None while the number was not read."""
        data = self.number_data
        return None if data is None else self.entity_description.value_fn(data)

    @property
    def native_unit_of_measurement(self) -> str | None:
        """Return the unit, the number's currency for money sensors."""
        unit_fn = self.entity_description.unit_fn
        if unit_fn is None:
            return super().native_unit_of_measurement
        data = self.number_data
        return None if data is None else unit_fn(data)


LAST_RENEWAL = SensorEntityDescription(
    key="last_renewal",
    translation_key="last_renewal",
    device_class=SensorDeviceClass.TIMESTAMP,
    entity_registry_enabled_default=False,
)


class LastRenewalSensor(EsimKeeperEntity, SensorEntity):
    """When this number was last renewed through eSIM Keeper, and how it went (attributes).

    Reads the persisted renewal history; updated by the renewal engine's signal for the number.
    """

    async def async_added_to_hass(self) -> None:
        """Follow the number's payment records once the entity is in Home Assistant."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, renewal_signal(self.subentry_id), self._renewal_changed
            )
        )

    @callback
    def _renewal_changed(self, event_type: str, record: dict[str, object]) -> None:
        self.async_write_shown()

    def _record(self) -> RenewalRecord | None:
        entry: EsimKeeperConfigEntry = self.coordinator.config_entry
        return entry.runtime_data.renewals.history.last(self.subentry_id)

    @property
    def native_value(self) -> datetime | None:
        """Return when the newest record was paid, or made if it was not."""
        record = self._record()
        return None if record is None else record.paid_at or record.created_at

    @property
    def extra_state_attributes(self) -> dict[str, str | None] | None:
        """Return the newest record's outcome and amount."""
        record = self._record()
        if record is None:
            return None
        attempt = record.succeeded_attempt
        return {
            "outcome": record.outcome.value,
            "verification": None if record.verification is None else record.verification.value,
            "amount": str(record.amount.amount),
            "currency": record.amount.currency,
            "method": None if attempt is None else attempt.method.value,
            "source": record.source,
        }
