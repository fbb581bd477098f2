"""Keeper test figures.

The message corpus test records its counts here and the terminal summary prints them at the end of
the run (docs/development.md quotes them).
"""

from __future__ import annotations

from typing import Any

CORPUS_FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CORPUS_FIGURES:
        return
    terminalreporter.write_sep("=", "message corpus")
    for line in CORPUS_FIGURES:
        terminalreporter.write_line(line)
