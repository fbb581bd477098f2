"""Make the README's dashboard screenshots from docs/dashboard.yaml, the same way every time.

Used by scripts/screenshots. It:
  1. starts a real Home Assistant (the .venv one, as scripts/develop) on 127.0.0.1 with a fresh
     configuration in .screenshots/config (git-ignored), creates the owner through onboarding and
     adds the Demo account with the three numbers of scripts/develop (Ultra, Tello, Google Voice);
  2. checks that every entity docs/dashboard.yaml names exists and has a state;
  3. creates a dashboard from docs/dashboard.yaml through the websocket API
     (lovelace/dashboards/create + lovelace/config/save);
  4. logs in with headless Chromium (only 127.0.0.1 is reachable), opens the dashboard at a fixed
     viewport, waits for every card, and saves docs/images/dashboard.png;
  5. switches the user's language and the system language (entity names) to 简体中文 and saves
     docs/images/dashboard-zh-Hans.png;
  6. always stops Home Assistant and the browser.

Runs in .venv-e2e (it has Playwright); Home Assistant itself runs in .venv.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
import re
import shutil
import sys
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from _hass_runner import onboard, prepare_config, stop_hass, wait_until_up  # noqa: E402
from develop import add_demo_account  # noqa: E402

from e2e.harness import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    HomeAssistantApi,
    free_port,
    wait_for,
)

DASHBOARD = ROOT / "docs" / "dashboard.yaml"
IMAGES = ROOT / "docs" / "images"
SCRATCH = ROOT / ".screenshots"
HASS_PYTHON = ROOT / ".venv" / "bin" / "python"  # Home Assistant 2026.10.4, as scripts/develop
URL_PATH = "esim-keeper"
VIEWPORT = {"width": 1280, "height": 900}
USERNAME = "demo"
PASSWORD = "screenshots-Passw0rd"  # a throwaway owner of a throwaway config on loopback  # noqa: S105
UI_WAIT = 30_000  # ms
MAX_BYTES = 300_000


def say(text: str) -> None:
    sys.stdout.write(f"screenshots: {text}\n")
    sys.stdout.flush()


def _entity_ids(node: Any) -> set[str]:
    """Every entity id a dashboard config names (entity:, entities:, entity_id:, calendars)."""
    found: set[str] = set()
    pattern = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("entity", "entity_id") and isinstance(value, str) and pattern.match(value):
                found.add(value)
            elif key in ("entity_id", "entities") and isinstance(value, list):
                found |= {v for v in value if isinstance(v, str) and pattern.match(v)}
            found |= _entity_ids(value)
    elif isinstance(node, list):
        for item in node:
            found |= _entity_ids(item)
    return found


def _with_entry_id(node: Any, entry_id: str) -> Any:
    """Return the dashboard with ENTRY_ID in statistic ids replaced by the Demo's entry id."""
    if isinstance(node, dict):
        return {k: _with_entry_id(v, entry_id) for k, v in node.items()}
    if isinstance(node, list):
        return [_with_entry_id(v, entry_id) for v in node]
    if isinstance(node, str):
        return node.replace("ENTRY_ID", entry_id.lower())
    return node


async def _wait_for_states(api: HomeAssistantApi, wanted: set[str]) -> None:
    """Until every ``wanted`` entity exists and is neither unavailable nor missing."""
    missing: list[str] = []

    async def ready() -> bool:
        states = {s["entity_id"]: s for s in await api.get("/api/states")}
        missing[:] = sorted(
            e for e in wanted if e not in states or states[e]["state"] == "unavailable"
        )
        return not missing

    try:
        await wait_for("the dashboard's entities", ready, within=60)
    except Exception as err:
        registry = await api.ws("config/entity_registry/list")
        ours = sorted(e["entity_id"] for e in registry if e["platform"] == "esim_keeper")
        say(f"eSIM Keeper's entities: {ours}")
        raise SystemExit(
            f"screenshots: docs/dashboard.yaml names entities that are missing or unavailable: "
            f"{missing}"
        ) from err


async def _create_dashboard(api: HomeAssistantApi, config: dict[str, Any]) -> None:
    await api.ws(
        "lovelace/dashboards/create",
        url_path=URL_PATH,
        title=config.get("title", "eSIM Keeper"),
        icon="mdi:sim",
        mode="storage",
        show_in_sidebar=True,
        require_admin=False,
    )
    await api.ws("lovelace/config/save", url_path=URL_PATH, config=config)


async def _login(page: Any, base: str) -> None:
    await page.goto(base + "/")
    await page.get_by_label("Username").fill(USERNAME)
    await page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    await page.get_by_role("button", name=re.compile("log in", re.I)).click()
    await page.wait_for_url(re.compile(r"/(lovelace|home)"), timeout=UI_WAIT)


async def _settle(page: Any, expect: list[str]) -> None:
    """Until the dashboard shows ``expect`` texts, every card is drawn and none is a warning."""
    for text in expect:
        await page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=UI_WAIT)
    # The calendar fetches its events after it is drawn; tiles animate in.
    await page.locator(
        "ha-full-calendar .fc-view-harness, ha-full-calendar .fc-list"
    ).first.wait_for(state="visible", timeout=UI_WAIT)
    with contextlib.suppress(Exception):
        await page.wait_for_load_state("networkidle", timeout=10_000)
    await page.wait_for_timeout(2500)
    warnings = page.locator("hui-warning, hui-error-card, hui-warning-element")
    count = await warnings.count()
    if count:
        texts = [await warnings.nth(i).inner_text() for i in range(count)]
        raise SystemExit(f"screenshots: the dashboard shows {count} warning(s): {texts}")


async def _shot(page: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # The viewport grows to the dashboard's height (the sidebar is as tall as the viewport), then
    # goes back; the mouse rests where it hovers nothing.
    height = await page.evaluate("document.documentElement.scrollHeight")
    await page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, 600)})
    await page.mouse.move(0, 0)
    await page.wait_for_timeout(500)
    await page.screenshot(path=str(path), caret="hide", animations="disabled")
    await page.set_viewport_size(VIEWPORT)
    _optimise(path)
    size = path.stat().st_size
    say(f"saved {path.relative_to(ROOT)} ({size // 1024} KiB)")
    if size > MAX_BYTES:
        say(f"WARNING: {path.name} is over {MAX_BYTES // 1000} KB")


def _optimise(path: Path) -> None:
    """Reduce to a 256-colour palette without dithering (Pillow, Home Assistant's own dependency).

    Flat UI colours survive, the file is a third of the size.
    """
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=0)
    small.save(path, optimize=True)


# The Demo carrier is fictional, and so is the past its screenshot shows: a year of daily balances
# (a renewal every 30 days, a top-up when the balance runs low) for the "Money over time" graph,
# imported as the recorder would have kept it. One real renewal (below) gives the spending graph
# this month's bar, from eSIM Keeper's own statistics.
DEMO_YEAR = {"sensor.ultra_balance": (10.0, 3.0), "sensor.tello_balance": (2.0, 5.0)}


async def _demo_year(api: HomeAssistantApi) -> None:
    """Import a year of the Demo's daily balances (see DEMO_YEAR)."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for statistic_id, (now_balance, cost) in DEMO_YEAR.items():
        stats, balance = [], now_balance
        for day in range(1, 366):  # walk back from today: undo renewals and top-ups
            if day % 30 == 0:
                balance += cost
            if balance > 25:
                balance -= 20
            start = today - timedelta(days=day)
            stats.append({"start": start.isoformat(), "state": round(balance, 2)})
        stats.reverse()
        # A "total" sensor's statistics keep a sum (the change since the first row) beside the
        # state, as the recorder compiles them; the graph shows the state only with a sum.
        for row in stats:
            row["sum"] = round(row["state"] - stats[0]["state"], 2)
        await api.ws(
            "recorder/import_statistics",
            metadata={
                "has_mean": False,
                "mean_type": 0,
                "has_sum": True,
                "name": None,
                "source": "recorder",
                "statistic_id": statistic_id,
                "unit_class": None,
                "unit_of_measurement": "USD",
            },
            stats=stats,
        )
    # The recorder writes imports in its own thread: wait until the graph can read them.
    for _ in range(40):
        found = await api.ws(
            "recorder/statistics_during_period",
            start_time=(today - timedelta(days=366)).isoformat(),
            statistic_ids=list(DEMO_YEAR),
            period="day",
            types=["state"],
        )
        if all(len(found.get(i, [])) >= 300 for i in DEMO_YEAR):
            break
        await asyncio.sleep(0.5)
    else:
        raise SystemExit(f"screenshots: the imported balances did not show: {found!r:.300}")
    say(f"imported a year of Demo balances for {', '.join(DEMO_YEAR)}")


async def _renew_asks_first(api: HomeAssistantApi, page: Any, button: str, balance: str) -> None:
    """Tapping "Renew now" must ask before it pays: the dialog appears, Cancel pays nothing."""
    before = (await api.state(balance) or {}).get("state")
    await page.locator("hui-button-card").filter(has_text="Renew now").first.click()
    await page.get_by_text("Renew Ultra now?", exact=False).wait_for(state="visible")
    await page.wait_for_timeout(500)
    await page.screenshot(path=str(SCRATCH / "confirmation.png"))
    await page.get_by_role("button", name="Cancel", exact=True).click()
    await page.wait_for_timeout(1000)
    after = (await api.state(balance) or {}).get("state")
    last = (await api.state(button) or {}).get("state")
    if after != before or last not in ("unknown", None):
        raise SystemExit(f"screenshots: Cancel still renewed ({balance} {before} -> {after})")
    say("Renew now asks for confirmation first; Cancel paid nothing")


async def _renew_once(api: HomeAssistantApi, balance: str) -> None:
    """Renew a Demo number once through the action (the Demo charges nobody)."""
    registry = await api.ws("config/entity_registry/list")
    device = next(e["device_id"] for e in registry if e["entity_id"] == balance)
    await api.post("/api/services/esim_keeper/renew", {"device_id": device})
    say(f"renewed the Demo number of {balance} once (the spending graph's bar)")


async def _chinese(api: HomeAssistantApi, page: Any, entry_id: str, probe_entity: str) -> None:
    """Switch the user's and the system language to Chinese, then reload the account.

    The user's language is saved as Profile > Language saves it, the system language as Settings >
    System > General does (entity names are made in it); the reload makes the names follow.
    """
    await api.ws(
        "frontend/set_user_data",
        key="language",
        value={
            "language": "zh-Hans",
            "number_format": "language",
            "time_format": "language",
            "date_format": "language",
            "time_zone": "local",
            "first_weekday": "language",
        },
    )
    await page.evaluate("localStorage.setItem('selectedLanguage', JSON.stringify('zh-Hans'))")
    await api.ws("config/core/update", language="zh-Hans")
    await api.post(f"/api/config/config_entries/entry/{entry_id}/reload", {})

    async def chinese_name() -> bool:
        state = await api.state(probe_entity)
        return "余额" in str((state or {}).get("attributes", {}).get("friendly_name", ""))

    await wait_for(f"{probe_entity}'s name to turn Chinese", chinese_name, within=60)


async def run(config: dict[str, Any], out: Path) -> None:
    shutil.rmtree(SCRATCH, ignore_errors=True)
    SCRATCH.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    hass_config = SCRATCH / "config"
    prepare_config(hass_config, port, fresh=True, name="eSIM Keeper", writer="screenshots")
    log = (SCRATCH / "hass.log").open("wb")
    say(f"starting Home Assistant on {base} (log: {(SCRATCH / 'hass.log').relative_to(ROOT)})")
    proc = await asyncio.create_subprocess_exec(
        str(HASS_PYTHON),
        "-m",
        "homeassistant",
        "--config",
        str(hass_config),
        "--skip-pip",
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
    )
    manager = None
    browser = None
    api: HomeAssistantApi | None = None
    try:
        async with aiohttp.ClientSession() as session:
            await wait_until_up(session, base, proc, who="screenshots")
            token = await onboard(session, base, USERNAME, PASSWORD, name="Demo")
            await add_demo_account(session, base, token)
            api = HomeAssistantApi(session, base, token)
            entries = await api.get("/api/config/config_entries/entry?domain=esim_keeper")
            entry_id = entries[0]["entry_id"]
            config = _with_entry_id(config, entry_id)
            wanted = _entity_ids(config)
            await _wait_for_states(api, wanted)
            say(f"all {len(wanted)} entities of docs/dashboard.yaml have a state")
            # Home Assistant moves `http:` from YAML into storage as a pending configuration and
            # asks the owner (a dialog over every page) to confirm it: confirm it here instead.
            if (await api.ws("http/config")).get("revert_at"):
                await api.ws("http/config/promote")
            await _demo_year(api)
            await _renew_once(api, "sensor.ultra_balance")
            await _create_dashboard(api, config)

            from playwright.async_api import async_playwright

            manager = async_playwright()
            playwright = await manager.start()
            browser = await playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            context = await browser.new_context(
                viewport=VIEWPORT,
                device_scale_factor=1,
                locale="en-US",
                timezone_id="Asia/Shanghai",
            )
            outside: list[str] = []

            async def guard(route: Any) -> None:
                url: str = route.request.url
                if re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]", url) or url.startswith(
                    ("data:", "blob:")
                ):
                    await route.continue_()
                else:
                    outside.append(url)
                    await route.abort()

            await context.route("**/*", guard)
            # The sidebar collapsed to its icons (as its ≡ button does): room for three columns.
            await context.add_init_script(
                "localStorage.setItem('dockedSidebar', JSON.stringify('auto'))"
            )
            page = await context.new_page()
            page.set_default_timeout(UI_WAIT)
            await _login(page, base)
            view = config["views"][0].get("path", "0")
            await page.goto(f"{base}/{URL_PATH}/{view}")
            await _settle(page, ["Ultra", "Tello", "Google Voice", "Balance"])
            await _shot(page, out / "dashboard.png")
            await _renew_asks_first(api, page, "button.ultra_renew_now", "sensor.ultra_balance")

            balance = sorted(e for e in wanted if e.endswith("_balance"))[0]
            await _chinese(api, page, entry_id, balance)
            for attempt in range(3):  # the frontend may reload itself after the language change
                try:
                    await page.goto(f"{base}/{URL_PATH}/{view}")
                    break
                except Exception:
                    if attempt == 2:
                        raise
                    await page.wait_for_load_state()
            await _settle(page, ["余额", "立即续费"])
            await _shot(page, out / "dashboard-zh-Hans.png")
            if outside:
                say(f"blocked {len(outside)} request(s) to other hosts: {outside[:5]}")
    finally:
        if api is not None:
            with contextlib.suppress(Exception):
                await api.close()
        with contextlib.suppress(Exception):
            if browser is not None:
                await browser.close()
        with contextlib.suppress(Exception):
            if manager is not None:
                await manager.__aexit__(None, None, None)
        await stop_hass(proc, grace=30)
        log.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="where the PNGs go")
    args = parser.parse_args()
    config = yaml.safe_load(DASHBOARD.read_text(encoding="utf-8"))
    asyncio.run(run(config, args.out.resolve()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
