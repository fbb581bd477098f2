"""Config flows: an account (entry) with its first number, reauth, reconfigure, options, and the
"Add number" / number reconfigure subentry flows.

Every value a user types is validated by the keeper layer; a bad value comes back as a translated
form error and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from functools import partial
from typing import Any, Final, override

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
    EntitySelector,
    EntitySelectorConfig,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.util import dt as dt_util
import voluptuous as vol

from .client import CREDENTIAL_KEYS, SECRET_KEYS, create_provider, provider_kind, suggested_carrier
from .const import (
    CONF_ACCOUNT_SID,
    CONF_ALLOW_HTTP,
    CONF_API_KEY,
    CONF_API_KEY_SID,
    CONF_AUTH_SECRET,
    CONF_AUTO_RENEW,
    CONF_AUTO_RENEW_DAY,
    CONF_AUTO_RENEW_DAYS,
    CONF_CARRIER,
    CONF_CUSTOM_PATTERN,
    CONF_CUSTOM_SENDER,
    CONF_DEFAULTS,
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALIVE_TEXT,
    CONF_KEEP_ALL,
    CONF_LEDGER,
    CONF_LINE_ID,
    CONF_LISTEN_IMAP,
    CONF_LISTEN_NETGEAR_LTE,
    CONF_MESSAGE_SENDERS,
    CONF_MESSAGES,
    CONF_NAME,
    CONF_NOTIFY_ACTION,
    CONF_NOTIFY_ENTITY,
    CONF_NUMBER,
    CONF_PAYMENT_METHODS,
    CONF_PLAN,
    CONF_PROVIDER,
    CONF_RECIPIENT,
    CONF_RENEWAL,
    CONF_SCAN_INTERVAL,
    CONF_SPEND_CAP,
    CONF_TOKEN,
    CONF_URL,
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
from .keeper.carriers import PRESETS
from .keeper.dates import local_date, start_of_day
from .keeper.errors import (
    DateRangeError,
    InvalidLeadDaysError,
    InvalidLedgerError,
    InvalidPlanError,
    KeeperError,
)
from .keeper.lifecycle import Ledger, project_ledger
from .keeper.messages import CustomPattern
from .keeper.model import LineSnapshot, PaymentMethod
from .keeper.money import Money
from .keeper.phone import format_number, normalize
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
    AutoRenewMode,
    RenewalSettings,
    ledger_from_data,
    ledger_to_data,
    masked_title,
    new_plan_from_settings,
    plan_from_settings,
    taken_numbers,
)
from .pool import NumberDefaults, line_title

# The menu order: what most users have first.
ACCOUNT_KINDS = (
    ProviderKind.MANUAL,
    ProviderKind.HTTP_BRIDGE,
    ProviderKind.TWILIO,
    ProviderKind.TELNYX,
    ProviderKind.DEMO,
)
# Manual records and the demo carrier have no credentials: one account of each.
SINGLE_ACCOUNT_IDS = {ProviderKind.MANUAL: "manual"}

CONF_BALANCE = "balance"
CONF_EXPIRY_DATE = "plan_expiry"
CONF_ACTIVITY_DATE = "last_activity"
CONF_AUTOPAY = "carrier_autopay"

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
_TEXT = TextSelector()
PATTERN_EXAMPLE: Final = "(?P<balance>[0-9.]+)"  # a custom pattern's named group, for the help text


def _days(minimum: int, maximum: int = 3660) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX)
    )


def _credentials_schema(kind: ProviderKind) -> vol.Schema:
    """The credential fields of a provider kind (none for Manual and Demo)."""
    if kind is ProviderKind.HTTP_BRIDGE:
        return vol.Schema(
            {
                vol.Required(CONF_URL): _URL,
                vol.Required(CONF_TOKEN): _PASSWORD,
                # Required for http:// to a public address; a repair issue then says the risk.
                vol.Optional(CONF_ALLOW_HTTP, default=False): BooleanSelector(),
            }
        )
    if kind is ProviderKind.TWILIO:
        return vol.Schema(
            {
                vol.Required(CONF_ACCOUNT_SID): _TEXT,
                vol.Optional(CONF_API_KEY_SID): _TEXT,
                vol.Required(CONF_AUTH_SECRET): _PASSWORD,
            }
        )
    if kind is ProviderKind.TELNYX:
        return vol.Schema({vol.Required(CONF_API_KEY): _PASSWORD})
    return vol.Schema({})


def _not_secret(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values that may be shown back in a form: never a token or secret."""
    return {k: v for k, v in values.items() if k not in SECRET_KEYS}


def _carrier_selector() -> SelectSelector:
    return SelectSelector(
        SelectSelectorConfig(
            options=list(PRESETS),
            translation_key="carrier",
            mode=SelectSelectorMode.DROPDOWN,
            sort=False,
        )
    )


PLAN_SECTION_SCHEMA = vol.Schema(
    {
        vol.Optional("renewal_cost"): _TEXT,
        vol.Optional("cycle_days"): _days(1),
        vol.Optional("grace_days"): _days(0),
        vol.Optional("activity_days"): _days(1),
    }
)


def _whole(value: Any, error: type[KeeperError]) -> int:
    """A whole number from a number field. The number selector lets "NaN" through as a float
    NaN, which ``int()`` cannot convert: refuse it (and fractions) with ``error``."""
    if isinstance(value, float) and not value.is_integer():
        raise error("a whole number is needed")
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise error("a whole number is needed") from err


def _plan_overrides(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the overrides the user filled in, as the types the keeper wants."""
    overrides: dict[str, Any] = {}
    for key, value in raw.items():
        if value in (None, ""):
            continue
        if key == "renewal_cost":
            overrides[key] = str(value).strip()
        else:
            overrides[key] = _whole(value, InvalidPlanError)
    return overrides


RENEWAL_FIELDS = (
    CONF_PAYMENT_METHODS,
    CONF_SPEND_CAP,
    CONF_AUTO_RENEW,
    CONF_AUTO_RENEW_DAYS,
    CONF_AUTO_RENEW_DAY,
)


def _renewal_data(raw: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """Renewal settings typed in a form, validated by the keeper, in their stored form."""
    raw_renewal = dict(raw)
    raw_renewal.setdefault(CONF_SPEND_CAP, "")
    for key in (CONF_AUTO_RENEW_DAYS, CONF_AUTO_RENEW_DAY):
        if key in raw_renewal:
            raw_renewal[key] = _whole(raw_renewal[key], InvalidLeadDaysError)
    return RenewalSettings.from_data(
        {k: v.strip() if isinstance(v, str) else v for k, v in raw_renewal.items()}, currency
    ).to_data()


class DefaultsNeedCarrierError(KeeperError):
    """Plan defaults without a carrier preset to apply them to."""

    key = "defaults_need_carrier"


def _defaults_data(
    carrier: str | None,
    plan: Mapping[str, Any],
    renewal: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """An account's settings for new numbers (options ``new_numbers``); KeeperError if bad.

    ``renewal`` is None for hand-kept accounts: eSIM Keeper never pays their numbers.
    """
    overrides = _plan_overrides(plan)
    currency = "USD"
    if carrier:
        currency = new_plan_from_settings(carrier, overrides).currency
    elif overrides:
        raise DefaultsNeedCarrierError("plan defaults need a carrier")
    data: dict[str, Any] = {CONF_CARRIER: carrier or None, CONF_PLAN: overrides}
    if renewal is not None:
        data[CONF_RENEWAL] = _renewal_data(renewal, currency)
    return data


def _with_defaults(data: dict[str, Any], defaults: NumberDefaults) -> dict[str, Any]:
    """A number typed or picked in a form, with the account's defaults where the form left a
    setting empty (its own settings win)."""
    if not data.get(CONF_PLAN) and data[CONF_CARRIER] == defaults.carrier:
        data[CONF_PLAN] = dict(defaults.plan)
    if defaults.renewal and CONF_LEDGER not in data:
        data.setdefault(CONF_RENEWAL, dict(defaults.renewal))
    return data


def _number_fields(carrier_default: str) -> dict[Any, Any]:
    return {
        vol.Optional(CONF_NAME): _TEXT,
        vol.Required(CONF_CARRIER, default=carrier_default): _carrier_selector(),
    }


def _plan_field() -> dict[Any, Any]:
    return {vol.Required(CONF_PLAN): section(PLAN_SECTION_SCHEMA, {"collapsed": True})}


def _line_label(line: LineSnapshot) -> str:
    return (
        f"{line.name} · {format_number(line.number)}" if line.name else format_number(line.number)
    )


def _pick_number_schema(
    lines: list[LineSnapshot], kind: ProviderKind, carrier: str | None = None
) -> vol.Schema:
    """API accounts: choose one of the account's numbers (with the account's default carrier)."""
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
            **_number_fields(carrier or suggested_carrier(kind, first)),
            **_plan_field(),
        }
    )


def _manual_number_schema() -> vol.Schema:
    """Manual accounts: type the number and what the carrier's app or SMS says about it."""
    return vol.Schema(
        {
            vol.Required(CONF_NUMBER): TextSelector(TextSelectorConfig(type=TextSelectorType.TEL)),
            **_number_fields("other"),
            vol.Required(CONF_BALANCE): _TEXT,
            vol.Required(CONF_EXPIRY_DATE): DateSelector(),
            vol.Optional(CONF_ACTIVITY_DATE): DateSelector(),
            vol.Required(CONF_AUTOPAY, default=False): BooleanSelector(),
            **_plan_field(),
        }
    )


def _picked_number(
    lines: Mapping[str, LineSnapshot], user_input: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(title, subentry data) for a number picked from an API account; KeeperError if bad."""
    line = lines[user_input[CONF_LINE_ID]]
    overrides = _plan_overrides(user_input.get(CONF_PLAN, {}))
    new_plan_from_settings(user_input[CONF_CARRIER], overrides)
    title = (
        (user_input.get(CONF_NAME) or "").strip()
        or line.name
        or masked_title(user_input[CONF_CARRIER], line.number)
    )
    return title[:64], {
        CONF_NUMBER: line.number,
        CONF_LINE_ID: line.line_id,
        CONF_CARRIER: user_input[CONF_CARRIER],
        CONF_PLAN: overrides,
    }


def _parse_day(raw: object) -> date:
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw))
    except ValueError as err:
        raise InvalidLedgerError("not a date") from err


def _manual_ledger(
    user_input: Mapping[str, Any], carrier: str, overrides: Mapping[str, Any]
) -> Ledger:
    """The ledger typed in a Manual number form: dates are days on the carrier's clock."""
    plan = new_plan_from_settings(carrier, overrides)
    now = dt_util.utcnow()
    activity = user_input.get(CONF_ACTIVITY_DATE)
    last_activity = None if not activity else start_of_day(_parse_day(activity), plan.tz)
    if last_activity is not None and last_activity > now:
        raise DateRangeError("the last use of a number cannot be in the future")
    return Ledger(
        balance=Money.parse(user_input[CONF_BALANCE], plan.currency),
        read_at=now,
        plan_expiry=start_of_day(_parse_day(user_input[CONF_EXPIRY_DATE]), plan.tz),
        last_activity=last_activity,
        carrier_autopay=bool(user_input.get(CONF_AUTOPAY, False)),
    )


def _manual_number(user_input: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(title, subentry data) for a Manual number; KeeperError if any value is bad."""
    number = normalize(user_input[CONF_NUMBER])
    carrier = user_input[CONF_CARRIER]
    overrides = _plan_overrides(user_input.get(CONF_PLAN, {}))
    ledger = _manual_ledger(user_input, carrier, overrides)
    title = (user_input.get(CONF_NAME) or "").strip() or PRESETS[carrier].name
    return title[:64], {
        CONF_NUMBER: number,
        CONF_LINE_ID: number,
        CONF_CARRIER: carrier,
        CONF_PLAN: overrides,
        CONF_LEDGER: ledger_to_data(ledger),
    }


type NumberForm = tuple[str, dict[str, Any]]


class NumberTakenError(KeeperError):
    """The number is already kept by an eSIM Keeper account (one number, one account)."""

    key = "number_taken"


def _free_manual_number(hass: HomeAssistant, user_input: Mapping[str, Any]) -> NumberForm:
    """A typed number that no account keeps yet (NumberTakenError otherwise)."""
    title, data = _manual_number(user_input)
    if data[CONF_NUMBER] in taken_numbers(hass):
        raise NumberTakenError("this number is already kept by an account")
    return title, data


def _number_subentry(data: dict[str, Any], line: LineSnapshot) -> dict[str, Any]:
    """A kept line's subentry, named like the ones keep-all adds later."""
    return _subentry(line_title(line, data[CONF_CARRIER]), data)


def _subentry(title: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "subentry_type": SUBENTRY_NUMBER,
        "title": title,
        "data": data,
        "unique_id": data[CONF_NUMBER],
    }


async def _validate(hass: HomeAssistant, data: Mapping[str, Any]) -> tuple[Provider, AccountInfo]:
    provider = create_provider(hass, data)
    return provider, await provider.async_validate()


def _connect_error(err: Exception) -> str:
    """The form error for a failed live check."""
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


def _read_number_form(
    flow: FlowHandler[Any, Any, Any],
    schema: vol.Schema,
    user_input: Mapping[str, Any] | None,
    read: Callable[[Mapping[str, Any]], NumberForm],
) -> tuple[NumberForm | None, vol.Schema, dict[str, str]]:
    """Read a number form: (title, subentry data) when valid; otherwise the schema to show again
    (with what was typed) and the translated error. Shared by every "add a number" step."""
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
        return await self._async_account_step(ProviderKind.MANUAL, user_input)

    async def async_step_http_bridge(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        return await self._async_account_step(ProviderKind.HTTP_BRIDGE, user_input)

    async def async_step_twilio(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_account_step(ProviderKind.TWILIO, user_input)

    async def async_step_telnyx(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_account_step(ProviderKind.TELNYX, user_input)

    async def async_step_demo(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        return await self._async_account_step(ProviderKind.DEMO, user_input)

    async def _async_account_step(
        self, kind: ProviderKind, user_input: dict[str, Any] | None
    ) -> ConfigFlowResult:
        """The account's credentials, checked live; then its first number."""
        step_id = kind.value
        schema = _credentials_schema(kind)
        if user_input is None:
            return self.async_show_form(step_id=step_id, data_schema=schema)
        data = {CONF_PROVIDER: kind.value, **_clean(user_input)}
        try:
            provider, self._account = await _validate(self.hass, data)
            if provider.capabilities.lists_lines:
                self._lines = dict((await provider.async_fetch()).lines)
        except Exception as err:  # noqa: BLE001  # every failure becomes a form error
            return self.async_show_form(
                step_id=step_id,
                data_schema=self.add_suggested_values_to_schema(schema, _not_secret(user_input)),
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
            subentries=[_subentry(title, number)],  # type: ignore[list-item]
        )

    async def async_step_keep_all(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Keep every line the carrier lists: the settings they (and later ones) start with."""
        kind = provider_kind(self._data)
        schema = vol.Schema(
            {
                vol.Optional(CONF_CARRIER): _carrier_selector(),
                **_plan_field(),
                vol.Required(CONF_RENEWAL): section(
                    _renewal_schema(tuple(PaymentMethod)), {"collapsed": True}
                ),
            }
        )
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                defaults = _defaults_data(
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
                        _number_subentry(rules.number_data(kind, line), line)  # type: ignore[misc]
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
        """The account's first number, picked from the numbers the carrier lists."""
        schema = _pick_number_schema(list(self._lines.values()), provider_kind(self._data))
        number, schema, errors = _read_number_form(
            self, schema, user_input, lambda form: _picked_number(self._lines, form)
        )
        if number is not None:
            return self._create(*number)
        return self.async_show_form(step_id="number", data_schema=schema, errors=errors)

    async def async_step_manual_number(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The first number of a Manual account: the number and what its carrier says now."""
        number, schema, errors = _read_number_form(
            self,
            _manual_number_schema(),
            user_input,
            lambda form: _free_manual_number(self.hass, form),
        )
        if number is not None:
            return self._create(*number)
        return self.async_show_form(step_id="manual_number", data_schema=schema, errors=errors)

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The carrier refused the stored credentials."""
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
            data = {**entry.data, **_clean(user_input)}
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
                _credentials_schema(kind), _not_secret(user_input or entry.data)
            ),
            description_placeholders={"account": entry.title},
            errors=errors,
        )


def _clean(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Trim typed text; drop empty optional fields."""
    out: dict[str, Any] = {}
    for key, raw in user_input.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if value not in (None, ""):
            out[key] = value
    return out


class EsimKeeperOptionsFlow(OptionsFlowWithReload):
    """Account options: how often to poll, how early a number counts as expiring, whether to keep
    every line the carrier lists, and the settings new numbers start with. Manual accounts also
    choose whether carrier e-mails (IMAP) and modem texts (Netgear LTE) are read directly, from
    which senders: only hand-kept records take facts from messages."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        entry = self.config_entry
        kind = provider_kind(entry.data)
        lists_lines = kind is not ProviderKind.MANUAL
        errors: dict[str, str] = {}
        if user_input is not None:
            raw = dict(user_input.get(CONF_DEFAULTS, {}))
            try:
                chosen: dict[str, Any] = {
                    CONF_SCAN_INTERVAL: _whole(user_input[CONF_SCAN_INTERVAL], KeeperError),
                    CONF_WARN_DAYS: _whole(user_input[CONF_WARN_DAYS], KeeperError),
                }
                if lists_lines:
                    chosen[CONF_KEEP_ALL] = user_input.get(CONF_KEEP_ALL) == LINES_KEEP_ALL
                chosen[CONF_DEFAULTS] = _defaults_data(
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
            ): _days(MIN_SCAN_MINUTES[kind], MAX_SCAN_MINUTES),
            vol.Required(
                CONF_WARN_DAYS, default=options.get(CONF_WARN_DAYS, DEFAULT_WARN_DAYS)
            ): _days(1, 365),
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
                ): _TEXT,
            }
        defaults_schema = dict(PLAN_SECTION_SCHEMA.schema)
        defaults_schema = {vol.Optional(CONF_CARRIER): _carrier_selector(), **defaults_schema}
        if lists_lines:
            defaults_schema |= _renewal_schema(self._payment_methods()).schema
        fields[vol.Required(CONF_DEFAULTS, default={})] = section(
            vol.Schema(defaults_schema), {"collapsed": True}
        )
        suggested = user_input or {CONF_DEFAULTS: _defaults_form(options)}
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

    def _payment_methods(self) -> tuple[PaymentMethod, ...]:
        runtime = getattr(self.config_entry, "runtime_data", None)
        if runtime is not None and runtime.provider.capabilities.payment_methods:
            methods: tuple[PaymentMethod, ...] = runtime.provider.capabilities.payment_methods
            return methods
        return tuple(PaymentMethod)


LINES_KEEP_ALL = "keep_all"
LINES_PICK = "pick"


def _defaults_form(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options form's "new numbers" section, filled with the stored defaults."""
    stored = NumberDefaults.from_options(options)
    values: dict[str, Any] = {CONF_SPEND_CAP: DEFAULT_SPEND_CAP, **stored.plan, **stored.renewal}
    if stored.carrier:
        values[CONF_CARRIER] = stored.carrier
    return values


def _renewal_schema(methods: tuple[PaymentMethod, ...]) -> vol.Schema:
    return vol.Schema(
        {
            vol.Optional(CONF_PAYMENT_METHODS): SelectSelector(
                SelectSelectorConfig(
                    options=[m.value for m in methods],
                    multiple=True,
                    mode=SelectSelectorMode.DROPDOWN,
                    translation_key="payment_method",
                    sort=False,
                )
            ),
            vol.Optional(CONF_SPEND_CAP): _TEXT,
            vol.Required(CONF_AUTO_RENEW, default=AutoRenewMode.OFF.value): SelectSelector(
                SelectSelectorConfig(
                    options=[m.value for m in AutoRenewMode],
                    mode=SelectSelectorMode.LIST,
                    translation_key="auto_renew",
                )
            ),
            vol.Optional(CONF_AUTO_RENEW_DAYS, default=3): _days(0, 60),
            vol.Optional(CONF_AUTO_RENEW_DAY, default=1): _days(1, 28),
        }
    )


MESSAGES_SCHEMA = vol.Schema(
    {vol.Optional(CONF_CUSTOM_PATTERN): _TEXT, vol.Optional(CONF_CUSTOM_SENDER): _TEXT}
)
KEEP_ALIVE_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_NOTIFY_ENTITY): EntitySelector(EntitySelectorConfig(domain="notify")),
        vol.Optional(CONF_NOTIFY_ACTION): _TEXT,
        vol.Optional(CONF_RECIPIENT): _TEXT,
        vol.Optional(CONF_KEEP_ALIVE_TEXT): _TEXT,
    }
)


class KeepAliveIncompleteError(KeeperError):
    """A keep-alive message needs a text and one way to send it (an entity or an action)."""

    key = "keep_alive_incomplete"


class KeepAliveActionError(KeeperError):
    """The keep-alive action is not a notify action Home Assistant has."""

    key = "keep_alive_action_unknown"


def _keep_alive(hass: HomeAssistant, raw: Mapping[str, Any]) -> dict[str, str]:
    """A number's keep-alive message settings ({} for none); KeeperError when incomplete."""
    values = {
        key: str(raw.get(key) or "").strip()
        for key in (CONF_NOTIFY_ENTITY, CONF_NOTIFY_ACTION, CONF_RECIPIENT, CONF_KEEP_ALIVE_TEXT)
    }
    if not any(values.values()):
        return {}
    entity, action = values[CONF_NOTIFY_ENTITY], values[CONF_NOTIFY_ACTION]
    if not values[CONF_KEEP_ALIVE_TEXT] or bool(entity) == bool(action):
        raise KeepAliveIncompleteError("a text and either a notify entity or a notify action")
    if action:
        domain, _, service = action.partition(".")
        if domain != "notify" or not hass.services.has_service(domain, service):
            raise KeepAliveActionError("not a notify action of this Home Assistant")
    return values


class NumberSubentryFlow(ConfigSubentryFlow):
    """Add a number to an account, or change one."""

    def __init__(self) -> None:
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
        schema = _pick_number_schema(list(self._lines.values()), self._kind(), defaults.carrier)
        number, schema, errors = _read_number_form(
            self, schema, user_input, lambda form: _picked_number(self._lines, form)
        )
        if number is not None:
            title, data = number
            data = _with_defaults(data, defaults)
            return self.async_create_entry(title=title, data=data, unique_id=data[CONF_NUMBER])
        return self.async_show_form(step_id="user", data_schema=schema, errors=errors)

    async def async_step_manual(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        number, schema, errors = _read_number_form(
            self,
            _manual_number_schema(),
            user_input,
            lambda form: _free_manual_number(self.hass, form),
        )
        if number is not None:
            title, data = number
            data = _with_defaults(data, NumberDefaults.from_options(self._get_entry().options))
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
        methods = self._payment_methods()
        errors: dict[str, str] = {}
        if user_input is not None:
            try:
                new_data = self._reconfigured(data, user_input, kind)
                new_data |= await self._async_message_settings(new_data, user_input, kind)
            except KeeperError as err:
                errors["base"] = err.key
            else:
                title = (user_input.get(CONF_NAME) or "").strip() or subentry.title
                return self.async_update_reload_and_abort(
                    entry, subentry, title=title[:64], data=new_data
                )
        fields: dict[Any, Any] = {
            vol.Required(CONF_NAME): _TEXT,
            vol.Required(CONF_CARRIER): _carrier_selector(),
        }
        if kind is ProviderKind.MANUAL:
            fields |= {
                vol.Required(CONF_BALANCE): _TEXT,
                vol.Required(CONF_EXPIRY_DATE): DateSelector(),
                vol.Optional(CONF_ACTIVITY_DATE): DateSelector(),
                vol.Required(CONF_AUTOPAY, default=False): BooleanSelector(),
            }
        fields |= _plan_field()
        fields[vol.Required(CONF_RENEWAL)] = section(_renewal_schema(methods), {"collapsed": True})
        if kind is ProviderKind.MANUAL:
            fields[vol.Optional(CONF_MESSAGES)] = section(MESSAGES_SCHEMA, {"collapsed": True})
        if plan_from_settings(data[CONF_CARRIER], data.get(CONF_PLAN, {})).activity_days:
            fields[vol.Optional(CONF_KEEP_ALIVE)] = section(KEEP_ALIVE_SCHEMA, {"collapsed": True})
        schema = self.add_suggested_values_to_schema(
            vol.Schema(fields), user_input or self._current_values(subentry.title, data)
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

    def _payment_methods(self) -> tuple[PaymentMethod, ...]:
        """The methods this account's provider accepts (all, if it is not loaded)."""
        entry = self._get_entry()
        runtime = getattr(entry, "runtime_data", None)
        if runtime is not None and runtime.provider.capabilities.payment_methods:
            methods: tuple[PaymentMethod, ...] = runtime.provider.capabilities.payment_methods
            return methods
        return tuple(PaymentMethod)

    @staticmethod
    def _current_values(title: str, data: Mapping[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            CONF_NAME: title,
            CONF_CARRIER: data[CONF_CARRIER],
            CONF_PLAN: dict(data.get(CONF_PLAN, {})),
            CONF_RENEWAL: {CONF_SPEND_CAP: DEFAULT_SPEND_CAP, **data.get(CONF_RENEWAL, {})},
            CONF_MESSAGES: dict(data.get(CONF_MESSAGES, {})),
            CONF_KEEP_ALIVE: dict(data.get(CONF_KEEP_ALIVE, {})),
        }
        if (raw := data.get(CONF_LEDGER)) is not None:
            # Today's balance and expiry (the ledger moved forward), so that saving the form
            # unchanged records the same state as now.
            plan = plan_from_settings(data[CONF_CARRIER], data.get(CONF_PLAN, {}))
            ledger = ledger_from_data(raw, plan.currency)
            today = project_ledger(ledger, plan, dt_util.utcnow())
            values[CONF_BALANCE] = str(today.balance.amount)
            # An expiry the carrier's autopay is only assumed to have reached is not offered as a
            # fact: saving the form unchanged must not confirm a charge nobody confirmed.
            expiry = ledger.plan_expiry if today.assumed_cycles else today.plan_expiry
            values[CONF_EXPIRY_DATE] = local_date(expiry, plan.tz).isoformat()
            if ledger.last_activity is not None:
                values[CONF_ACTIVITY_DATE] = local_date(ledger.last_activity, plan.tz).isoformat()
            values[CONF_AUTOPAY] = ledger.carrier_autopay
        return values

    async def _async_message_settings(
        self, new_data: Mapping[str, Any], user_input: Mapping[str, Any], kind: ProviderKind
    ) -> dict[str, Any]:
        """The number's custom pattern (validated in the executor: validation times it) and its
        keep-alive message; KeeperError when a value is bad."""
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
            out[CONF_KEEP_ALIVE] = _keep_alive(self.hass, user_input[CONF_KEEP_ALIVE])
        return out

    @staticmethod
    def _reconfigured(
        data: Mapping[str, Any], user_input: Mapping[str, Any], kind: ProviderKind
    ) -> dict[str, Any]:
        """The number's new subentry data; KeeperError when a value is bad."""
        carrier = user_input[CONF_CARRIER]
        overrides = _plan_overrides(user_input.get(CONF_PLAN, {}))
        plan = new_plan_from_settings(carrier, overrides)
        new_data = {
            **data,
            CONF_CARRIER: carrier,
            CONF_PLAN: overrides,
            CONF_RENEWAL: _renewal_data(user_input.get(CONF_RENEWAL, {}), plan.currency),
        }
        if kind is ProviderKind.MANUAL:
            new_data[CONF_LEDGER] = ledger_to_data(_manual_ledger(user_input, carrier, overrides))
        return new_data
