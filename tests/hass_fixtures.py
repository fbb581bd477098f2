"""Autouse fixtures every Home Assistant test suite shares (tests/ha and tests/reliability).

Each suite's conftest imports them, which is how pytest picks fixtures up from another module.
"""

from __future__ import annotations

from collections.abc import Generator

from homeassistant.const import EVENT_CALL_SERVICE, MATCH_ALL
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import issue_registry as ir
import pytest

from tests.leak_guard import GUARD


@pytest.fixture(autouse=True)
def auto_enable_custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load custom_components.esim_keeper."""


def _user_typed_numbers(event: Event) -> bool:
    """Home Assistant's own ``call_service`` event of ``esim_keeper.import_numbers``.

    It repeats the CSV the user passed (their numbers, by definition). Nothing of ours writes it;
    every other event, and every log line about the import, is still scanned.
    """
    return (
        event.event_type == EVENT_CALL_SERVICE
        and event.data.get("domain") == "esim_keeper"
        and event.data.get("service") == "import_numbers"
    )


@pytest.fixture(autouse=True)
def guard_events_and_issues(hass: HomeAssistant) -> Generator[None]:
    """Every bus event and repair issue of the test goes through the secrets guard."""

    def _scan(event: Event) -> None:
        if _user_typed_numbers(event):
            return
        GUARD.scan(f"event {event.event_type}", str(event.data))

    unsub = hass.bus.async_listen(MATCH_ALL, _scan)
    yield
    unsub()
    registry = ir.async_get(hass)
    GUARD.scan_all("repair issue", (issue.to_json() for issue in registry.issues.values()))
