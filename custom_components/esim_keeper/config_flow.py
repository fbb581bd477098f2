"""Config flow: an account (config entry) with its first number, and "Add number" subentry flows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
)
import voluptuous as vol

from .client import create_provider, suggested_carrier
from .const import (
    CONF_CARRIER,
    CONF_LINE_ID,
    CONF_NAME,
    CONF_NUMBER,
    CONF_PLAN,
    CONF_PROVIDER,
    DOMAIN,
    LOGGER,
    SUBENTRY_NUMBER,
)
from .keeper.carriers import PRESETS
from .keeper.errors import KeeperError
from .keeper.model import LineSnapshot
from .keeper.phone import format_number, mask
from .keeper.providers.base import (
    AccountInfo,
    AuthError,
    ProviderConnectionError,
    ProviderError,
    ProviderKind,
)
from .lines import plan_from_settings

ACCOUNT_KINDS = (ProviderKind.DEMO,)


def _carrier_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=list(PRESETS),
            translation_key="carrier",
            mode=SelectSelectorMode.DROPDOWN,
            sort=False,
        )
    )


def _days(minimum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=minimum, max=3660, step=1, mode=NumberSelectorMode.BOX)
    )


PLAN_SECTION_SCHEMA = vol.Schema(
    {
        vol.Optional("renewal_cost"): TextSelector(),
        vol.Optional("cycle_days"): _days(1),
        vol.Optional("grace_days"): _days(0),
        vol.Optional("activity_days"): _days(1),
    }
)


def _plan_overrides(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the overrides the user filled in, as the types PlanRules wants."""
    overrides: dict[str, Any] = {}
    for key, value in raw.items():
        if value in (None, ""):
            continue
        overrides[key] = str(value).strip() if key == "renewal_cost" else int(value)
    return overrides


def _line_label(line: LineSnapshot) -> str:
    return (
        f"{line.name} · {format_number(line.number)}" if line.name else format_number(line.number)
    )


def _number_schema(lines: list[LineSnapshot], kind: ProviderKind) -> vol.Schema:
    first = lines[0]
    return vol.Schema(
        {
            vol.Required(CONF_LINE_ID, default=first.line_id): SelectSelector(
                SelectSelectorConfig(
                    options=[
                        SelectOptionDict(value=line.line_id, label=_line_label(line))
                        for line in lines
                    ],
                    mode=SelectSelectorMode.DROPDOWN,
                )
            ),
            vol.Optional(CONF_NAME): TextSelector(),
            vol.Required(CONF_CARRIER, default=suggested_carrier(kind, first)): _carrier_selector(),
            vol.Required(CONF_PLAN): section(PLAN_SECTION_SCHEMA, {"collapsed": True}),
        }
    )


def _number_subentry(
    lines: Mapping[str, LineSnapshot], user_input: dict[str, Any]
) -> tuple[str, dict[str, Any]] | str:
    """The (title, data) of a number subentry from the form, or an error key for the form."""
    line = lines[user_input[CONF_LINE_ID]]
    overrides = _plan_overrides(user_input.get(CONF_PLAN, {}))
    try:
        plan_from_settings(user_input[CONF_CARRIER], overrides)
    except KeeperError as err:
        return err.key
    title = (user_input.get(CONF_NAME) or "").strip() or line.name or mask(line.number)
    return title, {
        CONF_NUMBER: line.number,
        CONF_LINE_ID: line.line_id,
        CONF_CARRIER: user_input[CONF_CARRIER],
        CONF_PLAN: overrides,
    }


async def _account_lines(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, LineSnapshot]:
    provider = create_provider(hass, data)
    account = await provider.async_fetch()
    return dict(account.lines)


class EsimKeeperConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an account: pick the provider, check it live, then add its first number."""

    VERSION = 1
    MINOR_VERSION = 1

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        self._account: AccountInfo | None = None
        self._lines: dict[str, LineSnapshot] = {}

    @classmethod
    @callback
    @override
    def async_get_supported_subentry_types(
        cls, config_entry: ConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        return {SUBENTRY_NUMBER: NumberSubentryFlow}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what kind of account to add."""
        return self.async_show_menu(step_id="user", menu_options=[k.value for k in ACCOUNT_KINDS])

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The demo carrier: nothing to enter."""
        if user_input is None:
            return self.async_show_form(step_id="demo", data_schema=vol.Schema({}))
        return await self._async_connect({CONF_PROVIDER: ProviderKind.DEMO.value}, "demo")

    async def _async_connect(self, data: dict[str, Any], step_id: str) -> ConfigFlowResult:
        """Check the account live; on success go on to its first number."""
        errors: dict[str, str] = {}
        try:
            provider = create_provider(self.hass, data)
            self._account = await provider.async_validate()
            self._lines = dict((await provider.async_fetch()).lines)
        except AuthError:
            errors["base"] = "invalid_auth"
        except ProviderConnectionError:
            errors["base"] = "cannot_connect"
        except ProviderError:
            errors["base"] = "invalid_response"
        except Exception:  # noqa: BLE001  # the form shows "unknown" instead of crashing
            LOGGER.exception("Unexpected error while checking a %s account", data[CONF_PROVIDER])
            errors["base"] = "unknown"
        if errors:
            return self.async_show_form(step_id=step_id, data_schema=vol.Schema({}), errors=errors)
        assert self._account is not None
        await self.async_set_unique_id(self._account.account_id)
        self._abort_if_unique_id_configured()
        self._data = data
        if not self._lines:
            return self.async_abort(reason="no_numbers")
        return await self.async_step_number()

    async def async_step_number(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """The account's first number."""
        errors: dict[str, str] = {}
        kind = ProviderKind(self._data[CONF_PROVIDER])
        if user_input is not None:
            result = _number_subentry(self._lines, user_input)
            if isinstance(result, str):
                errors["base"] = result
            else:
                title, number = result
                assert self._account is not None
                return self.async_create_entry(
                    title=self._account.title,
                    data=self._data,
                    subentries=[
                        {
                            "subentry_type": SUBENTRY_NUMBER,
                            "title": title,
                            "data": number,
                            "unique_id": number[CONF_NUMBER],
                        }
                    ],
                )
        schema = _number_schema(list(self._lines.values()), kind)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="number", data_schema=schema, errors=errors)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The carrier refused the stored credentials."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter the account's credentials again; they must belong to the same account."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **user_input}
            try:
                account = await create_provider(self.hass, data).async_validate()
            except AuthError:
                errors["base"] = "invalid_auth"
            except ProviderConnectionError:
                errors["base"] = "cannot_connect"
            except ProviderError:
                errors["base"] = "invalid_response"
            else:
                await self.async_set_unique_id(account.account_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema({}),
            description_placeholders={"account": entry.title},
            errors=errors,
        )


class NumberSubentryFlow(ConfigSubentryFlow):
    """Add number: pick one of the account's numbers that is not added yet."""

    def __init__(self) -> None:
        self._lines: dict[str, LineSnapshot] = {}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        entry = self._get_entry()
        errors: dict[str, str] = {}
        if not self._lines:
            try:
                lines = await _account_lines(self.hass, entry.data)
            except ProviderError:
                return self.async_abort(reason="cannot_connect")
            taken = {s.unique_id for s in entry.subentries.values()}
            self._lines = {k: v for k, v in lines.items() if v.number not in taken}
            if not self._lines:
                return self.async_abort(reason="no_more_numbers")
        if user_input is not None:
            result = _number_subentry(self._lines, user_input)
            if isinstance(result, str):
                errors["base"] = result
            else:
                title, number = result
                return self.async_create_entry(
                    title=title, data=number, unique_id=number[CONF_NUMBER]
                )
        kind = ProviderKind(entry.data[CONF_PROVIDER])
        schema = _number_schema(list(self._lines.values()), kind)
        if user_input is not None:
            schema = self.add_suggested_values_to_schema(schema, user_input)
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)
