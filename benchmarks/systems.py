"""The three systems measured: eSIM Keeper, and the two baselines it is compared with.

Each system has ``prepare`` (what it needs that is not its own cost, outside the measured window),
``setup`` (measured: until every entity is in the state machine) and ``poll`` (measured: one
forced poll of every number and everything that follows from it).

* ``ours``: one HTTP bridge account (config entry) with N numbers (config subentries).
* ``rest`` (baseline a): what a user builds by hand: one RESTful sensor per number polling
  ``GET /v1/lines/{id}`` with the bridge's bearer token (balance as the state, expiry, status and
  activity as attributes), plus a template sensor per number for the days to expiry.
* ``trivial`` (baseline b): as many do-nothing sensors as eSIM Keeper had entities for the same N,
  as many of them disabled by default as eSIM Keeper's: the cost of merely having that many
  entities.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .harness import SimProcess, free_port

# Carrier presets the numbers cycle through (one of them has an activity rule, like real accounts).
CARRIERS = ("tello", "ultra_paygo", "mint_mobile", "google_voice")
TOKEN = "sim-bridge-token"  # noqa: S105  # the simulator's default bridge token (loopback only)


@dataclass
class Handle:
    """A system set up in one Home Assistant.

    How to poll it, and which registry entries are its own (read after the measured window: counting
    is the benchmark's work, not the system's).
    """

    poll: Callable[[], Any]
    is_mine: Callable[[Any], bool]

    def count(self, hass: Any) -> tuple[list[str], int]:
        """Its entities with a state, and its entities in the registry (enabled or not)."""
        from homeassistant.helpers import entity_registry as er

        mine = [e for e in er.async_get(hass).entities.values() if self.is_mine(e)]
        return [e.entity_id for e in mine if hass.states.get(e.entity_id)], len(mine)


class System:
    name = ""
    label = ""

    async def prepare(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> None:
        """Work that is not this system's own cost (shared components), before the window."""

    async def setup(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> Handle:
        raise NotImplementedError


class Ours(System):
    name = "ours"
    label = "eSIM Keeper"

    async def prepare(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> None:
        from homeassistant.setup import async_setup_component
        from pytest_homeassistant_custom_component.common import MockConfigEntry  # type: ignore[import-untyped]

        from custom_components.esim_keeper import PLATFORMS
        from custom_components.esim_keeper.const import (
            CONF_CARRIER,
            CONF_LINE_ID,
            CONF_NUMBER,
            CONF_PLAN,
            CONF_PROVIDER,
            CONF_TOKEN,
            CONF_URL,
            DOMAIN,
            SUBENTRY_NUMBER,
        )

        # The entity platforms' own components (calendar needs http) are shared by every
        # integration of a real install, so they are set up outside the window; the sensor
        # component is left in it, as it is in the baselines' windows.
        assert await async_setup_component(
            hass, "http", {"http": {"server_host": "127.0.0.1", "server_port": free_port()}}
        )
        for platform in PLATFORMS:
            if platform.value != "sensor":
                assert await async_setup_component(hass, platform.value, {})
        await hass.async_block_till_done()
        self.entry = MockConfigEntry(
            domain=DOMAIN,
            title="Bench bridge",
            unique_id="bench-bridge",
            data={CONF_PROVIDER: "http_bridge", CONF_URL: sim.base_url, CONF_TOKEN: TOKEN},
            subentries_data=[
                {
                    "data": {
                        CONF_NUMBER: line["number"],
                        CONF_LINE_ID: line["id"],
                        CONF_CARRIER: CARRIERS[i % len(CARRIERS)],
                        CONF_PLAN: {},
                    },
                    "subentry_type": SUBENTRY_NUMBER,
                    "title": f"Number {i + 1}",
                    "unique_id": line["number"],
                }
                for i, line in enumerate(lines)
            ],
        )
        self.entry.add_to_hass(hass)

    async def setup(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> Handle:
        assert await hass.config_entries.async_setup(self.entry.entry_id)
        await hass.async_block_till_done(wait_background_tasks=True)
        coordinator = self.entry.runtime_data.coordinator
        entry_id = self.entry.entry_id

        async def poll() -> None:
            await coordinator.async_refresh()
            await hass.async_block_till_done(wait_background_tasks=True)

        return Handle(poll=poll, is_mine=lambda e: e.config_entry_id == entry_id)


class Rest(System):
    name = "rest"
    label = "rest + template (a)"

    async def prepare(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> None:
        from homeassistant.setup import async_setup_component

        # The integrations' own components with nothing configured: loading them is not per number.
        assert await async_setup_component(hass, "rest", {})
        await hass.async_block_till_done()

    async def setup(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> Handle:
        from homeassistant.helpers.entity_component import async_update_entity
        from homeassistant.setup import async_setup_component

        rest = [
            {
                "platform": "rest",
                "name": f"bench line {i + 1}",
                "unique_id": f"bench_rest_{line['id']}",
                "resource": f"{sim.base_url}/v1/lines/{line['id']}",
                "headers": {"Authorization": f"Bearer {TOKEN}"},
                "value_template": "{{ value_json.balance.amount }}",
                "json_attributes": ["plan_expiry", "status", "last_activity"],
                "device_class": "monetary",
                "unit_of_measurement": "USD",
                "timeout": 10,
                # No automatic poll during the run: every poll measured is a forced one.
                "scan_interval": 86400,
            }
            for i, line in enumerate(lines)
        ]
        days = [
            {
                "name": f"bench line {i + 1} days to expiry",
                "unique_id": f"bench_days_{line['id']}",
                "unit_of_measurement": "d",
                "state": (
                    f"{{% set e = state_attr('sensor.bench_line_{i + 1}', 'plan_expiry') %}}"
                    "{{ ((as_timestamp(e) - as_timestamp(now())) / 86400) | round(0)"
                    " if e else none }}"
                ),
            }
            for i, line in enumerate(lines)
        ]
        assert await async_setup_component(hass, "sensor", {"sensor": rest})
        assert await async_setup_component(hass, "template", {"template": [{"sensor": days}]})
        await hass.async_block_till_done(wait_background_tasks=True)
        rest_ids = [f"sensor.bench_line_{i + 1}" for i in range(len(lines))]
        missing = [e for e in rest_ids if hass.states.get(e) is None]
        if missing:
            raise RuntimeError(f"rest sensors missing: {missing[:3]}...")

        async def poll() -> None:
            await asyncio.gather(*(async_update_entity(hass, e) for e in rest_ids))
            await hass.async_block_till_done(wait_background_tasks=True)

        return Handle(
            poll=poll, is_mine=lambda e: e.unique_id.startswith(("bench_rest_", "bench_days_"))
        )


class Trivial(System):
    """``enabled`` + ``disabled`` sensors that do nothing, counted from eSIM Keeper's registry."""

    name = "trivial"
    label = "trivial sensors (b)"

    def __init__(self, enabled: int = 0, disabled: int = 0) -> None:
        self.enabled = enabled
        self.disabled = disabled

    async def prepare(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> None:
        from homeassistant.components.sensor import SensorEntity
        from pytest_homeassistant_custom_component.common import MockPlatform, mock_platform

        enabled, count = self.enabled, self.enabled + self.disabled

        class TrivialSensor(SensorEntity):
            _attr_should_poll = False

            def __init__(self, i: int) -> None:
                self._attr_unique_id = f"bench_trivial_{i}"
                self._attr_name = f"bench trivial {i}"
                self._attr_native_value = i
                self._attr_entity_registry_enabled_default = i < enabled

        async def async_setup_platform(
            hass: Any, config: Any, async_add_entities: Any, discovery_info: Any = None
        ) -> None:
            async_add_entities([TrivialSensor(i) for i in range(count)])

        mock_platform(
            hass, "bench_trivial.sensor", MockPlatform(async_setup_platform=async_setup_platform)
        )

    async def setup(self, hass: Any, sim: SimProcess, lines: list[dict[str, Any]]) -> Handle:
        from homeassistant.setup import async_setup_component

        assert await async_setup_component(
            hass, "sensor", {"sensor": [{"platform": "bench_trivial"}]}
        )
        await hass.async_block_till_done(wait_background_tasks=True)

        async def poll() -> None:  # nothing to poll
            return None

        return Handle(poll=poll, is_mine=lambda e: e.unique_id.startswith("bench_trivial_"))
