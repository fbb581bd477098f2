"""Repair flows.

Turn auto-renew back on, confirm a renewal the carrier does not show yet, and settle a renewal whose
outcome stayed unknown (the user checked with the carrier).

The "number at risk" issue needs the user to pay or use the number (its text says how) and clears
itself when the number is safe again, so it has no flow.
"""

from __future__ import annotations

from homeassistant.components.repairs import ConfirmRepairFlow, RepairsFlow, RepairsFlowResult
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import ServiceValidationError
from homeassistant.helpers import issue_registry as ir
import voluptuous as vol

from .const import CONF_KEEP_UNLISTED, DOMAIN
from .hand_kept import ISSUE_AUTOPAY
from .ingest import ISSUE_PAYMENT, ISSUE_UNMATCHED, ISSUE_WARNING
from .lines import AutoRenewMode
from .payments import ISSUE_UNKNOWN
from .pool import ISSUE_LINE_GONE
from .renewal import ISSUE_AUTO_RENEW_OFF, ISSUE_UNVERIFIED, RenewalEngine, issue_id

MESSAGE_ISSUES = (ISSUE_UNMATCHED, ISSUE_PAYMENT, ISSUE_WARNING)


def _engine(hass: HomeAssistant, entry_id: object) -> RenewalEngine | None:
    entry = hass.config_entries.async_get_entry(str(entry_id))
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    engine: RenewalEngine = entry.runtime_data.renewals
    return engine


class _EngineFlow(RepairsFlow):
    """A one-step confirm flow that acts on a loaded account."""

    def __init__(self, data: dict[str, str | int | float | None]) -> None:
        self.issue_data = data

    def _placeholders(self) -> dict[str, str] | None:
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        return issue.translation_placeholders if issue else None

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        return await self.async_step_confirm()

    async def async_step_confirm(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        engine = _engine(self.hass, self.issue_data.get("entry_id"))
        if engine is None:
            return self.async_abort(reason="entry_not_loaded")
        if user_input is not None:
            if not await self.async_fix(engine):
                return self.async_abort(reason="number_removed")
            return self.async_create_entry(data={})
        return self.async_show_form(
            step_id="confirm",
            data_schema=vol.Schema({}),
            description_placeholders=self._placeholders(),
        )

    async def async_fix(self, engine: RenewalEngine) -> bool:
        """Act on the account; False when what the issue is about no longer exists."""
        raise NotImplementedError


class AutoRenewFlow(_EngineFlow):
    """Turn auto-renew back on with the mode it had when it switched itself off."""

    async def async_fix(self, engine: RenewalEngine) -> bool:
        """Turn auto-renew back on."""
        subentry_id = str(self.issue_data.get("subentry_id"))
        if subentry_id not in engine.coordinator.numbers:
            return False
        mode = AutoRenewMode(str(self.issue_data.get("mode", AutoRenewMode.DAYS_BEFORE)))
        engine.set_auto_renew(subentry_id, mode)
        engine.history.set_failures(subentry_id, 0)
        ir.async_delete_issue(self.hass, DOMAIN, issue_id(ISSUE_AUTO_RENEW_OFF, subentry_id))
        return True


class UnverifiedFlow(_EngineFlow):
    """The user checked the carrier's app and the renewal is there: mark it verified."""

    async def async_fix(self, engine: RenewalEngine) -> bool:
        """Mark the renewal verified."""
        record = engine.history.get(str(self.issue_data.get("renewal_id")))
        if record is None:
            return False
        await engine.verifier.async_mark_verified(record)
        return True


class _MenuFlow(RepairsFlow):
    """A one-step flow: the user picks what the carrier (or the user) knows, from a menu."""

    MENU: tuple[str, ...] = ()

    def __init__(self, data: dict[str, str | int | float | None]) -> None:
        self.issue_data = data

    async def async_step_init(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Show the choices with the issue's placeholders."""
        issue = ir.async_get(self.hass).async_get_issue(DOMAIN, self.issue_id)
        return self.async_show_menu(
            step_id="init",
            menu_options=list(self.MENU),
            description_placeholders=issue.translation_placeholders if issue else None,
        )


class AutopayFlow(_MenuFlow):
    """Did the carrier's autopay charge the card? The user checked and says yes or no."""

    MENU = ("charged", "failed")

    async def async_step_charged(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Record that the carrier charged the card."""
        return await self._async_answer(charged=True)

    async def async_step_failed(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Stop assuming: the charge failed."""
        return await self._async_answer(charged=False)

    async def _async_answer(self, *, charged: bool) -> RepairsFlowResult:
        engine = _engine(self.hass, self.issue_data.get("entry_id"))
        if engine is None:
            return self.async_abort(reason="entry_not_loaded")
        subentry_id = str(self.issue_data.get("subentry_id"))
        if subentry_id not in engine.coordinator.numbers:
            return self.async_abort(reason="number_removed")
        try:
            if charged:
                await engine.hand_kept.async_confirm_autopay(subentry_id)
            else:
                await engine.hand_kept.async_autopay_failed(subentry_id)
        except ServiceValidationError:
            return self.async_abort(reason="already_settled")
        return self.async_create_entry(data={})


class LineGoneFlow(_MenuFlow):
    """The carrier stopped listing a number's line.

    Remove the number, or keep it (the user says the carrier is wrong; it is not reported again
    until the line comes back and goes again).
    """

    MENU = ("remove", "keep")

    async def async_step_remove(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Remove the number: its device and entities go with its subentry."""
        return await self._async_answer(remove=True)

    async def async_step_keep(self, user_input: dict[str, str] | None = None) -> RepairsFlowResult:
        """Keep the number although the carrier does not list it."""
        return await self._async_answer(remove=False)

    async def _async_answer(self, *, remove: bool) -> RepairsFlowResult:
        entry = self.hass.config_entries.async_get_entry(str(self.issue_data.get("entry_id")))
        subentry_id = str(self.issue_data.get("subentry_id"))
        if entry is None or entry.domain != DOMAIN or subentry_id not in entry.subentries:
            ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
            return self.async_abort(reason="number_removed")
        if remove:
            self.hass.config_entries.async_remove_subentry(entry, subentry_id)
        else:
            subentry = entry.subentries[subentry_id]
            self.hass.config_entries.async_update_subentry(
                entry, subentry, data={**subentry.data, CONF_KEEP_UNLISTED: True}
            )
        ir.async_delete_issue(self.hass, DOMAIN, self.issue_id)
        return self.async_create_entry(data={})


class UnknownOutcomeFlow(_MenuFlow):
    """The carrier never said whether a renewal was charged: the user checked and tells us."""

    MENU = ("charged", "not_charged")

    async def async_step_charged(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Settle the attempt as charged: the carrier shows the charge."""
        return await self._async_settle(charged=True)

    async def async_step_not_charged(
        self, user_input: dict[str, str] | None = None
    ) -> RepairsFlowResult:
        """Settle the attempt as not charged: the carrier shows no charge."""
        return await self._async_settle(charged=False)

    async def _async_settle(self, *, charged: bool) -> RepairsFlowResult:
        engine = _engine(self.hass, self.issue_data.get("entry_id"))
        if engine is None:
            return self.async_abort(reason="entry_not_loaded")
        renewal_id = str(self.issue_data.get("renewal_id"))
        if not await engine.payments.async_user_settles(renewal_id, charged=charged):
            return self.async_abort(reason="already_settled")
        return self.async_create_entry(data={})


async def async_create_fix_flow(
    hass: HomeAssistant, issue_id: str, data: dict[str, str | int | float | None] | None
) -> RepairsFlow:
    """Return the flow of a fixable issue."""
    if issue_id.startswith(ISSUE_AUTO_RENEW_OFF):
        return AutoRenewFlow(data or {})
    if issue_id.startswith(ISSUE_UNKNOWN):
        return UnknownOutcomeFlow(data or {})
    if issue_id.startswith(ISSUE_LINE_GONE):
        return LineGoneFlow(data or {})
    if issue_id.startswith(ISSUE_AUTOPAY):
        return AutopayFlow(data or {})
    if issue_id.startswith(MESSAGE_ISSUES):
        # Messages the user has dealt with (recorded by hand, used the number): confirm to close.
        return ConfirmRepairFlow()
    assert issue_id.startswith(ISSUE_UNVERIFIED)
    return UnverifiedFlow(data or {})
