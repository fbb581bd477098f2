"""Manual provider: the user's own records, moved forward by the keeper rules. No network.

Each line is a ``Ledger`` (a balance read at some instant and the plan expiry then), its
``PlanRules`` and its phone number. A poll projects every ledger to now; a "renewal" records a
payment the user made elsewhere (in the carrier's app, with a refill PIN, ...). After a renewal the
updated ledger is available from ``ledger(line_id)`` / ``ledgers`` for the HA layer to persist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import NamedTuple

from ..dates import require_aware
from ..errors import KeeperError
from ..lifecycle import Ledger, apply_payment, project_ledger
from ..model import CarrierStatus, LineSnapshot, PaymentMethod, PlanRules
from .base import (
    AccountData,
    AccountInfo,
    Capabilities,
    LineNotFoundError,
    PaymentDeclinedError,
    ProviderKind,
    RenewalRequest,
    RenewalResult,
    succeeded,
)


class ManualLine(NamedTuple):
    """One hand-kept line. A plain ``(ledger, plan, number)`` tuple works as well."""

    ledger: Ledger
    plan: PlanRules
    number: str


class ManualProvider:
    """The user's ledger as a provider. Renewing records a payment; nothing is charged."""

    kind = ProviderKind.MANUAL
    capabilities = Capabilities(
        can_renew=True,
        payment_methods=tuple(PaymentMethod),
        reports_activity=False,
        reports_expiry=True,
        lists_lines=False,
    )

    def __init__(
        self,
        lines: Mapping[str, tuple[Ledger, PlanRules, str]],
        clock: Callable[[], datetime],
        *,
        account_id: str = "manual",
        title: str = "Manual records",
    ) -> None:
        self._clock = clock
        self._lines: dict[str, ManualLine] = {
            line_id: ManualLine(*line) for line_id, line in lines.items()
        }
        self._results: dict[str, RenewalResult] = {}
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
        """The first cycle end now assumed paid by the carrier's autopay (None: nothing assumed).

        That is the line's recorded expiry while any cycle since is only assumed: the date to
        remind the user to confirm (``keeper.lifecycle.confirm_autopay``) or deny it.
        """
        line = self._get(line_id)
        return project_ledger(line.ledger, line.plan, self._now()).assumed_since

    def set_line(self, line_id: str, ledger: Ledger, plan: PlanRules, number: str) -> None:
        """Add a line, or replace its record (the user corrected the balance, ...)."""
        self._lines[line_id] = ManualLine(ledger, plan, number)

    def remove_line(self, line_id: str) -> None:
        self._lines.pop(line_id, None)

    def _get(self, line_id: str) -> ManualLine:
        try:
            return self._lines[line_id]
        except KeyError:
            raise LineNotFoundError("there is no record for this line") from None

    def _now(self) -> datetime:
        return require_aware(self._clock(), "clock")

    async def async_validate(self) -> AccountInfo:
        return AccountInfo(account_id=self._account_id, title=self._title)

    async def async_fetch(self) -> AccountData:
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
        """Record that the user paid ``request.amount``; the same key records it only once."""
        if (done := self._results.get(request.idempotency_key)) is not None:
            return done
        line = self._get(request.line_id)
        if request.amount.currency != line.plan.currency:
            raise PaymentDeclinedError(
                f"this line is kept in {line.plan.currency}, not {request.amount.currency}",
                "currency_mismatch",
            )
        if request.amount.amount <= 0:
            raise PaymentDeclinedError("a payment must be more than zero", "invalid_amount")
        now = self._now()
        try:
            updated = apply_payment(line.ledger, line.plan, request.amount, now)
        except KeeperError as err:  # e.g. a balance pushed over the plausible maximum
            raise PaymentDeclinedError(str(err), err.key) from err
        self._lines[request.line_id] = line._replace(ledger=updated)
        result = succeeded(request, now, f"manual-{len(self._results) + 1}")
        self._results[request.idempotency_key] = result
        return result

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        result = self._results.get(idempotency_key)
        return result if result is not None and result.line_id == line_id else None
