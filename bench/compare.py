#!/usr/bin/env python3
"""hiili against the alternatives from Python, on the same matrices, in one script run.

Competitors (all from PyPI): scipy (spsolve on CSR input, its fast path; spsolve on CSC where
it finishes in time; splu of A and of A^T, the way bw2calc factorizes), pypardiso (MKL PARDISO),
scikit-umfpack, and bw2calc (its LCA fed a bw_processing datapackage built here from the same
A, B, C). A competitor that cannot be imported is reported as missing with the reason.

Jobs (names as in bench_solver.cpp):
  analyze_factor_solve   fresh factorisation of A and one solve (demand: one unit of the last
                         activity)
  refactor_solve         new values on the same pattern (a Monte-Carlo-like draw) and a solve;
                         for solvers without a numeric-only refactorisation, a full one
  solve, solve_transposed    on an existing factorisation
  solve_many_d16 / _d256     d unit demands at once
  activity_scores        k x n cumulative scores: A^T Y = B^T C^T (k = 20 on synth)
  lca_solve              supply, inventory and scores of one demand (hiili.Lca.solve)
  datapackage_lca        read a bw_processing datapackage from disk, factorize, solve, score
  monte_carlo_iteration  bw2calc: next(lca) with A and B drawn from their distributions

Every answer's relative residual ||op(A) x - b||_inf / ||b||_inf is computed (outside the
timing) and reported. Times are medians over repetitions; peak RSS per job is the high-water
mark of the process while the job ran (reset via /proc/self/clear_refs), also given as the
amount above the resident set at the start of the job.

    .venv/bin/python bench/compare.py --sizes 2000,20000 --json out.json
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp
import scipy.sparse.linalg as spla

import hiili

# ---- memory -----------------------------------------------------------------------------


def _status_kib(key: str) -> int:
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return -1
    m = re.search(rf"^{key}:\s+(\d+)", text, re.M)
    return int(m.group(1)) if m else -1


def reset_peak_rss() -> int:
    """Resets the process's peak RSS mark (Linux); returns the current RSS in KiB."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass
    return _status_kib("VmRSS")


# ---- timing -----------------------------------------------------------------------------


class Skip(Exception):
    """A job this method cannot do, or that would take too long: reported with the reason."""


def measure(fn, *, reps: int, budget: float, setup=None, min_reps: int = 3):
    """Runs fn (after setup(), untimed) once to warm up, then up to `reps` timed repetitions
    while the time spent stays within `budget` seconds (at least `min_reps`, unless a single
    run already exceeds the budget). Returns (median seconds, times, last result, rss)."""
    gc.collect()
    base = reset_peak_rss()
    times, cpu = [], []
    state = setup() if setup else None
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn(state) if setup else fn()
    first = time.perf_counter() - t0
    if first > budget / 2:
        times.append(first)  # too slow to repeat: the warm-up is the measurement
        cpu.append(time.process_time() - c0)
    else:
        spent = first
        while len(times) < reps and (len(times) < min_reps or spent < budget):
            state = setup() if setup else None
            t0, c0 = time.perf_counter(), time.process_time()
            out = fn(state) if setup else fn()
            dt = time.perf_counter() - t0
            cpu.append(time.process_time() - c0)
            times.append(dt)
            spent += dt
    peak = _status_kib("VmHWM")
    # CPU time of the whole process (all threads): the share of a loaded machine the job got
    rss = {
        "peak_rss_mb": peak / 1024.0,
        "job_rss_mb": (peak - base) / 1024.0,
        "cpu_median_s": statistics.median(cpu),
    }
    return statistics.median(times), times, out, rss


def residual(A, x, b, transposed=False) -> float:
    x = np.asarray(x)
    b = np.asarray(b)
    if x.ndim == 1:
        x = x[:, None]
        b = b[:, None]
    Ax = (A.T @ x) if transposed else (A @ x)
    r = np.abs(Ax - b).max(axis=0)
    bn = np.abs(b).max(axis=0)
    bn[bn == 0] = 1.0
    return float((r / bn).max())


# ---- problems ---------------------------------------------------------------------------


class Problem:
    def __init__(self, name: str, model: hiili.Model, seed: int = 7):
        self.name = name
        self.model = model
        self.A = model.A  # csc, int64 indices: hiili's own storage
        self.B = model.B
        self.C = model.C
        self.n = model.n
        # scipy's own types (int32 indices), as a scipy user holds them
        self.Acsc = sp.csc_matrix(self.A, copy=True)
        self.Acsc.indices = self.Acsc.indices.astype(np.int32)
        self.Acsc.indptr = self.Acsc.indptr.astype(np.int32)
        self.Acsr = self.Acsc.tocsr()
        self.ATcsc = self.Acsr.T  # A^T as CSC: what bw2calc's lu_solver factorizes
        n = self.n
        self.b = np.zeros(n)
        self.b[n - 1] = 1.0
        self.bt = np.ones(n)
        self.F = {d: self.demands(d) for d in (16, 256)}
        rng = np.random.default_rng(seed)
        self.values = []
        rows = self.A.indices
        cols = np.repeat(np.arange(n), np.diff(self.A.indptr))
        offdiag = rows != cols
        for _ in range(2):
            v = np.array(self.A.data, copy=True)
            v[offdiag] *= 0.9 + 0.2 * rng.random(int(offdiag.sum()))
            self.values.append(v)
        # the same draws as scipy matrices (CSR and CSC)
        self.Acsc_draws = [
            sp.csc_matrix((v, self.Acsc.indices, self.Acsc.indptr), shape=self.A.shape)
            for v in self.values
        ]
        self.Acsr_draws = [M.tocsr() for M in self.Acsc_draws]

    def demands(self, d: int) -> np.ndarray:
        n = self.n
        F = np.zeros((n, d), order="F")
        for c in range(d):
            F[(c * 7919 + n - 1) % n, c] = 1.0
        return F

    def activity_rhs(self) -> np.ndarray:
        """B^T C^T as a dense n x k array (what every method's activity_scores solves for)."""
        return np.asfortranarray((self.C @ self.B).T.toarray())


def make_problems(sizes, data: Path | None, quick: bool):
    for n in sizes:
        yield f"synth_{n}", (lambda n=n: hiili.synth(n, k=20))
    if data is not None:
        for name, rel in (
            ("useeio_v1.2", "useeio_v1.2"),
            ("useeio_v2.0", "useeio_v2.0_ghg"),
            ("uslci", "uslci/uslci_olca1_5_0_json_ld.zip"),
        ):
            path = data / rel
            if path.exists():
                yield name, (lambda path=path: hiili.read(path))
            else:
                print(f"compare: {path} not found, skipped", file=sys.stderr)


# ---- the methods ------------------------------------------------------------------------
#
# Each method is a class with a `name`, an `available()` that returns None or the reason it is
# missing, and one function per job it can do: job(problem) -> list of (fn, setup, check),
# where check(result) returns the residual.


def _version(module: str) -> str | None:
    try:
        from importlib.metadata import version

        return version(module)
    except Exception:
        return None


def _steady(owner, call):
    """A setup (run before each repetition, untimed) that calls `call` until `owner` (a
    Factorization or Lca) solves on the static kernel's factors (static_solve_after; at most
    64 calls, once): the steady state bench_solver's C++ jobs time too."""

    def setup():
        for _ in range(64):
            if owner.report.static_solves:
                break
            call()

    return setup


class Hiili:
    name = "hiili (Python, KLU)"
    package = "hiili"

    def available(self):
        return None

    def analyze_factor_solve(self, p: Problem):
        def fn():
            f = hiili.Factorization(p.A)
            return f.solve(p.b)

        return fn, None, lambda x: residual(p.A, x, p.b)

    def _fact(self, p):
        if getattr(p, "_hiili_f", None) is None:
            p._hiili_f = hiili.Factorization(p.A)
        return p._hiili_f

    def refactor_solve(self, p: Problem):
        f = hiili.Factorization(p.A)
        state = {"i": 0}

        def fn():
            i = state["i"] = state["i"] + 1
            f.refactor(p.values[i % 2])
            return i % 2, f.solve(p.b)

        def check(out):
            i, x = out
            return residual(p.Acsc_draws[i], x, p.b)

        return fn, None, check

    def solve(self, p: Problem):
        f = self._fact(p)
        call = lambda: f.solve(p.b)  # noqa: E731
        return (lambda _: call()), _steady(f, call), lambda x: residual(p.A, x, p.b)

    def solve_transposed(self, p: Problem):
        f = self._fact(p)
        call = lambda: f.solve_transposed(p.bt)  # noqa: E731
        return (lambda _: call()), _steady(f, call), lambda x: residual(p.A, x, p.bt, True)

    def solve_many(self, p: Problem, d: int):
        f = self._fact(p)
        F = p.F[d]
        call = lambda: f.solve_many(F)  # noqa: E731
        return (lambda _: call()), _steady(f, call), lambda X: residual(p.A, X, F)

    def _lca(self, p):
        if getattr(p, "_hiili_lca", None) is None:
            p._hiili_lca = hiili.Lca(p.model)
        return p._hiili_lca

    def activity_scores(self, p: Problem):
        lca = self._lca(p)
        rhs = p.activity_rhs()

        def check(S):
            return residual(p.A, np.asarray(S).T, rhs, True)

        return (lambda _: lca.activity_scores()), _steady(lca, lca.activity_scores), check

    def lca_solve(self, p: Problem):
        lca = self._lca(p)
        call = lambda: lca.solve(p.b)  # noqa: E731
        return (lambda _: call()), _steady(lca, call), lambda r: residual(p.A, r.supply, p.b)

    def datapackage_lca(self, p: Problem):
        path = p.datapackage_dir
        if path is None:
            raise Skip(p.datapackage_error or "no datapackage")
        j = p.n - 1

        def fn():
            model = hiili.read(path)
            lca = hiili.Lca(model)
            return model, lca.solve({j: 1.0})

        def check(out):
            model, r = out
            if model.n != p.n:
                return float("nan")
            return residual(model.A, r.supply, p.b)

        return fn, None, check


class ScipySpsolveCsr:
    name = "scipy spsolve (CSR)"
    package = "scipy"
    # spsolve on CSR factorizes A^T with SuperLU and solves transposed: for LCA's structure
    # the fast path (see ARCHITECTURE.md section 5)

    def available(self):
        return None

    def analyze_factor_solve(self, p):
        return (lambda: spla.spsolve(p.Acsr, p.b)), None, lambda x: residual(p.A, x, p.b)

    def refactor_solve(self, p):
        state = {"i": 0}

        def fn():
            i = state["i"] = state["i"] + 1
            return i % 2, spla.spsolve(p.Acsr_draws[i % 2], p.b)

        return fn, None, lambda o: residual(p.Acsc_draws[o[0]], o[1], p.b)

    def solve_many(self, p, d):
        F = p.F[d]
        return (lambda: spla.spsolve(p.Acsr, F)), None, lambda X: residual(p.A, X, F)

    def activity_scores(self, p):
        AT = p.Acsc.T  # A^T as CSR: spsolve's fast path again

        def fn():
            return spla.spsolve(AT, p.activity_rhs())

        return fn, None, lambda Y: residual(p.A, Y, p.activity_rhs(), True)


class ScipySpsolveCsc:
    name = "scipy spsolve (CSC)"
    package = "scipy"
    max_n = 20000  # slow path: 100x and more behind CSR on these systems

    def available(self):
        return None

    def analyze_factor_solve(self, p):
        if p.n > self.max_n:
            raise Skip(f"not run above n = {self.max_n} (the slow path; see smaller n)")
        return (lambda: spla.spsolve(p.Acsc, p.b)), None, lambda x: residual(p.A, x, p.b)


class ScipySplu:
    name = "scipy splu (A)"
    package = "scipy"

    def available(self):
        return None

    def _lu(self, p):
        if getattr(p, "_splu", None) is None:
            p._splu = spla.splu(p.Acsc)
        return p._splu

    def analyze_factor_solve(self, p):
        return (lambda: spla.splu(p.Acsc).solve(p.b)), None, lambda x: residual(p.A, x, p.b)

    def refactor_solve(self, p):
        state = {"i": 0}

        def fn():
            i = state["i"] = state["i"] + 1
            return i % 2, spla.splu(p.Acsc_draws[i % 2]).solve(p.b)

        return fn, None, lambda o: residual(p.Acsc_draws[o[0]], o[1], p.b)

    def solve(self, p):
        lu = self._lu(p)
        return (lambda: lu.solve(p.b)), None, lambda x: residual(p.A, x, p.b)

    def solve_transposed(self, p):
        lu = self._lu(p)
        return (lambda: lu.solve(p.bt, trans="T")), None, lambda x: residual(p.A, x, p.bt, True)

    def solve_many(self, p, d):
        lu = self._lu(p)
        F = p.F[d]
        return (lambda: lu.solve(F)), None, lambda X: residual(p.A, X, F)

    def activity_scores(self, p):
        lu = self._lu(p)
        return (
            (lambda: lu.solve(p.activity_rhs(), trans="T")),
            None,
            lambda Y: residual(p.A, Y, p.activity_rhs(), True),
        )


class ScipySpluT(ScipySplu):
    name = "scipy splu (A^T, as bw2calc)"
    # bw2calc.utils.lu_solver factorizes A^T (much faster for technosphere matrices) and
    # solves with trans="T"

    def _lu(self, p):
        if getattr(p, "_spluT", None) is None:
            p._spluT = spla.splu(p.ATcsc)
        return p._spluT

    def analyze_factor_solve(self, p):
        return (
            (lambda: spla.splu(p.ATcsc).solve(p.b, trans="T")),
            None,
            lambda x: residual(p.A, x, p.b),
        )

    def refactor_solve(self, p):
        draws = [M.tocsr().T for M in p.Acsc_draws]  # CSR of A is CSC of A^T
        state = {"i": 0}

        def fn():
            i = state["i"] = state["i"] + 1
            return i % 2, spla.splu(draws[i % 2]).solve(p.b, trans="T")

        return fn, None, lambda o: residual(p.Acsc_draws[o[0]], o[1], p.b)

    def solve(self, p):
        lu = self._lu(p)
        return (lambda: lu.solve(p.b, trans="T")), None, lambda x: residual(p.A, x, p.b)

    def solve_transposed(self, p):
        lu = self._lu(p)
        return (lambda: lu.solve(p.bt)), None, lambda x: residual(p.A, x, p.bt, True)

    def solve_many(self, p, d):
        lu = self._lu(p)
        F = p.F[d]
        return (lambda: lu.solve(F, trans="T")), None, lambda X: residual(p.A, X, F)

    def activity_scores(self, p):
        lu = self._lu(p)
        return (
            (lambda: lu.solve(p.activity_rhs())),
            None,
            lambda Y: residual(p.A, Y, p.activity_rhs(), True),
        )


class Pypardiso:
    name = "pypardiso"
    package = "pypardiso"

    def available(self):
        try:
            import pypardiso  # noqa: F401
        except Exception as e:  # ImportError, or MKL failing to load
            return f"import pypardiso failed: {e}"
        return None

    def _solver(self):
        from pypardiso import PyPardisoSolver

        return PyPardisoSolver()

    def _factorized(self, p):
        if getattr(p, "_pardiso", None) is None:
            ps = self._solver()
            ps.factorize(p.Acsr)
            p._pardiso = ps
        return p._pardiso

    def analyze_factor_solve(self, p):
        def fn(ps):
            ps.factorize(p.Acsr)
            x = ps.solve(p.Acsr, p.b)
            ps.free_memory(everything=True)
            return x

        return fn, self._solver, lambda x: residual(p.A, x, p.b)

    def refactor_solve(self, p):
        # PARDISO's phase 22 (numeric factorisation on the existing analysis) then phase 33;
        # pypardiso has no public call for it, so its _call_pardiso is used.
        ps = self._solver()
        ps.factorize(p.Acsr)
        state = {"i": 0}
        zeros = np.zeros((p.n, 1))

        def fn():
            i = state["i"] = state["i"] + 1
            A = p.Acsr_draws[i % 2]
            ps.set_phase(22)
            ps._call_pardiso(A, zeros)
            ps.set_phase(33)
            return i % 2, ps._call_pardiso(A, p.b)

        return fn, None, lambda o: residual(p.Acsc_draws[o[0]], o[1], p.b)

    def solve(self, p):
        ps = self._factorized(p)
        # the public solve compares A with the factorized copy before each solve
        return (lambda: ps.solve(p.Acsr, p.b)), None, lambda x: residual(p.A, x, p.b)

    def _tsolve(self, ps, p, rhs):
        ps.set_phase(33)
        ps.set_iparm(12, 2)  # solve with A^T on the factorization of A
        try:
            return ps._call_pardiso(p.Acsr, np.asfortranarray(rhs))
        finally:
            ps.set_iparm(12, 0)

    def solve_transposed(self, p):
        ps = self._factorized(p)
        return (lambda: self._tsolve(ps, p, p.bt)), None, lambda x: residual(p.A, x, p.bt, True)

    def solve_many(self, p, d):
        ps = self._factorized(p)
        F = p.F[d]
        return (lambda: ps.solve(p.Acsr, F)), None, lambda X: residual(p.A, X, F)

    def activity_scores(self, p):
        ps = self._factorized(p)
        return (
            (lambda: self._tsolve(ps, p, p.activity_rhs())),
            None,
            lambda Y: residual(p.A, Y, p.activity_rhs(), True),
        )


class ScikitUmfpack:
    name = "scikit-umfpack"
    package = "scikit-umfpack"

    def available(self):
        try:
            importlib.import_module("scikits.umfpack")
        except Exception as e:
            return f"import scikits.umfpack failed: {e}"
        return None

    def analyze_factor_solve(self, p):
        import scikits.umfpack as um

        return (lambda: um.spsolve(p.Acsc, p.b)), None, lambda x: residual(p.A, x, p.b)

    def _ctx(self, p):
        import scikits.umfpack as um

        ctx = um.UmfpackContext("dl")
        A = sp.csc_matrix(p.Acsc)
        A.indices = A.indices.astype(np.int64)
        A.indptr = A.indptr.astype(np.int64)
        ctx.numeric(A)
        return ctx, A

    def refactor_solve(self, p):
        import scikits.umfpack as um

        ctx, _A0 = self._ctx(p)
        draws = []
        for M in p.Acsc_draws:
            M = sp.csc_matrix(M)
            M.indices = M.indices.astype(np.int64)
            M.indptr = M.indptr.astype(np.int64)
            draws.append(M)
        state = {"i": 0}

        def fn():
            i = state["i"] = state["i"] + 1
            M = draws[i % 2]
            ctx.numeric(M)  # keeps the symbolic analysis of the same pattern
            return i % 2, ctx.solve(um.UMFPACK_A, M, p.b, autoTranspose=True)

        return fn, None, lambda o: residual(p.Acsc_draws[o[0]], o[1], p.b)

    def solve(self, p):
        import scikits.umfpack as um

        ctx, A = self._ctx(p)
        return (
            (lambda: ctx.solve(um.UMFPACK_A, A, p.b, autoTranspose=True)),
            None,
            lambda x: residual(p.A, x, p.b),
        )

    def solve_transposed(self, p):
        import scikits.umfpack as um

        ctx, A = self._ctx(p)
        return (
            (lambda: ctx.solve(um.UMFPACK_At, A, p.bt, autoTranspose=True)),
            None,
            lambda x: residual(p.A, x, p.bt, True),
        )


class Bw2calc:
    name = "bw2calc"
    package = "bw2calc"

    def available(self):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                import bw2calc  # noqa: F401
                import bw_processing  # noqa: F401
        except Exception as e:
            return f"import bw2calc/bw_processing failed: {e}"
        return None

    def _lca(self, p, **kw):
        import bw2calc as bc

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            lca = bc.LCA({p.n - 1: 1.0}, data_objs=[p.bw_package(**kw)], **kw)
            lca.lci()
            lca.lcia()
        return lca

    def datapackage_lca(self, p):
        import bw2calc as bc
        import bw_processing as bwp

        if p.datapackage_dir is None:
            raise Skip(p.datapackage_error or "no datapackage")

        def fn():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                dp = bwp.load_datapackage(
                    bwp.io_helpers.generic_directory_filesystem(dirpath=Path(p.datapackage_dir))
                )
                lca = bc.LCA({p.n - 1: 1.0}, data_objs=[dp])
                lca.lci()
                lca.lcia()
            return lca

        return fn, None, lambda lca: p.bw_residual(lca)

    def solve(self, p):
        lca = self._lca(p)

        def fn():
            lca.redo_lci({p.n - 1: 1.0})
            return lca

        return fn, None, lambda lca: p.bw_residual(lca)

    def monte_carlo_iteration(self, p):
        if not p.has_distributions:
            raise Skip("the model has no uncertainty")
        lca = self._lca(p, use_distributions=True)

        def fn():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                next(lca)
            return lca

        return fn, None, lambda lca: residual(lca.technosphere_matrix, lca.supply_array, p.b)


METHODS = [
    Hiili(),
    ScipySpsolveCsr(),
    ScipySpsolveCsc(),
    ScipySplu(),
    ScipySpluT(),
    Pypardiso(),
    ScikitUmfpack(),
    Bw2calc(),
]

JOBS = [
    "analyze_factor_solve",
    "refactor_solve",
    "solve",
    "solve_transposed",
    "solve_many_d16",
    "solve_many_d256",
    "activity_scores",
    "lca_solve",
    "datapackage_lca",
    "monte_carlo_iteration",
]


def job_call(method, job, p):
    if job.startswith("solve_many_d"):
        fn = getattr(method, "solve_many", None)
        d = int(job[len("solve_many_d") :])
        return None if fn is None else fn(p, d)
    fn = getattr(method, job, None)
    return None if fn is None else fn(p)


# ---- bw_processing datapackages ----------------------------------------------------------


def attach_datapackage(p: Problem, workdir: Path, with_distributions: bool):
    """Builds the bw_processing datapackage of p's A, B and the first category of C, in
    memory for bw2calc (p.bw_package) and on disk (p.datapackage_dir) for the end-to-end job.
    Activity/product ids are 0..n-1, flow ids n..n+m-1."""
    p.datapackage_dir = None
    p.datapackage_error = None
    p.has_distributions = False
    p.bw_package = None
    try:
        import bw_processing as bwp
    except Exception as e:
        p.datapackage_error = f"bw_processing missing: {e}"
        return
    n, m = p.n, p.model.m
    A = p.A.tocoo()
    B = p.B.tocoo()
    c0 = p.C[[0], :].toarray().ravel() if p.model.k > 0 else np.zeros(m)
    fi = np.nonzero(c0)[0]

    def indices(rows, cols):
        a = np.empty(len(rows), dtype=bwp.INDICES_DTYPE)
        a["row"] = rows
        a["col"] = cols
        return a

    def distributions(values, on):
        """lognormal (stats_arrays id 2) with sigma 0.1 where `on`, else none (id 0)."""
        d = np.zeros(len(values), dtype=bwp.UNCERTAINTY_DTYPE)
        d["uncertainty_type"] = np.where(on, 2, 0)
        d["loc"] = np.where(on, np.log(np.abs(values) + 1e-300), values)
        d["scale"] = np.where(on, 0.1, np.nan)
        d["shape"] = np.nan
        d["minimum"] = np.nan
        d["maximum"] = np.nan
        d["negative"] = values < 0
        return d

    def build(fs, dists: bool):
        dp = bwp.create_datapackage(fs=fs, name="hiili-bench", sum_intra_duplicates=True)
        Aon = A.row != A.col
        dp.add_persistent_vector(
            matrix="technosphere_matrix",
            name="technosphere",
            indices_array=indices(A.row, A.col),
            data_array=A.data.astype(np.float64),
            flip_array=np.zeros(len(A.data), dtype=bool),
            **({"distributions_array": distributions(A.data, Aon)} if dists else {}),
        )
        dp.add_persistent_vector(
            matrix="biosphere_matrix",
            name="biosphere",
            indices_array=indices(B.row + n, B.col),
            data_array=B.data.astype(np.float64),
            flip_array=np.zeros(len(B.data), dtype=bool),
            **(
                {"distributions_array": distributions(B.data, np.ones(len(B.data), bool))}
                if dists
                else {}
            ),
        )
        dp.add_persistent_vector(
            matrix="characterization_matrix",
            name="characterization",
            indices_array=indices(fi + n, fi + n),
            data_array=c0[fi].astype(np.float64),
            flip_array=np.zeros(len(fi), dtype=bool),
        )
        return dp

    try:
        p.bw_package_plain = build(None, False)
        p.bw_package_mc = build(None, True) if with_distributions else None
        p.has_distributions = with_distributions

        def bw_package(use_distributions=False, **_):
            return p.bw_package_mc if use_distributions else p.bw_package_plain

        p.bw_package = bw_package
        d = workdir / f"dp_{p.name}"
        dp = build(bwp.io_helpers.generic_directory_filesystem(dirpath=d), False)
        dp.finalize_serialization()
        p.datapackage_dir = d
    except Exception as e:
        p.datapackage_error = f"building the datapackage failed: {type(e).__name__}: {e}"

    def bw_residual(lca):
        x = np.asarray(lca.supply_array)
        # bw2calc's row and column order: sorted ids, i.e. 0..n-1 here
        return residual(p.A, x, p.b)

    p.bw_residual = bw_residual


# ---- main -------------------------------------------------------------------------------


def machine_info() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version()}


def versions() -> dict:
    out = {"hiili": hiili.__version__, "numpy": np.__version__, "scipy": scipy.__version__}
    for pkg in ("pypardiso", "mkl", "scikit-umfpack", "bw2calc", "bw_processing", "matrix_utils"):
        v = _version(pkg)
        if v:
            out[pkg] = v
    return out


def run_one(m, job, p, args) -> dict:
    """Measures one (method, job) on problem p in this process; returns the row."""
    row = {"problem": p.name, "n": p.n, "nnz": int(p.A.nnz), "method": m.name, "job": job}
    try:
        call = job_call(m, job, p)
        if call is None:
            return None
        fn, setup, check = call
        med, times, out, rss = measure(fn, reps=args.reps, budget=args.budget, setup=setup)
        row.update(median_s=med, times_s=times, reps=len(times), **rss)
        try:
            row["residual"] = check(out)
        except Exception as e:
            row["residual_error"] = str(e)
        del out
    except Skip as e:
        row["skipped"] = str(e)
    except Exception as e:
        row["error"] = f"{type(e).__name__}: {e}"
        traceback.print_exc()
    return row


def run_isolated(method_name: str, job: str, pname: str, args, timeout: float) -> dict:
    """Runs one job in a fresh interpreter with a wall-clock limit (a factorisation in C cannot
    be interrupted in-process). On timeout the row says so and carries the lower bound."""
    import subprocess

    with tempfile.TemporaryDirectory(prefix="hiili-child-") as tmp:
        out = Path(tmp) / "row.json"
        cmd = [
            sys.executable,
            __file__,
            "--child",
            json.dumps({"method": method_name, "job": job, "problem": pname, "out": str(out)}),
            "--sizes",
            args.sizes,
            "--data",
            args.data or "",
            "--reps",
            str(args.reps),
            "--budget",
            str(args.budget),
        ]
        try:
            subprocess.run(cmd, timeout=timeout, stdout=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return {
                "problem": pname,
                "method": method_name,
                "job": job,
                "skipped": f"did not finish within {timeout:.0f} s (killed)",
                "lower_bound_s": timeout,
            }
        if out.exists():
            row = json.loads(out.read_text())
            row["isolated"] = True
            return row
        return {"problem": pname, "method": method_name, "job": job, "error": "child failed"}


def child_main(args) -> int:
    spec = json.loads(args.child)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    data = Path(args.data) if args.data else None
    for pname, make in make_problems(sizes, data, quick=False):
        if pname != spec["problem"]:
            continue
        p = Problem(pname, make())
        with tempfile.TemporaryDirectory(prefix="hiili-bench-") as tmp:
            attach_datapackage(p, Path(tmp), with_distributions=p.n <= args.mc_max_n)
            m = next(m for m in METHODS if m.name == spec["method"])
            row = run_one(m, spec["job"], p, args)
        Path(spec["out"]).write_text(json.dumps(row, default=float))
        return 0
    return 1


# Methods whose factorisation fills heavily on these systems: their first run at a new size
# goes to a child process with a time limit when the prediction from the last size is large.
DEPENDS = {"bw2calc": "pypardiso"}  # bw2calc solves with pypardiso when it is installed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", default="2000,20000,100000")
    ap.add_argument("--data", default=None, help="folder with useeio_v1.2 etc. ('' for none)")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per job and method")
    ap.add_argument("--json", default=None, help="write the results here")
    ap.add_argument("--methods", default=None, help="comma-separated substrings of method names")
    ap.add_argument("--jobs", default=None, help="comma-separated job names")
    ap.add_argument(
        "--mc-max-n", type=int, default=20000, help="bw2calc Monte Carlo only up to this n"
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="time limits for the quick set: a method whose analyse+factor+solve is "
        "predicted (from the last size, time ~ n^2) above --isolate-s runs it once "
        "in a child killed after --max-job-s; above --rest-s its other jobs at "
        "that size are skipped",
    )
    ap.add_argument("--isolate-s", type=float, default=None)
    ap.add_argument("--max-job-s", type=float, default=None)
    ap.add_argument("--rest-s", type=float, default=None)
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.isolate_s is None:
        args.isolate_s = 5.0 if args.quick else 60.0
    if args.max_job_s is None:
        args.max_job_s = 45.0 if args.quick else 600.0
    if args.rest_s is None:
        args.rest_s = 3.0 if args.quick else 60.0

    if args.data is None:
        here = Path(__file__).resolve().parent.parent
        for cand in (here.parent / "shared" / "data", Path("/work/shared/data")):
            if (cand / "useeio_v1.2").exists():
                args.data = str(cand)
                break
    if args.child:
        return child_main(args)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    data = Path(args.data) if args.data else None
    methods = METHODS
    if args.methods:
        keys = [k.strip().lower() for k in args.methods.split(",")]
        methods = [m for m in METHODS if any(k in m.name.lower() for k in keys)]
    jobs = JOBS if not args.jobs else [j for j in args.jobs.split(",") if j]

    missing = {}
    for m in methods:
        why = m.available()
        if why:
            missing[m.name] = why
            print(f"compare: {m.name} is missing: {why}", file=sys.stderr)

    results = {
        "machine": machine_info(),
        "versions": versions(),
        "missing": missing,
        "rows": [],
        "problems": {},
        "settings": {
            "reps": args.reps,
            "budget_s": args.budget,
            "quick": args.quick,
            "max_job_s": args.max_job_s,
        },
    }
    last_time = {}  # (method, job) -> (n, seconds) of its last run on synth
    with tempfile.TemporaryDirectory(prefix="hiili-bench-") as tmp:
        for pname, make in make_problems(sizes, data, quick=False):
            t0 = time.perf_counter()
            try:
                p = Problem(pname, make())
            except Exception as e:
                print(f"compare: {pname}: could not load: {e}", file=sys.stderr)
                results["problems"][pname] = {"error": str(e)}
                continue
            attach_datapackage(p, Path(tmp), with_distributions=p.n <= args.mc_max_n)
            results["problems"][pname] = {
                "n": p.n,
                "nnz": int(p.A.nnz),
                "m": p.model.m,
                "k": p.model.k,
            }
            print(
                f"== {pname}: n={p.n} nnz={p.A.nnz} (built in {time.perf_counter() - t0:.1f} s)",
                file=sys.stderr,
            )
            stop = {}  # method -> why its remaining jobs on this problem are skipped
            for job in jobs:
                for m in methods:
                    if m.name in missing:
                        continue
                    dep = DEPENDS.get(m.package)
                    dep_name = next((x.name for x in methods if x.package == dep), None)
                    if (
                        m.name not in stop
                        and dep_name in stop
                        and getattr(m, "uses_dependency", True)
                    ):
                        stop[m.name] = (
                            f"solves with {dep_name} here, which was stopped: {stop[dep_name]}"
                        )
                    if m.name in stop:
                        if job_call_exists(m, job):
                            results["rows"].append(
                                {
                                    "problem": pname,
                                    "n": p.n,
                                    "method": m.name,
                                    "job": job,
                                    "skipped": stop[m.name],
                                }
                            )
                        continue
                    predicted = None
                    if (m.name, job) in last_time and pname.startswith("synth_"):
                        n0, t = last_time[(m.name, job)]
                        predicted = t * (p.n / n0) ** 2
                    if predicted is not None and (
                        predicted > 4 * args.max_job_s
                        or (job != "analyze_factor_solve" and predicted > args.max_job_s)
                    ):
                        row = {
                            "problem": pname,
                            "n": p.n,
                            "method": m.name,
                            "job": job,
                            "skipped": f"predicted {predicted:.0f} s from n = {n0:,} "
                            f"(time ~ n^2), above the {args.max_job_s:.0f} s limit",
                        }
                    elif (
                        predicted is not None
                        and predicted > args.isolate_s
                        and m.name != Hiili.name
                    ):
                        print(
                            f"  {job:24s} {m.name:30s} predicted {predicted:.0f} s: in a child "
                            f"process, limit {args.max_job_s:.0f} s",
                            file=sys.stderr,
                        )
                        row = run_isolated(m.name, job, pname, args, args.max_job_s)
                        row.setdefault("n", p.n)
                        row.setdefault("nnz", int(p.A.nnz))
                    else:
                        row = run_one(m, job, p, args)
                    if row is None:
                        continue
                    results["rows"].append(row)
                    if (
                        job == "analyze_factor_solve"
                        and "median_s" not in row
                        and m.name != Hiili.name
                    ):
                        # no factorisation at this size: its other jobs would need one
                        stop[m.name] = row.get("skipped") or row.get("error") or "not run"
                    t_row = row.get("median_s", row.get("lower_bound_s"))
                    if t_row is not None and pname.startswith("synth_"):
                        last_time[(m.name, job)] = (p.n, t_row)
                    if job == "analyze_factor_solve":
                        t = row.get("median_s", row.get("lower_bound_s"))
                        if t is not None and t > args.rest_s and m.name != Hiili.name:
                            stop[m.name] = (
                                f"analyse+factor+solve alone takes "
                                f"{'more than ' if 'lower_bound_s' in row else ''}{t:.1f} s"
                            )
                    if "median_s" in row:
                        print(
                            f"  {job:24s} {m.name:30s} {row['median_s'] * 1e3:10.3f} ms "
                            f"(n={len(row['times_s'])}) "
                            f"residual={row.get('residual', float('nan')):.1e}",
                            file=sys.stderr,
                        )
                    else:
                        print(
                            f"  {job:24s} {m.name:30s} {row.get('skipped') or row.get('error')}",
                            file=sys.stderr,
                        )
            del p
            gc.collect()
    text = json.dumps(results, indent=1, default=float)
    if args.json:
        Path(args.json).write_text(text)
    else:
        print(text)
    return 0


def job_call_exists(m, job) -> bool:
    return hasattr(m, "solve_many" if job.startswith("solve_many_d") else job)


if __name__ == "__main__":
    sys.exit(main())
