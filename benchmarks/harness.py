"""What every benchmark needs: the carrier simulator, a Home Assistant instance, and the meters.

The simulator runs in its own process (``python -m tools.carrier_sim``), so that the CPU time this
process measures is Home Assistant's alone; it is driven through its control API (``/_sim``).
Home Assistant runs in this process, built the way the test harness builds it
(``pytest_homeassistant_custom_component.common.async_test_home_assistant``), with custom
integrations enabled and a throw-away config directory.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
import contextlib
from dataclasses import dataclass, field
import gc
import logging
from pathlib import Path
import socket
import sys
import tempfile
import time
import tracemalloc
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp.resolver import AsyncResolver

REPO = Path(__file__).resolve().parent.parent


# --- the carrier simulator, out of process ------------------------------------------------------


class SimProcess:
    """``python -m tools.carrier_sim`` on a free loopback port, and a client for its control API."""

    def __init__(self) -> None:
        self.base_url = ""
        self._proc: asyncio.subprocess.Process | None = None
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> str:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "tools.carrier_sim", "--port", "0", "--lines", "1"),
            cwd=REPO,
            stdout=asyncio.subprocess.PIPE,
        )
        assert self._proc.stdout is not None
        line = (await self._proc.stdout.readline()).decode()
        # "carrier simulator on http://127.0.0.1:PORT (N lines); control API at /_sim"
        self.base_url = line.split(" on ", 1)[1].split()[0]
        self._session = aiohttp.ClientSession()
        return self.base_url

    async def attach(self, base_url: str) -> None:
        """Drive a simulator another process started (a benchmark worker does)."""
        self.base_url = base_url
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._proc is not None and self._proc.returncode is None:
            self._proc.terminate()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._proc.wait(), 5)

    async def _call(self, method: str, path: str, body: object = None) -> Any:
        assert self._session is not None
        async with self._session.request(method, self.base_url + path, json=body) as resp:
            resp.raise_for_status()
            return await resp.json()

    async def reset(self, lines: int, seed: int = 0) -> dict[str, Any]:
        return await self._call("POST", "/_sim/reset", {"lines": lines, "seed": seed})  # type: ignore[no-any-return]

    async def state(self) -> dict[str, Any]:
        return await self._call("GET", "/_sim/state")  # type: ignore[no-any-return]

    async def requests(self) -> int:
        """Carrier API requests served so far (control routes are not counted)."""
        return sum((await self.state())["requests"].values())

    async def set_balance(self, line_id: str, balance: str) -> None:
        await self._call("POST", f"/_sim/lines/{line_id}", {"balance": balance})


# --- meters -------------------------------------------------------------------------------------


class Watchdog:
    """A task that sleeps ``interval`` and records how late it wakes: the longest loop stall.

    It also times Python's cyclic garbage collector (``gc.callbacks``): the longest single
    collection, and the longest stall once the collections inside it are taken out, which is
    what the code running on the loop held it for.
    """

    def __init__(self, interval: float = 0.005) -> None:
        self.interval = interval
        self.worst = 0.0
        self.worst_gc = 0.0
        self.worst_outside_gc = 0.0
        self._gc_total = 0.0
        self._gc_started = 0.0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.get_running_loop().create_task(self._run())

    def reset(self) -> None:
        self.worst = self.worst_gc = self.worst_outside_gc = 0.0

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        now = time.perf_counter()
        if phase == "start":
            self._gc_started = now
            return
        pause = now - self._gc_started
        self._gc_total += pause
        self.worst_gc = max(self.worst_gc, pause)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            before, gc_before = loop.time(), self._gc_total
            await asyncio.sleep(self.interval)
            late = loop.time() - before - self.interval
            self.worst = max(self.worst, late)
            self.worst_outside_gc = max(self.worst_outside_gc, late - (self._gc_total - gc_before))

    async def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


_ACTIVE: dict[str, Counter[str]] = {"writes": Counter()}  # the meter now counting


@dataclass
class WriteMeter:
    """Counts state writes (every call into the state machine) and real state changes."""

    writes: Counter[str] = field(default_factory=Counter)
    changes: Counter[str] = field(default_factory=Counter)

    def install(self, hass: Any) -> None:
        from homeassistant.const import EVENT_STATE_CHANGED
        from homeassistant.core import StateMachine, callback

        _ACTIVE["writes"] = self.writes
        if not getattr(StateMachine.async_set_internal, "_bench", False):
            original = StateMachine.async_set_internal

            def counting_set_internal(
                states: Any, entity_id: str, *args: Any, **kwargs: Any
            ) -> None:
                _ACTIVE["writes"][entity_id] += 1
                original(states, entity_id, *args, **kwargs)

            counting_set_internal._bench = True  # type: ignore[attr-defined]
            StateMachine.async_set_internal = counting_set_internal  # type: ignore[method-assign,assignment]

        @callback
        def _changed(event: Any) -> None:
            self.changes[event.data["entity_id"]] += 1

        hass.bus.async_listen(EVENT_STATE_CHANGED, _changed)

    def reset(self) -> None:
        self.writes.clear()
        self.changes.clear()


@dataclass
class Window:
    """One measured stretch: wall and CPU seconds, requests, writes, changes, longest stall."""

    wall: float = 0.0
    cpu: float = 0.0
    requests: int = 0
    writes: int = 0
    changes: int = 0
    stall: float = 0.0
    gc_pause: float = 0.0
    stall_outside_gc: float = 0.0

    def to_json(self) -> dict[str, float | int]:
        return {
            "wall_ms": round(self.wall * 1000, 3),
            "cpu_ms": round(self.cpu * 1000, 3),
            "requests": self.requests,
            "writes": self.writes,
            "changes": self.changes,
            "stall_ms": round(self.stall * 1000, 3),
            "gc_pause_ms": round(self.gc_pause * 1000, 3),
            "stall_outside_gc_ms": round(self.stall_outside_gc * 1000, 3),
        }


class Meters:
    """The watchdog, the write meter and the simulator's counters, read around one window."""

    def __init__(self, hass: Any, sim: SimProcess, watchdog: Watchdog) -> None:
        self.hass = hass
        self.sim = sim
        self.watchdog = watchdog
        self.writes = WriteMeter()
        self.writes.install(hass)

    @contextlib.asynccontextmanager
    async def window(self) -> AsyncIterator[Window]:
        result = Window()
        requests_before = await self.sim.requests()
        gc.collect()
        # Let the watchdog see (and forget) the collection's stall before the window opens.
        await asyncio.sleep(self.watchdog.interval * 4)
        self.writes.reset()
        self.watchdog.reset()
        wall, cpu = time.perf_counter(), time.process_time()
        yield result
        result.cpu = time.process_time() - cpu
        result.wall = time.perf_counter() - wall
        # A stall that ends just as the window closes is only seen when the watchdog wakes.
        await asyncio.sleep(self.watchdog.interval * 2)
        result.stall = self.watchdog.worst
        result.gc_pause = self.watchdog.worst_gc
        result.stall_outside_gc = self.watchdog.worst_outside_gc
        result.writes = sum(self.writes.writes.values())
        result.changes = sum(self.writes.changes.values())
        result.requests = await self.sim.requests() - requests_before


async def traced_growth(action: Callable[[], Any]) -> int:
    """Bytes allocated by ``action()`` (awaited) and still alive afterwards (tracemalloc)."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        await action()
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


# --- Home Assistant -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ErrorCounter(logging.Handler):
    """Errors logged while a benchmark runs: a run with errors is not a valid measurement."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}"[:300])


ERRORS = ErrorCounter()


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger().addHandler(ERRORS)
    # The loader warns once per run that a custom integration is not tested by Home Assistant.
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    logging.getLogger("homeassistant.components.http").setLevel(logging.ERROR)
    # Once per process (every run is one): aiohttp would like faster zlib builds.
    logging.getLogger("aiohttp_fast_zlib").setLevel(logging.ERROR)


def _resolver() -> AsyncResolver:
    resolver = AsyncResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]  # what HA's closes
    return resolver


@contextlib.asynccontextmanager
async def home_assistant() -> AsyncIterator[Any]:
    """Yield a running Home Assistant with custom integrations enabled.

    In a throw-away config dir.
    """
    from homeassistant import loader
    from pytest_homeassistant_custom_component.common import async_test_home_assistant  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory(prefix="esim-bench-") as config_dir:
        (Path(config_dir) / "custom_components").mkdir()
        (Path(config_dir) / "custom_components" / "esim_keeper").symlink_to(
            REPO / "custom_components" / "esim_keeper"
        )
        # The test harness's way: no zeroconf (mDNS) resolver for HA's aiohttp session.
        with patch(
            "homeassistant.helpers.aiohttp_client._async_make_resolver",
            side_effect=lambda hass: _resolver(),
        ):
            async with async_test_home_assistant(config_dir=config_dir) as hass:
                hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
                try:
                    yield hass
                finally:
                    await hass.async_stop(force=True)


async def flush_storage(hass: Any) -> None:
    """Write what stores have scheduled (delayed saves), so no save lands inside a window."""
    from homeassistant.const import EVENT_HOMEASSISTANT_FINAL_WRITE

    hass.bus.async_fire(EVENT_HOMEASSISTANT_FINAL_WRITE)
    await hass.async_block_till_done(wait_background_tasks=True)
