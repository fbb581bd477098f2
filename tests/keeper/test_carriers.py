"""The bundled carrier catalog and its loader."""

from __future__ import annotations

import copy
from datetime import time
from decimal import Decimal
import json
from pathlib import Path
from typing import Any

import pytest

from custom_components.esim_keeper.keeper import carriers
from custom_components.esim_keeper.keeper.carriers import (
    PLAN_FIELDS,
    PRESETS,
    get_preset,
    load_catalog,
    parse_catalog,
    plan_for,
)
from custom_components.esim_keeper.keeper.errors import (
    CatalogError,
    CurrencyError,
    InvalidAmountError,
    InvalidPlanError,
    UnknownCarrierError,
)
from custom_components.esim_keeper.keeper.model import PaymentMethod, PlanRules
from custom_components.esim_keeper.keeper.money import Money

DATA = Path(carriers.__file__).parent / "data" / "carriers.json"
IDS = {
    "ultra_paygo",
    "tello",
    "us_mobile",
    "tmobile_prepaid",
    "mint_mobile",
    "redpocket",
    "google_voice",
    "twilio",
    "telnyx",
    "giffgaff",
    "other",
}


def _document() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(DATA.read_text("utf-8"))
    return result


def test_exact_preset_ids() -> None:
    assert set(PRESETS) == IDS


@pytest.mark.parametrize("preset_id", sorted(IDS))
def test_every_preset_builds_a_plan(preset_id: str) -> None:
    preset = get_preset(preset_id)
    assert preset.id == preset_id
    assert preset.name
    assert preset.source
    plan = preset.plan
    assert isinstance(plan, PlanRules)
    assert type(plan.renewal_cost.amount) is Decimal
    assert preset.uncertain <= PLAN_FIELDS
    assert all(isinstance(m, PaymentMethod) for m in preset.top_up_channels)
    assert preset.recharge_url is None or preset.recharge_url.startswith("https://")


def test_preset_values_from_the_domain_facts() -> None:
    tello = get_preset("tello")
    assert tello.plan.renewal_window == (time(5), time(11))
    assert tello.timezone == "America/New_York"
    giffgaff = get_preset("giffgaff")
    assert (giffgaff.currency, giffgaff.timezone, giffgaff.activity_days) == (
        "GBP",
        "Europe/London",
        180,
    )
    gv = get_preset("google_voice")
    assert gv.renewal_cost.amount == 0
    assert (gv.cycle_days, gv.activity_days) == (3650, 90)
    twilio = get_preset("twilio")
    assert twilio.renewal_cost == Money(Decimal("1.15"), "USD")
    assert get_preset("ultra_paygo").grace_days == 30
    assert get_preset("us_mobile").grace_days == 45
    assert "grace_days" in get_preset("us_mobile").uncertain  # 45, or 30/50 by network
    assert "grace_days" in get_preset("tmobile_prepaid").uncertain


def test_twilio_reclaims_inactive_numbers() -> None:
    """Issue 15, finding 6.

    Twilio may reclaim a number with too little traffic in a month (its best practices: 3 calls or 3
    SMS; its terms: 2 transmissions a calendar month).
    """
    twilio = get_preset("twilio")
    assert twilio.activity_days == 30
    assert twilio.plan.activity_days == 30
    assert "reclaim" in twilio.source
    assert "does not reclaim" not in twilio.source
    assert twilio.grace_days == 60


def test_telnyx_grace_is_documented() -> None:
    """Issue 15, finding 2.

    After a month at a negative balance Telnyx abolishes the account and deletes its numbers
    (support article 8648864): the grace is no longer "0, undocumented".
    """
    telnyx = get_preset("telnyx")
    assert telnyx.grace_days == 30
    assert "grace_days" not in telnyx.uncertain
    assert "8648864" in telnyx.source
    assert "calendar month" in telnyx.source


def test_tello_90_days_is_not_a_grace() -> None:
    """Tello's 90 days are pay-as-you-go credit expiring 3 months after purchase.

    Not a grace after the plan's expiry: the value stays, marked uncertain and explained.
    """
    tello = get_preset("tello")
    assert tello.grace_days == 90
    assert "grace_days" in tello.uncertain
    assert "3 months after purchase" in tello.source
    assert "not a documented grace" in tello.source


@pytest.mark.parametrize("preset_id", sorted(IDS - {"other"}))
def test_certain_values_have_a_source_url(preset_id: str) -> None:
    """Every preset value either comes with a source address or is marked uncertain."""
    preset = get_preset(preset_id)
    if PLAN_FIELDS - preset.uncertain:
        assert "https://" in preset.source, preset_id


def test_unknown_preset() -> None:
    for bad in ("verizon", "", None, ["tello"]):
        with pytest.raises(UnknownCarrierError) as err:
            get_preset(bad)  # type: ignore[arg-type]
        assert err.value.key == "unknown_carrier"


def test_presets_are_read_only() -> None:
    with pytest.raises(TypeError):
        PRESETS["x"] = PRESETS["tello"]  # type: ignore[index]


def test_overrides() -> None:
    preset = get_preset("mint_mobile")
    mine = preset.with_overrides(renewal_cost="60", cycle_days=91, grace_days=45)
    assert mine.renewal_cost == Money(Decimal(60), "USD")
    assert (mine.cycle_days, mine.grace_days) == (91, 45)
    assert "renewal_cost" not in mine.uncertain
    assert "timezone" in mine.uncertain
    assert preset.cycle_days == 90  # the preset itself is unchanged
    plan = plan_for("google_voice", activity_days=None, timezone="Asia/Shanghai")
    assert (plan.activity_days, plan.timezone) == (None, "Asia/Shanghai")
    assert plan_for("tello", renewal_window=None).renewal_window is None
    assert plan_for("tello").renewal_window == (time(5), time(11))
    assert plan_for("other", renewal_cost="10", currency="EUR").renewal_cost == Money(
        Decimal(10), "EUR"
    )
    assert plan_for("other", currency="cad").renewal_cost.currency == "CAD"
    assert plan_for("twilio", renewal_cost=Money(Decimal(2), "USD")).renewal_cost.amount == 2
    assert plan_for("twilio", renewal_cost=Decimal("1.5")).renewal_cost.amount == Decimal("1.5")
    assert "currency" not in get_preset("other").with_overrides(currency="USD").uncertain


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"cycle_days": 0}, InvalidPlanError),
        ({"grace_days": -1}, InvalidPlanError),
        ({"timezone": "Nowhere"}, InvalidPlanError),
        ({"renewal_cost": "-1"}, InvalidAmountError),
        ({"renewal_cost": 1.5}, InvalidAmountError),
        ({"currency": "XXX"}, CurrencyError),
        ({"renewal_cost": Money(Decimal(1), "GBP"), "currency": "USD"}, CurrencyError),
    ],
)
def test_bad_overrides_are_typed_errors(kwargs: dict[str, Any], error: type[Exception]) -> None:
    with pytest.raises(error):
        plan_for("tello", **kwargs)


def test_bundled_file_round_trips() -> None:
    assert load_catalog(DATA.read_text("utf-8")) == dict(PRESETS)


def _broken(preset_id: str, **changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(_document())
    for key, value in changes.items():
        if value is ...:
            del doc["presets"][preset_id][key]
        else:
            doc["presets"][preset_id][key] = value
    return doc


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"name": 5},
        {"name": "x" * 1001},
        {"renewal_cost": 3},
        {"renewal_cost": "abc"},
        {"renewal_cost": "-3"},
        {"currency": "DOLLAR"},
        {"cycle_days": 0},
        {"cycle_days": "30"},
        {"cycle_days": True},
        {"grace_days": -1},
        {"activity_days": 0},
        {"timezone": "Moon/Base"},
        {"renewal_window": {"start": "11:00", "end": "05:00"}},
        {"renewal_window": {"start": "5:00", "end": "11:00"}},
        {"renewal_window": {"start": "05:00"}},
        {"renewal_window": ["05:00", "11:00"]},
        {"renewal_window": {"start": 5, "end": "11:00"}},
        {"top_up_channels": "card"},
        {"top_up_channels": ["bitcoin"]},
        {"top_up_channels": ["card", "card"]},
        {"recharge_url": "http://tello.com/"},
        {"recharge_url": "https://tello.com/ x"},
        {"recharge_url": 1},
        {"source": " "},
        {"uncertain": "grace_days"},
        {"uncertain": ["colour"]},
        {"uncertain": [1]},
        {"name": ...},
        {"extra": 1},
    ],
)
def test_bad_preset_values_are_catalog_errors(changes: dict[str, Any]) -> None:
    with pytest.raises(CatalogError) as err:
        parse_catalog(_broken("tello", **changes))
    assert err.value.key == "invalid_catalog"
    assert "tello" in str(err.value)


@pytest.mark.parametrize(
    "document",
    [
        [],
        {"version": 1},
        {"version": 2, "presets": {}},
        {"version": 1, "presets": {}},
        {"version": 1, "presets": []},
        {"version": 1, "presets": {"Bad-Id": {}}},
        {"version": 1, "presets": {"ok_id": []}},
    ],
)
def test_bad_documents_are_catalog_errors(document: object) -> None:
    with pytest.raises(CatalogError):
        parse_catalog(document)


def test_floats_and_bad_json_are_refused() -> None:
    with pytest.raises(CatalogError, match="strings"):
        load_catalog('{"version": 1, "presets": {"a": {"renewal_cost": 3.0}}}')
    with pytest.raises(CatalogError, match="JSON"):
        load_catalog("{not json")


def test_a_preset_without_a_known_cost_needs_the_users() -> None:
    from custom_components.esim_keeper.keeper.carriers import require_known_cost
    from custom_components.esim_keeper.keeper.errors import CostRequiredError

    with pytest.raises(CostRequiredError):
        require_known_cost("other", None)
    with pytest.raises(CostRequiredError):
        require_known_cost("other", "")
    require_known_cost("other", "3.00")
    require_known_cost("google_voice", None)  # free for sure: nothing to ask
    require_known_cost("ultra_paygo", None)


@pytest.mark.parametrize(
    ("preset", "dated", "balance"),
    [
        ("ultra_paygo", True, True),  # paid: expiry and balance both matter
        ("google_voice", False, False),  # free, kept by use, takes no money
        ("giffgaff", False, True),  # free, kept by use, sells credit
        ("other", True, True),  # free placeholder without an activity rule: expiry is all it has
    ],
)
def test_which_numbers_have_an_expiry_and_a_balance(
    preset: str, dated: bool, balance: bool
) -> None:
    plan = plan_for(preset)
    assert plan.dated is dated
    assert carriers.keeps_balance(plan, preset) is balance
    # Any price makes both matter again.
    paid = plan_for(preset, renewal_cost="2.00")
    assert paid.dated
    assert carriers.keeps_balance(paid, preset)
