"""What runs on a worker: the per-process cache of analysed and factorised models."""

from __future__ import annotations

import hashlib
import pickle
import threading
import weakref
from collections import OrderedDict
from typing import Any

from .. import _core
from ..model import Model

_FINGERPRINTS: weakref.WeakKeyDictionary[Model, str] = weakref.WeakKeyDictionary()
_CACHE: OrderedDict[str, Any] = OrderedDict()
_CACHE_SIZE = 4  # models (with their factorisations) kept per worker process
_LOCK = threading.Lock()


def fingerprint(model: Model) -> str:
    """A hex digest (BLAKE2b) of everything the model holds: its pickled arrays and labels.
    Equal models have equal fingerprints; computed once per Model object."""
    known = _FINGERPRINTS.get(model)
    if known is None:
        data = pickle.dumps(model._cpp, protocol=pickle.HIGHEST_PROTOCOL)
        known = hashlib.blake2b(data, digest_size=20).hexdigest()
        _FINGERPRINTS[model] = known
    return known


def settings_key(model_fingerprint: str, settings: Any) -> str:
    """The cache key of a model and the settings built on it (demands, options)."""
    data = pickle.dumps(settings, protocol=pickle.HIGHEST_PROTOCOL)
    return model_fingerprint + "-" + hashlib.blake2b(data, digest_size=12).hexdigest()


def worker_threads() -> int:
    """Threads of the Dask worker this runs on (1 outside a worker)."""
    try:
        from distributed import get_worker

        return max(1, int(get_worker().state.nthreads))
    except (ImportError, ValueError, AttributeError):
        return 1


def cached(key: str, build: Any) -> Any:
    """The object cached under key in this process, built by build() the first time."""
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = build()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def cache_keys() -> list[str]:
    """The keys cached in this process (for tests and diagnostics)."""
    with _LOCK:
        return list(_CACHE)


def named_error(error: _core.Error, variant: str) -> _core.Error:
    """The same typed hiili error (and attributes: column, rcond, ...) with the variant's name
    in front of its message."""
    named = type(error)(f"variant {variant!r}: {error}")
    named.__dict__.update(error.__dict__)
    named.variant = variant
    return named
