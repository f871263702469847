"""hiili.Factorization and hiili.Lca on seeded random sparse systems, against scipy's spsolve.

Tolerances: the systems are well conditioned (1-norm cond <= 1e7, checked densely where
affordable), so LU with pivoting and one refinement step agrees with scipy to about
cond * 1e-16.
"""

import numpy as np
import pytest
import scipy.sparse as sp

import hiili

from helpers import model_matrices, rel_err, spsolve, technosphere

# (n, nonzeros per column, kind)
SYSTEMS = [
    (1, 0, "dominant"),
    (2, 1, "general"),
    (7, 2, "permuted"),
    (40, 1, "general"),
    (40, 6, "dominant"),
    (200, 2, "permuted"),
    (200, 12, "general"),
    (600, 4, "dominant"),
    (600, 4, "permuted"),
    (1000, 6, "general"),
    (3000, 3, "dominant"),
    (3000, 3, "permuted"),
]
IDS = [f"{kind}-n{n}-nnz{p}" for n, p, kind in SYSTEMS]

RTOL = {"dominant": 1e-11, "general": 1e-11, "permuted": 1e-9}


@pytest.mark.parametrize(("n", "per_col", "kind"), SYSTEMS, ids=IDS)
def test_factorization_matches_spsolve(backend, n, per_col, kind):
    A = technosphere(n, per_col, kind, seed=n + per_col)
    if n <= 600:
        assert np.linalg.cond(A.toarray(), 1) < 1e7  # precondition for the tolerances below
    rng = np.random.default_rng(7)
    b = rng.standard_normal(n)
    F = hiili.Factorization(A, solver=backend)
    assert F.n == n
    assert rel_err(F.solve(b), spsolve(A, b)) < RTOL[kind]
    assert rel_err(F.solve_transposed(b), spsolve(A, b, transposed=True)) < RTOL[kind]
    # The answer also satisfies the system itself (backward error), independently of scipy.
    x = F.solve(b)
    assert np.max(np.abs(A @ x - b)) <= 1e-9 * np.max(np.abs(b))


@pytest.mark.parametrize(("n", "per_col", "kind"), SYSTEMS, ids=IDS)
def test_lca_matches_scipy(backend, n, per_col, kind):
    m, k = max(1, n // 4), 3
    A, B, C = model_matrices(n, m, k, per_col, kind, seed=3 * n + per_col)
    lca = hiili.Lca(hiili.Model(A, B, C), solver=backend)
    rng = np.random.default_rng(n)
    f = np.zeros(n)
    f[rng.integers(0, n, 3)] = rng.uniform(0.5, 2.0, 3)
    s = spsolve(A, f)
    g = B @ s
    h = C @ g
    r = lca.solve(f)
    assert r.supply.shape == (n,)
    assert r.inventory.shape == (m,)
    assert r.scores.shape == (k,)
    assert rel_err(r.supply, s) < RTOL[kind]
    assert rel_err(r.inventory, g) < RTOL[kind]
    assert rel_err(r.scores, h) < RTOL[kind]


def test_solve_many_matches_columns(backend):
    A = technosphere(300, 5, "general", seed=11)
    F = hiili.Factorization(A, solver=backend)
    X = np.random.default_rng(1).standard_normal((300, 6))
    Y = F.solve_many(X)
    Yt = F.solve_many(X, transposed=True)
    for j in range(6):
        assert rel_err(Y[:, j], spsolve(A, X[:, j])) < 1e-11
        assert rel_err(Yt[:, j], spsolve(A, X[:, j], transposed=True)) < 1e-11


def test_refactor_same_pattern_new_values(backend):
    A = technosphere(500, 6, "dominant", seed=5)
    F = hiili.Factorization(A, solver=backend)
    b = np.random.default_rng(2).standard_normal(500)
    rng = np.random.default_rng(3)
    for _ in range(3):
        A2 = A.copy()
        A2.data = A.data * rng.uniform(0.8, 1.2, A.nnz)
        F.refactor(A2.data)
        assert rel_err(F.solve(b), spsolve(A2, b)) < 1e-11
    F.factorize(A.data)
    assert rel_err(F.solve(b), spsolve(A, b)) < 1e-11
    report = F.report
    assert report.n == 500
    assert report.nnz == A.nnz
    assert report.factorizations + report.refactors + report.refactor_fallbacks >= 4


def test_update_technosphere(backend):
    A, B, C = model_matrices(400, 100, 2, 5, "dominant", seed=8)
    model = hiili.Model(A, B, C)
    lca = hiili.Lca(model, solver=backend)
    values = model.A.data * np.random.default_rng(4).uniform(0.9, 1.1, A.nnz)
    lca.update_technosphere(values)
    A2 = sp.csc_array((values, model.A.indices, model.A.indptr), shape=A.shape)
    f = np.zeros(400)
    f[17] = 1.0
    r = lca.solve(f)
    assert rel_err(r.supply, spsolve(A2, f)) < 1e-11
    assert rel_err(r.scores, C @ (B @ spsolve(A2, f))) < 1e-11
    # The model itself keeps its values.
    assert np.array_equal(model.A.data, A.data)


def test_report_and_options(backend):
    A = technosphere(100, 4, "permuted", seed=9)
    lca = hiili.Lca(hiili.Model(A), solver=backend, residual_tolerance=1e-12)
    assert lca.options.residual_tolerance == 1e-12
    assert hiili._core.to_string(lca.report.backend) == backend
    assert lca.report.n == 100
    assert lca.report.nnz == A.nnz
    assert backend in lca.report.brief()
    if backend == "eigen":  # Eigen's SparseLU has no cheap pivot estimate: NaN says "unknown"
        assert np.isnan(lca.rcond())
    else:
        assert 0 < lca.rcond() <= 1
    # condest is a lower bound on the 1-norm condition number (and usually close to it).
    cond1 = np.linalg.cond(A.toarray(), 1)
    assert 0.1 * cond1 <= lca.condition_estimate() <= cond1 * (1 + 1e-8)


def test_options_object_and_overrides():
    opts = hiili.FactorizationOptions(backend=hiili.Backend.Umfpack, btf=False)
    assert opts.backend == hiili.Backend.Umfpack
    merged = hiili.factorization_options(None, opts, residual_tolerance=1e-7)
    assert merged.backend == hiili.Backend.Umfpack
    assert merged.btf is False
    assert merged.residual_tolerance == 1e-7
    assert hiili.factorization_options("eigen").backend == hiili.Backend.Eigen
    assert hiili.factorization_options("KLU", ordering="colamd").ordering == hiili.Ordering.Colamd
    with pytest.raises(TypeError):
        hiili.factorization_options("klu", no_such_option=1)


@pytest.mark.parametrize("btf", [True, False])
@pytest.mark.parametrize("ordering", ["amd", "colamd", "metis", "auto"])
def test_klu_orderings(btf, ordering):
    A = technosphere(800, 6, "permuted", seed=12)
    b = np.random.default_rng(5).standard_normal(800)
    F = hiili.Factorization(A, solver="klu", btf=btf, ordering=ordering)
    assert rel_err(F.solve(b), spsolve(A, b)) < 1e-9
    assert F.report.ordering == getattr(hiili.Ordering, ordering.capitalize())
    assert f"ordering={ordering}" in F.report.brief()
    if ordering == "metis":
        assert F.report.metis_blocks >= 1
    else:
        assert F.report.metis_blocks == 0  # auto: no block of 2,000 here


@pytest.mark.parametrize("family, chosen", [("ecoinvent", 2.0), ("stress", 1.0)])
def test_amd_dense_rule_is_reported(family, chosen):
    # amd_dense = 0 (the default): threshold 1 on the 4,000 core of the stress family (its
    # hubs supply each other), 2 on ecoinvent's; an explicit threshold is used as given.
    A = hiili.synth(10000, seed=1, k=1, family=family).A.tocsc()
    b = np.random.default_rng(3).standard_normal(A.shape[0])
    F = hiili.Factorization(A)
    assert F.report.amd_dense == chosen
    assert F.report.coupled_blocks == (1 if chosen == 1.0 else 0)
    assert f"amd_dense {chosen:g}" in F.report.brief()
    fixed = hiili.Factorization(A, amd_dense=chosen)
    assert fixed.report.amd_dense == chosen and fixed.report.coupled_blocks == 0
    x = F.solve(b)
    assert np.array_equal(x, fixed.solve(b))  # the same order, the same bits
    assert rel_err(x, spsolve(A, b)) < 1e-9
    assert hiili.Factorization(A, amd_dense=4.0).report.amd_dense == 4.0


def test_pivot_growth_is_refined():
    # KLU's threshold pivoting grows elements on this system (backward error 1e-12 before
    # refinement, an answer off by 2e-8); the default refine_tolerance makes it refine once.
    A = technosphere(3000, 3, "permuted", seed=3003)
    b = np.random.default_rng(7).standard_normal(3000)
    F = hiili.Factorization(A, solver="klu")
    x = F.solve(b)
    assert F.report.refinements >= 1
    assert F.report.last_residual <= 1e-12
    assert rel_err(x, spsolve(A, b)) < 1e-12


@pytest.mark.parametrize("static_refactor", [True, False])
def test_static_refactor_kernel_matches_spsolve(static_refactor):
    # synth: BTF blocks around a strongly connected core (at n = 2,000 its hub tail is not dense
    # enough for the kernel's dense block; tests/cpp/test_static_lu.cpp covers that path)
    model = hiili.synth(2000, seed=4)
    A = model.A.tocsc()
    F = hiili.Factorization(A, static_refactor=static_refactor, amd_dense=2.0)
    b = np.random.default_rng(1).standard_normal(A.shape[0])
    rng = np.random.default_rng(2)
    for _ in range(3):
        A2 = A.copy()
        off = A2.indices != np.repeat(np.arange(A2.shape[1]), np.diff(A2.indptr))
        A2.data = np.where(off, A.data * rng.uniform(0.7, 1.3, A.nnz), A.data)
        F.refactor(A2.data)
        assert rel_err(F.solve(b), spsolve(A2, b)) < 1e-11
        assert rel_err(F.solve_transposed(b), spsolve(A2.T.tocsc(), b)) < 1e-11
    report = F.report
    assert report.refactor_fallbacks == 0
    if static_refactor:
        assert report.static_refactors == 3
    else:
        assert report.static_refactors == 0
    with pytest.raises(hiili.InvalidInputError):
        F.refactor(np.full(A.nnz, np.nan))


def test_refactor_threads_give_the_serial_bits():
    # refactor_threads: the static refactor on the arena's threads (0) or at most 2, the same
    # bits as on one; n = 20,000 so that the core block is large enough to be split.
    model = hiili.synth(20000, seed=1, family="ecoinvent")
    A = model.A.tocsc()
    off = A.indices != np.repeat(np.arange(A.shape[1]), np.diff(A.indptr))
    values = np.where(off, A.data * np.random.default_rng(5).uniform(0.8, 1.2, A.nnz), A.data)
    b = np.random.default_rng(6).standard_normal(A.shape[0])
    got = {}
    for threads in (1, 0, 2):
        F = hiili.Factorization(A, refactor_threads=threads)
        F.refactor(values)
        assert F.report.static_refactors == 1
        got[threads] = F.solve(b)
    A2 = A.copy()
    A2.data = values
    assert rel_err(got[1], spsolve(A2, b)) < 1e-11
    assert got[0].tobytes() == got[1].tobytes()
    assert got[2].tobytes() == got[1].tobytes()


@pytest.mark.parametrize("after", [-1, 0, 4])
def test_solves_move_to_static_factors_after_many_columns(after):
    # static_solve_after: past that many solved columns on one factorisation, solves run on the
    # static kernel's factors (same answers to ~1e-12); -1: never.
    model = hiili.synth(2000, seed=6)
    A = model.A.tocsc()
    lca = hiili.Lca(model, static_solve_after=after)
    assert lca.options.static_solve_after == after
    F = np.random.default_rng(3).standard_normal((A.shape[0], 3))
    want = spsolve(A, F)
    for round_ in range(3):  # 3, 6, 9 columns solved
        got = lca.solve_many(F).supply
        assert rel_err(got, want) < 1e-11
        expected = after >= 0 and 3 * (round_ + 1) > after
        assert lca.report.static_solves == expected, (round_, lca.report.brief())
    assert "static_solve_after=" in repr(lca.options)
