"""Tests for eSIM Keeper."""
