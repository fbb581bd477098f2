"""The keeper layer: pure, typed rules and carrier clients. Imports nothing from Home Assistant."""
