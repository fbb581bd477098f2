"""Simulator fixtures (see fixtures.py)."""

from tests.carrier_sim.fixtures import canned, session, sim

__all__ = ["canned", "session", "sim"]
