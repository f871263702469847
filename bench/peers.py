#!/usr/bin/env python3
"""One peer, in its own process: the worker that bench/run.py starts for every peer.

    python bench/peers.py --peer pypardiso --threads 2 --tasks tasks.json

Each task names a problem folder written by bench/problems.py (A, B, C as scipy .npz files,
meta.json) and the jobs to time on it. The worker prints one JSON line per result as soon as it
has it, so that bench/run.py can enforce a time limit per job and kill this process when one
runs over (a factorisation in C cannot be interrupted from Python).

Thread settings are applied before anything imports numpy (OMP_NUM_THREADS, MKL_NUM_THREADS,
OPENBLAS_NUM_THREADS) and then read back from the libraries the process actually loaded
(threadpoolctl); the solver that ran is read from the peer itself (bw2calc.PYPARDISO, scipy's
UMFPACK switch, the libraries loaded), never assumed.

Jobs (solver peers): factor_solve (analyse + factor + one solve, fresh objects), solve (one
more demand on that factorisation), refactor_solve (new values on the same pattern: a Monte
Carlo draw; a peer without a numeric-only refactorisation factorises afresh), scores_k (k x n
activity scores: k transposed solves on the factorisation of A). Brightway-level jobs (bw2calc,
hiili.bw): lca (LCA(demand, data_objs) + lci + lcia), lcia_new_demand (lcia with a new demand),
multilca (MultiLCA: 10 demands x k methods), mc_iteration (next(lca) + score, distributions on).
hiili's own Monte Carlo: mc_iteration with hiili.MonteCarlo at the worker's thread count.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time


def set_threads(threads: int) -> None:
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[var] = str(threads)


# Applied before numpy is imported (numpy's OpenBLAS reads the variable when it loads).
if __name__ == "__main__":
    _pre = argparse.ArgumentParser(add_help=False)
    _pre.add_argument("--threads", type=int, default=1)
    set_threads(_pre.parse_known_args()[0].threads)

import gc  # noqa: E402
import importlib  # noqa: E402
import statistics  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

warnings.simplefilter("ignore")


class Skip(Exception):
    """A job the peer does not have, or cannot do here: reported with the reason."""


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj, default=float) + "\n")
    sys.stdout.flush()


def block_import(module: str) -> None:
    """Makes `import module` fail in this process, as on a machine without it installed."""
    sys.modules[module] = None  # type: ignore[assignment]


# ---- the problem --------------------------------------------------------------------------


class Problem:
    """A, B, C (scipy, int32 indices as a scipy user holds them) and the demands, read from the
    folder bench/problems.py wrote."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.meta = json.loads((folder / "meta.json").read_text())
        self.name = self.meta["name"]
        self.Acsc = sp.load_npz(folder / "A.npz").tocsc()
        self.Acsc.sort_indices()
        self.Acsr = self.Acsc.tocsr()
        self.B = sp.load_npz(folder / "B.npz").tocsc()
        self.C = sp.load_npz(folder / "C.npz").tocsr()
        self.n = self.Acsc.shape[0]
        self.j = int(self.meta["demand"])
        self.b = np.zeros(self.n)
        self.b[self.j] = 1.0
        self.b2 = np.zeros(self.n)
        self.b2[int(self.meta["demand2"])] = 1.0
        draws = np.load(folder / "draws.npy")  # two perturbed copies of A's values (CSC order)
        self.draws_csc = [
            sp.csc_matrix((draws[i], self.Acsc.indices, self.Acsc.indptr), shape=self.Acsc.shape)
            for i in range(2)
        ]
        self.draws_csr = [M.tocsr() for M in self.draws_csc]
        self.k = self.C.shape[0]
        self._rhs = None

    def scores_rhs(self) -> np.ndarray:
        """(C B)^T, n x k: the right-hand sides of the activity scores A^T Y = (C B)^T."""
        if self._rhs is None:
            self._rhs = np.asfortranarray((self.C @ self.B).T.toarray())
        return self._rhs


def residual(A, x, b, transposed=False) -> float:
    x = np.asarray(x, dtype=float)
    b = np.asarray(b, dtype=float)
    if x.ndim == 1:
        x, b = x[:, None], b[:, None]
    r = np.abs((A.T @ x if transposed else A @ x) - b).max(axis=0)
    bn = np.abs(b).max(axis=0)
    bn[bn == 0] = 1.0
    return float((r / bn).max())


# ---- timing -------------------------------------------------------------------------------


def pair_means(times: list[float]) -> list[float]:
    """Means of consecutive pairs: the refactorisation jobs alternate between two draws whose
    costs can differ, so each pair holds one of each (an odd last call is dropped)."""
    return [(a + b) / 2 for a, b in zip(times[0::2], times[1::2], strict=False)] or times


def measure(fn, *, reps: int, budget: float, min_reps: int = 3, pairs: bool = False):
    """Warm-up call, then up to `reps` timed calls while the time spent stays within `budget`.
    A warm-up longer than budget / 2 is itself the measurement (one run, marked so). pairs:
    the median of pair_means (an even number of calls)."""
    gc.collect()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    first, first_cpu = time.perf_counter() - t0, time.process_time() - c0
    if first > budget / 2:
        return {"median_s": first, "times_s": [first], "cpu_s": first_cpu, "cold": True}, out
    times, cpu, spent = [], [], first
    if pairs:
        reps, min_reps = reps + reps % 2, min_reps + min_reps % 2
    while (len(times) < reps and (len(times) < min_reps or spent < budget)) or (
        pairs and len(times) % 2
    ):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        dt = time.perf_counter() - t0
        cpu.append(time.process_time() - c0)
        times.append(dt)
        spent += dt
    med = statistics.median(pair_means(times) if pairs else times)
    return {"median_s": med, "times_s": times, "cpu_s": statistics.median(cpu)}, out


# ---- solver peers -------------------------------------------------------------------------
#
# Each peer: `name`, `setup()` (imports; returns the solver that will run, read from the
# library), `warm()` (one call on a tiny system), and one method per job returning
# (fn, check) where check(out) is the relative residual.


def tiny_system():
    n = 50
    A = sp.eye(n, format="csc") - 0.1 * sp.random(n, n, density=0.1, random_state=1, format="csc")
    return A.tocsc(), np.ones(n)


class Peer:
    name = "?"
    jobs: tuple[str, ...] = ()

    def setup(self) -> str:
        return self.name

    def warm(self) -> None:
        A, b = tiny_system()
        p = type("Tiny", (), {})()
        p.Acsc, p.Acsr, p.b, p.n = A, A.tocsr(), b, A.shape[0]
        fn, _ = self.factor_solve(p)
        fn()


class ScipySpsolve(Peer):
    """scipy.sparse.linalg.spsolve as its users call it: spsolve(A, b). On CSR input SuperLU
    factorises A^T (its fast path for these matrices); on CSC, A."""

    jobs = ("factor_solve", "refactor_solve")

    def __init__(self, fmt: str):
        self.fmt = fmt
        self.name = f"scipy spsolve ({fmt.upper()})"

    def setup(self) -> str:
        block_import("scikits.umfpack")  # scipy as installed without scikit-umfpack
        from scipy.sparse.linalg._dsolve import linsolve

        self.spsolve = linsolve.spsolve
        umf = getattr(linsolve, "useUmfpack", None)
        umf = getattr(umf, "u", umf)
        no_scikit = getattr(linsolve, "noScikit", True)
        return "SuperLU" if (no_scikit or not umf) else "UMFPACK (scikit-umfpack)"

    def _A(self, p, i=None):
        if i is None:
            return p.Acsr if self.fmt == "csr" else p.Acsc
        return (p.draws_csr if self.fmt == "csr" else p.draws_csc)[i]

    def factor_solve(self, p):
        A = self._A(p)
        return (lambda: self.spsolve(A, p.b)), lambda x: residual(p.Acsc, x, p.b)

    def refactor_solve(self, p):
        state = {"i": 0}

        def fn():
            i = state["i"] = (state["i"] + 1) % 2
            return i, self.spsolve(self._A(p, i), p.b)

        return fn, lambda o: residual(p.draws_csc[o[0]], o[1], p.b)


class ScipySplu(Peer):
    """scipy.sparse.linalg.splu(A) (SuperLU, COLAMD ordering), then lu.solve."""

    name = "scipy splu"
    jobs = ("factor_solve", "solve", "refactor_solve", "scores_k")

    def setup(self) -> str:
        from scipy.sparse.linalg import splu

        self.splu = splu
        self.lu = None
        return "SuperLU (splu)"

    def factor_solve(self, p):
        def fn():
            self.lu = self.splu(p.Acsc)
            return self.lu.solve(p.b)

        return fn, lambda x: residual(p.Acsc, x, p.b)

    def solve(self, p):
        lu = self.lu or self.splu(p.Acsc)
        return (lambda: lu.solve(p.b2)), lambda x: residual(p.Acsc, x, p.b2)

    def refactor_solve(self, p):
        state = {"i": 0}

        def fn():
            i = state["i"] = (state["i"] + 1) % 2
            return i, self.splu(p.draws_csc[i]).solve(p.b)

        return fn, lambda o: residual(p.draws_csc[o[0]], o[1], p.b)

    def scores_k(self, p):
        lu = self.lu or self.splu(p.Acsc)
        rhs = p.scores_rhs()
        return (lambda: lu.solve(rhs, trans="T")), lambda Y: residual(p.Acsc, Y, rhs, True)


class Pypardiso(Peer):
    """pypardiso (MKL PARDISO) as its users and bw2calc call it: pypardiso.spsolve(A, b) on
    CSR, with pypardiso's one module-level solver (which keeps the last factorisation and
    factorises again when A changes)."""

    name = "pypardiso"
    jobs = ("factor_solve", "solve", "refactor_solve", "scores_k")

    def setup(self) -> str:
        import pypardiso
        from pypardiso import PyPardisoSolver
        from pypardiso.scipy_aliases import pypardiso_solver

        self.spsolve = pypardiso.spsolve
        self.ps = pypardiso_solver
        # bw2calc 3 makes a PyPardisoSolver per LCA object; its constructor looks for MKL
        # (find_library, then a recursive glob of sys.prefix): timed here once, for the notes
        t0 = time.perf_counter()
        PyPardisoSolver()
        ctor = time.perf_counter() - t0
        return f"MKL PARDISO (pypardiso.spsolve); PyPardisoSolver() itself takes {ctor:.2f} s"

    def factor_solve(self, p):
        def fn():
            self.ps.remove_stored_factorization()  # a new matrix, as far as pypardiso knows
            return self.spsolve(p.Acsr, p.b)

        return fn, lambda x: residual(p.Acsc, x, p.b)

    def _factorized(self, p):
        if not self.ps._is_already_factorized(p.Acsr):
            self.ps.factorize(p.Acsr)
        return self.ps

    def solve(self, p):
        self._factorized(p)
        return (lambda: self.spsolve(p.Acsr, p.b2)), lambda x: residual(p.Acsc, x, p.b2)

    def refactor_solve(self, p):
        # pypardiso has no numeric-only refactorisation: a changed A is analysed and factorised
        # again (what bw2calc does for every Monte Carlo draw)
        state = {"i": 0}

        def fn():
            i = state["i"] = (state["i"] + 1) % 2
            return i, self.spsolve(p.draws_csr[i], p.b)

        return fn, lambda o: residual(p.draws_csc[o[0]], o[1], p.b)

    def scores_k(self, p):
        ps = self._factorized(p)
        rhs = p.scores_rhs()

        def fn():  # PARDISO solves with A^T on A's factors with iparm(12) = 2
            ps.set_phase(33)
            ps.set_iparm(12, 2)
            try:
                return ps._call_pardiso(p.Acsr, rhs)
            finally:
                ps.set_iparm(12, 0)
                ps.set_phase(13)

        return fn, lambda Y: residual(p.Acsc, Y, rhs, True)


class ScikitUmfpack(Peer):
    """scikit-umfpack: scikits.umfpack.splu (UMFPACK, BLAS from the system)."""

    name = "scikit-umfpack"
    jobs = ("factor_solve", "solve", "refactor_solve", "scores_k")

    def setup(self) -> str:
        import scikits.umfpack as um

        self.um = um
        self.lu = None
        return "UMFPACK (scikit-umfpack)"

    def factor_solve(self, p):
        def fn():
            self.lu = self.um.splu(p.Acsc)
            return self.lu.solve(p.b)

        return fn, lambda x: residual(p.Acsc, x, p.b)

    def solve(self, p):
        lu = self.lu or self.um.splu(p.Acsc)
        return (lambda: lu.solve(p.b2)), lambda x: residual(p.Acsc, x, p.b2)

    def refactor_solve(self, p):
        um = self.um
        ctx = um.UmfpackContext("di")
        ctx.numeric(p.Acsc)
        state = {"i": 0}

        def fn():
            i = state["i"] = (state["i"] + 1) % 2
            M = p.draws_csc[i]
            ctx.numeric(M)  # keeps the symbolic analysis of the same pattern
            return i, ctx.solve(um.UMFPACK_A, M, p.b, autoTranspose=True)

        return fn, lambda o: residual(p.draws_csc[o[0]], o[1], p.b)

    def scores_k(self, p):
        # UmfpackLU.solve has no transposed solve: its context's UMFPACK_At on the same
        # factors, column by column (as UmfpackLU.solve loops over columns)
        um = self.um
        lu = self.lu or self.um.splu(p.Acsc)
        rhs = p.scores_rhs()

        def fn():
            return np.column_stack(
                [lu.umf.solve(um.UMFPACK_At, lu._A, rhs[:, c], autoTranspose=True)
                 for c in range(rhs.shape[1])]
            )

        return fn, lambda Y: residual(p.Acsc, Y, rhs, True)


class PyKlu(Peer):
    """PyKLU: KLU (SuiteSparse, statically linked) from Python; Klu(A) factorises, solve(b)."""

    name = "pyklu"
    jobs = ("factor_solve", "solve", "refactor_solve")

    def setup(self) -> str:
        from PyKLU import Klu

        self.Klu = Klu
        self.f = None
        return "KLU (PyKLU)"

    def factor_solve(self, p):
        def fn():
            self.f = self.Klu(p.Acsc)
            return self.f.solve(p.b)

        return fn, lambda x: residual(p.Acsc, x, p.b)

    def solve(self, p):
        f = self.f or self.Klu(p.Acsc)
        return (lambda: f.solve(p.b2)), lambda x: residual(p.Acsc, x, p.b2)

    def refactor_solve(self, p):
        # PyKLU has no refactorisation call: a new Klu per draw
        state = {"i": 0}

        def fn():
            i = state["i"] = (state["i"] + 1) % 2
            return i, self.Klu(p.draws_csc[i]).solve(p.b)

        return fn, lambda o: residual(p.draws_csc[o[0]], o[1], p.b)


class Kvxopt(Peer):
    """kvxopt (cvxopt's SuiteSparse interface): umfpack or klu, symbolic + numeric + solve."""

    jobs = ("factor_solve", "solve", "refactor_solve", "scores_k")

    def __init__(self, which: str):
        self.which = which
        self.name = f"kvxopt {which}"

    def setup(self) -> str:
        import kvxopt

        self.kvx = kvxopt
        self.mod = importlib.import_module(f"kvxopt.{self.which}")
        self.F = None
        return f"{self.which.upper()} (kvxopt)"

    def _sp(self, M):
        c = M.tocoo()
        return self.kvx.spmatrix(
            self.kvx.matrix(c.data), self.kvx.matrix(c.row.astype(np.int64)),
            self.kvx.matrix(c.col.astype(np.int64)), M.shape,
        )

    def _prep(self, p):
        if getattr(p, "_kvx", None) is None:
            p._kvx = self._sp(p.Acsc)
            p._kvx_draws = [self._sp(M) for M in p.draws_csc]
        return p._kvx

    def _solve(self, A, Fs, Fn, b, trans="N"):
        B = self.kvx.matrix(np.asfortranarray(b, dtype=float))
        if self.which == "klu":
            self.mod.solve(A, Fs, Fn, B, trans=trans)
        else:
            self.mod.solve(A, Fn, B, trans=trans)
        return np.array(B)

    def factor_solve(self, p):
        A = self._prep(p) if hasattr(p, "folder") else self._sp(p.Acsc)

        def fn():
            Fs = self.mod.symbolic(A)
            Fn = self.mod.numeric(A, Fs)
            self.F = (Fs, Fn)
            return self._solve(A, Fs, Fn, p.b).ravel()

        return fn, lambda x: residual(p.Acsc, x, p.b)

    def _factors(self, p):
        if self.F is None:
            A = self._prep(p)
            Fs = self.mod.symbolic(A)
            self.F = (Fs, self.mod.numeric(A, Fs))
        return self.F

    def solve(self, p):
        Fs, Fn = self._factors(p)
        A = self._prep(p)
        return (lambda: self._solve(A, Fs, Fn, p.b2).ravel()), lambda x: residual(p.Acsc, x, p.b2)

    def refactor_solve(self, p):
        A = self._prep(p)
        Fs = self.mod.symbolic(A)
        state = {"i": 0}

        def fn():
            i = state["i"] = (state["i"] + 1) % 2
            M = p._kvx_draws[i]
            Fn = self.mod.numeric(M, Fs)  # the symbolic analysis is kept
            return i, self._solve(M, Fs, Fn, p.b).ravel()

        return fn, lambda o: residual(p.draws_csc[o[0]], o[1], p.b)

    def scores_k(self, p):
        Fs, Fn = self._factors(p)
        A = self._prep(p)
        rhs = p.scores_rhs()
        return (lambda: self._solve(A, Fs, Fn, rhs, trans="T")), lambda Y: residual(
            p.Acsc, Y, rhs, True
        )


class HiiliSolver(Peer):
    """hiili from Python: hiili.Factorization (KLU) and hiili.Lca on the same matrices."""

    name = "hiili"
    jobs = ("factor_solve", "solve", "refactor_solve", "scores_k")

    def setup(self) -> str:
        import hiili

        self.hiili = hiili
        self.f = None
        return "hiili KLU (Python bindings)"

    def factor_solve(self, p):
        def fn():
            self.f = self.hiili.Factorization(p.Acsc)
            return self.f.solve(p.b)

        return fn, lambda x: residual(p.Acsc, x, p.b)

    def info(self) -> dict:
        r = self.f.report
        keys = ("nnz", "nnz_factors", "blocks", "max_block", "analyze_seconds", "factor_seconds",
                "dense_columns")
        return {k: float(getattr(r, k)) for k in keys if hasattr(r, k)}

    def _steady(self, f, call):
        for _ in range(64):  # solves move to the static kernel's factors after a few columns
            if f.report.static_solves:
                break
            call()

    def solve(self, p):
        f = self.f or self.hiili.Factorization(p.Acsc)
        call = lambda: f.solve(p.b2)  # noqa: E731
        self._steady(f, call)
        return call, lambda x: residual(p.Acsc, x, p.b2)

    def refactor_solve(self, p):
        f = self.hiili.Factorization(p.Acsc)
        f.refactor(p.draws_csc[1].data)  # builds the static kernel's structure, once
        state = {"i": 0}

        def fn():
            i = state["i"] = (state["i"] + 1) % 2
            f.refactor(p.draws_csc[i].data)
            return i, f.solve(p.b)

        return fn, lambda o: residual(p.draws_csc[o[0]], o[1], p.b)

    def scores_k(self, p):
        f = self.f or self.hiili.Factorization(p.Acsc)
        rhs = p.scores_rhs()
        call = lambda: f.solve_many(rhs, transposed=True)  # noqa: E731
        self._steady(f, call)
        return call, lambda Y: residual(p.Acsc, Y, rhs, True)


class HiiliCachedAnalysis(HiiliSolver):
    """hiili with FactorizationOptions.analysis_cache: factor_solve loads KLU's symbolic
    analysis from a cache directory written once in setup (as a second run on the same
    database does: only the load, the numeric factorisation and the solve are timed)."""

    name = "hiili (cached analysis)"
    jobs = ("factor_solve",)

    def setup(self) -> str:
        import tempfile

        super().setup()
        self.cache = tempfile.mkdtemp(prefix="hiili-bench-cache-")
        return "hiili KLU, symbolic analysis loaded from a cache directory"

    def factor_solve(self, p):
        self.hiili.Factorization(p.Acsc, analysis_cache=self.cache)  # stores it, once

        def fn():
            self.f = self.hiili.Factorization(p.Acsc, analysis_cache=self.cache)
            if self.f.report.cache != "hit":
                raise RuntimeError(f"analysis cache: {self.f.report.cache_warning}")
            return self.f.solve(p.b)

        return fn, lambda x: residual(p.Acsc, x, p.b)


# ---- Brightway-level peers ----------------------------------------------------------------


def bw_packages(p: Problem, with_distributions: bool):
    """bw_processing datapackages of p: technosphere + biosphere (one package) and one
    characterisation package per category (identifier = category name). Product and activity
    ids are 0..n-1, flow ids n..n+m-1. With distributions: the stats_arrays records of
    meta's uncertainty.npz (lognormal on off-diagonal A and on B, as hiili.synth draws)."""
    import bw_processing as bwp

    n = p.n

    def indices(rows, cols):
        a = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
        a["row"], a["col"] = rows, cols
        return a

    unc = None
    if with_distributions:
        f = p.folder / "uncertainty.npz"
        if not f.exists():
            raise Skip("no uncertainty in this model")
        unc = np.load(f)

    def dists(prefix, amounts):
        d = np.zeros(len(amounts), dtype=bwp.UNCERTAINTY_DTYPE)
        t = unc[prefix + "type"]
        d["uncertainty_type"] = t
        d["loc"] = np.where(t <= 1, amounts, unc[prefix + "loc"])
        for c in ("scale", "shape", "minimum", "maximum"):
            d[c] = unc[prefix + c]
        d["negative"] = unc[prefix + "negative"]
        return d

    inv = bwp.create_datapackage(name="inventory", sum_intra_duplicates=True)
    if unc is not None:
        A = (unc["A_row"], unc["A_col"], unc["A_amount"], unc["A_flip"])
        B = (unc["B_row"], unc["B_col"], unc["B_amount"], unc["B_flip"])
    else:
        a, b = p.Acsc.tocoo(), p.B.tocoo()
        A = (a.row, a.col, a.data, np.zeros(len(a.data), bool))
        B = (b.row, b.col, b.data, np.zeros(len(b.data), bool))
    inv.add_persistent_vector(
        matrix="technosphere_matrix",
        name="technosphere",
        indices_array=indices(A[0], A[1]),
        data_array=np.asarray(A[2], float),
        flip_array=np.asarray(A[3], bool),
        **({"distributions_array": dists("A_", A[2])} if unc is not None else {}),
    )
    inv.add_persistent_vector(
        matrix="biosphere_matrix",
        name="biosphere",
        indices_array=indices(np.asarray(B[0]) + n, B[1]),
        data_array=np.asarray(B[2], float),
        flip_array=np.asarray(B[3], bool),
        **({"distributions_array": dists("B_", B[2])} if unc is not None else {}),
    )
    methods = []
    for c in range(p.k):
        row = p.C[[c], :].tocoo()
        dp = bwp.create_datapackage(name=f"category {c}")
        dp.add_persistent_vector(
            matrix="characterization_matrix",
            name="cf",
            identifier=[f"category {c}"],
            indices_array=indices(row.col + n, np.zeros(len(row.col), np.int64)),
            data_array=row.data.astype(float),
            flip_array=np.zeros(len(row.col), bool),
        )
        methods.append(dp)
    return inv, methods


def multi_demands(p: Problem, d: int = 10) -> dict:
    return {f"d{c}": {int((c * 7919 + p.j) % p.n): 1.0} for c in range(d)}


class BwPeer(Peer):
    """bw2calc (with the solver it picks at import: pypardiso when importable, else scipy's
    spsolve) or hiili.bw (hiili's drop-in), as a Brightway script runs them."""

    jobs = ("lca", "lcia_new_demand", "multilca", "mc_iteration")

    def __init__(self, engine: str, solver: str | None = None):
        self.engine, self.solver = engine, solver
        self.name = engine if solver is None else f"{engine} ({solver})"
        self.cache = {}

    def setup(self) -> str:
        if self.engine == "bw2calc":
            if self.solver == "scipy":
                # bw2calc as installed without pypardiso and scikit-umfpack: scipy's SuperLU
                block_import("pypardiso")
                block_import("scikits.umfpack")
            import bw2calc

            self.mod = bw2calc
            umf = getattr(bw2calc, "UMFPACK", False)
            ran = "pypardiso" if bw2calc.PYPARDISO else (
                "scipy spsolve: UMFPACK" if umf else "scipy spsolve: SuperLU"
            )
            if self.solver == "pypardiso" and not bw2calc.PYPARDISO:
                raise Skip("bw2calc.PYPARDISO is False: pypardiso is not importable")
            return (
                f"bw2calc {bw2calc.__version__}: PYPARDISO = {bw2calc.PYPARDISO}, "
                f"UMFPACK = {umf} ({ran})"
            )
        import hiili.bw

        self.mod = hiili.bw
        return "hiili.bw (hiili KLU)"

    def warm(self) -> None:
        pass  # the first job's warm-up call loads everything

    def _packages(self, p, mc=False):
        key = (p.name, mc)
        if key not in self.cache:
            self.cache[key] = bw_packages(p, mc)
        return self.cache[key]

    def _check(self, p, lca, b):
        return residual(p.Acsc, np.asarray(lca.supply_array), b)

    def lca(self, p):
        inv, methods = self._packages(p)

        def fn():  # a dataset without an LCIA method (USLCI): LCA + lci only
            lca = self.mod.LCA({p.j: 1.0}, data_objs=[inv, *methods[:1]])
            lca.lci()
            if methods:
                lca.lcia()
                lca.score  # noqa: B018 (read, so that a lazy engine computes it)
            np.asarray(lca.supply_array)
            return lca

        return fn, lambda lca: self._check(p, lca, p.b)

    def lcia_new_demand(self, p):
        inv, methods = self._packages(p)
        lca = self.mod.LCA({p.j: 1.0}, data_objs=[inv, *methods[:1]])
        lca.lci()
        if methods:
            lca.lcia()
        j2 = int(np.argmax(p.b2))

        def fn():  # the new demand's supply and score, read (a lazy engine computes them)
            if methods:
                lca.lcia({j2: 1.0})
                lca.score  # noqa: B018
            else:
                lca.lci({j2: 1.0})
            np.asarray(lca.supply_array)
            return lca

        return fn, lambda lca: self._check(p, lca, p.b2)

    def multilca(self, p):
        inv, methods = self._packages(p)
        if not methods:
            raise Skip("no LCIA method in this dataset")
        demands = multi_demands(p)
        config = {"impact_categories": [(f"category {c}",) for c in range(p.k)]}

        def fn():
            m = self.mod.MultiLCA(demands, config, [inv, *methods])
            m.lci()
            m.lcia()
            dict(m.scores)
            return m

        def check(m):
            key = next(iter(demands))
            (j,) = demands[key]
            b = np.zeros(p.n)
            b[j] = 1.0
            return residual(p.Acsc, np.asarray(m.supply_arrays[key]), b)

        return fn, check

    def mc_iteration(self, p):
        inv, methods = self._packages(p, mc=True)
        lca = self.mod.LCA(
            {p.j: 1.0}, data_objs=[inv, methods[0]], use_distributions=True, seed_override=1
        )
        lca.lci()
        lca.lcia()
        next(lca)  # warm-up: the first draw (hiili.bw builds its Monte Carlo engine here)
        lca.score  # noqa: B018

        def fn():  # consecutive iterations for about MC_SECONDS: engines that draw in batches
            return iterate(lambda: (next(lca), lca.score))

        def check(_):
            A = sp.csc_matrix(lca.technosphere_matrix)
            return residual(A, np.asarray(lca.supply_array), p.b)

        return fn, check


MC_SECONDS = 2.0


def iterate(step) -> dict:
    """Calls step() (one Monte Carlo iteration, or one batch) at least 3 times and until
    MC_SECONDS have passed (at most 500 times): {"iterations": count, "seconds": wall}."""
    t0, k = time.perf_counter(), 0
    while k < 3 or (time.perf_counter() - t0 < MC_SECONDS and k < 500):
        step()
        k += 1
    return {"iterations": k, "seconds": time.perf_counter() - t0}


class HiiliMonteCarlo(Peer):
    """hiili.MonteCarlo on the model itself (hiili.synth with uncertainty), per iteration."""

    name = "hiili.MonteCarlo"
    jobs = ("mc_iteration",)

    def setup(self) -> str:
        import hiili

        self.hiili = hiili
        return "hiili.MonteCarlo (KLU, static-pivot refactorisation)"

    def warm(self) -> None:
        pass

    def mc_iteration(self, p):
        recipe = p.meta.get("recipe", {})
        if recipe.get("kind") != "synth":
            raise Skip("no uncertainty in this model")
        model = self.hiili.synth(**recipe["args"], uncertainty=True)
        threads = int(os.environ.get("OMP_NUM_THREADS", "1"))
        mc = self.hiili.MonteCarlo(model, {p.j: 1.0}, seed=1, threads=threads)
        mc.run(2 * threads, progress=False)  # creates the workers' factorisations
        per = 10 * threads
        done = []

        def step():
            done.append(mc.run(per, progress=False).completed)

        def fn():
            out = iterate(step)
            out["iterations"] *= per
            return out

        def check(out):
            return 0.0 if sum(done) == per * len(done) else float("nan")

        return fn, check


def make_peer(name: str) -> Peer:
    table = {
        "hiili": HiiliSolver,
        "hiili (cached analysis)": HiiliCachedAnalysis,
        "scipy spsolve (CSR)": lambda: ScipySpsolve("csr"),
        "scipy spsolve (CSC)": lambda: ScipySpsolve("csc"),
        "scipy splu": ScipySplu,
        "pypardiso": Pypardiso,
        "scikit-umfpack": ScikitUmfpack,
        "pyklu": PyKlu,
        "kvxopt umfpack": lambda: Kvxopt("umfpack"),
        "kvxopt klu": lambda: Kvxopt("klu"),
        "bw2calc (pypardiso)": lambda: BwPeer("bw2calc", "pypardiso"),
        "bw2calc (scipy)": lambda: BwPeer("bw2calc", "scipy"),
        "hiili.bw": lambda: BwPeer("hiili.bw"),
        "hiili.MonteCarlo": HiiliMonteCarlo,
    }
    return table[name]()


# ---- what ran -----------------------------------------------------------------------------


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in (
        "numpy", "scipy", "hiili", "pypardiso", "mkl", "scikit-umfpack", "PyKLU", "kvxopt",
        "bw2calc", "bw_processing", "matrix_utils", "threadpoolctl",
    ):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            pass
    return out


def thread_info() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"error": "threadpoolctl missing"}]
    keep = ("user_api", "internal_api", "num_threads", "version", "threading_layer", "filepath")
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


# Jobs that factorise A again (or build a new LCA): not run on a model where one
# factorisation already took over the task's rest_s seconds.
EXPENSIVE = {"refactor_solve", "lcia_new_demand", "multilca", "mc_iteration"}
JOB_NAMES = {"factor_solve": "analyse + factor + solve", "lca": "one LCA"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peer", required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--tasks", required=True, help="JSON file: [{problem, jobs, reps, budget}]")
    ap.add_argument("--start", type=int, default=0, help="first task (after a restart)")
    args = ap.parse_args(argv)
    tasks = json.loads(Path(args.tasks).read_text())
    peer = make_peer(args.peer)
    head = {"event": "setup", "peer": peer.name, "threads_asked": args.threads}
    try:
        head["solver"] = peer.setup()
        peer.warm()
    except Skip as e:
        emit({**head, "skipped": str(e)})
        return 0
    except Exception as e:
        emit({**head, "error": f"{type(e).__name__}: {e}"})
        return 0
    head["threads"] = thread_info()
    head["versions"] = versions()
    emit(head)
    for i, task in enumerate(tasks[args.start :], args.start):
        p = Problem(Path(task["problem"]))
        emit({"event": "problem", "task": i, "problem": p.name})
        slow = None  # why the expensive jobs are not run on this problem
        for job in task["jobs"]:
            row = {"task": i, "problem": p.name, "n": p.n, "peer": peer.name, "job": job}
            if slow and job in EXPENSIVE:
                emit({"event": "row", **row, "not_run": slow})
                continue
            emit({"event": "job", **row})
            try:
                maker = getattr(peer, job, None)
                if maker is None or job not in peer.jobs:
                    raise Skip(f"{peer.name} has no {job}")
                if job == "scores_k" and p.k == 0:
                    raise Skip("no impact categories in this dataset")
                fn, check = maker(p)
                if job == "mc_iteration":  # the mean over consecutive iterations (see iterate)
                    c0 = time.process_time()
                    out = fn()
                    k = out["iterations"]
                    row.update(median_s=out["seconds"] / k, iterations=k,
                               cpu_s=(time.process_time() - c0) / k)
                else:
                    stats, out = measure(fn, reps=task.get("reps", 5),
                                         budget=task.get("budget", 2.0),
                                         pairs=job == "refactor_solve")
                    row.update(stats)
                info = getattr(peer, "info", None)
                if info is not None and job == "factor_solve":
                    row["info"] = info()
                try:
                    row["residual"] = check(out)
                except Exception as e:
                    row["residual_error"] = f"{type(e).__name__}: {e}"
                del out
            except Skip as e:
                row["skipped"] = str(e)
            except Exception as e:
                row["error"] = f"{type(e).__name__}: {e}"
            # the process's high-water mark so far (Linux: KiB); the sweep's sizes grow, so at
            # its largest n this is that problem's peak
            row["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            rest = task.get("rest_s", 10.0)
            if job in ("factor_solve", "lca") and row.get("median_s", 0) > rest:
                slow = (
                    f"{JOB_NAMES[job]} took {row['median_s']:.0f} s (over {rest:.0f} s): the jobs "
                    "that factorise again are not run on this model"
                )
            emit({"event": "row", **row})
        del p
        gc.collect()
    emit({"event": "done"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
