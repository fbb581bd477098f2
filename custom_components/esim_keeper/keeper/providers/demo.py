"""Demo provider: a deterministic carrier that lives in memory, for trying the integration out.

Five fictional numbers (555-01xx, reserved for fiction) in different situations: comfortably
funded, balance too low, activity needed, in grace. Their ledgers start at midnight UTC of the day
the account is created and follow the same keeper rules as real manual ledgers, so time moves them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from ..lifecycle import Ledger, apply_payment, project_ledger
from ..model import CarrierStatus, LineSnapshot, PaymentMethod, PlanRules
from ..money import Money
from .base import (
    AccountData,
    AccountInfo,
    Capabilities,
    PaymentDeclinedError,
    ProviderError,
    ProviderKind,
    RenewalRequest,
    RenewalResult,
    succeeded,
)


@dataclass(frozen=True, slots=True)
class DemoLine:
    """How a demo line starts: its plan and where it stands on day zero."""

    line_id: str
    number: str
    name: str
    carrier: str  # the catalog preset the "Add number" flow suggests
    plan: PlanRules
    balance: str
    expiry_in_days: int
    activity_days_ago: int | None = None


def _usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


DEMO_LINES: tuple[DemoLine, ...] = (
    DemoLine(
        "demo-1", "+12025550101", "Ultra", "ultra_paygo",
        PlanRules(30, _usd("3.00"), grace_days=30), "10.00", 12,
    ),
    DemoLine(
        "demo-2", "+12025550102", "Tello", "tello",
        PlanRules(30, _usd("5.00"), grace_days=90), "2.00", 5,
    ),
    DemoLine(
        "demo-3", "+12025550103", "Google Voice", "google_voice",
        PlanRules(3650, _usd("0.00"), activity_days=90), "0.00", 3000, activity_days_ago=84,
    ),
    DemoLine(
        "demo-4", "+12025550104", "US Mobile", "us_mobile",
        PlanRules(30, _usd("4.00"), grace_days=45), "25.00", 20,
    ),
    DemoLine(
        "demo-5", "+12025550105", "Mint", "mint_mobile",
        PlanRules(90, _usd("45.00"), grace_days=30), "0.00", -3,
    ),
)  # fmt: skip

DEMO_ACCOUNT_ID = "demo"


class DemoProvider:
    """An in-process carrier with renewals, idempotency and injectable failures."""

    kind = ProviderKind.DEMO
    capabilities = Capabilities(
        can_renew=True,
        payment_methods=(
            PaymentMethod.CARRIER_BALANCE,
            PaymentMethod.CARD,
            PaymentMethod.PAYPAL,
            PaymentMethod.ALIPAY,
            PaymentMethod.WECHAT_PAY,
        ),
        reports_activity=True,
        keeps_activity=True,
    )

    def __init__(self, clock: Callable[[], datetime], lines: tuple[DemoLine, ...] = DEMO_LINES):
        """Start the demo lines from today on ``clock``, in their known situations."""
        self._clock = clock
        day_zero = datetime.combine(clock().astimezone(UTC).date(), time(0), tzinfo=UTC)
        self._lines = {line.line_id: line for line in lines}
        self._ledgers: dict[str, Ledger] = {
            line.line_id: Ledger(
                balance=_usd(line.balance),
                read_at=day_zero,
                plan_expiry=day_zero + timedelta(days=line.expiry_in_days),
                last_activity=(
                    day_zero - timedelta(days=line.activity_days_ago)
                    if line.activity_days_ago is not None
                    else None
                ),
            )
            for line in lines
        }
        self._renewals: dict[str, RenewalResult] = {}
        self.declined_methods: set[PaymentMethod] = set()
        self.fail_next: ProviderError | None = None
        self.charges = 0

    def _take_failure(self) -> None:
        if (error := self.fail_next) is not None:
            self.fail_next = None
            raise error

    async def async_validate(self) -> AccountInfo:
        """Accept any demo account (or fail as the test set up)."""
        self._take_failure()
        return AccountInfo(account_id=DEMO_ACCOUNT_ID, title="Demo carrier")

    async def async_fetch(self) -> AccountData:
        """Return the demo lines as of now on the clock."""
        self._take_failure()
        now = self._clock()
        lines: dict[str, LineSnapshot] = {}
        for line_id, ledger in self._ledgers.items():
            line = self._lines[line_id]
            projected = project_ledger(ledger, line.plan, now)
            lines[line_id] = LineSnapshot(
                line_id=line_id,
                number=line.number,
                name=line.name,
                balance=projected.balance,
                plan_expiry=projected.plan_expiry,
                last_activity=ledger.last_activity,
                carrier_status=CarrierStatus.ACTIVE,
                auto_renew=True,
            )
        return AccountData(lines=lines, fetched_at=now)

    async def async_renew(self, request: RenewalRequest) -> RenewalResult:
        """Pay a demo renewal once per key; a repeated key gets the first answer."""
        if (done := self._renewals.get(request.idempotency_key)) is not None:
            return done
        self._take_failure()
        if request.method in self.declined_methods:
            raise PaymentDeclinedError("the demo carrier declined this method", "card_declined")
        line = self._lines[request.line_id]
        now = self._clock()
        self._ledgers[request.line_id] = apply_payment(
            self._ledgers[request.line_id], line.plan, request.amount, now
        )
        self.charges += 1
        result = succeeded(request, now, f"demo-{len(self._renewals) + 1}")
        self._renewals[request.idempotency_key] = result
        return result

    async def async_lookup_renewal(
        self, line_id: str, idempotency_key: str
    ) -> RenewalResult | None:
        """Return the renewal made with ``idempotency_key``, if any."""
        self._take_failure()
        return self._renewals.get(idempotency_key)

    def record_activity(self, line_id: str, at: datetime) -> None:
        """Record that the user made a call or sent a text on this line at ``at``."""
        ledger = self._ledgers[line_id]
        if ledger.last_activity is None or at > ledger.last_activity:
            self._ledgers[line_id] = replace(ledger, last_activity=at)
