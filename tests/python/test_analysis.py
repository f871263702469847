"""hiili.analysis: contributions, upstream scores, trees, paths, sensitivities and what-if
scenarios, against scipy/numpy answers (dense inverses, finite differences, fresh solves)."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import hiili
from hiili import analysis

from helpers import model_matrices, spsolve

TOL = 1e-10


@pytest.fixture(scope="module")
def small():
    """A labelled 12-activity model with loops, and its dense matrices."""
    A, B, C = model_matrices(12, 5, 3, 3.0, "dominant", seed=4)
    model = hiili.Model(
        A,
        B,
        C,
        activities=[f"act{i}" for i in range(12)],
        flows=[f"flow{i}" for i in range(5)],
        categories=["gwp", "ap", "ep"],
    )
    return model, A.toarray(), B.toarray(), C.toarray()


@pytest.fixture(scope="module")
def synth():
    model = hiili.synth(2000, seed=5, k=3)
    return model, hiili.Lca(model)


def dense_scores(A, B, C, f):
    return C @ B @ np.linalg.solve(A, f)


# ---- contributions -----------------------------------------------------------------------
def test_contributions_sum_to_the_score(small):
    model, A, B, C = small
    lca = hiili.Lca(model)
    f = np.zeros(12)
    f[3] = 2.0
    frame = lca.contributions({"act3": 2.0}, category="ap", top=4)
    h = dense_scores(A, B, C, f)[1]
    assert list(frame.columns) == [
        "category",
        "kind",
        "rank",
        "index",
        "label",
        "amount",
        "contribution",
        "share",
    ]
    assert frame.attrs["scores"]["ap"] == pytest.approx(h, rel=TOL)
    for kind in ("process", "flow"):
        rows = frame[frame.kind == kind]
        assert len(rows) <= 5
        assert rows.contribution.sum() == pytest.approx(h, rel=TOL)
        assert rows.share.sum() == pytest.approx(1.0, rel=TOL)
        listed = rows[rows["rank"] > 0]
        assert list(listed["rank"]) == list(range(1, len(listed) + 1))
        assert (np.diff(np.abs(listed.contribution)) <= 0).all()
    s = np.linalg.solve(A, f)
    direct = C[1] @ B * s
    top = frame[(frame.kind == "process") & (frame["rank"] == 1)].iloc[0]
    assert top["index"] == np.argmax(np.abs(direct))
    assert top["label"] == f"act{top['index']}"
    assert top["contribution"] == pytest.approx(direct[top["index"]], rel=TOL)
    assert top["amount"] == pytest.approx(s[top["index"]], rel=TOL)
    flows = frame[(frame.kind == "flow") & (frame["rank"] > 0)]
    g = B @ s
    for _, row in flows.iterrows():
        assert row.contribution == pytest.approx(C[1, row["index"]] * g[row["index"]], rel=TOL)


def test_contributions_every_category_and_all_rows(small):
    model, A, B, C = small
    lca = hiili.Lca(model)
    frame = lca.contributions({0: 1.0}, category=None, top=None)
    assert set(frame.category) == {"gwp", "ap", "ep"}
    h = dense_scores(A, B, C, np.eye(12)[0])
    for q, name in enumerate(["gwp", "ap", "ep"]):
        rows = frame[(frame.category == name) & (frame.kind == "process")]
        assert rows.contribution.sum() == pytest.approx(h[q], rel=TOL)
        rest = rows[rows["rank"] == 0].iloc[0]
        assert rest.contribution == 0.0
    with pytest.raises(hiili.InvalidInputError):
        lca.contributions({0: 1.0}, category="nope")
    with pytest.raises(hiili.InvalidInputError):
        lca.contributions({0: 1.0}, category=3)
    with pytest.raises(hiili.InvalidInputError):
        lca.contributions({0: 1.0}, top=-2)
    with pytest.raises(hiili.InvalidInputError):
        lca.contributions({"unknown activity": 1.0})


def test_upstream_is_the_adjoint_times_production(small):
    model, A, B, C = small
    lca = hiili.Lca(model)
    f = np.eye(12)[7]
    frame = lca.upstream(f, category=0, top=None)
    s = np.linalg.solve(A, f)
    y = np.linalg.solve(A.T, B.T @ C[0])
    u = y * np.diag(A) * s
    assert len(frame) == np.count_nonzero(u)
    for _, row in frame.iterrows():
        assert row.cumulative == pytest.approx(u[row["index"]], rel=TOL)
    assert frame.attrs["score"] == pytest.approx(y @ f, rel=TOL)
    # The demanded product's upstream score: y_j A_jj s_j, with y^T f = h.
    root = frame[frame["index"] == 7].iloc[0]
    assert root.cumulative == pytest.approx(y[7] * A[7, 7] * s[7], rel=TOL)


def test_lca_without_categories_has_nothing_to_analyse():
    A, B, _ = model_matrices(5, 3, 1, 2.0, "dominant", seed=1)
    lca = hiili.Lca(hiili.Model(A, B))
    with pytest.raises(hiili.InvalidInputError):
        lca.contributions({0: 1.0})
    with pytest.raises(hiili.InvalidInputError):
        lca.sensitivity({0: 1.0})


# ---- tree --------------------------------------------------------------------------------
def test_tree_nodes_add_up(small):
    model, A, B, C = small
    lca = hiili.Lca(model)
    f = np.eye(12)[2]
    t = lca.tree(f, cutoff=0.0, max_depth=50, category="ep")
    h = dense_scores(A, B, C, f)[2]
    assert t.score == pytest.approx(h, rel=TOL)
    assert t.root.label == "act2"
    assert t.root.cumulative == pytest.approx(h, rel=TOL)
    accounted = 0.0
    for node in t.root.walk():
        if node.expanded:
            total = node.direct + node.rest + sum(c.cumulative for c in node.children)
            assert total == pytest.approx(node.cumulative, rel=1e-9, abs=1e-12 * abs(h))
            accounted += node.direct + node.rest
        else:
            assert node.loop  # cutoff 0 and deep enough: only loops stop the walk
            accounted += node.cumulative
    assert accounted == pytest.approx(h, rel=1e-9)
    assert len(list(t.root.walk())) == len(t) == len(t.to_frame())
    frame = t.to_frame()
    assert frame.parent.iloc[0] == -1
    assert (
        frame.depth.iloc[1:].to_numpy() == frame.depth.to_numpy()[frame.parent.iloc[1:]] + 1
    ).all()


def test_tree_cutoff_and_power_series(small):
    model, A, B, C = small
    lca = hiili.Lca(model)
    f = np.eye(12)[5]
    d = np.diag(A)
    M = -(A - np.diag(d)) / d  # -A_ij / A_jj
    b = C[0] @ B / d
    depth = 4
    t = lca.tree(f, cutoff=0.0, max_depth=depth, expand_loops=True, max_nodes=10**7)
    by_depth = np.zeros(depth + 1)
    for node in t.nodes:
        by_depth[node.depth] += node.direct
    p = f.copy()
    for level in range(depth + 1):
        assert by_depth[level] == pytest.approx(b @ p, rel=1e-9, abs=1e-12)
        p = M @ p
    big = lca.tree(f, cutoff=0.2)
    assert len(big) < len(t)
    for node in big.nodes[1:]:
        assert abs(node.cumulative) >= 0.2 * abs(big.score)


def test_tree_json_and_sankey(small):
    model, *_ = small
    lca = hiili.Lca(model)
    t = lca.tree({"act1": 1.0, "act4": 0.5}, cutoff=0.05)
    assert t.root.activity == -1
    assert t.root.label == "demand"
    data = json.loads(t.to_json(indent=2))
    assert data == t.to_dict()
    assert data["nodes"] == len(t)
    assert data["root"]["label"] == "demand"
    assert {c["label"] for c in data["root"]["children"]} <= {"act1", "act4"}
    assert data["root"]["cumulative"] == pytest.approx(t.score, rel=1e-12)
    d3 = t.sankey()
    assert len(d3["links"]) >= len(t) - 1
    for link in d3["links"]:
        assert link["value"] == abs(link["signed_value"]) >= 0
        assert 0 <= link["source"] < len(d3["nodes"])
        assert 0 <= link["target"] < len(t)
    # Inflow of an expanded node = its cumulative minus its direct impact.
    inflow = np.zeros(len(d3["nodes"]))
    for link in d3["links"]:
        inflow[link["target"]] += link["signed_value"]
    for i, node in enumerate(t.nodes):
        if node.expanded:
            assert inflow[i] == pytest.approx(node.cumulative - node.direct, rel=1e-9, abs=1e-14)
    plotly = t.sankey("plotly")
    assert plotly["type"] == "sankey"
    assert len(plotly["node"]["label"]) == len(d3["nodes"])
    assert plotly["link"]["value"] == [x["value"] for x in d3["links"]]
    json.dumps(plotly)  # plain data
    with pytest.raises(hiili.InvalidInputError):
        t.sankey("svg")
    with pytest.raises(hiili.InvalidInputError):
        lca.tree({1: 1.0}, cutoff=-0.5)
    with pytest.raises(hiili.InvalidInputError):
        lca.tree({1: 1.0}, max_depth=-1)
    assert "Tree" in repr(t)
    assert "TreeNode" in repr(t.root)


def test_tree_on_synth_stops_at_its_bounds(synth):
    _model, lca = synth
    t = lca.tree({1800: 1.0}, cutoff=0.0, max_depth=100, expand_loops=True, max_nodes=300)
    assert t.truncated
    assert len(t) == 300
    t = lca.tree({1800: 1.0})
    assert not t.truncated
    assert max(n.depth for n in t.nodes) <= 10


# ---- paths -------------------------------------------------------------------------------
def enumerate_paths(A, b, j, amount, length, max_length, prefix, out):
    prefix = (*prefix, j)
    value = amount / A[j, j] * b[j]
    if value != 0:
        out.append((value, prefix))
    if length < max_length:
        for i in np.nonzero(A[:, j])[0]:
            if i != j:
                enumerate_paths(
                    A, b, i, -A[i, j] / A[j, j] * amount, length + 1, max_length, prefix, out
                )


def test_paths_equal_brute_force(small):
    model, A, B, C = small
    lca = hiili.Lca(model)
    b = C[1] @ B
    found = []
    enumerate_paths(A, b, 6, 1.0, 0, 4, (), found)
    found.sort(key=lambda x: -abs(x[0]))
    frame = lca.paths({6: 1.0}, category="ap", top=20, cutoff=0.0, max_length=4)
    assert len(frame) == 20
    assert frame.attrs["complete"]
    for (value, _acts), (_, row) in zip(found[:20], frame.iterrows(), strict=True):
        assert row.value == pytest.approx(value, rel=1e-12)
        assert row.length == len(row.activities) - 1
        assert row.activities[0] == 6
    assert frame.path.iloc[0].startswith("act6")
    assert frame.share.sum() == pytest.approx(frame.attrs["coverage"], rel=1e-12)
    assert list(frame["rank"]) == list(range(1, 21))


def test_paths_cover_the_score_on_synth(synth):
    _model, lca = synth
    frame = lca.paths({1700: 1.0}, top=100)
    assert len(frame) == 100
    assert 0 < frame.attrs["coverage"] <= 1 + 1e-12
    assert frame.attrs["complete"]
    assert (np.diff(np.abs(frame.value)) <= 0).all()
    with pytest.raises(hiili.InvalidInputError):
        lca.paths({1700: 1.0}, top=0)


# ---- sensitivity -------------------------------------------------------------------------
def test_sensitivity_matches_finite_differences(small):
    model, A, B, C = small
    lca = hiili.Lca(model)
    f = np.eye(12)[9] * 3.0
    sens = lca.sensitivity(f, category="gwp")
    assert isinstance(sens.A, sp.csc_array)
    for name, M in (("A", model.A), ("B", model.B), ("C", model.C)):
        D = sens.derivatives(name)
        assert D.shape == M.shape
        np.testing.assert_array_equal(D.indptr, M.indptr)
        np.testing.assert_array_equal(D.indices, M.indices)
    mats = {"A": A, "B": B, "C": C}

    def h(m):
        return dense_scores(m["A"], m["B"], m["C"], f)[0]

    for name in "ABC":
        D = sens.derivatives(name).tocoo()
        for i, j, d in zip(D.row, D.col, D.data, strict=True):
            x = mats[name][i, j]
            step = 1e-6 * max(abs(x), 1e-3)
            up = {k: v.copy() for k, v in mats.items()}
            down = {k: v.copy() for k, v in mats.items()}
            up[name][i, j] += step
            down[name][i, j] -= step
            fd = (h(up) - h(down)) / (2 * step)
            assert d == pytest.approx(fd, rel=1e-5, abs=1e-7 * abs(sens.score)), (name, i, j)


def test_sensitivity_top_and_elasticities(small):
    model, *_ = small
    lca = hiili.Lca(model)
    sens = lca.sensitivity({"act0": 1.0}, category=0)
    top = sens.top(10)
    assert len(top) == 10
    assert list(top.columns) == [
        "matrix",
        "row",
        "col",
        "row_label",
        "col_label",
        "value",
        "derivative",
        "elasticity",
        "effect_10pct",
    ]
    assert (np.diff(np.abs(top.elasticity)) <= 1e-15).all()
    for _, row in top.iterrows():
        D = sens.derivatives(row.matrix)
        assert D[row.row, row.col] == row.derivative
        assert row.elasticity == pytest.approx(row.derivative * row.value / sens.score)
    only_b = sens.top(None, "B")
    assert set(only_b.matrix) == {"B"}
    assert only_b.elasticity.sum() == pytest.approx(1.0, rel=1e-12)  # degree-1 homogeneous
    assert sens.elasticities("A").sum() == pytest.approx(-1.0, rel=1e-12)
    assert sens.top(None, "C").elasticity.sum() == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(hiili.InvalidInputError):
        sens.top(5, "AX")
    with pytest.raises(hiili.InvalidInputError):
        sens.derivatives("D")
    # Read-only views that keep the result alive.
    with pytest.raises(ValueError, match="read-only"):
        sens.A.data[0] = 1.0


def test_sensitivity_on_synth_against_fresh_solves(synth):
    model, lca = synth
    f = np.eye(model.n)[1999]
    sens = lca.sensitivity(f, category=2)
    top = sens.top(5, "AB")
    for _, row in top.iterrows():
        M = getattr(model, row.matrix).copy().tolil()
        step = 1e-6 * abs(row.value)
        scores = []
        for sign in (1, -1):
            N = M.copy()
            N[row.row, row.col] = row.value + sign * step
            A = N.tocsc() if row.matrix == "A" else model.A
            B = N.tocsc() if row.matrix == "B" else model.B
            s = spsolve(A, f)
            scores.append((model.C @ (B @ s))[2])
        fd = (scores[0] - scores[1]) / (2 * step)
        assert row.derivative == pytest.approx(fd, rel=1e-5)


# ---- scenarios ---------------------------------------------------------------------------
def test_scenario_object_and_json(tmp_path):
    sc = hiili.Scenario("wind power", [("A", 1, 2, -0.5), ("B", "co2", "steel", 1.5)])
    sc.add("C", 0, "co2", 1.0)
    assert len(sc) == 3
    back = hiili.Scenario.from_json(sc.to_json())
    assert back == sc
    path = tmp_path / "wind.json"
    sc.save(path)
    assert hiili.Scenario.load(path) == sc
    data = json.loads(path.read_text())
    assert data["name"] == "wind power"
    assert data["changes"][1] == {"matrix": "B", "row": "co2", "col": "steel", "value": 1.5}
    assert "wind power" in repr(sc)
    with pytest.raises(hiili.FormatError):
        hiili.Scenario.from_json('{"changes": [{"matrix": "Q", "row": 0, "col": 0, "value": 1}]}')
    with pytest.raises(hiili.FormatError):
        hiili.Scenario.load(tmp_path / "missing.json")
    with pytest.raises(hiili.InvalidInputError):
        hiili.Scenario("x", [("D", 0, 0, 1.0)])
    with pytest.raises(hiili.InvalidInputError):
        hiili.Scenario("x", [("A", -1, 0, 1.0)])
    with pytest.raises(hiili.InvalidInputError):
        hiili.Scenario("x", [("A", 0, 0, math.nan)])
    with pytest.raises(hiili.InvalidInputError):
        hiili.Scenario("x", [("A", 0, 0)])
    with pytest.raises(TypeError):
        hiili.Scenario("x", [("A", 0.5, 0, 1.0)])
    with pytest.raises(TypeError):
        hiili.Scenario("x", [("A", 0, 0, "1")])
    with pytest.raises(TypeError):
        hiili.Scenario(3)


@pytest.mark.parametrize("strategy", ["auto", "woodbury", "refactor"])
def test_what_if_equals_fresh_solves(small, strategy, backend):
    model, A, B, C = small
    lca = hiili.Lca(model, backend)
    f = np.eye(12)[3]
    # Inside and outside A's pattern, by index and by label; B and C changes.
    outside = next((i, j) for j in range(12) for i in range(12) if i != j and A[i, j] == 0)
    inside = next((i, j) for j in range(12) for i in range(12) if i != j and A[i, j] != 0)
    sc1 = hiili.Scenario("supplier switch", [("A", *inside, 0.0), ("A", *outside, -0.3)])
    sc2 = hiili.Scenario(
        "efficiency", [("A", "act3", "act3", A[3, 3] * 1.25), ("B", "flow1", "act3", 0.0)]
    )
    sc3 = hiili.Scenario("factors", [("C", "gwp", "flow0", 100.0)])
    frame = lca.what_if(f, [sc1, sc2, sc3], strategy=strategy)
    assert list(frame.columns) == ["baseline", "supplier switch", "efficiency", "factors"]
    assert list(frame.index) == ["gwp", "ap", "ep"]
    np.testing.assert_allclose(frame.baseline, dense_scores(A, B, C, f), rtol=TOL)
    for sc in (sc1, sc2, sc3):
        mats = {"A": A.copy(), "B": B.copy(), "C": C.copy()}
        for name, row, col, value in sc.resolved(model).changes:
            mats[name][row, col] = value
        want = dense_scores(mats["A"], mats["B"], mats["C"], f)
        np.testing.assert_allclose(frame[sc.name], want, rtol=TOL)
    # The Lca is unchanged.
    np.testing.assert_allclose(lca.solve(f).scores, frame.baseline, rtol=1e-15)


def test_what_if_full_details_and_errors(small):
    model, *_ = small
    lca = hiili.Lca(model)
    sc = hiili.Scenario("s", [("A", 1, 0, -0.2)])
    w = lca.what_if({0: 1.0}, [sc, sc], full=True)
    assert list(w.scores.columns) == ["baseline", "s", "s (2)"]
    assert set(w.results) == {"baseline", "s", "s (2)"}
    assert isinstance(w.results["s"], hiili.Result)
    np.testing.assert_allclose(w.results["s"].scores, w.scores["s"])
    assert list(w.details.method) == ["woodbury", "woodbury"]
    assert (w.details["rank"] == 1).all()
    assert (w.details.residual <= 1e-12).all()
    single = lca.what_if({0: 1.0}, sc)
    assert list(single.columns) == ["baseline", "s"]
    assert lca.what_if({0: 1.0}, []).shape == (3, 1)
    nothing = lca.what_if({0: 1.0}, hiili.Scenario("only B", [("B", 0, 0, 3.0)]), full=True)
    assert nothing.details.method[0] == "unchanged"
    with pytest.raises(hiili.InvalidInputError):
        lca.what_if({0: 1.0}, [hiili.Scenario("bad", [("A", 99, 0, 1.0)])])
    with pytest.raises(hiili.InvalidInputError):
        lca.what_if({0: 1.0}, [hiili.Scenario("bad", [("A", "nope", 0, 1.0)])])
    with pytest.raises(hiili.InvalidInputError):
        lca.what_if({0: 1.0}, [hiili.Scenario("twice", [("A", 1, 0, 1.0), ("A", 1, 0, 2.0)])])
    with pytest.raises(hiili.InvalidInputError):
        lca.what_if({0: 1.0}, [sc], strategy="magic")
    with pytest.raises(TypeError):
        lca.what_if({0: 1.0}, [("A", 1, 0, 1.0)])
    singular = hiili.Scenario(
        "no output",
        [("A", 0, 0, 0.0)] + [("A", i, 0, 0.0) for i in range(1, 12) if model.A[i, 0] != 0],
    )
    with pytest.raises(hiili.SingularMatrixError):
        lca.what_if({0: 1.0}, [singular])


def test_what_if_rank_five_on_synth(synth):
    model, lca = synth
    A = model.A.tolil()
    f = np.zeros(model.n)
    f[1900] = 1.0
    changes = []
    for j in (1900, 1500, 1200, 900, 700):
        col = model.A[:, [j]].tocoo()
        i = next(int(r) for r in col.row if r != j)
        changes.append(("A", i, j, model.A[i, j] * 0.5))
        A[i, j] = model.A[i, j] * 0.5
    w = lca.what_if(f, [hiili.Scenario("five", changes)], full=True)
    # The rank is that of the change: distinct columns or distinct rows, whichever is fewer.
    rank = min(len({c[1] for c in changes}), len({c[2] for c in changes}))
    assert w.details.method[0] == "woodbury"
    assert w.details["rank"][0] == rank
    s = spsolve(A.tocsc(), f)
    np.testing.assert_allclose(w.results["five"].supply, s, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(w.scores["five"], model.C @ (model.B @ s), rtol=1e-10)


def test_analysis_functions_are_public(small):
    model, *_ = small
    lca = hiili.Lca(model)
    assert isinstance(analysis.contributions(lca, {0: 1.0}), pd.DataFrame)
    assert isinstance(analysis.tree(lca, {0: 1.0}), analysis.Tree)
    assert isinstance(analysis.sensitivity(lca, {0: 1.0}), analysis.Sensitivity)
    assert analysis.display_labels(hiili._core.Labels(), 2) == ["#0", "#1"]


def test_what_if_on_uslci_is_woodbury_and_equals_refactoring():
    # A real database (USLCI, 766 processes; supplies up to ~1e6, coefficients up to ~1e8):
    # Woodbury answers are exact to rounding there, and the scale-aware check (the solver's
    # backward error) accepts them; a check relative to ||f|| alone sent some to refactoring.
    from pathlib import Path

    path = Path(__file__).resolve().parents[3] / "shared" / "data" / "uslci"
    model = hiili.read(path / "uslci_olca1_5_0_json_ld.zip")
    with pytest.warns(hiili.IllConditionedWarning, match="8.56e"):  # docs/math.md
        lca = hiili.Lca(model)
    A = sp.csc_matrix(model.A)
    n = A.shape[0]
    rng = np.random.default_rng(1)
    scenarios, demands = [], []
    while len(scenarios) < 40:
        j = int(rng.integers(n))
        rows = [int(i) for i in A.indices[A.indptr[j] : A.indptr[j + 1]] if i != j]
        if rows:
            i = rows[int(rng.integers(len(rows)))]
            scenarios.append(hiili.Scenario(f"s{j}", [("A", i, j, 0.5 * A[i, j])]))
            demands.append(j)
    methods = []
    for j, sc in zip(demands, scenarios, strict=True):
        f = np.zeros(n)
        f[j] = 1.0
        got = lca.what_if(f, [sc], full=True)
        ref = lca.what_if(f, [sc], strategy="refactor", full=True)
        methods.append(got.details["method"].iloc[0])
        assert not got.details["fell_back"].iloc[0]
        s_got = got.results[sc.name].supply
        s_ref = ref.results[sc.name].supply
        assert np.max(np.abs(s_got - s_ref)) <= 1e-9 * np.max(np.abs(s_ref))
    assert set(methods) == {"woodbury"}
