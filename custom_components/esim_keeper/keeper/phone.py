"""Phone numbers: normalise to E.164, format for people, mask for logs."""

from __future__ import annotations

import phonenumbers

from .errors import InvalidNumberError

MAX_INPUT = 40


def normalize(text: str, default_region: str = "US") -> str:
    """Return the E.164 form of ``text`` (``+12025550101``).

    InvalidNumberError if it is not a real number.

    Numbers without a country code are read as US numbers, which is what users of US lines type.
    """
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_INPUT:
        raise InvalidNumberError("enter a phone number such as +1 202 555 0101")
    try:
        parsed = phonenumbers.parse(text.strip(), default_region)
    except phonenumbers.NumberParseException as err:
        raise InvalidNumberError(f"not a phone number: {mask(text)}") from err
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumberError(f"not a valid phone number: {mask(text)}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def format_number(e164: str) -> str:
    """Return a readable international form (``+1 202-555-0101``).

    The input unchanged if unparsable.
    """
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def mask(number: str) -> str:
    """Only the last four digits, for logs, diagnostics and default titles: ``…0101``."""
    digits = [c for c in str(number) if c.isdigit()]
    return "…" + "".join(digits[-4:]) if digits else "…"
