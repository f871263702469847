"""hiili.synth: the two families' structure, computed independently with scipy.sparse.csgraph,
and the same system with and without uncertainty."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse import csgraph

import hiili


def off_diagonal(A):
    A = sp.csc_array(A, copy=True)
    A.setdiag(0)
    A.eliminate_zeros()
    return A


def scc_sizes(A):
    _, labels = csgraph.connected_components(off_diagonal(A), directed=True, connection="strong")
    return np.sort(np.bincount(labels))[::-1]


@pytest.fixture(scope="module")
def ecoinvent():
    return hiili.synth(20000, seed=1)


def test_default_family_is_ecoinvent(ecoinvent):
    assert hiili._core.SynthOptions().family == "ecoinvent"
    again = hiili.synth(20000, seed=1, family="ecoinvent")
    assert (ecoinvent.A != again.A).nnz == 0


@pytest.mark.parametrize("family", ["ecoinvent", "stress"])
def test_core_fraction_is_one_strongly_connected_component(family):
    n = 5000
    for core in (0.25, 0.4):
        model = hiili.synth(n, seed=2, family=family, core_fraction=core)
        sizes = scc_sizes(model.A)
        assert sizes[0] == round(core * n)
        assert np.all(sizes[1:] == 1)  # the rest is triangular


def test_ecoinvent_columns_have_the_calibrated_density(ecoinvent):
    A = ecoinvent.A
    per_column = A.nnz / A.shape[0]
    assert 10.5 < per_column < 13.5  # ecoinvent 3.x: about 12 (docs/synth.md)
    inputs = np.diff(off_diagonal(A).indptr)
    assert np.median(inputs) < per_column - 1  # heavy tail: the mean above the median
    assert inputs.max() > 60
    # A few hub markets supply thousands of activities; most products supply a handful.
    suppliers = np.bincount(off_diagonal(A).indices, minlength=A.shape[0])
    assert suppliers.max() > 2000
    assert np.median(suppliers) <= 5


def test_ecoinvent_regions_meet_only_through_global_markets(ecoinvent):
    A = off_diagonal(ecoinvent.A).tocoo()
    location = ecoinvent.activities["location"].to_numpy()
    is_global = location == "GLO"
    local = ~is_global[A.row] & ~is_global[A.col]
    assert np.all(location[A.row[local]] == location[A.col[local]])
    assert 0 < is_global.sum() <= 16
    # Without the global markets, the undirected graph falls apart into small regions.
    keep = np.flatnonzero(~is_global)
    sub = sp.csr_array(ecoinvent.A)[keep][:, keep]
    _, labels = csgraph.connected_components(sub + sub.T, directed=False)
    assert np.bincount(labels).max() <= 1000


def test_ecoinvent_markets_have_no_elementary_flows(ecoinvent):
    markets = ecoinvent.activities["name"].str.startswith("market for ").to_numpy()
    assert 0.15 < markets.mean() < 0.25
    flows = np.diff(sp.csc_array(ecoinvent.B).indptr)
    assert np.all(flows[markets] == 0)
    assert 20 < flows[~markets].mean() < 30


@pytest.mark.parametrize("family", ["ecoinvent", "stress"])
def test_a_is_column_diagonally_dominant(family):
    A = sp.csc_array(hiili.synth(3000, seed=5, family=family).A)
    assert np.all(A.diagonal() == 1.0)
    off = off_diagonal(A)
    assert np.all(off.data < 0)
    assert np.abs(off).sum(axis=0).max() < 0.91


@pytest.mark.parametrize("family", ["ecoinvent", "stress"])
def test_uncertainty_describes_the_same_system(family):
    plain = hiili.synth(2000, seed=4, family=family)
    uncertain = hiili.synth(2000, seed=4, family=family, uncertainty=True)
    for name in ("A", "B", "C"):
        a, b = getattr(plain, name), getattr(uncertain, name)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.data, b.data)
    for matrix in ("A", "B"):
        e = uncertain.entries(matrix)
        varied = e[e["uncertainty_type"] == 2]
        assert len(varied) == (len(e) - plain.n if matrix == "A" else len(e))
        # lognormal whose median is the amount
        np.testing.assert_allclose(np.exp(varied["loc"]), np.abs(varied["amount"]), rtol=1e-12)
        assert (varied["scale"] > 0).all()


def test_stress_family_keeps_its_hubs_across_the_whole_core():
    model = hiili.synth(5000, seed=1, family="stress")
    names = model.activities["name"].to_numpy()
    hubs = np.flatnonzero(np.char.startswith(names.astype(str), "market for "))
    assert len(hubs) == 2000 // 40
    assert scc_sizes(model.A)[0] == 2000


def test_unknown_family_is_an_invalid_input():
    with pytest.raises(hiili.InvalidInputError, match="family"):
        hiili.synth(100, family="ecoinvnet")


def test_ecoinvent_climate_change_counts_co2_methane_and_n2o_at_any_size():
    small, big = hiili.synth(2000, seed=3), hiili.synth(20000, seed=3)
    for model in (small, big):
        names = list(model.flows["name"][:3])
        assert names == ["carbon dioxide, fossil", "methane, fossil", "dinitrogen monoxide"]
        np.testing.assert_array_equal(model.C.toarray()[0, :3], [1.0, 29.8, 273.0])
    # The method does not depend on the database: the same factors on the flows both have.
    np.testing.assert_array_equal(small.C.toarray()[0], big.C.toarray()[0, : small.m])
