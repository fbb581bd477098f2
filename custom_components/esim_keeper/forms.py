"""Reading and writing the config flows' forms: fields, defaults and subentry data.

Every value a user types is validated by the keeper layer here; a bad value raises a
``KeeperError`` whose ``key`` is the form error, and nothing is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Final

from homeassistant.config_entries import ConfigSubentryData
from homeassistant.core import HomeAssistant
from homeassistant.data_entry_flow import section
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

from .client import SECRET_KEYS, suggested_carrier
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
    CONF_KEEP_ALIVE,
    CONF_KEEP_ALIVE_TEXT,
    CONF_LEDGER,
    CONF_LINE_ID,
    CONF_MESSAGES,
    CONF_NAME,
    CONF_NOTIFY_ACTION,
    CONF_NOTIFY_ENTITY,
    CONF_NUMBER,
    CONF_PAYMENT_METHODS,
    CONF_PLAN,
    CONF_RECIPIENT,
    CONF_RENEWAL,
    CONF_SPEND_CAP,
    CONF_TOKEN,
    CONF_URL,
    DEFAULT_SPEND_CAP,
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
from .keeper.model import LineSnapshot, PaymentMethod
from .keeper.money import Money
from .keeper.phone import format_number, normalize
from .keeper.providers.base import ProviderKind
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

# Manual number form fields: what the carrier's app or SMS says about the number today.
CONF_BALANCE = "balance"
CONF_EXPIRY_DATE = "plan_expiry"
CONF_ACTIVITY_DATE = "last_activity"
CONF_AUTOPAY = "carrier_autopay"

# The options form's choice for an account that lists its lines.
LINES_KEEP_ALL = "keep_all"
LINES_PICK = "pick"

_PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
_URL = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
TEXT = TextSelector()
PATTERN_EXAMPLE: Final = "(?P<balance>[0-9.]+)"  # a custom pattern's named group, for the help text


def _whole_number_box(minimum: int, maximum: int) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=minimum, max=maximum, step=1, mode=NumberSelectorMode.BOX)
    )


def days_field(minimum: int, maximum: int = 3660) -> NumberSelector:
    """Build a field for a whole number of days."""
    return _whole_number_box(minimum, maximum)


def minutes_field(minimum: int, maximum: int) -> NumberSelector:
    """Build a field for a whole number of minutes."""
    return _whole_number_box(minimum, maximum)


def day_of_month_field() -> NumberSelector:
    """Build a field for a day of the month (1 to 28: every month has it)."""
    return _whole_number_box(1, 28)


def credentials_schema(kind: ProviderKind) -> vol.Schema:
    """Build the credential fields of a provider kind (none for Manual and Demo)."""
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
                vol.Required(CONF_ACCOUNT_SID): TEXT,
                vol.Optional(CONF_API_KEY_SID): TEXT,
                vol.Required(CONF_AUTH_SECRET): _PASSWORD,
            }
        )
    if kind is ProviderKind.TELNYX:
        return vol.Schema({vol.Required(CONF_API_KEY): _PASSWORD})
    return vol.Schema({})


def not_secret(values: Mapping[str, Any]) -> dict[str, Any]:
    """Values that may be shown back in a form: never a token or secret."""
    return {k: v for k, v in values.items() if k not in SECRET_KEYS}


def clean_input(user_input: Mapping[str, Any]) -> dict[str, Any]:
    """Trim typed text; drop empty optional fields."""
    out: dict[str, Any] = {}
    for key, raw in user_input.items():
        value = raw.strip() if isinstance(raw, str) else raw
        if value not in (None, ""):
            out[key] = value
    return out


def carrier_selector() -> SelectSelector:
    """Build the carrier drop-down, in the presets' order."""
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
        vol.Optional("renewal_cost"): TEXT,
        vol.Optional("cycle_days"): days_field(1),
        vol.Optional("grace_days"): days_field(0),
        vol.Optional("activity_days"): days_field(1),
    }
)


def whole_number(value: Any, error: type[KeeperError]) -> int:
    """Read a whole number from a number field; ``error`` if it is not one.

    The number selector lets "NaN" through as a float NaN, which ``int()`` cannot convert:
    refuse it (and fractions) with ``error``.
    """
    if isinstance(value, float) and not value.is_integer():
        raise error("a whole number is needed")
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as err:
        raise error("a whole number is needed") from err


def plan_overrides(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Keep only the overrides the user filled in, as the types the keeper wants."""
    overrides: dict[str, Any] = {}
    for key, value in raw.items():
        if value in (None, ""):
            continue
        if key == "renewal_cost":
            overrides[key] = str(value).strip()
        else:
            overrides[key] = whole_number(value, InvalidPlanError)
    return overrides


RENEWAL_FIELDS = (
    CONF_PAYMENT_METHODS,
    CONF_SPEND_CAP,
    CONF_AUTO_RENEW,
    CONF_AUTO_RENEW_DAYS,
    CONF_AUTO_RENEW_DAY,
)


def renewal_schema(methods: tuple[PaymentMethod, ...]) -> vol.Schema:
    """Build the renewal fields: payment methods, spending cap and when to auto-renew."""
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
            vol.Optional(CONF_SPEND_CAP): TEXT,
            vol.Required(CONF_AUTO_RENEW, default=AutoRenewMode.OFF.value): SelectSelector(
                SelectSelectorConfig(
                    options=[m.value for m in AutoRenewMode],
                    mode=SelectSelectorMode.LIST,
                    translation_key="auto_renew",
                )
            ),
            vol.Optional(CONF_AUTO_RENEW_DAYS, default=3): days_field(0, 60),
            vol.Optional(CONF_AUTO_RENEW_DAY, default=1): day_of_month_field(),
        }
    )


def renewal_data(raw: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """Renewal settings typed in a form, validated by the keeper, in their stored form."""
    raw_renewal = dict(raw)
    raw_renewal.setdefault(CONF_SPEND_CAP, "")
    for key in (CONF_AUTO_RENEW_DAYS, CONF_AUTO_RENEW_DAY):
        if key in raw_renewal:
            raw_renewal[key] = whole_number(raw_renewal[key], InvalidLeadDaysError)
    return RenewalSettings.from_data(
        {k: v.strip() if isinstance(v, str) else v for k, v in raw_renewal.items()}, currency
    ).to_data()


class DefaultsNeedCarrierError(KeeperError):
    """Plan defaults without a carrier preset to apply them to."""

    key = "defaults_need_carrier"


def defaults_data(
    carrier: str | None,
    plan: Mapping[str, Any],
    renewal: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """Read an account's settings for new numbers (options ``new_numbers``); KeeperError if bad.

    ``renewal`` is None for hand-kept accounts: eSIM Keeper never pays their numbers.
    """
    overrides = plan_overrides(plan)
    currency = "USD"
    if carrier:
        currency = new_plan_from_settings(carrier, overrides).currency
    elif overrides:
        raise DefaultsNeedCarrierError("plan defaults need a carrier")
    data: dict[str, Any] = {CONF_CARRIER: carrier or None, CONF_PLAN: overrides}
    if renewal is not None:
        data[CONF_RENEWAL] = renewal_data(renewal, currency)
    return data


def defaults_form_values(options: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the options form's "new numbers" section with the stored defaults."""
    stored = NumberDefaults.from_options(options)
    values: dict[str, Any] = {CONF_SPEND_CAP: DEFAULT_SPEND_CAP, **stored.plan, **stored.renewal}
    if stored.carrier:
        values[CONF_CARRIER] = stored.carrier
    return values


def with_defaults(data: dict[str, Any], defaults: NumberDefaults) -> dict[str, Any]:
    """Fill the settings a number form left empty with the account's defaults.

    The number's own settings win.
    """
    if not data.get(CONF_PLAN) and data[CONF_CARRIER] == defaults.carrier:
        data[CONF_PLAN] = dict(defaults.plan)
    if defaults.renewal and CONF_LEDGER not in data:
        data.setdefault(CONF_RENEWAL, dict(defaults.renewal))
    return data


def _number_fields(carrier_default: str) -> dict[Any, Any]:
    return {
        vol.Optional(CONF_NAME): TEXT,
        vol.Required(CONF_CARRIER, default=carrier_default): carrier_selector(),
    }


def plan_field() -> dict[Any, Any]:
    """Build the collapsed plan section (overrides of the carrier preset)."""
    return {vol.Required(CONF_PLAN): section(PLAN_SECTION_SCHEMA, {"collapsed": True})}


def _line_label(line: LineSnapshot) -> str:
    return (
        f"{line.name} · {format_number(line.number)}" if line.name else format_number(line.number)
    )


def pick_number_schema(
    lines: list[LineSnapshot], kind: ProviderKind, carrier: str | None = None
) -> vol.Schema:
    """Build the form of API accounts: choose one of the account's numbers (and its carrier)."""
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
            **plan_field(),
        }
    )


def manual_number_schema() -> vol.Schema:
    """Manual accounts: type the number and what the carrier's app or SMS says about it."""
    return vol.Schema(
        {
            vol.Required(CONF_NUMBER): TextSelector(TextSelectorConfig(type=TextSelectorType.TEL)),
            **_number_fields("other"),
            vol.Required(CONF_BALANCE): TEXT,
            vol.Required(CONF_EXPIRY_DATE): DateSelector(),
            vol.Optional(CONF_ACTIVITY_DATE): DateSelector(),
            vol.Required(CONF_AUTOPAY, default=False): BooleanSelector(),
            **plan_field(),
        }
    )


def picked_number(
    lines: Mapping[str, LineSnapshot], user_input: Mapping[str, Any]
) -> tuple[str, dict[str, Any]]:
    """(title, subentry data) for a number picked from an API account; KeeperError if bad."""
    line = lines[user_input[CONF_LINE_ID]]
    overrides = plan_overrides(user_input.get(CONF_PLAN, {}))
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


def manual_ledger(
    user_input: Mapping[str, Any], carrier: str, overrides: Mapping[str, Any]
) -> Ledger:
    """Read the ledger typed in a Manual number form: dates are days on the carrier's clock."""
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
    overrides = plan_overrides(user_input.get(CONF_PLAN, {}))
    ledger = manual_ledger(user_input, carrier, overrides)
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


def free_manual_number(hass: HomeAssistant, user_input: Mapping[str, Any]) -> NumberForm:
    """Read a typed number that no account keeps yet (NumberTakenError otherwise)."""
    title, data = _manual_number(user_input)
    if data[CONF_NUMBER] in taken_numbers(hass):
        raise NumberTakenError("this number is already kept by an account")
    return title, data


def line_subentry(data: dict[str, Any], line: LineSnapshot) -> ConfigSubentryData:
    """Build a kept line's subentry, named like the ones keep-all adds later."""
    return number_subentry(line_title(line, data[CONF_CARRIER]), data)


def number_subentry(title: str, data: dict[str, Any]) -> ConfigSubentryData:
    """Build a number's subentry, for an account created with its numbers."""
    return {
        "subentry_type": SUBENTRY_NUMBER,
        "title": title,
        "data": data,
        "unique_id": data[CONF_NUMBER],
    }


MESSAGES_SCHEMA = vol.Schema(
    {vol.Optional(CONF_CUSTOM_PATTERN): TEXT, vol.Optional(CONF_CUSTOM_SENDER): TEXT}
)


KEEP_ALIVE_SCHEMA = vol.Schema(
    {
        vol.Optional(CONF_NOTIFY_ENTITY): EntitySelector(EntitySelectorConfig(domain="notify")),
        vol.Optional(CONF_NOTIFY_ACTION): TEXT,
        vol.Optional(CONF_RECIPIENT): TEXT,
        vol.Optional(CONF_KEEP_ALIVE_TEXT): TEXT,
    }
)


class KeepAliveIncompleteError(KeeperError):
    """A keep-alive message needs a text and one way to send it (an entity or an action)."""

    key = "keep_alive_incomplete"


class KeepAliveActionError(KeeperError):
    """The keep-alive action is not a notify action Home Assistant has."""

    key = "keep_alive_action_unknown"


def keep_alive_data(hass: HomeAssistant, raw: Mapping[str, Any]) -> dict[str, str]:
    """Read a number's keep-alive message settings ({} for none); KeeperError when incomplete."""
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


def number_form_values(title: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """Fill the number reconfigure form with the number's stored settings and records."""
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


def reconfigured_number_data(
    data: Mapping[str, Any], user_input: Mapping[str, Any], kind: ProviderKind
) -> dict[str, Any]:
    """Read the number reconfigure form into new subentry data; KeeperError when bad."""
    carrier = user_input[CONF_CARRIER]
    overrides = plan_overrides(user_input.get(CONF_PLAN, {}))
    plan = new_plan_from_settings(carrier, overrides)
    new_data = {
        **data,
        CONF_CARRIER: carrier,
        CONF_PLAN: overrides,
        CONF_RENEWAL: renewal_data(user_input.get(CONF_RENEWAL, {}), plan.currency),
    }
    if kind is ProviderKind.MANUAL:
        new_data[CONF_LEDGER] = ledger_to_data(manual_ledger(user_input, carrier, overrides))
    return new_data
