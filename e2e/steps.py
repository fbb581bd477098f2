"""The steps, in order.

Each returns a short detail for the report or raises (StepFailedError or a Playwright timeout) with
what it did not see. Names are what the report and the exit message use.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
import re
from typing import Any
from urllib.parse import urlencode

from .harness import (
    PASSWORD,
    USERNAME,
    Context,
    StepFailedError,
    start_home_assistant,
    start_simulator,
    wait_for,
)

BRIDGE_TOKEN = "sim-bridge-token"  # noqa: S105 - the simulator's documented default
LINE_ID = "line-1"
NUMBER_NAME = "Ultra"
RENEWAL_COST = "3.00"
UI_WAIT = 30_000  # ms: the longest a page may take to show a text


async def _entity_ids(ctx: Context) -> dict[str, str]:
    """translation_key -> entity_id for the number's entities (entity registry)."""
    device_id = ctx.facts["device_id"]
    entries = await ctx.ha.ws("config/entity_registry/list")
    return {
        e["translation_key"] or e["unique_id"]: e["entity_id"]
        for e in entries
        if e["device_id"] == device_id
    }


async def _text_visible(ctx: Context, text: str, wait_ms: int = UI_WAIT) -> None:
    await ctx.page.get_by_text(text, exact=False).first.wait_for(state="visible", timeout=wait_ms)


def _field(ctx: Context, label: str) -> Any:
    """Return the text input a form labels ``label`` (HA marks required ones with a trailing *)."""
    return ctx.page.get_by_role("textbox", name=re.compile(rf"^{re.escape(label)}\*?$")).first


# --- infrastructure ------------------------------------------------------------------------------


async def step_simulator(ctx: Context) -> str:
    await start_simulator(ctx)
    return f"on {ctx.sim}"


async def step_hass(ctx: Context) -> str:
    await start_home_assistant(ctx)
    return f"Home Assistant {ctx.ha_version} on {ctx.base}, owner created via onboarding API"


async def step_browser(ctx: Context) -> str:
    """Nothing but Chromium is started here; the playwright objects live in ctx.facts."""
    from playwright.async_api import async_playwright

    from .harness import CHROMIUM, CHROMIUM_ARGS

    manager = async_playwright()
    playwright = await manager.start()
    ctx.facts["_playwright"] = manager
    profile = ctx.artifacts / "chromium-profile"
    context = await playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1400, "height": 900},
        locale="en-US",
        timezone_id="Asia/Shanghai",
    )
    ctx.facts["_context"] = context

    # Only loopback: any request elsewhere is refused and remembered (the report names it).
    outside: list[str] = []
    ctx.facts["outside_requests"] = outside

    async def guard(route: Any) -> None:
        url: str = route.request.url
        local = re.match(r"^(https?|wss?)://127\.0\.0\.1[:/]", url)
        if local or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            outside.append(url)
            await route.abort()

    await context.route("**/*", guard)
    ctx.page = context.pages[0] if context.pages else await context.new_page()
    ctx.page.set_default_timeout(UI_WAIT)
    version = context.browser.version if context.browser else "?"
    return f"Chromium {version} (headless, {CHROMIUM})"


# --- the early steps -----------------------------------------------------------------------------


async def step_login(ctx: Context) -> str:
    page = ctx.page
    await page.goto(ctx.base + "/")
    await page.get_by_label("Username").fill(USERNAME)
    await page.get_by_label("Password", exact=False).first.fill(PASSWORD)
    await ctx.shot("login-form")
    await page.get_by_role("button", name=re.compile("log in", re.I)).click()
    await page.wait_for_url(re.compile(r"/(lovelace|home)"), timeout=UI_WAIT)
    # HA 2026.11 moves `http:` from YAML into storage as a "pending" config that reverts (to port
    # 8123 on every interface) in 5 minutes unless the owner confirms it: the owner does, here.
    if (await ctx.ha.ws("http/config")).get("revert_at"):
        await _text_visible(ctx, "Confirm new HTTP server configuration")
        await ctx.shot("http-config-confirm")
        await page.get_by_role("button", name="Confirm", exact=True).click()
        await wait_for(
            "the HTTP configuration to be confirmed (no revert scheduled)",
            _http_confirmed(ctx),
            within=15,
        )
    await page.get_by_role("link", name="Settings").first.wait_for(state="visible")
    await ctx.shot("logged-in")
    return f"logged in as {USERNAME}; landed on {page.url.removeprefix(ctx.base)}"


def _http_confirmed(ctx: Context) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        config = await ctx.ha.ws("http/config")
        return not config.get("revert_at") and not config.get("pending")

    return probe


async def step_add_account(ctx: Context) -> str:
    """Add an account and a number.

    Settings > Devices & services > Add integration > eSIM Keeper.
    """
    page = ctx.page
    await page.goto(ctx.base + "/config/integrations/dashboard")
    await _text_visible(ctx, "Add integration")
    await page.get_by_role("button", name=re.compile("add integration", re.I)).click()
    await _text_visible(ctx, "Select brand")
    await page.get_by_placeholder(re.compile("search for a brand", re.I)).fill("eSIM Keeper")
    await page.get_by_text("eSIM Keeper", exact=True).last.click()
    await _text_visible(ctx, "Add an account")
    await ctx.shot("flow-account-kind")
    await page.get_by_text("HTTP bridge", exact=True).click()
    await _field(ctx, "Bridge address").fill(ctx.sim)
    await _field(ctx, "Access token").fill(BRIDGE_TOKEN)
    await ctx.shot("flow-bridge-credentials")
    await page.get_by_role("button", name=re.compile("^(submit|next)$", re.I)).click()
    # API accounts ask first: keep every line the carrier lists, or pick them one by one.
    await _text_visible(ctx, "Which numbers to keep")
    await ctx.shot("flow-lines-choice")
    await page.get_by_text("Pick lines one by one", exact=True).click()
    await _text_visible(ctx, "Add the first number")
    await _field(ctx, "Name").fill(NUMBER_NAME)
    # The bridge's carrier is "Other carrier", whose preset has no price: open "Plan", set one.
    await page.get_by_text("Plan", exact=True).click()
    await _field(ctx, "Renewal cost").fill(RENEWAL_COST)
    await ctx.shot("flow-first-number")
    await page.get_by_role("button", name=re.compile("^(submit|next)$", re.I)).click()
    await _text_visible(ctx, "Name and assign")
    await _text_visible(ctx, "Device name")
    await ctx.shot("flow-created")
    await page.get_by_role("button", name=re.compile("^(skip and )?finish$", re.I)).click()

    entries = await ctx.ha.get("/api/config/config_entries/entry?domain=esim_keeper")
    if len(entries) != 1:
        raise StepFailedError(f"expected one eSIM Keeper config entry, found {len(entries)}")
    ctx.facts["entry_id"] = entries[0]["entry_id"]
    devices = await ctx.ha.ws("config/device_registry/list")
    mine = [
        d
        for d in devices
        if ctx.facts["entry_id"] in d["config_entries"] and d["name"] == NUMBER_NAME
    ]
    if len(mine) != 1:
        raise StepFailedError(f"expected one device named {NUMBER_NAME!r}, found {len(mine)}")
    ctx.facts["device_id"] = mine[0]["id"]
    ctx.facts["device_name"] = mine[0]["name_by_user"] or mine[0]["name"]
    return f"entry {entries[0]['title']!r}, device {ctx.facts['device_name']!r}"


async def step_device_page(ctx: Context) -> str:
    page = ctx.page
    ids = await _entity_ids(ctx)
    balance_id = ids.get("balance")
    if balance_id is None:
        raise StepFailedError(f"no balance sensor among the number's entities: {sorted(ids)}")
    ctx.facts["entities"] = ids

    async def balance_known() -> dict[str, Any] | None:
        state = await ctx.ha.state(balance_id)
        return state if state and state["state"] not in ("unknown", "unavailable") else None

    state = await wait_for(f"{balance_id} to have a value", balance_known)
    await page.goto(f"{ctx.base}/config/devices/device/{ctx.facts['device_id']}")
    await _text_visible(ctx, ctx.facts["device_name"])
    seen = []
    for label in ("Balance", "Status", "Plan expiry"):
        await _text_visible(ctx, label)
        seen.append(label)
    await ctx.shot("device-page")
    return f"{len(ids)} entities; saw {', '.join(seen)}; {balance_id} = {state['state']}"


async def step_assist(ctx: Context) -> str:
    """Expose the balance to Assist (the toggle in the entity's Voice assistants settings).

    Then ask through POST /api/conversation/process.
    """
    balance_id = ctx.facts["entities"]["balance"]
    await ctx.ha.ws(
        "homeassistant/expose_entity",
        assistants=["conversation"],
        entity_ids=[balance_id],
        should_expose=True,
    )
    state = await ctx.ha.state(balance_id)
    assert state is not None
    friendly = state["attributes"]["friendly_name"]
    question = f"what is the {friendly}"
    answer = await ctx.ha.post("/api/conversation/process", {"text": question, "language": "en"})
    response = answer.get("response", {})
    speech = response.get("speech", {}).get("plain", {}).get("speech", "")
    if response.get("response_type") != "query_answer":
        raise StepFailedError(f"Assist did not answer {question!r}: {response}")
    amount = Decimal(state["state"])
    if f"{amount:.2f}".rstrip("0").rstrip(".") not in speech and state["state"] not in speech:
        raise StepFailedError(f"Assist's answer {speech!r} does not contain the balance {amount}")
    return f"asked {question!r}; Assist said {speech!r}"


# --- the later steps -----------------------------------------------------------------------------


async def _number_state(ctx: Context, key: str) -> str:
    state = await ctx.ha.state(ctx.facts["entities"][key])
    if state is None:
        raise StepFailedError(f"{ctx.facts['entities'][key]} has no state")
    return str(state["state"])


async def step_renew(ctx: Context) -> str:
    """Add a dashboard with the number's card; press "Renew now" there.

    The renewal must be verified (the engine reads the line again) and the card must show the
    carrier's new balance and the later expiry.
    """
    ids = ctx.facts["entities"]
    if "renew" not in ids:
        raise StepFailedError(
            'missing feature: the number has no "Renew now" button entity '
            f"(translation_key 'renew'); its entities: {sorted(ids)}"
        )
    page = ctx.page
    await ctx.ha.ws(
        "lovelace/dashboards/create",
        url_path="esim-keeper",
        title="eSIM Keeper",
        icon="mdi:sim",
        mode="storage",
        show_in_sidebar=True,
        require_admin=False,
    )
    rows = [k for k in ("balance", "plan_expiry", "funded_until", "status", "renew") if k in ids]
    await ctx.ha.ws(
        "lovelace/config/save",
        url_path="esim-keeper",
        config={
            "title": "eSIM Keeper",
            "views": [
                {
                    "title": "Numbers",
                    "path": "numbers",
                    "cards": [
                        {
                            "type": "entities",
                            "title": NUMBER_NAME,
                            "entities": [ids[k] for k in rows],
                        }
                    ],
                }
            ],
        },
    )
    before_balance = Decimal(await _number_state(ctx, "balance"))
    before_expiry = datetime.fromisoformat(await _number_state(ctx, "plan_expiry"))
    sim_before = (await _sim_line(ctx))["balance"]
    events = await ctx.ha.subscribe("esim_keeper_renewal")

    await page.goto(f"{ctx.base}/esim-keeper/numbers")
    await _text_visible(ctx, "Renew now")
    await _text_visible(ctx, f"{before_balance:.2f}")
    await ctx.shot("dashboard-before-renew")
    row = page.locator("hui-button-entity-row").filter(has_text="Renew now")
    await row.get_by_role("button", name=re.compile("press", re.I)).click()

    outcomes: list[str] = []

    async def verified() -> bool:
        while not events.empty():
            data = events.get_nowait()["data"]
            outcomes.append(str(data.get("outcome")))
            if data.get("outcome") in ("failed", "unknown", "unverified"):
                raise StepFailedError(f"the renewal ended {data.get('outcome')}: {data}")
        return "verified" in outcomes

    await wait_for("the renewal to be verified (esim_keeper_renewal event)", verified, within=90)
    sim_after = (await _sim_line(ctx))["balance"]
    after_expiry = datetime.fromisoformat(await _number_state(ctx, "plan_expiry"))
    after_balance = Decimal(await _number_state(ctx, "balance"))
    if Decimal(sim_after) != after_balance:
        raise StepFailedError(f"HA shows balance {after_balance}, the carrier {sim_after}")
    if after_expiry <= before_expiry:
        raise StepFailedError(f"the plan expiry did not move: {before_expiry} -> {after_expiry}")
    await _text_visible(ctx, f"{after_balance:.2f}")
    await ctx.shot("dashboard-after-renew")
    change = "rose" if after_balance > before_balance else "fell"
    return (
        f"events {outcomes}; balance {before_balance} -> {after_balance} ({change}; carrier "
        f"{sim_before} -> {sim_after}); plan expiry {before_expiry:%Y-%m-%d} -> "
        f"{after_expiry:%Y-%m-%d}"
    )


async def _sim_line(ctx: Context) -> dict[str, Any]:
    async with ctx.session.get(f"{ctx.sim}/_sim/state") as resp:
        lines: dict[str, dict[str, Any]] = (await resp.json())["lines"]
    return lines[LINE_ID]


async def step_calendar(ctx: Context) -> str:
    entries = await ctx.ha.ws("config/entity_registry/list")
    calendars = [
        e["entity_id"]
        for e in entries
        if e["config_entry_id"] == ctx.facts["entry_id"] and e["entity_id"].startswith("calendar.")
    ]
    if not calendars:
        raise StepFailedError("missing feature: the account has no calendar entity")
    calendar_id = calendars[0]
    page = ctx.page
    start = datetime.now(UTC)
    end = start + timedelta(days=400)
    query = urlencode({"start": start.isoformat(), "end": end.isoformat()})
    events = await ctx.ha.get(f"/api/calendars/{calendar_id}?{query}")
    if not events:
        raise StepFailedError(f"{calendar_id} lists no event in the next 400 days")
    first = events[0]
    when = datetime.fromisoformat(first["start"].get("dateTime") or first["start"]["date"])
    await page.goto(f"{ctx.base}/calendar")
    calendar_name = (
        (await ctx.ha.state(calendar_id) or {})
        .get("attributes", {})
        .get("friendly_name", calendar_id)
    )
    await _text_visible(ctx, calendar_name)
    # Month view opens on this month: step forward to the event's month.
    now = datetime.now()  # noqa: DTZ005 - the browser's month, same zone as the machine
    months = (when.year - now.year) * 12 + when.month - now.month
    for _ in range(max(0, months)):
        await page.get_by_role("button", name=re.compile("^next", re.I)).first.click()
    await _text_visible(ctx, first["summary"])
    await ctx.shot("calendar")
    return f"{len(events)} events; first {first['summary']!r} on {when.date()}"


async def step_chinese(ctx: Context) -> str:
    """Profile > Language > 简体中文, then the number's device page and the Add number flow."""
    page = ctx.page
    await page.get_by_role("link", name=re.compile("E2E Owner")).click()
    await page.get_by_role("link", name=re.compile("^Localization")).click()
    await _text_visible(ctx, "Language")
    await ctx.shot("profile-localization")
    await page.get_by_role("button", name=re.compile("^Language ")).click()
    try:
        dialog = page.get_by_role("dialog", name="Language")
        await dialog.get_by_placeholder("Search").fill("Chinese")
        await dialog.get_by_role("option", name=re.compile("简体中文")).first.click(timeout=5000)
    except Exception:
        (ctx.artifacts / "profile-localization.aria.txt").write_text(
            await page.locator("body").aria_snapshot(), encoding="utf-8"
        )
        raise
    await _text_visible(ctx, "语言")
    await ctx.shot("profile-zh-Hans")

    # Flow texts follow the user's language.
    await page.goto(f"{ctx.base}/config/integrations/integration/esim_keeper")
    await page.get_by_role("button", name="添加号码").first.click()
    await _text_visible(ctx, "选择此账户下另一个要保号的号码")
    # The carrier field's help, in the glossary's words (docs/glossary.md: 保号使用间隔).
    await _text_visible(ctx, "默认采用该运营商的续费金额、宽限期和保号使用间隔")
    await ctx.shot("add-number-flow-zh-Hans")
    await page.keyboard.press("Escape")

    # Entity names are made by the server in *its* language (Settings > System > General):
    # a user who switches only their own language still sees English names. Switch it too, as
    # the General page does, and wait for the names to follow.
    # Names are computed when entities are added: reload the account (its ⋮ > Reload) after.
    await ctx.ha.ws("config/core/update", language="zh-Hans")
    await ctx.ha.post(f"/api/config/config_entries/entry/{ctx.facts['entry_id']}/reload", {})
    balance_id = ctx.facts["entities"]["balance"]

    async def chinese_name() -> str | None:
        state = await ctx.ha.state(balance_id)
        name = str((state or {}).get("attributes", {}).get("friendly_name", ""))
        return name if "余额" in name else None

    name = await wait_for(
        f"{balance_id}'s name to turn Chinese after the server language became zh-Hans",
        chinese_name,
        within=30,
    )
    url = f"{ctx.base}/config/devices/device/{ctx.facts['device_id']}"
    # The frontend reloads itself once after the language change, sometimes after we navigated:
    # it then lands on the page it was on. Go to the device page until it stays there.
    for attempt in range(4):
        try:
            await page.goto(url)
            await page.wait_for_timeout(1000)
            await page.wait_for_load_state()
            if page.url.rstrip("/").endswith(ctx.facts["device_id"]):
                await _text_visible(ctx, "余额", wait_ms=5000)
                break
        except Exception:
            if attempt == 3:
                raise
    else:
        raise AssertionError(f"the device page did not stay open (at {page.url})")
    # The device's model is written in the server's language when the account loads (Home
    # Assistant translates no model); its model_id stays the stable provider kind.
    devices = await ctx.ha.ws("config/device_registry/list")
    device = next(d for d in devices if d["id"] == ctx.facts["device_id"])
    if (device["model"], device["model_id"]) != ("HTTP 桥接", "http_bridge"):
        raise AssertionError(f"device model {device['model']!r} / {device['model_id']!r}")
    expected = ["余额", "状态", "套餐到期日", "保号截止日", "HTTP 桥接"]
    if "renew" in ctx.facts["entities"]:
        expected.append("立即续费")
    for text in expected:
        await _text_visible(ctx, text)
    # The status reads in the glossary's terms, never the old wordings.
    if "status" in ctx.facts["entities"]:
        words = ("正常", "待续费", "即将到期", "宽限期中", "已停机", "号码已被回收")
        pattern = re.compile("|".join(words))
        try:  # states render after the names: wait for one
            await ctx.page.get_by_text(pattern).first.wait_for(state="visible", timeout=UI_WAIT)
        except Exception as err:
            raise AssertionError(f"no status word of the glossary on the page {words}") from err
    body = await ctx.page.locator("body").inner_text()
    for old in ("HTTP bridge", "即将续费", "号码已失去", "未核实", "银行卡", "Other carrier"):
        if old in body:
            raise AssertionError(f"the Chinese device page still shows {old!r}")
    await ctx.shot("device-page-zh-Hans")
    shown = ", ".join(expected)
    return f"Add number flow (添加号码) in Chinese; {name!r}; device page shows {shown}"


MANUAL_NUMBER = "+12025550166"
MANUAL_NAME = "Ultra texts"


async def _flow(ctx: Context, flow_id: str, body: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = await ctx.ha.post(f"/api/config/config_entries/flow/{flow_id}", body)
    return result


async def step_carrier_text(ctx: Context) -> str:
    """Send a hand-kept number (Manual account.

    Added through the flow API) a carrier text through esim_keeper.ingest_message (REST), and its
    device page shows the new balance.
    """
    today = datetime.now(UTC).date()
    flow = await ctx.ha.post("/api/config/config_entries/flow", {"handler": "esim_keeper"})
    flow = await _flow(ctx, flow["flow_id"], {"next_step_id": "manual"})
    if flow.get("step_id") == "manual":
        flow = await _flow(ctx, flow["flow_id"], {})
    flow = await _flow(
        ctx,
        flow["flow_id"],
        {
            "number": MANUAL_NUMBER,
            "name": MANUAL_NAME,
            "carrier": "ultra_paygo",
            "balance": "10.00",
            "plan_expiry": (today + timedelta(days=10)).isoformat(),
            "carrier_autopay": False,
            "plan": {},
        },
    )
    if flow.get("type") != "create_entry":
        raise StepFailedError(f"the Manual account flow ended with {flow.get('type')}: {flow}")
    devices = await ctx.ha.ws("config/device_registry/list")
    device = next((d for d in devices if d["name"] == MANUAL_NAME), None)
    if device is None:
        raise StepFailedError(f"no device named {MANUAL_NAME!r}")
    await ctx.page.goto(f"{ctx.base}/config/devices/device/{device['id']}")
    await _text_visible(ctx, "10.00")
    expiry = (today + timedelta(days=40)).strftime("%m/%d/%Y")
    text = f"Ultra Mobile: Your PayGo balance is $4.25. Your plan expires on {expiry}."
    response = await ctx.ha.post(
        "/api/services/esim_keeper/ingest_message?return_response",
        {"text": text, "sender": "6700"},
    )
    changed = response.get("service_response", {}).get("changed")
    if changed != ["balance", "plan_expiry"]:
        raise StepFailedError(f"ingest_message changed {changed}: {response}")
    await _text_visible(ctx, "4.25")
    entries = await ctx.ha.ws("config/entity_registry/list")
    expiry_id = next(
        e["entity_id"]
        for e in entries
        if e["device_id"] == device["id"] and e["translation_key"] == "plan_expiry"
    )
    expiry_state = (await ctx.ha.state(expiry_id) or {}).get("state", "")
    wanted = (today + timedelta(days=40)).isoformat()
    if not expiry_state.startswith(wanted):
        raise StepFailedError(f"{expiry_id} is {expiry_state!r}, the text said {wanted}")
    await ctx.shot("device-page-after-carrier-text")
    return (
        f"{MANUAL_NAME}: 10.00 -> 4.25 on the device page, plan expiry {wanted}; "
        f"changed {', '.join(changed)}"
    )


POOL_LINES = 20


async def _sim_reset(ctx: Context, lines: int) -> None:
    """Reset the simulator to ``lines`` lines (the same seed as at start: line-1 stays the same)."""
    async with ctx.session.post(f"{ctx.sim}/_sim/reset", json={"lines": lines, "seed": 7}) as resp:
        if resp.status != 200:
            raise StepFailedError(f"the simulator refused a reset to {lines} lines: {resp.status}")


async def _numbers(ctx: Context) -> dict[str, str]:
    """Subentry id -> title of the account's numbers."""
    entry_id = ctx.facts["entry_id"]
    subentries = await ctx.ha.ws("config_entries/subentries/list", entry_id=entry_id)
    return {s["subentry_id"]: s["title"] for s in subentries if s["subentry_type"] == "number"}


async def step_keep_all(ctx: Context) -> str:
    """Keep every line of 20 the bridge lists; the account's options say "keep every line".

    All 20 become numbers with devices and a balance. Then the carrier drops one: its repair shows
    in Settings > Repairs, with the fix flow's choices.
    """
    page = ctx.page
    await _sim_reset(ctx, POOL_LINES)
    entry_id = ctx.facts["entry_id"]
    flow = await ctx.ha.post("/api/config/config_entries/options/flow", {"handler": entry_id})
    if flow.get("step_id") != "init":
        raise StepFailedError(f"the account's options did not open: {flow}")
    result = await ctx.ha.post(
        f"/api/config/config_entries/options/flow/{flow['flow_id']}",
        {"scan_interval": 60, "warn_days": 7, "keep_all": "keep_all", "new_numbers": {}},
    )
    if result.get("type") != "create_entry":
        raise StepFailedError(f"the options were not saved: {result}")

    async def all_kept() -> dict[str, str] | None:
        numbers = await _numbers(ctx)
        return numbers if len(numbers) == POOL_LINES else None

    numbers = await wait_for(f"all {POOL_LINES} lines to become numbers", all_kept, within=60)

    async def all_shown() -> int | None:
        entries = await ctx.ha.ws("config/entity_registry/list")
        balances = [
            e["entity_id"]
            for e in entries
            if e["config_entry_id"] == entry_id and e["translation_key"] == "balance"
        ]
        states = [await ctx.ha.state(b) for b in balances]
        shown = [s for s in states if s and s["state"] not in ("unknown", "unavailable")]
        return len(shown) if len(shown) == POOL_LINES else None

    await wait_for(f"{POOL_LINES} balances to have a value", all_shown, within=60)
    # Line 20's name: the simulator names some lines by their number, which is never used as a
    # name (the preset and last four digits are).
    subentries = await ctx.ha.ws("config_entries/subentries/list", entry_id=entry_id)
    line20 = next(s["title"] for s in subentries if s.get("unique_id") == "+12015550119")
    await page.goto(f"{ctx.base}/config/integrations/integration/esim_keeper")
    await _text_visible(ctx, line20)
    await ctx.shot("keep-all-20-numbers")

    # The carrier stops listing line-20: on the next poll (a reload polls at once) a repair asks.
    await _sim_reset(ctx, POOL_LINES - 1)
    await ctx.ha.post(f"/api/config/config_entries/entry/{entry_id}/reload", {})

    async def gone_issue() -> dict[str, Any] | None:
        issues = (await ctx.ha.ws("repairs/list_issues"))["issues"]
        return next(
            (
                i
                for i in issues
                if i["domain"] == "esim_keeper" and i["issue_id"].startswith("line_gone_")
            ),
            None,
        )

    issue = await wait_for("the repair of the line the carrier dropped", gone_issue, within=60)
    await page.goto(f"{ctx.base}/config/repairs")
    await _text_visible(ctx, f"The carrier no longer lists {line20}")
    await page.get_by_text(f"The carrier no longer lists {line20}").first.click()
    await _text_visible(ctx, "Remove the number")
    await _text_visible(ctx, "Keep it: the carrier is wrong")
    await ctx.shot("line-gone-repair")
    await page.keyboard.press("Escape")
    # A 21st line for the later steps' "Add number" flow (every listed line is kept by now).
    await _sim_reset(ctx, POOL_LINES + 1)
    return (
        f"{len(numbers)} numbers kept ({sorted(numbers.values())[:3]}…); after line-20 went, "
        f"repair {issue['issue_id'][:18]}… shows with Remove / Keep"
    )


@dataclass(frozen=True)
class Step:
    name: str
    run: Callable[[Context], Awaitable[str | None]]
    needs: tuple[str, ...] = ()


STEPS: tuple[Step, ...] = (
    Step("start carrier simulator", step_simulator),
    Step("start Home Assistant", step_hass),
    Step("start Chromium", step_browser),
    Step("log in", step_login, ("start Home Assistant", "start Chromium")),
    Step("add bridge account and number", step_add_account, ("log in", "start carrier simulator")),
    Step("device page shows entities", step_device_page, ("add bridge account and number",)),
    Step("ask Assist for the balance", step_assist, ("device page shows entities",)),
    Step("press Renew now on a dashboard", step_renew, ("device page shows entities",)),
    Step("open the calendar", step_calendar, ("device page shows entities",)),
    Step("keep every line of a bridge of 20", step_keep_all, ("device page shows entities",)),
    Step("switch language to 简体中文", step_chinese, ("device page shows entities",)),
    # Last: a second account would change which "Add number" button the Chinese step opens.
    Step("a carrier text changes a balance", step_carrier_text, ("log in",)),
)
