"""hiili.MonteCarlo: parallel, reproducible Monte Carlo uncertainty analysis.

    model = hiili.synth(20000, seed=1, uncertainty=True)
    mc = hiili.MonteCarlo(model, {"activity id": 1.0}, seed=0, threads=None)
    res = mc.run(1000)
    res.scores          # iterations x k numpy array
    res.summary()       # pandas: mean, std, quantiles per category
    cmp = hiili.MonteCarlo.compare(model, [demand1, demand2], iterations=1000)
    cmp.probability_less("alternative 0", "alternative 1")

The draws of entry e in iteration i depend only on (seed, matrix, e, i): the same seed gives
the same scores at any thread count and however the iterations are split into runs. Several
demands in one run share every draw (common random numbers). The work runs in C++ threads with
the GIL released.

Ctrl-C (KeyboardInterrupt) stops a run within about a second: run() then raises
KeyboardInterrupt, and the iterations completed before it are kept in ``mc.partial`` (a
MonteCarloResult, reproducible: its scores equal those of a run of that many iterations).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import _convert, _core, diagnostics
from .lca import factorization_options
from .model import Model, _kind

__all__ = [
    "Comparison",
    "MonteCarlo",
    "MonteCarloResult",
    "check_uncertainty",
    "sample_distribution",
    "with_uncertainty",
]

DEFAULT_QUANTILES = (0.025, 0.5, 0.975)
_SAMPLE_KEYS = {"A": "sample_technosphere", "B": "sample_biosphere", "C": "sample_characterization"}


def _as_model(model: Any) -> Model:
    if isinstance(model, _core.Model):
        model = Model._wrap(model)
    if not isinstance(model, Model):
        raise TypeError(f"expected a hiili.Model, got {type(model).__name__}")
    return model


def _sparse_demand(model: Model, demand: Any) -> tuple[np.ndarray, np.ndarray]:
    """(indices, amounts) for a dict {activity index or label: amount}, a pandas Series, a
    scipy sparse vector or a dense vector of length n."""
    if isinstance(demand, Mapping | pd.Series):
        return model.sparse_demand(demand)
    if sp.issparse(demand):
        demand = demand.toarray().ravel()
    vector = _convert.as_float64(np.asarray(demand), "demand")
    if vector.ndim != 1 or vector.shape[0] != model.n:
        raise _core.InvalidInputError(
            f"demand must be a dict, a Series or a vector of length {model.n}, "
            f"got shape {vector.shape}"
        )
    nz = np.flatnonzero(vector)
    return nz.astype(np.int64), np.ascontiguousarray(vector[nz])


def _progress_callback(progress: Any, iterations: int) -> tuple[Callable | None, Callable]:
    """The callback for _core.MonteCarlo.run and a function that closes any bar."""
    if progress is None:
        progress = sys.stderr.isatty() and iterations >= 100
    if callable(progress):
        return progress, lambda: None
    if not progress:
        return None, lambda: None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # pragma: no cover - tqdm is an optional dependency
        return None, lambda: None
    bar = tqdm(total=iterations, unit="it", desc="Monte Carlo", leave=False)

    def update(completed: int, total: int, seconds: float) -> bool:
        bar.n = completed
        bar.refresh()
        return True

    return update, bar.close


class MonteCarloResult:
    """The outcome of MonteCarlo.run: scores of every iteration per demand, the iterations
    whose technosphere was singular, optional inventory statistics, and a report.

    ``scores`` is the first demand's iterations x k array (row r = iteration
    first_iteration + r); ``scores_of(d)`` any demand's. Failed (singular) iterations have NaN
    rows and are listed in ``failed``; summaries skip them.
    """

    def __init__(
        self,
        model: Model,
        raw: _core.MonteCarloResult,
        labels: list[str],
        deterministic: np.ndarray,
    ) -> None:
        self.model = model
        self._raw = raw
        self.labels = labels
        self._deterministic = deterministic  # k x d

    # ---- raw data ---------------------------------------------------------------------------
    @property
    def scores(self) -> np.ndarray:
        """iterations x k scores of the first demand."""
        return self._raw.scores[0]

    def scores_of(self, demand: int | str = 0) -> np.ndarray:
        return self._raw.scores[self._demand_index(demand)]

    @property
    def failed(self) -> np.ndarray:
        """Iteration numbers whose A was singular or ill-conditioned (their scores are NaN)."""
        return self._raw.failed

    @property
    def first_iteration(self) -> int:
        return self._raw.first_iteration

    @property
    def completed(self) -> int:
        return self._raw.completed

    @property
    def cancelled(self) -> bool:
        return self._raw.cancelled

    @property
    def report(self) -> _core.MonteCarloReport:
        return self._raw.report

    @property
    def iterations(self) -> np.ndarray:
        return np.arange(self.first_iteration, self.first_iteration + self.completed)

    def _demand_index(self, demand: int | str) -> int:
        if isinstance(demand, str):
            try:
                return self.labels.index(demand)
            except ValueError:
                raise _core.InvalidInputError(
                    f"unknown alternative {demand!r}; known: {self.labels}"
                ) from None
        d = int(demand)
        if not 0 <= d < len(self.labels):
            raise _core.InvalidInputError(f"demand index {d} out of range [0, {len(self.labels)})")
        return d

    # ---- pandas -----------------------------------------------------------------------------
    def _category_index(self) -> pd.Index:
        return _convert.label_index(self.model._cpp.categories, self.model.k, "category")

    def to_frame(self, demand: int | str = 0) -> pd.DataFrame:
        """Scores as a DataFrame: one row per iteration (indexed by iteration number), one
        column per category."""
        return pd.DataFrame(
            self.scores_of(demand),
            index=pd.Index(self.iterations, name="iteration"),
            columns=self._category_index(),
        )

    def summary(
        self, demand: int | str = 0, quantiles: Sequence[float] = DEFAULT_QUANTILES
    ) -> pd.DataFrame:
        """Per category: deterministic score, mean, std, min, the quantiles, max, and the
        number of successful iterations (failed ones excluded)."""
        d = self._demand_index(demand)
        if not self._raw.scores_kept:
            return _summarize_statistics(
                self._raw.score_statistics[d],
                self._category_index(),
                self._deterministic[:, d],
                quantiles,
            )
        return _summarize(
            self.scores_of(d), self._category_index(), self._deterministic[:, d], quantiles
        )

    @property
    def scores_kept(self) -> bool:
        """False for a run with keep_scores=False: ``scores`` are then empty (0 x k) and
        ``summary`` comes from streaming statistics (quantiles within the sketch's relative
        accuracy, 1 % by default)."""
        return self._raw.scores_kept

    def inventory_summary(
        self, demand: int | str = 0, quantiles: Sequence[float] = DEFAULT_QUANTILES
    ) -> pd.DataFrame:
        """Per flow, from the streaming statistics (MonteCarlo(..., inventory_statistics=True)):
        mean, std, min, sketch quantiles (relative accuracy 1 % by default), max."""
        stats = self._raw.inventory
        if not stats:
            raise _core.InvalidInputError(
                "no inventory statistics: create the MonteCarlo with inventory_statistics=True"
            )
        st = stats[self._demand_index(demand)]
        frame = pd.DataFrame(
            {"mean": st.mean(), "std": st.std(), "min": st.min()},
            index=_convert.label_index(self.model._cpp.flows, self.model.m, "flow"),
        )
        for q in quantiles:
            frame[f"q{q:g}"] = st.quantile(float(q))
        frame["max"] = st.max()
        frame.attrs["count"] = st.count
        frame.attrs["relative_accuracy"] = st.relative_accuracy
        return frame

    # ---- comparisons ------------------------------------------------------------------------
    def difference(self, a: int | str, b: int | str) -> np.ndarray:
        """scores of a minus scores of b, iteration by iteration (common random numbers)."""
        return self._raw.difference(self._demand_index(a), self._demand_index(b))

    def probability_less(self, a: int | str, b: int | str) -> pd.Series:
        """Per category, the share of iterations in which a scores below b."""
        p = self._raw.probability_less(self._demand_index(a), self._demand_index(b))
        return pd.Series(p, index=self._category_index(), name=f"P({a} < {b})")

    def append(self, later: MonteCarloResult) -> MonteCarloResult:
        """Joins the next piece of a split run (iterations continuing this one's) in place."""
        self._raw.append(later._raw)
        return self

    def __repr__(self) -> str:
        return (
            f"<hiili.MonteCarloResult {self.completed} iterations from {self.first_iteration}, "
            f"{len(self.labels)} demand(s), {len(self.failed)} failed"
            f"{', cancelled' if self.cancelled else ''}>"
        )


def _levels(quantiles: Sequence[float]) -> list[float]:
    return [_convert.real(q, "quantile", "[0, 1]") for q in quantiles]


def _summary_frame(
    summary: _core.ScoreSummary,
    index: pd.Index,
    deterministic: np.ndarray,
    quantiles: Sequence[float],
) -> pd.DataFrame:
    """The summary table of a _core.ScoreSummary (hiili::summarize_scores or
    summarize_statistics): one row per category."""
    frame = pd.DataFrame(index=index)
    frame["deterministic"] = deterministic
    frame["mean"] = summary.mean
    frame["std"] = summary.std
    frame["min"] = summary.min
    for level, q in enumerate(quantiles):
        frame[f"q{q:g}"] = summary.quantiles[:, level]
    frame["max"] = summary.max
    frame["iterations"] = summary.count
    return frame


def _summarize_statistics(
    st: _core.FlowStatistics,
    index: pd.Index,
    deterministic: np.ndarray,
    quantiles: Sequence[float],
) -> pd.DataFrame:
    """_summarize's table from a streamed run's statistics (FlowStatistics of the scores)."""
    summary = _core.summarize_statistics(st, _levels(quantiles))
    frame = _summary_frame(summary, index, deterministic, quantiles)
    frame.attrs["relative_accuracy"] = st.relative_accuracy
    return frame


def _summarize(
    scores: np.ndarray, index: pd.Index, deterministic: np.ndarray, quantiles: Sequence[float]
) -> pd.DataFrame:
    """Per category: statistics of the successful iterations (rows with NaN skipped)."""
    summary = _core.summarize_scores(scores, _levels(quantiles))
    return _summary_frame(summary, index, deterministic, quantiles)


class MonteCarlo:
    """Monte Carlo on a model's uncertainty (stats_arrays distributions on A, B and C).

    Parameters
    ----------
    model
        A hiili.Model with uncertainty (e.g. ``hiili.synth(n, uncertainty=True)``, a Brightway
        datapackage read with ``hiili.read``, or ``hiili.with_uncertainty``).
    demand
        One demand as Lca.solve takes it (dict of activity index or label to amount, Series,
        vector), or a list of them to run on common random numbers (labels from ``labels``).
    seed
        The seed: the same seed gives the same numbers on any machine and thread count.
    threads
        Worker threads (None: all cores).
    sample
        Which matrices vary: any of "A", "B", "C" (default all three).
    inventory_statistics
        Also keep streaming statistics (mean, std, quantiles) of every inventory flow.
    keep_scores
        True (default): keep every iteration's scores. False: keep only streaming statistics
        of the scores (``result.summary()`` works, quantiles within sketch_accuracy), in memory
        that does not grow with the iterations. A run whose table of scores would not fit in
        memory raises hiili.InvalidInputError naming this option.

    Integer arguments must be whole numbers (1e6 is fine; 2.5, True, NaN are not) and within
    the C++ limits: threads 0 (or None, all cores) up to hiili.max_threads(), seed in
    [0, 2**64 - 1], chunk in [0, 2**20]; hiili.InvalidInputError names the argument otherwise.
    solver, options, **kwargs
        Factorisation options as for hiili.Lca (backend, residual_tolerance, ...).

    The constructor checks every uncertain entry (hiili.InvalidInputError naming the matrix,
    entry, row and column) and factorises the deterministic system (hiili.SingularMatrixError),
    so that a run never fails on its input.
    """

    def __init__(
        self,
        model: Any,
        demand: Any,
        seed: int = 0,
        threads: int | None = None,
        *,
        labels: Sequence[str] | None = None,
        sample: Sequence[str] = ("A", "B", "C"),
        inventory_statistics: bool = False,
        sketch_accuracy: float = 0.01,
        chunk: int = 0,
        progress_interval: float = 0.1,
        keep_scores: bool = True,
        solver: str | _core.Backend | None = None,
        options: _core.FactorizationOptions | None = None,
        **kwargs: Any,
    ) -> None:
        self.model = _as_model(model)
        demands = demand if _is_demand_list(demand) else [demand]
        if not demands:
            raise _core.InvalidInputError("MonteCarlo: no demand given")
        if labels is None:
            labels = [f"alternative {i}" for i in range(len(demands))]
        labels = [str(x) for x in labels]
        if len(labels) != len(demands) or len(set(labels)) != len(labels):
            raise _core.InvalidInputError("labels: one distinct label per demand")
        self.labels = labels
        unknown = set(sample) - set(_SAMPLE_KEYS)
        if unknown:
            raise _core.InvalidInputError(
                f"sample: unknown matrices {sorted(unknown)}; use A, B, C"
            )
        opts = _core.MonteCarloOptions(
            seed=_convert.integer(seed, "seed", _convert.UINT64, _convert.UINT64),
            threads=_convert.threads(threads),
            factorization=factorization_options(solver, options, **kwargs),
            inventory_statistics=bool(inventory_statistics),
            sketch_accuracy=_convert.real(sketch_accuracy, "sketch_accuracy", "(0, 0.5)"),
            chunk=_convert.integer(chunk, "chunk", (0, 2**20)),
            progress_interval=_convert.real(progress_interval, "progress_interval", "[0, 86400]"),
            keep_scores=bool(keep_scores),
        )
        for key, name in _SAMPLE_KEYS.items():
            setattr(opts, name, key in sample)
        self.options = opts
        # What a hiili.distributed worker needs to build this MonteCarlo again.
        self._arguments = (
            demands,
            dict(
                seed=seed, threads=threads, labels=labels, sample=tuple(sample),
                inventory_statistics=inventory_statistics, sketch_accuracy=sketch_accuracy,
                chunk=chunk, progress_interval=progress_interval, keep_scores=keep_scores,
                solver=solver, options=options, **kwargs,
            ),
        )
        pairs = [_sparse_demand(self.model, d) for d in demands]
        self._cpp = _core.MonteCarlo(self.model._cpp, pairs, opts)
        self._deterministic = np.asarray(self._cpp.deterministic_scores)
        self.partial: MonteCarloResult | None = None

    @property
    def seed(self) -> int:
        return self.options.seed

    @property
    def num_active(self) -> int:
        """Activities upstream of the demands: the size of the system solved per iteration."""
        return self._cpp.num_active

    def deterministic(self) -> pd.DataFrame:
        """Scores with every entry at its amount (categories x alternatives)."""
        idx = _convert.label_index(self.model._cpp.categories, self.model.k, "category")
        return pd.DataFrame(self._deterministic, index=idx, columns=self.labels)

    def run(
        self,
        iterations: int,
        *,
        first_iteration: int = 0,
        progress: bool | Callable[[int, int, float], Any] | None = None,
        client: Any = None,
        iterations_per_task: int | None = None,
    ) -> MonteCarloResult:
        """Runs iterations first_iteration .. first_iteration + iterations - 1.

        client: a dask.distributed Client to run on a cluster instead (hiili.distributed:
        the same scores, bit for bit, in tasks of iterations_per_task iterations).

        progress: True for a tqdm bar, False for none, None (default) for a bar when stderr is
        a terminal, or a callable progress(completed, total, seconds) (return False to stop:
        the result then holds the completed prefix and ``cancelled`` is True).
        Warns hiili.NoUncertaintyWarning when the run drew no uncertain entry (every
        iteration then repeats the deterministic scores).
        KeyboardInterrupt: see the module docstring.
        """
        iterations = _convert.integer(iterations, "iterations", (0, 2**40))
        first_iteration = _convert.integer(first_iteration, "first_iteration", (0, 2**40))
        if client is not None:
            from .distributed import run_monte_carlo

            return run_monte_carlo(
                self, iterations, client, first_iteration=first_iteration, progress=progress,
                iterations_per_task=iterations_per_task,
            )
        callback, close = _progress_callback(progress, iterations)
        try:
            raw, interrupted = self._cpp.run(iterations, first_iteration, callback)
        finally:
            close()
        result = MonteCarloResult(self.model, raw, self.labels, self._deterministic)
        if iterations > 0:
            diagnostics.warn(
                _core.no_uncertainty_warning(result.report),
                diagnostics.NoUncertaintyWarning,
                stacklevel=2,
            )
        if interrupted:
            self.partial = result
            raise KeyboardInterrupt(
                f"Monte Carlo interrupted after {result.completed} of {iterations} iterations; "
                "the completed ones are in .partial"
            )
        return result

    @classmethod
    def compare(
        cls,
        model: Any,
        demands: Sequence[Any] | Mapping[str, Any],
        iterations: int = 1000,
        seed: int = 0,
        threads: int | None = None,
        *,
        progress: bool | Callable[[int, int, float], Any] | None = None,
        client: Any = None,
        **kwargs: Any,
    ) -> Comparison:
        """Runs several demands on the same draws (common random numbers).

        demands: a list of demands, or a dict {label: demand}. Returns a Comparison with each
        alternative's scores, paired differences and P(a < b). client: as for run().
        """
        if isinstance(demands, Mapping):
            labels = [str(k) for k in demands]
            demand_list = list(demands.values())
        else:
            demand_list = list(demands)
            labels = kwargs.pop("labels", None)
        if len(demand_list) < 2:
            raise _core.InvalidInputError("compare needs at least two demands")
        mc = cls(model, demand_list, seed, threads, labels=labels, **kwargs)
        return Comparison(mc.run(iterations, progress=progress, client=client))


def _is_demand_list(demand: Any) -> bool:
    if isinstance(demand, Mapping | pd.Series | np.ndarray) or sp.issparse(demand):
        return False
    return (
        isinstance(demand, Sequence)
        and len(demand) > 0
        and all(isinstance(d, Mapping | pd.Series | np.ndarray) or sp.issparse(d) for d in demand)
    )


class Comparison:
    """Alternatives evaluated on common random numbers (MonteCarlo.compare)."""

    def __init__(self, result: MonteCarloResult) -> None:
        self.result = result
        self.labels = result.labels

    def scores(self, alternative: int | str) -> np.ndarray:
        return self.result.scores_of(alternative)

    def difference(self, a: int | str, b: int | str) -> pd.DataFrame:
        """Paired differences a - b: iterations x categories."""
        return pd.DataFrame(
            self.result.difference(a, b),
            index=pd.Index(self.result.iterations, name="iteration"),
            columns=self.result._category_index(),
        )

    def probability_less(self, a: int | str, b: int | str) -> pd.Series:
        """Per category, P(a < b) over the common draws."""
        return self.result.probability_less(a, b)

    def probabilities(self, category: int | str = 0) -> pd.DataFrame:
        """Matrix of P(row alternative < column alternative) for one category."""
        q = category if isinstance(category, int) else self.result.model.category_index(category)
        n = len(self.labels)
        out = np.full((n, n), np.nan)
        for i in range(n):
            for j in range(n):
                if i != j:
                    out[i, j] = self.result._raw.probability_less(i, j)[q]
        return pd.DataFrame(out, index=self.labels, columns=self.labels)

    def summary(self, quantiles: Sequence[float] = DEFAULT_QUANTILES) -> pd.DataFrame:
        """Per alternative and category: deterministic, mean, std, quantiles."""
        frames = {label: self.result.summary(label, quantiles) for label in self.labels}
        return pd.concat(frames, names=["alternative"])

    def __repr__(self) -> str:
        return (
            f"<hiili.Comparison of {len(self.labels)} alternatives, "
            f"{self.result.completed} iterations>"
        )


# ---- distributions ----------------------------------------------------------------------------


def sample_distribution(
    type: int,
    *,
    loc: float = np.nan,
    scale: float = np.nan,
    shape: float = np.nan,
    minimum: float = np.nan,
    maximum: float = np.nan,
    negative: bool = False,
    amount: float = 0.0,
    seed: int = 0,
    count: int = 1,
    first_iteration: int = 0,
    stream: int = 0,
) -> np.ndarray:
    """``count`` draws of one stats_arrays distribution (ids 0-12, parameters as in
    stats_arrays), as a Monte Carlo run draws them for one entry in consecutive iterations.
    Raises hiili.InvalidInputError for invalid parameters."""
    u64 = _convert.UINT64
    return _core.sample_distribution(
        type=_convert.integer(type, "type", (0, 255), _convert.INT32),
        loc=_convert.real(loc, "loc", "the distribution's range"),
        scale=_convert.real(scale, "scale", "the distribution's range"),
        shape=_convert.real(shape, "shape", "the distribution's range"),
        minimum=_convert.real(minimum, "minimum", "the distribution's range"),
        maximum=_convert.real(maximum, "maximum", "the distribution's range"),
        negative=bool(negative),
        amount=_convert.real(amount, "amount", "any number"),
        seed=_convert.integer(seed, "seed", u64, u64),
        count=_convert.integer(count, "count", (0, 2**40)),
        first_iteration=_convert.integer(first_iteration, "first_iteration", (0, 2**40), u64),
        stream=_convert.integer(stream, "stream", u64, u64),
    )


def check_uncertainty(type: int, **params: Any) -> str:
    """What is wrong with these stats_arrays parameters, or '' when they are valid."""
    return _core.check_uncertainty(type=int(type), **params)


_UNCERTAINTY_COLUMNS = ("loc", "scale", "shape", "minimum", "maximum")


def with_uncertainty(model: Any, matrix: str, uncertainty: Any) -> Model:
    """A copy of ``model`` whose entries of ``matrix`` ("A", "B" or "C") carry
    ``uncertainty``: a DataFrame or dict of arrays with one row per entry (in the order of
    ``model.entries(matrix)``) and columns uncertainty_type, loc, scale, shape, minimum,
    maximum, negative (missing ones: NaN / False)."""
    model = _as_model(model)
    kind = _kind(matrix)
    n = len(model.entries(kind))
    cols = (
        uncertainty
        if isinstance(uncertainty, Mapping)
        else {c: uncertainty[c].to_numpy() for c in uncertainty.columns}
    )

    def column(name: str, dtype: Any, default: Any) -> np.ndarray:
        if name in cols:
            arr = np.ascontiguousarray(np.asarray(cols[name]), dtype=dtype)
        else:
            arr = np.full(n, default, dtype=dtype)
        if arr.shape != (n,):
            raise _core.InvalidInputError(
                f"with_uncertainty: {name} has shape {arr.shape}, expected ({n},)"
            )
        return arr

    types = column("uncertainty_type", np.uint8, 0)
    args = [column(c, np.float64, np.nan) for c in _UNCERTAINTY_COLUMNS]
    negative = column("negative", bool, False)
    return Model._wrap(_core.with_uncertainty(model._cpp, kind, types, *args, negative))
