"""A demand's answer: hiili.Result (one demand) and hiili.Results (many), numpy arrays with
the model's labels. A module of its own so that Lca (hiili.lca) and what_if
(hiili.scenario) both build results without importing each other."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _convert, _core
from .model import Model

_WHAT = {
    "scores": ("categories", "score"),
    "supply": ("activities", "supply"),
    "inventory": ("flows", "amount"),
}


class _Answer:
    """The model and its supply, inventory and scores arrays (Result and Results)."""

    __slots__ = ("inventory", "model", "scores", "supply")

    def __init__(
        self, model: Model, supply: np.ndarray, inventory: np.ndarray, scores: np.ndarray
    ) -> None:
        self.model = model
        self.supply = supply
        self.inventory = inventory
        self.scores = scores


class Result(_Answer):
    """One demand's answer: supply (n,), inventory (m,), scores (k,) as numpy arrays."""

    __slots__ = ()

    def to_frame(self, what: str = "scores") -> pd.DataFrame:
        """The labels of the categories ("scores"), activities ("supply") or flows
        ("inventory") with a value column (score / supply / amount)."""
        table, column = _table(what)
        frame = getattr(self.model, table).copy()
        frame[column] = getattr(self, what)
        return frame

    def to_series(self, what: str = "scores") -> pd.Series:
        """The values indexed by label (id, else name, else first column, else position)."""
        table, column = _table(what)
        return pd.Series(getattr(self, what), index=_label_index(self.model, table), name=column)

    def __repr__(self) -> str:
        return (
            f"<hiili.Result n={self.supply.shape[0]} m={self.inventory.shape[0]} "
            f"scores={np.array2string(self.scores, precision=4, threshold=6)}>"
        )


class Results(_Answer):
    """Many demands' answers: supply (n, d), inventory (m, d), scores (k, d)."""

    __slots__ = ()

    def __len__(self) -> int:
        return self.supply.shape[1]

    def __getitem__(self, j: int) -> Result:
        """The answer to demand j."""
        return Result(self.model, self.supply[:, j], self.inventory[:, j], self.scores[:, j])

    def to_frame(self, what: str = "scores") -> pd.DataFrame:
        """Labels of categories / activities / flows and one value column per demand (0..d-1)."""
        table, _ = _table(what)
        values = getattr(self, what)
        frame = getattr(self.model, table).copy()
        for j in range(values.shape[1]):
            frame[j] = values[:, j]
        return frame


def _table(what: str) -> tuple[str, str]:
    try:
        return _WHAT[what]
    except KeyError:
        raise _core.InvalidInputError(
            f"unknown result {what!r}: expected 'scores', 'supply' or 'inventory'"
        ) from None


def _label_index(model: Model, table: str) -> pd.Index:
    labels = {
        "activities": (model._cpp.activities, model.n, "activity"),
        "flows": (model._cpp.flows, model.m, "flow"),
        "categories": (model._cpp.categories, model.k, "category"),
    }[table]
    return _convert.label_index(*labels)
