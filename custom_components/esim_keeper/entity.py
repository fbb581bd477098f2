"""The one base entity: a number's device, availability, and writes only when its data changed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr, entity_registry as er
from homeassistant.helpers.entity import Entity, EntityDescription
from homeassistant.helpers.entity_platform import (
    AddConfigEntryEntitiesCallback,
    async_get_current_platform,
)
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from . import texts
from .const import DOMAIN, PROVIDER_MODELS
from .coordinator import AccountCoordinator, NumberData
from .keeper.carriers import OTHER
from .runtime import EsimKeeperConfigEntry

# Numbers added after set-up in one go up to this many; more are added a number per turn.
NUMBERS_AT_ONCE = 5


async def async_add_number_entities(
    entry: EsimKeeperConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    build: Callable[[AccountCoordinator, str], Iterable[Entity]],
) -> None:
    """Add a platform's entities for every number now, and for each number added later.

    Each number's entities belong to its config subentry, so removing the subentry removes them.
    Entities a number no longer has (its settings changed, e.g. it became a free plan) leave the
    entity registry at set-up instead of staying there unavailable.
    """
    coordinator = entry.runtime_data.coordinator
    domain = async_get_current_platform().domain
    added: set[str] = set()
    built: dict[str, set[str]] = {}  # subentry id -> unique ids built at set-up

    @callback
    def add(subentry_id: str) -> None:
        added.add(subentry_id)
        entities = list(build(coordinator, subentry_id))
        built[subentry_id] = {entity.unique_id for entity in entities if entity.unique_id}
        device = async_number_device(entry, subentry_id)
        for entity in entities:
            entity.device_entry = device
        async_add_entities(entities, config_subentry_id=subentry_id)

    async def add_slowly(subentry_ids: list[str]) -> None:
        for subentry_id in subentry_ids:
            if subentry_id in coordinator.numbers:
                add(subentry_id)
            await asyncio.sleep(0)  # a turn of the event loop after each number

    @callback
    def add_new_numbers() -> None:
        new = [s for s in coordinator.numbers if s not in added]
        added.intersection_update(coordinator.numbers)
        if len(new) <= NUMBERS_AT_ONCE:
            for subentry_id in new:
                add(subentry_id)
            return
        # Many at once (keep-all found new lines, an import): a number per turn, as at set-up.
        added.update(new)
        entry.async_create_task(coordinator.hass, add_slowly(new), f"{entry.domain} add numbers")

    # A turn of the event loop after each number: adding the entities of 1,000 numbers would
    # otherwise hold the loop for a second or more.
    for subentry_id in list(coordinator.numbers):
        add(subentry_id)
        await asyncio.sleep(0)
    add_new_numbers()  # any number added while we were yielding
    entry.async_on_unload(coordinator.async_add_listener(add_new_numbers))
    _async_remove_unbuilt(entry, domain, built)


@callback
def _async_remove_unbuilt(
    entry: EsimKeeperConfigEntry, domain: str, built: dict[str, set[str]]
) -> None:
    """Remove this platform's registry entries of built numbers that are no longer built."""
    registry = er.async_get(entry.runtime_data.coordinator.hass)
    for entity_entry in er.async_entries_for_config_entry(registry, entry.entry_id):
        unique_ids = built.get(entity_entry.config_subentry_id or "")
        if (
            entity_entry.domain == domain
            and unique_ids is not None
            and entity_entry.unique_id not in unique_ids
        ):
            registry.async_remove(entity_entry.entity_id)


@callback
def async_number_device(entry: EsimKeeperConfigEntry, subentry_id: str) -> dr.AnyDeviceEntry:
    """Create a number's device, or bring it up to date, once per load of the account.

    Every entity of the number is attached to it (``Entity.device_entry``) instead of carrying
    the same device info: with up to 14 entities a number, that is one device-registry update per
    number instead of one per entity, a seventh less set-up time at 1,000 numbers (benchmarks/).
    """
    runtime = entry.runtime_data
    hass = runtime.coordinator.hass
    registry = dr.async_get(hass)
    kind = runtime.provider.kind.value
    device_id = runtime.device_ids.get(subentry_id)
    if device_id is not None and (device := registry.async_get(device_id)) is not None:
        return device
    config = runtime.coordinator.numbers[subentry_id]
    device = registry.async_get_or_create(
        config_entry_id=entry.entry_id,
        config_subentry_id=subentry_id,
        # Identified by the subentry, never by the phone number: registries and their events
        # must not carry full numbers.
        identifiers={(DOMAIN, subentry_id)},
        name=config.name,
        # The carrier is the "manufacturer"; "Other" says nothing. Home Assistant translates
        # neither manufacturer nor model: both are written in its language at set-up.
        manufacturer=None
        if config.carrier == OTHER
        else texts.carrier_name(hass, config.carrier, config.carrier_name),
        model=texts.device_model(hass, kind, PROVIDER_MODELS[runtime.provider.kind]),
        model_id=kind,  # stable for blueprints: "manual" is a hand-kept number
        entry_type=dr.DeviceEntryType.SERVICE,
    )
    runtime.device_ids[subentry_id] = device.id
    return device


class EsimKeeperEntity(CoordinatorEntity[AccountCoordinator]):
    """An entity of one number (one config subentry, one device)."""

    _attr_has_entity_name = True

    def __init__(
        self,
        coordinator: AccountCoordinator,
        subentry_id: str,
        description: EntityDescription,
    ) -> None:
        """Attach the entity to a number's device; it shows nothing until the first poll."""
        super().__init__(coordinator)
        self.entity_description = description
        self.subentry_id = subentry_id
        # Like the device, identified by the subentry, never by the phone number.
        self._attr_unique_id = f"{subentry_id}_{description.key}"
        # What the entity shows: the account's availability and this number's data, as of the
        # last coordinator update it took. Properties read these, so a write shows one snapshot
        # and the snapshot a write showed can be rendered again later.
        self._shown_ok = coordinator.last_update_success
        self._shown: NumberData | None = coordinator.data.numbers.get(subentry_id)
        # What the last state write showed; rendered only when the snapshot first changes.
        self._written_key: tuple[object, ...] | None = None

    @property
    def number_data(self) -> NumberData | None:
        """Return this number's data from the last successful poll (None when the carrier lost it).

        Entities exist only after the account's first successful poll, so data is always set.
        """
        return self._shown

    @property
    def available(self) -> bool:
        """Return whether the last poll read the number and the entity has something to show."""
        return self._shown_ok and self._shown is not None

    async def async_added_to_hass(self) -> None:
        """Show the coordinator's latest snapshot (an entity can be removed and added again)."""
        await super().async_added_to_hass()
        self._shown_ok = self.coordinator.last_update_success
        self._shown = self.coordinator.data.numbers.get(self.subentry_id)
        self._written_key = None  # the first write shows the current snapshot

    @callback
    def async_write_shown(self) -> None:
        """Write state: what the current snapshot (and anything else an entity shows) renders.

        Subclasses write through this when something besides the coordinator changed them.
        """
        self._written_key = None  # rendered again only if the snapshot changes
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write state only when what this entity shows changed.

        Most polls change nothing (the coordinator passes the same data objects on), and a
        changed number often changes only some of its entities: what the last write showed is
        compared with what this one would show, both rendered only for a changed number.
        """
        ok = self.coordinator.last_update_success
        data = self.coordinator.data.numbers.get(self.subentry_id)
        if ok == self._shown_ok and data is self._shown:
            return
        written = self._state_key() if self._written_key is None else self._written_key
        self._shown_ok, self._shown = ok, data
        key = self._state_key()
        if key == written:
            self._written_key = key  # this number changed, but not what this entity shows
            return
        self.async_write_shown()

    def _state_key(self) -> tuple[object, ...]:
        """Return what a state write would show; equal keys mean there is nothing to write."""
        return (
            self.available,
            str(self.state),  # as written: Decimal("0") equals Decimal("0.00"), "0" is not "0.00"
            self.unit_of_measurement,
            self.state_attributes,
            self.extra_state_attributes,
        )
