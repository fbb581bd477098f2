"""Manual provider: the user's own records, moved forward by the keeper rules. No network.

Each line is a ``Ledger`` (a balance read at some instant and the plan expiry then), its
``PlanRules`` and its phone number. A poll projects every ledger to now. Nothing is ever paid here:
the user pays the carrier (in its app, with a refill PIN, ...) and records it, and the HA layer
hands the updated ledger in with ``set_line``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import NamedTuple

from ..dates import require_aware
from ..lifecycle import Ledger, project_ledger
from ..model import CarrierStatus, LineSnapshot, PaymentMethod, PlanRules
from .base import (
    AccountData,
    AccountInfo,
    Capabilities,
    LineNotFoundError,
    ProviderKind,
    RenewalRequest,
    RenewalResult,
    UnsupportedError,
)


class ManualLine(NamedTuple):
    """One hand-kept line. A plain ``(ledger, plan, number)`` tuple works as well."""

    ledger: Ledger
    plan: PlanRules
    number: str


class ManualProvider:
    """The user's ledger as a provider.

    It never pays: the user pays the carrier and records the payment (the HA layer's
    ``record_payment`` moves the ledger with ``apply_payment``).
    """

    kind = ProviderKind.MANUAL
    capabilities = Capabilities(
        can_renew=False,
        payment_methods=tuple(PaymentMethod),
        reports_activity=False,
        reports_expiry=True,
        lists_lines=False,
        records_payments=True,
        keeps_activity=True,
    )

    def __init__(
        self,
        lines: Mapping[str, tuple[Ledger, PlanRules, str]],
        clock: Callable[[], datetime],
        *,
        account_id: str = "manual",
        title: str = "Manual records",
    ) -> None:
        """Keep the hand-kept numbers' ledgers and plans; nothing is fetched from a carrier."""
        self._clock = clock
        self._lines: dict[str, ManualLine] = {
            line_id: ManualLine(*line) for line_id, line in lines.items()
        }
        self._account_id = account_id
        self._title = title

    @property
    def ledgers(self) -> Mapping[str, Ledger]:
        """Every line's current ledger (persist these after a renewal)."""
        return {line_id: line.ledger for line_id, line in self._lines.items()}

    def ledger(self, line_id: str) -> Ledger:
        """One line's current ledger; LineNotFoundError if the line is unknown."""
        return self._get(line_id).ledger

    def assumed_since(self, line_id: str) -> datetime | None:
        """Return the first cycle end now assumed paid by the carrier's autopay (None.

        Nothing assumed).

        That is the line's recorded expiry while any cycle since is only assumed: the date to
        remind the user to confirm (``keeper.lifecycle.confirm_autopay``) or deny it.
        """
        line = self._get(line_id)
        return project_ledger(line.ledger, line.plan, self._now()).assumed_since

    def set_line(self, line_id: str, ledger: Ledger, plan: PlanRules, number: str) -> None:
        """Add a line, or replace its record (the user corrected the balance, ...)."""
        self._lines[line_id] = ManualLine(ledger, plan, number)

    def record_activity(self, line_id: str, at: datetime) -> None:
        """Record that the user used the number at ``at`` (the activity clock never moves back)."""
        line = self._get(line_id)
        last = line.ledger.last_activity
        if last is None or at > last:
            self._lines[line_id] = line._replace(ledger=replace(line.ledger, last_activity=at))

    def remove_line(self, line_id: str) -> None:
        """Forget a number that was removed."""
        self._lines.pop(line_id, None)

    def _get(self, line_id: str) -> ManualLine:
        try:
            return self._lines[line_id]
        except KeyError:
            raise LineNotFoundError("there is no record for this line") from None

    def _now(self) -> datetime:
        return require_aware(self._clock(), "clock")

    async def async_validate(self) -> AccountInfo:
        """Accept the account; there is no carrier to ask."""
        return AccountInfo(account_id=self._account_id, title=self._title)

    async def async_fetch(self) -> AccountData:
        """Return each number as its ledger says, as of now."""
        now = self._now()
        lines: dict[str, LineSnapshot] = {}
        for line_id, line in self._lines.items():
            projected = project_ledger(line.ledger, line.plan, now)
            ledger = line.ledger
            autopay = ledger.carrier_autopay and not ledger.autopay_failed
            lines[line_id] = LineSnapshot(
                line_id=line_id,
                number=line.number,
                balance=projected.balance,
                plan_expiry=projected.plan_expiry,
                last_activity=ledger.last_activity,
                carrier_status=CarrierStatus.UNKNOWN,
                auto_renew=ledger.auto_deduct or autopay,
                carrier_autopay=autopay,
                expiry_assumed=projected.assumed_cycles > 0,
            )
        return AccountData(lines=lines, fetched_at=now, requests=0)

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        """Never: a hand-kept number is paid at its carrier, and the user records the payment."""
        raise UnsupportedError("hand-kept numbers are paid at the carrier, then recorded", "renew")

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        """Nothing was ever paid through this provider."""
        return None
