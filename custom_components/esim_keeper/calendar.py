"""One calendar per account: every number's deadlines, as the keeper computes them.

Events start at the real deadline instants (keeper.deadlines.deadline_events), so calendar triggers
with a negative offset fire that long before a deadline. Summaries and descriptions come from the
translation files (``entity.calendar.deadlines.state_attributes.{message,description}.state``:
the texts the calendar's message and description attributes take) in Home Assistant's language.
"""

from __future__ import annotations

from datetime import datetime

from homeassistant.components.calendar import CalendarEntity, CalendarEvent
from homeassistant.const import EVENT_CORE_CONFIG_UPDATE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import CoordinatorEntity
from homeassistant.util import dt as dt_util

from .const import DOMAIN
from .coordinator import AccountCoordinator, EsimKeeperConfigEntry
from .keeper.deadlines import DeadlineEvent, deadline_events

PARALLEL_UPDATES = 0

TRANSLATION_KEY = "deadlines"
_TEXTS = f"component.{DOMAIN}.entity.calendar.{TRANSLATION_KEY}.state_attributes"


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
        coordinator = entry.runtime_data.coordinator
        super().__init__(coordinator)
        self._attr_unique_id = f"{entry.entry_id}_{TRANSLATION_KEY}"
        self._attr_device_info = DeviceInfo(
            identifiers={(DOMAIN, entry.entry_id)},
            name=entry.title,
            model=coordinator.provider.kind.value,
            entry_type=DeviceEntryType.SERVICE,
        )
        self._language: str | None = None
        self._texts: dict[str, str] = {}

    async def async_added_to_hass(self) -> None:
        await super().async_added_to_hass()
        await self._async_texts()
        self.async_on_remove(
            self.hass.bus.async_listen(EVENT_CORE_CONFIG_UPDATE, self._async_config_updated)
        )

    async def _async_config_updated(self, event: Event) -> None:
        """Home Assistant's language changed: the next event's summary follows it."""
        if self.hass.config.language != self._language:
            await self._async_texts()
            self.async_write_ha_state()

    async def _async_texts(self) -> dict[str, str]:
        """The calendar's texts in Home Assistant's language (English for missing keys)."""
        language = self.hass.config.language
        if language != self._language:
            self._texts = await async_get_translations(self.hass, language, "entity", {DOMAIN})
            self._language = language
        return self._texts

    def _calendar_event(self, deadline: DeadlineEvent, name: str) -> CalendarEvent:
        kind = deadline.kind.value
        summary = self._texts.get(f"{_TEXTS}.message.state.{kind}", f"{{name}}: {kind}")
        description = self._texts.get(f"{_TEXTS}.description.state.{kind}")
        return CalendarEvent(
            start=deadline.start,
            end=deadline.end,
            summary=summary.format(name=name),
            description=description,
            uid=deadline.uid,
        )

    def _events(self) -> list[CalendarEvent]:
        """Every number's deadlines in time order (numbers by name, then the keeper's order)."""
        numbers = sorted(self.coordinator.data.numbers.items(), key=lambda i: i[1].config.name)
        events = [
            self._calendar_event(deadline, data.config.name)
            for subentry_id, data in numbers
            for deadline in deadline_events(data.status, data.config.plan.tz, line_id=subentry_id)
        ]
        events.sort(key=lambda event: event.start_datetime_local)
        return events

    @property
    def event(self) -> CalendarEvent | None:
        """The current or next deadline."""
        now = dt_util.now()
        return next((e for e in self._events() if e.end_datetime_local > now), None)

    async def async_get_events(
        self, hass: HomeAssistant, start_date: datetime, end_date: datetime
    ) -> list[CalendarEvent]:
        """The deadlines that overlap [start_date, end_date)."""
        await self._async_texts()
        return [
            event
            for event in self._events()
            if event.end_datetime_local > start_date and event.start_datetime_local < end_date
        ]
