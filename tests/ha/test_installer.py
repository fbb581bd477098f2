"""Shipped blueprints and sentences are installed, upgraded when unedited, never clobbered."""

from __future__ import annotations

from pathlib import Path

from homeassistant.core import HomeAssistant

from custom_components.esim_keeper.installer import (
    Shipped,
    async_install_shipped_files,
    install,
    shipped_files,
)


def _ship(tmp_path: Path, text: str) -> list[Shipped]:
    source = tmp_path / "pkg" / "reminder.yaml"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(text)
    return [Shipped(source, ("blueprints", "automation", "esim_keeper", "reminder.yaml"))]


def test_fresh_install_then_upgrade_of_an_unedited_copy(tmp_path: Path) -> None:
    config = tmp_path / "config"
    target = config / "blueprints" / "automation" / "esim_keeper" / "reminder.yaml"
    record = install(config, _ship(tmp_path, "v1"), {})
    assert target.read_text() == "v1"
    record = install(config, _ship(tmp_path, "v2"), record)
    assert target.read_text() == "v2"
    assert install(config, _ship(tmp_path, "v2"), record) == record


def test_an_edited_copy_is_never_overwritten(tmp_path: Path) -> None:
    config = tmp_path / "config"
    target = config / "blueprints" / "automation" / "esim_keeper" / "reminder.yaml"
    record = install(config, _ship(tmp_path, "v1"), {})
    target.write_text("mine")
    record = install(config, _ship(tmp_path, "v2"), record)
    assert target.read_text() == "mine"
    install(config, _ship(tmp_path, "v3"), record)
    assert target.read_text() == "mine"


def test_a_file_that_was_there_before_us_is_left_alone(tmp_path: Path) -> None:
    config = tmp_path / "config"
    target = config / "blueprints" / "automation" / "esim_keeper" / "reminder.yaml"
    target.parent.mkdir(parents=True)
    target.write_text("theirs")
    record = install(config, _ship(tmp_path, "v1"), {})
    assert target.read_text() == "theirs"
    assert record == {}


def test_a_deleted_copy_is_not_reinstalled(tmp_path: Path) -> None:
    config = tmp_path / "config"
    target = config / "blueprints" / "automation" / "esim_keeper" / "reminder.yaml"
    record = install(config, _ship(tmp_path, "v1"), {})
    target.unlink()
    install(config, _ship(tmp_path, "v2"), record)
    assert not target.exists()


async def test_setup_installs_every_shipped_file_once(hass: HomeAssistant, tmp_path: Path) -> None:
    hass.config.config_dir = str(tmp_path)
    await async_install_shipped_files(hass)
    for item in shipped_files():
        assert tmp_path.joinpath(*item.target).read_bytes() == item.source.read_bytes()
    await async_install_shipped_files(hass)  # nothing changes the second time
