"""What the steps stand on.

The processes (simulator, hass), Home Assistant's APIs, the browser, and a step runner that names
the failing step.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
import contextlib
from dataclasses import dataclass, field
import itertools
import json
from pathlib import Path
import socket
import sys
import time
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from _hass_runner import (  # noqa: E402
    onboard,
    prepare_config,
    start_hass,
    stop_hass,
    wait_until_up,
)

CHROMIUM = "/usr/bin/chromium"
# Nothing but 127.0.0.1: no Google services, no updates, no QUIC (see the machine notes).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-pings",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
USERNAME = "e2e"
PASSWORD = "e2e-Passw0rd"  # a throwaway owner of a throwaway config on loopback  # noqa: S105


def say(text: str) -> None:
    sys.stdout.write(f"e2e: {text}\n")
    sys.stdout.flush()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class StepFailedError(Exception):
    """A step saw something other than what it expects; the message says what."""


async def wait_for[T](
    what: str, probe: Callable[[], Awaitable[T | None]], within: float = 60, every: float = 0.5
) -> T:
    """Poll ``probe`` until it returns something truthy, else StepFailedError naming ``what``."""
    deadline = time.monotonic() + within
    last: Exception | None = None
    while True:
        try:
            value = await probe()
            if value:
                return value
        except (aiohttp.ClientError, KeyError, ValueError) as err:
            last = err
        if time.monotonic() > deadline:
            extra = f" (last error: {last})" if last else ""
            raise StepFailedError(f"timed out after {within:.0f} s waiting for {what}{extra}")
        await asyncio.sleep(every)


class HomeAssistantApi:
    """REST and websocket calls as the owner (a long-lived-enough access token)."""

    def __init__(self, session: aiohttp.ClientSession, base: str, token: str) -> None:
        self.session = session
        self.base = base
        self.token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._events: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        self._reader: asyncio.Task[None] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str) -> Any:
        async with self.session.get(f"{self.base}{path}", headers=self.headers) as resp:
            if resp.status == 404:
                return None
            resp.raise_for_status()
            return await resp.json()

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        async with self.session.post(f"{self.base}{path}", json=body, headers=self.headers) as resp:
            data = await resp.json()
            if resp.status != 200:
                raise StepFailedError(f"POST {path} answered {resp.status}: {data}")
            return data

    async def state(self, entity_id: str) -> dict[str, Any] | None:
        result: dict[str, Any] | None = await self.get(f"/api/states/{entity_id}")
        return result

    async def _connect(self) -> aiohttp.ClientWebSocketResponse:
        if self._ws is None or self._ws.closed:
            url = self.base.replace("http", "ws", 1) + "/api/websocket"
            ws = await self.session.ws_connect(url)
            await ws.receive_json()
            await ws.send_json({"type": "auth", "access_token": self.token})
            answer = await ws.receive_json()
            if answer.get("type") != "auth_ok":
                raise StepFailedError(f"websocket auth failed: {answer}")
            self._ws = ws
            self._reader = asyncio.create_task(self._read(ws))
        return self._ws

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(msg.data)
            for item in data if isinstance(data, list) else [data]:
                ident = item.get("id")
                if item.get("type") == "event" and ident in self._events:
                    self._events[ident].put_nowait(item["event"])
                elif ident in self._pending:
                    self._pending.pop(ident).set_result(item)

    async def ws(self, command: str, **body: Any) -> Any:
        """One websocket command; its result, or StepFailedError with Home Assistant's error."""
        ws = await self._connect()
        ident = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await ws.send_json({"id": ident, "type": command, **body})
        answer = await asyncio.wait_for(future, 30)
        if not answer.get("success"):
            raise StepFailedError(f"websocket {command} failed: {answer.get('error')}")
        return answer.get("result")

    async def subscribe(self, event_type: str) -> asyncio.Queue[dict[str, Any]]:
        """Return a queue that receives every ``event_type`` event from now on."""
        ws = await self._connect()
        ident = next(self._ids)
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._events[ident] = queue
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[ident] = future
        await ws.send_json({"id": ident, "type": "subscribe_events", "event_type": event_type})
        await asyncio.wait_for(future, 30)
        return queue

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader


@dataclass
class StepResult:
    name: str
    status: str = "not run"  # passed | FAILED | not run
    seconds: float = 0.0
    detail: str = ""
    screenshots: list[str] = field(default_factory=list)


@dataclass
class Context:
    """Everything a step may use; steps put what later steps need into ``facts``."""

    artifacts: Path
    session: aiohttp.ClientSession
    sim_port: int
    hass_port: int
    ha_version: str
    page: Any = None  # playwright.async_api.Page once the browser is up
    api: HomeAssistantApi | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)
    current: StepResult | None = None
    shot_count: int = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.hass_port}"

    @property
    def sim(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    @property
    def ha(self) -> HomeAssistantApi:
        if self.api is None:
            raise StepFailedError("Home Assistant is not up (an earlier step failed)")
        return self.api

    async def shot(self, label: str) -> Path:
        """Save a full-page screenshot into the artifacts folder, named NN-label.png."""
        self.shot_count += 1
        path = self.artifacts / f"{self.shot_count:02d}-{label}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        if self.current is not None:
            self.current.screenshots.append(path.name)
        return path


async def start_simulator(ctx: Context) -> None:
    log = (ctx.artifacts / "carrier_sim.log").open("wb")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tools.carrier_sim",
        "--port",
        str(ctx.sim_port),
        "--lines",
        "3",
        "--seed",
        "7",
        cwd=ROOT,
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    ctx.processes.append(proc)

    async def up() -> bool:
        if proc.returncode is not None:
            raise StepFailedError(f"the simulator exited with code {proc.returncode}")
        async with ctx.session.get(f"{ctx.sim}/_sim/state") as resp:
            return resp.status == 200

    await wait_for("the carrier simulator to answer /_sim/state", up, within=30, every=0.2)


async def start_home_assistant(ctx: Context) -> None:
    config = ctx.artifacts / "config"
    prepare_config(config, ctx.hass_port, fresh=True, name="eSIM Keeper e2e", writer="e2e")
    log = (ctx.artifacts / "hass.stdout.log").open("wb")
    proc = await start_hass(config, stdout=log, stderr=asyncio.subprocess.STDOUT)
    ctx.processes.append(proc)
    try:
        await wait_until_up(ctx.session, ctx.base, proc, within=240, who="e2e")
    except SystemExit as err:
        raise StepFailedError(str(err)) from None
    token = await onboard(ctx.session, ctx.base, USERNAME, PASSWORD, name="E2E Owner")
    ctx.api = HomeAssistantApi(ctx.session, ctx.base, token)

    async def running() -> dict[str, Any] | None:
        info: dict[str, Any] = await ctx.ha.get("/api/config")
        return info if info.get("state") == "RUNNING" else None

    config_info = await wait_for("Home Assistant to finish starting", running, within=240)
    version = config_info["version"]
    if version != ctx.ha_version:
        raise StepFailedError(f"Home Assistant is {version}, expected {ctx.ha_version}")
    components = set(config_info["components"])
    missing = {"frontend", "conversation", "onboarding"} - components
    if missing:
        raise StepFailedError(f"components not loaded: {sorted(missing)} (see hass.stdout.log)")


async def stop_all(ctx: Context) -> None:
    if ctx.api is not None:
        with contextlib.suppress(Exception):
            await ctx.api.close()
    for proc in reversed(ctx.processes):
        await stop_hass(proc, grace=30)


async def run_step(
    ctx: Context, result: StepResult, body: Callable[[Context], Awaitable[str | None]]
) -> bool:
    """Run one step; record passed/FAILED, its time and a screenshot of the page on failure."""
    ctx.current = result
    started = time.monotonic()
    say(f"-> {result.name}")
    try:
        result.detail = (await body(ctx)) or ""
        result.status = "passed"
    except Exception as err:  # noqa: BLE001 - any failure of a step is reported by name
        result.status = "FAILED"
        result.detail = f"{type(err).__name__}: {err}".strip()
        if ctx.page is not None:
            with contextlib.suppress(Exception):
                shot = await ctx.shot(f"FAILED-{result.name.split()[0]}")
                aria = await ctx.page.locator("body").aria_snapshot()
                shot.with_suffix(".aria.txt").write_text(aria, encoding="utf-8")
    result.seconds = time.monotonic() - started
    say(f"   {result.status} in {result.seconds:.1f} s {result.detail}".rstrip())
    ctx.current = None
    return result.status == "passed"
