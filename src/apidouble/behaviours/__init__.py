"""Behaviours: decisions about trouble (delay, failure), taken with a seeded RNG, never sleeping."""
