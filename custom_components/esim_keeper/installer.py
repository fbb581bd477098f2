"""Install the files we ship into the user's configuration: blueprints and Assist sentences.

HACS installs only custom_components/esim_keeper, yet blueprints live in <config>/blueprints and
custom sentences in <config>/custom_sentences. At start-up we copy ours there, with one promise:
a file the user edited (or deleted) is never touched again. We remember the hash of what we wrote;
a target whose content no longer matches it belongs to the user from then on. An unedited copy is
upgraded when a new version of the integration ships a new version of the file.
"""

from __future__ import annotations

from dataclasses import dataclass
import hashlib
from pathlib import Path
from typing import Any

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store

from .const import DOMAIN, LOGGER

PACKAGE = Path(__file__).parent
STORE_KEY = f"{DOMAIN}.installed"
STORE_VERSION = 1


@dataclass(frozen=True, slots=True)
class Shipped:
    """One file we ship: where it is in the package, and where it goes in the config dir."""

    source: Path
    target: tuple[str, ...]  # path parts below the config dir


def shipped_files() -> list[Shipped]:
    """Everything we install: blueprints and custom sentences, found in the package."""
    files = [
        Shipped(path, ("blueprints", "automation", DOMAIN, path.name))
        for path in sorted((PACKAGE / "blueprints" / "automation").glob("*.yaml"))
    ]
    files += [
        Shipped(path, ("custom_sentences", path.parent.name, f"{DOMAIN}.yaml"))
        for path in sorted((PACKAGE / "sentences").glob("*/*.yaml"))
    ]
    return files


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def install(config_dir: Path, files: list[Shipped], installed: dict[str, str]) -> dict[str, str]:
    """Copy ``files`` into ``config_dir``; returns the new {target: hash we wrote} record.

    Runs in the executor (file I/O). ``installed`` is the record from the last run.
    """
    record = dict(installed)
    for item in files:
        key = "/".join(item.target)
        target = config_dir.joinpath(*item.target)
        content = item.source.read_bytes()
        ours = record.get(key)
        if target.exists():
            current = _digest(target.read_bytes())
            if current == _digest(content):
                record[key] = current
                continue
            if ours is None or current != ours:
                LOGGER.debug("Leaving %s alone: it was changed outside eSIM Keeper", key)
                continue
        elif ours is not None:
            LOGGER.debug("Not reinstalling %s: it was deleted after we installed it", key)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        record[key] = _digest(content)
        LOGGER.info("Installed %s", key)
    return record


async def async_install_shipped_files(hass: HomeAssistant) -> None:
    """Install (or upgrade unedited copies of) our blueprints and sentences."""
    store: Store[dict[str, Any]] = Store(hass, STORE_VERSION, STORE_KEY)
    data = await store.async_load() or {}
    before: dict[str, str] = dict(data.get("files", {}))
    # Listing the package and copying both touch the disk: all of it in the executor.
    after = await hass.async_add_executor_job(
        lambda: install(Path(hass.config.config_dir), shipped_files(), before)
    )
    if after != before:
        await store.async_save({"files": after})
