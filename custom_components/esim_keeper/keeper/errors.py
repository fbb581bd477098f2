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
