"""Fixtures shared by the simulator and provider tests: the simulator, a session, a canned server.

``sim`` runs ``CarrierSim`` in-process on 127.0.0.1:0; use ``sim.base_url`` and ``sim.state``.
``canned`` is a tiny server that answers each path with whatever body a test sets, for hostile
payloads the simulator never produces.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from aiohttp import web
import pytest

from tools.carrier_sim import CarrierSim

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOW


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    carrier = CarrierSim(lines=3, seed=1, clock=fixed_clock)
    await carrier.start("127.0.0.1", 0)
    yield carrier
    await carrier.stop()


@pytest.fixture
async def session(socket_enabled: None) -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@dataclass
class Canned:
    """path -> (status, body bytes, headers).

    Unknown paths answer 404. A route set with ``query`` answers only requests carrying those query
    parameters (and wins over the plain path).
    """

    base_url: str = ""
    routes: dict[str, tuple[int, bytes, dict[str, str]]] = field(default_factory=dict)
    queried: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[int, bytes, dict[str, str]]] = (
        field(default_factory=dict)
    )
    seen: list[str] = field(default_factory=list)
    chunked: set[str] = field(default_factory=set)  # paths answered without Content-Length

    def set(
        self,
        path: str,
        body: bytes | str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> None:
        data = body.encode() if isinstance(body, str) else body
        answer = (status, data, {"Content-Type": "application/json", **(headers or {})})
        if query:
            self.queried[(path, tuple(sorted(query.items())))] = answer
        else:
            self.routes[path] = answer

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, dict[str, str]]:
        matches = [
            (len(wanted), found)
            for (where, wanted), found in self.queried.items()
            if where == path and all(query.get(k) == v for k, v in wanted)
        ]
        if matches:  # the most specific route wins
            return max(matches, key=lambda match: match[0])[1]
        return self.routes.get(path, (404, b"{}", {}))


@pytest.fixture
async def canned(socket_enabled: None) -> AsyncIterator[Canned]:
    state = Canned()

    async def handle(request: web.Request) -> web.StreamResponse:
        state.seen.append(request.path_qs)
        status, body, headers = state.answer(request.path, dict(request.query))
        if request.path not in state.chunked:
            return web.Response(status=status, body=body, headers=headers)
        stream = web.StreamResponse(status=status, headers=headers)
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        for start in range(0, len(body), 512):
            await stream.write(body[start : start + 512])
        await stream.write_eof()
        return stream

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    state.base_url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield state
    await runner.cleanup()
