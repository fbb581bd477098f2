"""What a loaded account holds at run time, and the config entry type that carries it.

It lives above both the coordinator and the renewal engine (it holds one of each), so that
neither has to import the other: the engine's parts take a plain ``ConfigEntry``, since they
only use the entry itself (its id, options, subentries, unload callbacks and tasks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from homeassistant.config_entries import ConfigEntry

from .coordinator import AccountCoordinator
from .keeper.providers.base import Provider
from .renewal import RenewalEngine


@dataclass(slots=True)
class EsimKeeperRuntime:
    """What a loaded account holds at run time."""

    provider: Provider
    coordinator: AccountCoordinator
    renewals: RenewalEngine  # renewal.py: renewals, history, auto-renew, verification
    # Each number's device id, once its device was created or updated in this load (entity.py).
    device_ids: dict[str, str] = field(default_factory=dict)


type EsimKeeperConfigEntry = ConfigEntry[EsimKeeperRuntime]
