"""Tests of the pure keeper layer (no Home Assistant)."""
