"""hiili.distributed on a real distributed.LocalCluster (2 worker processes on loopback):
Monte Carlo identical to one machine's run, a worker killed mid-run, cancellation, sweeps
against scipy, typed errors naming the variant, pickling of models and results."""

import os
import pickle
import signal

import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as spla
from distributed import Client, LocalCluster

import hiili
from hiili import _core
from hiili.distributed import _worker


@pytest.fixture(scope="module")
def client():
    cluster = LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        dashboard_address=None,
        host="127.0.0.1",
    )
    with cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def model():
    return hiili.synth(400, seed=3, k=3, uncertainty=True)


def single(model, demand, n, **kwargs):
    first = kwargs.pop("first_iteration", 0)
    return hiili.MonteCarlo(model, demand, seed=11, threads=1, **kwargs).run(
        n, first_iteration=first, progress=False
    )


# ---- pickling -----------------------------------------------------------------------------


def test_model_pickles_its_arrays(model):
    copy = pickle.loads(pickle.dumps(model))
    for name in ("A", "B", "C"):
        a, b = getattr(model, name), getattr(copy, name)
        np.testing.assert_array_equal(a.indptr, b.indptr)
        np.testing.assert_array_equal(a.indices, b.indices)
        np.testing.assert_array_equal(a.data, b.data)
        ea, eb = model.entries(name), copy.entries(name)
        assert list(ea.columns) == list(eb.columns)
        for column in ea.columns:
            np.testing.assert_array_equal(ea[column].to_numpy(), eb[column].to_numpy())
    assert model.activities.equals(copy.activities)
    assert model.categories.equals(copy.categories)
    assert _worker.fingerprint(copy) == _worker.fingerprint(model)
    demand = {0: 1.0, 7: 2.0}
    np.testing.assert_array_equal(
        hiili.Lca(model).solve(demand).scores, hiili.Lca(copy).solve(demand).scores
    )


def test_model_state_is_checked(model):
    state = model._cpp.__getstate__()
    state[1]["slot"] = state[1]["slot"].copy()
    state[1]["slot"][5] = len(state[1]["values"]) + 3
    broken = _core.Model.__new__(_core.Model)
    with pytest.raises(hiili.InvalidInputError, match="technosphere A entry 5"):
        broken.__setstate__(state)


def test_result_pickles_with_statistics(model):
    mc = hiili.MonteCarlo(
        model, {3: 1.0}, seed=2, threads=1, keep_scores=False, inventory_statistics=True
    )
    raw = mc.run(50, progress=False)._raw
    copy = pickle.loads(pickle.dumps(raw))
    assert copy.completed == raw.completed == 50
    for a, b in zip(
        raw.score_statistics + raw.inventory, copy.score_statistics + copy.inventory, strict=True
    ):
        assert a.count == b.count
        for q in (0.1, 0.5, 0.9):
            np.testing.assert_array_equal(a.quantile(q), b.quantile(q))
        np.testing.assert_array_equal(a.mean(), b.mean())
        np.testing.assert_array_equal(a.variance(), b.variance())
    assert copy.report.iterations == raw.report.iterations


def test_scenario_pickles():
    sc = hiili.Scenario("wind", [("A", 1, 0, -0.3), ("B", 0, 2, 1.5)])
    assert pickle.loads(pickle.dumps(sc)) == sc


# ---- Monte Carlo --------------------------------------------------------------------------


@pytest.mark.parametrize(("per_task", "first"), [(37, 0), (100, 250), (None, 5)])
def test_monte_carlo_is_bit_identical(client, model, per_task, first):
    demand = {10: 1.0, 20: 0.5}
    expected = single(model, demand, 300, first_iteration=first)
    mc = hiili.MonteCarlo(model, demand, seed=11)
    got = mc.run(300, first_iteration=first, client=client, iterations_per_task=per_task)
    assert got.first_iteration == first
    assert got.completed == 300
    assert not got.cancelled
    np.testing.assert_array_equal(got.scores, expected.scores)
    np.testing.assert_array_equal(got.failed, expected.failed)
    assert got.summary().equals(expected.summary())


def test_compare_is_bit_identical(client, model):
    demands = {"a": {10: 1.0}, "b": {11: 1.0}}
    expected = hiili.MonteCarlo.compare(model, demands, iterations=120, seed=4, threads=1)
    got = hiili.MonteCarlo.compare(model, demands, iterations=120, seed=4, client=client)
    for label in ("a", "b"):
        np.testing.assert_array_equal(got.scores(label), expected.scores(label))
    assert got.probability_less("a", "b").equals(expected.probability_less("a", "b"))


def test_streaming_statistics_merge(client, model):
    demand = {10: 1.0}
    expected = single(model, demand, 400, keep_scores=False)
    mc = hiili.MonteCarlo(model, demand, seed=11, keep_scores=False)
    got = mc.run(400, client=client, iterations_per_task=60)
    assert not got.scores_kept
    assert got.scores.shape == (0, model.k)
    a, b = got.summary(), expected.summary()
    exact = ["deterministic", "min", "q0.025", "q0.5", "q0.975", "max", "iterations"]
    assert a[exact].equals(b[exact])
    np.testing.assert_allclose(a["mean"], b["mean"], rtol=1e-14)
    np.testing.assert_allclose(a["std"], b["std"], rtol=1e-12)


def test_each_worker_builds_the_model_once(client, model):
    demand = {30: 1.0}
    mc = hiili.MonteCarlo(model, demand, seed=11)
    mc.run(200, client=client, iterations_per_task=20)
    key = _worker.settings_key(_worker.fingerprint(model), mc._arguments)
    keys = client.run(_worker.cache_keys)
    assert len(keys) == 2
    assert all(ks.count(key) <= 1 for ks in keys.values())
    assert any(key in ks for ks in keys.values())


def test_a_killed_worker_loses_nothing(client, model):
    demand = {40: 1.0}
    expected = single(model, demand, 600)
    pids = client.run(os.getpid)
    killed = []

    def kill_one(completed, total, seconds):
        if not killed:
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
        return True

    mc = hiili.MonteCarlo(model, demand, seed=11)
    got = mc.run(600, client=client, iterations_per_task=10, progress=kill_one)
    assert killed
    np.testing.assert_array_equal(got.scores, expected.scores)
    assert got.completed == 600
    assert not got.cancelled
    client.wait_for_workers(2, timeout=60)
    assert killed[0] not in client.run(os.getpid).values()


def test_cancel_keeps_the_finished_prefix(client, model):
    demand = {50: 1.0}
    expected = single(model, demand, 400)
    mc = hiili.MonteCarlo(model, demand, seed=11)
    got = mc.run(400, client=client, iterations_per_task=20, progress=lambda done, total, s: False)
    assert got.cancelled
    assert got.completed < 400
    assert got.completed % 20 == 0
    np.testing.assert_array_equal(got.scores, expected.scores[: got.completed])


def test_ctrl_c_raises_and_keeps_partial(client, model):
    demand = {50: 1.0}
    expected = single(model, demand, 400)

    def interrupt(done, total, seconds):
        raise KeyboardInterrupt

    mc = hiili.MonteCarlo(model, demand, seed=11)
    with pytest.raises(KeyboardInterrupt, match=r"completed ones are in \.partial"):
        mc.run(400, client=client, iterations_per_task=20, progress=interrupt)
    assert mc.partial.cancelled
    assert mc.partial.completed < 400
    np.testing.assert_array_equal(mc.partial.scores, expected.scores[: mc.partial.completed])


# ---- sweeps -------------------------------------------------------------------------------


def scipy_scores(model, changes, demand):
    """h = C B A^-1 f with scipy, after setting the changed entries (an independent answer)."""
    mats = {name: sp.lil_matrix(getattr(model, name)) for name in ("A", "B", "C")}
    for matrix, row, col, value in changes:
        mats[matrix][row, col] = value
    f = np.zeros(model.n)
    for j, amount in demand.items():
        f[j] += amount
    s = spla.spsolve(sp.csc_matrix(mats["A"]), f)
    return sp.csr_matrix(mats["C"]) @ (sp.csr_matrix(mats["B"]) @ s)


def stored(matrix, col, skip_diagonal=True):
    """A stored (row, col) of a matrix's column."""
    column = matrix[:, [col]].tocoo()
    rows = [r for r in column.row if not (skip_diagonal and r == col)]
    return int(rows[0]), col


def test_sweep_matches_scipy(client):
    model = hiili.synth(300, seed=5, k=3)
    ra, ca = stored(model.A, 12)
    rb, cb = stored(model.B, 40, skip_diagonal=False)
    scenarios = [
        hiili.Scenario("more input", [("A", ra, ca, 2.0 * model.A[ra, ca])]),
        hiili.Scenario("cleaner", [("B", rb, cb, 0.25 * model.B[rb, cb])]),
    ]
    demands = {"one": {12: 1.0}, "two": {40: 2.0, 3: 1.0}}
    frame = hiili.distributed.sweep(client, model, demands, scenarios, variants_per_task=1)
    assert list(frame.columns) == ["variant", "demand", "category", "score"]
    assert len(frame) == 3 * 2 * model.k
    changes = {"base": [], "more input": scenarios[0].changes, "cleaner": scenarios[1].changes}
    labels = hiili.analysis._category_labels(model)
    for (variant, demand), group in frame.groupby(["variant", "demand"]):
        expected = scipy_scores(model, changes[variant], demands[demand])
        assert list(group["category"]) == labels
        np.testing.assert_allclose(group["score"].to_numpy(), expected, rtol=1e-9)


def test_sweeps_on_one_model_one_after_another(client):
    # Each sweep ships the model under keys of its own: a later sweep never loses the model
    # an earlier one released.
    model = hiili.synth(200, seed=6, k=2)
    scenarios = [hiili.Scenario(f"s{i}", [("A", *stored(model.A, i), 0.5)]) for i in range(4)]
    first = hiili.distributed.sweep(client, model, [{1: 1.0}], scenarios, variants_per_task=1)
    for per_task in (1, 3):
        again = hiili.distributed.sweep(
            client, model, [{1: 1.0}], scenarios, variants_per_task=per_task
        )
        assert again.equals(first)


def test_sweep_over_models_and_categories(client):
    models = {"2030": hiili.synth(200, seed=1, k=2), "2050": hiili.synth(200, seed=2, k=2)}
    frame = hiili.distributed.sweep(client, models, [{5: 1.0}], categories=[1])
    assert sorted(frame["variant"]) == ["2030", "2050"]
    for name, m in models.items():
        row = frame[frame["variant"] == name]
        expected = scipy_scores(m, [], {5: 1.0})[1]
        np.testing.assert_allclose(row["score"].to_numpy(), [expected], rtol=1e-9)


def test_activity_scores_of_variants(client):
    model = hiili.synth(150, seed=8, k=2)
    ra, ca = stored(model.A, 7)
    sc = hiili.Scenario("changed", [("A", ra, ca, 0.5 * model.A[ra, ca])])
    frame = hiili.distributed.activity_scores(client, model, [sc])
    base = hiili.Lca(model).activity_scores()
    changed = hiili.Lca(hiili.linking.apply_scenario(model, sc)).activity_scores()
    np.testing.assert_allclose(frame.loc["base"].to_numpy(), base, rtol=1e-12)
    np.testing.assert_allclose(frame.loc["changed"].to_numpy(), changed, rtol=1e-12)


def test_singular_variant_is_a_typed_error_naming_it(client):
    A = sp.csc_matrix(np.array([[1.0, 0.0, 0.0], [-0.5, 1.0, 0.0], [0.0, -0.2, 1.0]]))
    B = sp.csc_matrix(np.array([[1.0, 2.0, 3.0]]))
    C = sp.csc_matrix(np.array([[1.0]]))
    model = hiili.Model(A, B, C)
    broken = hiili.Scenario("broken", [("A", 1, 1, 0.0), ("A", 2, 1, 0.0)])
    with pytest.raises(hiili.SingularMatrixError, match="variant 'broken'") as info:
        hiili.distributed.sweep(client, model, [{0: 1.0}], [hiili.Scenario("fine"), broken])
    assert info.value.variant == "broken"


def test_bad_demand_is_a_typed_error(client, model):
    with pytest.raises(hiili.InvalidInputError):
        hiili.distributed.sweep(client, model, [{"no such activity": 1.0}])
