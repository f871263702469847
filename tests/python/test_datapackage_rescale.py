"""The C++ datapackage reader (hiili.read) rescales distributions and filters by global_index
as bw2calc does.

bw2calc (matrix_utils' ResourceGroup.calculate) multiplies every value of an entry by its
rescale factor r, each Monte Carlo draw included: value = r (flip ? -X : X). hiili folds r into
the entry's distribution (hiili::io::rescale_uncertainty, the one rule hiili.bw also calls).
The datapackages are built with bw_processing and written as zip files; the checks are

- the records hiili.read gives are hiili.bw's (one rule);
- each entry's distribution, as hiili draws it, is the distribution of stats_arrays' draws of
  the file's record times r (flip applied), per entry (means, variances, Kolmogorov-Smirnov);
- hiili.read + hiili.MonteCarlo give hiili.bw's scores on the same seed (the same draws);
- its scores agree with bw2calc's own Monte Carlo (means and quantiles, tolerances from the
  sample sizes) and with an independent sampling by stats_arrays; the same criteria reject the
  draws of the reader before the fix (amounts rescaled, distributions not);
- global_index: one across all characterization resources (scores as bw2calc's MultiLCA), a
  conflict is a hiili.FormatError naming both resources where bw2calc raises.
"""

from __future__ import annotations

import warnings

import bw2calc as bc
import bw_processing as bwp
import numpy as np
import pytest
from fsspec.implementations.zip import ZipFileSystem
from stats_arrays import MCRandomNumberGenerator
from test_bw_mc import (
    DEMAND,
    RESCALED,
    SEED,
    Z,
    E,
    bw2calc_scores,
    difference,
    hiili_lca,
    package,
    records,
    reference_scores,
    rescale_amounts_only,
)

import hiili
import hiili.bw as hb
from hiili.bw.errors import InconsistentGlobalIndex

OURS, REFERENCE, BW2CALC = 20_000, 200_000, 1_000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
COLUMNS = ("row", "col", "amount", "flip", "uncertainty_type", "loc", "scale", "shape")
COLUMNS += ("minimum", "maximum", "negative")
KIND = {"technosphere_matrix": "A", "biosphere_matrix": "B", "characterization_matrix": "C"}


def write(matrices: dict[str, list[E]], path, name: str = "mc cases"):
    """The package as test_bw_mc builds it, written to a zip file with bw_processing."""
    dp = package(matrices, name, fs=ZipFileSystem(path, mode="w"))
    dp.finalize_serialization()
    return path


@pytest.fixture(scope="module")
def rescaled(tmp_path_factory):
    """(path of the zip, the package loaded back with bw_processing)."""
    path = write(RESCALED, tmp_path_factory.mktemp("rescale") / "rescaled.zip")
    return path, bwp.load_datapackage(ZipFileSystem(path))


def demand_index(model: hiili.Model) -> dict[int, float]:
    """DEMAND (Brightway product ids) as hiili activity indices of a model read by hiili.read."""
    products = model.activities["product"].astype(int).tolist()
    return {products.index(pid): amount for pid, amount in DEMAND.items()}


def reader_mc(path, iterations: int) -> np.ndarray:
    model = hiili.read(path)
    mc = hiili.MonteCarlo(model, demand_index(model), seed=SEED, threads=1)
    return mc.run(iterations, progress=False).scores_of(0)[:, 0]


# ---- the records -----------------------------------------------------------------------------


def test_reader_records_are_hiili_bw_records(rescaled):
    """hiili.read and hiili.bw fold r into the records by the same C++ rule: same entries, same
    parameters, in the same order."""
    path, _ = rescaled
    model = hiili.read(path)
    lca = hiili_lca(package(RESCALED))
    for kind, matrix in (("A", lca._A), ("B", lca._B), ("C", lca._C)):
        ours = model.entries(kind)
        theirs = matrix.table
        assert len(ours) == len(theirs["row"]), kind
        for column in COLUMNS:
            np.testing.assert_array_equal(
                ours[column].to_numpy(), np.asarray(theirs[column]), err_msg=f"{kind} {column}"
            )


@pytest.mark.parametrize("matrix", list(KIND))
def test_each_distribution_is_r_times_the_file_distribution(rescaled, matrix):
    """Per entry: hiili's draws of the record it read (negated where flipped) against
    stats_arrays' draws of the file's record, flipped and times r as matrix_utils does."""
    path, _ = rescaled
    entries = RESCALED[matrix]
    table = hiili.read(path).entries(KIND[matrix])
    rng = np.random.RandomState(SEED)
    theirs = MCRandomNumberGenerator(records(entries), seed=rng.randint(2**31)).generate(OURS)
    sign = np.where([e.flip for e in entries], -1.0, 1.0)
    rescale = np.array([e.rescale for e in entries])
    bw2calc_values = theirs * (sign * rescale)[:, None]
    unscaled_values = rescale_amounts_only(entries, theirs)  # what the reader used to draw
    checked = 0
    for i, e in enumerate(entries):
        if e.dist is None or e.dist[0] <= 1:
            continue
        row = table.iloc[i]
        x = hiili.sample_distribution(
            int(row["uncertainty_type"]),
            loc=row["loc"],
            scale=row["scale"],
            shape=row["shape"],
            minimum=row["minimum"],
            maximum=row["maximum"],
            negative=bool(row["negative"]),
            amount=row["amount"],
            seed=SEED,
            count=OURS,
            stream=i,
        )
        ours = -x if row["flip"] else x
        if e.rescale == 0:
            np.testing.assert_array_equal(ours, 0.0)
            np.testing.assert_array_equal(bw2calc_values[i], 0.0)
        else:
            why = difference(ours, bw2calc_values[i])
            assert why is None, (i, why)
        if e.rescale != 1:
            assert difference(ours, unscaled_values[i]) is not None, i
        checked += 1
    assert checked > 0


# ---- Monte Carlo -----------------------------------------------------------------------------


def test_reader_monte_carlo_is_hiili_bw_monte_carlo(rescaled):
    """hiili.read + hiili.MonteCarlo draw what hiili.bw draws on the same package and seed."""
    path, dp = rescaled
    ours = reader_mc(path, 500)
    lca = hiili_lca(dp)  # after lci() its values are iteration 0, each next() the following
    theirs = np.empty(500)
    for i in range(500):
        if i > 0:
            next(lca)
        theirs[i] = lca.score
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-14)


def quantile_misses(ours: np.ndarray, theirs: np.ndarray) -> list[str]:
    """Quantiles of `ours` that `theirs` does not support: the fraction of `theirs` below
    ours' q-quantile is Binomial(n, q) / n if both samples come from one distribution; allowed
    Z standard errors (plus ours' own error, the same bound at its sample size)."""
    out = []
    for q in QUANTILES:
        below = np.mean(theirs <= np.quantile(ours, q))
        se = np.sqrt(q * (1 - q) / len(theirs)) + np.sqrt(q * (1 - q) / len(ours))
        if abs(below - q) > Z * se:
            out.append(f"q{q}: {below:.4f} of the other sample below, tolerance {Z * se:.4f}")
    return out


def mean_misses(ours: np.ndarray, theirs: np.ndarray) -> str | None:
    se = np.sqrt(ours.var(ddof=1) / len(ours) + theirs.var(ddof=1) / len(theirs))
    if abs(ours.mean() - theirs.mean()) > Z * se:
        return f"means {ours.mean():.6g} and {theirs.mean():.6g}, standard error {se:.3g}"
    return None


def test_reader_monte_carlo_agrees_with_bw2calc(rescaled):
    path, dp = rescaled
    ours = reader_mc(path, OURS)
    theirs = bw2calc_scores(dp, BW2CALC)
    assert mean_misses(ours, theirs) is None, mean_misses(ours, theirs)
    assert quantile_misses(ours, theirs) == []
    reference = reference_scores(RESCALED, REFERENCE)
    assert difference(ours, reference) is None, difference(ours, reference)
    # The same criteria reject what the reader drew before (rescaled amounts, raw draws).
    wrong = reference_scores(RESCALED, REFERENCE, rescale_amounts_only)
    assert difference(ours, wrong) is not None
    assert mean_misses(wrong, theirs) is not None or quantile_misses(wrong, theirs) != []


def test_rescaled_bernoulli_is_a_format_error(tmp_path):
    matrices = {key: list(value) for key, value in RESCALED.items()}
    bernoulli = (6, 0.5, np.nan, np.nan, np.nan, np.nan, False)
    matrices["biosphere_matrix"].append(E(21, 11, 1.0, rescale=2.0, dist=bernoulli))
    path = write(matrices, tmp_path / "bernoulli.zip")
    with pytest.raises(hiili.FormatError, match=r"biosphere\.rescale\.npy: entry 8: .*Bernoulli"):
        hiili.read(path)


# ---- global_index ----------------------------------------------------------------------------

INVENTORY = {key: value for key, value in RESCALED.items() if not key.startswith("char")}
GLOBAL, REGION = 0, 7


def with_methods(path, *methods: tuple[str, list[E], int | None]):
    """The inventory plus one characterization group per method (name, factors,
    global_index), in one zip file."""
    dp = package(INVENTORY, "global index", fs=ZipFileSystem(path, mode="w"))
    for name, factors, global_index in methods:
        indices = np.array([(e.row, e.col) for e in factors], dtype=bwp.INDICES_DTYPE)
        extra = {} if global_index is None else {"global_index": global_index}
        dp.add_persistent_vector(
            matrix="characterization_matrix",
            name=name,
            indices_array=indices,
            data_array=np.array([e.amount for e in factors]),
            identifier=["gi", name],
            **extra,
        )
    dp.finalize_serialization()
    return path, bwp.load_datapackage(ZipFileSystem(path))


FIRST = [E(21, GLOBAL, 1.0), E(22, GLOBAL, 2.0), E(22, REGION, 50.0)]
SECOND = [E(21, REGION, 30.0), E(21, GLOBAL, 0.5), E(22, GLOBAL, -1.0)]


def bw2calc_multi_scores(dp, names: list[str]) -> list[float]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        multi = bc.MultiLCA({"d": DEMAND}, {"impact_categories": [("gi", n) for n in names]}, [dp])
        multi.lci()
        multi.lcia()
        return [multi.scores[(("gi", n), "d")] for n in names]


def test_global_index_is_one_across_characterization_resources(tmp_path):
    path, dp = with_methods(
        tmp_path / "gi.zip", ("first", FIRST, GLOBAL), ("second", SECOND, GLOBAL)
    )
    model = hiili.read(path)
    assert model.k == 2
    scores = hiili.Lca(model).solve(demand_index(model)).scores
    expected = bw2calc_multi_scores(dp, ["first", "second"])
    np.testing.assert_allclose(np.ravel(scores), expected, rtol=1e-10)
    # Regionalised factors (col 7) are out: the scores are those of the col-0 factors alone.
    plain_path, plain = with_methods(
        tmp_path / "plain.zip",
        ("first", [e for e in FIRST if e.col == GLOBAL], None),
        ("second", [e for e in SECOND if e.col == GLOBAL], None),
    )
    assert np.ravel(hiili.Lca(hiili.read(plain_path)).solve(demand_index(model)).scores) == (
        pytest.approx(expected, rel=1e-12)
    )
    assert bw2calc_multi_scores(plain, ["first", "second"]) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("first", "second"), [(GLOBAL, 5), (GLOBAL, None)])
def test_conflicting_global_index_raises_like_bw2calc(tmp_path, first, second):
    path, dp = with_methods(
        tmp_path / "conflict.zip", ("first", FIRST, first), ("second", SECOND, second)
    )
    said = "no global_index" if second is None else f"global_index {second}"
    with pytest.raises(
        hiili.FormatError,
        match=rf"\(second\.indices\): has {said} but .* \(first\.indices\) has "
        rf"global_index {first}",
    ):
        hiili.read(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(bc.errors.InconsistentGlobalIndex):
            lca = bc.LCA(DEMAND, data_objs=[dp])
            lca.lci()
            lca.lcia()
    with pytest.raises(InconsistentGlobalIndex):
        lca = hb.LCA(DEMAND, data_objs=[dp])
        lca.lci()
        lca.lcia()

