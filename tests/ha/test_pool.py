"""Keep every line an account lists.

Lines that appear become numbers with the account's defaults, lines that disappear raise a repair
that removes or keeps them, across polls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from homeassistant.config_entries import SOURCE_USER, ConfigSubentry
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr, entity_registry as er, issue_registry as ir
from homeassistant.helpers.entity_platform import MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
import pytest
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.esim_keeper.const import (
    CONF_KEEP_UNLISTED,
    CONF_PROVIDER,
    CONF_TOKEN,
    CONF_URL,
    DOMAIN,
    SUBENTRY_NUMBER,
)
from custom_components.esim_keeper.pool import NumberDefaults, line_gone_issue
from custom_components.esim_keeper.repairs import LineGoneFlow, async_create_fix_flow
from tools.carrier_sim import DEFAULT_BRIDGE_TOKEN, CarrierSim

from .accounts import manual_account, manual_ledger
from .conftest import number_subentry, setup_entry

DEFAULTS = {
    "carrier": "tello",
    "plan": {"renewal_cost": "6.00"},
    "renewal": {
        "payment_methods": ["card"],
        "spend_cap": "20",
        "auto_renew": "days_before",
        "auto_renew_days": 2,
        "auto_renew_day": 1,
    },
}


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[CarrierSim]:
    carrier = CarrierSim(lines=3, seed=7)
    await carrier.start("127.0.0.1", 0)
    yield carrier
    await carrier.stop()


def keep_all_entry(sim: CarrierSim, *numbers: Any, keep_all: bool = True) -> MockConfigEntry:
    return MockConfigEntry(
        domain=DOMAIN,
        title="Bridge",
        entry_id="pool-entry",
        unique_id="bridge",
        data={
            CONF_PROVIDER: "http_bridge",
            CONF_URL: sim.base_url,
            CONF_TOKEN: DEFAULT_BRIDGE_TOKEN,
        },
        options={"keep_all": keep_all, "new_numbers": DEFAULTS},
        subentries_data=list(numbers),
    )


def numbers_by_line(entry: MockConfigEntry) -> dict[str, Any]:
    return {
        s.data["line_id"]: s
        for s in entry.subentries.values()
        if s.subentry_type == SUBENTRY_NUMBER
    }


async def poll(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    await entry.runtime_data.coordinator.async_refresh()
    await hass.async_block_till_done()


async def test_new_lines_become_numbers_with_the_account_defaults(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    first = sim.state.lines["line-1"]
    entry = keep_all_entry(sim, number_subentry("line-1", first.number, "Mine", "other"))
    await setup_entry(hass, entry)
    kept = numbers_by_line(entry)
    assert set(kept) == {"line-1", "line-2", "line-3"}
    assert kept["line-1"].title == "Mine"  # the number's own settings are left alone
    added = kept["line-2"]
    # The simulator names line-2 by its number: never a name; the preset and last four digits.
    assert added.title.endswith("··0101")
    assert added.unique_id == sim.state.lines["line-2"].number
    assert dict(added.data) == {
        "number": sim.state.lines["line-2"].number,
        "line_id": "line-2",
        "carrier": "tello",
        "plan": {"renewal_cost": "6.00"},
        "renewal": DEFAULTS["renewal"],
    }
    config = entry.runtime_data.coordinator.numbers[added.subentry_id]
    assert config.plan.renewal_cost.amount == 6
    assert config.renewal.spend_cap is not None
    assert config.renewal.spend_cap.amount == 20
    state = hass.states.get("sensor.tello_0101_balance")
    assert state is not None
    assert state.state == str(sim.state.lines["line-2"].balance)

    # A line the carrier adds later is kept on the next poll.
    sim.state.lines["line-4"] = sim.state.lines.pop("line-3")
    sim.state.lines["line-4"].id = "line-4"
    sim.state.lines["line-4"].number = "+12015550177"
    await poll(hass, entry)
    assert "line-4" in numbers_by_line(entry)
    assert hass.states.get("sensor.line_3_balance") is not None


async def test_a_line_gone_raises_a_repair_that_removes_it(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    entry = keep_all_entry(sim)
    await setup_entry(hass, entry)
    gone = numbers_by_line(entry)["line-3"]
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, gone.subentry_id), entry.entry_id
    )
    assert device is not None
    del sim.state.lines["line-3"]
    await poll(hass, entry)
    issue_id = line_gone_issue(gone.subentry_id)
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.is_fixable
    assert issue.translation_placeholders == {
        "name": "Line 3",
        "number": "…0102",
        "account": "Bridge",
    }
    await poll(hass, entry)  # reported once, not again
    flow = await start_flow(hass, issue_id)
    result = await flow.async_step_remove()
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert "line-3" not in numbers_by_line(entry)
    assert dr.async_get(hass).async_get(device.id) is None
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    # Keep-all does not add it back: the carrier does not list it.
    await poll(hass, entry)
    assert "line-3" not in numbers_by_line(entry)


async def test_keep_a_line_the_carrier_stopped_listing(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    entry = keep_all_entry(sim)
    await setup_entry(hass, entry)
    gone = numbers_by_line(entry)["line-2"]
    line = sim.state.lines.pop("line-2")
    await poll(hass, entry)
    issue_id = line_gone_issue(gone.subentry_id)
    flow = await start_flow(hass, issue_id)
    assert (await flow.async_step_keep())["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.subentries[gone.subentry_id].data[CONF_KEEP_UNLISTED] is True
    await poll(hass, entry)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None  # the user said so
    # The line comes back: the mark goes, so a later disappearance is reported again.
    sim.state.lines["line-2"] = line
    await poll(hass, entry)
    assert CONF_KEEP_UNLISTED not in entry.subentries[gone.subentry_id].data
    del sim.state.lines["line-2"]
    await poll(hass, entry)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    # It comes back again before anyone answered: the issue goes by itself.
    sim.state.lines["line-2"] = line
    await poll(hass, entry)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None


async def test_gone_issue_of_a_number_removed_otherwise_goes(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    entry = keep_all_entry(sim, keep_all=False)
    entry.subentries_data = None
    await setup_entry(hass, entry)
    assert not numbers_by_line(entry)  # pick lines: nothing is added
    first = sim.state.lines["line-1"]
    hass.config_entries.async_add_subentry(
        entry, _subentry(number_subentry("line-1", first.number, "Mine", "tello"))
    )
    await hass.async_block_till_done()
    subentry_id = numbers_by_line(entry)["line-1"].subentry_id
    del sim.state.lines["line-1"]
    await poll(hass, entry)
    issue_id = line_gone_issue(subentry_id)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is not None
    flow = await start_flow(hass, issue_id)
    hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done(wait_background_tasks=True)
    assert ir.async_get(hass).async_get_issue(DOMAIN, issue_id) is None
    assert (await flow.async_step_remove())["reason"] == "number_removed"


async def test_never_adds_a_number_another_account_keeps(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    taken = sim.state.lines["line-2"].number
    await setup_entry(
        hass,
        manual_account(
            (taken, "Kept by hand", "tello", manual_ledger("5.00", "2026-12-20T00:00:00+00:00"))
        ),
    )
    entry = keep_all_entry(sim)
    await setup_entry(hass, entry)
    assert set(numbers_by_line(entry)) == {"line-1", "line-3"}


async def test_keep_all_in_the_account_flow(hass: HomeAssistant, sim: CarrierSim) -> None:
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "http_bridge"}
    )
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"url": sim.base_url, "token": DEFAULT_BRIDGE_TOKEN}
    )
    assert result["type"] is FlowResultType.MENU
    assert result["description_placeholders"] == {"count": "3"}
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {"next_step_id": "keep_all"}
    )
    assert result["step_id"] == "keep_all"
    flow_id = result["flow_id"]
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"carrier": "other", "plan": {}, "renewal": {}}
    )
    assert result["errors"] == {"base": "cost_required"}
    result = await hass.config_entries.flow.async_configure(
        flow_id, {"plan": {"renewal_cost": "3"}, "renewal": {}}
    )
    assert result["errors"] == {"base": "defaults_need_carrier"}
    result = await hass.config_entries.flow.async_configure(
        flow_id,
        {"carrier": "other", "plan": {"renewal_cost": "3"}, "renewal": {"spend_cap": "10"}},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    entry = result["result"]
    await hass.async_block_till_done()
    assert entry.options["keep_all"] is True
    assert entry.options["new_numbers"]["carrier"] == "other"
    assert len(entry.subentries) == 3
    assert {s.data["carrier"] for s in entry.subentries.values()} == {"other"}
    assert len(hass.states.async_entity_ids("sensor")) >= 3


async def test_options_set_keep_all_and_defaults_used_by_add_number(
    hass: HomeAssistant, sim: CarrierSim
) -> None:
    entry = keep_all_entry(sim, keep_all=False)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, options={})
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["description_placeholders"] == {"minimum": "15", "count": "3"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "scan_interval": 60,
            "warn_days": 7,
            "keep_all": "pick",
            "new_numbers": {"renewal_cost": "4"},
        },
    )
    assert result["errors"] == {"base": "defaults_need_carrier"}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "scan_interval": 60,
            "warn_days": 7,
            "keep_all": "pick",
            "new_numbers": {"carrier": "tello", "renewal_cost": "4", "spend_cap": "9"},
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert entry.options["keep_all"] is False
    defaults = NumberDefaults.from_options(entry.options)
    assert defaults.carrier == "tello"
    assert defaults.plan == {"renewal_cost": "4"}
    assert defaults.renewal["spend_cap"] == "9"
    # "Add number" proposes the default carrier and stores the defaults the form left empty.
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, SUBENTRY_NUMBER), context={"source": SOURCE_USER}
    )
    assert result["data_schema"]({"line_id": "line-1", "plan": {}})["carrier"] == "tello"
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], {"line_id": "line-1", "carrier": "tello", "plan": {}}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    (subentry,) = entry.subentries.values()
    assert subentry.data["plan"] == {"renewal_cost": "4"}
    assert subentry.data["renewal"]["spend_cap"] == "9"
    # Keep-all switched on: the other lines follow on the next poll.
    result = await hass.config_entries.options.async_init(entry.entry_id)
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"scan_interval": 60, "warn_days": 7, "keep_all": "keep_all", "new_numbers": {}},
    )
    await hass.async_block_till_done()
    assert set(numbers_by_line(entry)) == {"line-1", "line-2", "line-3"}


async def test_manual_options_have_no_lines_choice(hass: HomeAssistant) -> None:
    entry = manual_account(
        ("+12025550199", "Ultra", "ultra_paygo", manual_ledger("5.00", "2026-12-20T00:00:00+00:00"))
    )
    await setup_entry(hass, entry)
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert "keep_all" not in {str(k) for k in result["data_schema"].schema}
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"scan_interval": 60, "warn_days": 7, "new_numbers": {"carrier": "tello"}},
    )
    await hass.async_block_till_done()
    assert entry.options["new_numbers"] == {"carrier": "tello", "plan": {}}


@pytest.mark.usefixtures("socket_enabled")
async def test_a_thousand_lines_appear_within_the_entity_budget(hass: HomeAssistant) -> None:
    hass.loop.set_debug(False)  # asyncio debug mode takes a stack trace per callback: minutes
    sim = CarrierSim(lines=1000, seed=3)
    await sim.start("127.0.0.1", 0)
    try:
        entry = keep_all_entry(sim)
        await setup_entry(hass, entry)
        assert len(numbers_by_line(entry)) == 1000
        coordinator = entry.runtime_data.coordinator
        assert len(coordinator.data.numbers) == 1000
        registry = er.async_get(hass)
        entries = er.async_entries_for_config_entry(registry, entry.entry_id)
        enabled = [e for e in entries if not e.disabled]
        assert len({e.config_subentry_id for e in enabled}) == 1001  # each number, the account
        assert len(enabled) <= MAX_ENABLED_ENTITIES_PER_CONFIG_ENTRY
        assert await hass.config_entries.async_unload(entry.entry_id)
        # Registries of 13,000 entities are written in the executor: let that finish here, not
        # in the test's teardown (which fails on a worker thread still running).
        await hass.async_block_till_done(wait_background_tasks=True)
    finally:
        await sim.stop()


async def start_flow(hass: HomeAssistant, issue_id: str) -> LineGoneFlow:
    issue = ir.async_get(hass).async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    flow = await async_create_fix_flow(hass, issue_id, issue.data)
    assert isinstance(flow, LineGoneFlow)
    flow.hass = hass
    flow.issue_id = issue_id
    flow.handler = DOMAIN
    menu = await flow.async_step_init()
    assert menu["type"] is FlowResultType.MENU
    assert menu["menu_options"] == ["remove", "keep"]
    return flow


def _subentry(data: Any) -> ConfigSubentry:
    return ConfigSubentry(
        data=data["data"],
        subentry_type=data["subentry_type"],
        title=data["title"],
        unique_id=data["unique_id"],
    )
