"""Auto-renew and the "number at risk" repair: what every poll checks for every number.

Auto-renew follows the number's policy (keeper.renewals.auto_renew_due), only for numbers the
integration pays (never for hand-kept ones: their user pays the carrier), waits until the
previous payment is settled and verified, and switches itself off after repeated failures. The
"number at risk" issue tells the user what to do: renew or turn auto-renew on for numbers we pay,
pay the carrier and record it for hand-kept ones, use the number for an activity deadline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime

from homeassistant.core import callback
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util

from . import texts
from .account import Account, AccountPart
from .const import CONF_RENEWAL, CONF_WARN_DAYS, DEFAULT_WARN_DAYS, DOMAIN, LOGGER
from .coordinator import NumberData
from .errors import RenewalDeferredError
from .history import Verification
from .keeper.errors import KeeperError
from .keeper.renewals import auto_renew_due, number_at_risk
from .lines import AutoRenewMode, NumberConfig
from .texts import REASON
from .verification import issue_id

# Consecutive failed automatic renewals after which auto-renew switches itself off.
AUTO_RENEW_MAX_FAILURES = 3

ISSUE_AT_RISK = "number_at_risk"
ISSUE_AUTO_RENEW_OFF = "auto_renew_disabled"


class AutoRenewer(AccountPart):
    """Auto-renew and risk issues of one account's numbers."""

    def __init__(
        self,
        account: Account,
        renew: Callable[[str], Awaitable[object]],
        busy: Callable[[NumberConfig], bool],
    ) -> None:
        """Set up the auto-renew schedule of an account; it starts when the engine does."""
        super().__init__(account)
        self._renew = renew
        self._busy = busy
        self._running: set[str] = set()

    def _pays(self) -> bool:
        """Whether the integration itself pays this account's numbers."""
        capabilities = self.coordinator.provider.capabilities
        return capabilities.can_renew and not capabilities.records_payments

    @callback
    def check(self, auto_kept: Callable[[NumberConfig], bool]) -> None:
        """On every poll: risk issues, and automatic renewals that are due.

        ``auto_kept`` tells whether something pays a number's plan without the user (auto-renew
        here, or the carrier's own autopay of a hand-kept number).
        """
        warn_days = int(self.entry.options.get(CONF_WARN_DAYS, DEFAULT_WARN_DAYS))
        now = dt_util.utcnow()
        pays = self._pays()
        for subentry_id, config in self.coordinator.numbers.items():
            auto_on = pays and config.renewal.auto_renew is not AutoRenewMode.OFF
            if auto_on:
                ir.async_delete_issue(
                    self.hass, DOMAIN, issue_id(ISSUE_AUTO_RENEW_OFF, subentry_id)
                )
            state = self.coordinator.data
            data = state.numbers.get(subentry_id) if state is not None else None
            if data is None:
                continue
            self._update_risk(config, data, warn_days, auto_on or auto_kept(config))
            if auto_on and self._due(config, data, now):
                self._running.add(subentry_id)
                self.entry.async_create_background_task(
                    self.hass, self._async_auto_renew(config), f"{DOMAIN} auto-renew"
                )

    @callback
    def _update_risk(
        self, config: NumberConfig, data: NumberData, warn_days: int, auto_on: bool
    ) -> None:
        issue = issue_id(ISSUE_AT_RISK, config.subentry_id)
        if not number_at_risk(data.status, warn_days, auto_renew=auto_on):
            ir.async_delete_issue(self.hass, DOMAIN, issue)
            return
        deadline = data.status.keep_alive_deadline
        assert deadline is not None
        if deadline == data.status.activity_deadline:
            key = f"{ISSUE_AT_RISK}_activity"
        elif self.coordinator.provider.capabilities.records_payments:
            key = f"{ISSUE_AT_RISK}_hand_kept"
        else:
            key = ISSUE_AT_RISK
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue,
            is_fixable=False,
            severity=ir.IssueSeverity.WARNING,
            translation_key=key,
            translation_placeholders={
                "name": config.name,
                "deadline": dt_util.as_local(deadline).date().isoformat(),
                "days": str(data.status.days_to_deadline),
                "amount": str(data.status.next_renewal_cost),
            },
        )

    def _due(self, config: NumberConfig, data: NumberData, now: datetime) -> bool:
        subentry_id = config.subentry_id
        if subentry_id in self._running or self._busy(config):
            return False
        last = self.history.last(subentry_id)
        if last is not None and (
            last.unresolved or last.verification in (Verification.PENDING, Verification.UNVERIFIED)
        ):
            return False  # settle or verify the previous payment first
        success = self.history.last_success(subentry_id)
        try:
            return auto_renew_due(
                config.renewal.auto_renew.value,
                data.status,
                config.plan,
                now,
                days_before=config.renewal.auto_renew_days,
                day_of_month=config.renewal.auto_renew_day,
                last_success=success.created_at if success else None,
            )
        except KeeperError:
            LOGGER.warning("Auto-renew settings of %s are invalid", config.masked)
            return False

    async def _async_auto_renew(self, config: NumberConfig) -> None:
        subentry_id = config.subentry_id
        try:
            await self._renew(subentry_id)
        except RenewalDeferredError:
            pass  # not a failure: the next poll asks again
        except HomeAssistantError as err:
            await self._async_failed(config, err.translation_key or "error")
        else:
            self.history.set_failures(subentry_id, 0)
            await self.history.async_save_after()
        finally:
            self._running.discard(subentry_id)

    async def _async_failed(self, config: NumberConfig, reason: str) -> None:
        subentry_id = config.subentry_id
        failures = self.history.failures(subentry_id) + 1
        LOGGER.warning(
            "Automatic renewal of %s failed (%s), %d in a row", config.masked, reason, failures
        )
        if failures < AUTO_RENEW_MAX_FAILURES:
            self.history.set_failures(subentry_id, failures)
            await self.history.async_save_after()
            return
        self.history.set_failures(subentry_id, 0)
        await self.history.async_save_after()
        previous = config.renewal.auto_renew
        self.set_mode(subentry_id, AutoRenewMode.OFF)
        ir.async_create_issue(
            self.hass,
            DOMAIN,
            issue_id(ISSUE_AUTO_RENEW_OFF, subentry_id),
            is_fixable=True,
            severity=ir.IssueSeverity.ERROR,
            translation_key=ISSUE_AUTO_RENEW_OFF,
            translation_placeholders={
                "name": config.name,
                "failures": str(failures),
                "reason": texts.code_name(self.hass, REASON, reason),
            },
            data={
                "entry_id": self.entry.entry_id,
                "subentry_id": subentry_id,
                "mode": previous.value,
            },
        )

    @callback
    def set_mode(self, subentry_id: str, mode: AutoRenewMode) -> None:
        """Store a number's auto-renew mode (switched off by failures, back on by a repair)."""
        subentry = self.entry.subentries[subentry_id]
        config = self.coordinator.numbers[subentry_id]
        settings = replace(config.renewal, auto_renew=mode)
        self.hass.config_entries.async_update_subentry(
            self.entry, subentry, data={**subentry.data, CONF_RENEWAL: settings.to_data()}
        )
        self.coordinator.sync_numbers()
