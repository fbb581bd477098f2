"""Keep every line an account lists, and the settings new numbers start with.

With keep-all on (an API account's option), a line the carrier lists that is not a number yet is
added on the next poll as a number subentry created by the integration, with the account's
defaults. A number whose line the carrier stops listing raises a repair: remove it, or keep it
(the user says the carrier is wrong). The keeper decides which (keeper.pool); this module adds
subentries and raises issues.

Many lines at once (a reseller's 1,000) are added a few per event-loop turn, with the account's
sync paused: one re-read of the numbers at the end, and no extra request (the new numbers take
their data from the poll that listed them).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir

from .client import suggested_carrier
from .const import (
    CONF_CARRIER,
    CONF_DEFAULTS,
    CONF_KEEP_ALL,
    CONF_KEEP_UNLISTED,
    CONF_LINE_ID,
    CONF_NUMBER,
    CONF_PLAN,
    CONF_RENEWAL,
    DOMAIN,
    LOGGER,
    SUBENTRY_NUMBER,
)
from .coordinator import AccountCoordinator
from .keeper.model import LineSnapshot
from .keeper.pool import pool_changes
from .keeper.providers.base import ProviderKind
from .lines import masked_title, taken_numbers
from .runtime import EsimKeeperConfigEntry

ISSUE_LINE_GONE = "line_gone"
# Subentries added per event-loop turn while keeping many new lines.
LINES_PER_TURN = 20


def line_gone_issue(subentry_id: str) -> str:
    """Return the repair issue of a number whose line the carrier no longer lists."""
    return f"{ISSUE_LINE_GONE}_{subentry_id}"


@dataclass(frozen=True, slots=True)
class NumberDefaults:
    """What a new number of the account starts with (options ``new_numbers``).

    Each number's own settings, changed later in its reconfigure form, override them.
    """

    carrier: str | None = None
    plan: Mapping[str, Any] = field(default_factory=dict)
    renewal: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> NumberDefaults:
        """Read the defaults from the account's options (``new_numbers``)."""
        raw = options.get(CONF_DEFAULTS) or {}
        return cls(
            carrier=raw.get(CONF_CARRIER) or None,
            plan=dict(raw.get(CONF_PLAN) or {}),
            renewal=dict(raw.get(CONF_RENEWAL) or {}),
        )

    def number_data(self, kind: ProviderKind, line: LineSnapshot) -> dict[str, Any]:
        """Return the subentry data of a line added with these defaults.

        The plan overrides apply to the defaults' carrier; a line without one gets the carrier its
        provider suggests.
        """
        data: dict[str, Any] = {
            CONF_NUMBER: line.number,
            CONF_LINE_ID: line.line_id,
            CONF_CARRIER: self.carrier or suggested_carrier(kind, line),
            CONF_PLAN: dict(self.plan) if self.carrier else {},
        }
        if self.renewal:
            data[CONF_RENEWAL] = dict(self.renewal)
        return data


def line_title(line: LineSnapshot, carrier: str) -> str:
    """Return a new number's name.

    The carrier's name for the line, else its preset and last four digits (never the whole number).
    """
    return (line.name or masked_title(carrier, line.number))[:64]


def keeps_all(entry: EsimKeeperConfigEntry) -> bool:
    """Whether the account keeps every line its carrier lists."""
    return bool(entry.options.get(CONF_KEEP_ALL, False))


class LinePool:
    """Follows the lines an account's carrier lists (API accounts only)."""

    def __init__(
        self, hass: HomeAssistant, entry: EsimKeeperConfigEntry, coordinator: AccountCoordinator
    ) -> None:
        """Follow the lines the account's polls list."""
        self.hass = hass
        self.entry = entry
        self.coordinator = coordinator
        self._adding: asyncio.Task[None] | None = None

    @callback
    def async_start(self) -> None:
        """Follow every poll from now on, and act on the first one."""
        self.entry.async_on_unload(self.coordinator.async_add_listener(self._on_update))
        self._on_update()

    def _flagged(self) -> set[str]:
        """Numbers already reported gone, or kept by the user although unlisted."""
        registry = ir.async_get(self.hass)
        return {
            subentry_id
            for subentry_id, subentry in self.entry.subentries.items()
            if subentry.data.get(CONF_KEEP_UNLISTED)
            or registry.async_get_issue(DOMAIN, line_gone_issue(subentry_id)) is not None
        }

    @callback
    def _on_update(self) -> None:
        state = self.coordinator.data
        if not self.coordinator.last_update_success or state is None:
            return
        kept = {s: config.line_id for s, config in self.coordinator.numbers.items()}
        changes = pool_changes(
            state.listed,
            kept,
            taken_numbers(self.hass),
            keep_all=keeps_all(self.entry) and self._adding is None,
            flagged=self._flagged(),
        )
        for subentry_id in changes.gone:
            self._raise_gone(subentry_id)
        for subentry_id in changes.back:
            self._clear_gone(subentry_id)
        self._drop_orphan_issues()
        if changes.add:
            self._adding = self.entry.async_create_task(
                self.hass, self._async_add(changes.add), f"{DOMAIN} keep new lines"
            )

    def _drop_orphan_issues(self) -> None:
        """Issues of numbers the user removed some other way."""
        registry = ir.async_get(self.hass)
        prefix = line_gone_issue("")
        for domain, issue_id in list(registry.issues):
            if domain != DOMAIN or not issue_id.startswith(prefix):
                continue
            issue = registry.issues[(domain, issue_id)]
            data = issue.data or {}
            if (
                data.get("entry_id") == self.entry.entry_id
                and data.get("subentry_id") not in self.entry.subentries
            ):
                ir.async_delete_issue(self.hass, DOMAIN, issue_id)

    def _raise_gone(self, subentry_id: str) -> None:
        config = self.coordinator.numbers[subentry_id]
        LOGGER.info("The carrier no longer lists number %s", config.masked)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            line_gone_issue(subentry_id),
            is_fixable=True,
            is_persistent=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_LINE_GONE,
            translation_placeholders={
                "name": config.name,
                "number": config.masked,
                "account": self.entry.title,
            },
            data={"entry_id": self.entry.entry_id, "subentry_id": subentry_id},
        )

    def _clear_gone(self, subentry_id: str) -> None:
        ir.async_delete_issue(self.hass, DOMAIN, line_gone_issue(subentry_id))
        subentry = self.entry.subentries[subentry_id]
        if subentry.data.get(CONF_KEEP_UNLISTED):
            data = {k: v for k, v in subentry.data.items() if k != CONF_KEEP_UNLISTED}
            self.hass.config_entries.async_update_subentry(self.entry, subentry, data=data)

    async def _async_add(self, line_ids: tuple[str, ...]) -> None:
        """Add the new lines as numbers, a few per turn, then show them from the same poll."""
        fetch = self.coordinator.last_fetch
        assert fetch is not None  # a poll listed these lines
        defaults = NumberDefaults.from_options(self.entry.options)
        kind = self.coordinator.provider.kind
        added = 0
        self.coordinator.sync_paused = True
        try:
            for start in range(0, len(line_ids), LINES_PER_TURN):
                taken = taken_numbers(self.hass)
                for line_id in line_ids[start : start + LINES_PER_TURN]:
                    line = fetch.lines[line_id]
                    if line.number in taken:
                        continue  # another account (or a user's flow) took it meanwhile
                    data = defaults.number_data(kind, line)
                    self.hass.config_entries.async_add_subentry(
                        self.entry,
                        ConfigSubentry(
                            data=MappingProxyType(data),
                            subentry_type=SUBENTRY_NUMBER,
                            title=line_title(line, data[CONF_CARRIER]),
                            unique_id=line.number,
                        ),
                    )
                    taken.add(line.number)
                    added += 1
                self.coordinator.sync_numbers(force=True)  # only the new ones are read
                await asyncio.sleep(0)
        finally:
            self.coordinator.sync_paused = False
            self._adding = None
        LOGGER.info("Keeping %d new lines of %s", added, self.entry.title)
        self.coordinator.sync_numbers()
        self.coordinator.async_set_updated_data(
            await self.coordinator.async_derive(
                fetch.lines, fetch.account_balance, fetch.fetched_at
            )
        )
