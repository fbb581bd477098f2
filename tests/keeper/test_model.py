"""Plan rules and line snapshots validate what they are given."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest

from custom_components.esim_keeper.keeper.errors import (
    InvalidAmountError,
    InvalidPlanError,
    KeeperError,
    NaiveDatetimeError,
)
from custom_components.esim_keeper.keeper.model import (
    CarrierStatus,
    LineSnapshot,
    PlanRules,
)
from custom_components.esim_keeper.keeper.money import Money
from tests.keeper.strategies import usd


def test_plan_defaults_and_properties() -> None:
    plan = PlanRules(30, usd("3"))
    assert plan.grace_days == 0
    assert plan.activity_days is None
    assert plan.tz.key == "America/New_York"
    assert plan.currency == "USD"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cycle_days": 0},
        {"cycle_days": -30},
        {"cycle_days": 3661},
        {"cycle_days": 30.0},
        {"cycle_days": True},
        {"renewal_cost": Decimal(3)},
        {"renewal_cost": Money(Decimal(-1), "USD")},
        {"grace_days": -1},
        {"grace_days": 1.5},
        {"grace_days": False},
        {"grace_days": 5000},
        {"activity_days": 0},
        {"activity_days": True},
        {"activity_days": 90.0},
        {"timezone": "Nowhere/Land"},
        {"renewal_window": (time(11), time(5))},
        {"renewal_window": (time(5), time(5))},
        {"renewal_window": ("05:00", "11:00")},
        {"renewal_window": (time(5),)},
        {"renewal_window": [time(5), time(11)]},
        {"renewal_window": (time(5, tzinfo=UTC), time(11))},
    ],
)
def test_plan_refuses(kwargs: dict[str, object]) -> None:
    args: dict[str, object] = {"cycle_days": 30, "renewal_cost": usd("3")} | kwargs
    with pytest.raises(InvalidPlanError) as err:
        PlanRules(**args)  # type: ignore[arg-type]
    assert err.value.key == "invalid_plan"


def test_plan_accepts_a_window() -> None:
    plan = PlanRules(30, usd("5"), renewal_window=(time(5), time(11)))
    assert plan.renewal_window == (time(5), time(11))


def test_snapshot_coerces_status_text() -> None:
    snap = LineSnapshot("l", "+1", carrier_status="suspended")  # type: ignore[arg-type]
    assert snap.carrier_status is CarrierStatus.SUSPENDED
    assert LineSnapshot("l", "+1").carrier_status is CarrierStatus.UNKNOWN


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"line_id": ""}, KeeperError),
        ({"line_id": 5}, KeeperError),
        ({"number": None}, KeeperError),
        ({"balance": Decimal(3)}, InvalidAmountError),
        ({"carrier_status": "gone"}, KeeperError),
        ({"auto_renew": "yes"}, KeeperError),
        ({"plan_expiry": datetime(2026, 1, 1)}, NaiveDatetimeError),  # noqa: DTZ001
        ({"last_activity": datetime(2026, 1, 1)}, NaiveDatetimeError),  # noqa: DTZ001
    ],
)
def test_snapshot_refuses(kwargs: dict[str, object], error: type[Exception]) -> None:
    args: dict[str, object] = {"line_id": "l", "number": "+12025550101"} | kwargs
    with pytest.raises(error):
        LineSnapshot(**args)  # type: ignore[arg-type]
