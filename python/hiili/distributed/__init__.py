"""hiili on a Dask cluster: Monte Carlo, scenario sweeps and all-activity scores.

    from dask.distributed import Client, LocalCluster
    client = Client(LocalCluster(n_workers=2, threads_per_worker=1))   # or a Slurm/K8s cluster
    res = hiili.MonteCarlo(model, demand, seed=0).run(100_000, client=client)
    frame = hiili.distributed.sweep(client, model, demands, scenarios=[...])

Monte Carlo tasks are iteration ranges [first, first + count): each worker builds (analyses and
factorises) a model's MonteCarlo once and keeps it in a cache keyed by the model's fingerprint
and the run's settings; the model travels to each worker once per run (``client.scatter``),
not with each task. Results are appended in iteration order, so the scores are bit-identical
to one machine's run with the same seed, whatever the workers and the task size. A task is a
pure function of its index range: when a worker dies, Dask reruns its tasks elsewhere and the
answer is the same. Needs the optional dependencies ``dask`` and ``distributed``
(``pip install hiili[distributed]``). See docs/scale-out.md.
"""

from __future__ import annotations

from ._monte_carlo import default_iterations_per_task, run_monte_carlo
from ._sweep import activity_scores, sweep
from ._worker import fingerprint

__all__ = [
    "activity_scores",
    "default_iterations_per_task",
    "fingerprint",
    "run_monte_carlo",
    "sweep",
]
