"""The package version (one place: the CLI, health and version routes read it)."""

VERSION = "0.1.0"
