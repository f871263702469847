"""What LCA and MultiLCA share: loading datapackages, the iteration state, solves and draws."""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _core
from . import _calc, _matrices
from ._dicts import DictionaryManager
from .errors import EmptyBiosphere, NotCalculatedError, OutsideTechnosphere

_SELECTIVE = {"A": "technosphere_matrix", "B": "biosphere_matrix", "C": "characterization_matrix"}


def node_id(key: Any) -> Any:
    """A bw2data Node's integer id; any other key unchanged."""
    if isinstance(key, int | str | tuple | np.integer):
        return int(key) if isinstance(key, np.integer) else key
    ident = getattr(key, "id", None)
    return ident if isinstance(ident, int) else key


def diag(values: np.ndarray, cols: np.ndarray, m: int) -> sp.csr_matrix:
    """An m x m diagonal scipy matrix with `values` at flows `cols` (bw2calc's diagonal
    characterization and normalization matrices)."""
    return sp.csr_matrix((values, (cols, cols)), shape=(m, m))


class Base(Iterator):
    """Shared state. Subclasses define _demands() (a list of {product index: amount})."""

    def _setup(
        self,
        packages: Sequence[Any],
        remapping_dicts: Mapping | None,
        seed_override: int | None,
        use_arrays: bool,
        use_distributions: bool,
        selective_use: Mapping | None,
        solver: str,
        threads: int | None,
    ) -> None:
        self.packages = [_matrices.load(p) for p in packages]
        self.dicts = DictionaryManager()
        self.remapping_dicts = dict(remapping_dicts or {})
        self.seed_override = seed_override
        self.use_arrays = bool(use_arrays)
        self.use_distributions = bool(use_distributions)
        self.selective_use = dict(selective_use or {})
        self.solver = solver
        self.threads = threads
        self._iteration: int | None = None
        self._keep_first = False
        self._cache: dict[str, Any] = {}
        self._engine: tuple[Any, _calc.Engine] | None = None
        self._flags: set[str] = set()

    # ---- options --------------------------------------------------------------------------
    def check_selective_use(self, matrix_label: str) -> tuple[bool, bool]:
        """(use_arrays, use_distributions) of one matrix, after selective_use."""
        chosen = self.selective_use.get(matrix_label, {})
        return (
            bool(chosen.get("use_arrays", self.use_arrays)),
            bool(chosen.get("use_distributions", self.use_distributions)),
        )

    def _sampled(self, kind: str) -> bool:
        return self.check_selective_use(_SELECTIVE[kind])[1]

    @property
    def seed(self) -> int | None:
        """The seed of hiili's draws (seed_override, else the first package's seed, else a
        fresh one from the operating system); None for a static calculation."""
        return self._seed if self._iteration is not None else None

    # ---- loading ----------------------------------------------------------------------------
    def load_lci_data(self, nonsquare_ok: bool = False) -> None:
        """Builds the technosphere and biosphere (and factorizes the technosphere)."""
        inv = _matrices.inventory(self.packages, self.use_arrays)
        n, m = len(inv.activities), len(inv.flows)
        self._inv = inv
        self._A = _calc.Matrix("A", inv.technosphere, (n, n), self._sampled("A"))
        self._B = _calc.Matrix("B", inv.biosphere, (m, n), self._sampled("B"))
        self._C: _calc.Matrix | None = None
        self.dicts.product = inv.products.to_dict
        self.dicts.activity = inv.activities.to_dict
        self.dicts.biosphere = inv.flows.to_dict
        if m == 0:
            warnings.warn(
                "No valid biosphere flows found. No inventory results can be calculated, "
                "`lcia` will raise an error",
                stacklevel=3,
            )
        stochastic = self.use_distributions or any(self._sampled(k) for k in ("A", "B", "C"))
        if stochastic:
            seed = _calc.first_seed(self.packages, self.seed_override)
            self._seed = _calc.random_seed() if seed is None else seed
            self._iteration = 0
            for matrix in (self._A, self._B):
                matrix.start_draws(self._seed)
        self._solver = _calc.Solver(self._A, self._B, self.solver)
        self._flags.add("lci_data")

    def _load_characterization(self, rows: list[Any], m: int) -> None:
        """self._C from one entry list per category row."""
        e = _matrices.Entries()
        if rows:
            parts = rows
            e = _matrices.Entries(
                np.concatenate([p.rows for p in parts]),
                np.concatenate([p.cols for p in parts]),
                np.concatenate([p.amounts for p in parts]),
                np.concatenate([p.flip for p in parts]),
            )
            offsets = np.cumsum([0] + [len(p.distributions) for p in parts])
            e.group = np.concatenate([p.group + offsets[i] for i, p in enumerate(parts)])
            e.distributions = [d for p in parts for d in p.distributions]
            if any(p.rescale is not None for p in parts):
                e.rescale = np.concatenate(
                    [np.ones(len(p.rows)) if p.rescale is None else p.rescale for p in parts]
                )
        self._C = _calc.Matrix("C", e, (len(rows), m), self._sampled("C"))
        if self._iteration is not None:
            self._C.start_draws(self._seed)
        self._engine = None

    def _require(self, flag: str, message: str) -> None:
        if flag not in self._flags:
            raise NotCalculatedError(message)

    def _require_biosphere(self) -> None:
        if len(self._inv.flows) == 0:
            raise EmptyBiosphere("Can't do impact assessment with no biosphere flows")

    # ---- demands ----------------------------------------------------------------------------
    def product_index(self, key: Any) -> int:
        """The matrix row of a demand key: an id, a bw2data Node, or a remapped key."""
        key = node_id(key)
        try:
            return self.dicts.product[key]
        except (KeyError, TypeError):
            pass
        try:
            is_activity = key in self.dicts.activity
        except TypeError:
            is_activity = False
        if is_activity:
            raise _core.InvalidInputError(
                f"LCA can only be performed on products, not activities ({key} is the wrong "
                "dimension)"
            )
        raise OutsideTechnosphere(f"Can't find key {key!r} in product dictionary")

    def _demand_dict(self, demand: Mapping) -> dict[int, float]:
        out: dict[int, float] = {}
        for key, amount in demand.items():
            value = float(amount)
            if not np.isfinite(value):
                raise _core.InvalidInputError(f"demand: amount of {key!r} is {value}")
            out[self.product_index(key)] = value
        return out

    # ---- iterations ---------------------------------------------------------------------------
    def __next__(self) -> None:
        """Moves to the next Monte Carlo iteration (with use_distributions; otherwise the same
        numbers again). Results are computed when read."""
        if self._keep_first:
            self._keep_first = False
        elif self._iteration is not None:
            self._iteration += 1
        self._cache.clear()

    def __iter__(self) -> Base:
        return self

    def keep_first_iteration(self) -> None:
        """The next next() keeps the current values (bw2calc's keep_first_iteration)."""
        self._keep_first = True

    @property
    def iteration(self) -> int | None:
        """hiili's iteration number of the current values (None: static)."""
        return self._iteration

    def _cached(self, name: str, make: Any) -> Any:
        if name not in self._cache:
            self._cache[name] = make()
        return self._cache[name]

    # ---- matrices of the current iteration ----------------------------------------------------
    @property
    def technosphere_matrix(self) -> sp.csr_matrix:
        """A of the current iteration (CSR, a copy: changing it changes nothing here)."""
        self._require("lci_data", "Must do lci first")
        return self._cached("A", lambda: sp.csr_matrix(self._A.at(self._iteration)))

    @property
    def biosphere_matrix(self) -> sp.csr_matrix:
        """B of the current iteration (CSR, a copy)."""
        self._require("lci_data", "Must do lci first")
        return self._cached("B", lambda: sp.csr_matrix(self._B.at(self._iteration)))

    def _B_csc(self) -> sp.csc_array:
        return self._cached("B_csc", lambda: self._B.at(self._iteration))

    def _C_rows(self) -> sp.csr_array:
        """k x m characterization rows of the current iteration."""
        return self._cached("C_rows", lambda: sp.csr_array(self._C.at(self._iteration)))

    def _supplies(self) -> np.ndarray:
        """n x d supplies of the current iteration for _demands()."""

        def make() -> np.ndarray:
            F = _calc.dense_demands(self._demands(), len(self._inv.activities))
            return self._solver.solve(F, self._iteration)

        return self._cached("S", make)

    def _flow_totals(self) -> np.ndarray:
        """m x d inventories (summed over activities)."""
        return self._cached("G", lambda: np.asarray(self._B_csc() @ self._supplies()))

    def _engine_scores(self) -> np.ndarray | None:
        """k x d characterized scores from hiili.MonteCarlo, or None when static."""
        if self._iteration is None:
            return None
        demands = self._demands()
        key = tuple(tuple(sorted(d.items())) for d in demands)
        if self._engine is None or self._engine[0] != key:
            model = _calc.hiili_model(self._A, self._B, self._C)
            self._engine = (key, _calc.Engine(model, demands, self._seed, self.threads))
        return self._engine[1].scores(self._iteration)

    def _characterized_scores(self) -> np.ndarray:
        """k x d characterized scores of the current iteration."""

        def make() -> np.ndarray:
            fast = self._engine_scores()
            if fast is not None:
                return fast
            return np.asarray(self._C_rows() @ self._flow_totals())

        return self._cached("H", make)

    @staticmethod
    def _inventory_matrix(B: sp.csc_array, supply: np.ndarray) -> sp.csr_matrix:
        return sp.csr_matrix(B @ sp.diags_array(supply))
