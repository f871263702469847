"""Lazy imports of the optional Brightway packages; an ImportError says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

_PIP = {
    "bw_processing": "bw_processing",
    "bw2data": "bw2data",
    "bw2calc": "bw2calc",
    "fsspec": "fsspec",
}


def require(module: str, why: str) -> ModuleType:
    """Imports `module`, or raises ImportError naming the package to install and why."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        package = _PIP.get(module.split(".")[0], module)
        raise ImportError(
            f"hiili.bw needs the package {package!r} {why}: pip install {package} "
            "(or pip install 'hiili[bw]')"
        ) from exc


def optional(module: str) -> ModuleType | None:
    """Imports `module`, or returns None when it is not installed."""
    try:
        return importlib.import_module(module)
    except ImportError:
        return None
