"""Home Assistant's translation validator rules, applied to every translation file we ship.

hassfest (script/hassfest/translations.py in Home Assistant core) rejects a translation file whose
strings break these rules; custom integrations are not run through it by HACS, so we check the same
rules here, on strings.json and every file under translations/.
"""

from __future__ import annotations

import json
from pathlib import Path
import re
import string
from typing import Any

import pytest

PKG = Path(__file__).parents[1] / "custom_components" / "esim_keeper"
FILES = [PKG / "strings.json", *sorted((PKG / "translations").glob("*.json"))]

# The same shape of URL hassfest looks for: a scheme or "www." followed by a host name.
URL = re.compile(
    r"(((ftp|ftps|scp|http|https|mqtt|mqtts|socket|socks5)://|www\.)"
    r"[a-z0-9]+([\-.][a-z0-9]+)*\.[a-z]{2,5}(:[0-9]{1,5})?(/.*)?)",
    re.IGNORECASE,
)
HTML = re.compile(r"<[a-z].*?>", re.IGNORECASE)
QUOTED_PLACEHOLDER = re.compile(r"'\{\w+\}'")
REFERENCE = re.compile(r"\[%key:")


def _leaves(tree: dict[str, Any], prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    out: dict[tuple[str, ...], str] = {}
    for key, value in tree.items():
        path = (*prefix, key)
        if isinstance(value, dict):
            out.update(_leaves(value, path))
        else:
            out[path] = value
    return out


def _placeholders(text: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(text) if field]


def placeholders_forbidden(path: tuple[str, ...]) -> bool:
    """Hassfest allows no placeholders in entity states, attribute names/states and units."""
    if path[0] == "entity" and len(path) >= 5:
        # entity.<platform>.<key>.state.<state>, entity.<platform>.<key>.unit_of_measurement
        rest = path[3:]
        if rest[0] == "state" or rest[0] == "unit_of_measurement":
            return True
        # entity.<platform>.<key>.state_attributes.<attribute>.name / .state.<state>
        if rest[0] == "state_attributes":
            return True
    return (
        path[0] == "entity_component"
        and len(path) >= 4
        and path[2]
        in {
            "state",
            "state_attributes",
        }
    )


def violations(tree: dict[str, Any]) -> list[str]:
    """Every string that hassfest would refuse, with the reason."""
    found: list[str] = []
    for path, text in _leaves(tree).items():
        where = ".".join(path)
        if not isinstance(text, str):
            found.append(f"{where}: not a string")
            continue
        if placeholders_forbidden(path) and _placeholders(text):
            found.append(f"{where}: placeholders are not allowed here")
        if not all(field.isidentifier() for field in _placeholders(text)):
            found.append(f"{where}: a placeholder is not an identifier")
        if URL.search(text):
            found.append(f"{where}: contains a URL (use a description placeholder)")
        if HTML.search(text):
            found.append(f"{where}: looks like HTML (use a description placeholder)")
        if QUOTED_PLACEHOLDER.search(text):
            found.append(f"{where}: placeholder in single quotes")
        if text != text.strip():
            found.append(f"{where}: leading or trailing spaces")
        if REFERENCE.search(text):
            found.append(f"{where}: [%key:…%] references work only in core")
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_translation_file_passes_hassfest_rules(path: Path) -> None:
    found = violations(json.loads(path.read_text(encoding="utf-8")))
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    ("tree", "reason"),
    [
        (
            {"entity": {"calendar": {"x": {"state_attributes": {"m": {"state": {"a": "{n}"}}}}}}},
            "not allowed",
        ),
        ({"entity": {"sensor": {"x": {"state": {"a": "{n} lost"}}}}}, "not allowed"),
        ({"config": {"step": {"u": {"description": "See https://x.example.com"}}}}, "URL"),
        ({"config": {"step": {"u": {"description": "See www.example.com/x"}}}}, "URL"),
        ({"config": {"error": {"e": "e.g. (?P<balance>[0-9.]+)"}}}, "HTML"),
        ({"config": {"error": {"e": "It is '{name}'"}}}, "single quotes"),
        ({"config": {"error": {"e": "Trailing "}}}, "spaces"),
        ({"config": {"error": {"e": "[%key:common::x%]"}}}, "references"),
        ({"config": {"error": {"e": "{0}"}}}, "identifier"),
    ],
)
def test_the_rules_catch_what_hassfest_refuses(tree: dict[str, Any], reason: str) -> None:
    assert any(reason in v for v in violations(tree))


def test_placeholders_stay_allowed_where_hassfest_allows_them() -> None:
    tree = {
        "entity": {"button": {"pay": {"name": "Paid {amount}"}}},
        "issues": {"i": {"title": "{name} at risk"}},
        "common": {"summary": "{name}: {event}"},
        "config": {"step": {"u": {"description": "Must start with https://"}}},
    }
    assert not violations(tree)
