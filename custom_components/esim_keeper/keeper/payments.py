"""Payment rules.

What a carrier's answer must match, how a lost answer is settled, and when a payment the user
records is the same one recorded again.

Pure functions; the Home Assistant layer (payments.py there) asks them and keeps no rule itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from .dates import require_aware
from .money import Money
from .providers.base import RenewalRequest, RenewalResult

# A request sent this recently may still be travelling to the carrier (or queued in front of
# it): a lookup that does not find its key proves nothing yet. Far beyond any request timeout.
SETTLE_GRACE = timedelta(minutes=10)
# The same amount recorded for (nearly) the same moment is one payment stated twice.
DUPLICATE_WINDOW = timedelta(minutes=10)


class Settlement(StrEnum):
    """What to do with an attempt whose key the carrier does not know."""

    RESEND = "resend"  # send the same request with the same key: it is charged at most once
    NOT_CHARGED = "not_charged"  # sent long ago and never received: nothing was charged


def mismatches(request: RenewalRequest, result: RenewalResult) -> list[str]:
    """Return the fields of a carrier's answer that differ from what was asked (empty: it matches).

    An answer for another key, line, amount, currency or method is not an answer to this request,
    whatever its status says.
    """
    wrong = []
    if result.idempotency_key != request.idempotency_key:
        wrong.append("key")
    if result.line_id != request.line_id:
        wrong.append("line")
    if result.amount.currency != request.amount.currency:
        wrong.append("currency")
    elif result.amount.amount != request.amount.amount:
        wrong.append("amount")
    if result.method is not request.method:
        wrong.append("method")
    return wrong


def settle_unknown_key(
    last_sent: datetime, now: datetime, grace: timedelta = SETTLE_GRACE
) -> Settlement:
    """How to settle an attempt whose key a lookup did not find.

    Inside the grace period the request may still arrive, so the only safe move is to send it again
    with the same key (the carrier charges a key once). After it, a carrier that records every key
    before it charges would have answered for it: nothing was charged.
    """
    require_aware(last_sent, "last sent")
    require_aware(now, "now")
    return Settlement.RESEND if now - last_sent < grace else Settlement.NOT_CHARGED


def recorded_twice(
    earlier: Iterable[tuple[datetime, Money]],
    paid_at: datetime,
    amount: Money,
    window: timedelta = DUPLICATE_WINDOW,
) -> bool:
    """Whether ``amount`` paid at ``paid_at`` was already recorded.

    The same amount, paid within ``window`` of it. Two presses of "I paid" or an automation that
    fired twice state one payment.
    """
    require_aware(paid_at, "payment time")
    return any(
        other == amount and abs(require_aware(at, "payment time") - paid_at) < window
        for at, other in earlier
    )


__all__ = [
    "DUPLICATE_WINDOW",
    "SETTLE_GRACE",
    "Settlement",
    "mismatches",
    "recorded_twice",
    "settle_unknown_key",
]
