"""Shared fixtures.

The pytest-homeassistant-custom-component harness puts its own testing_config on sys.path; importing
our package first makes Home Assistant find ``custom_components.esim_keeper``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

import custom_components.esim_keeper  # noqa: F401

pytest_plugins = ["tests.leak_guard"]

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("ESIM_KEEPER_PROFILE", "ci"))
