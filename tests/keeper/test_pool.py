"""keeper.pool: which lines keep-all adds and which numbers the carrier dropped."""

from __future__ import annotations

from custom_components.esim_keeper.keeper.pool import PoolChanges, pool_changes

LISTED = {"l1": "+12015550100", "l2": "+12015550101", "l3": "+12015550102"}


def test_keep_all_adds_unkept_lines_in_the_carriers_order() -> None:
    changes = pool_changes(LISTED, {"s1": "l1"}, {"+12015550100"}, keep_all=True)
    assert changes == PoolChanges(add=("l2", "l3"), gone=(), back=())


def test_pick_lines_adds_nothing() -> None:
    assert pool_changes(LISTED, {}, set(), keep_all=False).add == ()


def test_a_number_another_account_keeps_is_never_added() -> None:
    assert pool_changes(LISTED, {}, {"+12015550101"}, keep_all=True).add == ("l1", "l3")


def test_the_same_number_listed_twice_is_added_once() -> None:
    listed = {"a": "+12015550100", "b": "+12015550100"}
    assert pool_changes(listed, {}, set(), keep_all=True).add == ("a",)


def test_gone_is_reported_once_and_back_when_listed_again() -> None:
    kept = {"s1": "l1", "s9": "l9"}
    assert pool_changes(LISTED, kept, set(), keep_all=False).gone == ("s9",)
    assert pool_changes(LISTED, kept, set(), keep_all=False, flagged={"s9"}).gone == ()
    back = pool_changes(
        {**LISTED, "l9": "+12015550109"}, kept, set(), keep_all=False, flagged={"s9"}
    )
    assert back.back == ("s9",)
    # A flagged number that no longer exists is neither gone nor back.
    assert pool_changes(LISTED, {}, set(), keep_all=False, flagged={"s9"}) == PoolChanges(
        (), (), ()
    )


def test_an_empty_list_reports_nothing_gone() -> None:
    assert pool_changes({}, {"s1": "l1", "s2": "l2"}, set(), keep_all=True) == PoolChanges(
        (), (), ()
    )
