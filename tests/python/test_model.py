"""hiili.Model: inputs in every format, zero-copy read-only views, labels, pandas, entries."""

import gc
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import hiili
from hiili import _core

A_DENSE = np.array(
    [
        [1.0, -0.5, 0.0],
        [-0.2, 1.0, -0.1],
        [0.0, -0.3, 2.0],
    ]
)
B_DENSE = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, 0.5]])
C_DENSE = np.array([[1.0, 10.0]])


def test_every_input_format_gives_the_same_model():
    forms = [
        A_DENSE,
        A_DENSE.tolist(),
        sp.csc_array(A_DENSE),
        sp.csr_array(A_DENSE),
        sp.coo_array(A_DENSE),
        sp.csc_matrix(A_DENSE),
        sp.csc_array(A_DENSE).astype(np.float32),
    ]
    c32 = sp.csc_array(A_DENSE)
    c32.indices = c32.indices.astype(np.int32)
    c32.indptr = c32.indptr.astype(np.int32)
    c64 = sp.csc_array(A_DENSE)
    c64.indices = c64.indices.astype(np.int64)
    c64.indptr = c64.indptr.astype(np.int64)
    forms += [c32, c64]
    for A in forms:
        model = hiili.Model(A, B_DENSE, C_DENSE)
        np.testing.assert_array_equal(
            model.A.toarray(),
            A_DENSE.astype(np.float32) if getattr(A, "dtype", None) == np.float32 else A_DENSE,
        )
        np.testing.assert_array_equal(model.B.toarray(), B_DENSE)
        np.testing.assert_array_equal(model.C.toarray(), C_DENSE)
        assert (model.n, model.m, model.k) == (3, 2, 1)


def test_duplicates_summed_and_unsorted_rows_sorted():
    # COO with a duplicate (0, 0) entry and a CSC with unsorted row indices.
    coo = sp.coo_array(([0.5, 0.5, 1.0, 1.0], ([0, 0, 1, 2], [0, 0, 1, 2])), shape=(3, 3))
    model = hiili.Model(coo)
    np.testing.assert_array_equal(model.A.toarray(), np.eye(3))
    unsorted = sp.csc_array(
        (np.array([-0.5, 1.0, 1.0, 1.0]), np.array([1, 0, 1, 2]), np.array([0, 2, 3, 4])),
        shape=(3, 3),
    )
    unsorted.has_sorted_indices = False
    model = hiili.Model(unsorted)
    expected = np.eye(3)
    expected[1, 0] = -0.5
    np.testing.assert_array_equal(model.A.toarray(), expected)
    assert np.all(np.diff(model.A.indices[model.A.indptr[0] : model.A.indptr[1]]) > 0)


def test_explicit_zeros_are_kept_in_the_pattern():
    A = sp.csc_array(np.eye(3))
    A = sp.csc_array(
        (np.array([1.0, 0.0, 1.0, 1.0]), np.array([0, 2, 1, 2]), np.array([0, 2, 3, 4])),
        shape=(3, 3),
    )
    model = hiili.Model(A)
    assert model.A.nnz == 4  # the pattern is fixed: zeros stay so values can move later


def test_views_are_read_only_zero_copy_and_keep_the_model_alive():
    model = hiili.synth(n=300, seed=2)
    A = model.A
    assert isinstance(A, sp.csc_array)
    assert A.indices.dtype == np.int64
    assert not A.data.flags.writeable
    assert not A.indices.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        A.data[0] = 1.0
    # The scipy arrays view the model's own storage (no copy).
    assert np.shares_memory(A.data, model._cpp.A.values)
    assert np.shares_memory(A.indices, model._cpp.A.row_idx)
    dense = A.toarray()
    del model
    gc.collect()
    np.testing.assert_array_equal(A.toarray(), dense)  # still valid: the view holds the model


def test_csc_input_is_copied_once_into_the_model():
    A = sp.csc_array(A_DENSE)
    model = hiili.Model(A, B_DENSE, C_DENSE)
    assert not np.shares_memory(model.A.data, A.data)
    A.data[:] = 7.0  # the caller's array changes; the model does not
    np.testing.assert_array_equal(model.A.toarray(), A_DENSE)


def test_b_and_c_may_be_omitted():
    model = hiili.Model(A_DENSE)
    assert (model.m, model.k) == (0, 0)
    r = hiili.Lca(model).solve({0: 1.0})
    np.testing.assert_allclose(r.supply, np.linalg.solve(A_DENSE, [1.0, 0.0, 0.0]), rtol=1e-14)
    assert r.inventory.shape == (0,)
    assert r.scores.shape == (0,)


def test_list_labels_and_lookup():
    model = hiili.Model(
        A_DENSE,
        B_DENSE,
        C_DENSE,
        activities=["steel", "coal", "power"],
        flows=["CO2", "SO2"],
        categories=["GWP"],
    )
    assert list(model.activities.columns) == ["name"]
    assert model.activities["name"].tolist() == ["steel", "coal", "power"]
    assert model.flows["name"].tolist() == ["CO2", "SO2"]
    assert model.activity_index("coal") == 1
    assert model.flow_index("SO2") == 1
    assert model.category_index("GWP") == 0
    lca = hiili.Lca(model)
    by_label = lca.solve({"coal": 2.0, "power": 1.0})
    by_index = lca.solve({1: 2.0, 2: 1.0})
    np.testing.assert_array_equal(by_label.supply, by_index.supply)
    expected = np.linalg.solve(A_DENSE, [0.0, 2.0, 1.0])
    np.testing.assert_allclose(by_label.supply, expected, rtol=1e-14)
    np.testing.assert_allclose(by_label.scores, C_DENSE @ B_DENSE @ expected, rtol=1e-14)


def test_dataframe_labels_id_then_name():
    activities = pd.DataFrame(
        {
            "id": ["a1", "a2", "a3"],
            "name": ["steel", "steel", "power"],  # "steel" is ambiguous by name
            "unit": ["kg", "kg", None],
        }
    )
    model = hiili.Model(A_DENSE, B_DENSE, C_DENSE, activities=activities)
    frame = model.activities
    assert list(frame.columns) == ["id", "name", "unit"]
    assert frame["unit"].tolist() == ["kg", "kg", ""]  # missing values become ""
    assert model.activity_index("a2") == 1  # "id" first
    assert model.activity_index("power") == 2  # then "name"
    with pytest.raises(hiili.InvalidInputError, match="ambiguous"):
        model.activity_index("steel")
    with pytest.raises(hiili.InvalidInputError, match="unknown"):
        model.activity_index("aluminium")


def test_unlabelled_model_frames():
    model = hiili.Model(A_DENSE, B_DENSE, C_DENSE)
    assert model.activities.shape == (3, 0)
    assert model.flows.shape == (2, 0)
    r = hiili.Lca(model).solve({0: 1.0})
    assert r.to_series().index.equals(pd.RangeIndex(1, name="category"))
    assert r.to_frame("supply")["supply"].tolist() == pytest.approx(r.supply.tolist())


def test_result_frames_carry_labels():
    model = hiili.synth(n=200, seed=7, k=3)
    lca = hiili.Lca(model)
    r = lca.solve({"A5": 1.0})
    np.testing.assert_array_equal(r.supply, lca.solve({5: 1.0}).supply)
    scores = r.to_frame()
    assert list(scores.columns) == [*model.categories.columns, "score"]
    np.testing.assert_array_equal(scores["score"].to_numpy(), r.scores)
    assert scores["name"].tolist() == model.categories["name"].tolist()
    supply = r.to_frame("supply")
    assert len(supply) == 200
    np.testing.assert_array_equal(supply["supply"].to_numpy(), r.supply)
    inventory = r.to_frame("inventory")
    assert len(inventory) == model.m
    np.testing.assert_array_equal(inventory["amount"].to_numpy(), r.inventory)
    series = r.to_series("supply")
    assert series["A5"] == r.supply[5]
    with pytest.raises(hiili.InvalidInputError):
        r.to_frame("nonsense")

    many = lca.solve_many([{5: 1.0}, {"A7": 2.0}])
    frame = many.to_frame()
    np.testing.assert_array_equal(frame[0].to_numpy(), many.scores[:, 0])
    np.testing.assert_array_equal(frame[1].to_numpy(), many.scores[:, 1])

    table = lca.activity_scores(frame=True)
    assert table.shape == (3, 200)
    assert table.index.tolist() == model.categories["id"].tolist()
    assert table.columns.tolist() == model.activities["id"].tolist()
    np.testing.assert_array_equal(table.to_numpy(), lca.activity_scores())


def test_entries_from_csc():
    model = hiili.Model(A_DENSE, B_DENSE, C_DENSE)
    entries = model.entries("A")
    assert list(entries.columns) == ["row", "col", "amount", "flip", "slot"]
    assert len(entries) == model.A.nnz
    np.testing.assert_array_equal(entries["slot"], np.arange(model.A.nnz))
    np.testing.assert_array_equal(entries["amount"], model.A.data)
    np.testing.assert_array_equal(entries["row"], model.A.indices)
    assert not model.has_uncertainty("B")
    with pytest.raises(hiili.InvalidInputError):
        model.entries("D")


def test_synth_is_seeded_and_has_uncertainty_when_asked():
    a = hiili.synth(n=400, seed=3)
    b = hiili.synth(n=400, seed=3)
    c = hiili.synth(n=400, seed=4)
    assert (a.A != b.A).nnz == 0
    assert (a.B != b.B).nnz == 0
    assert a.A.nnz != c.A.nnz or (a.A != c.A).nnz > 0
    assert a.activities.equals(b.activities)
    u = hiili.synth(n=400, seed=3, uncertainty=True, k=5, m=30)
    assert (u.m, u.k) == (30, 5)
    assert u.has_uncertainty("A")
    entries = u.entries("A")
    assert {"uncertainty_type", "loc", "scale"} <= set(entries.columns)
    # Values are the ones stored: every entry's slot holds the sum of its entries.
    sums = np.bincount(
        entries["slot"],
        weights=np.where(entries["flip"], -1, 1) * entries["amount"],
        minlength=u.A.nnz,
    )
    np.testing.assert_allclose(sums, u.A.data, rtol=1e-15)


def test_core_labels_and_model_from_python():
    labels = _core.Labels(2)
    labels.set_column("id", ["x", "y"])
    assert labels.find("y") == 1
    assert labels.find("z") is None
    assert labels.column_names() == ["id"]
    assert len(labels) == 2
    core = _core.Model.from_csc(
        sp.csc_array(np.eye(2)), sp.csc_array((1, 2)), sp.csc_array((0, 1)), activities=labels
    )
    model = hiili.Model._wrap(core)
    assert model.activity_index("x") == 0
    assert hiili.Lca(core).solve({"y": 1.0}).supply.tolist() == [0.0, 1.0]


# ---- Model.from_entries ----------------------------------------------------------------------


def _entries_fixture():
    rng = np.random.default_rng(7)
    n, m, k = 6, 4, 2
    rows = np.r_[np.arange(n), rng.integers(0, n, 14), [2, 2]]
    cols = np.r_[np.arange(n), rng.integers(0, n, 14), [3, 3]]
    amounts = np.r_[np.ones(n) * 2.0, rng.uniform(0.01, 0.1, 14), [0.05, 0.02]]
    flip = np.r_[np.zeros(n, bool), np.ones(14, bool), [True, False]]
    A = {"row": rows, "col": cols, "amount": amounts, "flip": flip}
    B = {"row": rng.integers(0, m, 10), "col": rng.integers(0, n, 10), "amount": rng.random(10)}
    C = {"row": [0, 1, 1], "col": [0, 1, 3], "amount": [1.0, 2.0, 0.5]}
    return n, m, k, A, B, C


def test_from_entries_sums_duplicates_like_scipy():
    n, m, k, A, B, C = _entries_fixture()
    model = hiili.Model.from_entries(n, m, k, A=A, B=B, C=C)
    signed = np.where(A["flip"], -A["amount"], A["amount"])
    expected_A = sp.coo_matrix((signed, (A["row"], A["col"])), shape=(n, n)).toarray()
    expected_B = sp.coo_matrix((B["amount"], (B["row"], B["col"])), shape=(m, n)).toarray()
    np.testing.assert_allclose(model.A.toarray(), expected_A, rtol=0, atol=1e-15)
    np.testing.assert_allclose(model.B.toarray(), expected_B, rtol=0, atol=1e-15)
    assert model.C.toarray()[1, 3] == 0.5
    entries = model.entries("A")
    assert len(entries) == len(A["row"])  # one entry per input row, duplicates kept apart
    np.testing.assert_array_equal(entries["flip"].to_numpy(), A["flip"])


def test_from_entries_keeps_each_entrys_uncertainty():
    n, m, k, A, B, C = _entries_fixture()
    ne = len(A["row"])
    A["uncertainty_type"] = np.zeros(ne, np.uint8)
    A["loc"] = np.full(ne, np.nan)
    A["scale"] = np.full(ne, np.nan)
    A["uncertainty_type"][-2] = 2  # one of the two entries at (2, 3): lognormal
    A["loc"][-2] = np.log(0.05)
    A["scale"][-2] = 0.2
    model = hiili.Model.from_entries(n, m, k, A=pd.DataFrame(A), B=B, C=C)
    entries = model.entries("A")
    assert entries["uncertainty_type"].tolist().count(2) == 1
    assert entries["scale"].iloc[-2] == 0.2
    assert entries["uncertainty_type"].iloc[-1] == 0
    # Monte Carlo draws that entry (activity 3 buys product 2 through it): the scores vary;
    # with the same entry fixed they do not.
    varied = hiili.MonteCarlo(model, {3: 1.0}, seed=3, threads=1).run(50, progress=False)
    A["uncertainty_type"][-2] = 0
    fixed_model = hiili.Model.from_entries(n, m, k, A=A, B=B, C=C)
    with pytest.warns(hiili.NoUncertaintyWarning):
        fixed = hiili.MonteCarlo(fixed_model, {3: 1.0}, seed=3, threads=1).run(50, progress=False)
    assert np.ptp(varied.scores, axis=0).max() > 0
    assert np.ptp(fixed.scores, axis=0).max() == 0


def test_from_entries_errors_name_the_matrix():
    n, m, k, A, _, _ = _entries_fixture()
    with pytest.raises(hiili.InvalidInputError, match="technosphere entries: missing array 'col'"):
        hiili.Model.from_entries(n, m, k, A={"row": A["row"], "amount": A["amount"]})
    with pytest.raises(hiili.InvalidInputError, match="biosphere entries: 'amount' has 3 values"):
        hiili.Model.from_entries(n, m, k, A=A, B={"row": [0], "col": [0], "amount": [1, 2, 3]})
    bad = dict(A, row=np.r_[A["row"][:-1], [n]])
    with pytest.raises(hiili.InvalidInputError):
        hiili.Model.from_entries(n, m, k, A=bad)
    bad = dict(A, amount=np.r_[A["amount"][:-1], [np.nan]])
    with pytest.raises(hiili.InvalidInputError):
        hiili.Model.from_entries(n, m, k, A=bad)


# ---- one label rule (hiili::resolve_label), shared with C++ and the CLI ----------------------
USEEIO_V12 = Path(__file__).resolve().parents[3] / "shared" / "data" / "useeio_v1.2"


def test_every_printed_label_is_accepted_back_on_useeio():
    # Sector 221100 (electricity, row 21) and indicator GCC, by every form a table prints;
    # the score is the published oracle U = C B (I - A)^-1 (matrix/U.json).
    model = hiili.read(USEEIO_V12)
    lca = hiili.Lca(model)
    U = np.array(json.loads((USEEIO_V12 / "matrix" / "U.json").read_text()))
    q = model.category_index("GCC")
    assert model.categories["code"][q] == "GCC"
    j = model.activity_index("221100")
    assert j == 21 and model.activities["code"][j] == "221100"
    printed = hiili.analysis.display_labels(model._cpp.activities, model.n)[j]
    assert printed == "Electricity [US]"
    for key in ("221100", "#21", printed, 21):
        result = lca.solve({key: 1e6})
        assert result.scores[q] == pytest.approx(U[q, 21] * 1e6, rel=1e-12)
    table = lca.contributions({"221100": 1e6}, category="GCC")
    assert table.attrs["scores"][model.categories["name"][q]] == pytest.approx(
        U[q, 21] * 1e6, rel=1e-12
    )
    listed = table[(table["kind"] == "process") & (table["rank"] > 0)]
    for index, label in zip(listed["index"], listed["label"], strict=True):
        assert model.activity_index(label) == index  # as printed, accepted back


def test_an_ambiguous_label_lists_candidates_that_resolve():
    activities = pd.DataFrame(
        {"name": ["plastics 39", "plastics 39", "power"], "location": ["ES", "GLO", ""]}
    )
    model = hiili.Model(A_DENSE, B_DENSE, C_DENSE, activities=activities)
    with pytest.raises(hiili.InvalidInputError) as error:
        model.activity_index("plastics 39")
    message = str(error.value)
    assert "'plastics 39 [ES]' (#0)" in message and "'plastics 39 [GLO]' (#1)" in message
    assert model.activity_index("plastics 39 [GLO]") == 1
    assert model.activity_index("#2") == 2
    with pytest.raises(hiili.InvalidInputError, match="out of range"):
        model.activity_index("#3")
    with pytest.raises(hiili.InvalidInputError, match="unknown activity label 'steel'"):
        hiili.Lca(model).solve({"steel": 1.0})
