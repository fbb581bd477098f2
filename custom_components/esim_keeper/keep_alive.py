"""Keep-alive messages out: a number that must be used sends a text from itself, by itself.

A number with an activity rule (Google Voice, giffgaff, Twilio …) may have a *keep-alive
message* in its settings: a notify entity, or a notify action with a recipient, that sends **from
that number** (its SIM in a modem or router Home Assistant controls, or a Twilio number through
Twilio SMS), and a text. When the number's activity deadline comes within the account's warning
window the text is sent once for that deadline (the deadline it was sent for is stored, so polls
and restarts do not send it again). Activity is recorded only when the send succeeded, i.e. the
action call did not raise: for a hand-kept number the activity clock restarts now; a provider
that reports activity itself (Twilio) is polled again and sees the sent text. A failed send
records nothing and raises a repair.

A text sent *to* the number from elsewhere keeps most numbers alive no better than nothing, so
nothing here (nor in ingest.py) ever records activity for a text the number received.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from .const import (
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALIVE_TEXT,
    CONF_NOTIFY_ACTION,
    CONF_NOTIFY_ENTITY,
    CONF_RECIPIENT,
    CONF_WARN_DAYS,
    DEFAULT_WARN_DAYS,
    DOMAIN,
    LOGGER,
)
from .ingest import INBOX
from .lines import NumberConfig
from .runtime import EsimKeeperConfigEntry
from .verification import issue_id

ISSUE_KEEP_ALIVE_FAILED: Final = "keep_alive_failed"


def keep_alive_settings(entry: EsimKeeperConfigEntry, subentry_id: str) -> Mapping[str, Any]:
    """Return a number's keep-alive message settings (empty when it has none)."""
    subentry = entry.subentries.get(subentry_id)
    settings = subentry.data.get(CONF_KEEP_ALIVE) if subentry else None
    return settings if isinstance(settings, Mapping) else {}


class KeepAlive:
    """One account's keep-alive messages."""

    def __init__(self, hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> None:
        """Prepare keep-alive messages for the account's numbers; nothing is sent yet."""
        self.hass = hass
        self.entry = entry
        self._sending: set[str] = set()

    @callback
    def check(self) -> None:
        """On every poll: send the messages whose deadline came within the warning window."""
        coordinator = self.entry.runtime_data.coordinator
        inbox = self.hass.data[INBOX]
        window = timedelta(days=int(self.entry.options.get(CONF_WARN_DAYS, DEFAULT_WARN_DAYS)))
        now = dt_util.utcnow()
        for subentry_id, config in coordinator.numbers.items():
            settings = keep_alive_settings(self.entry, subentry_id)
            number = coordinator.data.numbers.get(subentry_id)
            if not config.plan.activity_days or not settings or number is None:
                continue
            deadline = number.status.activity_deadline
            if deadline is None or deadline - now > window or subentry_id in self._sending:
                continue
            if inbox.sent.get(subentry_id) == deadline.isoformat():
                continue
            self._sending.add(subentry_id)
            self.entry.async_create_background_task(
                self.hass,
                self._async_send(config, settings, deadline),
                f"{DOMAIN} keep-alive message",
            )

    async def _async_send(
        self, config: NumberConfig, settings: Mapping[str, Any], deadline: datetime
    ) -> None:
        inbox = self.hass.data[INBOX]
        issue = issue_id(ISSUE_KEEP_ALIVE_FAILED, config.subentry_id)
        try:
            # Once per deadline: the mark is on disk before the text goes out.
            inbox.sent[config.subentry_id] = deadline.isoformat()
            await inbox.async_save()
            try:
                await self._async_call(settings)
            except Exception as err:  # noqa: BLE001  # any failure of the notifier is a failed send
                LOGGER.warning(
                    "The keep-alive message from %s could not be sent (%s)",
                    config.masked,
                    type(err).__name__,
                )
                ir.async_create_issue(
                    self.hass,
                    DOMAIN,
                    issue,
                    is_fixable=False,
                    severity=ir.IssueSeverity.ERROR,
                    translation_key=ISSUE_KEEP_ALIVE_FAILED,
                    translation_placeholders={
                        "name": config.name,
                        "deadline": dt_util.as_local(deadline).date().isoformat(),
                    },
                )
                return
            ir.async_delete_issue(self.hass, DOMAIN, issue)
            await self._async_sent(config)
        finally:
            self._sending.discard(config.subentry_id)

    async def _async_call(self, settings: Mapping[str, Any]) -> None:
        text = str(settings.get(CONF_KEEP_ALIVE_TEXT) or "")
        if entity_id := settings.get(CONF_NOTIFY_ENTITY):
            await self.hass.services.async_call(
                "notify",
                "send_message",
                {"entity_id": entity_id, "message": text},
                blocking=True,
            )
            return
        domain, _, service = str(settings.get(CONF_NOTIFY_ACTION) or "").partition(".")
        data: dict[str, Any] = {"message": text}
        if recipient := settings.get(CONF_RECIPIENT):
            data["target"] = [str(recipient)]
        await self.hass.services.async_call(domain, service, data, blocking=True)

    async def _async_sent(self, config: NumberConfig) -> None:
        """Count a text the number itself sent as activity."""
        runtime = self.entry.runtime_data
        provider = runtime.coordinator.provider
        if provider.capabilities.keeps_activity or not provider.capabilities.reports_activity:
            await runtime.renewals.hand_kept.async_record_activity(config.subentry_id)
        else:
            await runtime.coordinator.async_request_refresh()  # the carrier reports it
