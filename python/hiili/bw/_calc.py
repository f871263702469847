"""The numerical side of hiili.bw: matrix entries to hiili models, solves and Monte Carlo draws.

A deterministic calculation builds one hiili.Model from A and B (canonical CSC, duplicates
summed) and factorizes it once; characterization, normalization and weighting are diagonal, so
scores are dot products with the inventory.

A stochastic one (use_distributions=True) also builds a Model from the entries themselves
(hiili.Model.from_entries), each with its stats_arrays distribution and flip: entries at one
position are summed in the matrix but drawn apart, as bw2calc draws every entry, flips it,
rescales it and then sums duplicates. Iteration i's value of entry e is hiili's draw for
(seed, matrix, e, i), negated where flipped: hiili.MonteCarlo computes scores for many
iterations in C++, and the C++ sampled_values (bound as _core.sampled_values) gives the very
same slot values when a script asks for the iteration's matrices, supply or inventory. A
rescale factor r is folded into the distribution (r X is again a stats_arrays distribution,
except for Bernoulli and discrete uniform).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _core
from .._convert import UINT64, integer
from ..lca import Lca
from ..model import Model
from ..monte_carlo import MonteCarlo
from ._matrices import Entries

_KIND = {
    "A": _core.MatrixKind.Technosphere,
    "B": _core.MatrixKind.Biosphere,
    "C": _core.MatrixKind.Characterization,
}


def csc_slots(e: Entries, shape: tuple[int, int]) -> tuple[sp.csc_array, np.ndarray]:
    """The canonical CSC matrix of the entries (duplicates summed, explicit zeros kept) and
    each entry's slot in its value array."""
    key = e.cols * shape[0] + e.rows
    unique, slot = np.unique(key, return_inverse=True)
    values = np.bincount(slot, weights=e.values, minlength=len(unique))
    cols = unique // max(shape[0], 1)
    rows = unique - cols * shape[0]
    indptr = np.zeros(shape[1] + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=shape[1]), out=indptr[1:])
    M = sp.csc_array((values, rows.astype(np.int64), indptr), shape=shape)
    M.has_sorted_indices = True
    M.has_canonical_format = True
    return M, slot


_PARAMETERS = ("loc", "scale", "shape", "minimum", "maximum")
_RECORD = ("uncertainty_type", *_PARAMETERS)


def _rescale(
    cols: dict[str, np.ndarray], amounts: np.ndarray, flip: np.ndarray, r: np.ndarray, where: str
) -> None:
    """Turns each drawn entry's record into that of r X (bw2calc multiplies every draw by the
    entry's rescale factor r after flipping it), in place: hiili::io::rescale_uncertainty, the
    rule the C++ datapackage reader applies (docs/brightway.md). r < 0 is |r| X with the flip
    toggled (and the amount negated, so that the entry's value is unchanged); r = 0 a fixed 0.

    Raises NotImplementedError for Bernoulli and discrete uniform entries with |r| other than
    0 or 1: r X then takes values no stats_arrays distribution that hiili samples has.
    """
    try:
        out = _core.rescale_distributions(
            factor=np.ascontiguousarray(r, dtype=np.float64),
            amount=amounts,
            flip=flip,
            negative=cols["negative"],
            **{name: cols[name] for name in _RECORD},
        )
    except NotImplementedError as e:
        raise NotImplementedError(f"{where}: {e}") from None
    for name in _RECORD:
        cols[name][...] = out[name]
    amounts[...] = out["amount"]
    flip[...] = out["flip"]


def entry_table(e: Entries, stochastic: bool, where: str) -> dict[str, np.ndarray]:
    """The entries as Model.from_entries takes them: row, col, amount, flip and, when
    `stochastic` and some entry is uncertain, each entry's stats_arrays record (rescaled as
    bw2calc rescales draws; flip stays the entry's own, applied to the draw by hiili)."""
    table = {"row": e.rows, "col": e.cols, "amount": e.amounts, "flip": e.flip}
    dist = e.distribution_table() if stochastic else None
    if dist is None or not (dist["uncertainty_type"] > 1).any():
        return table
    # bw_processing stores the parameters as float32: widen before rescaling, as numpy does
    # when bw2calc multiplies a draw by its rescale factor.
    cols = {name: dist[name].astype(np.float64) for name in _PARAMETERS}
    cols["uncertainty_type"] = dist["uncertainty_type"].astype(np.uint8)
    cols["negative"] = dist["negative"].astype(bool)
    if e.rescale is not None:
        table["amount"], table["flip"] = e.amounts.copy(), e.flip.copy()
        _rescale(cols, table["amount"], table["flip"], e.rescale, where)
    return table | cols


def _one_matrix_model(kind: str, table: dict, shape: tuple[int, int]) -> _core.Model:
    """A hiili model holding only this matrix's entries (the others empty): what
    hiili.sampled_values reads an iteration's slot values from."""
    empty = {"row": np.zeros(0, np.int64), "col": np.zeros(0, np.int64), "amount": np.zeros(0)}
    rows, cols = shape
    if kind == "A":
        return Model.from_entries(cols, A=table)._cpp
    if kind == "B":
        return Model.from_entries(cols, rows, A=empty, B=table)._cpp
    return Model.from_entries(1, cols, rows, A=empty, C=table)._cpp  # a model has an activity


class Draws:
    """The values of one matrix's CSC slots in each Monte Carlo iteration, as hiili draws them
    (the C++ sampled_values): each uncertain entry e from its own stream (seed, matrix, e),
    negated where flipped, added to the fixed entries of its slot (the same numbers as
    hiili.MonteCarlo)."""

    def __init__(self, kind: str, table: dict, shape: tuple[int, int], seed: int) -> None:
        self.kind = _KIND[kind]
        self.seed = seed
        self.model = _one_matrix_model(kind, table, shape)

    def values(self, iteration: int) -> np.ndarray:
        """The slot values of `iteration` (a fresh array)."""
        return _core.sampled_values(self.model, self.kind, self.seed, iteration)


class Matrix:
    """One matrix of the calculation: its CSC pattern, deterministic values, its entries (with
    their uncertainty when stochastic) and draws."""

    def __init__(self, kind: str, e: Entries, shape: tuple[int, int], stochastic: bool) -> None:
        self.kind = kind
        self.shape = shape
        self.csc, self.slot = csc_slots(e, shape)
        self.table = entry_table(e, stochastic, f"{kind} matrix")
        self.uncertain = "uncertainty_type" in self.table
        self.draws: Draws | None = None

    def start_draws(self, seed: int) -> None:
        self.draws = Draws(self.kind, self.table, self.shape, seed) if self.uncertain else None

    def at(self, iteration: int | None) -> sp.csc_array:
        """The matrix in `iteration` (None: the deterministic values)."""
        if iteration is None or self.draws is None or not self.uncertain:
            return self.csc
        M = self.csc.copy()
        M.data = self.draws.values(iteration)
        return M


def hiili_model(A: Matrix, B: Matrix, C: Matrix | None) -> Model:
    """A hiili.Model of the matrices' entries, each with its own uncertainty (entries at one
    position summed in the matrix, drawn apart in Monte Carlo)."""
    return Model.from_entries(
        A.shape[0],
        B.shape[0],
        0 if C is None else C.shape[0],
        A=A.table,
        B=B.table,
        C=None if C is None else C.table,
    )


class Solver:
    """Solves with one factorisation of A per iteration (hiili.Lca, refactored on new values)."""

    def __init__(self, A: Matrix, B: Matrix, solver: str) -> None:
        self.A = A
        self.lca = Lca(Model(A.csc, B.csc), solver)
        self.iteration: int | None = None

    def factor(self, iteration: int | None) -> None:
        if iteration == self.iteration:
            return
        if iteration is None or not self.A.uncertain:
            if self.iteration is not None and self.A.uncertain:
                self.lca.update_technosphere(self.A.csc.data)
        else:
            self.lca.update_technosphere(self.A.at(iteration).data)
        self.iteration = iteration

    def solve(self, F: np.ndarray, iteration: int | None) -> np.ndarray:
        """Supplies for the columns of F (n x d) in `iteration`."""
        self.factor(iteration)
        if F.shape[1] == 1:
            return self.lca._cpp.solve(np.ascontiguousarray(F[:, 0])).supply[:, None]
        return self.lca._cpp.solve_many(F).supply


class Engine:
    """Scores of many iterations from hiili.MonteCarlo, computed ahead in growing chunks."""

    def __init__(
        self, model: Model, demands: Sequence[dict[int, float]], seed: int, threads: int | None
    ) -> None:
        self.mc = MonteCarlo(model, list(demands), seed=seed, threads=threads)
        self.d = len(demands)
        self._start = 0
        self._scores: np.ndarray | None = None  # (iterations, d, k)

    def scores(self, iteration: int) -> np.ndarray:
        """k x d scores of `iteration` (NaN where its technosphere was singular)."""
        s = self._scores
        if s is None or not self._start <= iteration < self._start + s.shape[0]:
            count = 1 if s is None else min(2 * s.shape[0], 256)
            result = self.mc.run(count, first_iteration=iteration, progress=False)
            self._scores = np.stack([result.scores_of(j) for j in range(self.d)], axis=1)
            self._start = iteration
        return self._scores[iteration - self._start].T


def dense_demands(demands: Sequence[dict[int, float]], n: int) -> np.ndarray:
    """n x d dense demand matrix from {product index: amount} dicts."""
    F = np.zeros((n, len(demands)))
    for j, demand in enumerate(demands):
        for i, amount in demand.items():
            F[i, j] += amount
    return F


def random_seed() -> int:
    """A fresh 63-bit seed from the operating system (bw2calc draws unseeded too)."""
    return int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)


def first_seed(packages: Sequence[Any], override: int | None) -> int | None:
    """seed_override, else the first package seed, else None."""
    if override is not None:
        return integer(override, "seed_override", (0, 2**64 - 1), bits=UINT64)
    for p in packages:
        seed = p.metadata.get("seed")
        if seed is not None:
            return integer(seed, "the datapackage's seed", (0, 2**64 - 1), bits=UINT64)
    return None
