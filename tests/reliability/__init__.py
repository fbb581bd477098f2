"""Reliability suites (issue 9): fault matrix, chaos renewals, hostile input, secrets."""
