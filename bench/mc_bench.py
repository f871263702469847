#!/usr/bin/env python3
"""Monte Carlo: hiili.MonteCarlo against bw2calc's Monte Carlo LCA, in one script run.

The model is the seeded synthetic system (hiili.synth, uncertainty=True: lognormal on every
input of A and every entry of B). bw2calc (from PyPI) gets the same matrices and the same
stats_arrays distributions as a bw_processing datapackage and runs ``next(lca)`` on an
``LCA(..., use_distributions=True)``: a fresh draw of every uncertain entry, matrices rebuilt,
factorised and solved. hiili runs the same model and demand at 1 and 2 threads.

Reported: iterations per second (wall) and CPU seconds per iteration of each, the ratio, hiili's
phase breakdown (thread-seconds: sampling, refactorisation, solves, scores), the machine load
before and after, and the means of both samples (they must agree within Monte Carlo error).

    .venv/bin/python bench/mc_bench.py --n 20000 --iterations 300 --bw-iterations 10
    .venv/bin/python bench/mc_bench.py --family stress --k 20 --bw-solvers "" --threads 1,2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import sys
import time
import warnings

import numpy as np

import hiili


def loadavg() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def run_hiili(model, demand, iterations: int, threads: int, seed: int) -> dict:
    mc = hiili.MonteCarlo(model, demand, seed=seed, threads=threads)
    mc.run(max(2, threads) * 2, progress=False)  # creates the workers' factorisations
    w0, c0 = time.perf_counter(), time.process_time()
    res = mc.run(iterations, progress=False)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    r = res.report
    return {
        "threads": threads,
        "iterations": res.completed,
        "seconds": wall,
        "iterations_per_second": res.completed / wall,
        "cpu_seconds_per_iteration": cpu / res.completed,
        "active_activities": r.activities,
        "sampled_entries": list(r.sampled_entries),
        "uncertain_entries": list(r.uncertain_entries),
        "thread_seconds": {
            "sample": r.sample_seconds,
            "factor": r.factor_seconds,
            "solve": r.solve_seconds,
            "score": r.score_seconds,
        },
        "setup_seconds": r.setup_seconds,
        "failed": len(res.failed),
        "mean_score_0": float(np.nanmean(res.scores[:, 0])),
        "brief": r.brief(),
    }


def bw_datapackage(model, category: int):
    import bw_processing as bwp

    n = model.n

    def part(matrix: str, row_offset: int, col_offset: int):
        e = model.entries(matrix)
        idx = np.empty(len(e["row"]), dtype=bwp.INDICES_DTYPE)
        idx["row"] = e["row"] + row_offset
        idx["col"] = e["col"] + col_offset
        d = np.zeros(len(e["row"]), dtype=bwp.UNCERTAINTY_DTYPE)
        if "uncertainty_type" in e:
            t = e["uncertainty_type"]
            d["uncertainty_type"] = t
            # stats_arrays draws `loc` for types 0 and 1: give it the amount.
            d["loc"] = np.where(t <= 1, e["amount"], e["loc"])
            for c in ("scale", "shape", "minimum", "maximum"):
                d[c] = e[c]
            d["negative"] = e["negative"]
        else:
            d["loc"] = e["amount"]
            for c in ("scale", "shape", "minimum", "maximum"):
                d[c] = np.nan
        return idx, np.asarray(e["amount"], dtype=np.float64), np.asarray(e["flip"], bool), d

    dp = bwp.create_datapackage(name="hiili-mc-bench", sum_intra_duplicates=True)
    ai, ad, af, adist = part("A", 0, 0)
    dp.add_persistent_vector(
        matrix="technosphere_matrix",
        name="technosphere",
        indices_array=ai,
        data_array=ad,
        flip_array=af,
        distributions_array=adist,
    )
    bi, bd, bf, bdist = part("B", n, 0)
    dp.add_persistent_vector(
        matrix="biosphere_matrix",
        name="biosphere",
        indices_array=bi,
        data_array=bd,
        flip_array=bf,
        distributions_array=bdist,
    )
    C = model.C.tocsr()
    row = C[[category], :].tocoo()
    ci = np.empty(len(row.col), dtype=bwp.INDICES_DTYPE)
    ci["row"] = row.col + n
    ci["col"] = row.col + n
    dp.add_persistent_vector(
        matrix="characterization_matrix",
        name="characterization",
        indices_array=ci,
        data_array=row.data.astype(np.float64),
        flip_array=np.zeros(len(row.col), bool),
    )
    return dp


def use_scipy_solver() -> None:
    """bw2calc as it runs without pypardiso: scipy's spsolve (SuperLU)."""
    import bw2calc.lca
    import bw2calc.lca_base
    import scipy.sparse.linalg

    bw2calc.lca_base.PYPARDISO = False
    bw2calc.lca_base.spsolve = scipy.sparse.linalg.spsolve
    bw2calc.lca.PYPARDISO = False


def run_bw2calc(model, activity: int, iterations: int, seed: int, solver: str) -> dict:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import bw2calc as bc
            import bw_processing  # noqa: F401
    except Exception as e:  # pragma: no cover - optional competitor
        return {"missing": f"{type(e).__name__}: {e}"}
    if solver == "scipy":
        use_scipy_solver()
    elif not bc.PYPARDISO:
        return {"missing": "pypardiso is not installed"}
    dp = bw_datapackage(model, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        lca = bc.LCA({activity: 1.0}, data_objs=[dp], use_distributions=True, seed_override=seed)
        lca.lci()
        lca.lcia()
        setup = time.perf_counter() - t0
        scores = []
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(iterations):
            next(lca)
            scores.append(lca.score)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {
        "version": bc.__version__,
        "solver": solver,
        "iterations": iterations,
        "seconds": wall,
        "iterations_per_second": iterations / wall,
        "cpu_seconds_per_iteration": cpu / iterations,
        "setup_seconds": setup,
        "mean_score_0": float(np.mean(scores)),
    }


def run_bw2calc_limited(
    model, activity: int, iterations: int, seed: int, solver: str, limit: float
) -> dict:
    """run_bw2calc in a child process, given up after `limit` seconds."""
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def target():
        child.send(run_bw2calc(model, activity, iterations, seed, solver))

    proc = ctx.Process(target=target)
    proc.start()
    if parent.poll(limit):
        out = parent.recv()
        proc.join()
        return out
    proc.terminate()
    proc.join()
    return {"solver": solver, "timeout": limit, "iterations": iterations}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1, help="synth seed")
    ap.add_argument("--family", default="ecoinvent", help="synth family: ecoinvent or stress")
    ap.add_argument("--k", type=int, default=3, help="synth impact categories")
    ap.add_argument("--iterations", type=int, default=300, help="hiili iterations per run")
    ap.add_argument("--bw-iterations", type=int, default=10, help="bw2calc iterations")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument(
        "--bw-solvers",
        default="scipy,pypardiso",
        help="bw2calc solvers to time: scipy (SuperLU, bw2calc without pypardiso) "
        "and/or pypardiso (bw2calc's default when installed)",
    )
    ap.add_argument(
        "--bw-limit",
        type=float,
        default=600.0,
        help="seconds after which a bw2calc run is given up (reported as such)",
    )
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()

    out = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
        },
        "load_before": loadavg(),
        "model": {
            "generator": "hiili.synth",
            "n": args.n,
            "seed": args.seed,
            "family": args.family,
            "k": args.k,
            "uncertainty": True,
        },
    }
    t0 = time.perf_counter()
    model = hiili.synth(args.n, seed=args.seed, k=args.k, family=args.family, uncertainty=True)
    out["model"]["seconds"] = time.perf_counter() - t0
    out["model"].update(
        {"m": model.m, "k": model.k, "nnz_A": int(model.A.nnz), "nnz_B": int(model.B.nnz)}
    )
    activity = model.n - 1
    out["demand"] = {"activity": activity, "amount": 1.0}

    out["hiili"] = [
        run_hiili(model, {activity: 1.0}, args.iterations, int(t), 0)
        for t in args.threads.split(",")
    ]
    out["bw2calc"] = [
        run_bw2calc_limited(model, activity, args.bw_iterations, 0, solver, args.bw_limit)
        for solver in args.bw_solvers.split(",")
        if solver
    ]
    out["load_after"] = loadavg()

    print(
        f"machine: {out['machine']['cpu']}, {out['machine']['cores']} cores; "
        f"load {out['load_before']} -> {out['load_after']}"
    )
    m = out["model"]
    print(
        f"model: synth n={m['n']} family={m['family']} (m={m['m']}, k={m['k']}, nnz A={m['nnz_A']:,}, "
        f"nnz B={m['nnz_B']:,}), demand: 1 unit of activity {activity}"
    )
    print()
    print("| tool | threads | iterations | it/s (wall) | CPU s / it | mean score 0 |")
    print("|---|---|---|---|---|---|")
    for h in out["hiili"]:
        print(
            f"| hiili | {h['threads']} | {h['iterations']} | {h['iterations_per_second']:.1f} | "
            f"{h['cpu_seconds_per_iteration'] * 1e3:.2f} ms | {h['mean_score_0']:.6g} |"
        )
    ratios = []
    for bw in out["bw2calc"]:
        if "missing" in bw:
            print(f"| bw2calc | - | missing: {bw['missing']} | | | |")
        elif "timeout" in bw:
            print(
                f"| bw2calc ({bw['solver']}) | 1 | {bw['iterations']} | < "
                f"{bw['iterations'] / bw['timeout']:.3f} "
                f"(gave up after {bw['timeout']:.0f} s) | | |"
            )
        else:
            print(
                f"| bw2calc {bw['version']} ({bw['solver']}) | 1 | {bw['iterations']} | "
                f"{bw['iterations_per_second']:.2f} | "
                f"{bw['cpu_seconds_per_iteration'] * 1e3:.0f} ms | {bw['mean_score_0']:.6g} |"
            )
            for h in out["hiili"]:
                ratios.append(
                    f"hiili ({h['threads']} threads) / bw2calc ({bw['solver']}): "
                    f"{h['iterations_per_second'] / bw['iterations_per_second']:.0f}x"
                )
    for line in ratios:
        print(line)
    print()
    for h in out["hiili"]:
        ts = h["thread_seconds"]
        total = sum(ts.values())
        shares = ", ".join(f"{k} {v / total:.0%}" for k, v in ts.items())
        print(
            f"hiili {h['threads']} thread(s): {shares}; "
            f"active activities {h['active_activities']:,}, "
            f"entries drawn per iteration A {h['sampled_entries'][0]:,} of "
            f"{h['uncertain_entries'][0]:,}, B {h['sampled_entries'][1]:,} of "
            f"{h['uncertain_entries'][1]:,}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
