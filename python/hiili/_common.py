"""What the analysis modules share: the labels tables print, category and demand arguments,
the names of the matrices. A leaf module (it imports only the core), so that hiili.analysis,
hiili.scenario and hiili.plots can all use it without importing each other."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import _core

if TYPE_CHECKING:  # pragma: no cover
    from .lca import Lca
    from .model import Model

_MATRIX_NAMES = ("A", "B", "C")
_MATRIX_KINDS = {
    "A": _core.MatrixKind.Technosphere,
    "technosphere": _core.MatrixKind.Technosphere,
    "B": _core.MatrixKind.Biosphere,
    "biosphere": _core.MatrixKind.Biosphere,
    "C": _core.MatrixKind.Characterization,
    "characterization": _core.MatrixKind.Characterization,
}
_KIND_NAME = {
    _core.MatrixKind.Technosphere: "A",
    _core.MatrixKind.Biosphere: "B",
    _core.MatrixKind.Characterization: "C",
}


def display_labels(table: _core.Labels, size: int) -> list[str]:
    """The labels tables print (hiili::Labels::display): "name [location] (compartment)", else
    "id", else the first column, else "#i"; Model.activity_index and friends accept each back."""
    return table.display_all(size)


def _activity_labels(model: Model) -> list[str]:
    return display_labels(model._cpp.activities, model.n)


def _flow_labels(model: Model) -> list[str]:
    return display_labels(model._cpp.flows, model.m)


def _category_labels(model: Model) -> list[str]:
    return display_labels(model._cpp.categories, model.k)


def _category(model: Model, category: Any) -> int:
    if model.k == 0:
        raise _core.InvalidInputError("the model has no impact categories")
    return model.category_index(category)


def _categories(model: Model, category: Any) -> list[int]:
    """None or "all" means every category; otherwise one index or label, or a list of them."""
    if category is None or (isinstance(category, str) and category == "all"):
        if model.k == 0:
            raise _core.InvalidInputError("the model has no impact categories")
        return list(range(model.k))
    if isinstance(category, list | tuple):
        return [_category(model, c) for c in category]
    return [_category(model, category)]


def _dense_demand(lca: Lca, demand: Any) -> np.ndarray:
    return np.ascontiguousarray(lca.demand_vector(demand), dtype=np.float64)


def _category_units(model: Model) -> list[str]:
    """The categories' "unit" column, else '' for each."""
    table = model._cpp.categories
    if "unit" not in table.column_names():
        return [""] * model.k
    return [str(u) for u in table.column("unit")]


def _matrix_name(matrix: Any) -> str:
    if isinstance(matrix, _core.MatrixKind):
        return _KIND_NAME[matrix]
    if isinstance(matrix, str) and matrix in _MATRIX_KINDS:
        return _KIND_NAME[_MATRIX_KINDS[matrix]]
    raise _core.InvalidInputError(f"unknown matrix {matrix!r}: expected 'A', 'B' or 'C'")
