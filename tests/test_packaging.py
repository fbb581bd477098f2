"""What HACS and hassfest check, checked here: manifest, hacs.json, requirements, brand icon."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).parents[1]
PKG = ROOT / "custom_components" / "esim_keeper"
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}


def _manifest() -> dict[str, object]:
    return json.loads((PKG / "manifest.json").read_text(encoding="utf-8"))


def test_manifest_keys_in_hassfest_order() -> None:
    keys = list(_manifest())
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_has_what_hacs_and_the_quality_scale_need() -> None:
    manifest = _manifest()
    for key in ("codeowners", "documentation", "issue_tracker", "version", "iot_class"):
        assert manifest[key], key
    assert manifest["domain"] == "esim_keeper"
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "cloud_polling"
    # hassfest: above silver needs diagnostics.
    if manifest.get("quality_scale") in {"gold", "platinum"}:
        assert (PKG / "diagnostics.py").exists()


def test_manifest_requirements_match_requirements_txt() -> None:
    pinned = [
        line.strip()
        for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sorted(pinned) == sorted(_manifest()["requirements"])  # type: ignore[arg-type]


def test_hacs_json_uses_known_keys_and_the_oldest_tested_home_assistant() -> None:
    hacs = json.loads((ROOT / "hacs.json").read_text(encoding="utf-8"))
    assert set(hacs) <= HACS_KEYS
    assert hacs["name"]
    tested = next(
        line.split("==")[1].strip()
        for line in (ROOT / "requirements_test.txt").read_text(encoding="utf-8").splitlines()
        if line.startswith("homeassistant==")
    )
    assert hacs["homeassistant"] == tested


def test_brand_icon_is_a_256_square_png() -> None:
    with Image.open(PKG / "brand" / "icon.png") as icon:
        assert icon.format == "PNG"
        assert icon.size == (256, 256)


def test_licence_is_present() -> None:
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
