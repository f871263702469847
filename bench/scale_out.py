#!/usr/bin/env python3
"""hiili.distributed on this machine: 1 vs 2 worker processes, the per-task overhead, and the
bytes shipped per task and per model (docs/scale-out.md quotes a run of it).

    .venv/bin/python bench/scale_out.py [--n 20000] [--iterations 800] [--json OUT]

Model: hiili.synth(n, seed=1, uncertainty=True) (the default model of `hiili mc`), demand
{499: 1}. Every cluster is a distributed.LocalCluster of worker processes with one thread each
(the C++ engine also uses one thread per worker), on loopback. Each timing is the best of
--repeat runs after one warm-up run, which builds each worker's cached MonteCarlo.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import sys
import time
from pathlib import Path

from distributed import Client, LocalCluster

import hiili
from hiili.distributed import _worker


def best(f, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def local_cluster(workers: int) -> LocalCluster:
    """Worker processes of one thread each on loopback, no dashboard."""
    return LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    )


def noop(x: int) -> int:
    return x


def task_overhead(client: Client, tasks: int) -> float:
    """Seconds per task of the scheduler round trip alone: `tasks` no-op tasks, submitted and
    gathered, divided by their number."""

    def once() -> None:
        client.gather(client.map(noop, range(tasks), pure=False))

    once()
    return best(once, 3) / tasks


def sweep_costs(n: int, variants: int, repeat: int) -> dict:
    """A sweep of `variants` scenarios (each scales one stored A entry) x 4 demands on 2 worker
    processes, as tasks of 1 and of 8 variants, against a loop of Lca solves in this process."""
    model = hiili.synth(n, seed=1, k=3)
    A = model.A.tocoo()
    picks = [
        (int(r), int(c), float(v)) for r, c, v in zip(A.row, A.col, A.data, strict=True) if r != c
    ][:variants]
    scenarios = [
        hiili.Scenario(f"s{i}", [("A", r, c, 1.1 * v)]) for i, (r, c, v) in enumerate(picks)
    ]
    demands = [{j: 1.0} for j in (0, n // 3, n // 2, n - 1)]

    def loop() -> None:
        for sc in scenarios:
            lca = hiili.Lca(hiili.linking.apply_scenario(model, sc))
            lca.solve_many(demands)

    out = {
        "sweep_n": n,
        "sweep_variants": variants,
        "sweep_demands": len(demands),
        "sweep_loop_s": best(loop, repeat),
        "scenario_bytes": len(pickle.dumps(scenarios[0], protocol=5)),
    }
    with (
        local_cluster(2) as cluster,
        Client(cluster) as client,
    ):
        for per_task in (1, 8):

            def once(per_task: int = per_task) -> None:
                hiili.distributed.sweep(
                    client,
                    model,
                    demands,
                    scenarios,
                    include_base=False,
                    variants_per_task=per_task,
                )

            once()
            out[f"sweep_{per_task}_per_task_s"] = best(once, repeat)
    tasks_1, tasks_8 = variants, -(-variants // 8)
    out["sweep_overhead_per_task_s"] = (out["sweep_1_per_task_s"] - out["sweep_8_per_task_s"]) / (
        tasks_1 - tasks_8
    )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--iterations", type=int, default=800)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--json", default="")
    ap.add_argument("--part", choices=["all", "mc", "sweep"], default="all")
    ap.add_argument("--sweep-n", type=int, default=2000)
    ap.add_argument("--sweep-variants", type=int, default=32)
    args = ap.parse_args(argv)
    if args.part == "sweep":
        out = sweep_costs(args.sweep_n, args.sweep_variants, args.repeat)
        print(json.dumps(out, indent=1))
        return 0

    model = hiili.synth(args.n, seed=1, uncertainty=True)
    demand = {499: 1.0}
    N = args.iterations
    out: dict = {
        "n": args.n,
        "iterations": N,
        "cores": os.cpu_count(),
        "load_before": os.getloadavg()[0],
    }

    mc = hiili.MonteCarlo(model, demand, seed=0, threads=1)
    out["setup_s"] = mc.run(0, progress=False).report.setup_seconds
    out["one_process_s"] = best(lambda: mc.run(N, progress=False), args.repeat)

    # bytes: the model once per worker, the arguments of a task, a task's result
    out["model_bytes"] = len(pickle.dumps(model, protocol=5))
    per_task = 50
    key = _worker.settings_key(_worker.fingerprint(model), mc._arguments)
    out["task_argument_bytes"] = len(pickle.dumps((key, mc._arguments, 0, per_task), protocol=5))
    raw = mc._cpp.run(per_task, 0, None)[0]
    out["task_result_bytes"] = len(pickle.dumps(raw, protocol=5))
    streamed = hiili.MonteCarlo(model, demand, seed=0, threads=1, keep_scores=False)
    out["task_result_bytes_streamed"] = len(
        pickle.dumps(streamed._cpp.run(per_task, 0, None)[0], protocol=5)
    )
    t = time.perf_counter()
    for _ in range(3):
        pickle.loads(pickle.dumps(model, protocol=5))
    out["model_pickle_roundtrip_s"] = (time.perf_counter() - t) / 3

    for workers in (1, 2):
        with (
            local_cluster(workers) as cluster,
            Client(cluster) as client,
        ):
            run = hiili.MonteCarlo(model, demand, seed=0)
            tasks = 4 * workers
            size = -(-N // tasks)
            run.run(N, client=client, iterations_per_task=size)  # warm-up: builds the caches
            out[f"workers_{workers}_s"] = best(
                lambda run=run, client=client, size=size: run.run(
                    N, client=client, iterations_per_task=size
                ),
                args.repeat,
            )
            out[f"workers_{workers}_tasks"] = tasks
            if workers == 2:
                out["noop_task_s"] = task_overhead(client, 1000)
                small = 5
                t_small = best(
                    lambda run=run, client=client, small=small: run.run(
                        N, client=client, iterations_per_task=small
                    ),
                    args.repeat,
                )
                out["small_tasks"] = -(-N // small)
                out["small_tasks_s"] = t_small
                # wall added per extra task, with 2 workers draining the queue together
                extra = out["small_tasks"] - tasks
                out["overhead_per_task_s"] = (t_small - out["workers_2_s"]) / extra
                t = time.perf_counter()
                client.scatter(model, broadcast=True, hash=False)
                out["broadcast_model_s"] = time.perf_counter() - t
    out["speedup_2_vs_1"] = out["workers_1_s"] / out["workers_2_s"]
    out["iteration_s"] = out["one_process_s"] / N
    if args.part == "all":
        out.update(sweep_costs(args.sweep_n, args.sweep_variants, args.repeat))
    out["load_after"] = os.getloadavg()[0]
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
