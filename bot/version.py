"""The installed posom version (from the package metadata, so pyproject.toml is the one source)."""

from __future__ import annotations

from importlib import metadata

__all__ = ["VERSION"]

try:
    VERSION = metadata.version("posom-bot")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    VERSION = "0+unknown"
