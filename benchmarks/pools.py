"""Issue 17's scenarios: many numbers arriving at once, measured like the rest of the benchmark.

* ``keep_all``: an HTTP bridge account with "keep all lines" on keeps the one line its carrier
  lists; then the carrier lists N. Measured: one poll, until every new number's entities exist
  (wall and CPU time, requests, longest event-loop stall outside garbage collection).
* ``import``: the ``import_numbers`` action with N CSV rows into an empty Manual account, until
  every number's entities exist.

Each run is a fresh Home Assistant in a process of its own (run.in_worker), after an unmeasured
warm-up of the same scenario with one number.
"""

from __future__ import annotations

from typing import Any

from .harness import Meters, SimProcess, Watchdog, flush_storage, home_assistant
from .systems import TOKEN

SCENARIOS = ("keep_all", "import")


async def _platforms(hass: Any) -> None:
    """Set up the entity platforms' components, outside the window (as systems.Ours does)."""
    from homeassistant.setup import async_setup_component

    from custom_components.esim_keeper import PLATFORMS

    for platform in PLATFORMS:
        if platform.value != "calendar":
            assert await async_setup_component(hass, platform.value, {})
    await hass.async_block_till_done()


def _numbers(hass: Any, entry_id: str) -> tuple[int, int]:
    """(numbers of the account, those with a balance entity in the state machine)."""
    from homeassistant.helpers import entity_registry as er

    entry = hass.config_entries.async_get_entry(entry_id)
    numbers = [s for s in entry.subentries.values() if s.subentry_type == "number"]
    balances = [
        e
        for e in er.async_get(hass).entities.values()
        if e.config_entry_id == entry_id
        and e.unique_id.endswith("_balance")
        and hass.states.get(e.entity_id) is not None
    ]
    return len(numbers), len(balances)


async def keep_all(sim: SimProcess, n: int) -> dict[str, Any]:
    """N lines appear at once on a keep-all bridge account."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

    await sim.reset(1)
    async with home_assistant() as hass:
        watchdog = Watchdog()
        watchdog.start()
        meters = Meters(hass, sim, watchdog)
        await _platforms(hass)
        entry = MockConfigEntry(
            domain="esim_keeper",
            title="Bench bridge",
            unique_id="bench-pool",
            data={"provider": "http_bridge", "url": sim.base_url, "token": TOKEN},
            options={
                "keep_all": True,
                "new_numbers": {"carrier": "tello", "plan": {}, "renewal": {}},
            },
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        assert _numbers(hass, entry.entry_id) == (1, 1)
        await flush_storage(hass)
        await sim.reset(n)
        coordinator = entry.runtime_data.coordinator
        async with meters.window() as window:
            await coordinator.async_refresh()
            await hass.async_block_till_done(wait_background_tasks=True)
        numbers, shown = _numbers(hass, entry.entry_id)
        await watchdog.stop()
    return {**window.to_json(), "numbers": numbers, "with_entities": shown}


async def import_rows(sim: SimProcess, n: int) -> dict[str, Any]:
    """``import_numbers`` with N rows into an empty Manual account."""
    from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

    header = "number,name,carrier,balance,plan_expiry,last_used\n"
    rows = "".join(
        f"+1{201 + i // 100}55502{i % 100:02d},,tello,{i % 30}.00,2030-01-20,\n" for i in range(n)
    )
    async with home_assistant() as hass:
        watchdog = Watchdog()
        watchdog.start()
        meters = Meters(hass, sim, watchdog)
        await _platforms(hass)
        entry = MockConfigEntry(
            domain="esim_keeper",
            title="Manual records",
            unique_id="manual",
            data={"provider": "manual"},
        )
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        await flush_storage(hass)
        async with meters.window() as window:
            response = await hass.services.async_call(
                "esim_keeper",
                "import_numbers",
                {"csv": header + rows},
                blocking=True,
                return_response=True,
            )
            await hass.async_block_till_done(wait_background_tasks=True)
        assert response == {"imported": n, "errors": []}, response
        numbers, shown = _numbers(hass, entry.entry_id)
        await watchdog.stop()
    return {**window.to_json(), "numbers": numbers, "with_entities": shown}


async def run_scenario(sim: SimProcess, scenario: str, n: int) -> dict[str, Any]:
    """One measured run (after an unmeasured one-number warm-up)."""
    run = keep_all if scenario == "keep_all" else import_rows
    await run(sim, 1)
    return await run(sim, n)


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the runs, and the worst stall of any."""
    import statistics

    def median(key: str) -> float:
        return float(statistics.median(r[key] for r in runs))

    return {
        "runs": len(runs),
        "numbers": min(r["numbers"] for r in runs),
        "with_entities": min(r["with_entities"] for r in runs),
        "wall_ms": median("wall_ms"),
        "cpu_ms": median("cpu_ms"),
        "requests": median("requests"),
        "stall_outside_gc_ms": median("stall_outside_gc_ms"),
        "stall_outside_gc_max_ms": max(r["stall_outside_gc_ms"] for r in runs),
        "gc_pause_max_ms": max(r["gc_pause_ms"] for r in runs),
    }


def render(pools: dict[str, Any]) -> list[str]:
    """Return the scenarios' table and their targets."""
    n = pools["size"]
    lines = [
        "",
        f"Many numbers at once (issue 17), N = {n}",
        "",
        "| scenario | numbers (with entities) | wall ms | CPU ms | requests "
        "| longest stall outside GC, ms (max) | longest GC pause, ms (max) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {"keep_all": f"{n} lines appear on a keep-all account", "import": f"import {n} rows"}
    for scenario in SCENARIOS:
        s = pools["results"].get(scenario)
        if s is None:
            continue
        lines.append(
            f"| {labels[scenario]} | {s['numbers']:.0f} ({s['with_entities']:.0f}) "
            f"| {s['wall_ms']:.0f} | {s['cpu_ms']:.0f} | {s['requests']:.0f} "
            f"| {s['stall_outside_gc_ms']:.1f} ({s['stall_outside_gc_max_ms']:.1f}) "
            f"| {s['gc_pause_max_ms']:.1f} |"
        )
    lines += ["", "Targets (issue 17)", ""]
    for scenario in SCENARIOS:
        s = pools["results"].get(scenario)
        if s is None:
            continue
        ok = s["with_entities"] == n and s["stall_outside_gc_max_ms"] <= 50
        lines.append(
            f"- {'MET ' if ok else 'MISSED'} {labels[scenario]}: {s['with_entities']:.0f}/{n} "
            f"numbers with entities, longest stall outside GC "
            f"{s['stall_outside_gc_max_ms']:.1f} ms ≤ 50 ms"
        )
    return lines
