"""The benchmark's summary and verdicts (benchmarks/run.py, benchmarks/report.py), on made-up runs.

The benchmark itself is run by hand (scripts/bench); these check that what it prints about the
issue's targets follows from the figures, so a MET cannot come from a bug in the report.
"""

from __future__ import annotations

from typing import Any

import pytest

from benchmarks.report import render, targets
from benchmarks.run import summarize


def _window(
    cpu: float = 20.0,
    requests: int = 10,
    writes: int = 0,
    changes: int = 0,
    stall: float = 5.0,
    gc_pause: float = 0.0,
    outside_gc: float | None = None,
    wall: float | None = None,
) -> dict[str, float | int]:
    return {
        "wall_ms": cpu if wall is None else wall,
        "cpu_ms": cpu,
        "requests": requests,
        "writes": writes,
        "changes": changes,
        "stall_ms": stall,
        "gc_pause_ms": gc_pause,
        "stall_outside_gc_ms": stall - gc_pause if outside_gc is None else outside_gc,
    }


def _run(
    setup_ms: float,
    *,
    unchanged: dict[str, float | int] | None = None,
    changed: dict[str, float | int] | None = None,
    setup_stall: float = 10.0,
    setup_gc: float = 0.0,
    polls: bool = True,
) -> dict[str, Any]:
    return {
        "setup": _window(cpu=setup_ms, requests=10, stall=setup_stall, gc_pause=setup_gc),
        "unchanged": [unchanged or _window()] if polls else [],
        "changed": [changed or _window(cpu=30.0, writes=21, changes=21)] if polls else [],
        "entities": 8251,
        "registry_entities": 13751,
        "errors": [],
    }


def _data(
    ours: list[dict[str, Any]], rest: list[dict[str, Any]], trivial: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "date": "2026-11-26T12:00:00+00:00",
        "machine": {"nproc": 2, "cpu": "test CPU", "python": "3.14", "home_assistant": "2026.10"},
        "settings": {
            "runs": 5,
            "runs_large": 3,
            "polls": 1,
            "changed_per_poll": {"1000": 10},
        },
        "duration_s": 1.0,
        "results": {
            "1000": {
                "ours": summarize(1000, ours, 88_000_000),
                "rest": summarize(1000, rest, 44_000_000),
                "trivial": summarize(1000, trivial, 55_000_000),
            }
        },
    }


def _rest() -> list[dict[str, Any]]:
    poll = _window(cpu=140.0, requests=1000, writes=2000, changes=0)
    return [_run(1300.0, unchanged=poll, changed=poll)]


def _trivial(setup_ms: float = 1000.0) -> list[dict[str, Any]]:
    return [_run(setup_ms, setup_stall=setup_ms, polls=False)]


def _line(lines: list[str], fragment: str) -> str:
    (line,) = [line for line in lines if fragment in line]
    return line


def _verdict(lines: list[str], fragment: str) -> str:
    return _line(lines, fragment).split()[0]


def test_medians_and_every_target_met() -> None:
    ours = [_run(ms) for ms in (1500.0, 1400.0, 1450.0)]
    data = _data(ours, _rest(), _trivial())
    summary = data["results"]["1000"]["ours"]
    assert summary["setup_wall_ms"] == 1450.0
    assert summary["memory_per_number_kib"] == pytest.approx(88_000_000 / 1000 / 1024)
    lines = targets(data)
    assert all(line.startswith("MET") for line in lines), lines
    assert "setup 1.45× baseline (b)" in _line(lines, "baseline (b)")
    assert _verdict(lines, "unchanged poll CPU") == "MET"


def test_each_target_is_missed_on_its_own_figure() -> None:
    slow_poll = _window(cpu=50.0, requests=11, writes=3, changes=1)
    ours = [_run(1600.0, unchanged=slow_poll, changed=slow_poll, setup_stall=280.0, setup_gc=265.0)]
    lines = targets(_data(ours, _rest(), _trivial()))
    assert _verdict(lines, "requests per unchanged poll") == "MISSED"
    assert "2 write(s) without a change" in _line(lines, "state writes")
    assert _verdict(lines, "state writes") == "MISSED"
    assert _verdict(lines, "longest event-loop stall") == "MISSED"
    # The collector's pause is not the code's: without it the longest stall is 15 ms.
    assert _verdict(lines, "longest stall outside GC") == "MET"
    assert "15.0 ms" in _line(lines, "longest stall outside GC")
    assert _verdict(lines, "unchanged poll CPU") == "MISSED"
    assert _verdict(lines, "baseline (b)") == "MISSED"


def test_table_has_each_system_and_the_ratios() -> None:
    table = render(_data([_run(1500.0)], _rest(), _trivial()))
    assert (
        "| figure | eSIM Keeper | rest+template (a) | trivial (b) | ours/(a) | ours/(b) |" in table
    )
    assert "| setup, wall ms | 1500.0 | 1300.0 | 1000.0 | 1.154× | 1.500× |" in table
    # Polls are not compared with the trivial baseline, which has nothing to poll.
    assert "| poll unchanged, CPU ms | 20.00 | 140.00 | — | 0.143× | — |" in table
