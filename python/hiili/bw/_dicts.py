"""The ``lca.dicts`` mappings of bw2calc: {id: matrix index}, reversible and remappable."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


class ReversibleRemappableDictionary(Mapping):
    """{id: matrix index}, built on first use; ``.reversed`` gives {index: id}; ``.remap(m)``
    renames keys by ``m`` (e.g. ids to (database, code)), ``.unmap()`` undoes it."""

    def __init__(self, source: Mapping | Callable[[], dict]) -> None:
        self._source = source
        self._dict: dict | None = dict(source) if isinstance(source, Mapping) else None
        self._original: dict | None = None
        self._reversed: dict | None = None

    def _data(self) -> dict:
        if self._dict is None:
            self._dict = self._source()
        return self._dict

    def __getitem__(self, key: Any) -> int:
        return self._data()[key]

    def __iter__(self) -> Iterator:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __str__(self) -> str:
        return str(self._data())

    @property
    def reversed(self) -> dict:
        if self._reversed is None:
            self._reversed = {v: k for k, v in self._data().items()}
        return self._reversed

    @property
    def original(self) -> Mapping:
        return self if self._original is None else self._original

    def remap(self, mapping: Mapping) -> None:
        """Renames the keys found in `mapping`; once (call unmap() before remapping again)."""
        if not isinstance(mapping, Mapping):
            raise ValueError("remap: expected a dict")
        if self._original is not None:
            raise ValueError("Dictionary already remapped; call `unmap` before remapping again")
        self._original = dict(self._data())
        self._dict = {mapping.get(k, k): v for k, v in self._original.items()}
        self._reversed = None

    def unmap(self) -> None:
        """Restores the keys before remap()."""
        if self._original is not None:
            self._dict, self._original, self._reversed = self._original, None, None


class DictionaryManager:
    """Holds the activity, product and biosphere dictionaries: ``dicts.product[id]``."""

    def __init__(self) -> None:
        object.__setattr__(self, "_dicts", {})

    def __getattr__(self, name: str) -> ReversibleRemappableDictionary:
        try:
            return self._dicts[name]
        except KeyError:
            raise ValueError("This dictionary not yet created") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self._dicts[name] = ReversibleRemappableDictionary(value)

    def __len__(self) -> int:
        return len(self._dicts)

    def __iter__(self) -> Iterator[str]:
        return iter(self._dicts)
