"""tracejit's version, in a module of its own: the package root re-exports it, and the
runtime (whose disk-cache keys hold it) reads it here without importing the package."""

__version__ = "0.1.0"
