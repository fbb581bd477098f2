"""Deadlines as a calendar shows them, and the reminder instants before each deadline.

Reminders follow the carrier's wall clock: "7 days before" a deadline at 09:00 New York time is at
09:00 New York time seven calendar days earlier, even when a DST change lies in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
import re
from zoneinfo import ZoneInfo

from .dates import add_days, local_date, require_aware, zone
from .errors import InvalidLeadDaysError
from .model import LineStatus

MAX_LEAD_DAYS = 730  # two years ahead is the longest reminder we accept
MAX_LEADS = 20  # reminders per deadline
DEFAULT_EVENT_DURATION = timedelta(hours=1)
_LEAD_TEXT = re.compile(r"\s*[0-9]{1,4}\s*(,\s*[0-9]{1,4}\s*)*,?\s*")


class DeadlineKind(StrEnum):
    """What a calendar event marks."""

    PLAN_EXPIRY = "plan_expiry"  # the paid period ends (renewal or grace begins)
    ACTIVITY_DEADLINE = "activity_deadline"  # a call/text/top-up is needed by then
    LOSS_DATE = "loss_date"  # the number is deleted / recycled after this
    FUNDED_UNTIL = "funded_until"  # the balance stops paying renewals


# Within one instant, the more final kind comes last.
_ORDER = {
    DeadlineKind.FUNDED_UNTIL: 0,
    DeadlineKind.PLAN_EXPIRY: 1,
    DeadlineKind.ACTIVITY_DEADLINE: 2,
    DeadlineKind.LOSS_DATE: 3,
}


@dataclass(frozen=True, slots=True)
class DeadlineEvent:
    """One deadline of one line: an instant, its date on the carrier's clock, and a display span."""

    kind: DeadlineKind
    start: datetime  # the deadline itself (aware, UTC)
    end: datetime  # start + a display duration, for calendars that need a span
    day: date  # the deadline's date on the carrier's wall clock (for all-day display)
    line_id: str = ""

    @property
    def critical(self) -> bool:
        """Missing this deadline loses the number (not just the plan or the money)."""
        return self.kind in {DeadlineKind.LOSS_DATE, DeadlineKind.ACTIVITY_DEADLINE}

    @property
    def uid(self) -> str:
        """Stable while the deadline does not move; changes when it does."""
        return f"{self.line_id}:{self.kind.value}:{self.start.isoformat()}"


def _tz(tz: ZoneInfo | str) -> ZoneInfo:
    return tz if isinstance(tz, ZoneInfo) else zone(tz)


def check_lead_days(lead_days: Iterable[int]) -> tuple[int, ...]:
    """Validate reminder leads; return them deduplicated, longest first.

    Each lead is a whole number of days from 0 (at the deadline) to MAX_LEAD_DAYS; at most
    MAX_LEADS of them. InvalidLeadDaysError otherwise.
    """
    if isinstance(lead_days, str | bytes) or not isinstance(lead_days, Iterable):
        raise InvalidLeadDaysError("lead days must be a list of whole numbers")
    leads: set[int] = set()
    for lead in lead_days:
        if isinstance(lead, bool) or not isinstance(lead, int):
            raise InvalidLeadDaysError(f"a lead must be a whole number of days, not {lead!r:.20}")
        if not 0 <= lead <= MAX_LEAD_DAYS:
            raise InvalidLeadDaysError(f"a lead must be 0 to {MAX_LEAD_DAYS} days, not {lead}")
        leads.add(lead)
    if len(leads) > MAX_LEADS:
        raise InvalidLeadDaysError(f"at most {MAX_LEADS} reminders per deadline")
    return tuple(sorted(leads, reverse=True))


def parse_lead_days(text: str) -> tuple[int, ...]:
    """Read leads typed as text, such as "30, 7, 1" (options forms); longest first."""
    if not isinstance(text, str) or len(text) > 200 or not _LEAD_TEXT.fullmatch(text):
        raise InvalidLeadDaysError(
            'lead days are whole numbers separated by commas, e.g. "30, 7, 1"'
        )
    return check_lead_days(int(part) for part in text.split(",") if part.strip())


def reminder_instants(
    deadline: datetime, lead_days: Sequence[int], tz: ZoneInfo | str
) -> list[datetime]:
    """Instants ``lead`` days before ``deadline`` on the carrier clock: sorted, unique, in UTC."""
    require_aware(deadline, "deadline")
    clock = _tz(tz)
    instants = {add_days(deadline, -lead, clock) for lead in check_lead_days(lead_days)}
    return sorted(instants)


def next_reminder(
    deadline: datetime, lead_days: Sequence[int], tz: ZoneInfo | str, now: datetime
) -> datetime | None:
    """Return the first reminder instant after ``now``, or None when all have passed."""
    require_aware(now, "now")
    return next((at for at in reminder_instants(deadline, lead_days, tz) if at > now), None)


def deadline_events(
    status: LineStatus,
    tz: ZoneInfo | str,
    *,
    line_id: str = "",
    duration: timedelta = DEFAULT_EVENT_DURATION,
    plan_expiry: bool = True,
) -> list[DeadlineEvent]:
    """Return the calendar events of one line.

    Plan expiry, activity deadline, loss date, funded-until.

    Unknown dates are skipped, and the plan expiry when ``plan_expiry`` is False (a plan whose
    expiry means nothing: ``PlanRules.dated``). Funded-until is shown whenever known, even on
    the plan expiry (that means "no renewal is paid"). Events are sorted by time, the most final
    kind last.
    """
    if not isinstance(duration, timedelta) or duration <= timedelta(0):
        raise InvalidLeadDaysError("an event needs a positive duration")
    clock = _tz(tz)
    found = (
        (DeadlineKind.PLAN_EXPIRY, status.plan_expiry if plan_expiry else None),
        (DeadlineKind.ACTIVITY_DEADLINE, status.activity_deadline),
        (DeadlineKind.LOSS_DATE, status.loss_date),
        (DeadlineKind.FUNDED_UNTIL, status.runway.funded_until),
    )
    events = [
        DeadlineEvent(
            kind=kind,
            start=at,
            end=at + duration,
            day=local_date(at, clock),
            line_id=line_id,
        )
        for kind, at in found
        if at is not None
    ]
    events.sort(key=lambda event: (event.start, _ORDER[event.kind]))
    return events


__all__ = [
    "DEFAULT_EVENT_DURATION",
    "MAX_LEADS",
    "MAX_LEAD_DAYS",
    "DeadlineEvent",
    "DeadlineKind",
    "check_lead_days",
    "deadline_events",
    "next_reminder",
    "parse_lead_days",
    "reminder_instants",
]
