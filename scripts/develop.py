"""Run a real Home Assistant with eSIM Keeper and a Demo account, ready to look at.

Used by scripts/develop. It:
  1. writes a configuration into .develop/config (git-ignored), linking our custom_components in;
  2. starts `hass` on 127.0.0.1 only;
  3. on a fresh config, creates the owner through Home Assistant's own onboarding API (the login is
     printed and saved in .develop/login.json; the other onboarding steps are marked done), and
     adds a Demo account with three numbers through the config-flow and "Add number" APIs the UI
     uses;
  4. prints the URL, the login and a long-lived access token for curl, and waits; Ctrl-C stops hass.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
import secrets
import signal
import sys
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
CLIENT_ID = "http://127.0.0.1/"  # onboarding wants an IndieAuth client id; any URL works locally
USERNAME = "dev"
CONFIGURATION = """\
# Written by scripts/develop. Minimal on purpose: the UI, the API, Assist and our integration.
homeassistant:
  name: eSIM Keeper dev
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
api:
conversation:
logger:
  default: warning
  logs:
    custom_components.esim_keeper: debug
    homeassistant.setup: info
"""
DEMO_NUMBERS = (
    {"line_id": "demo-1", "name": "Ultra", "carrier": "ultra_paygo"},
    {"line_id": "demo-2", "name": "Tello", "carrier": "tello"},
    {"line_id": "demo-3", "name": "Google Voice", "carrier": "google_voice"},
)


def prepare_config(config: Path, port: int) -> bool:
    """Create the config dir; True when it is new (needs onboarding)."""
    fresh = not (config.parent / "login.json").exists()
    config.mkdir(parents=True, exist_ok=True)
    (config / "configuration.yaml").write_text(CONFIGURATION.format(port=port), encoding="utf-8")
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
    return fresh


async def wait_until_up(session: aiohttp.ClientSession, base: str, proc: Any) -> None:
    for _ in range(600):
        if proc.returncode is not None:
            raise SystemExit(f"develop: hass exited with code {proc.returncode}")
        try:
            async with session.get(f"{base}/manifest.json") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.5)
    raise SystemExit("develop: Home Assistant did not start within 5 minutes")


async def onboard(session: aiohttp.ClientSession, base: str, password: str) -> str:
    """Create the owner through the onboarding API; return an access token."""
    async with session.post(
        f"{base}/api/onboarding/users",
        json={
            "name": "Developer",
            "username": USERNAME,
            "password": password,
            "client_id": CLIENT_ID,
            "language": "en",
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
    session: aiohttp.ClientSession, url: str, body: dict[str, Any], token: str
) -> dict[str, Any]:
    async with session.post(url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
        data: dict[str, Any] = await resp.json()
        if resp.status != 200:
            raise SystemExit(f"develop: {url} answered {resp.status}: {data}")
        return data


async def add_demo_account(session: aiohttp.ClientSession, base: str, token: str) -> None:
    """Add the Demo account and three numbers through the flows the UI uses."""
    flows = f"{base}/api/config/config_entries/flow"
    result = await flow_step(session, flows, {"handler": "esim_keeper"}, token)
    flow = f"{flows}/{result['flow_id']}"
    await flow_step(session, flow, {"next_step_id": "demo"}, token)
    await flow_step(session, flow, {}, token)
    first, *others = DEMO_NUMBERS
    result = await flow_step(session, flow, {**first, "plan": {}}, token)
    entry_id = result["result"]["entry_id"]
    subflows = f"{base}/api/config/config_entries/subentries/flow"
    for number in others:
        result = await flow_step(session, subflows, {"handler": [entry_id, "number"]}, token)
        await flow_step(session, f"{subflows}/{result['flow_id']}", {**number, "plan": {}}, token)


async def long_lived_token(session: aiohttp.ClientSession, base: str, token: str) -> str:
    ws_url = base.replace("http", "ws", 1) + "/api/websocket"
    async with session.ws_connect(ws_url) as ws:
        await ws.receive_json()
        await ws.send_json({"type": "auth", "access_token": token})
        await ws.receive_json()
        await ws.send_json(
            {
                "id": 1,
                "type": "auth/long_lived_access_token",
                "client_name": "develop",
                "lifespan": 365,
            }
        )
        return str((await ws.receive_json())["result"])


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--config", type=Path, default=ROOT / ".develop" / "config")
    parser.add_argument("--reset", action="store_true", help="start from an empty config")
    args = parser.parse_args()
    config: Path = args.config
    if args.reset and config.exists():
        import shutil

        shutil.rmtree(config)
    fresh = prepare_config(config, args.port)
    creds = config.parent / "login.json"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "homeassistant", "--config", str(config), "--skip-pip"
    )
    base = f"http://127.0.0.1:{args.port}"
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, base, proc)
            if fresh:
                password = secrets.token_urlsafe(12)
                token = await onboard(session, base, password)
                await add_demo_account(session, base, token)
                api_token = await long_lived_token(session, base, token)
                creds.write_text(
                    json.dumps({"username": USERNAME, "password": password, "token": api_token}),
                    encoding="utf-8",
                )
                creds.chmod(0o600)
            login = json.loads(creds.read_text(encoding="utf-8"))
        print(
            f"\n  Home Assistant with eSIM Keeper: {base}\n"
            f"  login: {login['username']} / {login['password']}\n"
            f"  REST:  curl -s -H 'Authorization: Bearer {login['token']}' {base}/api/states\n"
            f"  (saved in {creds}; Ctrl-C stops)\n",
            flush=True,
        )
        waiter = asyncio.ensure_future(proc.wait())
        await asyncio.wait(
            {waiter, asyncio.ensure_future(stop.wait())}, return_when="FIRST_COMPLETED"
        )
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
