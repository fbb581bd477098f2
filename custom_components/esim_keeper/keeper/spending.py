"""Money spent over time: hourly totals and running sums, the shape long-term statistics take.

Only confirmed money counts: a renewal the carrier charged, or a payment the user recorded. The
caller picks those records; this module sums them by the hour they were paid, in one currency.
A series is computed from the whole history every time, so the same history always gives the
same rows (importing them again changes nothing).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from .dates import require_aware
from .money import Money


@dataclass(frozen=True, slots=True)
class Spend:
    """Money that left the user's pocket at an instant."""

    at: datetime
    amount: Money


@dataclass(frozen=True, slots=True)
class HourTotal:
    """One hour of a series: what was spent in it, and everything spent up to its end."""

    start: datetime  # the hour's start, UTC
    amount: Decimal
    total: Decimal


def hour_start(instant: datetime) -> datetime:
    """Return the start of the UTC hour holding ``instant``."""
    require_aware(instant, "spend time")
    return instant.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def hourly_totals(spends: Iterable[Spend], currency: str) -> list[HourTotal]:
    """Return the hours with spending in ``currency`` (others are left out), oldest first.

    Each with the running total. Refunds (negative amounts) lower it.
    """
    hours: dict[datetime, Decimal] = {}
    for spend in spends:
        if spend.amount.currency != currency:
            continue
        start = hour_start(spend.at)
        hours[start] = hours.get(start, Decimal(0)) + spend.amount.amount
    series: list[HourTotal] = []
    total = Decimal(0)
    for start in sorted(hours):
        total += hours[start]
        series.append(HourTotal(start, hours[start], total))
    return series


def currencies(spends: Iterable[Spend]) -> list[str]:
    """Return the currencies among ``spends``, sorted."""
    return sorted({spend.amount.currency for spend in spends})
