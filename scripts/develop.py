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

from _hass_runner import (
    ROOT,
    confirm_http_config,
    flow_step,
    long_lived_token,
    onboard,
    prepare_config,
    start_hass,
    stop_hass,
    wait_until_up,
)
import aiohttp

USERNAME = "dev"
DEMO_NUMBERS = (
    {"line_id": "demo-1", "name": "Ultra", "carrier": "ultra_paygo"},
    {"line_id": "demo-2", "name": "Tello", "carrier": "tello"},
    {"line_id": "demo-3", "name": "Google Voice", "carrier": "google_voice"},
)


async def add_demo_account(session: aiohttp.ClientSession, base: str, token: str) -> None:
    """Add the Demo account and three numbers through the flows the UI uses."""
    flows = f"{base}/api/config/config_entries/flow"
    result = await flow_step(session, flows, {"handler": "esim_keeper"}, token)
    flow = f"{flows}/{result['flow_id']}"
    await flow_step(session, flow, {"next_step_id": "demo"}, token)
    result = await flow_step(session, flow, {}, token)
    if result.get("type") == "menu":  # keep every line the carrier lists, or pick: pick
        await flow_step(session, flow, {"next_step_id": "number"}, token)
    first, *others = DEMO_NUMBERS
    result = await flow_step(session, flow, {**first, "plan": {}}, token)
    entry_id = result["result"]["entry_id"]
    subflows = f"{base}/api/config/config_entries/subentries/flow"
    for number in others:
        result = await flow_step(session, subflows, {"handler": [entry_id, "number"]}, token)
        await flow_step(session, f"{subflows}/{result['flow_id']}", {**number, "plan": {}}, token)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8123)
    parser.add_argument("--config", type=Path, default=ROOT / ".develop" / "config")
    parser.add_argument("--reset", action="store_true", help="start from an empty config")
    args = parser.parse_args()
    config: Path = args.config
    if args.reset:
        import shutil

        shutil.rmtree(config, ignore_errors=True)
        (config.parent / "login.json").unlink(missing_ok=True)  # the new config needs a new owner
    creds = config.parent / "login.json"
    fresh = not creds.exists()
    prepare_config(config, args.port, fresh=fresh)
    proc = await start_hass(config)
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
                token = await onboard(session, base, USERNAME, password)
                await add_demo_account(session, base, token)
                api_token = await long_lived_token(session, base, token)
                creds.write_text(
                    json.dumps({"username": USERNAME, "password": password, "token": api_token}),
                    encoding="utf-8",
                )
                creds.chmod(0o600)
            login = json.loads(creds.read_text(encoding="utf-8"))
            await confirm_http_config(session, base, login["token"])
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
        await stop_hass(proc)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
