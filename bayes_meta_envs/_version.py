"""The package version (kept apart so that no module imports the package root for it)."""

__version__ = "0.2.0"
