"""hiili.bw.LCA: bw2calc's LCA class on hiili's engine."""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _core
from . import _matrices
from ._base import Base, diag
from ._deps import require


def prepare_lca_inputs(
    demand: Mapping, method: Any, weighting: Any, normalization: Any
) -> tuple[dict, list, dict]:
    """bw2data.prepare_lca_inputs: the demand as ids, the datapackages and remapping dicts."""
    bd = require("bw2data", "to calculate from a Brightway project (or pass data_objs)")
    return bd.prepare_lca_inputs(
        demand=demand, method=method, weighting=weighting, normalization=normalization
    )


class LCA(Base):
    """bw2calc's ``LCA`` on hiili's engine: ``from hiili.bw import LCA``.

    Parameters as bw2calc 2.x/3.x: ``demand`` ({product id, bw2data Node or remapped key:
    amount}); either ``method`` (and ``weighting``, ``normalization``) with bw2data, or
    ``data_objs`` (bw_processing Datapackages, fsspec filesystems or paths to zip files or
    folders); ``remapping_dicts``, ``seed_override``, ``use_arrays`` (array resources raise
    NotImplementedError), ``use_distributions``, ``selective_use``. hiili's own keywords:
    ``solver`` ("klu", "umfpack", "eigen") and ``threads`` (Monte Carlo threads, None: all).

    Results are computed when first read and then kept until the demand or the iteration
    changes; matrices are copies, so changing them does not change the calculation.
    """

    def __init__(
        self,
        demand: Mapping,
        method: tuple | None = None,
        weighting: Any = None,
        normalization: Any = None,
        data_objs: Iterable[Any] | None = None,
        remapping_dicts: Mapping | None = None,
        log_config: Mapping | None = None,
        seed_override: int | None = None,
        use_arrays: bool = False,
        use_distributions: bool = False,
        selective_use: Mapping | None = None,
        *,
        solver: str = "klu",
        threads: int | None = None,
    ) -> None:
        if not isinstance(demand, Mapping):
            raise _core.InvalidInputError("Demand must be a dictionary")
        if data_objs is None:
            demand, data_objs, remapping_dicts = prepare_lca_inputs(
                demand, method, weighting, normalization
            )
        self.method, self.weighting, self.normalization = method, weighting, normalization
        self.log_config = log_config
        self._setup(
            list(data_objs),
            remapping_dicts,
            seed_override,
            use_arrays,
            use_distributions,
            selective_use,
            solver,
            threads,
        )
        self.demand = demand
        self._demand: dict[int, float] = {}

    def _demands(self) -> list[dict[int, float]]:
        return [self._demand]

    # ---- demand -------------------------------------------------------------------------------
    def build_demand_array(self, demand: Mapping | None = None) -> None:
        """Maps the demand (default: self.demand) to product rows; raises OutsideTechnosphere
        for an unknown key and InvalidInputError for an activity (not product) key."""
        self._demand = self._demand_dict(demand or self.demand)
        self._cache.clear()

    @property
    def demand_array(self) -> np.ndarray:
        """The dense demand vector (length n)."""
        self._require("lci", "Must do lci first")
        out = np.zeros(len(self._inv.products))
        for i, amount in self._demand.items():
            out[i] = amount
        return out

    def check_demand(self, demand: Mapping | None = None) -> None:
        """Raises for keys the product dictionary lacks (checked in build_demand_array)."""
        if demand is not None:
            self._demand_dict(demand)

    # ---- steps ------------------------------------------------------------------------------
    def lci(self, demand: Mapping | None = None, factorize: bool = False) -> None:
        """Builds A and B (first call), maps the demand, and makes supply_array and inventory
        available. ``factorize`` is accepted for compatibility: hiili always keeps the
        factorisation."""
        if "lci_data" not in self._flags:
            self.load_lci_data()
        if demand is not None:
            self.build_demand_array(demand)
            self.demand = demand
        else:
            self.build_demand_array()
        self._flags.add("lci")

    def lcia(self, demand: Mapping | None = None) -> None:
        """Loads the characterization (first call) and makes characterized_inventory and score
        available; with a demand, redoes lci for it first."""
        self._require("lci", "Must do lci first")
        self._require_biosphere()
        if self._C is None:
            self.load_lcia_data()
        if demand is not None:
            self.lci(demand=demand)
        self._flags.add("lcia")

    def load_lcia_data(self, data_objs: Iterable[Any] | None = None) -> None:
        """The characterization factors of all packages (or `data_objs`) as one method."""
        packages = self.packages if data_objs is None else [_matrices.load(p) for p in data_objs]
        groups = _matrices.read_groups(packages, _matrices.CHARACTERIZATION, self.use_arrays)
        if not groups:
            raise _core.InvalidInputError(
                "Given `method` or `data_objs` have no characterization data"
            )
        entries = _matrices.diagonal(groups, self._inv.flows, 0, _matrices.global_index(groups))
        self._load_characterization([entries], len(self._inv.flows))
        if self._C.csc.nnz == 0 or not np.any(self._C.csc.data):
            warnings.warn("All values in characterization matrix are zero", stacklevel=2)

    def lci_calculation(self) -> None:
        """Recomputes the inventory (results are computed when read; this clears them)."""
        self._cache.clear()

    def lcia_calculation(self) -> None:
        """Recomputes the impact assessment (results are computed when read)."""
        self._cache.clear()

    def normalize(self) -> None:
        """Multiplies the characterized inventory by the normalization factors."""
        self._require("lcia", "Must do lcia first")
        if not hasattr(self, "_norm"):
            groups = _matrices.read_groups(self.packages, _matrices.NORMALIZATION, self.use_arrays)
            if not groups:
                raise _core.InvalidInputError("No data found to build the normalization matrix")
            e = _matrices.diagonal(groups, self._inv.flows)
            self._norm = diag(e.values, e.cols, len(self._inv.flows))
        self._flags.add("normalize")

    def weight(self) -> None:
        """Multiplies the (normalized or characterized) inventory by the weighting value."""
        self._require("lcia", "Must do lcia first")
        if not hasattr(self, "_weight"):
            groups = _matrices.read_groups(self.packages, _matrices.WEIGHTING, self.use_arrays)
            self._weight = _matrices.weighting_value(groups)
        self._flags.add("weight")

    def redo_lci(self, demand: Mapping | None = None) -> None:
        """lci(demand) (deprecated in bw2calc, kept for old scripts)."""
        warnings.warn(
            "Please use .lci(demand=demand) instead of `redo_lci`.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.lci(demand=demand)

    def redo_lcia(self, demand: Mapping | None = None) -> None:
        """lcia(demand) (deprecated in bw2calc, kept for old scripts)."""
        warnings.warn(
            "Please use .lcia(demand=demand) instead of `redo_lcia`.",
            DeprecationWarning,
            stacklevel=2,
        )
        self.lcia(demand=demand)

    def decompose_technosphere(self) -> None:
        """Nothing to do: hiili factorizes once and keeps the factorisation."""

    def solve_linear_system(self, demand: np.ndarray | None = None) -> np.ndarray:
        """The supply for a dense demand vector (default: demand_array)."""
        self._require("lci", "Must do lci first")
        if demand is None:
            return self.supply_array
        F = np.asarray(demand, dtype=np.float64).reshape(-1, 1)
        return self._solver.solve(F, self._iteration)[:, 0]

    def switch_method(self, method: Any) -> None:
        """Replaces the characterization by a method tuple (bw2data) or a list of
        datapackages; recomputes nothing until results are read."""
        if isinstance(method, tuple):
            _, data_objs, _ = prepare_lca_inputs({}, method, None, None)
            self.method = method
        else:
            data_objs = [_matrices.load(p) for p in method]
        kept = [p.exclude({"matrix": _matrices.CHARACTERIZATION}) for p in self.packages]
        self.packages = [p for p in kept if p.resources] + list(data_objs)
        self.load_lcia_data(data_objs=data_objs)
        self._cache.clear()

    def remap_inventory_dicts(self) -> None:
        """Renames dicts keys (and the demand) by remapping_dicts, e.g. ids to (db, code)."""
        if getattr(self, "_remapped", False):
            warnings.warn(
                "Remapping has already been done; returning without changing data", stacklevel=2
            )
            return
        if "product" in self.remapping_dicts:
            self.demand = {self.remapping_dicts["product"][k]: v for k, v in self.demand.items()}
        for label in ("activity", "product", "biosphere"):
            if label in self.remapping_dicts:
                getattr(self.dicts, label).remap(self.remapping_dicts[label])
        self._remapped = True

    def has(self, label: str) -> bool:
        """Whether the packages have data for the matrix ``{label}_matrix``."""
        return any(r.get("matrix") == f"{label}_matrix" for p in self.packages for r in p.resources)

    # ---- results ------------------------------------------------------------------------------
    @property
    def supply_array(self) -> np.ndarray:
        """The scaling vector s = A^-1 f (length n, indexed by dicts.activity)."""
        self._require("lci", "Must do lci first")
        return self._supplies()[:, 0]

    @property
    def inventory(self) -> sp.csr_matrix:
        """B diag(s): m x n, flows by activities."""
        self._require("lci", "Must do lci first")
        return self._cached(
            "inventory", lambda: self._inventory_matrix(self._B_csc(), self.supply_array)
        )

    @property
    def characterization_matrix(self) -> sp.csr_matrix:
        """The m x m diagonal characterization matrix."""
        self._require("lcia", "Must do lcia first")
        C = self._C_rows().tocoo()
        return diag(C.data, C.col, len(self._inv.flows))

    @property
    def characterized_inventory(self) -> sp.csr_matrix:
        """diag(c) B diag(s): m x n."""
        self._require("lcia", "Must do lcia first")
        return self._cached(
            "characterized", lambda: sp.csr_matrix(self.characterization_matrix @ self.inventory)
        )

    @property
    def normalization_matrix(self) -> sp.csr_matrix:
        self._require("normalize", "Must do normalize first")
        return self._norm

    @property
    def normalized_inventory(self) -> sp.csr_matrix:
        self._require("normalize", "Must do normalize first")
        return sp.csr_matrix(self._norm @ self.characterized_inventory)

    @property
    def weighting_matrix(self) -> sp.csr_matrix:
        self._require("weight", "Must do weight first")
        return sp.csr_matrix(self._weight * sp.eye(len(self._inv.flows)))

    @property
    def weighted_inventory(self) -> sp.csr_matrix:
        self._require("weight", "Must do weight first")
        base = (
            self.normalized_inventory
            if "normalize" in self._flags
            else (self.characterized_inventory)
        )
        return sp.csr_matrix(self._weight * base)

    @property
    def score(self) -> float:
        """The score of the last step done: weighted, else normalized, else characterized."""
        self._require("lcia", "Must do LCIA first")
        if "normalize" not in self._flags and "weight" not in self._flags:
            return float(self._characterized_scores()[0, 0])
        c = self._C_rows().toarray()[0]
        if "normalize" in self._flags:
            c = c * self._norm.diagonal()
        if "weight" in self._flags:
            c = c * self._weight
        return float(c @ self._flow_totals()[:, 0])

    def __repr__(self) -> str:
        n = len(self._inv.activities) if "lci_data" in self._flags else "?"
        return f"<hiili.bw.LCA n={n} iteration={self._iteration}>"
