"""Every typed error is a KeeperError (a ValueError) with its own stable key."""

from __future__ import annotations

import inspect

from custom_components.esim_keeper.keeper import errors


def test_keys_are_unique_and_stable() -> None:
    classes = [
        obj
        for _, obj in inspect.getmembers(errors, inspect.isclass)
        if issubclass(obj, errors.KeeperError)
    ]
    assert len(classes) >= 10
    keys = [cls.key for cls in classes]
    assert len(set(keys)) == len(keys)
    for cls in classes:
        assert issubclass(cls, ValueError)
        assert cls.key.isidentifier()
        assert cls.key == cls.key.lower()
