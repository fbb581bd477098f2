"""Translated errors of the Home Assistant layer: one way to build them for actions and flows."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .const import DOMAIN


def invalid(key: str, **placeholders: str) -> ServiceValidationError:
    """Bad input: nothing was recorded or charged (``exceptions.<key>`` in the translations)."""
    return ServiceValidationError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def failed(key: str, **placeholders: str) -> HomeAssistantError:
    """The request was fine but did not succeed (``exceptions.<key>`` in the translations)."""
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
