"""One loaded account as the parts of its renewal engine see it, and their common base."""

from __future__ import annotations

from dataclasses import dataclass

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant

from .coordinator import AccountCoordinator
from .history import PaymentHistory
from .keeper.providers.base import Provider


@dataclass(frozen=True, slots=True)
class Account:
    """One loaded account: its entry, coordinator, provider and payment history."""

    hass: HomeAssistant
    entry: ConfigEntry
    coordinator: AccountCoordinator
    provider: Provider
    history: PaymentHistory


class AccountPart:
    """A part of an account's renewal engine (payments, verification, auto-renew, hand-kept)."""

    def __init__(self, account: Account) -> None:
        """Share the account's Home Assistant, entry, coordinator and client with this part."""
        self.hass = account.hass
        self.entry = account.entry
        self.coordinator = account.coordinator
        self.provider = account.provider
        self.history = account.history
