"""eSIM Keeper."""
