"""Every text the integration can show exists in English and Simplified Chinese.

Core Home Assistant checks this with a fixture the custom-component harness lacks, so we scan the
code for every translation key it uses and look each one up in both files.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
import re
from typing import Any

import pytest

from custom_components.esim_keeper.keeper import errors as keeper_errors
from custom_components.esim_keeper.keeper.providers import base as provider_base
from tests.translation_files import leaves, load_translations

PKG = Path(__file__).parents[1] / "custom_components" / "esim_keeper"
LANGS = ("en", "zh-Hans")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _has(tree: dict[str, Any], path: str) -> bool:
    node: Any = tree
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _python_sources() -> list[Path]:
    return list(PKG.glob("*.py"))


def _calls_with_keyword(keyword: str) -> set[tuple[str, str]]:
    """Return (function or class name, value) for every call passing ``keyword="literal"``."""
    found: set[tuple[str, str]] = set()
    for path in _python_sources():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            for kw in node.keywords:
                if kw.arg == keyword and isinstance(kw.value, ast.Constant):
                    found.add((name, str(kw.value.value)))
    return found


def _entity_keys() -> set[tuple[str, str]]:
    """(platform, translation_key) of every entity description."""
    keys: set[tuple[str, str]] = set()
    for path in _python_sources():
        text = path.read_text(encoding="utf-8")
        if "EntityDescription" not in text:
            continue
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "").endswith("Description"):
                for kw in node.keywords:
                    if kw.arg == "translation_key" and isinstance(kw.value, ast.Constant):
                        keys.add((path.stem, str(kw.value.value)))
    return keys


def _form_error_keys() -> set[str]:
    """Literal ``errors[...] = "x"`` keys of the account flow."""
    keys: set[str] = set()
    for path in _python_sources():
        keys.update(re.findall(r'errors\["\w+"\] = "(\w+)"', path.read_text(encoding="utf-8")))
    return keys


def _input_error_keys() -> set[str]:
    """Keys of typed input errors: any form that reads numbers, plans or dates can show them."""
    keys = {
        obj.key
        for obj in vars(keeper_errors).values()
        if isinstance(obj, type) and issubclass(obj, keeper_errors.KeeperError)
    }
    # The bundled catalog is validated at import; a broken one cannot reach a form.
    keys.discard(keeper_errors.CatalogError.key)
    return keys


@pytest.mark.parametrize("lang", LANGS)
def test_entity_names_translated(lang: str) -> None:
    tree = load_translations(lang)
    keys = _entity_keys()
    assert keys
    missing = [f"entity.{p}.{k}.name" for p, k in keys if not _has(tree, f"entity.{p}.{k}.name")]
    assert not missing


@pytest.mark.parametrize("lang", LANGS)
def test_exception_messages_translated(lang: str) -> None:
    tree = load_translations(lang)
    keys = {
        value
        for func, value in _calls_with_keyword("translation_key")
        if not func.endswith(("SelectorConfig", "Description"))
    }
    missing = [k for k in keys if not _has(tree, f"exceptions.{k}.message")]
    assert not missing


@pytest.mark.parametrize("lang", LANGS)
def test_selector_options_translated(lang: str) -> None:
    """Every select selector with a translation key has a label for each of its options."""
    tree = load_translations(lang)
    keys = {v for f, v in _calls_with_keyword("translation_key") if f == "SelectSelectorConfig"}
    assert keys
    for key in keys:
        assert _has(tree, f"selector.{key}.options"), key


@pytest.mark.parametrize("lang", LANGS)
def test_flow_steps_errors_and_aborts_translated(lang: str) -> None:
    tree = load_translations(lang)
    flow = ast.parse((PKG / "config_flow.py").read_text(encoding="utf-8"))
    steps = {
        str(kw.value.value)
        for node in ast.walk(flow)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "step_id" and isinstance(kw.value, ast.Constant)
    }
    assert steps
    sections = ("config", "config_subentries.number", "options")
    for step in steps:
        assert any(_has(tree, f"{s}.step.{step}.title") for s in sections), step
    reasons = {
        str(kw.value.value)
        for node in ast.walk(flow)
        if isinstance(node, ast.Call)
        for kw in node.keywords
        if kw.arg == "reason" and isinstance(kw.value, ast.Constant)
    }
    for reason in reasons:
        assert any(_has(tree, f"{s}.abort.{reason}") for s in sections), reason
    for key in _form_error_keys() | _input_error_keys():
        assert _has(tree, f"config.error.{key}"), key
    for key in _input_error_keys():
        assert _has(tree, f"config_subentries.number.error.{key}"), key


@pytest.mark.parametrize("lang", LANGS)
def test_provider_error_keys_have_a_message(lang: str) -> None:
    """Every provider error can become a translated message for users."""
    tree = load_translations(lang)
    for obj in vars(provider_base).values():
        if isinstance(obj, type) and issubclass(obj, provider_base.ProviderError):
            if obj.key in {"payment_declined", "unsupported"}:
                continue  # shown by the renewal action, with their own placeholders
            assert _has(tree, f"exceptions.{obj.key}.message") or _has(
                tree, f"config.error.{obj.key}"
            ), obj.key


def test_carrier_selector_has_every_preset() -> None:
    from custom_components.esim_keeper.keeper.carriers import PRESETS

    for lang in LANGS:
        options = load_translations(lang)["selector"]["carrier"]["options"]
        assert set(options) == set(PRESETS), lang


def test_chinese_matches_english_key_for_key_with_the_same_placeholders() -> None:
    en, zh = leaves(load_translations("en")), leaves(load_translations("zh-Hans"))
    assert set(zh) == set(en)
    for key, text in en.items():
        assert set(PLACEHOLDER.findall(zh[key])) == set(PLACEHOLDER.findall(text)), key
        assert zh[key].strip(), key


def test_strings_json_is_the_english_source() -> None:
    assert json.loads((PKG / "strings.json").read_text(encoding="utf-8")) == load_translations("en")


@pytest.mark.parametrize("lang", LANGS)
def test_repair_issues_translated(lang: str) -> None:
    """Every repair issue the renewal engine raises has a title and a description."""
    from custom_components.esim_keeper import renewal

    tree = load_translations(lang)
    keys = {value for name, value in vars(renewal).items() if name.startswith("ISSUE_")}
    keys.add(f"{renewal.ISSUE_AT_RISK}_activity")
    assert keys
    for key in keys:
        assert _has(tree, f"issues.{key}.title"), key
        assert _has(tree, f"issues.{key}.description") or _has(tree, f"issues.{key}.fix_flow"), key
