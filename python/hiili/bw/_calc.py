"""The numerical side of hiili.bw: matrix entries to hiili models, solves and Monte Carlo draws.

A deterministic calculation builds one hiili.Model from A and B (canonical CSC, duplicates
summed) and factorizes it once; characterization, normalization and weighting are diagonal, so
scores are dot products with the inventory.

A stochastic one (use_distributions=True) also builds a Model whose CSC entries carry the
stats_arrays distributions (hiili.with_uncertainty). Iteration i's values of entry e are hiili's
draws for (seed, matrix, e, i): hiili.MonteCarlo computes scores for many iterations in C++,
and hiili.sample_distribution with the same stream reproduces the very same values when a
script asks for the iteration's matrices, supply or inventory.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _core
from ..lca import Lca
from ..model import Model
from ..monte_carlo import MonteCarlo, with_uncertainty
from ._matrices import Entries

_KIND = {"A": 0, "B": 1, "C": 2}  # hiili::MatrixKind, the high bits of a draw's stream
_CHUNK = 64  # iterations drawn per call when a script reads an iteration's matrices


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


def _flipped(table: np.ndarray, flip: np.ndarray, where: str) -> np.ndarray:
    """stats_arrays records of -X for the flipped entries (Brightway's flip negates a draw)."""
    out = table.copy()
    f = flip & (table["uncertainty_type"] > 1)
    t = table["uncertainty_type"]
    bad = f & ~np.isin(t, (2, 3, 4, 5, 10, 12))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise NotImplementedError(
            f"{where}: entry {i} is flipped and has uncertainty type {int(t[i])}; hiili.bw can "
            "negate lognormal, normal, uniform, triangular, beta and Student's t only"
        )
    lo, hi = table["minimum"][f], table["maximum"][f]
    beta = f & (t == 10)
    lo_b = np.where(np.isnan(table["minimum"]), 0.0, table["minimum"])
    hi_b = np.where(np.isnan(table["maximum"]), 1.0, table["maximum"])
    out["minimum"][f], out["maximum"][f] = -hi, -lo
    out["minimum"][beta], out["maximum"][beta] = -hi_b[beta], -lo_b[beta]
    out["loc"][beta], out["shape"][beta] = table["shape"][beta], table["loc"][beta]
    shift = f & np.isin(t, (3, 4, 5, 12))
    out["loc"][shift] = -table["loc"][shift]
    lognormal = f & (t == 2)
    out["negative"][lognormal] = ~table["negative"][lognormal]
    return out


def slot_uncertainty(e: Entries, slot: np.ndarray, nslots: int, where: str) -> dict | None:
    """One uncertainty record per CSC slot (hiili.with_uncertainty's columns), or None when no
    entry is uncertain. A slot gets its entry's distribution (negated where flipped).

    Raises NotImplementedError where an uncertain entry shares its slot with other entries
    (hiili's C++ model keeps such entries apart, but no Python binding builds one yet).
    """
    table = e.distribution_table()
    if table is None:
        return None
    uncertain = table["uncertainty_type"] > 1
    if not uncertain.any():
        return None
    if e.rescaled:
        raise NotImplementedError(
            f"{where}: a resource group has both distributions and a rescale vector; hiili.bw "
            "does not rescale draws"
        )
    count = np.bincount(slot, minlength=nslots)
    shared = uncertain & (count[slot] > 1)
    if shared.any():
        i = int(np.flatnonzero(shared)[0])
        raise NotImplementedError(
            f"{where}: the uncertain entry at matrix position ({int(e.rows[i])}, "
            f"{int(e.cols[i])}) shares it with {int(count[slot[i]]) - 1} other entries; "
            "hiili.bw cannot yet sample summed entries (a binding of hiili::ModelBuilder is "
            "needed)"
        )
    table = _flipped(table, e.flip, where)
    out = {
        "uncertainty_type": np.zeros(nslots, np.uint8),
        "negative": np.zeros(nslots, bool),
    }
    for name in ("loc", "scale", "shape", "minimum", "maximum"):
        out[name] = np.full(nslots, np.nan)
    pick = np.flatnonzero(uncertain)
    for name in out:
        out[name][slot[pick]] = table[name][pick]
    return out


class Draws:
    """The values of one matrix's CSC slots in each Monte Carlo iteration, as hiili draws them
    (the same streams as hiili.MonteCarlo)."""

    def __init__(self, kind: str, amounts: np.ndarray, uncertainty: dict | None, seed: int) -> None:
        self.kind = kind
        self.amounts = amounts
        self.seed = seed
        self.slots = (
            np.zeros(0, np.int64)
            if uncertainty is None
            else np.flatnonzero(uncertainty["uncertainty_type"] > 1)
        )
        self.params = uncertainty
        self._chunk: tuple[int, np.ndarray] | None = None

    def values(self, iteration: int) -> np.ndarray:
        """The slot values of `iteration` (a fresh array)."""
        out = self.amounts.copy()
        if len(self.slots) == 0:
            return out
        start = iteration - iteration % _CHUNK
        if self._chunk is None or self._chunk[0] != start:
            self._chunk = (start, self._draw(start))
        out[self.slots] = self._chunk[1][:, iteration - start]
        return out

    def _draw(self, start: int) -> np.ndarray:
        p = self.params
        high = _KIND[self.kind] << 62
        out = np.empty((len(self.slots), _CHUNK))
        for r, s in enumerate(self.slots.tolist()):
            out[r] = _core.sample_distribution(
                type=int(p["uncertainty_type"][s]),
                loc=float(p["loc"][s]),
                scale=float(p["scale"][s]),
                shape=float(p["shape"][s]),
                minimum=float(p["minimum"][s]),
                maximum=float(p["maximum"][s]),
                negative=bool(p["negative"][s]),
                amount=float(self.amounts[s]),
                seed=self.seed,
                count=_CHUNK,
                first_iteration=start,
                stream=s | high,
            )
        return out


class Matrix:
    """One matrix of the calculation: its CSC pattern, deterministic values and draws."""

    def __init__(self, kind: str, e: Entries, shape: tuple[int, int], stochastic: bool) -> None:
        self.kind = kind
        self.csc, slot = csc_slots(e, shape)
        self.uncertainty = (
            slot_uncertainty(e, slot, self.csc.nnz, f"{kind} matrix") if stochastic else None
        )
        self.draws: Draws | None = None

    def start_draws(self, seed: int) -> None:
        self.draws = Draws(self.kind, self.csc.data, self.uncertainty, seed)

    def at(self, iteration: int | None) -> sp.csc_array:
        """The matrix in `iteration` (None: the deterministic values)."""
        if iteration is None or self.draws is None or self.uncertainty is None:
            return self.csc
        M = self.csc.copy()
        M.data = self.draws.values(iteration)
        return M


def hiili_model(A: Matrix, B: Matrix, C: Matrix | None) -> Model:
    """A hiili.Model of the matrices, with their uncertainty."""
    model = Model(A.csc, B.csc, None if C is None else C.csc)
    for m in (A, B, C):
        if m is not None and m.uncertainty is not None:
            model = with_uncertainty(model, m.kind, m.uncertainty)
    return model


class Solver:
    """Solves with one factorisation of A per iteration (hiili.Lca, refactored on new values)."""

    def __init__(self, A: Matrix, B: Matrix, solver: str) -> None:
        self.A = A
        self.lca = Lca(Model(A.csc, B.csc), solver)
        self.iteration: int | None = None

    def factor(self, iteration: int | None) -> None:
        if iteration == self.iteration:
            return
        if iteration is None or self.A.uncertainty is None:
            if self.iteration is not None and self.A.uncertainty is not None:
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
        return int(override)
    for p in packages:
        seed = p.metadata.get("seed")
        if seed is not None:
            return int(seed)
    return None
