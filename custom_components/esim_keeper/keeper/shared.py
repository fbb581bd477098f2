"""One balance, many numbers: how an account balance (Twilio, Telnyx) funds each of its lines.

Those carriers take every number's monthly fee from the same account balance, on each number's own
billing day. Judging each number against the whole balance would promise every one of them the
same money. Instead we play the renewals forward in time order and give each line the money its
own renewals will actually take, until the balance can no longer pay the next one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
import heapq

from .dates import add_days, require_aware
from .model import PlanRules
from .money import Money

# Renewals played forward at most (a huge balance against tiny fees must not spin for long; the
# lines are then funded for years, which is all a user needs to know).
MAX_RENEWALS = 20_000


@dataclass(frozen=True, slots=True)
class SharedLine:
    """What the allocation needs of one line: when it next renews, and its plan."""

    plan_expiry: datetime
    plan: PlanRules


def share_balance(
    lines: Mapping[str, SharedLine], balance: Money, now: datetime
) -> dict[str, Money]:
    """Each line's part of ``balance``: the sum of the renewals of that line the balance pays.

    Renewals are paid in time order (an expired plan renews now); the first renewal the remaining
    money cannot pay ends the allocation, as the carrier would then suspend the account. Lines in
    another currency than the balance get nothing; free plans get nothing and need nothing.
    """
    require_aware(now, "now")
    shares = {line_id: Money.zero(balance.currency) for line_id in lines}
    queue: list[tuple[datetime, str]] = []
    for line_id, line in lines.items():
        cost = line.plan.renewal_cost
        if cost.currency == balance.currency and cost.amount > 0:
            queue.append((max(require_aware(line.plan_expiry, "plan expiry"), now), line_id))
    heapq.heapify(queue)
    remaining = balance
    for _ in range(MAX_RENEWALS):
        if not queue:
            break
        when, line_id = queue[0]
        line = lines[line_id]
        cost = line.plan.renewal_cost
        if remaining < cost:
            break
        remaining = remaining - cost
        shares[line_id] = shares[line_id] + cost
        heapq.heapreplace(queue, (add_days(when, line.plan.cycle_days, line.plan.tz), line_id))
    return shares
