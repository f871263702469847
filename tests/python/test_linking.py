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
