"""Money: a Decimal amount with its ISO 4217 currency. Never a float, never a silent currency."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
import re
from typing import Self

from .errors import CurrencyError, InvalidAmountError

# Active ISO 4217 codes (2026). Kept as data so that a typo such as "UDS" is refused early.
ISO_CURRENCIES: frozenset[str] = frozenset(
    """
    AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD
    CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP
    GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD
    KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN
    NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP
    SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES VND
    VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()
)

# Largest amount accepted from any source: far above any phone bill, small enough to stay exact.
MAX_AMOUNT = Decimal("1000000")
# Finest fraction kept: sub-cent API prices ("0.0075") fit; with MAX_AMOUNT an amount has at most
# 19 significant digits, so sums and whole multiples stay exact in Decimal's 28-digit context.
MAX_PLACES = 12
_QUANTUM = Decimal(1).scaleb(-MAX_PLACES)
# Longest numeric text accepted when parsing (guards against hostile multi-megabyte "numbers").
_MAX_TEXT = 32
# ASCII only: Decimal() would also take "1_000" and non-ASCII digits such as "３".
_NUMBER = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?")


def check_currency(code: object) -> str:
    """Return a valid upper-case ISO 4217 code, or raise CurrencyError."""
    if not isinstance(code, str) or code.upper() not in ISO_CURRENCIES:
        raise CurrencyError(f"unknown currency code {str(code)[:8]!r}; use ISO 4217 such as 'USD'")
    return code.upper()


def parse_decimal(value: object) -> Decimal:
    """Parse an amount from a Decimal, int or decimal string. Floats and booleans are refused."""
    if isinstance(value, bool | float):
        raise InvalidAmountError(f"amounts must be decimal strings, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text or len(text) > _MAX_TEXT:
            raise InvalidAmountError("an amount must be a short decimal number such as '3.00'")
        if text.lower().lstrip("+-") in {"nan", "snan", "inf", "infinity"}:
            raise InvalidAmountError("an amount must be a finite number (not NaN or infinity)")
        if not _NUMBER.fullmatch(text):
            raise InvalidAmountError(f"{text[:16]!r} is not a decimal number")
        try:
            result = Decimal(text)
        except InvalidOperation as err:  # pragma: no cover - the pattern admits only valid text
            raise InvalidAmountError(f"{text[:16]!r} is not a decimal number") from err
    else:
        raise InvalidAmountError(f"amounts must be decimal strings, not {type(value).__name__}")
    if not result.is_finite():
        raise InvalidAmountError("an amount must be a finite number (not NaN or infinity)")
    if abs(result) > MAX_AMOUNT:
        raise InvalidAmountError(f"an amount over {MAX_AMOUNT} is not plausible")
    if result % _QUANTUM:
        raise InvalidAmountError(f"an amount has at most {MAX_PLACES} decimal places")
    return result


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An exact amount of one currency. Arithmetic and comparison refuse mixed currencies."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        """Refuse a non-Decimal or malformed amount, or an invalid currency code."""
        if not isinstance(self.amount, Decimal):
            raise InvalidAmountError(
                f"Money.amount must be a Decimal, not {type(self.amount).__name__}"
            )
        parse_decimal(self.amount)
        object.__setattr__(self, "currency", check_currency(self.currency))

    @classmethod
    def parse(cls, amount: object, currency: object, *, allow_negative: bool = False) -> Self:
        """Build Money from untrusted input (API strings, form fields)."""
        value = parse_decimal(amount)
        if value < 0 and not allow_negative:
            raise InvalidAmountError("the amount must not be negative")
        return cls(value, check_currency(currency))

    @classmethod
    def zero(cls, currency: str) -> Self:
        """Return nothing, in ``currency``."""
        return cls(Decimal(0), currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        """Add an amount of the same currency."""
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        """Subtract an amount of the same currency."""
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        """Multiply by a whole number of cycles."""
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by a whole number")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __neg__(self) -> Money:
        """Return the amount with its sign flipped."""
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        """Compare with an amount of the same currency."""
        self._same(other)
        return self.amount >= other.amount

    def cycles_covered(self, cost: Money) -> int | None:
        """How many whole payments of ``cost`` this amount pays; None when cost is zero."""
        self._same(cost)
        if cost.amount <= 0:
            return None
        if self.amount <= 0:
            return 0
        return int(self.amount // cost.amount)

    def __str__(self) -> str:
        """Return the amount and its currency, e.g. "3.00 USD"."""
        return f"{self.amount} {self.currency}"
