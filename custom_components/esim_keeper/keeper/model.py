"""The keeper vocabulary: plans, what a provider reports, and what we derive from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from zoneinfo import ZoneInfo

from .dates import require_aware, zone
from .errors import InvalidAmountError, InvalidPlanError, KeeperError
from .money import Money

MAX_CYCLE_DAYS = 3660
MAX_GRACE_DAYS = 3660


class PaymentMethod(StrEnum):
    """How a user pays for a renewal: a closed vocabulary shared by every provider."""

    CARD = "card"
    PAYPAL = "paypal"
    ALIPAY = "alipay"
    WECHAT_PAY = "wechat_pay"
    CARRIER_BALANCE = "carrier_balance"  # the carrier's own wallet / account credit
    RETAIL_PIN = "retail_pin"  # a refill card / voucher PIN bought in a shop


class CarrierStatus(StrEnum):
    """What the carrier itself says about the line."""

    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    UNKNOWN = "unknown"


class LineState(StrEnum):
    """The derived state of a line at an instant, most urgent last but one."""

    ACTIVE = "active"  # nothing to do
    RENEWAL_DUE = "renewal_due"  # the plan renews soon and the balance covers it
    EXPIRING = "expiring"  # the keep-alive deadline is near and something must be done
    GRACE_PERIOD = "grace_period"  # the plan has expired; paying still restores the line
    SUSPENDED = "suspended"  # the carrier has suspended the line
    LOST = "lost"  # past the number-loss date, or the carrier deleted it
    UNKNOWN = "unknown"  # not enough data to tell


class StatusReason(StrEnum):
    """Why a line is in its state (translated in the UI)."""

    OK = "ok"
    RENEWAL_COVERED = "renewal_covered"
    BALANCE_SHORT = "balance_short"
    ACTIVITY_NEEDED = "activity_needed"
    PLAN_EXPIRED = "plan_expired"
    CARRIER_SUSPENDED = "carrier_suspended"
    CARRIER_DELETED = "carrier_deleted"
    PAST_LOSS_DATE = "past_loss_date"
    ACTIVITY_MISSED = "activity_missed"
    NO_EXPIRY = "no_expiry"
    # Added with issue 3: the old code reported BALANCE_SHORT for all three situations.
    BALANCE_UNKNOWN = "balance_unknown"  # renewal near, balance unknown or in another currency
    RENEWAL_MANUAL = "renewal_manual"  # renewal near, money there, but auto-renew is off
    ACTIVITY_UNKNOWN = "activity_unknown"  # the plan needs activity and none is recorded
    # Added with issue 14 (carrier autopay on hand-kept numbers):
    AUTOPAY_DUE = "autopay_due"  # renewal near: the carrier will charge the user's card
    AUTOPAY_ASSUMED = "autopay_assumed"  # the expiry rests on an autopay charge nobody confirmed


@dataclass(frozen=True, slots=True)
class PlanRules:
    """How a carrier keeps a number: cycle, cost, grace, activity rule and its clock."""

    cycle_days: int
    renewal_cost: Money
    grace_days: int = 0
    activity_days: int | None = None
    timezone: str = "America/New_York"
    renewal_window: tuple[time, time] | None = None

    def __post_init__(self) -> None:
        """Refuse plan rules whose cycle, grace, activity rule, timezone or cost is invalid."""
        if isinstance(self.cycle_days, bool) or not isinstance(self.cycle_days, int):
            raise InvalidPlanError("the cycle length must be a whole number of days")
        if not 0 < self.cycle_days <= MAX_CYCLE_DAYS:
            raise InvalidPlanError(f"the cycle must be 1 to {MAX_CYCLE_DAYS} days")
        if not isinstance(self.renewal_cost, Money):
            raise InvalidPlanError("the renewal cost must be Money")
        if self.renewal_cost.amount < 0:
            raise InvalidPlanError("the renewal cost must not be negative")
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int):
            raise InvalidPlanError("grace must be a whole number of days")
        if not 0 <= self.grace_days <= MAX_GRACE_DAYS:
            raise InvalidPlanError(f"grace must be 0 to {MAX_GRACE_DAYS} days")
        if self.activity_days is not None and (
            isinstance(self.activity_days, bool)
            or not isinstance(self.activity_days, int)
            or not 0 < self.activity_days <= MAX_CYCLE_DAYS
        ):
            raise InvalidPlanError(f"the activity period must be 1 to {MAX_CYCLE_DAYS} days")
        zone(self.timezone)
        if self.renewal_window is not None:
            window = self.renewal_window
            if not isinstance(window, tuple) or len(window) != 2:
                raise InvalidPlanError("the renewal window must be a (start, end) pair of times")
            start, end = window
            if not (isinstance(start, time) and isinstance(end, time)):
                raise InvalidPlanError("the renewal window must be two times, start before end")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise InvalidPlanError("renewal window times are on the carrier's clock: no tzinfo")
            if start >= end:
                raise InvalidPlanError("the renewal window must be two times, start before end")

    @property
    def tz(self) -> ZoneInfo:
        """Return the carrier's time zone."""
        return zone(self.timezone)

    @property
    def currency(self) -> str:
        """Return the currency the plan is paid in."""
        return self.renewal_cost.currency

    @property
    def free(self) -> bool:
        """Whether keeping the number costs nothing (Google Voice, giffgaff)."""
        return self.renewal_cost.amount == 0

    @property
    def dated(self) -> bool:
        """Whether the plan's expiry means anything to the user.

        A free plan kept alive by use alone has no real expiry: its cycle only stands for "no paid
        plan" (the ten-year cycle of the Google Voice preset), so showing it would mislead.
        """
        return not (self.free and self.activity_days is not None)


@dataclass(frozen=True, slots=True)
class LineSnapshot:
    """What a provider reports for one line. Anything may be unknown (None)."""

    line_id: str
    number: str
    balance: Money | None = None
    plan_expiry: datetime | None = None
    last_activity: datetime | None = None
    carrier_status: CarrierStatus = CarrierStatus.UNKNOWN
    name: str | None = None
    auto_renew: bool | None = None
    # True when the balance belongs to the account and is shared by its lines (Twilio, Telnyx).
    shared_balance: bool = False
    # The carrier charges the user's card every cycle: the balance does not pay renewals.
    carrier_autopay: bool = False
    # plan_expiry rests on autopay charges nobody confirmed (a projection, not a record).
    expiry_assumed: bool = False

    def __post_init__(self) -> None:
        """Refuse a snapshot without a line id or with fields of the wrong type."""
        if not isinstance(self.line_id, str) or not self.line_id:
            raise KeeperError("a line needs a non-empty line id")
        if not isinstance(self.number, str):
            raise KeeperError("the line's number must be text")
        if self.balance is not None and not isinstance(self.balance, Money):
            raise InvalidAmountError("a line's balance must be Money or None")
        try:
            # Providers often pass the status text they parsed; compare by member, not by text.
            object.__setattr__(self, "carrier_status", CarrierStatus(self.carrier_status))
        except ValueError as err:
            raise KeeperError(f"unknown carrier status {str(self.carrier_status)[:20]!r}") from err
        if self.auto_renew is not None and not isinstance(self.auto_renew, bool):
            raise KeeperError("auto_renew must be True, False or None")
        if not isinstance(self.carrier_autopay, bool) or not isinstance(self.expiry_assumed, bool):
            raise KeeperError("carrier_autopay and expiry_assumed must be True or False")
        if self.plan_expiry is not None:
            require_aware(self.plan_expiry, "plan expiry")
        if self.last_activity is not None:
            require_aware(self.last_activity, "last activity")


@dataclass(frozen=True, slots=True)
class Runway:
    """How far the balance carries the line: whole renewals paid, and until when."""

    cycles: int | None  # None: renewals cost nothing (or the balance is unknown)
    funded_until: datetime | None


@dataclass(frozen=True, slots=True)
class LineStatus:
    """Everything derived about a line at one instant. Computed by keeper.lifecycle."""

    state: LineState
    reason: StatusReason
    plan_expiry: datetime | None
    days_to_expiry: int | None
    loss_date: datetime | None
    activity_deadline: datetime | None
    keep_alive_deadline: datetime | None
    days_to_deadline: int | None
    next_renewal_cost: Money
    balance_covers_renewal: bool | None
    runway: Runway
    action_needed: bool = field(default=False)
