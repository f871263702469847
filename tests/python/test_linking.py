"""hiili.linking: a foreground appended to a background, and scenario copies of a model, checked
against dense numpy block matrices and solves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import hiili
from hiili.linking import apply_scenario, link

N = 60


@pytest.fixture(scope="module")
def background():
    return hiili.synth(N, seed=3, uncertainty=True)


def foreground():
    """Three activities: a plant buying two background products, a by-product, a user."""
    activities = pd.DataFrame(
        {"id": ["plant", "byproduct", "user"], "name": ["plant", "by-product", "user"]}
    )
    tech = pd.DataFrame(
        {
            "row": ["plant", "A5", 7, "byproduct", "plant", "user", "plant", "byproduct"],
            "col": ["plant", "plant", "plant", "byproduct", "byproduct", "user", "user", "user"],
            "amount": [1.0, -0.5, -2.0, 1.0, -0.1, 1.0, -0.8, 0.0],
            "uncertainty_type": [0, 2, 2, 0, 2, 0, 2, 0],
            "loc": np.log([np.nan, 0.5, 2.0, np.nan, 0.1, np.nan, 0.8, np.nan]),
            "scale": [np.nan, 0.1, 0.2, np.nan, 0.3, np.nan, 0.1, np.nan],
            "negative": [False, True, True, False, True, False, True, False],
        }
    )
    bio = pd.DataFrame(
        {"row": ["carbon dioxide, fossil", "F3"], "col": ["plant", "user"], "amount": [3.0, 0.5]}
    )
    return activities, tech, bio


def dense_blocks(background):
    """The combined A and B built by hand from the background's dense matrices."""
    A = np.zeros((N + 3, N + 3))
    A[:N, :N] = background.A.toarray()
    P, BY, U = N, N + 1, N + 2
    A[P, P], A[5, P], A[7, P] = 1.0, -0.5, -2.0
    A[BY, BY], A[P, BY] = 1.0, -0.1
    A[U, U], A[P, U] = 1.0, -0.8
    B = np.zeros((background.m, N + 3))
    B[:, :N] = background.B.toarray()
    B[0, P], B[3, U] = 3.0, 0.5
    return A, B


def test_link_builds_the_block_matrices(background):
    model = link(background, *foreground())
    A, B = dense_blocks(background)
    assert model.n == N + 3
    np.testing.assert_array_equal(model.A.toarray(), A)
    np.testing.assert_array_equal(model.B.toarray(), B)
    np.testing.assert_array_equal(model.C.toarray(), background.C.toarray())
    assert model.activity_index("user") == N + 2
    assert model.activities["id"].iloc[3] == background.activities["id"].iloc[3]
    # the explicit zero (byproduct -> user) is stored, ready for a scenario
    assert (model.entries("A")[["row", "col"]] == [N + 1, N + 2]).all(axis=1).any()


def test_link_scores_equal_a_dense_solve(background):
    model = link(background, *foreground())
    A, B = dense_blocks(background)
    C = background.C.toarray()
    f = np.zeros(N + 3)
    f[N + 2] = 10.0
    expected = C @ (B @ np.linalg.solve(A, f))
    got = hiili.Lca(model).solve({"user": 10.0}).scores
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_link_carries_uncertainty_by_position(background):
    model = link(background, *foreground())
    entries = model.entries("A").set_index(["row", "col"])
    source = background.entries("A").set_index(["row", "col"])
    for key in source.index[:200]:
        for column in ("uncertainty_type", "loc", "scale", "negative"):
            a, b = entries.loc[key, column], source.loc[key, column]
            assert a == b or (np.isnan(a) and np.isnan(b))
    assert entries.loc[(5, N), "uncertainty_type"] == 2
    assert entries.loc[(5, N), "scale"] == 0.1
    assert bool(entries.loc[(5, N), "negative"])
    assert entries.loc[(N + 1, N + 2), "uncertainty_type"] == 0
    b_entries = model.entries("B").set_index(["row", "col"])
    assert b_entries.loc[(0, N), "uncertainty_type"] == 0  # no uncertainty given for B


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("row", 1, "no such activity"), "technosphere: row 1, column 'row'"),
        (("col", 0, "nobody"), "technosphere: row 0, column 'col'"),
        (("amount", 2, np.inf), "row 2, column 'amount': not finite"),
    ],
)
def test_link_errors_name_the_row_and_column(background, change, message):
    activities, tech, bio = foreground()
    column, row, value = change
    tech = tech.astype({column: object})
    tech.loc[row, column] = value
    with pytest.raises(hiili.InvalidInputError, match=message):
        link(background, activities, tech, bio)


def test_link_rejects_bad_ids(background):
    activities, tech, bio = foreground()
    clash = activities.copy()
    clash.loc[0, "id"] = "A3"
    with pytest.raises(hiili.InvalidInputError, match="also a background label"):
        link(background, clash, tech, bio)
    twice = activities.copy()
    twice.loc[2, "id"] = "plant"
    with pytest.raises(hiili.InvalidInputError, match="duplicate id"):
        link(background, twice, tech, bio)
    with pytest.raises(hiili.InvalidInputError, match="position given twice"):
        link(background, activities, pd.concat([tech, tech.iloc[:1]]), bio)


def test_apply_scenario_changes_values_and_keeps_the_pattern(background):
    model = link(background, *foreground())
    P, BY, U = N, N + 1, N + 2
    sc = hiili.Scenario("swap", [("A", "byproduct", "user", -0.3), ("A", "plant", "user", -0.5)])
    changed = apply_scenario(model, sc, sigma={("A", BY, U): 0.25})
    np.testing.assert_array_equal(changed.A.indices, model.A.indices)
    np.testing.assert_array_equal(changed.A.indptr, model.A.indptr)
    A = model.A.toarray()
    A[BY, U], A[P, U] = -0.3, -0.5
    np.testing.assert_array_equal(changed.A.toarray(), A)
    entries = changed.entries("A").set_index(["row", "col"])
    assert entries.loc[(BY, U), "uncertainty_type"] == 2
    assert entries.loc[(BY, U), "scale"] == 0.25
    assert entries.loc[(P, U), "loc"] == pytest.approx(np.log(0.5), abs=1e-15)
    assert entries.loc[(P, U), "scale"] == 0.1  # the lognormal keeps its sigma
    back = apply_scenario(changed, hiili.Scenario("off", [("A", BY, U, 0.0)]))
    assert back.entries("A").set_index(["row", "col"]).loc[(BY, U), "uncertainty_type"] == 0


def test_apply_scenario_draws_the_same_numbers_for_untouched_entries(background):
    """Same seed, same pattern: a change outside the demand's supply chain leaves every
    iteration bit-identical; a change inside moves the scores."""
    model = link(background, *foreground())
    demand = {"user": 1.0}
    base = hiili.MonteCarlo(model, demand, seed=4).run(50, progress=False).scores
    # the by-product feeds nothing the plant demand reaches
    outside = apply_scenario(model, hiili.Scenario("o", [("A", "plant", "byproduct", -0.2)]))
    same = hiili.MonteCarlo(outside, {"plant": 1.0}, seed=4).run(50, progress=False).scores
    plant = hiili.MonteCarlo(model, {"plant": 1.0}, seed=4).run(50, progress=False).scores
    np.testing.assert_array_equal(same, plant)
    inside = apply_scenario(model, hiili.Scenario("i", [("A", "plant", "user", -0.4)]))
    moved = hiili.MonteCarlo(inside, demand, seed=4).run(50, progress=False).scores
    assert not np.allclose(moved, base)
    # the change halves the plant input: the difference is nearly deterministic
    ratio = np.std(moved[:, 0] - base[:, 0]) / np.std(base[:, 0])
    assert ratio < 0.7


def test_apply_scenario_errors(background):
    model = link(background, *foreground())
    with pytest.raises(hiili.InvalidInputError, match="not stored"):
        apply_scenario(model, hiili.Scenario("x", [("A", "user", "plant", -1.0)]))
    with pytest.raises(hiili.InvalidInputError, match="sigma must be > 0"):
        apply_scenario(model, hiili.Scenario("x", [("A", "byproduct", "user", -1.0)]), sigma=-1)
    with pytest.raises(hiili.InvalidInputError, match="unknown activity label"):
        apply_scenario(model, hiili.Scenario("x", [("A", "nobody", "user", -1.0)]))


# ---- foreground flows and their characterisation ------------------------------------------


def foreground_flows():
    """The foreground of foreground() with one flow of its own (slag dust, emitted by the plant
    and the user, characterised in categories 0 and 2) and uncertainty on two of its entries."""
    activities, tech, bio = foreground()
    flows = pd.DataFrame({"id": ["slag dust"], "unit": ["kg"]})
    bio = pd.concat(
        [
            bio,
            pd.DataFrame(
                {
                    "row": ["slag dust", "slag dust"],
                    "col": ["plant", "user"],
                    "amount": [0.25, 0.0],
                    "uncertainty_type": [2, 0],
                    "loc": [np.log(0.25), np.nan],
                    "scale": [0.3, np.nan],
                }
            ),
        ],
        ignore_index=True,
    )
    char = pd.DataFrame(
        {
            "row": [0, 2],
            "col": ["slag dust", "slag dust"],
            "amount": [4.0, 0.5],
            "uncertainty_type": [3, 0],
            "loc": [4.0, np.nan],
            "scale": [0.4, np.nan],
        }
    )
    return activities, tech, bio, flows, char


def dense_blocks_with_flows(background):
    """A, B and C with the slag dust row and column, built by hand."""
    A, B_old = dense_blocks(background)
    m = background.m
    B = np.zeros((m + 1, N + 3))
    B[:m] = B_old
    B[m, N] = 0.25
    C = np.zeros((background.k, m + 1))
    C[:, :m] = background.C.toarray()
    C[0, m], C[2, m] = 4.0, 0.5
    return A, B, C


def test_link_appends_foreground_flows_and_their_factors(background):
    activities, tech, bio, flows, char = foreground_flows()
    model = link(background, activities, tech, bio, flows=flows, characterization=char)
    A, B, C = dense_blocks_with_flows(background)
    assert (model.n, model.m, model.k) == (N + 3, background.m + 1, background.k)
    np.testing.assert_array_equal(model.A.toarray(), A)
    np.testing.assert_array_equal(model.B.toarray(), B)
    np.testing.assert_array_equal(model.C.toarray(), C)
    assert model.flow_index("slag dust") == background.m
    assert model.flows["unit"].iloc[background.m] == "kg"
    assert model.flows["id"].iloc[2] == background.flows["id"].iloc[2]
    # the explicit zero (slag dust of the user) is stored
    assert (model.entries("B")[["row", "col"]] == [background.m, N + 2]).all(axis=1).any()
    f = np.zeros(N + 3)
    f[N] = 2.0
    expected = C @ (B @ np.linalg.solve(A, f))
    got = hiili.Lca(model).solve({"plant": 2.0}).scores
    np.testing.assert_allclose(got, expected, rtol=1e-10)


def test_link_keeps_the_background_entries_first_and_in_order(background):
    """Entries are the combined matrices' CSC slots: the background's slots come first and
    unchanged (so their entry numbers, and Monte Carlo streams, stay), the foreground's follow
    column by column."""
    activities, tech, bio, flows, char = foreground_flows()
    model = link(background, activities, tech, bio, flows=flows, characterization=char)
    for name in ("A", "B", "C"):
        old, new = getattr(background, name), model.entries(name)
        size = old.nnz
        old_cols = np.repeat(np.arange(old.shape[1]), np.diff(old.indptr))
        np.testing.assert_array_equal(new["row"].to_numpy()[:size], old.indices)
        np.testing.assert_array_equal(new["col"].to_numpy()[:size], old_cols)
        np.testing.assert_array_equal(new["amount"].to_numpy()[:size], old.data)
        M = getattr(model, name)
        cols = np.repeat(np.arange(M.shape[1]), np.diff(M.indptr))
        np.testing.assert_array_equal(new["row"].to_numpy(), M.indices)
        np.testing.assert_array_equal(new["col"].to_numpy(), cols)
        assert (np.diff(cols) >= 0).all()
    rest = model.entries("A").iloc[background.A.nnz :]
    assert list(zip(rest["row"], rest["col"], strict=True)) == [
        (5, N),
        (7, N),
        (N, N),
        (N, N + 1),
        (N + 1, N + 1),
        (N, N + 2),
        (N + 1, N + 2),
        (N + 2, N + 2),
    ]


def test_link_carries_the_uncertainty_of_flows_and_factors(background):
    activities, tech, bio, flows, char = foreground_flows()
    model = link(background, activities, tech, bio, flows=flows, characterization=char)
    m = background.m
    b = model.entries("B").set_index(["row", "col"])
    assert b.loc[(m, N), "uncertainty_type"] == 2
    assert b.loc[(m, N), "scale"] == 0.3
    assert b.loc[(m, N + 2), "uncertainty_type"] == 0
    c = model.entries("C").set_index(["row", "col"])
    assert c.loc[(0, m), "uncertainty_type"] == 3
    assert c.loc[(0, m), "loc"] == 4.0
    assert c.loc[(2, m), "uncertainty_type"] == 0
    if background.has_uncertainty("C"):
        source = background.entries("C").set_index(["row", "col"])
        for key in source.index:
            for column in ("uncertainty_type", "scale"):
                a, s = c.loc[key, column], source.loc[key, column]
                assert a == s or (np.isnan(a) and np.isnan(s))


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "message"),
    [
        ("bio", 2, "row", "no such flow", "biosphere: row 2, column 'row'"),
        ("bio", 2, "col", "slag dust", "biosphere: row 2, column 'col': unknown foreground id"),
        ("char", 1, "col", "nothing", "characterization: row 1, column 'col'"),
        ("char", 0, "row", "no such category", "characterization: row 0, column 'row'"),
        ("char", 0, "amount", np.nan, "characterization: row 0, column 'amount': not finite"),
        ("flows", 0, "id", "carbon dioxide, fossil", "flows: row 0: id .* background label"),
    ],
)
def test_link_flow_errors_name_the_table_row_and_column(
    background, table, row, column, value, message
):
    activities, tech, bio, flows, char = foreground_flows()
    tables = {"bio": bio, "char": char, "flows": flows}
    changed = tables[table].astype({column: object})
    changed.loc[row, column] = value
    tables[table] = changed
    with pytest.raises(hiili.InvalidInputError, match=message):
        link(
            background,
            activities,
            tech,
            tables["bio"],
            flows=tables["flows"],
            characterization=tables["char"],
        )
