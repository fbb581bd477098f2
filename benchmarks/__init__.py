"""Benchmarks of eSIM Keeper against what a user would build instead (issue 8); see README."""
