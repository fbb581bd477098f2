"""What a number subentry holds, read into typed settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.config_entries import ConfigSubentry

from .const import CONF_CARRIER, CONF_LINE_ID, CONF_NUMBER, CONF_PLAN
from .keeper.carriers import get_preset, plan_for
from .keeper.model import PlanRules

# Plan fields a number may override in its subentry; the rest come from its carrier preset.
PLAN_OVERRIDES = (
    "renewal_cost",
    "currency",
    "cycle_days",
    "grace_days",
    "activity_days",
    "timezone",
)


def plan_from_settings(carrier: str, overrides: Mapping[str, Any]) -> PlanRules:
    """The carrier preset's plan with the number's own overrides (validated by the keeper)."""
    return plan_for(carrier, **{k: overrides[k] for k in PLAN_OVERRIDES if k in overrides})


@dataclass(frozen=True, slots=True)
class NumberConfig:
    """One number's settings, from its subentry."""

    subentry_id: str
    number: str
    line_id: str
    name: str
    carrier: str
    carrier_name: str
    plan: PlanRules

    @property
    def currency(self) -> str:
        return self.plan.currency

    @property
    def masked(self) -> str:
        """The number for logs: last four digits only."""
        return f"…{self.number[-4:]}"

    @classmethod
    def from_subentry(cls, subentry: ConfigSubentry) -> NumberConfig:
        data = subentry.data
        carrier = data[CONF_CARRIER]
        return cls(
            subentry_id=subentry.subentry_id,
            number=data[CONF_NUMBER],
            line_id=data[CONF_LINE_ID],
            name=subentry.title,
            carrier=carrier,
            carrier_name=get_preset(carrier).name,
            plan=plan_from_settings(carrier, data.get(CONF_PLAN, {})),
        )
