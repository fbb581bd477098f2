"""Verification: after a renewal succeeded, the line is read again and the change must show.

The carrier said it charged; the line should then show a later expiry or a balance that moved.
It is read again shortly after the payment and on every poll; if nothing shows within the window,
the renewal is "unverified" (event + repair issue) until it shows or the user confirms it did.
What "shows" means is keeper.renewals.renewal_visible.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from homeassistant.core import CALLBACK_TYPE, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_call_later
from homeassistant.util import dt as dt_util

from .account import Account, AccountPart
from .const import DOMAIN, LOGGER
from .history import RenewalRecord, Verification
from .keeper.renewals import renewal_visible

# Read the line again this long after a success.
VERIFY_DELAY = timedelta(seconds=30)

ISSUE_UNVERIFIED = "renewal_unverified"


def issue_id(kind: str, subentry_id: str) -> str:
    """Return a number's repair issue of one kind."""
    return f"{kind}_{subentry_id}"


class Verifier(AccountPart):
    """Follows one account's successful renewals until they show on their lines."""

    def __init__(self, account: Account, announce: Callable[[RenewalRecord, str], None]) -> None:
        """Verify paid renewals on the line, calling ``announce`` with each outcome."""
        super().__init__(account)
        self._announce = announce
        self._timers: dict[str, list[CALLBACK_TYPE]] = {}
        self._stopped = False

    @callback
    def async_start(self) -> None:
        """Resume the verifications a restart or reload interrupted."""
        for record in self.history.awaiting_verification():
            if record.verification is Verification.PENDING:
                self.schedule(record)

    @callback
    def async_stop(self) -> None:
        """Stop on unload: cancel every timer, schedule none after this."""
        self._stopped = True
        for cancels in self._timers.values():
            for cancel in cancels:
                cancel()
        self._timers.clear()

    @callback
    def schedule(self, record: RenewalRecord) -> None:
        """Read the line again soon, and close the window at ``record.verify_by``."""
        if self._stopped or record.renewal_id in self._timers:
            return
        now = dt_util.utcnow()
        deadline = record.verify_by or now
        renewal_id = record.renewal_id

        @callback
        def _read_again(_: datetime) -> None:
            self.entry.async_create_background_task(
                self.hass, self.coordinator.async_refresh(), f"{DOMAIN} verify renewal"
            )

        @callback
        def _window_closed(_: datetime) -> None:
            self.entry.async_create_background_task(
                self.hass, self._async_window_closed(renewal_id), f"{DOMAIN} verify renewal"
            )

        self._timers[renewal_id] = [
            async_call_later(self.hass, VERIFY_DELAY, _read_again),
            async_call_later(self.hass, max(deadline - now, timedelta(0)), _window_closed),
        ]

    async def _async_window_closed(self, renewal_id: str) -> None:
        self._timers.pop(renewal_id, None)
        await self.coordinator.async_refresh()
        record = self.history.get(renewal_id)
        if self._stopped or record is None or record.verification is not Verification.PENDING:
            return
        config = self.coordinator.numbers.get(record.subentry_id)
        if config is None:
            return
        record.verification = Verification.UNVERIFIED
        await self.history.async_save_after()
        LOGGER.warning("The renewal of %s has not shown on the line yet", config.masked)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(ISSUE_UNVERIFIED, config.subentry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_UNVERIFIED,
            translation_placeholders={
                "name": config.name,
                "amount": str(record.amount),
                "date": record.created_at.date().isoformat(),
            },
            data={"entry_id": self.entry.entry_id, "renewal_id": renewal_id},
        )
        self._announce(record, "unverified")

    @callback
    def check(self) -> None:
        """On every poll: renewals whose change now shows are verified."""
        state = self.coordinator.data
        for record in self.history.awaiting_verification():
            data = state.numbers.get(record.subentry_id) if state is not None else None
            if data is None or not renewal_visible(
                record.before_expiry, record.before_balance, data.snapshot
            ):
                continue
            self.entry.async_create_background_task(
                self.hass, self.async_mark_verified(record), f"{DOMAIN} renewal verified"
            )

    async def async_mark_verified(self, record: RenewalRecord) -> None:
        """Mark a payment verified: it showed on the line (or the user confirmed it did)."""
        if record.verification is Verification.VERIFIED:
            return
        record.verification = Verification.VERIFIED
        for cancel in self._timers.pop(record.renewal_id, []):
            cancel()
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(ISSUE_UNVERIFIED, record.subentry_id))
        self._announce(record, "verified")
        await self.history.async_save_after()
