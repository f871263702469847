"""hiili.Lca on synthetic ecoinvent-like models: solve, solve_many, activity_scores, demands."""

import threading

import numpy as np
import pytest
import scipy.sparse as sp

import hiili

from helpers import model_matrices, rel_err, spsolve

RTOL = 1e-11  # synth's A is column diagonally dominant with a unit diagonal: well conditioned


@pytest.fixture(scope="module")
def synth2000():
    return hiili.synth(n=2000, seed=1, k=4)


@pytest.fixture(scope="module")
def reference(synth2000):
    """scipy's answers for a few demands, computed from the model's own matrices."""
    m = synth2000
    rng = np.random.default_rng(0)
    F = np.zeros((m.n, 5))
    for j in range(5):
        F[rng.integers(0, m.n, j + 1), j] = rng.uniform(0.5, 3.0, j + 1)
    S = spsolve(m.A, F)
    return F, S, m.B @ S, m.C @ (m.B @ S)


def test_synth_shape(synth2000):
    m = synth2000
    assert (m.n, m.m, m.k) == (2000, 250, 4)
    assert m.A.shape == (2000, 2000)
    assert m.B.shape == (250, 2000)
    assert m.C.shape == (4, 250)
    assert np.allclose(m.A.diagonal(), 1.0)
    # Strictly column diagonally dominant (synth.hpp): inputs of a column sum to at most 0.9.
    off = abs(m.A) - sp.diags_array(np.abs(m.A.diagonal()))
    assert np.asarray(off.sum(axis=0)).max() <= 0.9 + 1e-12


def test_synth_solve_matches_scipy(synth2000, reference, backend):
    F, S, G, H = reference
    lca = hiili.Lca(synth2000, solver=backend)
    for j in range(F.shape[1]):
        r = lca.solve(F[:, j])
        assert rel_err(r.supply, S[:, j]) < RTOL
        assert rel_err(r.inventory, G[:, j]) < RTOL
        assert rel_err(r.scores, H[:, j]) < RTOL


def test_synth_solve_many_matches_scipy_and_columns(synth2000, reference, backend):
    F, S, G, H = reference
    lca = hiili.Lca(synth2000, solver=backend)
    many = lca.solve_many(F)
    assert many.supply.shape == (2000, 5)
    assert many.inventory.shape == (250, 5)
    assert many.scores.shape == (4, 5)
    assert len(many) == 5
    assert rel_err(many.supply, S) < RTOL
    assert rel_err(many.inventory, G) < RTOL
    assert rel_err(many.scores, H) < RTOL
    for j in range(5):
        one = lca.solve(F[:, j])
        np.testing.assert_allclose(many.supply[:, j], one.supply, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(many.scores[:, j], one.scores, rtol=1e-12, atol=0)
        np.testing.assert_allclose(many[j].scores, one.scores, rtol=1e-12, atol=0)


def test_solve_many_sparse_and_list_of_dicts(synth2000, reference):
    F, _, _, H = reference
    lca = hiili.Lca(synth2000)
    from_sparse = lca.solve_many(sp.csc_array(F))
    assert rel_err(from_sparse.scores, H) < RTOL
    dicts = [{int(i): F[i, j] for i in np.flatnonzero(F[:, j])} for j in range(F.shape[1])]
    from_dicts = lca.solve_many(dicts)
    assert rel_err(from_dicts.scores, H) < RTOL


def test_demand_forms_agree(synth2000):
    m = synth2000
    lca = hiili.Lca(m)
    f = np.zeros(m.n)
    f[3] = 1.0
    f[10] = 2.5
    ref = lca.solve(f)
    label3 = m.activities["id"][3]
    forms = [
        {3: 1.0, 10: 2.5},
        {np.int64(3): 1.0, np.int32(10): 2.5},
        {label3: 1.0, 10: 2.5},
        f.tolist(),
        sp.csc_array(f.reshape(-1, 1)),
    ]
    for demand in forms:
        np.testing.assert_allclose(lca.solve(demand).supply, ref.supply, rtol=1e-14, atol=0)
    # Repeated entries add up (a Series may repeat an index).
    import pandas as pd

    series = pd.Series([0.5, 0.5, 2.5], index=[3, 3, 10])
    np.testing.assert_allclose(lca.solve(series).supply, ref.supply, rtol=1e-14, atol=0)
    # Integer vectors are converted on purpose, not rejected.
    e = np.zeros(m.n, dtype=np.int64)
    e[3] = 1
    np.testing.assert_allclose(lca.solve(e).scores, lca.solve({3: 1.0}).scores, rtol=1e-15)


def test_solve_is_linear(synth2000):
    lca = hiili.Lca(synth2000)
    a = lca.solve({5: 1.0})
    b = lca.solve({5: 3.0})
    np.testing.assert_allclose(b.scores, 3 * a.scores, rtol=1e-13)


def test_activity_scores_dense_inverse(backend):
    n, m, k = 60, 25, 3
    A, B, C = model_matrices(n, m, k, 4, "general", seed=21)
    lca = hiili.Lca(hiili.Model(A, B, C), solver=backend)
    expected = C.toarray() @ B.toarray() @ np.linalg.inv(A.toarray())
    got = lca.activity_scores()
    assert got.shape == (k, n)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())


def test_activity_scores_synth_matches_forward_solves(backend):
    model = hiili.synth(n=300, seed=4, k=3)
    lca = hiili.Lca(model, solver=backend)
    scores = lca.activity_scores()
    # Column j of C B A^-1 is the score of one unit of activity j: forward solves with e_j.
    expected = model.C @ (model.B @ spsolve(model.A, np.eye(300)))
    assert rel_err(scores, expected) < 1e-11
    for j in (0, 150, 299):
        np.testing.assert_allclose(scores[:, j], lca.solve({j: 1.0}).scores, rtol=1e-10)


def test_update_technosphere_synth():
    model = hiili.synth(n=500, seed=2)
    lca = hiili.Lca(model)
    values = model.A.data.copy()
    offdiag = model.A.indices != np.repeat(np.arange(500), np.diff(model.A.indptr))
    values[offdiag] *= 1.1
    lca.update_technosphere(values)
    A2 = sp.csc_array((values, model.A.indices, model.A.indptr), shape=model.A.shape)
    f = np.zeros(500)
    f[42] = 1.0
    assert rel_err(lca.solve(f).supply, spsolve(A2, f)) < RTOL


def test_threads_share_and_own_lcas():
    """Correct answers when threads solve on one shared Lca (calls take turns) and on their
    own Lcas (truly parallel, the GIL released)."""
    model = hiili.synth(n=1500, seed=5)
    shared = hiili.Lca(model)
    demands = list(range(0, 1500, 100))
    expected = {j: spsolve(model.A, np.eye(1500)[:, j]) for j in demands}
    errors = []

    def work(lca):
        try:
            for j in demands:
                assert rel_err(lca.solve({j: 1.0}).supply, expected[j]) < RTOL
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(shared,)) for _ in range(3)]
    threads += [threading.Thread(target=work, args=(hiili.Lca(model),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


def test_results_arrays_are_independent(synth2000):
    lca = hiili.Lca(synth2000)
    a = lca.solve({1: 1.0})
    before = a.scores.copy()
    b = lca.solve({2: 1.0})
    np.testing.assert_array_equal(a.scores, before)  # a later solve does not overwrite
    assert not np.shares_memory(a.supply, b.supply)
    a.scores *= 2  # writable


def test_default_model_is_labelled_synth_20000():
    model = hiili.default_model()
    assert (model.n, model.m) == (20000, 2500)
    assert {"id", "name"} <= set(model.activities.columns)
    assert (model.A != hiili.synth(20000, seed=1).A).nnz == 0
    lca = hiili.Lca(model)
    r = lca.solve({model.activities["id"][123]: 1.0})
    f = np.zeros(model.n)
    f[123] = 1.0
    # Independent check without a second n = 20,000 factorisation (scipy's takes seconds):
    # scipy's own product A s must give back the demand.
    assert np.max(np.abs(model.A @ r.supply - f)) < 1e-12 * np.max(np.abs(r.supply))
