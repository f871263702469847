"""MonteCarlo.run(..., client=): iteration ranges as Dask tasks, appended in iteration order."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from .. import _convert, _core, diagnostics
from ..model import Model
from ._worker import cached, fingerprint, settings_key, worker_threads

# Tasks per worker thread when iterations_per_task is not given: enough for balance and
# progress, few enough that the per-task overhead (docs/scale-out.md) stays small.
TASKS_PER_THREAD = 4


def default_iterations_per_task(iterations: int, threads: int) -> int:
    """ceil(iterations / (TASKS_PER_THREAD * threads)), at least 1."""
    tasks = TASKS_PER_THREAD * max(1, threads)
    return max(1, -(-iterations // tasks))


def _worker_monte_carlo(model: Model, key: str, arguments: tuple[Any, dict[str, Any]]) -> Any:
    """The worker's MonteCarlo for these settings, built (analysed, factorised) once."""
    from ..monte_carlo import MonteCarlo

    def build() -> MonteCarlo:
        demands, options = arguments
        options = dict(options)
        if options.get("threads") is None:  # as many C++ threads as the worker has threads
            options["threads"] = worker_threads()
        return MonteCarlo(model, demands, **options)

    return cached(key, build)


def _run_range(
    model: Model, key: str, arguments: tuple[Any, dict[str, Any]], first: int, count: int
) -> _core.MonteCarloResult:
    """One task: iterations first .. first + count - 1 (a pure function of its range)."""
    mc = _worker_monte_carlo(model, key, arguments)
    raw, _ = mc._cpp.run(count, first, None)
    return raw


def _ranges(first: int, iterations: int, per_task: int) -> list[tuple[int, int]]:
    return [
        (start, min(per_task, first + iterations - start))
        for start in range(first, first + iterations, per_task)
    ]


def _cluster_threads(client: Any) -> int:
    return max(1, sum(client.nthreads().values()))


class _Merger:
    """Appends finished ranges in iteration order; out-of-order ones wait in `pending`."""

    def __init__(self, start: _core.MonteCarloResult, count: int) -> None:
        self.result = start
        self.pending: dict[int, _core.MonteCarloResult] = {}
        self.next = 0
        self.count = count

    def add(self, index: int, raw: _core.MonteCarloResult) -> None:
        self.pending[index] = raw
        while self.next in self.pending:
            self.result.append(self.pending.pop(self.next))
            self.next += 1

    @property
    def finished(self) -> bool:
        return self.next == self.count


def run_monte_carlo(
    mc: Any,
    iterations: int,
    client: Any,
    *,
    first_iteration: int = 0,
    progress: bool | Callable[[int, int, float], Any] | None = None,
    iterations_per_task: int | None = None,
) -> Any:
    """MonteCarlo.run on a Dask cluster (MonteCarlo.run(..., client=client) calls this).

    Splits iterations first_iteration .. first_iteration + iterations - 1 into tasks of
    iterations_per_task (default: default_iterations_per_task over the cluster's threads),
    ships the model once per worker and appends the results in iteration order: the same
    MonteCarloResult as mc.run(iterations, first_iteration=...) on one machine, bit for bit
    (streaming statistics: counts, min, max and quantiles exact; mean and variance to the
    last bits, as FlowStatistics.merge documents).

    progress: as for MonteCarlo.run, counted in finished iterations. A callable that returns
    False cancels the remaining tasks; the result then holds the finished prefix and
    ``cancelled`` is True. KeyboardInterrupt (Ctrl-C) cancels them too, keeps the finished
    prefix in ``mc.partial`` and raises KeyboardInterrupt, as on one machine. An error inside a
    task is raised here as the typed hiili error.
    """
    from distributed import as_completed

    from ..monte_carlo import _progress_callback

    if iterations_per_task is None:
        per_task = default_iterations_per_task(iterations, _cluster_threads(client))
    else:
        per_task = _convert.integer(iterations_per_task, "iterations_per_task", (1, 2**40))
    ranges = _ranges(first_iteration, iterations, per_task)
    key = settings_key(fingerprint(mc.model), mc._arguments)
    merger = _Merger(mc._cpp.run(0, first_iteration, None)[0], len(ranges))
    callback, close = _progress_callback(progress, iterations)
    model_future = client.scatter(mc.model, broadcast=True, hash=False)
    run_id = uuid.uuid4().hex[:12]
    futures = {
        client.submit(
            _run_range,
            model_future,
            key,
            mc._arguments,
            start,
            count,
            key=f"hiili-mc-{run_id}-{start}",
            pure=False,
        ): index
        for index, (start, count) in enumerate(ranges)
    }
    started, stopped = time.perf_counter(), False
    try:
        for future in as_completed(futures):
            merger.add(futures[future], future.result())
            future.release()
            if callback is not None:
                done = merger.result.completed
                if callback(done, iterations, time.perf_counter() - started) is False:
                    stopped = True
                    break
    except KeyboardInterrupt:
        client.cancel(list(futures))
        mc.partial = _finish(merger, iterations, mc, cancelled=True)
        raise KeyboardInterrupt(
            f"Monte Carlo interrupted after {merger.result.completed} of {iterations} "
            "iterations; the completed ones are in .partial"
        ) from None
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        close()
    if stopped:
        client.cancel(list(futures))
    result = _finish(merger, iterations, mc, cancelled=stopped)
    if iterations > 0:
        diagnostics.warn(
            _core.no_uncertainty_warning(result.report),
            diagnostics.NoUncertaintyWarning,
            stacklevel=3,
        )
    return result


def _finish(merger: _Merger, iterations: int, mc: Any, cancelled: bool) -> Any:
    from ..monte_carlo import MonteCarloResult

    raw = merger.result
    raw.requested = iterations
    raw.cancelled = cancelled or not merger.finished
    return MonteCarloResult(mc.model, raw, mc.labels, mc._deterministic)
