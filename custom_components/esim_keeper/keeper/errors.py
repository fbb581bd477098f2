"""Typed errors of the keeper layer.

Every error carries a stable ``key`` so that the Home Assistant layer can turn it into a translated
message without parsing text; the English message stays useful in logs and tests.
"""

from __future__ import annotations


class KeeperError(ValueError):
    """Base class for invalid input to the keeper rules."""

    key = "invalid_input"


class InvalidAmountError(KeeperError):
    """An amount is not a finite decimal, is negative where it must not be, or is too large."""

    key = "invalid_amount"


class CurrencyError(KeeperError):
    """A currency code is unknown, or two amounts in different currencies were combined."""

    key = "invalid_currency"


class NaiveDatetimeError(KeeperError):
    """A datetime without a timezone was given where an instant is needed."""

    key = "naive_datetime"


class InvalidPlanError(KeeperError):
    """Plan rules are inconsistent (cycle <= 0, negative grace, unknown timezone, ...)."""

    key = "invalid_plan"


class InvalidNumberError(KeeperError):
    """A phone number is not a valid E.164 number."""

    key = "invalid_number"


class DateRangeError(KeeperError):
    """A date computation left the range a calendar can show (far past or far future)."""

    key = "date_out_of_range"


class InvalidLedgerError(KeeperError):
    """A ledger operation is out of order (a payment recorded before the last balance reading)."""

    key = "invalid_ledger"


class NothingAssumedError(InvalidLedgerError):
    """Confirming or failing an autopay charge when no cycle is assumed paid."""

    key = "nothing_assumed"


class InvalidLeadDaysError(KeeperError):
    """Reminder lead days are not whole numbers of days in the accepted range."""

    key = "invalid_lead_days"


class UnknownCarrierError(KeeperError):
    """No carrier preset has the requested id."""

    key = "unknown_carrier"


class CatalogError(KeeperError):
    """The bundled carrier catalog is malformed (a packaging bug, never user input)."""

    key = "invalid_catalog"


class CostRequiredError(KeeperError):
    """The carrier preset has no known renewal cost (e.g. "Other"): the user must give one."""

    key = "cost_required"
