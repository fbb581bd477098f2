"""Constants of the Home Assistant layer: keys of entry data, options and subentry data."""

from __future__ import annotations

from datetime import timedelta
import logging
from typing import Final

from .keeper.providers.base import ProviderKind

DOMAIN: Final = "esim_keeper"
LOGGER = logging.getLogger(__package__)

# Config entry data (the account).
CONF_PROVIDER: Final = "provider"
CONF_URL: Final = "url"  # HTTP bridge base URL (without /v1)
# HTTP bridge: the user allowed plain http:// to a public address (a repair issue says the risk)
CONF_ALLOW_HTTP: Final = "allow_http"
CONF_TOKEN: Final = "token"  # noqa: S105  # key of the HTTP bridge bearer token
CONF_ACCOUNT_SID: Final = "account_sid"  # Twilio
CONF_API_KEY_SID: Final = "api_key_sid"  # Twilio API key SID (optional; preferred)
CONF_AUTH_SECRET: Final = "auth_secret"  # noqa: S105  # key of the Twilio token/key secret
CONF_API_KEY: Final = "api_key"  # Telnyx
CONF_BASE_URL: Final = "base_url"  # API base URL override (tests and the simulator only)

# Number subentries.
SUBENTRY_NUMBER: Final = "number"
CONF_NUMBER: Final = "number"
CONF_LINE_ID: Final = "line_id"
CONF_NAME: Final = "name"
CONF_CARRIER: Final = "carrier"
CONF_PLAN: Final = "plan"
CONF_LEDGER: Final = "ledger"  # Manual numbers: the user's balance record

CONF_RENEWAL: Final = "renewal"  # per-number renewal settings (see lines.RenewalSettings)

# Renewal settings fields (inside CONF_RENEWAL).
CONF_PAYMENT_METHODS: Final = "payment_methods"  # ordered list of PaymentMethod values
CONF_SPEND_CAP: Final = "spend_cap"  # decimal string: most that may be spent per 30 days
CONF_AUTO_RENEW: Final = "auto_renew"  # an AutoRenewMode value
CONF_AUTO_RENEW_DAYS: Final = "auto_renew_days"  # DAYS_BEFORE mode: renew N days before expiry
CONF_AUTO_RENEW_DAY: Final = "auto_renew_day"  # SCHEDULED mode: day of the month (1-28)
DEFAULT_SPEND_CAP: Final = "50"

# Manual ledger fields (inside CONF_LEDGER).
LEDGER_BALANCE: Final = "balance"
LEDGER_READ_AT: Final = "read_at"
LEDGER_EXPIRY: Final = "plan_expiry"
LEDGER_ACTIVITY: Final = "last_activity"
# A number whose carrier does not report activity: when the user last said "I used this number".
CONF_USER_ACTIVITY: Final = "user_activity"
LEDGER_AUTO_DEDUCT: Final = "auto_deduct"
LEDGER_AUTOPAY: Final = "carrier_autopay"  # the carrier charges the user's card every cycle
LEDGER_AUTOPAY_FAILED: Final = "autopay_failed"  # the user said the last autopay charge failed

# Account options.
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_WARN_DAYS: Final = "warn_days"
DEFAULT_WARN_DAYS: Final = 7
CONF_KEEP_ALL: Final = "keep_all"  # API accounts: every line the carrier lists is kept
CONF_DEFAULTS: Final = "new_numbers"  # settings a new number starts with (see pool.NumberDefaults)

# Number subentries: the user said a line the carrier stopped listing is still theirs.
CONF_KEEP_UNLISTED: Final = "keep_unlisted"

# Poll interval per provider kind (minutes): a default, and a floor the options flow enforces so
# that carriers do not lock the account out for polling too often.
DEFAULT_SCAN_MINUTES: Final[dict[ProviderKind, int]] = {
    ProviderKind.MANUAL: 60,
    ProviderKind.DEMO: 5,
    ProviderKind.HTTP_BRIDGE: 60,
    ProviderKind.TWILIO: 60,
    ProviderKind.TELNYX: 60,
}
MIN_SCAN_MINUTES: Final[dict[ProviderKind, int]] = {
    ProviderKind.MANUAL: 5,
    ProviderKind.DEMO: 1,
    ProviderKind.HTTP_BRIDGE: 15,
    ProviderKind.TWILIO: 15,
    ProviderKind.TELNYX: 15,
}
MAX_SCAN_MINUTES: Final = 24 * 60


def scan_interval(kind: ProviderKind, options: dict[str, object] | None) -> timedelta:
    """Return the poll interval for an account.

    Its option when set, never below the provider's floor.
    """
    minutes = (options or {}).get(CONF_SCAN_INTERVAL, DEFAULT_SCAN_MINUTES[kind])
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        minutes = DEFAULT_SCAN_MINUTES[kind]
    return timedelta(minutes=max(MIN_SCAN_MINUTES[kind], min(int(minutes), MAX_SCAN_MINUTES)))


# How a device shows where its data comes from (the "model" of number and account devices), in
# English: the shown model is translated (selector.provider.options, texts.device_model) and the
# stable model_id is the provider kind ("manual"), which blueprints and automations match on.
PROVIDER_MODELS: Final[dict[ProviderKind, str]] = {
    ProviderKind.MANUAL: "Own records",
    ProviderKind.HTTP_BRIDGE: "HTTP bridge",
    ProviderKind.TWILIO: "Twilio",
    ProviderKind.TELNYX: "Telnyx",
    ProviderKind.DEMO: "Demo carrier",
}

# Carrier texts and e-mails in (ingest.py): account options of Manual accounts.
CONF_LISTEN_IMAP: Final = "listen_imap"  # read imap_content events
CONF_LISTEN_NETGEAR_LTE: Final = "listen_netgear_lte"  # read netgear_lte_sms events
CONF_MESSAGE_SENDERS: Final = "message_senders"  # comma-separated sender filter ("" = any)

# Number subentries: the number's own message pattern and its keep-alive message.
CONF_MESSAGES: Final = "messages"
CONF_CUSTOM_PATTERN: Final = "custom_pattern"
CONF_CUSTOM_SENDER: Final = "custom_sender"
CONF_KEEP_ALIVE: Final = "keep_alive"
CONF_NOTIFY_ENTITY: Final = "notify_entity"
CONF_NOTIFY_ACTION: Final = "notify_action"
CONF_RECIPIENT: Final = "recipient"
CONF_KEEP_ALIVE_TEXT: Final = "text"
