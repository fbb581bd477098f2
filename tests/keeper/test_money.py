"""Money: exact decimals with a currency; floats, NaN and mixed currencies are refused."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, strategies as st
import pytest

from custom_components.esim_keeper.keeper.errors import CurrencyError, InvalidAmountError
from custom_components.esim_keeper.keeper.money import (
    ISO_CURRENCIES,
    MAX_AMOUNT,
    Money,
    check_currency,
    parse_decimal,
)
from tests.keeper.strategies import amounts, usd


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3.00", Decimal("3.00")),
        (" 12.29 ", Decimal("12.29")),
        ("-0.0075", Decimal("-0.0075")),
        (".5", Decimal("0.5")),
        ("1E+3", Decimal(1000)),
        (7, Decimal(7)),
        (Decimal("1.15"), Decimal("1.15")),
    ],
)
def test_parse_decimal_accepts(raw: object, expected: Decimal) -> None:
    assert parse_decimal(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        1.15,
        True,
        None,
        [],
        "",
        "   ",
        "abc",
        "1,5",
        "NaN",
        "-Infinity",
        "inf",
        "sNaN",
        Decimal("NaN"),
        Decimal("Infinity"),
        "1" * 40,
        "1000000.01",
        Decimal("-1000001"),
        "0.0000000000001",
        "1e9",
    ],
)
def test_parse_decimal_refuses(raw: object) -> None:
    with pytest.raises(InvalidAmountError) as err:
        parse_decimal(raw)
    assert err.value.key == "invalid_amount"


def test_currency_codes() -> None:
    assert check_currency("usd") == "USD"
    assert "GBP" in ISO_CURRENCIES
    for bad in ("UDS", "", "US", 840, None, "ＵＳＤ"):
        with pytest.raises(CurrencyError):
            check_currency(bad)


def test_construction_validates() -> None:
    assert Money(Decimal("3"), "usd").currency == "USD"
    with pytest.raises(InvalidAmountError):
        Money(3.0, "USD")  # type: ignore[arg-type]
    with pytest.raises(InvalidAmountError):
        Money(Decimal("NaN"), "USD")
    with pytest.raises(CurrencyError):
        Money(Decimal(1), "XXX")


def test_parse_refuses_negative_unless_allowed() -> None:
    with pytest.raises(InvalidAmountError):
        Money.parse("-1", "USD")
    assert Money.parse("-1", "USD", allow_negative=True).amount == Decimal(-1)
    assert Money.parse("2.50", "eur") == Money(Decimal("2.5"), "EUR")


def test_arithmetic_and_comparison() -> None:
    a, b = usd("3.00"), usd("1.15")
    assert a + b == usd("4.15")
    assert a - b == usd("1.85")
    assert a * 3 == usd("9") == 3 * a
    assert -a == usd("-3")
    assert b < a
    assert b <= a
    assert a > b
    assert a >= b
    assert Money.zero("GBP") == Money(Decimal(0), "GBP")
    assert str(a) == "3.00 USD"


def test_mixed_currencies_are_refused() -> None:
    usd3, gbp3 = usd("3"), Money(Decimal(3), "GBP")
    for op in (
        lambda: usd3 + gbp3,
        lambda: usd3 - gbp3,
        lambda: usd3 < gbp3,
        lambda: usd3 <= gbp3,
        lambda: usd3 > gbp3,
        lambda: usd3 >= gbp3,
        lambda: usd3.cycles_covered(gbp3),
    ):
        with pytest.raises(CurrencyError) as err:
            op()
        assert err.value.key == "invalid_currency"
    assert usd3 != gbp3


def test_combining_with_non_money_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        usd("1") + 1  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("1") * Decimal(2)  # type: ignore[operator]
    with pytest.raises(TypeError):
        usd("1") * True


def test_multiplying_past_the_limit_is_refused() -> None:
    with pytest.raises(InvalidAmountError):
        Money(MAX_AMOUNT, "USD") * 2


def test_cycles_covered() -> None:
    assert usd("10").cycles_covered(usd("3")) == 3
    assert usd("2.99").cycles_covered(usd("3")) == 0
    assert usd("-5").cycles_covered(usd("3")) == 0
    assert usd("0").cycles_covered(usd("3")) == 0
    assert usd("5").cycles_covered(usd("0")) is None


@given(amounts, amounts)
def test_no_float_ever_appears(a: Decimal, b: Decimal) -> None:
    x, y = Money(a, "USD"), Money(b, "USD")
    for result in (x + y, x - y, x * 3, -x):
        assert type(result.amount) is Decimal
    assert isinstance(x.cycles_covered(usd("1.15")), int)


@given(amounts, amounts)
def test_addition_is_exact(a: Decimal, b: Decimal) -> None:
    total = Money(a, "USD") + Money(b, "USD")
    assert total - Money(b, "USD") == Money(a, "USD")


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_floats_never_become_money(value: float) -> None:
    with pytest.raises(InvalidAmountError):
        Money.parse(value, "USD")
