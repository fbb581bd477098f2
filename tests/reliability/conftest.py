"""Reliability fixtures: the simulator, tiny timeouts, profile sizes, and the figures printed.

Sizes come from ``ESIM_KEEPER_PROFILE`` (``ci`` by default, ``long`` with ``scripts/test --long``).
Every suite adds to ``FIGURES``; the terminal summary prints them in one block at the end of the run
(docs/development.md "Reliability" quotes that block).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator
import os
from typing import Any
from unittest.mock import patch

import pytest

from custom_components.esim_keeper.keeper.providers import _http
from tests.hass_fixtures import (  # noqa: F401  (autouse fixtures, shared with tests/ha)
    auto_enable_custom_integrations,
    guard_events_and_issues,
)
from tools.carrier_sim import CarrierSim

PROFILE = os.environ.get("ESIM_KEEPER_PROFILE", "ci")
LONG = PROFILE == "long"
# Chaos: seeded sequences of renewals, faults, presses and restarts.
CHAOS_SEQUENCES = 2000 if LONG else 200
# Seconds a provider request may take in these tests (production: 20 s).
FAST_TIMEOUT = 0.08
# Seconds the simulator's "latency" fault waits: past FAST_TIMEOUT.
SLOW = 0.4

FIGURES: Counter[str] = Counter()
ORDER = (
    "faults tried",
    "fault cells (provider x fault)",
    "chaos sequences",
    "chaos steps",
    "chaos restarts",
    "chaos reloads mid-payment",
    "chaos disk-full refusals",
    "chaos renewals requested",
    "carrier charges",
    "successful attempts in history",
    "double charges",
    "records lost",
    "inputs fuzzed",
    "diagnostics scanned",
)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not FIGURES:
        return
    terminalreporter.write_sep("=", f"reliability figures (profile: {PROFILE})")
    for name in (*ORDER, *sorted(set(FIGURES) - set(ORDER))):
        if name in FIGURES:
            terminalreporter.write_line(f"{name}: {FIGURES[name]}")


@pytest.fixture
def fast_timeout() -> Iterator[None]:
    """Every provider request times out after FAST_TIMEOUT seconds (production: 20 s)."""
    with patch.object(_http, "clamp_timeout", lambda _: FAST_TIMEOUT):
        yield


@pytest.fixture
async def sim(socket_enabled: None, fast_timeout: None) -> AsyncIterator[CarrierSim]:
    """Yield the carrier simulator on loopback, two lines (line-1 +12015550100, line-2 ...0101)."""
    carrier = CarrierSim(lines=2, seed=7)
    await carrier.start("127.0.0.1", 0)
    try:
        yield carrier
    finally:
        await carrier.stop()
