"""Secrets guard.

Across the whole test run, at DEBUG level, no token, password or full phone number may appear in a
log line, a bus event or a repair issue.

Every number the tests use is a fictional 555-01xx number (reserved for fiction), so any full
555-01xx number in the output is one of ours leaking; every credential the simulator accepts is
known. The simulator also plants carrier "names" that are the number itself for every provider
(line-2, line-5 ...: Twilio's default friendly_name "(201) 555-0101", a Telnyx
customer_reference or a bridge name "+12015550101"), so a name that carries its number into a
log line, an event or an issue is caught here too. Loaded as a pytest plugin from
tests/conftest.py. A leak fails the run at its end, listing where each leak came from.
"""

from __future__ import annotations

from collections.abc import Iterable
import logging
import re
from typing import Any

import pytest

from tools.carrier_sim.state import (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_API_KEY_SECRET,
    DEFAULT_TWILIO_AUTH_TOKEN,
)

# A full fictional North American number, in the forms people and code write it.
FULL_NUMBER = re.compile(r"(?<![\d…])(?:\+?1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]?555[ .-]?01\d{2}(?!\d)")
SECRETS = (
    DEFAULT_BRIDGE_TOKEN,
    DEFAULT_TELNYX_API_KEY,
    DEFAULT_TWILIO_API_KEY_SECRET,
    DEFAULT_TWILIO_AUTH_TOKEN,
)


class LeakGuard:
    """Collects text from logs, events and issues; remembers what leaked and where."""

    def __init__(self) -> None:
        self.leaks: list[str] = []
        self.checked = 0
        self.test = "<collection>"

    def scan(self, source: str, text: str) -> None:
        self.checked += 1
        found = [s for s in SECRETS if s in text]
        found += FULL_NUMBER.findall(text)
        if found:
            self.leaks.append(f"{self.test}: {source}: {sorted(set(found))} in {text[:200]!r}")

    def scan_all(self, source: str, texts: Iterable[Any]) -> None:
        for text in texts:
            self.scan(source, str(text))


GUARD = LeakGuard()


class _Handler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = record.getMessage()
        except Exception:  # a broken log call is not ours to judge here
            return
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]!r}"
        GUARD.scan(f"log {record.name}", text)


_HANDLER = _Handler(level=logging.DEBUG)


def pytest_sessionstart(session: pytest.Session) -> None:
    root = logging.getLogger()
    root.addHandler(_HANDLER)
    # Our own loggers at DEBUG, as a user who turns on debug logging for a bug report would.
    for name in ("custom_components.esim_keeper", "tools.carrier_sim"):
        logging.getLogger(name).setLevel(logging.DEBUG)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    GUARD.test = item.nodeid


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(_HANDLER)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if GUARD.leaks:
        if reporter is not None:
            reporter.write_sep("=", "secrets guard: leaks found", red=True)
            for leak in GUARD.leaks[:50]:
                reporter.write_line(leak)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif reporter is not None:
        reporter.write_line(
            f"secrets guard: {GUARD.checked} log lines, events and issues scanned, no leak"
        )
