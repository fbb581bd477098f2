"""Hand-kept numbers in bulk: read a CSV of numbers (every row checked, all or nothing), write one.

Columns, in any order, with a header row: ``number``, ``name`` (optional), ``carrier`` (a preset
id), ``balance`` (in the plan's currency), ``plan_expiry`` and ``last_used`` (optional). A date
(``2026-12-20``) is the start of that day on the carrier's clock; an instant with an offset
(``2026-12-20T08:00:00+00:00``) is taken as is. Rows are numbered as in a spreadsheet: the
header is row 1. Every error names its row, its column and a key the UI translates.

``write_numbers`` writes the same shape, so an export imports again (on this install after the
numbers were removed, or on another one).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
import csv
from dataclasses import dataclass
from datetime import date, datetime
import io

from .dates import local_date, require_aware, start_of_day
from .errors import KeeperError
from .lifecycle import Ledger
from .model import PlanRules
from .money import Money
from .phone import normalize

COLUMNS = ("number", "name", "carrier", "balance", "plan_expiry", "last_used")
REQUIRED = frozenset({"number", "carrier", "balance", "plan_expiry"})
MAX_ROWS = 5000
MAX_TEXT = 2_000_000  # characters
MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row (or the header, row 1; or the whole text, row 0) cannot be imported."""

    row: int
    column: str | None
    error: str  # a translation key (the keeper error's key, or one of this module's)

    def to_dict(self) -> dict[str, str | int | None]:
        """Return the row error as the import action's response shows it."""
        return {"row": self.row, "column": self.column, "error": self.error}


@dataclass(frozen=True, slots=True)
class NumberRow:
    """One valid row: a hand-kept number ready to be added."""

    row: int
    number: str
    name: str | None
    carrier: str
    plan: PlanRules
    ledger: Ledger


@dataclass(frozen=True, slots=True)
class ReadResult:
    """Every valid row, and every error; import only when ``errors`` is empty."""

    rows: tuple[NumberRow, ...]
    errors: tuple[RowError, ...]


class _RowError(Exception):
    def __init__(self, column: str, key: str) -> None:
        super().__init__(key)
        self.column = column
        self.key = key


def _instant(raw: str, plan: PlanRules, column: str) -> datetime:
    text = raw.strip()
    try:
        if len(text) == 10:
            return start_of_day(date.fromisoformat(text), plan.tz)
        value = datetime.fromisoformat(text)
    except ValueError:
        raise _RowError(column, "invalid_date") from None
    except KeeperError as err:
        raise _RowError(column, err.key) from None
    if value.tzinfo is None:
        raise _RowError(column, "naive_datetime")
    return value


def _row(
    row: int,
    values: dict[str, str],
    plan_for: Callable[[str], PlanRules],
    now: datetime,
) -> NumberRow:
    for column in REQUIRED:
        if not values.get(column, "").strip():
            raise _RowError(column, "missing_value")
    try:
        number = normalize(values["number"])
    except KeeperError as err:
        raise _RowError("number", err.key) from None
    carrier = values["carrier"].strip().lower()
    try:
        plan = plan_for(carrier)
    except KeeperError as err:
        raise _RowError("carrier", err.key) from None
    try:
        balance = Money.parse(values["balance"].strip(), plan.currency)
    except KeeperError as err:
        raise _RowError("balance", err.key) from None
    expiry = _instant(values["plan_expiry"], plan, "plan_expiry")
    used = values.get("last_used", "").strip()
    last_used = _instant(used, plan, "last_used") if used else None
    if last_used is not None and last_used > now:
        raise _RowError("last_used", "date_out_of_range")
    name = values.get("name", "").strip()
    if len(name) > MAX_NAME:
        raise _RowError("name", "name_too_long")
    try:
        ledger = Ledger(balance=balance, read_at=now, plan_expiry=expiry, last_activity=last_used)
    except KeeperError as err:
        raise _RowError("plan_expiry", err.key) from None
    return NumberRow(row, number, name or None, carrier, plan, ledger)


def read_numbers(
    text: str,
    *,
    plan_for: Callable[[str], PlanRules],
    taken: Collection[str],
    now: datetime,
) -> ReadResult:
    """Check every row of ``text``.

    ``plan_for(carrier)`` gives a carrier preset's plan (with the account's defaults) or raises a
    KeeperError; ``taken`` holds the numbers some account keeps already (one number, one account).
    """
    require_aware(now, "now")
    if len(text) > MAX_TEXT:
        return ReadResult((), (RowError(0, None, "too_large"),))
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), strict=True)
    try:
        table = [(reader.line_num, cells) for cells in reader if any(c.strip() for c in cells)]
    except csv.Error:
        return ReadResult((), (RowError(reader.line_num, None, "invalid_csv"),))
    if not table:
        return ReadResult((), (RowError(0, None, "empty"),))
    header_row, header = table[0]
    columns = [c.strip().lower() for c in header]
    errors: list[RowError] = [
        RowError(header_row, c, "unknown_column") for c in columns if c not in COLUMNS
    ]
    errors += [
        RowError(header_row, c, "duplicate_column")
        for i, c in enumerate(columns)
        if c in columns[:i] and c in COLUMNS
    ]
    errors += [
        RowError(header_row, c, "missing_column")
        for c in COLUMNS
        if c in REQUIRED and c not in columns
    ]
    if errors:
        return ReadResult((), tuple(errors))
    if len(table) - 1 > MAX_ROWS:
        return ReadResult((), (RowError(0, None, "too_many_rows"),))
    rows: list[NumberRow] = []
    seen: dict[str, int] = {}
    for row, cells in table[1:]:
        if len(cells) != len(columns):
            errors.append(RowError(row, None, "wrong_column_count"))
            continue
        try:
            number_row = _row(row, dict(zip(columns, cells, strict=True)), plan_for, now)
        except _RowError as problem:
            errors.append(RowError(row, problem.column, problem.key))
            continue
        if number_row.number in taken:
            errors.append(RowError(row, "number", "number_taken"))
        elif number_row.number in seen:
            errors.append(RowError(row, "number", "duplicate_number"))
        else:
            seen[number_row.number] = row
            rows.append(number_row)
    return ReadResult(tuple(rows), tuple(errors))


@dataclass(frozen=True, slots=True)
class ExportRow:
    """One hand-kept number as it stands now (its ledger projected to today)."""

    number: str
    name: str
    carrier: str
    plan: PlanRules
    balance: Money
    plan_expiry: datetime
    last_used: datetime | None


def _when(instant: datetime, plan: PlanRules) -> str:
    """Return a date when the instant starts a day on the carrier's clock, else the instant.

    A date imports back the same.
    """
    day = local_date(instant, plan.tz)
    return day.isoformat() if start_of_day(day, plan.tz) == instant else instant.isoformat()


def write_numbers(rows: Iterable[ExportRow]) -> str:
    """Return the CSV ``read_numbers`` reads: a header, then one row per number."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(
            (
                row.number,
                row.name,
                row.carrier,
                str(row.balance.amount),
                _when(row.plan_expiry, row.plan),
                "" if row.last_used is None else _when(row.last_used, row.plan),
            )
        )
    return out.getvalue()
