"""Developer tools: the carrier simulator and friends (not shipped with the integration)."""
