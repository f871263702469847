"""The first factorisation on the static kernel (FactorizationOptions.static_factor).

USEEIO's input-output tables (388 / 405 sectors, a nearly dense ~370-sector block) are where the
rule fires on real data: the answers are checked against scipy's spsolve and against KLU's own
factorisation (static_factor=False). The data must be there (../shared/data): a missing folder
fails.
"""

from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import hiili

from helpers import rel_err, spsolve

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
USEEIO = [DATA / "useeio_v1.2", DATA / "useeio_v2.0_ghg"]


@pytest.mark.parametrize("path", USEEIO, ids=lambda p: p.name)
def test_useeio_first_factorisation_is_static_and_matches_spsolve(path):
    A = hiili.read(path).A
    n = A.shape[0]
    on = hiili.Factorization(A)
    off = hiili.Factorization(A, static_factor=False)
    assert on.report.static_factor, on.report.brief()
    assert "static first yes" in on.report.brief()
    assert on.report.dense_columns > 300
    assert on.report.static_factor_fallbacks == 0
    assert not off.report.static_factor
    b = np.linspace(-1.0, 2.0, n)
    for transposed in (False, True):
        want = spsolve(sp.csc_matrix(A), b, transposed)
        x = on.solve_transposed(b) if transposed else on.solve(b)
        assert rel_err(x, want) < 1e-12
        y = off.solve_transposed(b) if transposed else off.solve(b)
        assert rel_err(x, y) < 1e-12
    # A refactor with new values stays on the static kernel and matches spsolve.
    M = sp.csc_matrix(A).copy()
    rng = np.random.default_rng(3)
    M.data = M.data * rng.uniform(0.9, 1.1, M.nnz)
    M.setdiag(sp.csc_matrix(A).diagonal())  # keep I - A's diagonal dominance
    on.refactor(M.data)
    assert on.report.static_refactors == 1
    assert rel_err(on.solve(b), spsolve(M, b)) < 1e-12


def test_useeio_lca_scores_are_those_of_klu():
    model = hiili.read(USEEIO[0])
    on, off = hiili.Lca(model), hiili.Lca(model, static_factor=False)
    assert on.report.static_factor and not off.report.static_factor
    d = np.zeros(model.A.shape[0])
    d[[3, 50, 200]] = [1.0, 2.5, 1e3]
    for what in ("supply", "scores"):
        assert rel_err(getattr(on.solve(d), what), getattr(off.solve(d), what)) < 1e-12


def test_static_factor_must_be_a_bool():
    A = sp.identity(3, format="csc")
    with pytest.raises(hiili.InvalidInputError, match="static_factor"):
        hiili.Factorization(A, static_factor="yes")
    assert hiili.FactorizationOptions(static_factor=False).static_factor is False
    assert hiili.FactorizationOptions().static_factor is True


def test_small_synth_does_not_fire():
    for family in ("ecoinvent", "stress"):
        f = hiili.Factorization(hiili.synth(3000, seed=2, family=family).A)
        assert not f.report.static_factor, f.report.brief()


def test_cached_analysis_makes_the_same_choice(tmp_path):
    # The rule reads the analysis's per-block estimates, which the cache keeps: a hit decides
    # alike and gives the same answer.
    model = hiili.read(USEEIO[0])
    first = hiili.Lca(model, cache=tmp_path)
    hit = hiili.Lca(model, cache=tmp_path)
    assert first.report.cache == "stored" and hit.report.cache == "hit"
    assert first.report.static_factor and hit.report.static_factor
    d = np.zeros(model.A.shape[0])
    d[7] = 1.0
    assert np.array_equal(first.solve(d).supply, hit.solve(d).supply)
