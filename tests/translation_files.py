"""The integration's translation files, read for tests: one loader and one flattener for all."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PKG = Path(__file__).parents[1] / "custom_components" / "esim_keeper"


def load_translations(lang: str) -> dict[str, Any]:
    """Return translations/<lang>.json as a tree."""
    return json.loads((PKG / "translations" / f"{lang}.json").read_text(encoding="utf-8"))


def leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Return every text of ``tree`` by its dotted key ("config.step.user.title")."""
    out: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            out.update(leaves(value, path))
        else:
            out[path] = value
    return out
