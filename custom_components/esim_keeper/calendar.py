"""One calendar per account: every number's deadlines, as the keeper computes them.

Events start at the real deadline instants (keeper.deadlines.deadline_events), so calendar triggers
with a negative offset fire that long before a deadline. Summaries and descriptions come from the
translation files in Home Assistant's language: the phrase of each kind of deadline
(``entity.calendar.deadlines.state_attributes.{message,description}.state``, which Home Assistant
allows no placeholders in) is joined to the number's name by ``common.deadline_summary``
("{name}: {event}", "{name}：{event}"), so each language keeps its own punctuation and word order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from . import texts
from .const import DOMAIN, PROVIDER_MODELS
from .coordinator import AccountCoordinator, NumberData
from .keeper.deadlines import DeadlineEvent, deadline_events
from .keeper.providers.base import ProviderKind
from .runtime import EsimKeeperConfigEntry

PARALLEL_UPDATES = 0

TRANSLATION_KEY = "deadlines"
# Account titles eSIM Keeper chooses itself (keeper/providers): their devices get translated names.
DEFAULT_TITLES: Final = {ProviderKind.DEMO: "Demo carrier", ProviderKind.MANUAL: "Manual records"}
_TEXTS = f"component.{DOMAIN}.entity.calendar.{TRANSLATION_KEY}.state_attributes"
_SUMMARY = f"component.{DOMAIN}.common.deadline_summary"


async def async_setup_entry(
    hass: HomeAssistant,
    entry: EsimKeeperConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the account's deadline calendar (it belongs to the account, not to one number)."""
    async_add_entities([DeadlineCalendar(entry)])


class DeadlineCalendar(CoordinatorEntity[AccountCoordinator], CalendarEntity):
    """Plan expiries, activity deadlines, number-loss dates and funded-until dates of an account."""

    _attr_has_entity_name = True
    _attr_translation_key = TRANSLATION_KEY

    def __init__(self, entry: EsimKeeperConfigEntry) -> None:
        """Attach the calendar to the account's own device (a service device, not a number)."""
        coordinator = entry.runtime_data.coordinator
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.entry_id}_{TRANSLATION_KEY}"
        kind = coordinator.provider.kind
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            model=texts.device_model(coordinator.hass, kind.value, PROVIDER_MODELS[kind]),
            model_id=kind.value,
            entry_type=DeviceEntryType.SERVICE,
        )
        if entry.title == DEFAULT_TITLES.get(kind):
            # An account named by eSIM Keeper, not by the user or carrier: a translated name.
            self._attr_device_info["translation_key"] = f"{kind.value}_account"
        self._language: str | None = None
        self._texts: dict[str, str] = {}
        self._cache: dict[str, tuple[NumberData, list[DeadlineEvent]]] = {}
        self._next: tuple[DeadlineEvent, str] | None = None
        self._written: tuple[bool, tuple[DeadlineEvent, str] | None] | None = None

    async def async_added_to_hass(self) -> None:
        """Load the texts, find the first event, and follow Home Assistant's language."""
        await super().async_added_to_hass()
        await self._async_texts()
        # What the first write (right after this) shows, so the next poll can skip an equal one.
        self._deadlines()
        self._next = self._find_next()
        self._written = (self.coordinator.last_update_success, self._next)
        self.async_on_remove(
            self.hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, self._async_config_updated)
        )

    async def _async_config_updated(self, event: Event) -> None:
        """Home Assistant's language changed: the next event's summary follows it."""
        if self.hass.config.language != self._language:
            await self._async_texts()
            self.async_write_ha_state()

    async def _async_texts(self) -> dict[str, str]:
        """Return the calendar's texts in Home Assistant's language (English for missing keys)."""
        language = self.hass.config.language
        if language != self._language:
            # Workaround: Home Assistant translates an entity's name and state, but not the
            # summary or description of a calendar event (CalendarEvent takes plain strings),
            # and state-attribute strings may hold no placeholders. So the entity reads its own
            # translation files and joins the phrase to the number's name itself; it re-reads
            # them when the language changes. Drop this if Home Assistant ever translates events.
            self._texts = {
                **await async_get_translations(self.hass, language, "entity", {DOMAIN}),
                **await async_get_translations(self.hass, language, "common", {DOMAIN}),
            }
            self._language = language
        return self._texts

    def _calendar_event(self, deadline: DeadlineEvent, name: str) -> CalendarEvent:
        kind = deadline.kind.value
        phrase = self._texts.get(f"{_TEXTS}.message.state.{kind}", kind)
        summary = self._texts.get(_SUMMARY, "{name}: {event}")
        description = self._texts.get(f"{_TEXTS}.description.state.{kind}")
        return CalendarEvent(
            start=deadline.start,
            end=deadline.end,
            summary=summary.format(name=name, event=phrase),
            description=description,
            uid=deadline.uid,
        )

    def _deadlines(self) -> dict[str, tuple[NumberData, list[DeadlineEvent]]]:
        """Every number's deadlines; recomputed only for numbers whose data changed."""
        cache: dict[str, tuple[NumberData, list[DeadlineEvent]]] = {}
        for subentry_id, data in self.coordinator.data.numbers.items():
            known = self._cache.get(subentry_id)
            if known is not None and known[0] is data:
                cache[subentry_id] = known
            else:
                plan = data.config.plan
                events = deadline_events(
                    data.status, plan.tz, line_id=subentry_id, plan_expiry=plan.dated
                )
                cache[subentry_id] = (data, events)
        self._cache = cache
        return cache

    def _find_next(self) -> tuple[DeadlineEvent, str] | None:
        """Return the deadline that has not ended yet and starts first (ties: by number name)."""
        now = dt_util.utcnow()
        best: tuple[DeadlineEvent, str] | None = None
        for data, deadlines in self._cache.values():
            name = data.config.name
            for deadline in deadlines:
                if deadline.end > now and (
                    best is None or (deadline.start, name) < (best[0].start, best[1])
                ):
                    best = (deadline, name)
        return best

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write only when the next deadline (or availability) changed, not on every poll."""
        self._deadlines()
        upcoming = self._find_next()
        seen = (self.coordinator.last_update_success, upcoming)
        if seen == self._written:
            return
        self._next = upcoming
        self._written = seen
        self.async_write_ha_state()

    @property
    def event(self) -> CalendarEvent | None:
        """The current or next deadline."""
        if self._next is None or self._next[0].end <= dt_util.utcnow():
            if not self._cache:
                self._deadlines()
            self._next = self._find_next()
        return None if self._next is None else self._calendar_event(*self._next)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """Return the deadlines that overlap [start_date, end_date), in time order."""
        await self._async_texts()
        found = [
            (deadline.start, name, deadline)
            for data, deadlines in self._deadlines().values()
            for name in (data.config.name,)
            for deadline in deadlines
            if deadline.end > start_date and deadline.start < end_date
        ]
        found.sort(key=lambda item: (item[0], item[1]))
        return [self._calendar_event(deadline, name) for _, name, deadline in found]
