"""Config flows for eSIM Keeper accounts, their options and their numbers.

The account (entry) flow adds an account with its first number, and handles reauth and
reconfigure; the options flow sets how the account is polled; the "Add number" / number
reconfigure subentry flows keep one number each. Reading and writing the forms is in forms.py:
every value a user types is validated by the keeper layer, a bad value comes back as a
translated form error and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, override

from homeassistant.config_entries import (
    ConfigEntry,
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
    OptionsFlowWithReload,
    SubentryFlowResult,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.data_entry_flow import FlowHandler, section
from homeassistant.helpers.selector import (
    BooleanSelector,
    DateSelector,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
)
import voluptuous as vol

from .client import CREDENTIAL_KEYS, create_provider, provider_kind
from .const import (
    CONF_API_KEY_SID,
    CONF_CARRIER,
    CONF_CUSTOM_PATTERN,
    CONF_CUSTOM_SENDER,
    CONF_DEFAULTS,
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALL,
    CONF_LISTEN_IMAP,
    CONF_LISTEN_NETGEAR_LTE,
    CONF_MESSAGE_SENDERS,
    CONF_MESSAGES,
    CONF_NAME,
    CONF_NUMBER,
    CONF_PLAN,
    CONF_PROVIDER,
    CONF_RENEWAL,
    CONF_SCAN_INTERVAL,
    CONF_SPEND_CAP,
    CONF_WARN_DAYS,
    DEFAULT_SCAN_MINUTES,
    DEFAULT_SPEND_CAP,
    DEFAULT_WARN_DAYS,
    DOMAIN,
    LOGGER,
    MAX_SCAN_MINUTES,
    MIN_SCAN_MINUTES,
    SUBENTRY_NUMBER,
)
from .forms import (
    CONF_ACTIVITY_DATE,
    CONF_AUTOPAY,
    CONF_BALANCE,
    CONF_EXPIRY_DATE,
    KEEP_ALIVE_SCHEMA,
    LINES_KEEP_ALL,
    LINES_PICK,
    MESSAGES_SCHEMA,
    PATTERN_EXAMPLE,
    PLAN_SECTION_SCHEMA,
    RENEWAL_FIELDS,
    TEXT,
    NumberForm,
    carrier_selector,
    clean_input,
    credentials_schema,
    days_field,
    defaults_data,
    defaults_form_values,
    free_manual_number,
    keep_alive_data,
    line_subentry,
    manual_number_schema,
    minutes_field,
    not_secret,
    number_form_values,
    number_subentry,
    pick_number_schema,
    picked_number,
    plan_field,
    reconfigured_number_data,
    renewal_schema,
    whole_number,
    with_defaults,
)
from .keeper.errors import (
    KeeperError,
)
from .keeper.messages import CustomPattern
from .keeper.model import LineSnapshot, PaymentMethod
from .keeper.phone import format_number
from .keeper.providers.base import (
    AccountInfo,
    AuthError,
    InsecureUrlError,
    Provider,
    ProviderConnectionError,
    ProviderError,
    ProviderKind,
)
from .lines import (
    plan_from_settings,
    taken_numbers,
)
from .pool import NumberDefaults

# The menu order: what most users have first.
ACCOUNT_KINDS = (
    ProviderKind.MANUAL,
    ProviderKind.HTTP_BRIDGE,
    ProviderKind.TWILIO,
    ProviderKind.TELNYX,
    ProviderKind.DEMO,
)


async def _validate(hass: HomeAssistant, data: Mapping[str, Any]) -> tuple[Provider, AccountInfo]:
    provider = create_provider(hass, data)
    return provider, await provider.async_validate()


def _connect_error(err: Exception) -> str:
    """Return the form error for a failed live check."""
    if isinstance(err, AuthError):
        return "invalid_auth"
    if isinstance(err, InsecureUrlError):  # a bridge address that is neither https nor local
        return "insecure_url"
    if isinstance(err, ProviderConnectionError):
        return "cannot_connect"
    if isinstance(err, ProviderError):
        return "invalid_response"
    LOGGER.exception("Unexpected error while checking an account", exc_info=err)
    return "unknown"


def _payment_methods(entry: ConfigEntry) -> tuple[PaymentMethod, ...]:
    """Return the methods the account's provider accepts (all, if it is not loaded)."""
    runtime = getattr(entry, "runtime_data", None)
    if runtime is not None and runtime.provider.capabilities.payment_methods:
        methods: tuple[PaymentMethod, ...] = runtime.provider.capabilities.payment_methods
        return methods
    return tuple(PaymentMethod)


def _read_number_form(
    flow: FlowHandler[Any, Any, Any],
    schema: vol.Schema,
    user_input: Mapping[str, Any] | None,
    read: Callable[[Mapping[str, Any]], NumberForm],
) -> tuple[NumberForm | None, vol.Schema, dict[str, str]]:
    """Read a number form, as every "add a number" step does.

    Returns (title, subentry data) when the form is valid; otherwise the schema to show again
    (with what was typed) and the translated error.
    """
    if user_input is None:
        return None, schema, {}
    try:
        return read(user_input), schema, {}
    except KeeperError as err:
        return None, flow.add_suggested_values_to_schema(schema, user_input), {"base": err.key}


class EsimKeeperConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add an account: pick the provider, check it live, then add its first number."""

    VERSION = 1
    MINOR_VERSION = 2

    def __init__(self) -> None:
        """Start with no account checked yet."""
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

    @staticmethod
    @callback
    @override
    def async_get_options_flow(config_entry: ConfigEntry) -> OptionsFlow:
        return EsimKeeperOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose what kind of account to add."""
        return self.async_show_menu(step_id="user", menu_options=[k.value for k in ACCOUNT_KINDS])

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a Manual account (numbers kept by hand)."""
        return await self._async_account_step(ProviderKind.MANUAL, user_input)

    async def async_step_http_bridge(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Add an account reached through an HTTP bridge."""
        return await self._async_account_step(ProviderKind.HTTP_BRIDGE, user_input)

    async def async_step_twilio(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a Twilio account."""
        return await self._async_account_step(ProviderKind.TWILIO, user_input)

    async def async_step_telnyx(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add a Telnyx account."""
        return await self._async_account_step(ProviderKind.TELNYX, user_input)

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Add the demo carrier's account."""
        return await self._async_account_step(ProviderKind.DEMO, user_input)

    async def _async_account_step(
        self, kind: ProviderKind, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """Check the account's credentials live; then ask for its first number."""
        step_id = kind.value
        schema = credentials_schema(kind)
        if user_input is None:
            return self.async_show_form(step_id=step_id, data_schema=schema)
        data = {CONF_PROVIDER: kind.value, **clean_input(user_input)}
        try:
            provider, self._account = await _validate(self.hass, data)
            if provider.capabilities.lists_lines:
                self._lines = dict((await provider.async_fetch()).lines)
        except Exception as err:  # noqa: BLE001  # every failure becomes a form error
            return self.async_show_form(
                step_id=step_id,
                data_schema=self.add_suggested_values_to_schema(schema, not_secret(user_input)),
                errors={"base": _connect_error(err)},
            )
        await self.async_set_unique_id(self._account.account_id)
        self._abort_if_unique_id_configured()
        self._data = data
        if not provider.capabilities.lists_lines:
            return await self.async_step_manual_number()
        if not self._lines:
            return self.async_abort(reason="no_numbers")
        taken = taken_numbers(self.hass)
        self._lines = {k: v for k, v in self._lines.items() if v.number not in taken}
        if not self._lines:
            return self.async_abort(reason="no_more_numbers")
        return await self.async_step_lines()

    async def async_step_lines(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Keep every line the carrier lists, or pick them one by one."""
        return self.async_show_menu(
            step_id="lines",
            menu_options=["keep_all", "number"],
            description_placeholders={"count": str(len(self._lines))},
        )

    def _create(self, title: str, number: dict[str, Any]) -> ConfigFlowResult:
        assert self._account is not None
        return self.async_create_entry(
            title=self._account.title,
            data=self._data,
            subentries=[number_subentry(title, number)],
        )

    async def async_step_keep_all(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Keep every line the carrier lists: the settings they (and later ones) start with."""
        kind = provider_kind(self._data)
        schema = vol.Schema(
            {
                vol.Optional(CONF_CARRIER): carrier_selector(),
                **plan_field(),
                vol.Required(CONF_RENEWAL): section(
                    renewal_schema(tuple(PaymentMethod)), {"collapsed": True}
                ),
            }
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                defaults = defaults_data(
                    user_input.get(CONF_CARRIER),
                    user_input.get(CONF_PLAN, {}),
                    user_input.get(CONF_RENEWAL, {}),
                )
            except KeeperError as err:
                errors["base"] = err.key
            else:
                assert self._account is not None
                rules = NumberDefaults.from_options({CONF_DEFAULTS: defaults})
                return self.async_create_entry(
                    title=self._account.title,
                    data=self._data,
                    options={CONF_KEEP_ALL: True, CONF_DEFAULTS: defaults},
                    subentries=[
                        line_subentry(rules.number_data(kind, line), line)
                        for line in self._lines.values()
                    ],
                )
        schema = self.add_suggested_values_to_schema(
            schema, user_input or {CONF_RENEWAL: {CONF_SPEND_CAP: DEFAULT_SPEND_CAP}}
        )
        return self.async_show_form(
            step_id="keep_all",
            data_schema=schema,
            errors=errors,
            description_placeholders={"count": str(len(self._lines))},
        )

    async def async_step_number(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the account's first number from the numbers the carrier lists."""
        schema = pick_number_schema(list(self._lines.values()), provider_kind(self._data))
        number, schema, errors = _read_number_form(
            self, schema, user_input, lambda form: picked_number(self._lines, form)
        )
        if number is not None:
            return self._create(*number)
        return self.async_show_form(step_id="number", data_schema=schema, errors=errors)

    async def async_step_manual_number(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Type a Manual account's first number and what its carrier says about it now."""
        number, schema, errors = _read_number_form(
            self,
            manual_number_schema(),
            user_input,
            lambda form: free_manual_number(self.hass, form),
        )
        if number is not None:
            return self._create(*number)
        return self.async_show_form(step_id="manual_number", data_schema=schema, errors=errors)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """Ask for new credentials: the carrier refused the stored ones."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter the account's credentials again; they must belong to the same account."""
        entry = self._get_reauth_entry()
        return await self._async_update_credentials(entry, "reauth_confirm", user_input)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the account's credentials (or the bridge's address)."""
        entry = self._get_reconfigure_entry()
        if not CREDENTIAL_KEYS[provider_kind(entry.data)]:
            return self.async_abort(reason="no_settings")
        return await self._async_update_credentials(entry, "reconfigure", user_input)

    async def _async_update_credentials(
        self, entry: ConfigEntry, step_id: str, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        kind = provider_kind(entry.data)
        errors: dict[str, str] = {}
        if user_input is not None:
            data = {**entry.data, **clean_input(user_input)}
            if kind is ProviderKind.TWILIO and not user_input.get(CONF_API_KEY_SID):
                data.pop(CONF_API_KEY_SID, None)
            try:
                _, account = await _validate(self.hass, data)
            except Exception as err:  # noqa: BLE001  # every failure becomes a form error
                errors["base"] = _connect_error(err)
            else:
                await self.async_set_unique_id(account.account_id)
                self._abort_if_unique_id_mismatch(reason="wrong_account")
                return self.async_update_reload_and_abort(entry, data=data)
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(
                credentials_schema(kind), not_secret(user_input or entry.data)
            ),
            description_placeholders={"account": entry.title},
            errors=errors,
        )


class EsimKeeperOptionsFlow(OptionsFlowWithReload):
    """Account options: polling, warnings, which lines to keep and new numbers' settings.

    How often to poll, how early a number counts as expiring, whether to keep every line the
    carrier lists, and the settings new numbers start with. Manual accounts also choose whether
    carrier e-mails (IMAP) and modem texts (Netgear LTE) are read directly, from which senders:
    only hand-kept records take facts from messages.
    """

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the account's options, and store them once every value is valid."""
        entry = self.config_entry
        kind = provider_kind(entry.data)
        lists_lines = kind is not ProviderKind.MANUAL
        errors: dict[str, str] = {}
        if user_input is not None:
            raw = dict(user_input.get(CONF_DEFAULTS, {}))
            try:
                chosen: dict[str, Any] = {
                    CONF_SCAN_INTERVAL: whole_number(user_input[CONF_SCAN_INTERVAL], KeeperError),
                    CONF_WARN_DAYS: whole_number(user_input[CONF_WARN_DAYS], KeeperError),
                }
                if lists_lines:
                    chosen[CONF_KEEP_ALL] = user_input.get(CONF_KEEP_ALL) == LINES_KEEP_ALL
                chosen[CONF_DEFAULTS] = defaults_data(
                    raw.get(CONF_CARRIER),
                    {k: v for k, v in raw.items() if k in PLAN_SECTION_SCHEMA.schema},
                    {k: v for k, v in raw.items() if k in RENEWAL_FIELDS} if lists_lines else None,
                )
            except KeeperError as err:
                errors["base"] = err.key
            else:
                if kind is ProviderKind.MANUAL:
                    chosen |= {
                        CONF_LISTEN_IMAP: bool(user_input.get(CONF_LISTEN_IMAP)),
                        CONF_LISTEN_NETGEAR_LTE: bool(user_input.get(CONF_LISTEN_NETGEAR_LTE)),
                        CONF_MESSAGE_SENDERS: str(
                            user_input.get(CONF_MESSAGE_SENDERS) or ""
                        ).strip()[:500],
                    }
                return self.async_create_entry(data=chosen)
        options = entry.options
        fields: dict[Any, Any] = {
            vol.Required(
                CONF_SCAN_INTERVAL,
                default=options.get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_MINUTES[kind]),
            ): minutes_field(MIN_SCAN_MINUTES[kind], MAX_SCAN_MINUTES),
            vol.Required(
                CONF_WARN_DAYS, default=options.get(CONF_WARN_DAYS, DEFAULT_WARN_DAYS)
            ): days_field(1, 365),
        }
        if lists_lines:
            fields[
                vol.Required(
                    CONF_KEEP_ALL,
                    default=LINES_KEEP_ALL if options.get(CONF_KEEP_ALL) else LINES_PICK,
                )
            ] = SelectSelector(
                SelectSelectorConfig(
                    options=[LINES_KEEP_ALL, LINES_PICK],
                    mode=SelectSelectorMode.LIST,
                    translation_key="lines",
                )
            )
        if kind is ProviderKind.MANUAL:
            fields |= {
                vol.Required(
                    CONF_LISTEN_IMAP, default=options.get(CONF_LISTEN_IMAP, False)
                ): BooleanSelector(),
                vol.Required(
                    CONF_LISTEN_NETGEAR_LTE,
                    default=options.get(CONF_LISTEN_NETGEAR_LTE, False),
                ): BooleanSelector(),
                vol.Optional(
                    CONF_MESSAGE_SENDERS,
                    description={"suggested_value": options.get(CONF_MESSAGE_SENDERS, "")},
                ): TEXT,
            }
        defaults_schema = dict(PLAN_SECTION_SCHEMA.schema)
        defaults_schema = {vol.Optional(CONF_CARRIER): carrier_selector(), **defaults_schema}
        if lists_lines:
            defaults_schema |= renewal_schema(_payment_methods(self.config_entry)).schema
        fields[vol.Required(CONF_DEFAULTS, default={})] = section(
            vol.Schema(defaults_schema), {"collapsed": True}
        )
        suggested = user_input or {CONF_DEFAULTS: defaults_form_values(options)}
        runtime = getattr(entry, "runtime_data", None)
        state = runtime.coordinator.data if runtime is not None else None
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(vol.Schema(fields), suggested),
            errors=errors,
            description_placeholders={
                "minimum": str(MIN_SCAN_MINUTES[kind]),
                "count": str(len(state.listed)) if state is not None else "?",
            },
        )


class NumberSubentryFlow(ConfigSubentryFlow):
    """Add a number to an account, or change one."""

    def __init__(self) -> None:
        """Start without the carrier's list of lines (fetched on the first step)."""
        self._lines: dict[str, LineSnapshot] = {}

    def _kind(self) -> ProviderKind:
        return provider_kind(self._get_entry().data)

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Add number: Manual accounts type it; others pick one the carrier lists."""
        if self._kind() is ProviderKind.MANUAL:
            return await self.async_step_manual(user_input)
        entry = self._get_entry()
        if not self._lines:
            try:
                account = await create_provider(self.hass, entry.data).async_fetch()
            except ProviderError:
                return self.async_abort(reason="cannot_connect")
            taken = taken_numbers(self.hass)
            self._lines = {k: v for k, v in account.lines.items() if v.number not in taken}
            if not self._lines:
                return self.async_abort(reason="no_more_numbers")
        defaults = NumberDefaults.from_options(entry.options)
        schema = pick_number_schema(list(self._lines.values()), self._kind(), defaults.carrier)
        number, schema, errors = _read_number_form(
            self, schema, user_input, lambda form: picked_number(self._lines, form)
        )
        if number is not None:
            title, data = number
            data = with_defaults(data, defaults)
            return self.async_create_entry(title=title, data=data, unique_id=data[CONF_NUMBER])
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    async def async_step_manual(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Type a number of a Manual account and what its carrier says about it now."""
        number, schema, errors = _read_number_form(
            self,
            manual_number_schema(),
            user_input,
            lambda form: free_manual_number(self.hass, form),
        )
        if number is not None:
            title, data = number
            data = with_defaults(data, NumberDefaults.from_options(self._get_entry().options))
            return self.async_create_entry(title=title, data=data, unique_id=data[CONF_NUMBER])
        return self.async_show_form(step_id="manual", data_schema=schema, errors=errors)

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change a number's name, carrier, plan and renewal settings (Manual: its records too)."""
        entry = self._get_entry()
        subentry = self._get_reconfigure_subentry()
        data = subentry.data
        kind = self._kind()
        methods = _payment_methods(self._get_entry())
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                new_data = reconfigured_number_data(data, user_input, kind)
                new_data |= await self._async_message_settings(new_data, user_input, kind)
            except KeeperError as err:
                errors["base"] = err.key
            else:
                title = (user_input.get(CONF_NAME) or "").strip() or subentry.title
                return self.async_update_reload_and_abort(
                    entry, subentry, title=title[:64], data=new_data
                )
        fields: dict[Any, Any] = {
            vol.Required(CONF_NAME): TEXT,
            vol.Required(CONF_CARRIER): carrier_selector(),
        }
        if kind is ProviderKind.MANUAL:
            fields |= {
                vol.Required(CONF_BALANCE): TEXT,
                vol.Required(CONF_EXPIRY_DATE): DateSelector(),
                vol.Optional(CONF_ACTIVITY_DATE): DateSelector(),
                vol.Required(CONF_AUTOPAY, default=False): BooleanSelector(),
            }
        fields |= plan_field()
        fields[vol.Required(CONF_RENEWAL)] = section(renewal_schema(methods), {"collapsed": True})
        if kind is ProviderKind.MANUAL:
            fields[vol.Optional(CONF_MESSAGES)] = section(MESSAGES_SCHEMA, {"collapsed": True})
        if plan_from_settings(data[CONF_CARRIER], data.get(CONF_PLAN, {})).activity_days:
            fields[vol.Optional(CONF_KEEP_ALIVE)] = section(KEEP_ALIVE_SCHEMA, {"collapsed": True})
        schema = self.add_suggested_values_to_schema(
            vol.Schema(fields), user_input or number_form_values(subentry.title, data)
        )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=schema,
            errors=errors,
            description_placeholders={
                "number": format_number(data[CONF_NUMBER]),
                # Kept out of the translations: Home Assistant reads "<balance>" as HTML there.
                "pattern_example": PATTERN_EXAMPLE,
            },
        )

    async def _async_message_settings(
        self, new_data: Mapping[str, Any], user_input: Mapping[str, Any], kind: ProviderKind
    ) -> dict[str, Any]:
        """Read the number's custom pattern and keep-alive message; KeeperError when bad.

        The pattern is validated in the executor: validating it times it.
        """
        out: dict[str, Any] = {}
        carrier = new_data[CONF_CARRIER]
        plan = plan_from_settings(carrier, new_data[CONF_PLAN])
        if kind is ProviderKind.MANUAL and CONF_MESSAGES in user_input:
            raw = user_input[CONF_MESSAGES]
            pattern = str(raw.get(CONF_CUSTOM_PATTERN) or "").strip()
            sender = str(raw.get(CONF_CUSTOM_SENDER) or "").strip()
            if pattern:
                await self.hass.async_add_executor_job(
                    partial(
                        CustomPattern.compile,
                        pattern,
                        currency=plan.currency,
                        timezone=plan.timezone,
                        carrier=carrier,
                        sender=sender or None,
                    )
                )
            out[CONF_MESSAGES] = {CONF_CUSTOM_PATTERN: pattern, CONF_CUSTOM_SENDER: sender}
        if CONF_KEEP_ALIVE in user_input:
            out[CONF_KEEP_ALIVE] = keep_alive_data(self.hass, user_input[CONF_KEEP_ALIVE])
        return out
