"""The simulator's one consistent state: lines, balances, renewals, counters, tokens and faults.

The bridge, Twilio-shaped and Telnyx-shaped endpoints are three views of this state: a line is a
bridge line, a Twilio incoming number and a Telnyx phone number at the same time, and the account
balance is what Twilio and Telnyx report.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import random

from .faults import Fault

# Default credentials (loopback development only; override with SimTokens(...)).
DEFAULT_BRIDGE_TOKEN = "sim-bridge-token"  # noqa: S105
DEFAULT_TWILIO_ACCOUNT_SID = "AC00000000000000000000000000000001"
DEFAULT_TWILIO_AUTH_TOKEN = "sim-twilio-auth-token"  # noqa: S105
DEFAULT_TWILIO_API_KEY_SID = "SK00000000000000000000000000000001"
DEFAULT_TWILIO_API_KEY_SECRET = "sim-twilio-api-key-secret"  # noqa: S105
DEFAULT_TELNYX_API_KEY = "sim-telnyx-api-key"

PROVIDERS = ("bridge", "twilio", "telnyx")
PAYMENT_METHODS = ("carrier_balance", "card", "paypal", "alipay", "wechat_pay", "retail_pin")
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class SimTokens:
    """The credentials the simulator accepts."""

    bridge: str = DEFAULT_BRIDGE_TOKEN
    twilio_account_sid: str = DEFAULT_TWILIO_ACCOUNT_SID
    twilio_auth_token: str = DEFAULT_TWILIO_AUTH_TOKEN
    twilio_api_key_sid: str = DEFAULT_TWILIO_API_KEY_SID
    twilio_api_key_secret: str = DEFAULT_TWILIO_API_KEY_SECRET
    telnyx: str = DEFAULT_TELNYX_API_KEY


@dataclass(slots=True)
class SimLine:
    """One simulated carrier line: its number, plan, balance and activity."""

    id: str
    number: str
    name: str
    balance: Decimal
    plan_expiry: datetime
    created: datetime  # Twilio date_created, Telnyx purchased_at
    last_activity: datetime | None = None
    currency: str = "USD"
    status: str = "active"  # active | suspended | deleted
    auto_renew: bool | None = True
    expiry_as_date: bool = False  # report plan_expiry as a plain date (carrier's timezone)
    plan_cost: Decimal = Decimal("3.00")
    cycle_days: int = 30
    decline_reason: str | None = None  # set: every renewal of this line is declined
    charges: int = 0
    # False: the carrier holds no name of its own for the line, so Twilio shows the formatted
    # number as its friendly_name and Telnyx the number as its customer_reference.
    named: bool = True


@dataclass(slots=True)
class SimRenewal:
    """One renewal the simulator received, by idempotency key."""

    id: str
    idempotency_key: str
    line_id: str
    status: str  # pending (recorded, the carrier call in flight) | succeeded | declined
    amount: Decimal
    currency: str
    method: str
    created_at: datetime
    decline_reason: str | None = None


class RenewalConflictError(Exception):
    """An idempotency key reused for a different request."""


def make_lines(count: int, seed: int, now: datetime) -> dict[str, SimLine]:
    """``count`` fictional lines (555-01xx numbers across area codes), reproducible by ``seed``."""
    rng = random.Random(seed)
    lines: dict[str, SimLine] = {}
    for i in range(count):
        line_id = f"line-{i + 1}"
        area = 201 + i // 100
        created = now - timedelta(days=rng.randint(40, 900), hours=rng.randint(0, 23))
        lines[line_id] = SimLine(
            id=line_id,
            number=f"+1{area}55501{i % 100:02d}",
            name=f"Line {i + 1}",
            balance=Decimal(rng.randint(0, 4000)) / 100,
            plan_expiry=(now + timedelta(days=rng.randint(-5, 40))).replace(microsecond=0),
            created=created.replace(microsecond=0),
            last_activity=(
                None
                if i % 5 == 4
                else (now - timedelta(days=rng.randint(0, 80))).replace(microsecond=0)
            ),
            auto_renew=None if i % 7 == 6 else i % 2 == 0,
            expiry_as_date=i % 4 == 3,
            named=i % 3 != 1,  # line-2, line-5 ...: the carrier's "name" is the number itself
        )
    return lines


@dataclass(slots=True)
class SimState:
    """Everything the simulator knows: lines, renewals, tokens and faults."""

    lines: dict[str, SimLine]
    tokens: SimTokens = field(default_factory=SimTokens)
    account_balance: Decimal = Decimal("12.29")
    account_currency: str = "USD"
    auto_recharge_enabled: bool = True
    twilio_subaccount: bool = False  # Balance.json answers with null balance and currency
    # False: the bridge's account says it cannot tell when a line was last used.
    bridge_reports_activity: bool = True
    timezone: str = "America/New_York"
    renewals: dict[str, SimRenewal] = field(default_factory=dict)
    charges_total: int = 0
    requests: Counter[str] = field(default_factory=Counter)
    faults: dict[str, Fault] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)

    @classmethod
    def generate(
        cls,
        count: int = 3,
        seed: int = 0,
        now: datetime | None = None,
        tokens: SimTokens | None = None,
    ) -> SimState:
        """Return a state with ``count`` lines made from ``seed`` (same seed, same lines)."""
        moment = now or datetime.now(UTC)
        return cls(lines=make_lines(count, seed, moment), tokens=tokens or SimTokens())

    def take_fault(self, route: str) -> Fault | None:
        """Return the fault for ``route`` (a specific one before ``*``).

        Counting down limited faults.
        """
        key = route if route in self.faults else "*" if "*" in self.faults else None
        if key is None:
            return None
        fault = self.faults[key]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining <= 0:
                del self.faults[key]
        return fault

    def begin_renewal(
        self,
        line: SimLine,
        key: str,
        amount: Decimal,
        currency: str,
        method: str,
        now: datetime,
    ) -> tuple[SimRenewal, bool]:
        """Record ``key`` as ``pending`` before the carrier is called.

        (its renewal, True if this call recorded it). A key seen before is returned as it stands
        (pending or finished); RenewalConflictError if it was recorded for another line, amount,
        currency or method. Synchronous, so atomic per key on the event loop.
        """
        if (seen := self.renewals.get(key)) is not None:
            if (seen.line_id, seen.amount, seen.currency, seen.method) != (
                line.id,
                amount,
                currency,
                method,
            ):
                raise RenewalConflictError(key)
            return seen, False
        renewal = SimRenewal(
            id=f"rn_{len(self.renewals) + 1}",
            idempotency_key=key,
            line_id=line.id,
            status="pending",
            amount=amount,
            currency=currency,
            method=method,
            created_at=now.replace(microsecond=0),
        )
        self.renewals[key] = renewal
        return renewal, True

    def finish_renewal(self, renewal: SimRenewal, line: SimLine, now: datetime) -> SimRenewal:
        """Answer a pending renewal as the carrier.

        Succeeded or declined by the line's rules as they are now. A renewal that is no longer
        pending, or no longer in this state (a reset while the carrier call was in flight), is left
        alone.
        """
        if renewal.status != "pending" or self.renewals.get(renewal.idempotency_key) is not renewal:
            return renewal
        reason = line.decline_reason
        if reason is None and line.status == "deleted":
            reason = "line_deleted"
        if reason is None and renewal.method == "carrier_balance" and line.balance < renewal.amount:
            reason = "insufficient_funds"
        if reason is not None:
            renewal.status = "declined"
            renewal.decline_reason = reason
            return renewal
        if renewal.method == "carrier_balance":
            line.balance -= renewal.amount
        line.plan_expiry = max(line.plan_expiry, now.replace(microsecond=0)) + timedelta(
            days=line.cycle_days
        )
        line.status = "active"
        line.charges += 1
        self.charges_total += 1
        renewal.status = "succeeded"
        return renewal

    def renew(
        self,
        line: SimLine,
        key: str,
        amount: Decimal,
        currency: str,
        method: str,
        now: datetime,
    ) -> tuple[SimRenewal, bool]:
        """Pay once per key.

        (the renewal, True if it was created by this call). The key is recorded pending, then
        finished at once; a key seen before comes back as it stands (pending while another request
        for it is still with the carrier).
        """
        renewal, created = self.begin_renewal(line, key, amount, currency, method, now)
        if created:
            self.finish_renewal(renewal, line, now)
        return renewal, created

    def renewals_by_status(self) -> dict[str, int]:
        """How many renewals are pending, succeeded and declined."""
        counts = Counter(renewal.status for renewal in self.renewals.values())
        return {status: counts[status] for status in ("pending", "succeeded", "declined")}

    def to_json(self) -> dict[str, object]:
        """Everything a test or script wants to assert on (GET /_sim/state)."""
        return {
            "lines": {
                line.id: {
                    "number": line.number,
                    "balance": str(line.balance.quantize(CENT)),
                    "currency": line.currency,
                    "plan_expiry": line.plan_expiry.isoformat(),
                    "status": line.status,
                    "charges": line.charges,
                    "decline_reason": line.decline_reason,
                }
                for line in self.lines.values()
            },
            "account_balance": str(self.account_balance.quantize(CENT)),
            "charges_total": self.charges_total,
            "renewals": len(self.renewals),
            "renewals_by_status": self.renewals_by_status(),
            "requests": dict(self.requests),
            "faults": {route: fault.to_json() for route, fault in self.faults.items()},
            "revoked": sorted(self.revoked),
        }
