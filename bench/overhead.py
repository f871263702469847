#!/usr/bin/env python3
"""The Python-overhead rows, like for like: the same job through hiili's C++ API
(bench_overhead) and through its Python bindings (this file), on the same matrix, with the
same warm-up and the same repetitions; rounds of the two alternate so that both see the same
load. Each side runs in its own process and times itself with a monotonic clock, so process
start-up is outside both.

    python bench/overhead.py FILE JOB REPS     # the Python half (what bench_overhead does)

`compare(problem_folder, exe, ...)` (used by bench/run.py) writes FILE from a problem folder
of bench/problems.py and returns, per job, the medians of both sides over all rounds.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np


def write_input(folder: Path, path: Path) -> None:
    import scipy.sparse as sp

    A = sp.load_npz(folder / "A.npz").tocsc()
    A.sort_indices()
    draws = np.load(folder / "draws.npy")
    B = sp.load_npz(folder / "B.npz")
    C = sp.load_npz(folder / "C.npz")
    rhs = np.asfortranarray((C @ B).T.toarray())
    n, k = A.shape[0], rhs.shape[1]
    with open(path, "wb") as f:
        np.array([n, A.nnz, k], np.int64).tofile(f)
        A.indptr.astype(np.int64).tofile(f)
        A.indices.astype(np.int64).tofile(f)
        A.data.astype(np.float64).tofile(f)
        draws[0].astype(np.float64).tofile(f)
        draws[1].astype(np.float64).tofile(f)
        rhs.T.astype(np.float64).tofile(f)  # column-major n x k


def read_input(path: Path):
    import scipy.sparse as sp

    raw = np.fromfile(path, dtype=np.int64, count=3)
    n, nnz, k = (int(v) for v in raw)
    off = 3 * 8
    indptr = np.fromfile(path, np.int64, n + 1, offset=off)
    off += (n + 1) * 8
    indices = np.fromfile(path, np.int64, nnz, offset=off)
    off += nnz * 8
    vals = [np.fromfile(path, np.float64, nnz, offset=off + i * nnz * 8) for i in range(3)]
    off += 3 * nnz * 8
    rhs = np.fromfile(path, np.float64, n * k, offset=off).reshape((k, n)).T
    A = sp.csc_matrix((vals[0], indices, indptr), shape=(n, n))
    return A, vals[1], vals[2], np.asfortranarray(rhs)


def time_reps(reps: int, call) -> list[float]:
    import time

    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        call()
        out.append(time.perf_counter() - t0)
    return out


def until_static(f, call) -> None:
    for _ in range(64):
        if f.report.static_solves:
            break
        call()


def run(path: Path, job: str, reps: int) -> list[float]:
    """The same steps as bench_overhead.cpp's run(), through the bindings."""
    import hiili

    A, draw1, draw2, rhs = read_input(path)
    n = A.shape[0]
    b = np.zeros(n)
    b[n - 1] = 1.0
    b2 = np.zeros(n)
    b2[(n - 1 + 7919) % n] = 1.0
    if job == "factor_solve":

        def call():
            hiili.Factorization(A).solve(b)

        call()
        return time_reps(reps, call)
    f = hiili.Factorization(A)
    if job == "solve":
        call = lambda: f.solve(b2)  # noqa: E731
        until_static(f, call)
        return time_reps(reps, call)
    if job == "refactor_solve":
        f.refactor(draw2)
        state = {"i": 0}

        def step():
            f.refactor(draw2 if state["i"] % 2 else draw1)
            state["i"] += 1
            f.solve(b)

        return time_reps(reps, step)
    if job == "scores_k":
        call = lambda: f.solve_many(rhs, transposed=True)  # noqa: E731
        until_static(f, call)
        return time_reps(reps, call)
    raise SystemExit(f"unknown job {job}")


def one_round(cmd: list[str], timeout: float) -> list[float]:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}: {r.stderr.strip()[-300:]}")
    return [float(t) for t in r.stdout.split()]


def pair_means(times: list[float], reps: int) -> list[float]:
    """Means of consecutive pairs within each round of `reps` (one call of each draw)."""
    out = []
    for r in range(0, len(times), reps):
        t = times[r : r + reps]
        out += [(a + b) / 2 for a, b in zip(t[0::2], t[1::2], strict=False)]
    return out or times


def compare(folder: Path, exe: Path, jobs, reps: int, rounds: int, work: Path) -> list[dict]:
    path = work / f"overhead_{folder.name}.bin"
    write_input(folder, path)
    rows = []
    for job in jobs:
        cpp, py = [], []
        for _ in range(rounds):
            cpp += one_round([str(exe), str(path), job, str(reps)], 300)
            py += one_round([sys.executable, __file__, str(path), job, str(reps)], 300)
        # refactor_solve alternates two draws whose costs can differ: medians of pair means
        pair = job == "refactor_solve"
        c = statistics.median(pair_means(cpp, reps) if pair else cpp)
        p = statistics.median(pair_means(py, reps) if pair else py)
        rows.append(
            {
                "problem": folder.name,
                "job": job,
                "cpp_s": c,
                "python_s": p,
                "overhead": p / c - 1.0,
                "cpp_times_s": cpp,
                "python_times_s": py,
                "reps": reps,
                "rounds": rounds,
            }
        )
    return rows


if __name__ == "__main__":
    times = run(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
    print(" ".join(f"{t:.9g}" for t in times))
