"""Hypothesis strategies and small builders shared by the keeper tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import strategies as st

from custom_components.esim_keeper.keeper.model import PlanRules
from custom_components.esim_keeper.keeper.money import Money

# Zones with DST, southern-hemisphere DST, half-hour offsets and none at all.
ZONES = (
    "America/New_York",
    "America/Los_Angeles",
    "Europe/London",
    "Australia/Sydney",
    "Asia/Kolkata",
    "America/Sao_Paulo",
    "UTC",
)

instants = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive by design
    max_value=datetime(2090, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
zones = st.sampled_from(ZONES)
cents = st.integers(min_value=0, max_value=10_000_00)
amounts = cents.map(lambda c: Decimal(c).scaleb(-2))
costs = st.integers(min_value=1, max_value=100_00).map(lambda c: Decimal(c).scaleb(-2))
plans = st.builds(
    PlanRules,
    cycle_days=st.integers(min_value=1, max_value=400),
    renewal_cost=costs.map(lambda a: Money(a, "USD")),
    grace_days=st.integers(min_value=0, max_value=200),
    activity_days=st.none() | st.integers(min_value=1, max_value=400),
    timezone=zones,
)
offsets = st.integers(min_value=-400 * 24 * 3600, max_value=400 * 24 * 3600).map(
    lambda s: timedelta(seconds=s)
)


def usd(text: str) -> Money:
    return Money(Decimal(text), "USD")
