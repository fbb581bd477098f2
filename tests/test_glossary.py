"""The glossary (docs/glossary.md) is what the Chinese texts say.

Each table row names a term, the zh-Hans.json keys that must use its Chinese term, and the variants
to avoid. The Chinese must contain the term at each listed key, and no avoided variant may appear in
zh-Hans.json or README.zh-Hans.md.
"""

from __future__ import annotations

from dataclasses import dataclass
import json
from pathlib import Path
import re
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]
GLOSSARY = ROOT / "docs" / "glossary.md"
ZH = ROOT / "custom_components" / "esim_keeper" / "translations" / "zh-Hans.json"
README_ZH = ROOT / "README.zh-Hans.md"
# What Assist says in Chinese: the responses section of the zh-CN sentence file (the sentences
# themselves may accept a user's own words, 保号期限 included).
ASSIST_ZH = ROOT / "custom_components" / "esim_keeper" / "sentences" / "zh-CN" / "esim_keeper.yaml"


@dataclass(frozen=True)
class Term:
    english: str
    chinese: str
    keys: tuple[str, ...]
    avoid: tuple[str, ...]


def parse_glossary(text: str) -> list[Term]:
    """Return the rows of every term table: | English | 中文 | meaning | keys | avoid |."""
    terms: list[Term] = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not line.startswith("|") or set(cells[0]) <= {"-"}:
            continue
        if cells[0] == "English":
            continue
        keys = tuple(re.findall(r"`([^`]+)`", cells[3]))
        avoid = tuple(a.strip() for a in cells[4].split(",") if a.strip())
        terms.append(Term(cells[0], cells[1], keys, avoid))
    return terms


def _lookup(tree: dict[str, Any], key: str) -> str | None:
    node: Any = tree
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node if isinstance(node, str) else None


def _all_text(tree: dict[str, Any]) -> str:
    return "\n".join(_all_text(v) if isinstance(v, dict) else str(v) for v in tree.values())


TERMS = parse_glossary(GLOSSARY.read_text(encoding="utf-8"))


def test_the_glossary_has_terms_with_keys() -> None:
    assert len(TERMS) >= 40
    assert all(t.chinese and t.keys for t in TERMS), [t.english for t in TERMS if not t.keys]
    chinese = [t.chinese for t in TERMS]
    assert len(chinese) == len(set(chinese)), "one Chinese term per concept"


@pytest.mark.parametrize("term", TERMS, ids=lambda t: t.english)
def test_chinese_texts_use_the_glossary_term(term: Term) -> None:
    tree = json.loads(ZH.read_text(encoding="utf-8"))
    for key in term.keys:
        text = _lookup(tree, key)
        assert text is not None, f"{key} is not in zh-Hans.json"
        assert term.chinese in text, f"{key}: {text!r} does not say {term.chinese}"


def _spoken(raw: str) -> str:
    """Return the ``responses:`` part of a sentence file (before its ``intents:``)."""
    return raw[raw.index("\nresponses:") : raw.index("\nintents:")]


@pytest.mark.parametrize("path", [ZH, README_ZH, ASSIST_ZH], ids=lambda p: p.name)
def test_no_avoided_variant_appears(path: Path) -> None:
    raw = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        text = _all_text(json.loads(raw))
    elif path.suffix == ".yaml":
        text = _spoken(raw)
    else:
        text = raw
    found = [
        f"{variant} (say {t.chinese})" for t in TERMS for variant in t.avoid if variant in text
    ]
    assert not found


def test_the_parser_reads_a_row() -> None:
    row = "| plan expiry | 套餐到期日 | The day. | `a.b`, `c.d` | 套餐到期时间, 使用期限 |"
    assert parse_glossary(row) == [
        Term("plan expiry", "套餐到期日", ("a.b", "c.d"), ("套餐到期时间", "使用期限"))
    ]
