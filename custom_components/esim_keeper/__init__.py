"""eSIM Keeper: keep prepaid US numbers alive from Home Assistant.

One config entry is one account (a provider connection); each phone number is a config subentry
with its own device. The Home Assistant constraints that shaped this module:

- Number changes are followed through the ``SIGNAL_CONFIG_ENTRY_CHANGED`` dispatcher signal, not
  an update listener: Home Assistant refuses ``async_update_reload_and_abort`` (used by reauth,
  reconfigure and the number reconfigure flow) on an entry that has update listeners, and the
  options flow reloads through ``OptionsFlowWithReload`` for the same reason.
- Adding a number (subentry) or removing one does not reload the account: the signal makes the
  coordinator read the subentries again and poll, and its listeners add the new number's
  entities (a removed number's device and entities are cleared by Home Assistant itself).
  Reconfiguring a number does reload the account, and must: which entities a number has
  depends on its settings (the activity entities exist only when its plan has an activity limit).
- Payment state lives in ``hass.data`` (payments.py), not in ``runtime_data``: runtime data is
  dropped on every reload, and a payment in flight during one must record into the same
  history, so that a renewal never charges twice and no record is lost.
"""

from __future__ import annotations

from homeassistant.config_entries import (
    SIGNAL_CONFIG_ENTRY_CHANGED,
    ConfigEntry,
    ConfigEntryChange,
)
from homeassistant.const import Platform
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import config_validation as cv, issue_registry as ir
from homeassistant.helpers.dispatcher import async_dispatcher_connect
from homeassistant.helpers.typing import ConfigType

from . import texts
from .client import create_provider, provider_kind
from .const import (
    CONF_ALLOW_HTTP,
    CONF_AUTO_RENEW,
    CONF_NUMBER,
    CONF_RENEWAL,
    CONF_URL,
    DOMAIN,
    LOGGER,
    SUBENTRY_NUMBER,
)
from .coordinator import AccountCoordinator
from .history import PaymentHistory
from .ingest import async_setup_inbox, async_setup_listeners, check_warnings
from .installer import async_install_shipped_files
from .intent import async_setup_intents
from .keep_alive import KeepAlive
from .keeper.phone import mask
from .keeper.providers._http import sends_token_in_clear
from .keeper.providers.base import ProviderKind
from .lines import AutoRenewMode
from .payments import payment_state
from .pool import LinePool
from .renewal import RenewalEngine
from .runtime import EsimKeeperConfigEntry, EsimKeeperRuntime
from .services import async_setup_services
from .spending import SpendingStatistics

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS: list[Platform] = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.CALENDAR,
    Platform.EVENT,
    Platform.SENSOR,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Set up the integration (actions are registered here, once, for every account)."""
    async_setup_services(hass)
    await async_setup_inbox(hass)
    await async_setup_intents(hass)
    await async_install_shipped_files(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> bool:
    """Connect an account, poll it once, and create its numbers' entities."""
    check_plain_http(hass, entry)
    provider = create_provider(hass, entry.data)
    coordinator = AccountCoordinator(hass, entry, provider)
    # The history outlives reloads: a payment in flight during one records into the same one.
    history = await payment_state(hass).async_history(
        hass, entry.entry_id, {c.subentry_id: c.number for c in coordinator.numbers.values()}
    )
    await coordinator.async_config_entry_first_refresh()
    engine = RenewalEngine(hass, entry, coordinator, provider, history)
    entry.runtime_data = EsimKeeperRuntime(
        provider=provider, coordinator=coordinator, renewals=engine
    )

    @callback
    def _entry_changed(change: ConfigEntryChange, changed: ConfigEntry) -> None:
        """Follow a number that was added or removed (a changed one also reloads the account)."""
        if change is not ConfigEntryChange.UPDATED or changed.entry_id != entry.entry_id:
            return
        if coordinator.sync_numbers():
            entry.async_create_background_task(
                hass, _refresh_numbers(coordinator), f"{DOMAIN} numbers changed"
            )

    entry.async_on_unload(
        async_dispatcher_connect(hass, SIGNAL_CONFIG_ENTRY_CHANGED, _entry_changed)
    )
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    # After the platforms: renewals settled at start-up reach the event entities.
    await engine.async_start()
    if provider.capabilities.lists_lines:
        LinePool(hass, entry, coordinator).async_start()
    SpendingStatistics(hass, entry, history).async_start()
    # Carrier texts and e-mails in (account options), warnings answered, keep-alive texts out.
    async_setup_listeners(hass, entry)
    keep_alive = KeepAlive(hass, entry)

    @callback
    def _polled() -> None:
        check_warnings(hass, entry)
        keep_alive.check()

    entry.async_on_unload(coordinator.async_add_listener(_polled))
    _polled()
    return True


async def _refresh_numbers(coordinator: AccountCoordinator) -> None:
    """Poll after a number was added or removed."""
    await coordinator.async_refresh()
    # Listeners add the new numbers' entities even when the poll itself brought nothing new.
    coordinator.async_update_listeners()


async def async_unload_entry(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> bool:
    """Unload an account's platforms."""
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: EsimKeeperConfigEntry) -> None:
    """Delete a removed account's payment history (and its plain-http issue)."""
    ir.async_delete_issue(hass, DOMAIN, f"{ISSUE_PLAIN_HTTP}_{entry.entry_id}")
    history = payment_state(hass).histories.pop(entry.entry_id, None)
    await (history or PaymentHistory(hass, entry.entry_id)).async_remove()


ISSUE_HAND_KEPT_AUTO_RENEW = "hand_kept_auto_renew_off"
ISSUE_PLAIN_HTTP = "bridge_plain_http"


@callback
def check_plain_http(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Raise a repair issue while a bridge account sends its token over plain http://.

    Only to a public address, and only when the user allowed it; the issue goes when the address
    is https:// or local again.

    Not fixable by a click: only the bridge can offer https:// (or be put behind a VPN such as
    Tailscale); the address is changed under Reconfigure, the one form that edits it.
    """
    issue = f"{ISSUE_PLAIN_HTTP}_{entry.entry_id}"
    url = entry.data.get(CONF_URL)
    try:
        in_clear = (
            provider_kind(entry.data) is ProviderKind.HTTP_BRIDGE
            and isinstance(url, str)
            and sends_token_in_clear(url)
        )
    except ValueError:
        in_clear = False  # not an http(s) address at all: the provider refuses it
    if not in_clear or not entry.data.get(CONF_ALLOW_HTTP):
        ir.async_delete_issue(hass, DOMAIN, issue)
        return
    ir.async_create_issue(
        hass,
        DOMAIN,
        issue,
        is_fixable=False,
        severity=ir.IssueSeverity.WARNING,
        translation_key=ISSUE_PLAIN_HTTP,
        translation_placeholders={"account": entry.title},
    )


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Bring an account stored by an older version up to date.

    1.1 -> 1.2: hand-kept numbers never pay, so auto-renew (which used to record a payment nobody
    made) is switched off once on each of them, with a repair issue that says why.
    """
    if entry.version > 1:
        return False  # a newer version stored this: do not guess
    if entry.minor_version < 2:
        if provider_kind(entry.data) is ProviderKind.MANUAL:
            _switch_off_hand_kept_auto_renew(hass, entry)
        hass.config_entries.async_update_entry(entry, minor_version=2)
    return True


def _switch_off_hand_kept_auto_renew(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Switch off auto-renew on every hand-kept number (migration to 1.2), with a repair issue."""
    names = []
    for subentry in entry.subentries.values():
        renewal = dict(subentry.data.get(CONF_RENEWAL, {}))
        if subentry.subentry_type != SUBENTRY_NUMBER or renewal.get(
            CONF_AUTO_RENEW, AutoRenewMode.OFF
        ) in (AutoRenewMode.OFF, None):
            continue
        renewal[CONF_AUTO_RENEW] = AutoRenewMode.OFF.value
        hass.config_entries.async_update_subentry(
            entry, subentry, data={**subentry.data, CONF_RENEWAL: renewal}
        )
        names.append(subentry.title)
        LOGGER.warning(
            "Auto-renew switched off for hand-kept number %s: eSIM Keeper never pays them",
            mask(subentry.data.get(CONF_NUMBER, "")),
        )
    if names:
        ir.async_create_issue(
            hass,
            DOMAIN,
            f"{ISSUE_HAND_KEPT_AUTO_RENEW}_{entry.entry_id}",
            is_fixable=False,
            is_persistent=True,
            severity=ir.IssueSeverity.WARNING,
            translation_key=ISSUE_HAND_KEPT_AUTO_RENEW,
            translation_placeholders={"account": entry.title, "names": texts.join(hass, names)},
        )
