"""An unchanged line record is parsed once; a changed or bad one is read again every poll."""

from __future__ import annotations

import aiohttp
import pytest

from custom_components.esim_keeper.keeper.providers._memo import ParseMemo
from custom_components.esim_keeper.keeper.providers.base import InvalidResponseError
from tests.carrier_sim.fixtures import Canned

from .test_bridge import GOOD_LINE, bridge, page


def test_memo_reuses_only_identical_records_of_the_last_listing() -> None:
    memo: ParseMemo[list[object]] = ParseMemo()
    calls: list[object] = []

    def parse(record: object) -> list[object]:
        calls.append(record)
        return [record]

    memo.start()
    first = memo.parse({"id": "a", "n": 1}, parse)
    memo.start()
    assert memo.parse({"id": "a", "n": 1}, parse) is first  # equal record: not parsed again
    assert memo.parse({"id": "a", "n": 2}, parse) is not first  # a changed field is
    assert memo.parse({"n": 1, "id": "a"}, parse) is not first  # other key order: parsed
    assert len(calls) == 3
    memo.start()
    memo.start()  # a listing that parsed nothing keeps what the last one parsed
    assert memo.parse({"id": "a", "n": 2}, parse) == [{"id": "a", "n": 2}]
    assert len(calls) == 3
    memo.start()
    memo.start()  # ...but records not seen in the last listing are forgotten
    memo.parse({"id": "b"}, parse)
    memo.start()
    memo.parse({"id": "a", "n": 1}, parse)
    assert len(calls) == 5


def test_memo_never_keeps_a_failure() -> None:
    memo: ParseMemo[int] = ParseMemo()

    def parse(record: object) -> int:
        raise InvalidResponseError("bad")

    for _ in range(2):
        memo.start()
        with pytest.raises(InvalidResponseError):
            memo.parse({"id": "a"}, parse)


async def test_bridge_polls_reuse_unchanged_lines(
    canned: Canned, session: aiohttp.ClientSession
) -> None:
    other = {**GOOD_LINE, "id": "b", "number": "+12025550102", "name": "B"}
    canned.set("/v1/lines", page(GOOD_LINE, other))
    provider = bridge(session, canned.base_url)
    first = await provider.async_fetch()
    changed = {**other, "balance": {"amount": "9.00", "currency": "USD"}}
    canned.set("/v1/lines", page(GOOD_LINE, changed))
    second = await provider.async_fetch()
    assert second.lines["a"] is first.lines["a"]
    assert second.lines["b"] is not first.lines["b"]
    assert str(second.lines["b"].balance) != str(first.lines["b"].balance)
    # A line that turns bad is skipped every poll, never served from the memo.
    canned.set("/v1/lines", page({**GOOD_LINE, "number": "12025550101"}, changed))
    for _ in range(2):
        data = await provider.async_fetch()
        assert set(data.lines) == {"b"}
        assert len(data.skipped) == 1
