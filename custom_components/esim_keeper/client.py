"""Turn an account's stored settings into a provider client: the one place that knows kinds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.util import dt as dt_util

from .const import CONF_PROVIDER
from .keeper.model import LineSnapshot
from .keeper.providers.base import Provider, ProviderKind
from .keeper.providers.demo import DEMO_LINES, DemoProvider


def provider_kind(data: Mapping[str, Any]) -> ProviderKind:
    """The provider kind stored in an entry's data."""
    return ProviderKind(data[CONF_PROVIDER])


def create_provider(hass: HomeAssistant, data: Mapping[str, Any]) -> Provider:
    """A client for the account described by ``data`` (config entry data).

    HTTP providers get Home Assistant's shared aiohttp session; none creates its own.
    """
    kind = provider_kind(data)
    if kind is ProviderKind.DEMO:
        return DemoProvider(clock=dt_util.utcnow)
    raise NotImplementedError(kind)  # pragma: no cover - every kind is handled above


def suggested_carrier(kind: ProviderKind, line: LineSnapshot) -> str:
    """The carrier preset the "Add number" form proposes for a line."""
    if kind is ProviderKind.TWILIO:
        return "twilio"
    if kind is ProviderKind.TELNYX:
        return "telnyx"
    if kind is ProviderKind.DEMO:
        for demo in DEMO_LINES:
            if demo.line_id == line.line_id:
                return demo.carrier
    return "other"
