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
    """Return the error of a request that was fine but did not succeed.

    Its text is ``exceptions.<key>`` in the translations.
    """
    return HomeAssistantError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


class RenewalDeferredError(HomeAssistantError):
    """A renewal did not run now, and nothing failed: it can simply be asked again later.

    Another renewal of the number is running, an earlier one's outcome is still unknown, or Home
    Assistant is stopping. Automatic renewals do not count these as failures.
    """


def deferred(key: str, **placeholders: str) -> RenewalDeferredError:
    """Return the error of a renewal that waits for something else.

    Its text is ``exceptions.<key>`` in the translations.
    """
    return RenewalDeferredError(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )
