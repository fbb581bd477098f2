"""Edit the integration's translations safely.

Merge a fragment into a language, and keep strings.json (the English source) identical to
translations/en.json.

    .venv/bin/python scripts/i18n.py merge FRAGMENT.json [--lang en|zh-Hans]
        Deep-merge FRAGMENT (same nesting as the translation file) into translations/LANG.json.
    .venv/bin/python scripts/i18n.py merge FRAGMENT.json --icons
        Deep-merge FRAGMENT into icons.json (entity and service icons).
    .venv/bin/python scripts/i18n.py sync
        Copy translations/en.json to strings.json.
    .venv/bin/python scripts/i18n.py check
        Print keys that exist in one language and not the other (exit 1 if any).

Writes hold a file lock, so several people (or scripts) can merge at once without losing keys.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
import fcntl
import json
from pathlib import Path
import sys
from typing import Any

PKG = Path(__file__).resolve().parents[1] / "custom_components" / "esim_keeper"
TRANSLATIONS = PKG / "translations"
LANGS = ("en", "zh-Hans")


@contextmanager
def locked() -> Iterator[None]:
    with (TRANSLATIONS / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load(lang: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((TRANSLATIONS / f"{lang}.json").read_text(encoding="utf-8"))
    return data


def dump(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def deep_merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def leaves(tree: dict[str, Any], prefix: str = "") -> set[str]:
    out: set[str] = set()
    for key, value in tree.items():
        path = f"{prefix}.{key}" if prefix else key
        out |= leaves(value, path) if isinstance(value, dict) else {path}
    return out


def sync() -> None:
    dump(PKG / "strings.json", load("en"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    merge = sub.add_parser("merge")
    merge.add_argument("fragment", type=Path)
    merge.add_argument("--lang", choices=LANGS, default="en")
    merge.add_argument("--icons", action="store_true", help="merge into icons.json instead")
    sub.add_parser("sync")
    sub.add_parser("check")
    args = parser.parse_args()
    with locked():
        if args.command == "merge":
            fragment = json.loads(args.fragment.read_text(encoding="utf-8"))
            if args.icons:
                icons = PKG / "icons.json"
                current = json.loads(icons.read_text(encoding="utf-8")) if icons.exists() else {}
                dump(icons, deep_merge(current, fragment))
            else:
                dump(TRANSLATIONS / f"{args.lang}.json", deep_merge(load(args.lang), fragment))
                sync()
        elif args.command == "sync":
            sync()
        else:
            en, zh = leaves(load("en")), leaves(load("zh-Hans"))
            for key in sorted(en - zh):
                print(f"missing in zh-Hans: {key}")
            for key in sorted(zh - en):
                print(f"missing in en: {key}")
            return 1 if en != zh else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
