"""Run a real `hass` on 127.0.0.1 for a person or a test: shared by scripts/develop and scripts/e2e.

Only needs aiohttp (Home Assistant's own dependency), so it imports in any venv that has Home
Assistant: .venv for scripts/develop, .venv-e2e for scripts/e2e.

  prepare_config()   a configuration.yaml for the UI, the API and Assist, our integration linked in,
                     every onboarding step but the owner's marked done
  start_hass()       `python -m homeassistant` on that config; stop_hass() ends it (TERM, then KILL)
  wait_until_up()    until the HTTP server answers
  onboard()          creates the owner through the onboarding API; returns an access token
  flow_step()        one step of a config flow through the REST API the UI uses
  long_lived_token() a long-lived access token through the websocket API
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
import signal
import sys
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "http://127.0.0.1/"  # onboarding wants an IndieAuth client id; any URL works locally
CONFIGURATION = """\
# Written by {writer}. Minimal on purpose: the UI, the API, Assist and our integration.
homeassistant:
  name: {name}
  unit_system: metric
  time_zone: Asia/Shanghai
  country: CN
  currency: USD
  language: en
http:
  server_host: 127.0.0.1
  server_port: {port}
frontend:
config:
# Long-term statistics and the history the dashboard's "Money over time" graphs read.
recorder:
history:
api:
conversation:
logger:
  default: warning
  logs:
    custom_components.esim_keeper: debug
    homeassistant.setup: info
"""


def prepare_config(
    config: Path, port: int, *, fresh: bool, name: str = "eSIM Keeper dev", writer: str = "develop"
) -> None:
    """Write the configuration into ``config``; on a ``fresh`` one, pre-mark onboarding steps."""
    config.mkdir(parents=True, exist_ok=True)
    text = CONFIGURATION.format(port=port, name=name, writer=f"scripts/{writer}")
    (config / "configuration.yaml").write_text(text, encoding="utf-8")
    if fresh:
        # Mark every onboarding step but the owner's as done: the core_config step would otherwise
        # add integrations that reach out to the internet (weather, radio, text-to-speech).
        storage = config / ".storage"
        storage.mkdir(exist_ok=True)
        (storage / "onboarding").write_text(
            json.dumps(
                {
                    "version": 4,
                    "minor_version": 1,
                    "key": "onboarding",
                    "data": {"done": ["core_config", "analytics", "integration"]},
                }
            ),
            encoding="utf-8",
        )
    components = config / "custom_components"
    components.mkdir(exist_ok=True)
    link = components / "esim_keeper"
    if not link.is_symlink():
        link.symlink_to(ROOT / "custom_components" / "esim_keeper", target_is_directory=True)


async def start_hass(config: Path, **kwargs: Any) -> asyncio.subprocess.Process:
    """Start `hass` on ``config`` with this interpreter; kwargs go to create_subprocess_exec."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip", **kwargs
    )


async def stop_hass(proc: asyncio.subprocess.Process, grace: float = 60) -> None:
    """SIGTERM, wait up to ``grace`` seconds, then SIGKILL."""
    if proc.returncode is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(proc.wait(), grace)
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def wait_until_up(
    session: aiohttp.ClientSession,
    base: str,
    proc: asyncio.subprocess.Process,
    within: float = 300,
    who: str = "develop",
) -> None:
    """Until Home Assistant serves HTTP; SystemExit if it exits or takes over ``within`` s."""
    for _ in range(int(within * 2)):
        if proc.returncode is not None:
            raise SystemExit(f"{who}: hass exited with code {proc.returncode}")
        try:
            async with session.get(f"{base}/manifest.json") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit(f"{who}: Home Assistant did not start within {within:.0f} s")


async def onboard(
    session: aiohttp.ClientSession,
    base: str,
    username: str,
    password: str,
    name: str = "Developer",
    language: str = "en",
) -> str:
    """Create the owner through the onboarding API; return an access token."""
    async with session.post(
        f"{base}/api/onboarding/users",
        json={
            "name": name,
            "username": username,
            "password": password,
            "client_id": CLIENT_ID,
            "language": language,
        },
    ) as resp:
        resp.raise_for_status()
        code = (await resp.json())["auth_code"]
    async with session.post(
        f"{base}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": CLIENT_ID},
    ) as resp:
        resp.raise_for_status()
        return str((await resp.json())["access_token"])


async def flow_step(
    session: aiohttp.ClientSession,
    url: str,
    body: dict[str, Any],
    token: str,
    who: str = "develop",
) -> dict[str, Any]:
    """POST one config-flow step; SystemExit unless Home Assistant answers 200."""
    async with session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
        data: dict[str, Any] = await resp.json()
        if resp.status != 200:
            raise SystemExit(f"{who}: {url} answered {resp.status}: {data}")
        return data


async def long_lived_token(
    session: aiohttp.ClientSession, base: str, token: str, client_name: str = "develop"
) -> str:
    """Return a long-lived access token, made through the websocket API."""
    ws_url = base.replace("http", "ws", 1) + "/api/websocket"
    async with session.ws_connect(ws_url) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        await ws.receive_json()
        await ws.send_json(
            {
                "id": 1,
                "type": "auth/long_lived_access_token",
                "client_name": client_name,
                "lifespan": 365,
            }
        )
        return str((await ws.receive_json())["result"])


async def confirm_http_config(session: aiohttp.ClientSession, base: str, token: str) -> bool:
    """Confirm a pending HTTP server configuration (True when one was pending).

    Home Assistant moves `http:` from YAML into storage as a pending configuration and asks the
    owner, with a dialog over every page, to confirm it; unconfirmed, it reverts after 5 minutes
    to port 8123 on every interface. We always run on 127.0.0.1, so confirm it here.
    """
    ws_url = base.replace("http", "ws", 1) + "/api/websocket"
    async with session.ws_connect(ws_url) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        await ws.receive_json()
        await ws.send_json({"id": 1, "type": "http/config"})
        reply = await ws.receive_json()
        if not reply.get("success") or not (reply.get("result") or {}).get("revert_at"):
            return False
        await ws.send_json({"id": 2, "type": "http/config/promote"})
        return bool((await ws.receive_json()).get("success"))
