"""Keeping every line an account lists: which lines to add, which numbers the carrier dropped.

Pure set logic over line ids and numbers; the Home Assistant layer turns the answer into config
subentries and repair issues. One number is kept by one account only, so a line whose number
another account keeps is never added.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PoolChanges:
    """What one poll means for an account's numbers."""

    add: tuple[str, ...]  # line ids to add as numbers, in the carrier's order
    gone: tuple[str, ...]  # subentry ids whose line the carrier no longer lists
    back: tuple[str, ...]  # subentry ids whose line is listed again


def pool_changes(
    listed: Mapping[str, str],
    kept: Mapping[str, str],
    taken: Collection[str],
    *,
    keep_all: bool,
    flagged: Collection[str] = (),
) -> PoolChanges:
    """Compare the lines a poll listed with the account's numbers.

    ``listed``: line id -> E.164 number of every line the carrier lists now.
    ``kept``: subentry id -> line id of the account's numbers.
    ``taken``: numbers any account keeps (this one included).
    ``flagged``: subentry ids already reported gone.
    Lines are added only with ``keep_all``; a gone line is reported once, and reported back when
    the carrier lists it again. Nothing is reported gone when the carrier lists no line at all.
    """
    kept_lines = set(kept.values())
    add: list[str] = []
    if keep_all:
        seen: set[str] = set()
        for line_id, number in listed.items():
            if line_id in kept_lines or number in taken or number in seen:
                continue
            seen.add(number)
            add.append(line_id)
    # A carrier that lists no line at all (a bridge restarting with an empty database, a glitch)
    # is not taken at its word: reporting every number gone at once would bury the real cases.
    gone = tuple(
        s for s, line_id in kept.items() if listed and line_id not in listed and s not in flagged
    )
    back = tuple(s for s in flagged if s in kept and kept[s] in listed)
    return PoolChanges(add=tuple(add), gone=gone, back=back)
