"""hiili.bw.MultiLCA: bw2calc 3's MultiLCA (many demands, methods, normalizations, weightings)
on one hiili factorisation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from .. import _core
from . import _matrices
from ._base import Base, diag, node_id
from .errors import InconsistentLCIA


def _key(obj: Any) -> Any:
    """Lists to tuples (JSON identifiers), as bw2calc's convert_tuple_to_list in reverse."""
    return tuple(obj) if isinstance(obj, list) else obj


def parse_method_config(config: Any) -> dict[str, Any]:
    """A MethodConfig (or its dict) as {impact_categories: [...], normalizations: {...},
    weightings: {...}}, checked as bw2calc's MethodConfig checks it."""
    if hasattr(config, "model_dump"):
        config = {k: v for k, v in config.model_dump().items() if v is not None}
    if not isinstance(config, Mapping) or not config.get("impact_categories"):
        raise _core.InvalidInputError("method_config needs a list of impact_categories")
    ics = [_key(x) for x in config["impact_categories"]]
    norms = {_key(k): [_key(x) for x in v] for k, v in (config.get("normalizations") or {}).items()}
    weights = {_key(k): [_key(x) for x in v] for k, v in (config.get("weightings") or {}).items()}
    referenced = {x for v in norms.values() for x in v}
    if referenced - set(ics):
        raise _core.InvalidInputError(
            f"Impact categories in `normalizations` not present in `impact_categories`: "
            f"{referenced - set(ics)}"
        )
    if norms and set(ics) - referenced:
        raise InconsistentLCIA(
            f"Normalization not provided for all impact categories; missing {set(ics) - referenced}"
        )
    targets = {x for v in weights.values() for x in v}
    if targets - set(ics) - set(norms):
        raise _core.InvalidInputError(
            f"`weightings` refers to missing impact categories or normalizations: "
            f"{targets - set(ics) - set(norms)}"
        )
    return {"impact_categories": ics, "normalizations": norms, "weightings": weights}


def _concatenate(a: Any, b: tuple) -> tuple:
    """bw2calc's RestrictedSparseMatrixDict key: (a, *b) when b starts with a tuple."""
    return (a, *b) if isinstance(b[0], tuple) else (a, b)


def _first(b: tuple) -> Any:
    return b[0] if isinstance(b[0], tuple) else b


class MultiLCA(Base):
    """bw2calc 3's ``MultiLCA`` on hiili's engine: all demands in one multi-right-hand-side
    solve, and every (category, demand) score from it.

    ``demands``: {name: {product id or bw2data Node: amount}}; ``method_config``: a dict (or
    bw2calc.MethodConfig) with impact_categories and optional normalizations and weightings;
    ``data_objs``: datapackages. ``scores`` is keyed as bw2calc's: (category, demand name),
    (normalization, category, demand), (weighting, normalization, category, demand).
    """

    def __init__(
        self,
        demands: Mapping[str, Mapping[Any, float]],
        method_config: Any,
        data_objs: Iterable[Any],
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
        if not isinstance(demands, Mapping) or not demands:
            raise _core.InvalidInputError("demands must be a non-empty dict {name: {id: amount}}")
        for name, demand in demands.items():
            if not isinstance(name, str) or not isinstance(demand, Mapping):
                raise _core.InvalidInputError(
                    f"demands: expected {{str: {{id: amount}}}}, got {name!r}: {demand!r}"
                )
            for key in demand:
                if not isinstance(node_id(key), int):
                    raise _core.InvalidInputError(
                        f"demand {name!r}: keys must be integer ids or bw2data Nodes, got {key!r}"
                    )
        self.demands = {name: dict(d) for name, d in demands.items()}
        self.config = parse_method_config(method_config)
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
        self._arrays: list[dict[int, float]] = []

    def _demands(self) -> list[dict[int, float]]:
        return self._arrays

    # ---- steps ----------------------------------------------------------------------------
    def build_demand_array(self, demands: Mapping | None = None) -> None:
        """Maps every demand to product rows (OutsideTechnosphere for unknown ids)."""
        demands = self.demands if demands is None else demands
        self._arrays = [self._demand_dict(d) for d in demands.values()]
        self._cache.clear()

    @property
    def demand_arrays(self) -> dict[str, np.ndarray]:
        self._require("lci", "Must do lci first")
        n = len(self._inv.products)
        out = {}
        for name, d in zip(self.demands, self._arrays, strict=True):
            out[name] = np.zeros(n)
            for i, a in d.items():
                out[name][i] = a
        return out

    def lci(self) -> None:
        """Builds A and B (first call) and makes supply_arrays and inventories available."""
        if "lci_data" not in self._flags:
            self.load_lci_data()
        self.build_demand_array()
        self._flags.add("lci")

    def lcia(self) -> None:
        """Loads one characterization per impact category and makes the scores available."""
        self._require("lci", "Must do lci first")
        self._require_biosphere()
        if self._C is None:
            self.load_lcia_data()
        self._flags.add("lcia")

    def _groups_of(self, matrix: str, identifier: Any) -> list[_matrices.Group]:
        groups = _matrices.read_groups(self.packages, matrix, self.use_arrays)
        return [g for g in groups if g.identifier == identifier]

    def load_lcia_data(self) -> None:
        groups = _matrices.read_groups(self.packages, _matrices.CHARACTERIZATION, self.use_arrays)
        keep = _matrices.global_index(groups)
        rows = []
        for r, ic in enumerate(self.config["impact_categories"]):
            mine = [g for g in groups if g.identifier == ic]
            if not mine:
                raise _core.InvalidInputError(
                    f"No characterization data for impact category {ic!r} in the datapackages"
                )
            rows.append(_matrices.diagonal(mine, self._inv.flows, r, keep))
        self._load_characterization(rows, len(self._inv.flows))

    def normalize(self) -> None:
        """Loads the normalizations of method_config; scores become normalized scores."""
        self._require("lcia", "Must do lcia first")
        if not self.config["normalizations"]:
            raise _core.InvalidInputError("method_config has no normalizations")
        if not hasattr(self, "_norms"):
            self._norms = {}
            for key in self.config["normalizations"]:
                mine = self._groups_of(_matrices.NORMALIZATION, key)
                if not mine:
                    raise _core.InvalidInputError(f"No normalization data for {key!r}")
                e = _matrices.diagonal(mine, self._inv.flows)
                self._norms[key] = diag(e.values, e.cols, len(self._inv.flows))
        self._flags.add("normalize")

    def weight(self) -> None:
        """Loads the weightings of method_config; scores become weighted scores."""
        self._require("lcia", "Must do lcia first")
        if not self.config["weightings"]:
            raise _core.InvalidInputError("method_config has no weightings")
        if not hasattr(self, "_weights"):
            self._weights = {
                key: _matrices.weighting_value(self._groups_of(_matrices.WEIGHTING, key))
                for key in self.config["weightings"]
            }
        self._flags.add("weight")

    # ---- results ----------------------------------------------------------------------------
    @property
    def supply_arrays(self) -> dict[str, np.ndarray]:
        self._require("lci", "Must do lci first")
        S = self._supplies()
        return {name: S[:, j] for j, name in enumerate(self.demands)}

    @property
    def inventories(self) -> dict[str, sp.csr_matrix]:
        self._require("lci", "Must do lci first")
        B = self._B_csc()
        return {name: self._inventory_matrix(B, s) for name, s in self.supply_arrays.items()}

    @property
    def characterization_matrices(self) -> dict[Any, sp.csr_matrix]:
        self._require("lcia", "Must do lcia first")
        C = self._C_rows()
        m = len(self._inv.flows)
        out = {}
        for r, ic in enumerate(self.config["impact_categories"]):
            row = C[[r], :].tocoo()
            out[ic] = diag(row.data, row.col, m)
        return out

    @property
    def characterized_inventories(self) -> dict[tuple, sp.csr_matrix]:
        self._require("lcia", "Must do lcia first")
        inv = self.inventories
        return {
            (ic, name): sp.csr_matrix(C @ inv[name])
            for ic, C in self.characterization_matrices.items()
            for name in self.demands
        }

    def _stages(self) -> list[tuple[tuple, int, np.ndarray | None, float, int]]:
        """Each score's key, category row, normalization factors, weight and demand column,
        as bw2calc builds them."""
        names = list(self.demands)
        stage = [
            ((ic, name), r, None, 1.0, j)
            for r, ic in enumerate(self.config["impact_categories"])
            for j, name in enumerate(names)
        ]
        if "normalize" in self._flags:
            stage = [
                (_concatenate(nk, key), r, self._norms[nk].diagonal(), w, j)
                for nk, allowed in self.config["normalizations"].items()
                for key, r, _, w, j in stage
                if _first(key) in allowed
            ]
        if "weight" in self._flags:
            stage = [
                (_concatenate(wk, key), r, f, self._weights[wk], j)
                for wk, allowed in self.config["weightings"].items()
                for key, r, f, _, j in stage
                if _first(key) in allowed
            ]
        return stage

    @property
    def scores(self) -> dict[tuple, float]:
        """{key: score} of the last step done (weighted, normalized or characterized)."""
        self._require("lcia", "Must do LCIA first")
        stages = self._stages()
        if "normalize" not in self._flags and "weight" not in self._flags:
            H = self._characterized_scores()
            return {key: float(H[r, j]) for key, r, _, _, j in stages}
        C = self._C_rows()
        G = self._flow_totals()
        out = {}
        for key, r, factors, w, j in stages:
            c = C[[r], :].toarray()[0]
            if factors is not None:
                c = c * factors
            out[key] = float(w * (c @ G[:, j]))
        return out

    def __repr__(self) -> str:
        return f"<hiili.bw.MultiLCA {len(self.demands)} demands iteration={self._iteration}>"
