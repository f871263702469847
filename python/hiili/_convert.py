"""Conversions between Python objects and what hiili._core takes: CSC matrices, labels, options.

The core never casts silently; these helpers convert on purpose (dense or any sparse format
to CSC, integer or float32 values to float64) and refuse what has no meaning (complex, objects).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _core

_REAL_KINDS = "biuf"


def as_float64(values: np.ndarray, what: str) -> np.ndarray:
    """`values` as float64, converting bool/int/float arrays; TypeError for anything else."""
    if values.dtype == np.float64:
        return values
    if values.dtype.kind not in _REAL_KINDS:
        raise TypeError(f"{what}: expected real numbers, got dtype {values.dtype}")
    return values.astype(np.float64)


def as_csc(matrix: Any, what: str) -> Any:
    """A canonical float64 scipy CSC matrix (or a _core.CscMatrix, passed through).

    A CSC input with float64 values and sorted, unique row indices is passed on as is (the
    core copies its arrays once); anything else is converted here.
    """
    if isinstance(matrix, _core.CscMatrix):
        return matrix
    if sp.issparse(matrix):
        if matrix.ndim != 2:
            raise _core.InvalidInputError(
                f"{what}: expected a 2-d matrix, got shape {matrix.shape}"
            )
        M = matrix if matrix.format == "csc" else sp.csc_array(matrix)
    else:
        dense = np.asarray(matrix)
        if dense.ndim != 2:
            raise _core.InvalidInputError(f"{what}: expected a 2-d matrix, got shape {dense.shape}")
        as_float64(dense, what)  # the type check, before any conversion
        M = sp.csc_array(dense)
    if M.dtype != np.float64:
        if M.dtype.kind not in _REAL_KINDS:
            raise TypeError(f"{what}: expected real numbers, got dtype {M.dtype}")
        M = M.astype(np.float64)
    if not M.has_canonical_format:
        M = M.copy()
        M.sum_duplicates()  # sorts row indices too
    return M


def empty_csc(rows: int, cols: int) -> sp.csc_array:
    return sp.csc_array((rows, cols), dtype=np.float64)


def csc_view(matrix: _core.CscMatrix) -> sp.csc_array:
    """A scipy CSC array over the core matrix's storage: no copy, read-only, keeps it alive."""
    M = sp.csc_array(
        (matrix.values, matrix.row_idx, matrix.col_ptr), shape=matrix.shape, copy=False
    )
    # The core keeps row indices sorted and unique; tell scipy so it never tries to fix them in
    # place (the arrays are read-only).
    M.has_sorted_indices = True
    M.has_canonical_format = True
    return M


def labels(table: Any, size: int, what: str) -> _core.Labels:
    """_core.Labels from None, a DataFrame (one label column per column), a Series, or a list.

    A plain list (or Series without a name) becomes the column "name". Missing values become "".
    """
    if table is None:
        return _core.Labels()
    if isinstance(table, _core.Labels):
        return table
    if isinstance(table, pd.DataFrame):
        columns = {str(c): table[c] for c in table.columns}
        rows = len(table)
    elif isinstance(table, pd.Series):
        columns = {str(table.name) if table.name is not None else "name": table}
        rows = len(table)
    elif isinstance(table, Mapping):
        columns = {str(k): pd.Series(list(v), dtype=object) for k, v in table.items()}
        rows = len(next(iter(columns.values()))) if columns else size
    elif isinstance(table, Iterable) and not isinstance(table, str | bytes):
        values = pd.Series(list(table), dtype=object)
        columns = {"name": values}
        rows = len(values)
    else:
        raise TypeError(
            f"{what} labels: expected a DataFrame, a list of str or None, got {table!r}"
        )
    out = _core.Labels(rows)
    for name, column in columns.items():
        series = pd.Series(column, dtype=object)
        out.set_column(name, [("" if pd.isna(v) else str(v)) for v in series.tolist()])
    return out


def labels_frame(table: _core.Labels, size: int) -> pd.DataFrame:
    """The labels as a DataFrame of str columns (no columns when the model has no labels)."""
    data = {name: table.column(name) for name in table.column_names()}
    return pd.DataFrame(data, index=pd.RangeIndex(size), dtype=object)


def key_column(table: _core.Labels) -> str | None:
    """The column _core.Labels.find looks up first: "id", else "name", else the first one."""
    names = table.column_names()
    for name in ("id", "name"):
        if name in names:
            return name
    return names[0] if names else None


def label_index(table: _core.Labels, size: int, name: str) -> pd.Index:
    """An index of the key labels (see key_column), or a RangeIndex when there are none."""
    column = key_column(table)
    if column is None:
        return pd.RangeIndex(size, name=name)
    return pd.Index(table.column(column), name=name, dtype=object)


# ---- scalar arguments -----------------------------------------------------------------------
# The ranges are checked in C++ (hiili/limits.hpp and each option's own check), one place for
# C++, Python and the CLI. These helpers only turn a Python value into what the C++ type can
# hold, so that pybind11 never answers with a TypeError listing signatures: a bool, a string, a
# non-whole float (2.5), NaN or a number beyond the C++ type raise hiili.InvalidInputError
# naming the argument and the range `allowed` it must lie in.

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT64 = (0, 2**64 - 1)


def integer(
    value: Any, name: str, allowed: tuple[int, int], bits: tuple[int, int] = INT64
) -> int:
    """`value` as a Python int for a C++ integer of range `bits` (int64 by default). Whole
    floats (1e6) are accepted; `allowed` is only quoted in the message."""
    lo, hi = allowed
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, np.integer, float, np.floating)
    ):
        raise _core.InvalidInputError(
            f"{name} must be an integer in [{lo}, {hi}], got {value!r}"
        )
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value) or value != np.floor(value):
            raise _core.InvalidInputError(
                f"{name} must be an integer in [{lo}, {hi}], got {value!r}"
            )
    result = int(value)
    if not bits[0] <= result <= bits[1]:
        raise _core.InvalidInputError(f"{name} must be in [{lo}, {hi}], got {result}")
    return result


def real(value: Any, name: str, allowed: str) -> float:
    """`value` as a float for a C++ double: ints and floats pass (NaN too: the C++ check
    refuses it where it has no meaning); bool, strings and objects raise InvalidInputError."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
        value, (int, np.integer, float, np.floating)
    ):
        raise _core.InvalidInputError(f"{name} must be a number in {allowed}, got {value!r}")
    try:
        return float(value)
    except OverflowError:  # an int beyond any double
        raise _core.InvalidInputError(
            f"{name} must be a number in {allowed}, got {value}"
        ) from None


def threads(value: Any, name: str = "threads") -> int:
    """A thread count (None: all cores) checked by hiili::check_threads."""
    if value is None:
        return 0
    top = _core.max_threads()
    count = integer(value, name, (0, top), bits=(-(2**1000), 2**1000))  # the type only
    if INT64[0] <= count <= INT64[1]:
        _core.check_threads(count, name)
    elif count:  # beyond the C++ type: the same words as hiili::check_threads
        raise _core.InvalidInputError(f"{name} must be 0 (all cores) or in [1, {top}], got {count}")
    return count
