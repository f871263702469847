"""hiili.Lca and its results: demands by index or label in, numpy and pandas out."""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _convert, _core, diagnostics
from .analysis import AnalysisMixin
from .model import Model
from .result import Result, Results


def factorization_options(
    solver: str | _core.Backend | None = None,
    options: _core.FactorizationOptions | None = None,
    **kwargs: Any,
) -> _core.FactorizationOptions:
    """FactorizationOptions from a solver name ("klu", "umfpack", "eigen"), an options object
    and keyword overrides (btf=False, residual_tolerance=1e-12, ordering=Ordering.Colamd, ...).
    """
    opts = _core.FactorizationOptions()
    if options is not None:
        for name in _OPTION_NAMES:
            setattr(opts, name, getattr(options, name))
    if solver is not None:
        opts.backend = (
            solver if isinstance(solver, _core.Backend) else _core.backend_from_string(solver)
        )
    for name, value in kwargs.items():
        if name not in _OPTION_NAMES:
            raise TypeError(
                f"unknown factorization option {name!r}; known: {', '.join(_OPTION_NAMES)}"
            )
        if name == "ordering" and isinstance(value, str):
            value = {
                "amd": _core.Ordering.Amd,
                "colamd": _core.Ordering.Colamd,
                "metis": _core.Ordering.Metis,
                "auto": _core.Ordering.Auto,
            }.get(value.lower(), value)
        setattr(opts, name, _option_value(name, value))
    return opts


# The numeric options and what each must be: numbers, and not NaN (NaN would switch a
# comparison off instead of meaning anything); ranges are the C++ options' own checks.
_REAL_OPTIONS = {
    "refine_tolerance": "[0, inf)",
    "residual_tolerance": "(0, inf)",
    "singular_rcond": "[0, 1]",
    "refactor_rcond_ratio": "[0, 1]",
    "amd_dense": "any number (negative: no row is dense; 0: chosen per block)",
}


def _option_value(name: str, value: Any) -> Any:
    """A factorisation option's value as its C++ type holds it; InvalidInputError naming the
    option for a wrong type, NaN or an integer beyond 64 bits."""
    if name in _REAL_OPTIONS:
        number = _convert.real(value, name, _REAL_OPTIONS[name])
        if np.isnan(number):
            allowed = _REAL_OPTIONS[name]
            raise _core.InvalidInputError(f"{name} must be a number in {allowed}, got nan")
        return number
    if name == "static_solve_after":
        return _convert.integer(value, name, (-(2**63), 2**63 - 1))
    if name == "refactor_threads":
        return _convert.integer(value, name, (0, 1024), _convert.INT32)
    if name == "analysis_cache":
        if value is None:
            return ""
        if not isinstance(value, (str, os.PathLike)):
            raise _core.InvalidInputError(f"analysis_cache must be a directory path, got {value!r}")
        return os.path.expanduser(os.fspath(value))
    flags = ("btf", "static_refactor", "static_factor")
    if name in flags and not isinstance(value, (bool, np.bool_)):
        raise _core.InvalidInputError(f"{name} must be True or False, got {value!r}")
    return value


_OPTION_NAMES = (
    "backend",
    "ordering",
    "btf",
    "refine_tolerance",
    "residual_tolerance",
    "singular_rcond",
    "refactor_rcond_ratio",
    "amd_dense",
    "static_refactor",
    "static_factor",
    "static_solve_after",
    "refactor_threads",
    "analysis_cache",
)


def warn_cache(report: _core.FactorizationReport) -> None:
    """A hiili.CacheWarning when the analysis cache rejected a file or could not write one."""
    if report.cache_warning:
        warnings.warn(report.cache_warning, _core.CacheWarning, stacklevel=3)


class Lca(AnalysisMixin):  # contributions, tree, paths, sensitivity, what_if: hiili.analysis
    """Inventory and impact assessment on one factorisation of the model's technosphere.

    ``Lca(model, solver="klu")`` analyses and factorizes A once (with the GIL released);
    solve(), solve_many() and activity_scores() then reuse that factorisation.

    solver is "klu" (default), "umfpack" or "eigen"; further keywords set FactorizationOptions
    fields (btf, ordering, refine_tolerance, residual_tolerance, singular_rcond,
    refactor_rcond_ratio, amd_dense, static_refactor, static_factor, static_solve_after,
    refactor_threads: see docs/math.md and FactorizationOptions).

    cache="DIR" keeps KLU's symbolic analysis in DIR across runs (created if missing): a later
    Lca of the same pattern and options, in any process, loads it instead of analysing again,
    with the same results to the bit. A corrupt or foreign file, or a DIR that cannot be
    written, gives a hiili.CacheWarning and a fresh analysis; report.cache says what happened.

    Raises hiili.SingularMatrixError when A is singular; warns hiili.IllConditionedWarning when
    its 1-norm condition estimate (kept as ``condition``) is above
    hiili.ILL_CONDITIONED_THRESHOLD (1e12). One Lca may be shared between
    threads (calls take turns); use one Lca per thread to solve in parallel.
    """

    def __init__(
        self,
        model: Model | _core.Model,
        solver: str | _core.Backend = "klu",
        *,
        options: _core.FactorizationOptions | None = None,
        cache: str | os.PathLike[str] | None = None,
        **kwargs: Any,
    ) -> None:
        if cache is not None:
            kwargs["analysis_cache"] = cache
        if isinstance(model, _core.Model):
            model = Model._wrap(model)
        if not isinstance(model, Model):
            raise TypeError(f"Lca: expected a hiili.Model, got {type(model).__name__}")
        self.model = model
        self.options = factorization_options(solver, options, **kwargs)
        self._cpp = _core.Lca(model._cpp, self.options)
        warn_cache(self._cpp.report)
        # The estimate costs a few solves, little next to the factorisation.
        self.condition = float(self._cpp.condition_estimate())
        diagnostics.warn(
            diagnostics.condition_warning(self.condition),
            diagnostics.IllConditionedWarning,
            stacklevel=2,
        )

    @property
    def report(self) -> _core.FactorizationReport:
        """What the analysis and the last factorisation did (report.brief() for one line)."""
        return self._cpp.report

    # ---- demands ---------------------------------------------------------------------------
    def demand_vector(self, demand: Any) -> np.ndarray:
        """The dense demand vector (length n) for a dict {activity index or label: amount},
        a pandas Series, a sparse vector or a dense one."""
        if isinstance(demand, Mapping | pd.Series):
            return self._cpp.dense_demand(*self.model.sparse_demand(demand))
        if sp.issparse(demand):
            demand = demand.toarray()
            if demand.ndim == 2 and 1 in demand.shape:
                demand = demand.ravel()
        vector = _convert.as_float64(np.asarray(demand), "demand")
        if vector.ndim != 1:
            raise _core.InvalidInputError(f"demand must be 1-d, got shape {vector.shape}")
        return vector

    def solve(self, demand: Any) -> Result:
        """Supply, inventory and scores for one demand.

        demand: a dict {activity index or label: amount} (labels as Model.activity_index takes
        them: id, name, any other column, the printed label, "#i"), a pandas Series of the
        same, or a vector of length n.
        Raises hiili.InvalidInputError for an unknown label, an index out of range, NaN/Inf,
        a wrong length or an empty (all-zero) demand.
        """
        if isinstance(demand, Mapping | pd.Series):
            raw = self._cpp.solve_sparse(*self.model.sparse_demand(demand))
        else:
            raw = self._cpp.solve(self.demand_vector(demand))
        return Result(self.model, raw.supply, raw.inventory, raw.scores)

    def solve_many(self, demands: Any) -> Results:
        """Results for many demands at once: an n x d matrix (dense or scipy.sparse, one demand
        per column) or a sequence of demands as solve() takes them."""
        if sp.issparse(demands):
            F = demands.toarray()
        elif (
            isinstance(demands, Sequence)
            and all(isinstance(d, Mapping | pd.Series) for d in demands)
            and len(demands) > 0
        ):
            F = np.column_stack([self.demand_vector(d) for d in demands])
        else:
            F = np.asarray(demands)
        F = _convert.as_float64(F, "demands")
        if F.ndim != 2:
            raise _core.InvalidInputError(f"demands must be an n x d matrix, got shape {F.shape}")
        raw = self._cpp.solve_many(F)  # the core copies it once, any layout
        return Results(self.model, raw.supply, raw.inventory, raw.scores)

    def activity_scores(self, frame: bool = False) -> np.ndarray | pd.DataFrame:
        """k x n: the cumulative score in each category of one unit of each activity's product,
        from k transposed solves. frame=True labels rows by category and columns by activity."""
        scores = self._cpp.activity_scores()
        if not frame:
            return scores
        m = self.model
        return pd.DataFrame(
            scores,
            index=_convert.label_index(m._cpp.categories, m.k, "category"),
            columns=_convert.label_index(m._cpp.activities, m.n, "activity"),
        )

    def update_technosphere(self, values: Any) -> None:
        """New values for A's stored entries (same pattern, CSC order: model.A.data's order);
        refactors. B and C stay. The model object itself is not changed."""
        self._cpp.update_technosphere(_convert.as_float64(np.asarray(values), "values"))

    def rcond(self) -> float:
        """Cheap reciprocal condition estimate of the current factorisation."""
        return self._cpp.rcond()

    def condition_estimate(self) -> float:
        """1-norm condition number estimate of A (more expensive than rcond)."""
        return self._cpp.condition_estimate()

    def __repr__(self) -> str:
        return f"<hiili.Lca {self.report.brief()}>"


class Factorization:
    """Sparse LU of any square matrix with the same backends as Lca: solve, solve_transposed,
    solve_many; refactor(values) with new values on the same pattern (CSC order)."""

    def __init__(self, A: Any, solver: str | _core.Backend = "klu", **kwargs: Any) -> None:
        self._cpp = _core.Factorization(
            _convert.as_csc(A, "A"), factorization_options(solver, **kwargs)
        )
        warn_cache(self._cpp.report)

    @property
    def n(self) -> int:
        return self._cpp.n

    @property
    def report(self) -> _core.FactorizationReport:
        return self._cpp.report

    def solve(self, b: Any) -> np.ndarray:
        return self._cpp.solve(_convert.as_float64(np.asarray(b), "b"))

    def solve_transposed(self, b: Any) -> np.ndarray:
        return self._cpp.solve_transposed(_convert.as_float64(np.asarray(b), "b"))

    def solve_many(self, B: Any, transposed: bool = False) -> np.ndarray:
        B = B.toarray() if sp.issparse(B) else np.asarray(B)
        B = _convert.as_float64(B, "B")
        if B.ndim != 2:
            raise _core.InvalidInputError(f"B must be an n x d matrix, got shape {B.shape}")
        return self._cpp.solve_many(B, transposed)

    def factorize(self, values: Any) -> None:
        self._cpp.factorize(_convert.as_float64(np.asarray(values), "values"))

    def refactor(self, values: Any) -> None:
        self._cpp.refactor(_convert.as_float64(np.asarray(values), "values"))

    def rcond(self) -> float:
        return self._cpp.rcond()

    def condition_estimate(self) -> float:
        return self._cpp.condition_estimate()
