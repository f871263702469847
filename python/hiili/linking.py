"""Linking a small foreground system to a background model, and scenario copies of a model.

    fg = pd.DataFrame({"id": ["mill"], "name": ["steel mill"], "unit": ["t"]})
    A_fg = pd.DataFrame({"row": ["mill", "market for coal 3"], "col": ["mill", "mill"],
                         "amount": [1.0, -0.6]})                # matrix values, inputs < 0
    B_fg = pd.DataFrame({"row": ["carbon dioxide, fossil"], "col": ["mill"], "amount": [1460.0]})
    model = hiili.linking.link(background, fg, A_fg, B_fg)
    changed = hiili.linking.apply_scenario(model, hiili.Scenario("x", [("A", r, c, v)]))

``link`` appends the foreground's activities after the background's, and its own flows (if
any) after the background's flows (background indices stay the same), and builds

    A = [[A_bb, A_bf],      B = [[B_bb, B_bf],      C = [C_b, C_f]
         [0,    A_ff]]           [0,    B_ff]]

with scipy.sparse block matrices (B_ff, C_f: the foreground flows' rows of B and their
characterisation factors; without foreground flows B = [B_b, B_f] and C = C_b). Rows of the
foreground tables name foreground activities and flows by their "id" and background
activities, flows and categories by any label the background knows (or an index).
Uncertainty (stats_arrays columns, as ``Model.entries`` shows them) is carried over from the
background and taken from the foreground tables. Each matrix's entries are its CSC slots in
order, the background's columns first and as they were.

``apply_scenario`` returns a copy of a model with the entries a ``hiili.Scenario`` names set to
new values and **the same entry pattern**: entry e is the same (row, column) in both, so a
Monte Carlo run with the same seed draws the same numbers for every entry the scenario leaves
alone (common random numbers across models; docs/monte-carlo.md, "Reproducibility").
Positions a scenario may change must therefore be stored in the model already (store them as
explicit zeros when the baseline does not use them).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _core
from .scenario import Scenario
from .model import Model
from .monte_carlo import with_uncertainty

__all__ = ["apply_scenario", "link"]

UNCERTAINTY_COLUMNS = (
    "uncertainty_type",
    "loc",
    "scale",
    "shape",
    "minimum",
    "maximum",
    "negative",
)
_FIXED = 0
_LOGNORMAL = 2
_NORMAL = 3


# ---- link ---------------------------------------------------------------------------------
def link(
    background: Model,
    activities: pd.DataFrame,
    technosphere: pd.DataFrame,
    biosphere: pd.DataFrame | None = None,
    *,
    flows: pd.DataFrame | None = None,
    characterization: pd.DataFrame | None = None,
) -> Model:
    """The background model with a foreground system appended.

    activities: one row per foreground activity, with a unique "id" column (ids must not be
    labels of background activities) and any other label columns (name, unit, ...).
    technosphere: columns row, col, amount (the value of A: the diagonal output positive,
    inputs negative); col is a foreground id, row a foreground id or a background activity
    (label or index). Optional uncertainty columns (uncertainty_type, loc, scale, shape,
    minimum, maximum, negative). A row with amount 0 is stored as an explicit zero.
    biosphere: columns row (a foreground flow id, or a background flow label or index), col
    (foreground activity id), amount, optional uncertainty columns.
    flows: foreground flows, appended after the background's flows like the activities: a
    unique "id" column (not a label of a background flow) and any other label columns.
    characterization: the factors of the foreground flows: columns row (category label or
    index), col (foreground flow id), amount, optional uncertainty columns.

    Each matrix's entries are its CSC slots in order (the background's columns first, then
    the foreground's), so the random stream of each entry in a seeded Monte Carlo run
    depends only on the combined pattern.

    Raises hiili.InvalidInputError naming the table, row and column for an unknown label, a
    duplicate position, a non-finite amount, or a background whose uncertain entries cannot
    be carried over (several entries on one position, Brightway "flip" on an uncertain entry).
    """
    act_ids = _foreground_ids(activities, "activities", background.n, background._cpp.activities)
    flow_ids = _foreground_ids(flows, "flows", background.m, background._cpp.flows)
    n, m = background.n, background.m
    tech = _resolve(technosphere, "technosphere", act_ids, act_ids, background.activity_index)
    bio = _resolve(biosphere, "biosphere", act_ids, flow_ids, background.flow_index)
    char = _resolve(characterization, "characterization", flow_ids, {}, background.category_index)
    A = _stack(background.A, tech, n + len(act_ids), len(act_ids))
    B = _stack(background.B, bio, m + len(flow_ids), len(act_ids))
    C = _stack(background.C, char, background.k, len(flow_ids))
    model = Model(
        A,
        B,
        C,
        _labels(background.activities, activities),
        background.flows if flows is None else _labels(background.flows, flows),
        background.categories,
    )
    for matrix, table in (("A", tech), ("B", bio), ("C", char)):
        model = _carry_uncertainty(model, background, matrix, table)
    return model


def _foreground_ids(
    table: pd.DataFrame | None, what: str, offset: int, background: _core.Labels
) -> dict[str, int]:
    """{id: index in the combined model} of a table of foreground activities or flows."""
    if table is None:
        return {}
    if "id" not in table.columns:
        raise _core.InvalidInputError(f"foreground {what}: no 'id' column")
    ids: dict[str, int] = {}
    for i, raw in enumerate(table["id"]):
        key = str(raw)
        if key in ids:
            raise _core.InvalidInputError(f"foreground {what}: row {i}: duplicate id {key!r}")
        if background.find(key) is not None:
            raise _core.InvalidInputError(
                f"foreground {what}: row {i}: id {key!r} is also a background label"
            )
        ids[key] = offset + i
    return ids


def _resolve(
    table: pd.DataFrame | None,
    what: str,
    col_ids: dict[str, int],
    row_ids: dict[str, int],
    find_background: Any,
) -> pd.DataFrame:
    """The table with integer row/col positions in the combined model: col a foreground id,
    row a foreground id (row_ids) or what the background finds."""
    if table is None or len(table) == 0:
        return pd.DataFrame(
            {"row": np.zeros(0, np.int64), "col": np.zeros(0, np.int64), "amount": np.zeros(0)}
        )
    for column in ("row", "col", "amount"):
        if column not in table.columns:
            raise _core.InvalidInputError(f"foreground {what}: no {column!r} column")
    rows, cols = [], []
    for i, (r, c) in enumerate(zip(table["row"], table["col"], strict=True)):
        where = f"foreground {what}: row {i}"
        if str(c) not in col_ids:
            raise _core.InvalidInputError(f"{where}, column 'col': unknown foreground id {c!r}")
        cols.append(col_ids[str(c)])
        if str(r) in row_ids:
            rows.append(row_ids[str(r)])
            continue
        try:
            rows.append(find_background(r if isinstance(r, int | np.integer) else str(r)))
        except _core.InvalidInputError as e:
            raise _core.InvalidInputError(f"{where}, column 'row': {e}") from None
    amounts = np.asarray(table["amount"], dtype=np.float64)
    bad = np.flatnonzero(~np.isfinite(amounts))
    if bad.size:
        raise _core.InvalidInputError(
            f"foreground {what}: row {bad[0]}, column 'amount': not finite"
        )
    out = pd.DataFrame(
        {"row": np.asarray(rows, np.int64), "col": np.asarray(cols, np.int64), "amount": amounts}
    )
    for column in UNCERTAINTY_COLUMNS:
        if column in table.columns:
            out[column] = np.asarray(table[column])
    dup = out.duplicated(["row", "col"])
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise _core.InvalidInputError(f"foreground {what}: row {i}: position given twice")
    return out


def _stack(background: sp.csc_array, table: pd.DataFrame, rows: int, cols: int) -> sp.csc_array:
    """[[background, F_top], [0, F_bottom]]: the background padded with zero rows to `rows`
    and the foreground's `cols` columns appended, explicit zeros of the foreground kept."""
    old_rows, old_cols = background.shape
    F = sp.csc_array(
        (table["amount"].to_numpy(), (table["row"].to_numpy(), table["col"].to_numpy() - old_cols)),
        shape=(rows, cols),
    )
    left = background
    if rows > old_rows:
        left = sp.vstack([background, sp.csc_array((rows - old_rows, old_cols))])
    M = sp.hstack([left, F], format="csc")
    M.sort_indices()
    return M


def _labels(background: pd.DataFrame, foreground: pd.DataFrame) -> pd.DataFrame:
    columns = list(dict.fromkeys([*background.columns, *foreground.columns]))
    both = pd.concat([background.astype(str), foreground.astype(str)], ignore_index=True)
    return both.reindex(columns=columns).fillna("")


def _carry_uncertainty(
    model: Model, background: Model, matrix: str, foreground: pd.DataFrame
) -> Model:
    """model with the background's uncertainty (by position) and the foreground's."""
    has_fg = any(c in foreground.columns for c in UNCERTAINTY_COLUMNS)
    if not background.has_uncertainty(matrix) and not has_fg:
        return model
    target = model.entries(matrix)
    table = _fixed_table(len(target))
    if background.has_uncertainty(matrix):
        _copy_rows(table, target, _background_uncertainty(background, matrix))
    if has_fg:
        _copy_rows(table, target, foreground)
    return with_uncertainty(model, matrix, table)


def _fixed_table(size: int) -> dict[str, np.ndarray]:
    table = {c: np.full(size, np.nan) for c in UNCERTAINTY_COLUMNS}
    table["uncertainty_type"] = np.zeros(size, np.uint8)
    table["negative"] = np.zeros(size, bool)
    return table


def _background_uncertainty(background: Model, matrix: str) -> pd.DataFrame:
    entries = background.entries(matrix)
    where = f"background {matrix}"
    if entries["slot"].duplicated().any():
        raise _core.InvalidInputError(
            f"{where}: several entries share a position; link needs one entry per position "
            "to carry uncertainty over"
        )
    uncertain = entries["uncertainty_type"] > 1
    if (uncertain & entries["flip"]).any():
        raise _core.InvalidInputError(
            f"{where}: uncertain entries with Brightway 'flip' cannot be carried over"
        )
    return entries


def _copy_rows(table: dict[str, np.ndarray], target: pd.DataFrame, source: pd.DataFrame) -> None:
    """Writes source's uncertainty columns into table at the entries of the same position."""
    index = pd.MultiIndex.from_arrays([target["row"], target["col"]])
    position = index.get_indexer(pd.MultiIndex.from_arrays([source["row"], source["col"]]))
    for column in UNCERTAINTY_COLUMNS:
        if column not in source.columns:
            continue
        values = source[column].to_numpy()
        if column == "uncertainty_type":
            values = np.nan_to_num(values.astype(np.float64), nan=0.0).astype(np.uint8)
        elif column == "negative":
            values = values.astype(bool)
        table[column][position] = values


# ---- scenarios as models --------------------------------------------------------------------
def apply_scenario(
    model: Model,
    scenario: Scenario,
    sigma: float | Mapping[tuple[str, int, int], float] | None = None,
) -> Model:
    """A copy of `model` with the scenario's changes, on the same entry pattern.

    Each changed position must be stored in `model` by exactly one entry (an explicit zero is
    fine). Its uncertainty follows the new value: a lognormal keeps its sigma around the new
    median (sign from the value), a normal keeps its sd around the new mean, a fixed entry stays
    fixed. `sigma` (a number, or {(matrix, row, col): sigma}) makes the named changed entries
    lognormal with that sigma instead; a new value of 0 is always fixed.

    Raises hiili.InvalidInputError naming the scenario and change for a position that is not
    stored, or an uncertainty type that cannot follow a new value.
    """
    resolved = scenario.resolved(model)
    values = {name: getattr(model, name).data.copy() for name in ("A", "B", "C")}
    tables = {name: _entry_table(model, name) for name in ("A", "B", "C")}
    slots = {name: _slot_lookup(getattr(model, name)) for name in ("A", "B", "C")}
    for i, (matrix, row, col, value) in enumerate(resolved.changes):
        where = f"scenario {scenario.name!r}, change {i} ({matrix}[{row}, {col}])"
        slot = slots[matrix].get((int(row), int(col)))
        if slot is None:
            raise _core.InvalidInputError(
                f"{where}: position not stored in the model; store it as an explicit zero"
            )
        values[matrix][slot] = value
        _follow(tables[matrix], slot, value, _sigma_for(sigma, matrix, row, col), where)
    out = Model(
        *(_with_values(getattr(model, name), values[name]) for name in ("A", "B", "C")),
        model.activities,
        model.flows,
        model.categories,
    )
    for name in ("A", "B", "C"):
        if tables[name] is not None:
            out = with_uncertainty(out, name, tables[name])
    return out


def _entry_table(model: Model, matrix: str) -> dict[str, np.ndarray] | None:
    """The uncertainty columns indexed by slot (None when the matrix has none), after checking
    that the model's entries map one to one onto its slots."""
    entries = model.entries(matrix)
    nnz = getattr(model, matrix).nnz
    if len(entries) != nnz or not np.array_equal(np.sort(entries["slot"]), np.arange(nnz)):
        raise _core.InvalidInputError(
            f"apply_scenario: {matrix} has several entries on one position; "
            "rebuild the model with one entry per position"
        )
    if (entries["flip"]).any():
        raise _core.InvalidInputError(f"apply_scenario: {matrix} has flipped entries")
    if "uncertainty_type" not in entries.columns:
        return None
    order = np.argsort(entries["slot"].to_numpy())
    return {c: entries[c].to_numpy()[order].copy() for c in UNCERTAINTY_COLUMNS}


def _slot_lookup(M: sp.csc_array) -> dict[tuple[int, int], int]:
    cols = np.repeat(np.arange(M.shape[1]), np.diff(M.indptr))
    return {(int(r), int(c)): k for k, (r, c) in enumerate(zip(M.indices, cols, strict=True))}


def _sigma_for(sigma: Any, matrix: str, row: int, col: int) -> float | None:
    if sigma is None or isinstance(sigma, int | float):
        return sigma
    return sigma.get((matrix, int(row), int(col)))


def _follow(
    table: dict[str, np.ndarray] | None, slot: int, value: float, sigma: float | None, where: str
) -> None:
    """Moves the uncertainty of one entry to a new value (see apply_scenario)."""
    if table is None:
        if sigma is not None and value != 0.0:
            raise _core.InvalidInputError(
                f"{where}: sigma given but the model's matrix has no uncertainty table"
            )
        return
    kind = int(table["uncertainty_type"][slot])
    if value == 0.0:
        _set(table, slot, _FIXED, math.nan, math.nan, False)
    elif sigma is not None:
        if not sigma > 0:
            raise _core.InvalidInputError(f"{where}: sigma must be > 0, got {sigma}")
        _set(table, slot, _LOGNORMAL, math.log(abs(value)), sigma, value < 0)
    elif kind == _LOGNORMAL:
        _set(table, slot, _LOGNORMAL, math.log(abs(value)), table["scale"][slot], value < 0)
    elif kind == _NORMAL:
        _set(table, slot, _NORMAL, value, table["scale"][slot], False)
    elif kind > 1:
        raise _core.InvalidInputError(
            f"{where}: uncertainty type {kind} cannot follow a new value; give sigma"
        )


def _set(
    table: dict[str, np.ndarray], slot: int, kind: int, loc: float, scale: float, negative: bool
) -> None:
    table["uncertainty_type"][slot] = kind
    table["loc"][slot] = loc
    table["scale"][slot] = scale
    table["negative"][slot] = negative
    for column in ("shape", "minimum", "maximum"):
        table[column][slot] = math.nan


def _with_values(M: sp.csc_array, data: np.ndarray) -> sp.csc_array:
    return sp.csc_array((data, M.indices.copy(), M.indptr.copy()), shape=M.shape)
