"""Buttons of a number.

"Renew now" (numbers eSIM Keeper pays), "I paid 3.00 USD" (hand-kept numbers: a statement that you
paid the carrier) and "I used this number". Each runs the same code as its action.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

from .coordinator import AccountCoordinator
from .entity import EsimKeeperEntity, async_add_number_entities
from .keeper.providers.base import Provider
from .lines import NumberConfig
from .renewal import SOURCE_BUTTON, RenewalEngine
from .runtime import EsimKeeperConfigEntry

# A press is a payment or a ledger write: one at a time.
PARALLEL_UPDATES = 1


@dataclass(frozen=True, kw_only=True)
class EsimKeeperButtonDescription(ButtonEntityDescription):
    """What a button does and for which accounts it exists."""

    press_fn: Callable[[RenewalEngine, str], Coroutine[Any, Any, Any]]
    exists_fn: Callable[[Provider, NumberConfig], bool]
    # Values for the translated name ("I paid {amount}").
    placeholders_fn: Callable[[NumberConfig], dict[str, str]] | None = None


BUTTONS: tuple[EsimKeeperButtonDescription, ...] = (
    EsimKeeperButtonDescription(
        key="renew",
        translation_key="renew",
        press_fn=lambda engine, subentry_id: engine.payments.async_renew(
            subentry_id, source=SOURCE_BUTTON
        ),
        exists_fn=lambda provider, config: (
            provider.capabilities.can_renew
            and not provider.capabilities.records_payments
            and config.paid
        ),
    ),
    EsimKeeperButtonDescription(
        key="record_payment",
        translation_key="record_payment",
        # The name states the amount: pressing it says "I paid this much" (the plan's cost).
        press_fn=lambda engine, subentry_id: engine.hand_kept.async_record_payment(
            subentry_id,
            amount=engine.number(subentry_id).plan.renewal_cost,
            source=SOURCE_BUTTON,
        ),
        exists_fn=lambda provider, config: provider.capabilities.records_payments and config.paid,
        placeholders_fn=lambda config: {"amount": str(config.plan.renewal_cost)},
    ),
    EsimKeeperButtonDescription(
        key="record_activity",
        translation_key="record_activity",
        press_fn=lambda engine, subentry_id: engine.hand_kept.async_record_activity(subentry_id),
        # Only where the carrier reclaims unused numbers and does not report activity itself:
        # elsewhere the press would change nothing a user cares about (the action still records
        # activity for any hand-kept number).
        exists_fn=lambda provider, config: (
            config.plan.activity_days is not None
            and (provider.capabilities.keeps_activity or not provider.capabilities.reports_activity)
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EsimKeeperConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the buttons of every number, now and whenever a number is added."""

    def build(coordinator: AccountCoordinator, subentry_id: str) -> Iterable[EsimKeeperButton]:
        return (
            EsimKeeperButton(coordinator, subentry_id, description, entry.runtime_data.renewals)
            for description in BUTTONS
            if description.exists_fn(coordinator.provider, coordinator.numbers[subentry_id])
        )

    await async_add_number_entities(entry, async_add_entities, build)


class EsimKeeperButton(EsimKeeperEntity, ButtonEntity):
    """A button of one number."""

    entity_description: EsimKeeperButtonDescription

    def __init__(
        self,
        coordinator: AccountCoordinator,
        subentry_id: str,
        description: EsimKeeperButtonDescription,
        engine: RenewalEngine,
    ) -> None:
        """Bind the button to one number and the account's renewal engine."""
        super().__init__(coordinator, subentry_id, description)
        self._engine = engine
        if description.placeholders_fn is not None:
            config = coordinator.numbers[subentry_id]
            self._attr_translation_placeholders = description.placeholders_fn(config)

    async def async_press(self) -> None:
        """Run the same code as the button's action, for this number."""
        await self.entity_description.press_fn(self._engine, self.subentry_id)
