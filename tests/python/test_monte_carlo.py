"""hiili.MonteCarlo and the stats_arrays distributions, from Python.

Every random draw here is seeded: each Kolmogorov-Smirnov statistic and sample moment below is
a fixed number on every machine, so the thresholds (with margin over the usual critical values)
cannot flake.
"""

from __future__ import annotations

import os
import signal
import threading

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import hiili

N = 20000
KS_LIMIT = 0.016  # the 1 % critical value for n = 20000 is 0.0115

# (name, hiili parameters, scipy frozen distribution)
CONTINUOUS = [
    ("lognormal", dict(type=2, loc=np.log(2.0), scale=0.4), stats.lognorm(s=0.4, scale=2.0)),
    ("normal", dict(type=3, loc=5.0, scale=2.0), stats.norm(5.0, 2.0)),
    ("uniform", dict(type=4, minimum=-1.0, maximum=3.0), stats.uniform(-1.0, 4.0)),
    (
        "triangular",
        dict(type=5, loc=2.0, minimum=1.0, maximum=5.0),
        stats.triang(c=0.25, loc=1.0, scale=4.0),
    ),
    ("weibull", dict(type=8, loc=1.0, scale=2.0, shape=1.5), stats.weibull_min(1.5, 1.0, 2.0)),
    ("gamma", dict(type=9, scale=1.5, shape=2.5), stats.gamma(2.5, scale=1.5)),
    ("gamma, shape < 1", dict(type=9, loc=1.0, scale=2.0, shape=0.3), stats.gamma(0.3, 1.0, 2.0)),
    ("beta", dict(type=10, loc=2.0, shape=5.0), stats.beta(2.0, 5.0)),
    (
        "beta rescaled",
        dict(type=10, loc=0.5, shape=0.5, minimum=-2.0, maximum=2.0),
        stats.beta(0.5, 0.5, loc=-2.0, scale=4.0),
    ),
    ("gumbel", dict(type=11, loc=1.0, scale=2.0, shape=0.0), stats.gumbel_r(1.0, 2.0)),
    ("student t", dict(type=12, loc=1.0, scale=2.0, shape=5.0), stats.t(5.0, 1.0, 2.0)),
]


def draws(seed=2024, **params):
    return hiili.sample_distribution(seed=seed, count=N, stream=11, **params)


@pytest.mark.parametrize(("name", "params", "ref"), CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_distributions_match_scipy(name, params, ref):
    x = draws(**params)
    d, _ = stats.kstest(x, ref.cdf)
    assert d < KS_LIMIT, f"{name}: KS statistic {d}"
    se = ref.std() / np.sqrt(N)
    assert abs(x.mean() - ref.mean()) < 6 * se, name
    tol = 0.12 if name == "student t" else 0.05  # t(5): a heavy-tailed sample variance
    assert abs(x.var(ddof=1) / ref.var() - 1) < tol, name


def test_negative_lognormal_is_the_mirror_image():
    x = draws(type=2, loc=np.log(3.0), scale=0.5, negative=True)
    assert (x < 0).all()
    d, _ = stats.kstest(-x, stats.lognorm(s=0.5, scale=3.0).cdf)
    assert d < KS_LIMIT


def _truncated_cdf(ref, a, b):
    fa, fb = ref.cdf(a), ref.cdf(b)
    return lambda x: (np.clip(ref.cdf(x), fa, fb) - fa) / (fb - fa)


TRUNCATED = [
    ("normal", dict(type=3, loc=5.0, scale=2.0), stats.norm(5.0, 2.0), 4.0, 7.0),
    ("normal upper tail", dict(type=3, loc=0.0, scale=1.0), stats.norm(), 3.0, np.inf),
    ("lognormal", dict(type=2, loc=0.0, scale=0.8), stats.lognorm(s=0.8), 0.5, 3.0),
    ("weibull", dict(type=8, loc=0.0, scale=1.0, shape=2.0), stats.weibull_min(2.0), 0.2, 0.9),
    ("gamma", dict(type=9, scale=1.0, shape=2.0), stats.gamma(2.0), 0.5, 1.5),
    ("gumbel", dict(type=11, loc=0.0, scale=1.0), stats.gumbel_r(), -0.5, 2.0),
    ("student t", dict(type=12, loc=0.0, scale=1.0, shape=3.0), stats.t(3.0), -1.0, 0.5),
]


@pytest.mark.parametrize(
    ("name", "params", "ref", "a", "b"), TRUNCATED, ids=[c[0] for c in TRUNCATED]
)
def test_truncated_distributions_match_scipy(name, params, ref, a, b):
    x = draws(minimum=a, maximum=b if np.isfinite(b) else np.nan, **params)
    assert x.min() >= a
    assert x.max() <= b
    d, _ = stats.kstest(x, _truncated_cdf(ref, a, b))
    assert d < KS_LIMIT, f"{name}: KS statistic {d}"


def test_truncated_normal_matches_truncnorm_moments():
    x = draws(type=3, loc=5.0, scale=2.0, minimum=4.0, maximum=7.0)
    ref = stats.truncnorm(-0.5, 1.0, loc=5.0, scale=2.0)
    assert abs(x.mean() - ref.mean()) < 6 * ref.std() / np.sqrt(N)
    assert abs(x.var(ddof=1) / ref.var() - 1) < 0.05


def test_discrete_distributions():
    b = draws(type=6, loc=0.3)
    assert set(np.unique(b)) == {0.0, 1.0}
    assert abs(b.mean() - 0.3) < 5 * np.sqrt(0.21 / N)
    u = draws(type=7, minimum=2.0, maximum=7.0)
    values, counts = np.unique(u, return_counts=True)
    assert list(values) == [2.0, 3.0, 4.0, 5.0, 6.0]
    chi2 = ((counts - N / 5) ** 2 / (N / 5)).sum()
    assert chi2 < 20.0  # 4 degrees of freedom: the 0.05 % critical value is 20.0
    fixed = hiili.sample_distribution(type=1, loc=99.0, amount=7.25, count=10)
    assert (fixed == 7.25).all()


def test_draws_are_reproducible_and_split_invariant():
    p = dict(type=9, scale=1.0, shape=0.7)
    a = hiili.sample_distribution(seed=5, count=1000, **p)
    assert np.array_equal(a, hiili.sample_distribution(seed=5, count=1000, **p))
    first = hiili.sample_distribution(seed=5, count=500, **p)
    second = hiili.sample_distribution(seed=5, count=500, first_iteration=500, **p)
    assert np.array_equal(a, np.concatenate([first, second]))
    assert not np.array_equal(a, hiili.sample_distribution(seed=6, count=1000, **p))


@pytest.mark.parametrize(
    ("params", "word"),
    [
        (dict(type=2, loc=0.0, scale=0.0), "scale"),
        (dict(type=3, loc=0.0, scale=1.0, minimum=2.0, maximum=1.0), "minimum"),
        (dict(type=5, loc=9.0, minimum=1.0, maximum=5.0), "mode"),
        (dict(type=11, loc=0.0, scale=1.0, shape=0.3), "Gumbel"),
        (dict(type=13, loc=0.0, scale=1.0), "unknown"),
    ],
)
def test_bad_parameters(params, word):
    assert word in hiili.check_uncertainty(**params)
    with pytest.raises(hiili.InvalidInputError, match=word):
        hiili.sample_distribution(**params)


# ---- the engine -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model():
    return hiili.synth(600, seed=3, uncertainty=True)


def test_synth_has_lognormal_uncertainty_on_a_and_b(model):
    a = model.entries("A")
    b = model.entries("B")
    off = a["row"] != a["col"]
    assert (a["uncertainty_type"][off] == 2).all()
    assert (a["negative"][off]).all()
    assert (b["uncertainty_type"] == 2).all()


def test_run_gives_scores_and_summaries(model):
    mc = hiili.MonteCarlo(model, {599: 1.0}, seed=0)
    res = mc.run(200)
    assert res.scores.shape == (200, model.k)
    assert np.isfinite(res.scores).all()
    assert res.completed == 200
    assert not res.cancelled
    assert len(res.failed) == 0
    summary = res.summary()
    assert list(summary.columns) == [
        "deterministic",
        "mean",
        "std",
        "min",
        "q0.025",
        "q0.5",
        "q0.975",
        "max",
        "iterations",
    ]
    assert len(summary) == model.k
    assert (summary["iterations"] == 200).all()
    np.testing.assert_allclose(summary["mean"], res.scores.mean(axis=0))
    frame = res.to_frame()
    assert frame.index.name == "iteration"
    assert frame.shape == (200, model.k)
    lca = hiili.Lca(model)
    np.testing.assert_allclose(summary["deterministic"], lca.solve({599: 1.0}).scores, rtol=1e-12)
    assert "it/s" in res.report.brief()
    assert mc.num_active <= model.n


def test_bit_identical_at_1_2_and_4_threads(model):
    runs = [
        hiili.MonteCarlo(model, {599: 1.0}, seed=9, threads=t).run(150).scores for t in (1, 2, 4)
    ]
    assert np.array_equal(runs[0], runs[1])
    assert np.array_equal(runs[0], runs[2])


def test_split_runs_equal_one_run(model):
    mc = hiili.MonteCarlo(model, {599: 1.0}, seed=4)
    whole = mc.run(1000).scores
    first = mc.run(500)
    second = mc.run(500, first_iteration=500)
    assert np.array_equal(whole, np.vstack([first.scores, second.scores]))
    joined = first.append(second)
    assert np.array_equal(joined.scores, whole)
    assert list(joined.iterations) == list(range(1000))


def _all_fixed(model, type_id):
    out = model
    for m in ("A", "B", "C"):
        n = len(model.entries(m))
        out = hiili.with_uncertainty(out, m, {"uncertainty_type": np.full(n, type_id, np.uint8)})
    return out


@pytest.mark.parametrize("type_id", [0, 1])
def test_fixed_entries_equal_lca_exactly(model, type_id):
    fixed = _all_fixed(model, type_id)
    demand = {599: 1.0, 17: 2.5}
    want = hiili.Lca(fixed).solve(demand).scores
    with pytest.warns(hiili.NoUncertaintyWarning):
        res = hiili.MonteCarlo(fixed, demand, seed=1).run(10)
    for row in res.scores:
        assert np.array_equal(row, want)


def test_lognormal_mean_matches_the_analytic_value():
    # One activity: s = 1 / a with a lognormal (median 2, sigma 0.3); b lognormal (median 3,
    # sigma 0.2). E[score] = E[b] E[1/a] = 3 e^{0.02} / 2 e^{0.045}.
    base = hiili.Model(np.array([[2.0]]), np.array([[3.0]]), np.array([[1.0]]))
    m = hiili.with_uncertainty(
        base, "A", {"uncertainty_type": [2], "loc": [np.log(2.0)], "scale": [0.3]}
    )
    m = hiili.with_uncertainty(
        m, "B", {"uncertainty_type": [2], "loc": [np.log(3.0)], "scale": [0.2]}
    )
    res = hiili.MonteCarlo(m, {0: 1.0}, seed=7).run(40000)
    h = res.scores[:, 0]
    e_s, e_s2 = np.exp(-np.log(2.0) + 0.045), np.exp(-2 * np.log(2.0) + 0.18)
    e_b, e_b2 = np.exp(np.log(3.0) + 0.02), np.exp(2 * np.log(3.0) + 0.08)
    mean, var = e_b * e_s, e_b2 * e_s2 - (e_b * e_s) ** 2
    assert abs(h.mean() - mean) < 5 * np.sqrt(var / h.size)
    assert abs(h.var(ddof=1) / var - 1) < 0.04


def test_singular_iterations_are_reported():
    # A = [[1, 0], [-0.5, b]] with b Bernoulli(0.7): singular when b = 0.
    base = hiili.Model(
        np.array([[1.0, 0.0], [-0.5, 1.0]]), np.array([[1.0, 2.0]]), np.array([[1.0]])
    )
    entries = base.entries("A")
    types = np.where((entries["row"] == 1) & (entries["col"] == 1), 6, 0).astype(np.uint8)
    loc = np.where(types == 6, 0.7, np.nan)
    m = hiili.with_uncertainty(base, "A", {"uncertainty_type": types, "loc": loc})
    res = hiili.MonteCarlo(m, {0: 1.0}, seed=3).run(300)
    assert res.completed == 300
    assert 40 < len(res.failed) < 150
    assert np.isnan(res.scores[res.failed]).all()
    ok = np.setdiff1d(np.arange(300), res.failed)
    assert np.isfinite(res.scores[ok]).all()
    assert res.report.failed == len(res.failed)
    assert res.summary()["iterations"].iloc[0] == 300 - len(res.failed)


def test_compare_uses_common_random_numbers(model):
    cmp = hiili.MonteCarlo.compare(
        model, {"one": {599: 1.0}, "two": {599: 2.0}, "other": {580: 1.0}}, iterations=200, seed=2
    )
    assert cmp.labels == ["one", "two", "other"]
    assert np.array_equal(cmp.scores("two"), 2 * cmp.scores("one"))
    p = cmp.probability_less("one", "two")
    assert isinstance(p, pd.Series)
    assert (p == 1.0).all()
    assert cmp.probabilities(0).loc["two", "one"] == 0.0
    diff = cmp.difference("two", "one")
    assert np.array_equal(diff.to_numpy(), cmp.scores("one"))
    summary = cmp.summary()
    assert set(summary.index.get_level_values("alternative")) == {"one", "two", "other"}
    as_list = hiili.MonteCarlo.compare(model, [{599: 1.0}, {599: 2.0}], iterations=20, seed=2)
    assert as_list.labels == ["alternative 0", "alternative 1"]
    assert np.array_equal(as_list.scores(0), cmp.scores("one")[:20])
    with pytest.raises(hiili.InvalidInputError):
        hiili.MonteCarlo.compare(model, [{599: 1.0}])
    # The same demand alone sees the same draws (up to the rounding of another system).
    alone = hiili.MonteCarlo(model, {580: 1.0}, seed=2).run(200).scores
    np.testing.assert_allclose(alone, cmp.scores("other"), rtol=1e-10)


def test_inventory_statistics(model):
    mc = hiili.MonteCarlo(model, {599: 1.0}, seed=5, inventory_statistics=True)
    res = mc.run(300)
    inv = res.inventory_summary()
    assert len(inv) == model.m
    assert {"mean", "std", "min", "q0.5", "max"} <= set(inv.columns)
    assert inv.attrs["count"] == 300
    # Scores are linear in the inventory: mean score = C mean inventory.
    c_mean = model.C @ inv["mean"].to_numpy()
    np.testing.assert_allclose(res.scores.mean(axis=0), c_mean, rtol=1e-10)
    with pytest.raises(hiili.InvalidInputError):
        hiili.MonteCarlo(model, {599: 1.0}).run(5).inventory_summary()


@pytest.mark.parametrize("threads", [1, 2])
def test_progress_callback_can_cancel(model, threads):
    seen = []

    def progress(done, total, seconds):
        seen.append(done)
        return done < 10

    mc = hiili.MonteCarlo(model, {599: 1.0}, seed=1, progress_interval=0.0, threads=threads)
    # Far more iterations than run before the callback stops them (minutes of work), so the
    # run ends by the callback whatever the scheduling.
    many = 1_000_000
    res = mc.run(many, progress=progress)
    assert res.cancelled
    # Progress counts iterations finished in order, so the result keeps at least the 10 that
    # stopped it, at any thread count.
    assert 10 <= res.completed < many
    assert res.scores.shape[0] == res.completed
    assert np.array_equal(res.scores, mc.run(res.completed).scores)
    assert seen[0] == 0  # called once before the first iteration
    assert seen == sorted(seen)
    assert seen[-1] == res.completed
    hiili.MonteCarlo(model, {599: 1.0}).run(20, progress=True)  # a tqdm bar, when installed


def test_progress_callback_that_stops_at_once_runs_nothing(model):
    mc = hiili.MonteCarlo(model, {599: 1.0}, seed=1)
    res = mc.run(100, progress=lambda done, total, seconds: False)
    assert res.cancelled
    assert res.completed == 0


def test_progress_callback_errors_propagate(model):
    def progress(done, total, seconds):
        raise RuntimeError("boom")

    mc = hiili.MonteCarlo(model, {599: 1.0}, progress_interval=0.0)
    with pytest.raises(RuntimeError, match="boom"):
        mc.run(200, progress=progress)


def test_keyboard_interrupt_stops_the_run_and_keeps_the_prefix():
    big = hiili.synth(3000, seed=2, uncertainty=True)
    mc = hiili.MonteCarlo(big, {2999: 1.0}, seed=1, progress_interval=0.01)
    # Python ignores SIGINT when it started with it ignored (a job put in the background by a
    # non-interactive shell): install the usual handler so the test sees what a user's Ctrl-C does.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    # Ctrl-C comes from another thread once the run has finished an iteration, not after a
    # delay: the run is then certainly under way (a million iterations take minutes).
    under_way = threading.Event()

    def progress(done, total, seconds):
        if done > 0:
            under_way.set()

    finished = False

    def interrupt():
        under_way.wait()
        if not finished:
            os.kill(os.getpid(), signal.SIGINT)

    sender = threading.Thread(target=interrupt, daemon=True)
    sender.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            mc.run(1_000_000, progress=progress)
    finally:
        finished = True
        under_way.set()
        sender.join()
        signal.signal(signal.SIGINT, previous)
    part = mc.partial
    assert part is not None
    assert part.cancelled
    assert 1 <= part.completed < 1_000_000
    assert np.array_equal(part.scores, mc.run(part.completed).scores)


def test_bad_input_is_rejected_at_construction(model):
    b = model.entries("B")
    scale = np.where(np.arange(len(b["row"])) == 5, -1.0, b["scale"])
    bad = hiili.with_uncertainty(model, "B", {**b, "scale": scale})
    with pytest.raises(
        hiili.InvalidInputError, match=r"biosphere entry 5 \(row \d+, column \d+\).*scale"
    ):
        hiili.MonteCarlo(bad, {599: 1.0})
    hiili.MonteCarlo(bad, {599: 1.0}, sample=("A", "C"))  # B not sampled: not checked
    with pytest.raises(hiili.InvalidInputError):
        hiili.MonteCarlo(model, {10**6: 1.0})
    with pytest.raises(hiili.InvalidInputError):
        hiili.MonteCarlo(model, {0: 0.0})
    with pytest.raises(hiili.InvalidInputError):
        hiili.MonteCarlo(model, {599: 1.0}, sample=("X",))
    with pytest.raises(hiili.InvalidInputError):
        hiili.with_uncertainty(model, "A", {"uncertainty_type": np.zeros(3, np.uint8)})


def test_streamed_scores_summarise_like_the_full_table():
    """keep_scores=False keeps streaming statistics only: the summary equals the full table's
    (mean and std to rounding, min and max exactly, quantiles within the sketch's accuracy of
    the sample's lower nearest rank)."""
    model = hiili.synth(300, seed=3, uncertainty=True)
    full = hiili.MonteCarlo(model, {299: 1.0}, seed=8, threads=2).run(1500, progress=False)
    mc = hiili.MonteCarlo(model, {299: 1.0}, seed=8, threads=2, keep_scores=False)
    streamed = mc.run(1500, progress=False)
    assert not streamed.scores_kept and full.scores_kept
    assert streamed.scores.shape == (0, model.k)
    levels = (0.025, 0.5, 0.975)
    a = full.summary(quantiles=levels)
    b = streamed.summary(quantiles=levels)
    np.testing.assert_allclose(b["mean"], a["mean"], rtol=1e-12)
    np.testing.assert_allclose(b["std"], a["std"], rtol=1e-9)
    np.testing.assert_array_equal(b["min"], a["min"])
    np.testing.assert_array_equal(b["max"], a["max"])
    assert (b["iterations"] == 1500).all()
    accuracy = b.attrs["relative_accuracy"]
    assert accuracy == 0.01
    ranked = np.sort(full.scores, axis=0)
    for q in levels:
        lower = ranked[int(np.floor(q * (1500 - 1)))]
        np.testing.assert_allclose(b[f"q{q:g}"], lower, rtol=accuracy)
    with pytest.raises(hiili.InvalidInputError, match="keep_scores"):
        streamed.difference(0, 0)
