"""hiili.bw's Monte Carlo where bw2calc draws entry by entry: uncertain entries that share a
matrix position, flipped entries of every distribution, and distributions with a rescale vector.

Each case is a small datapackage (3 activities, 2 flows, one method) whose score hiili.bw samples
(20,000 iterations). It is checked against an independent sampling of the same datapackage
(stats_arrays draws 200,000 values of every entry, which are flipped, rescaled and summed per
position as matrix_utils does, then solved with numpy) and against bw2calc's own Monte Carlo
(800 iterations): means, variances and the whole distribution (two-sample Kolmogorov-Smirnov)
within tolerances from the sample sizes. Each test also shows that the same criterion rejects
the sampling a wrong implementation would give (so it can fail), that the score equals what the
iteration's own matrices give, and the first case that threads do not change the draws.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import bw2calc as bc
import bw_processing as bwp
import numpy as np
import pytest
import scipy.sparse as sp
import scipy.sparse.linalg as sla
import scipy.stats
from stats_arrays import MCRandomNumberGenerator

import hiili
import hiili.bw as hb
from hiili.bw import _calc

NAN = np.nan
PRODUCTS, ACTIVITIES, FLOWS = (1, 2, 3), (11, 12, 13), (21, 22)
DEMAND = {3: 1.0}  # the last product: every entry below matters
SEED = 5
OURS, REFERENCE, BW2CALC = 20_000, 200_000, 800
Z = 5.0  # standard errors allowed for means and variances
KS_P = 1e-6  # smallest Kolmogorov-Smirnov p-value accepted


def dist(type_: int, loc=NAN, scale=NAN, shape=NAN, minimum=NAN, maximum=NAN, negative=False):
    """One stats_arrays record."""
    return (type_, loc, scale, shape, minimum, maximum, negative)


def normal(mean, sd, **kw):
    return dist(3, loc=mean, scale=sd, **kw)


def lognormal(median, sigma, **kw):
    return dist(2, loc=np.log(median), scale=sigma, **kw)


def uniform(lo, hi):
    return dist(4, minimum=lo, maximum=hi)


def triangular(mode, lo, hi):
    return dist(5, loc=mode, minimum=lo, maximum=hi)


@dataclass
class E:
    """One datapackage entry: ids, amount, flip, rescale factor and distribution (None:
    fixed at its amount)."""

    row: int
    col: int
    amount: float
    flip: bool = False
    rescale: float = 1.0
    dist: tuple | None = None


def package(matrices: dict[str, list[E]], name: str = "mc cases", fs=None) -> bwp.Datapackage:
    """One datapackage with one resource group per matrix (the characterization's identified
    as the method ("mc", name)); in memory, or written to the fsspec filesystem `fs`."""
    dp = bwp.create_datapackage(fs=fs, name=name, sum_intra_duplicates=True)
    for matrix, entries in matrices.items():
        indices = np.empty(len(entries), dtype=bwp.INDICES_DTYPE)
        indices["row"] = [e.row for e in entries]
        indices["col"] = [e.col for e in entries]
        rescale = np.array([e.rescale for e in entries])
        dp.add_persistent_vector(
            matrix=matrix,
            name=matrix.split("_")[0],
            indices_array=indices,
            data_array=np.array([e.amount for e in entries]),
            flip_array=np.array([e.flip for e in entries]),
            distributions_array=records(entries),
            rescale_array=None if np.all(rescale == 1) else rescale,
            identifier=["mc", name] if matrix.startswith("char") else None,
        )
    return dp


def records(entries: list[E]) -> np.ndarray:
    out = np.zeros(len(entries), dtype=bwp.UNCERTAINTY_DTYPE)
    for i, e in enumerate(entries):
        out[i] = e.dist if e.dist is not None else dist(0, loc=e.amount)
    return out


# ---- the independent sampling ---------------------------------------------------------------

Values = Callable[[list[E], np.ndarray], np.ndarray]


def bw2calc_rule(entries: list[E], draws: np.ndarray) -> np.ndarray:
    """matrix_utils' ResourceGroup.calculate: each draw negated where flipped, then rescaled."""
    sign = np.where([e.flip for e in entries], -1.0, 1.0)
    return draws * (sign * np.array([e.rescale for e in entries]))[:, None]


def reference_scores(matrices: dict[str, list[E]], count: int, rule: Values = bw2calc_rule):
    """`count` scores of DEMAND: every entry drawn by stats_arrays, turned into its matrix value
    by `rule`, summed per position; A s = f solved per iteration with numpy."""
    rng = np.random.RandomState(SEED)
    dense = {}
    for matrix, entries in matrices.items():
        gen = MCRandomNumberGenerator(records(entries), seed=rng.randint(2**31))
        values = rule(entries, gen.generate(count))
        rows_of = PRODUCTS if matrix.startswith("tech") else FLOWS
        cols_of = (0,) if matrix.startswith("char") else ACTIVITIES
        out = np.zeros((count, len(rows_of), len(cols_of)))
        for e, v in zip(entries, values, strict=True):
            out[:, rows_of.index(e.row), cols_of.index(e.col)] += v
        dense[matrix] = out
    f = np.zeros(len(PRODUCTS))
    for product, amount in DEMAND.items():
        f[PRODUCTS.index(product)] = amount
    A = dense["technosphere_matrix"]
    s = np.linalg.solve(A, np.broadcast_to(f, (count, len(f)))[..., None])
    g = dense["biosphere_matrix"] @ s
    return np.einsum("if,if->i", dense["characterization_matrix"][..., 0], g[..., 0])


def draws_of(lca, count: int) -> np.ndarray:
    out = np.empty(count)
    for i in range(count):
        next(lca)
        out[i] = lca.score
    return out


def hiili_lca(dp, threads=None):
    lca = hb.LCA(
        DEMAND, data_objs=[dp], use_distributions=True, seed_override=SEED, threads=threads
    )
    lca.lci()
    lca.lcia()
    return lca


class ScipyLCA(bc.LCA):
    def _spsolve(self, matrix, rhs):
        return sla.spsolve(sp.csc_matrix(matrix), rhs)


def bw2calc_scores(dp, count: int) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lca = ScipyLCA(DEMAND, data_objs=[dp], use_distributions=True, seed_override=SEED)
        lca.lci()
        lca.lcia()
        return draws_of(lca, count)


def difference(x: np.ndarray, y: np.ndarray) -> str | None:
    """Why two samples do not look like one distribution, or None: means and variances more
    than Z standard errors apart (the variance's from the fourth central moment), or a
    Kolmogorov-Smirnov p-value below KS_P."""
    se_mean = np.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    if abs(x.mean() - y.mean()) > Z * se_mean:
        return f"means {x.mean():.6g} and {y.mean():.6g}, standard error {se_mean:.3g}"

    def var_se2(a):
        c = a - a.mean()
        return (np.mean(c**4) - np.mean(c**2) ** 2) / len(a)

    se_var = np.sqrt(var_se2(x) + var_se2(y))
    if abs(x.var(ddof=1) - y.var(ddof=1)) > Z * se_var:
        return f"variances {x.var(ddof=1):.6g} and {y.var(ddof=1):.6g}, standard error {se_var:.3g}"
    p = scipy.stats.ks_2samp(x, y).pvalue
    if p < KS_P:
        return f"Kolmogorov-Smirnov p = {p:.3g}"
    return None


def check_case(matrices: dict[str, list[E]], wrong: Values) -> dict[str, float]:
    """The checks every case shares; returns the statistics for the record."""
    dp = package(matrices)
    lca = hiili_lca(dp)
    ours = draws_of(lca, OURS)
    ref = reference_scores(matrices, REFERENCE)
    assert difference(ours, ref) is None, difference(ours, ref)
    theirs = bw2calc_scores(dp, BW2CALC)
    assert difference(theirs, ref) is None, difference(theirs, ref)
    assert difference(ours, theirs) is None, difference(ours, theirs)
    # The criterion has the power to see the wrong rule.
    assert difference(ours, reference_scores(matrices, REFERENCE, wrong)) is not None
    # The score is what the iteration's own matrices give (hiili.bw's Python-side draws).
    for _ in range(3):
        next(lca)
        A, B = sp.csc_matrix(lca.technosphere_matrix), lca.biosphere_matrix
        s = sla.spsolve(A, lca.demand_array)
        c = lca.characterization_matrix.diagonal()
        assert lca.score == pytest.approx(c @ (B @ s), rel=1e-9)
    return {
        "ours": (ours.mean(), ours.std(ddof=1)),
        "reference": (ref.mean(), ref.std(ddof=1)),
        "bw2calc": (theirs.mean(), theirs.std(ddof=1)),
    }


# ---- (a) uncertain entries sharing a matrix position -------------------------------------------

SHARED = {
    "technosphere_matrix": [
        E(1, 11, 1.0, dist=normal(1.0, 0.05)),  # production and an uncertain self-input
        E(1, 11, 0.2, flip=True, dist=lognormal(0.2, 0.3)),
        E(2, 12, 1.0),
        E(3, 13, 1.0),
        E(1, 12, 0.5, flip=True, dist=normal(0.5, 0.1)),  # three inputs, one of them fixed
        E(1, 12, 0.3, flip=True, dist=uniform(0.1, 0.5)),
        E(1, 12, 0.1, flip=True),
        E(2, 13, 0.4, flip=True, dist=triangular(0.4, 0.3, 0.6)),
    ],
    "biosphere_matrix": [
        E(21, 11, 1.0, dist=lognormal(1.0, 0.2)),
        E(21, 11, 0.5, dist=normal(0.5, 0.1)),
        E(21, 12, 2.0, dist=uniform(1.0, 3.0)),
        E(21, 12, 1.0),
        E(22, 13, 3.0, dist=normal(3.0, 0.5)),
    ],
    "characterization_matrix": [
        E(21, 0, 1.0),
        E(22, 0, 1.5, dist=normal(1.5, 0.2)),
        E(22, 0, 0.5, dist=uniform(0.0, 1.0)),
    ],
}


def first_of_each_position(entries: list[E], draws: np.ndarray) -> np.ndarray:
    """What one record per position would give: only the first entry at a position drawn."""
    values = bw2calc_rule(entries, draws)
    seen = set()
    for i, e in enumerate(entries):
        if (e.row, e.col) in seen:
            values[i] = -e.amount if e.flip else e.amount
        seen.add((e.row, e.col))
    return values


def test_entries_sharing_a_position_are_drawn_apart_and_summed():
    stats = check_case(SHARED, first_of_each_position)
    assert stats["ours"][1] > 0
    # The same seed gives the same draws at any thread count.
    dp = package(SHARED)
    one = draws_of(hiili_lca(dp, threads=1), 300)
    two = draws_of(hiili_lca(dp, threads=2), 300)
    np.testing.assert_array_equal(one, two)


# ---- (b) flipped entries of every distribution -------------------------------------------------

FLIPPED = {
    "technosphere_matrix": [
        E(1, 11, 1.0),
        E(2, 12, 1.0),
        E(3, 13, 1.0),
        E(1, 12, 0.4, flip=True, dist=dist(9, shape=4.0, scale=0.1)),  # gamma
        E(2, 13, 0.5, flip=True, dist=dist(8, shape=2.0, scale=0.5, loc=0.1)),  # Weibull
        E(1, 13, 0.2, flip=True, dist=dist(11, loc=0.2, scale=0.05, shape=0.0)),  # Gumbel
    ],
    "biosphere_matrix": [
        E(21, 11, 1.0, flip=True, dist=dist(6, loc=0.3)),  # Bernoulli
        E(21, 12, 2.0, flip=True, dist=dist(7, minimum=1, maximum=4)),  # discrete uniform
        E(22, 13, 0.5, flip=True, dist=dist(9, shape=2.0, scale=0.25, negative=True)),
        E(22, 11, 1.0, flip=True, dist=dist(8, shape=1.5, scale=1.0, negative=True)),
        E(22, 12, 1.0, dist=lognormal(1.0, 0.1)),
    ],
    "characterization_matrix": [
        E(21, 0, 1.0),
        E(22, 0, 2.0, flip=True, dist=dist(11, loc=-2.0, scale=0.2, shape=0.0)),
    ],
}


def flip_amounts_only(entries: list[E], draws: np.ndarray) -> np.ndarray:
    """What ignoring the flip of a draw would give."""
    return draws * np.array([e.rescale for e in entries])[:, None]


def test_flipped_entries_of_any_distribution_are_negated_draws():
    check_case(FLIPPED, flip_amounts_only)


# ---- (c) distributions with a rescale vector -----------------------------------------------------

RESCALED = {
    "technosphere_matrix": [
        E(1, 11, 1.0),
        E(2, 12, 1.0),
        E(3, 13, 1.0),
        E(1, 12, 0.25, flip=True, rescale=2.0, dist=lognormal(0.25, 0.2)),
        E(2, 13, 0.6, flip=True, rescale=0.5, dist=normal(0.6, 0.1)),
        E(1, 13, 0.2, flip=True, rescale=-0.5, dist=triangular(0.2, 0.1, 0.4)),
        E(1, 13, 0.3, flip=True, rescale=1.5, dist=dist(9, shape=3.0, scale=0.1)),
    ],
    "biosphere_matrix": [
        E(21, 11, 1.0, rescale=3.0, dist=lognormal(1.0, 0.2, minimum=0.8, maximum=1.5)),
        E(21, 12, 0.4, rescale=4.0, dist=dist(10, loc=2.0, shape=3.0)),  # beta on [0, 1]
        E(22, 13, 1.0, rescale=-2.0, dist=dist(12, shape=5.0, loc=1.0, scale=0.2)),  # t
        E(22, 12, 1.0, rescale=0.0, dist=dist(9, shape=2.0, scale=0.5)),
        E(22, 11, 0.8, flip=True, rescale=1.5, dist=dist(8, shape=2.0, scale=0.8)),
        E(21, 13, 0.3, rescale=0.7, dist=dist(11, loc=0.3, scale=0.05, shape=0.0)),
        E(21, 13, 0.2, rescale=2.0, dist=uniform(0.1, 0.3)),
        E(22, 12, 0.5, rescale=-1.0, dist=normal(0.5, 0.2, minimum=0.2, maximum=1.0)),
    ],
    "characterization_matrix": [
        E(21, 0, 1.0),
        E(22, 0, 2.0, rescale=1.5, dist=normal(2.0, 0.2)),
    ],
}


def rescale_amounts_only(entries: list[E], draws: np.ndarray) -> np.ndarray:
    """What rescaling the amounts but not the draws would give."""
    rescale = np.array([1.0 if e.dist is not None else e.rescale for e in entries])
    sign = np.where([e.flip for e in entries], -1.0, 1.0)
    return draws * (sign * rescale)[:, None]


def test_rescaled_distributions_are_rescaled_draws():
    check_case(RESCALED, rescale_amounts_only)


RECORDS = [  # every type hiili can rescale, with and without bounds and `negative`
    lognormal(0.5, 0.3),
    dist(2, loc=0.1, scale=0.3, minimum=0.8, maximum=1.6),
    dist(2, loc=0.1, scale=0.3, minimum=-1.6, maximum=-0.9, negative=True),
    normal(1.0, 0.2),
    normal(1.0, 0.2, minimum=0.8, maximum=1.5),
    uniform(0.1, 0.3),
    triangular(0.2, 0.1, 0.4),
    dist(8, loc=0.1, scale=0.5, shape=2.0),
    dist(8, scale=0.5, shape=2.0, negative=True),
    dist(8, loc=0.1, scale=0.5, shape=2.0, minimum=0.2, maximum=0.9),
    dist(9, scale=0.1, shape=4.0),
    dist(9, loc=0.2, scale=0.1, shape=4.0, minimum=-1.0, maximum=-0.3, negative=True),
    dist(10, loc=2.0, shape=3.0),
    dist(10, loc=2.0, shape=3.0, minimum=-1.0, maximum=2.0),
    dist(11, loc=0.3, scale=0.05, shape=0.0),
    dist(11, loc=0.3, scale=0.05, minimum=0.25, maximum=0.5),
    dist(12, shape=5.0),
    dist(12, loc=1.0, scale=0.2, shape=5.0, minimum=0.8, maximum=1.5),
]


@pytest.mark.parametrize("r", [2.5, 0.3, -1.7, -1.0, 0.0])
def test_rescaled_records_draw_r_times_the_same_draws(r):
    """hiili.bw folds r into the record: with the same stream its draws are r times the
    original record's, to rounding (every sampler is affine in its location and scale)."""
    names = ("uncertainty_type", "loc", "scale", "shape", "minimum", "maximum", "negative")
    cols = {name: np.array([rec[i] for rec in RECORDS]) for i, name in enumerate(names)}
    cols["uncertainty_type"] = cols["uncertainty_type"].astype(np.uint8)
    cols["negative"] = cols["negative"].astype(bool)
    amounts, flip = np.full(len(RECORDS), r), np.zeros(len(RECORDS), bool)
    _calc._rescale(cols, amounts, flip, np.full(len(RECORDS), r), "test")
    for i, rec in enumerate(RECORDS):
        params = dict(zip(names[1:], rec[1:], strict=True))
        x = hiili.sample_distribution(rec[0], **params, seed=3, count=500, stream=17, amount=1.0)
        scaled = {name: cols[name][i].item() for name in names}
        y = hiili.sample_distribution(
            scaled.pop("uncertainty_type"),
            **scaled,
            seed=3,
            count=500,
            stream=17,
            amount=float(amounts[i]),
        )
        y = -y if flip[i] else y
        np.testing.assert_allclose(y, r * x, rtol=1e-13, atol=1e-15, err_msg=str(rec))


def test_rescaled_bernoulli_raises_not_implemented():
    matrices = {key: list(value) for key, value in RESCALED.items()}
    matrices["biosphere_matrix"].append(E(21, 11, 1.0, rescale=2.0, dist=dist(6, loc=0.5)))
    lca = hb.LCA(DEMAND, data_objs=[package(matrices)], use_distributions=True)
    with pytest.raises(NotImplementedError, match="Bernoulli or discrete uniform"):
        lca.lci()
    # without distributions the same data is fine
    lca = hb.LCA(DEMAND, data_objs=[package(matrices)])
    lca.lci()
    lca.lcia()
    assert np.isfinite(lca.score)


def test_multi_lca_draws_as_lca_does_with_all_three_cases():
    matrices = {
        m: SHARED[m] + FLIPPED[m] + RESCALED[m]
        for m in ("technosphere_matrix", "biosphere_matrix", "characterization_matrix")
    }
    single = hiili_lca(package(matrices))
    inventory = {m: v for m, v in matrices.items() if not m.startswith("char")}
    methods = [
        package({"characterization_matrix": matrices["characterization_matrix"]}, "first"),
        package({"characterization_matrix": SHARED["characterization_matrix"]}, "second"),
    ]
    multi = hb.MultiLCA(
        {"d": DEMAND},
        {"impact_categories": [("mc", "first"), ("mc", "second")]},
        [package(inventory), *methods],
        use_distributions=True,
        seed_override=SEED,
    )
    multi.lci()
    multi.lcia()
    second = []
    for _ in range(5):
        next(single)
        next(multi)
        assert multi.scores[(("mc", "first"), "d")] == pytest.approx(single.score, rel=1e-12)
        second.append(multi.scores[(("mc", "second"), "d")])
    assert np.all(np.isfinite(second))
    assert np.unique(second).size == 5


# ---- the slot values of an iteration come from C++ -------------------------------------------

KIND_BITS = {"A": 0, "B": 1, "C": 2}  # hiili::MatrixKind, the top two bits of a stream id


def python_slot_values(matrix: _calc.Matrix, seed: int, iteration: int) -> np.ndarray:
    """What hiili.bw derived in Python before the C++ sampled_values: each uncertain entry e
    drawn from stream e | kind << 62, negated where flipped, added (in entry order) to the sum
    of its slot's fixed entries; other slots keep the summed matrix value."""
    t, slot, amounts = matrix.table, matrix.slot, matrix.csc.data
    drawn = t["uncertainty_type"] > 1
    entries = np.flatnonzero(drawn)
    touched = np.zeros(len(amounts), bool)
    touched[slot[entries]] = True
    fixed = ~drawn & touched[slot]
    values = np.where(t["flip"], -t["amount"], t["amount"])
    out = amounts.copy()
    out[touched] = np.bincount(slot[fixed], values[fixed], len(amounts))[touched]
    for e in entries.tolist():
        x = hiili.sample_distribution(
            int(t["uncertainty_type"][e]),
            loc=float(t["loc"][e]),
            scale=float(t["scale"][e]),
            shape=float(t["shape"][e]),
            minimum=float(t["minimum"][e]),
            maximum=float(t["maximum"][e]),
            negative=bool(t["negative"][e]),
            amount=float(t["amount"][e]),
            seed=seed,
            count=1,
            first_iteration=iteration,
            stream=e | KIND_BITS[matrix.kind] << 62,
        )[0]
        out[slot[e]] += -x if t["flip"][e] else x
    return out


@pytest.mark.parametrize("case", ["SHARED", "FLIPPED", "RESCALED"])
def test_slot_values_of_an_iteration_are_the_python_rule_bit_for_bit(case):
    lca = hiili_lca(package(globals()[case]))
    for matrix in (lca._A, lca._B, lca._C):
        assert matrix.uncertain and matrix.draws is not None
        for iteration in (0, 1, 63, 64, 1000):
            ours = matrix.draws.values(iteration)
            np.testing.assert_array_equal(ours, python_slot_values(matrix, lca._seed, iteration))
        assert not np.array_equal(matrix.draws.values(0), matrix.draws.values(1))


def test_stream_ids_are_the_entry_and_the_matrix_in_the_top_bits():
    kinds = {"A": hiili._core.MatrixKind.Technosphere, "B": hiili._core.MatrixKind.Biosphere}
    kinds["C"] = hiili._core.MatrixKind.Characterization
    for name, kind in kinds.items():
        for entry in (0, 1, 12345, 2**62 - 1):
            assert hiili._core.stream_id(kind, entry) == entry | KIND_BITS[name] << 62
    with pytest.raises(hiili.InvalidInputError, match="entry"):
        hiili._core.stream_id(hiili._core.MatrixKind.Biosphere, 2**62)
