"""The carrier catalog: editable defaults per carrier, read once from data/carriers.json.

Every value is a default, never a rule: ``CarrierPreset.with_overrides`` and ``plan_for`` replace
any of them per number. Values our sources do not establish firmly are listed in ``uncertain`` so
that the user interface can ask the user to check them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import time
from decimal import Decimal
from enum import Enum
from importlib import resources
import json
import re
from types import MappingProxyType
from typing import Final, Literal, TypedDict

from .dates import zone
from .errors import (
    CatalogError,
    CostRequiredError,
    CurrencyError,
    KeeperError,
    UnknownCarrierError,
)
from .model import MAX_CYCLE_DAYS, MAX_GRACE_DAYS, PaymentMethod, PlanRules
from .money import Money, check_currency

CATALOG_VERSION = 1
# The values a user may override per number; ``uncertain`` may only name these.
PLAN_FIELDS: Final = frozenset(
    {
        "renewal_cost",
        "currency",
        "cycle_days",
        "grace_days",
        "activity_days",
        "timezone",
        "renewal_window",
    }
)
_PRESET_KEYS: Final = frozenset(
    PLAN_FIELDS | {"name", "top_up_channels", "recharge_url", "source", "uncertain"}
)
_ID = re.compile(r"[a-z][a-z0-9_]{0,31}")
_HHMM = re.compile(r"([01][0-9]|2[0-3]):([0-5][0-9])")
_MAX_TEXT = 1000  # a source note may cite several addresses


class _Keep(Enum):
    """Marker for 'leave this value as it is' where None is itself a meaningful override."""

    KEEP = "keep"


KEEP: Final = _Keep.KEEP


@dataclass(frozen=True, slots=True)
class CarrierPreset:
    """One carrier's defaults. ``plan`` gives the PlanRules the lifecycle rules use."""

    id: str
    name: str
    renewal_cost: Money
    cycle_days: int
    grace_days: int
    activity_days: int | None
    timezone: str
    renewal_window: tuple[time, time] | None
    top_up_channels: tuple[PaymentMethod, ...]
    recharge_url: str | None
    source: str
    uncertain: frozenset[str]

    def __post_init__(self) -> None:
        """Validate the preset's plan fields when the preset is made."""
        # PlanRules validates cycle, grace, activity, timezone and window.
        _ = self.plan

    @property
    def plan(self) -> PlanRules:
        """Return the preset's plan rules (cycle, grace, activity, timezone, cost)."""
        return PlanRules(
            cycle_days=self.cycle_days,
            renewal_cost=self.renewal_cost,
            grace_days=self.grace_days,
            activity_days=self.activity_days,
            timezone=self.timezone,
            renewal_window=self.renewal_window,
        )

    @property
    def currency(self) -> str:
        """Return the currency the carrier charges renewals in."""
        return self.renewal_cost.currency

    def with_overrides(
        self,
        *,
        renewal_cost: Money | Decimal | str | None = None,
        currency: str | None = None,
        cycle_days: int | None = None,
        grace_days: int | None = None,
        activity_days: int | Literal[_Keep.KEEP] | None = KEEP,
        timezone: str | None = None,
        renewal_window: tuple[time, time] | Literal[_Keep.KEEP] | None = KEEP,
    ) -> CarrierPreset:
        """Return this preset with the user's own values; overridden fields are no longer uncertain.

        ``renewal_cost`` may be Money or a decimal amount read in ``currency`` (default: the
        preset's). ``currency`` alone keeps the amount and changes its currency. ``activity_days``
        and ``renewal_window`` accept None (no rule), so leaving them out keeps the preset's.
        """
        changes: _PresetChanges = {}
        cost = self.renewal_cost
        if currency is not None:
            cost = Money(cost.amount, check_currency(currency))
            changes["renewal_cost"] = cost
        if renewal_cost is not None:
            if isinstance(renewal_cost, Money):
                if currency is not None and renewal_cost.currency != cost.currency:
                    raise CurrencyError("the cost's currency contradicts the currency given")
                cost = renewal_cost
            else:
                cost = Money.parse(renewal_cost, cost.currency)
            changes["renewal_cost"] = cost
        if cycle_days is not None:
            changes["cycle_days"] = cycle_days
        if grace_days is not None:
            changes["grace_days"] = grace_days
        if activity_days is not KEEP:
            changes["activity_days"] = activity_days
        if timezone is not None:
            changes["timezone"] = timezone
        if renewal_window is not KEEP:
            changes["renewal_window"] = renewal_window
        touched: set[str] = set(changes)
        if currency is not None:
            touched.add("currency")
        return replace(self, uncertain=self.uncertain - touched, **changes)


class _PresetChanges(TypedDict, total=False):
    """The fields of a preset that ``CarrierPreset.with_overrides`` may change."""

    renewal_cost: Money
    cycle_days: int
    grace_days: int
    activity_days: int | None
    timezone: str
    renewal_window: tuple[time, time] | None


def _fail(preset_id: str, message: str) -> CatalogError:
    return CatalogError(f"carrier catalog, preset {preset_id!r}: {message}")


def _int(preset_id: str, raw: Mapping[str, object], key: str, low: int, high: int) -> int:
    value = raw[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(preset_id, f"{key} must be a whole number from {low} to {high}")
    return value


def _text(preset_id: str, value: object, key: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_TEXT:
        raise _fail(preset_id, f"{key} must be a non-empty text of at most {_MAX_TEXT} characters")
    return value


def _clock(preset_id: str, value: object) -> time:
    if not isinstance(value, str) or (match := _HHMM.fullmatch(value)) is None:
        raise _fail(preset_id, "renewal window times must be 'HH:MM'")
    return time(int(match[1]), int(match[2]))


def _window(preset_id: str, value: object) -> tuple[time, time] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) != {"start", "end"}:
        raise _fail(preset_id, "renewal_window must be null or {'start': 'HH:MM', 'end': 'HH:MM'}")
    return _clock(preset_id, value["start"]), _clock(preset_id, value["end"])


def _channels(preset_id: str, value: object) -> tuple[PaymentMethod, ...]:
    if not isinstance(value, list):
        raise _fail(preset_id, "top_up_channels must be a list")
    try:
        channels = tuple(PaymentMethod(item) for item in value)
    except ValueError as err:
        raise _fail(preset_id, f"unknown payment method in {value!r}") from err
    if len(set(channels)) != len(channels):
        raise _fail(preset_id, "top_up_channels lists a method twice")
    return channels


def _url(preset_id: str, value: object) -> str | None:
    if value is None:
        return None
    url = _text(preset_id, value, "recharge_url")
    if not url.startswith("https://") or any(c.isspace() for c in url):
        raise _fail(preset_id, "recharge_url must be an https:// address")
    return url


def _uncertain(preset_id: str, value: object) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _fail(preset_id, "uncertain must be a list of field names")
    unknown = set(value) - PLAN_FIELDS
    if unknown:
        raise _fail(preset_id, f"uncertain names unknown fields {sorted(unknown)}")
    return frozenset(value)


def _preset(preset_id: str, raw: object) -> CarrierPreset:
    if not _ID.fullmatch(preset_id):
        raise _fail(preset_id, "ids are lower-case letters, digits and '_'")
    if not isinstance(raw, dict):
        raise _fail(preset_id, "a preset must be an object")
    if set(raw) != _PRESET_KEYS:
        missing = sorted(_PRESET_KEYS - set(raw))
        extra = sorted(set(raw) - _PRESET_KEYS)
        raise _fail(preset_id, f"missing keys {missing}, unexpected keys {extra}")
    cost_text = raw["renewal_cost"]
    if not isinstance(cost_text, str):
        raise _fail(preset_id, "renewal_cost must be a decimal string such as '3.00'")
    activity = raw["activity_days"]
    try:
        cost = Money.parse(cost_text, raw["currency"])
        return CarrierPreset(
            id=preset_id,
            name=_text(preset_id, raw["name"], "name"),
            renewal_cost=cost,
            cycle_days=_int(preset_id, raw, "cycle_days", 1, MAX_CYCLE_DAYS),
            grace_days=_int(preset_id, raw, "grace_days", 0, MAX_GRACE_DAYS),
            activity_days=(
                None
                if activity is None
                else _int(preset_id, raw, "activity_days", 1, MAX_CYCLE_DAYS)
            ),
            timezone=zone(raw["timezone"]).key,
            renewal_window=_window(preset_id, raw["renewal_window"]),
            top_up_channels=_channels(preset_id, raw["top_up_channels"]),
            recharge_url=_url(preset_id, raw["recharge_url"]),
            source=_text(preset_id, raw["source"], "source"),
            uncertain=_uncertain(preset_id, raw["uncertain"]),
        )
    except CatalogError:
        raise
    except KeeperError as err:
        raise _fail(preset_id, str(err)) from err


def parse_catalog(document: object) -> dict[str, CarrierPreset]:
    """Validate a decoded catalog document and build its presets; CatalogError on any bad value."""
    if not isinstance(document, dict) or set(document) != {"version", "presets"}:
        raise CatalogError("carrier catalog: expected {'version': 1, 'presets': {...}}")
    if document["version"] != CATALOG_VERSION:
        raise CatalogError(f"carrier catalog: unsupported version {document['version']!r}")
    presets = document["presets"]
    if not isinstance(presets, dict) or not presets:
        raise CatalogError("carrier catalog: 'presets' must be a non-empty object")
    return {preset_id: _preset(str(preset_id), raw) for preset_id, raw in presets.items()}


def load_catalog(text: str) -> dict[str, CarrierPreset]:
    """Parse catalog JSON text (exact decimals: numbers with a fraction are refused)."""

    def no_floats(value: str) -> Decimal:
        raise CatalogError(f"carrier catalog: write amounts as strings, not the number {value}")

    try:
        document = json.loads(text, parse_float=no_floats)
    except json.JSONDecodeError as err:
        raise CatalogError(f"carrier catalog is not valid JSON: {err}") from err
    return parse_catalog(document)


def _read_bundled() -> str:
    # Read once at import time (not from the event loop); the file ships next to this module.
    return resources.files(__package__).joinpath("data", "carriers.json").read_text("utf-8")


PRESETS: Mapping[str, CarrierPreset] = MappingProxyType(load_catalog(_read_bundled()))
OTHER = "other"


def get_preset(preset_id: str) -> CarrierPreset:
    """Return the preset with this id; UnknownCarrierError otherwise."""
    try:
        return PRESETS[preset_id]
    except (KeyError, TypeError) as err:
        raise UnknownCarrierError(f"no carrier preset {str(preset_id)[:40]!r}") from err


def keeps_balance(plan: PlanRules, preset_id: str) -> bool:
    """Return whether a balance means anything for a number on ``plan`` at this carrier.

    Not for a free number kept alive by use whose carrier takes no money at all (Google Voice);
    a free number at a carrier that sells credit (giffgaff) keeps its balance.
    """
    return not plan.free or plan.dated or bool(get_preset(preset_id).top_up_channels)


def plan_for(
    preset_id: str,
    *,
    renewal_cost: Money | Decimal | str | None = None,
    currency: str | None = None,
    cycle_days: int | None = None,
    grace_days: int | None = None,
    activity_days: int | Literal[_Keep.KEEP] | None = KEEP,
    timezone: str | None = None,
    renewal_window: tuple[time, time] | Literal[_Keep.KEEP] | None = KEEP,
) -> PlanRules:
    """Return the PlanRules of a preset with per-number overrides (CarrierPreset.with_overrides)."""
    return (
        get_preset(preset_id)
        .with_overrides(
            renewal_cost=renewal_cost,
            currency=currency,
            cycle_days=cycle_days,
            grace_days=grace_days,
            activity_days=activity_days,
            timezone=timezone,
            renewal_window=renewal_window,
        )
        .plan
    )


__all__ = [
    "CATALOG_VERSION",
    "KEEP",
    "OTHER",
    "PLAN_FIELDS",
    "PRESETS",
    "CarrierPreset",
    "get_preset",
    "keeps_balance",
    "load_catalog",
    "parse_catalog",
    "plan_for",
]


def require_known_cost(preset_id: str, renewal_cost: object) -> None:
    """Require the user's own cost for a preset whose cost is a placeholder ("Other").

    Raises CostRequiredError when ``renewal_cost`` is empty and the preset's cost is both zero and
    marked uncertain: renewing such a number would otherwise try to pay nothing.
    """
    preset = get_preset(preset_id)
    unknown = preset.renewal_cost.amount == 0 and "renewal_cost" in preset.uncertain
    if unknown and renewal_cost in (None, ""):
        raise CostRequiredError(f"the {preset.name} preset has no renewal cost; enter one")
