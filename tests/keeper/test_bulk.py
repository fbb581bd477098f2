"""keeper.bulk: every row checked, errors by row and column, and an export that imports again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from custom_components.esim_keeper.keeper.bulk import (
    MAX_ROWS,
    ExportRow,
    RowError,
    read_numbers,
    write_numbers,
)
from custom_components.esim_keeper.keeper.carriers import plan_for
from custom_components.esim_keeper.keeper.errors import UnknownCarrierError
from custom_components.esim_keeper.keeper.lifecycle import Ledger, project_ledger
from custom_components.esim_keeper.keeper.model import PlanRules
from custom_components.esim_keeper.keeper.money import Money

NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)
HEADER = "number,name,carrier,balance,plan_expiry,last_used\n"


def plans(carrier: str) -> PlanRules:
    if carrier not in {"tello", "ultra_paygo"}:
        raise UnknownCarrierError(carrier)
    return plan_for(carrier)


def read(text: str, taken: set[str] | None = None):  # type: ignore[no-untyped-def]
    return read_numbers(text, plan_for=plans, taken=taken or set(), now=NOW)


def test_valid_rows_become_numbers() -> None:
    result = read(
        HEADER
        + "+1 202 555 0188,Ultra,ultra_paygo,7.50,2026-12-20,2026-11-02\n"
        + "(415) 555-0134,,TELLO,0,2026-12-01T05:00:00+00:00,\n"
    )
    assert result.errors == ()
    ultra, tello = result.rows
    assert (ultra.row, ultra.number, ultra.name, ultra.carrier) == (
        2,
        "+12025550188",
        "Ultra",
        "ultra_paygo",
    )
    assert ultra.ledger.balance == Money.parse("7.50", "USD")
    # A date is the start of that day on the carrier's clock (Ultra: US Pacific).
    assert ultra.ledger.plan_expiry == datetime(2026, 12, 20, 8, tzinfo=UTC)
    assert ultra.ledger.last_activity == datetime(2026, 11, 2, 8, tzinfo=UTC)
    assert ultra.ledger.read_at == NOW
    assert (tello.number, tello.name, tello.carrier) == ("+14155550134", None, "tello")
    assert tello.ledger.plan_expiry == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert tello.ledger.last_activity is None


def test_every_bad_row_is_reported_with_its_column() -> None:
    result = read(
        HEADER
        + "12345,a,tello,1,2026-12-01,\n"
        + "+12025550101,b,nope,1,2026-12-01,\n"
        + "+12025550102,c,tello,-1,2026-12-01,\n"
        + "+12025550103,d,tello,1,tomorrow,\n"
        + "+12025550104,e,tello,1,2026-12-01T00:00:00,\n"
        + "+12025550105,f,tello,1,2026-12-01,2027-01-01\n"
        + "+12025550106,g,tello,,2026-12-01,\n"
        + "+12025550107,h,tello,1\n"
        + "+12025550108,i,tello,1,2026-12-01,\n"
        + "+1 202 555 0108,j,tello,1,2026-12-01,\n"
        + "+12025550109,k,tello,1,2026-12-01,\n"
        + f"+12025550110,{'n' * 65},tello,1,2026-12-01,\n"
        + "+12025550111,l,tello,1,1800-01-01,\n",
        taken={"+12025550109"},
    )
    assert [r.number for r in result.rows] == ["+12025550108"]
    assert result.errors == (
        RowError(2, "number", "invalid_number"),
        RowError(3, "carrier", "unknown_carrier"),
        RowError(4, "balance", "invalid_amount"),
        RowError(5, "plan_expiry", "invalid_date"),
        RowError(6, "plan_expiry", "naive_datetime"),
        RowError(7, "last_used", "date_out_of_range"),
        RowError(8, "balance", "missing_value"),
        RowError(9, None, "wrong_column_count"),
        RowError(11, "number", "duplicate_number"),
        RowError(12, "number", "number_taken"),
        RowError(13, "name", "name_too_long"),
        RowError(14, "plan_expiry", "date_out_of_range"),
    )
    assert result.errors[0].to_dict() == {"row": 2, "column": "number", "error": "invalid_number"}


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ("", [RowError(0, None, "empty")]),
        ("\n \n", [RowError(0, None, "empty")]),
        (
            "number,carrier,colour,balance\n",
            [RowError(1, "colour", "unknown_column"), RowError(1, "plan_expiry", "missing_column")],
        ),
        (
            "number,carrier,balance,plan_expiry,number\n",
            [RowError(1, "number", "duplicate_column")],
        ),
        ('number,carrier,balance,plan_expiry\n"+1202,tello', [RowError(2, None, "invalid_csv")]),
        ("x" * 2_000_001, [RowError(0, None, "too_large")]),
        (
            "number,carrier,balance,plan_expiry\n" + "1,tello,1,2026-12-01\n" * (MAX_ROWS + 1),
            [RowError(0, None, "too_many_rows")],
        ),
    ],
)
def test_whole_file_errors(text: str, errors: list[RowError]) -> None:
    result = read(text)
    assert result.rows == ()
    assert list(result.errors) == errors


def test_header_in_any_order_with_a_byte_order_mark() -> None:
    result = read("\ufeffPlan_Expiry, Carrier ,Balance,Number\n2026-12-20,tello,3,+12025550188\n")
    assert result.errors == ()
    assert result.rows[0].name is None


def test_export_imports_again() -> None:
    plan = plan_for("tello")
    exact = datetime(2026, 12, 20, 15, 30, tzinfo=UTC)  # not the start of a day
    rows = [
        ExportRow(
            "+12025550188",
            "Ultra, spare",
            "ultra_paygo",
            plan_for("ultra_paygo"),
            Money.parse("7.50", "USD"),
            datetime(2026, 12, 20, 8, tzinfo=UTC),
            datetime(2026, 11, 2, 8, tzinfo=UTC),
        ),
        ExportRow("+14155550134", "Tello", "tello", plan, Money.parse("0", "USD"), exact, None),
    ]
    text = write_numbers(rows)
    assert text.splitlines() == [
        "number,name,carrier,balance,plan_expiry,last_used",
        '+12025550188,"Ultra, spare",ultra_paygo,7.50,2026-12-20,2026-11-02',
        "+14155550134,Tello,tello,0,2026-12-20T15:30:00+00:00,",
    ]
    again = read(text)
    assert again.errors == ()
    assert [(r.number, r.name, r.carrier) for r in again.rows] == [
        ("+12025550188", "Ultra, spare", "ultra_paygo"),
        ("+14155550134", "Tello", "tello"),
    ]
    assert [r.ledger.plan_expiry for r in again.rows] == [rows[0].plan_expiry, exact]
    assert again.rows[0].ledger.last_activity == rows[0].last_used
    today = project_ledger(Ledger(Money.parse("0", "USD"), NOW, exact), plan, NOW)
    assert today.plan_expiry == exact
