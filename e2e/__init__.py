"""End-to-end test.

A real Home Assistant (the newest release), the carrier simulator and headless Chromium clicking
through the real frontend. Run with scripts/e2e; see README "End-to-end test".
"""
