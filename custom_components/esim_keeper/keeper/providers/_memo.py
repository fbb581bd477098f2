"""Parse a carrier's line record once: unchanged records from the last poll reuse its result.

Most polls list the same lines with the same fields. Validating every field of 1,000 records
(names, E.164 numbers, money, instants) was two thirds of an unchanged poll's CPU time; looking a
record up by its text costs a small part of that. The memo keeps only the records of the last
listing, so it never grows beyond what one poll holds.
"""

from __future__ import annotations

from collections.abc import Callable


class ParseMemo[T]:
    """Results of ``parse`` for the records of the current and the previous listing."""

    __slots__ = ("_current", "_previous")

    def __init__(self) -> None:
        self._previous: dict[str, T] = {}
        self._current: dict[str, T] = {}

    def start(self) -> None:
        """Begin a new listing: what the last one parsed becomes the reusable set."""
        if self._current:
            self._previous = self._current
        self._current = {}

    def parse(self, record: object, parse: Callable[[object], T]) -> T:
        """``parse(record)``, or the result of an identical record of the previous listing.

        Records are compared by their ``repr``: the same JSON text decodes to an equal
        structure with the same key order. Records that fail to parse are never kept, so
        their error is raised again each time.
        """
        key = repr(record)
        result = self._previous.get(key)
        if result is None:
            result = parse(record)
        self._current[key] = result
        return result
