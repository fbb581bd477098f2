"""Turn an account's stored settings into a provider client: the one place that knows kinds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.util import dt as dt_util

from .const import (
    CONF_ACCOUNT_SID,
    CONF_ALLOW_HTTP,
    CONF_API_KEY,
    CONF_API_KEY_SID,
    CONF_AUTH_SECRET,
    CONF_BASE_URL,
    CONF_PROVIDER,
    CONF_TOKEN,
    CONF_URL,
)
from .keeper.model import LineSnapshot
from .keeper.providers import telnyx, twilio
from .keeper.providers.base import Provider, ProviderKind
from .keeper.providers.demo import DEMO_LINES, DemoProvider
from .keeper.providers.http_bridge import HttpBridgeProvider
from .keeper.providers.manual import ManualProvider
from .keeper.providers.telnyx import TelnyxProvider
from .keeper.providers.twilio import TwilioProvider
from .lines import NumberConfig

# Credentials (and the bridge URL) per kind: what the account form asks for and reauth asks again.
CREDENTIAL_KEYS: dict[ProviderKind, tuple[str, ...]] = {
    ProviderKind.DEMO: (),
    ProviderKind.MANUAL: (),
    ProviderKind.HTTP_BRIDGE: (CONF_URL, CONF_TOKEN),
    ProviderKind.TWILIO: (CONF_ACCOUNT_SID, CONF_API_KEY_SID, CONF_AUTH_SECRET),
    ProviderKind.TELNYX: (CONF_API_KEY,),
}
# Secrets among them: never shown back in a form, redacted in diagnostics.
SECRET_KEYS = frozenset({CONF_TOKEN, CONF_AUTH_SECRET, CONF_API_KEY})


def provider_kind(data: Mapping[str, Any]) -> ProviderKind:
    """Return the provider kind stored in an entry's data."""
    return ProviderKind(data[CONF_PROVIDER])


def create_provider(hass: HomeAssistant, data: Mapping[str, Any]) -> Provider:
    """Return a client for the account described by ``data`` (config entry data).

    HTTP providers get Home Assistant's shared aiohttp session; none creates its own.
    """
    kind = provider_kind(data)
    clock = dt_util.utcnow
    match kind:
        case ProviderKind.DEMO:
            return DemoProvider(clock=clock)
        case ProviderKind.MANUAL:
            return ManualProvider({}, clock)
        case ProviderKind.HTTP_BRIDGE:
            return HttpBridgeProvider(
                async_get_clientsession(hass),
                data[CONF_URL],
                data[CONF_TOKEN],
                clock=clock,
                allow_http=bool(data.get(CONF_ALLOW_HTTP)),
            )
        case ProviderKind.TWILIO:
            return TwilioProvider(
                async_get_clientsession(hass),
                data[CONF_ACCOUNT_SID],
                data[CONF_AUTH_SECRET],
                api_key_sid=data.get(CONF_API_KEY_SID) or None,
                base_url=data.get(CONF_BASE_URL, twilio.DEFAULT_BASE_URL),
                clock=clock,
            )
        case ProviderKind.TELNYX:
            return TelnyxProvider(
                async_get_clientsession(hass),
                data[CONF_API_KEY],
                base_url=data.get(CONF_BASE_URL, telnyx.DEFAULT_BASE_URL),
                clock=clock,
            )


def sync_provider(provider: Provider, numbers: Mapping[str, NumberConfig]) -> None:
    """Hand the user's own records to a Manual provider (other kinds read them from the carrier)."""
    if not isinstance(provider, ManualProvider):
        return
    wanted = {config.line_id: config for config in numbers.values() if config.ledger is not None}
    for line_id in set(provider.ledgers) - set(wanted):
        provider.remove_line(line_id)
    for line_id, config in wanted.items():
        assert config.ledger is not None
        provider.set_line(line_id, config.ledger, config.plan, config.number)


def suggested_carrier(kind: ProviderKind, line: LineSnapshot) -> str:
    """Return the carrier preset the "Add number" form proposes for a line."""
    if kind is ProviderKind.TWILIO:
        return "twilio"
    if kind is ProviderKind.TELNYX:
        return "telnyx"
    for demo in DEMO_LINES:
        if kind is ProviderKind.DEMO and demo.line_id == line.line_id:
            return demo.carrier
    return "other"
