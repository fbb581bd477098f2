"""The account coordinator: one fetch per poll for all of an account's numbers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .client import suggested_carrier, sync_provider
from .const import CONF_WARN_DAYS, DEFAULT_WARN_DAYS, DOMAIN, LOGGER, SUBENTRY_NUMBER, scan_interval
from .keeper.carriers import plan_for
from .keeper.lifecycle import compute_status, status_holds_until
from .keeper.model import LineSnapshot, LineStatus
from .keeper.money import Money
from .keeper.providers.base import (
    AccountData,
    AuthError,
    InvalidResponseError,
    Provider,
    ProviderConnectionError,
    ProviderError,
    RateLimitedError,
)
from .keeper.shared import SharedLine, share_balance
from .lines import NumberConfig

# Statuses computed per event-loop turn when many numbers changed at once.
STATUSES_PER_TURN = 100


@dataclass(frozen=True, slots=True)
class NumberData:
    """One number at one poll: its settings, what the carrier said, and what that means."""

    config: NumberConfig
    snapshot: LineSnapshot
    status: LineStatus


@dataclass(frozen=True, slots=True)
class AccountState:
    """One poll of an account. Equal states mean nothing changed (``always_update=False``)."""

    numbers: Mapping[str, NumberData]  # by subentry id; a number missing here is unavailable
    account_balance: Money | None = None
    # Every line the carrier listed (line id -> number), kept or not: keep-all adds the new ones.
    listed: Mapping[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = field(default=None, compare=False)


class AccountCoordinator(DataUpdateCoordinator[AccountState]):
    """Polls one account and derives every number's status with the keeper rules."""

    config_entry: ConfigEntry

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry, provider: Provider) -> None:
        """Poll ``provider`` at the account's interval (never below the provider's floor)."""
        super().__init__(
            hass,
            LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=scan_interval(provider.kind, dict(entry.options)),
            always_update=False,
        )
        self.provider = provider
        self.numbers: dict[str, NumberConfig] = {}
        # Each number's settings as read from its subentry's data object (re-read when replaced).
        self._read: dict[str, tuple[object, str, NumberConfig]] = {}
        # While the integration adds many numbers at once, it syncs once at the end.
        self.sync_paused = False
        self.last_fetch: AccountData | None = None
        # Per number: until when its last status holds for the same data, and its warning days.
        self._holds: dict[str, tuple[datetime, int]] = {}
        self.sync_numbers()

    @callback
    def sync_numbers(self, *, force: bool = False) -> bool:
        """Read the numbers from the entry's subentries.

        True when any was added, changed or removed. A Manual provider gets the user's records from
        here.

        A subentry whose data object and title did not change is not read again: adding 1,000
        numbers one by one stays linear.
        """
        if self.sync_paused and not force:
            return False
        current: dict[str, NumberConfig] = {}
        read: dict[str, tuple[object, str, NumberConfig]] = {}
        for subentry_id, subentry in self.config_entry.subentries.items():
            if subentry.subentry_type != SUBENTRY_NUMBER:
                continue
            cached = self._read.get(subentry_id)
            if cached is not None and cached[0] is subentry.data and cached[1] == subentry.title:
                config = cached[2]
            else:
                config = NumberConfig.from_subentry(subentry)
            current[subentry_id] = config
            read[subentry_id] = (subentry.data, subentry.title, config)
        self._read = read
        changed = current != self.numbers
        self.numbers = current
        sync_provider(self.provider, current)
        return changed

    async def _async_setup(self) -> None:
        """Check the credentials once before the first poll; errors map like a poll's.

        Bridges also announce what they can do here.
        """
        try:
            await self.provider.async_validate()
        except ProviderError as err:
            raise _update_error(err) from err

    async def _async_update_data(self) -> AccountState:
        try:
            account = await self.provider.async_fetch()
        except ProviderError as err:
            raise _update_error(err, self.update_interval) from err
        self.last_fetch = account
        return await self.async_derive(account.lines, account.account_balance, account.fetched_at)

    async def async_derive(
        self,
        lines: Mapping[str, LineSnapshot],
        account_balance: Money | None,
        fetched_at: datetime,
    ) -> AccountState:
        """Match the fetched lines to the configured numbers and compute their status now.

        A number whose data did not change keeps the previous NumberData object, so entities can
        tell by identity that they have nothing to write. Its status is not even computed again
        while the keeper says it holds (until the next deadline, warning or carrier midnight).
        Computing many statuses (1,000 new numbers) gives the event loop a turn now and then.
        """
        now = dt_util.utcnow()
        warn_days = int(self.config_entry.options.get(CONF_WARN_DAYS, DEFAULT_WARN_DAYS))
        previous = self.data.numbers if self.data is not None else {}
        shares = self._shares(lines, account_balance, now)
        numbers: dict[str, NumberData] = {}
        holds: dict[str, tuple[datetime, int]] = {}
        computed = 0
        for subentry_id, config in list(self.numbers.items()):
            snapshot = lines.get(config.line_id)
            if snapshot is None:
                continue
            said = config.user_activity  # "I used this number", where the carrier cannot tell
            if said is not None and (
                snapshot.last_activity is None or snapshot.last_activity < said
            ):
                snapshot = replace(snapshot, last_activity=said)
            funds = shares.get(config.line_id)
            old = previous.get(subentry_id)
            held = self._holds.get(subentry_id)
            if (
                old is not None
                and held is not None
                and now < held[0]
                and held[1] == warn_days
                and old.snapshot == snapshot
                and (old.config is config or old.config == config)
            ):
                numbers[subentry_id], holds[subentry_id] = old, held
                continue
            computed += 1
            if computed % STATUSES_PER_TURN == 0:
                await asyncio.sleep(0)
            status = compute_status(snapshot, config.plan, now, warn_days=warn_days, funds=funds)
            if funds is None:  # a share of an account balance moves with every poll's clock
                until = status_holds_until(snapshot, config.plan, now, warn_days=warn_days)
                holds[subentry_id] = (until, warn_days)
            fresh = NumberData(config=config, snapshot=snapshot, status=status)
            numbers[subentry_id] = old if old == fresh else fresh
        self._holds = holds
        return AccountState(
            numbers=numbers,
            account_balance=account_balance,
            listed={line_id: line.number for line_id, line in lines.items()},
            fetched_at=fetched_at,
        )

    def _shares(
        self, lines: Mapping[str, LineSnapshot], account_balance: Money | None, now: datetime
    ) -> dict[str, Money]:
        """Each line's share of an account balance that all the account's numbers pay from.

        Every line of the account draws on it, added to Home Assistant or not; a line without
        settings here is assumed to cost what its provider's preset says.
        """
        plans = {config.line_id: config.plan for config in self.numbers.values()}
        shared: dict[str, SharedLine] = {}
        balance = account_balance
        for line_id, line in lines.items():
            if not line.shared_balance or line.plan_expiry is None:
                continue
            balance = balance or line.balance
            plan = plans.get(line_id) or plan_for(suggested_carrier(self.provider.kind, line))
            shared[line_id] = SharedLine(line.plan_expiry, plan)
        if not shared or balance is None:
            return {}
        return share_balance(shared, balance, now)


def _update_error(err: ProviderError, interval: timedelta | None = None) -> Exception:
    """Turn provider errors into Home Assistant's, in one place: reauth, or a translated failure.

    A Retry-After only ever delays the next poll: one shorter than the poll interval (down to
    "0") would make Home Assistant poll sooner than usual, hammering a carrier that asked us to
    slow down, so it is dropped and the normal interval applies.
    """
    if isinstance(err, AuthError):
        return ConfigEntryAuthFailed(translation_domain=DOMAIN, translation_key="auth_failed")
    if isinstance(err, RateLimitedError):
        retry_after = err.retry_after
        if retry_after is not None and interval is not None:
            retry_after = retry_after if retry_after > interval.total_seconds() else None
        return UpdateFailed(
            translation_domain=DOMAIN, translation_key="rate_limited", retry_after=retry_after
        )
    if isinstance(err, ProviderConnectionError):
        return UpdateFailed(translation_domain=DOMAIN, translation_key="cannot_connect")
    if isinstance(err, InvalidResponseError):
        return UpdateFailed(translation_domain=DOMAIN, translation_key="invalid_response")
    return UpdateFailed(translation_domain=DOMAIN, translation_key="provider_error")
